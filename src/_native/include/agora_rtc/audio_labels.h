/* Per-frame audio labels (loudness, voice probability, pitch), computed in C
 * for every received stream before any Python sees the frame. See VAD.md section 1. */
#ifndef AGORA_RTC_AUDIO_LABELS_H
#define AGORA_RTC_AUDIO_LABELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct agora_audio_labels {
    int rms;          /* 0..127 = round(dBFS + 127), clamped; 0 for digital silence */
    float dbfs;       /* frame level in dBFS (-127 for digital silence) */
    int voice_prob;   /* 0..100: probability that the frame holds human speech */
    int music_prob;   /* 0: no estimator yet (documented, never a fake value) */
    int pitch_hz;     /* fundamental frequency of a voiced frame, 0 otherwise */
    int far_field;    /* 0: no estimator yet */
} agora_audio_labels;

/* Streaming analyser: one per received stream (it keeps noise-floor and
 * history state between frames). Not thread-safe; one thread at a time. */
typedef struct agora_label_analyzer agora_label_analyzer;

/* sample_rate: 8000..48000, channels: 1 or 2. NULL on bad arguments or OOM. */
agora_label_analyzer *agora_label_analyzer_create(int sample_rate, int channels);
void agora_label_analyzer_destroy(agora_label_analyzer *a);
void agora_label_analyzer_reset(agora_label_analyzer *a);

/* Analyse one 10 ms frame of interleaved int16 PCM (samples_per_channel must
 * equal sample_rate / 100). Returns 0 or a negative agora_error_code. */
int agora_label_analyzer_process(agora_label_analyzer *a, const int16_t *pcm,
                                 int samples_per_channel, agora_audio_labels *out);

#ifdef __cplusplus
}
#endif
#endif
