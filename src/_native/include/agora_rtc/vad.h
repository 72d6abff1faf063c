/* The VAD V2 state machine (VAD.md section 2). It consumes one 10 ms frame plus
 * that frame's labels per call and returns a state and the bytes to hand to ASR. */
#ifndef AGORA_RTC_VAD_H
#define AGORA_RTC_VAD_H

#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/audio_labels.h"

#ifdef __cplusplus
extern "C" {
#endif

enum agora_vad_state {
    AGORA_VAD_NOT_SPEAKING = 0,
    AGORA_VAD_START_SPEAKING = 1,
    AGORA_VAD_SPEAKING = 2,
    AGORA_VAD_STOP_SPEAKING = 3,
};

typedef struct agora_vad_config {
    int pre_start_recognize_count; /* P >= 0 */
    int start_recognize_count;     /* S >= 1 */
    int stop_recognize_count;      /* T >= 1 */
    float active_percent;          /* (0, 1] */
    float inactive_percent;        /* (0, 1] */
    int start_voice_prob;          /* 0..100 */
    int stop_voice_prob;           /* 0..100 */
    float start_rms_threshold;     /* -100..0 dBFS */
    float stop_rms_threshold;      /* -100..0 dBFS */
    int adaptive_rms;              /* 0 off (default); 1: floor follows utterance level */
    float adaptive_rms_factor;     /* dB below the last utterance's mean level, 0..100 (default 20) */
    int start_run_count;           /* 0 off (default); R >= 1: a start also needs the last R frames
                                      active without a gap, 0..S (agent preset; Agora has no such rule) */
} agora_vad_config;
/* Semantics in short (full, reference-model-exact rules at the top of vad.c):
 * - need_start = ceil(A*S) and need_stop = ceil(I*T), with A and I read at 1e-6 resolution
 *   (a_ppm = floor(A*1e6 + 0.5); need = ceil(a_ppm*S / 1e6) in integers; clamped to 1..S),
 *   so float32 noise such as 0.1f*10 = 1.0000000149 never becomes 2.
 * - "level" is labels->dbfs; thresholds compare in float32.
 * - Start: at least S frames since the last stop (or reset) and the last S of them hold
 *   >= need_start active frames; state 1 carries every ring frame (<= P pre-roll + S window).
 * - Stop: the stop window only holds frames AFTER the start frame; once it holds T frames
 *   and >= need_stop of them are inactive, that frame is state 3.
 * - Adaptive loudness (adaptive_rms = 1): at each stop, with mean = the mean dBFS of the
 *   start frame through the stop frame, the effective start/stop floors become
 *   max(configured floor, mean - adaptive_rms_factor); reset() restores the configured ones.
 * - Start run (start_run_count = R >= 1, off by default): a start also needs the last R
 *   frames (all after the last stop) to be active, so scattered bursts (keyboard clicks) that
 *   fill the window without a run of voice do not start an utterance. */

void agora_vad_config_default(agora_vad_config *cfg);
/* 0 when every field is in range, else AGORA_ERR_INVALID_ARGUMENT. */
int agora_vad_config_validate(const agora_vad_config *cfg);

typedef struct agora_vad agora_vad;

/* The config is copied. frame_bytes is the byte size of every frame this
 * instance will see (the first frame's format). NULL on bad config or OOM. */
agora_vad *agora_vad_create(const agora_vad_config *cfg, size_t frame_bytes);
void agora_vad_destroy(agora_vad *v);
void agora_vad_reset(agora_vad *v);
/* 1 between a start (state 1) and its stop (state 3), else 0. */
int agora_vad_is_speaking(const agora_vad *v);

typedef struct agora_vad_result {
    int state;            /* enum agora_vad_state */
    const uint8_t *bytes; /* owned by the vad, valid until the next call on it */
    size_t length;        /* 0 for state 0 */
} agora_vad_result;

/* One frame: its labels decide activity, its bytes (frame_bytes long) are
 * carried into the result. AGORA_ERR_INVALID_ARGUMENT on a length mismatch. */
int agora_vad_process(agora_vad *v, const agora_audio_labels *labels,
                      const uint8_t *frame, size_t frame_bytes,
                      agora_vad_result *out);

#ifdef __cplusplus
}
#endif
#endif
