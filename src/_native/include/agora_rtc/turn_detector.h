/* Prosodic end-of-turn detector: at a pause, how much longer to wait before the
 * turn is over, from the per-frame labels the engine already computes (level,
 * pitch, the VAD's active flag). Stateless and allocation-free: one call per
 * decision, a few microseconds for a 6 s window, callable from any thread. */
#ifndef AGORA_RTC_TURN_DETECTOR_H
#define AGORA_RTC_TURN_DETECTOR_H

#ifdef __cplusplus
extern "C" {
#endif

/* One 10 ms frame's labels, oldest first (see audio_labels.h). */
typedef struct agora_turn_frame {
    float dbfs;     /* frame level in dBFS */
    int pitch_hz;   /* 0 when unvoiced */
    int active;     /* nonzero: the VAD counted the frame as voice */
} agora_turn_frame;

/* The features, in this order (agora_turn_features.v[i]):
 *  0 end_pitch_st     pitch of the last 5 voiced frames, semitones vs the window median
 *  1 end_pitch_slope  pitch slope over the last 15 voiced frames, semitones / s
 *  2 end_rise_st      end_pitch_st minus the lowest pitch of the last 600 ms (a final rise)
 *  3 energy_drop_db   mean level of the speech minus mean level of its last 100 ms
 *  4 energy_slope     level slope over the last 300 ms of speech, dB / s
 *  5 syllable_rate    voiced-run onsets per second of speech in the last 2 s
 *  6 final_lengthening  last voiced run / mean voiced run
 *  7 utterance_s      the speech since the previous pause of 200 ms or more, s (<= 5)
 *  8 speech_s         active frames in the window, s
 *  9 end_voiced       share of voiced frames among the last 100 ms of speech */
#define AGORA_TURN_NFEATURES 10

typedef struct agora_turn_features {
    float v[AGORA_TURN_NFEATURES];
    int has_speech;   /* 0: no active frame in the window (v all 0) */
    int pause_frames; /* trailing frames after the last active one */
} agora_turn_features;

/* The decision: z = sum_i w[i] * (v[i] - mean[i]) / scale[i] (high z: the
 * turn sounds finished); the pause the turn needs is
 *   need_ms = clamp(base_wait_ms * exp(-z), min_wait_ms, max_wait_ms)
 * and the answer is need_ms - pause_ms (<= 0: turn over now). With all w = 0
 * it is a plain silence timeout of base_wait_ms. */
typedef struct agora_turn_model {
    float mean[AGORA_TURN_NFEATURES];
    float scale[AGORA_TURN_NFEATURES]; /* > 0 */
    float w[AGORA_TURN_NFEATURES];
    float base_wait_ms;                /* > 0 */
    float min_wait_ms;                 /* 0 <= min <= max */
    float max_wait_ms;                 /* <= 60000: the documented maximum pause */
} agora_turn_model;

/* The shipped model (fitted with benchmarks/bench_end_of_turn.py --fit-default). */
void agora_turn_model_default(agora_turn_model *m);
/* 0, or AGORA_ERR_INVALID_ARGUMENT (non-finite value, scale <= 0, bad waits). */
int agora_turn_model_validate(const agora_turn_model *m);

/* Features of the n frames (n >= 0; frames may be NULL when n == 0). */
void agora_turn_features_compute(const agora_turn_frame *frames, int n, agora_turn_features *out);

/* need_ms for these features (see agora_turn_model). */
float agora_turn_model_need_ms(const agora_turn_model *m, const agora_turn_features *f);

/* Features + need_ms - pause_ms in one call; *features_out may be NULL.
 * Without speech in the window the turn is over (returns <= 0). */
float agora_turn_decide(const agora_turn_model *m, const agora_turn_frame *frames, int n,
                        float pause_ms, agora_turn_features *features_out);

#ifdef __cplusplus
}
#endif
#endif
