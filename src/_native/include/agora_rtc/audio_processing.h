/* Server-side audio processing (APM) of received audio: noise suppression
 * and automatic gain control (libspeexdsp's preprocessor), run on each 10 ms
 * frame before labels and VAD. Usable standalone on any 10 ms PCM. */
#ifndef AGORA_RTC_AUDIO_PROCESSING_H
#define AGORA_RTC_AUDIO_PROCESSING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AGORA_APM_NOISE_SUPPRESSION 1  /* spectral noise suppression, up to 30 dB */
#define AGORA_APM_AGC 2                /* gain towards -12 dBFS RMS speech, up to +30 dB */

typedef struct agora_apm agora_apm;

/* sample_rate 8000..48000 (a multiple of 100: frames are 10 ms), channels 1
 * or 2 (each channel processed on its own), flags AGORA_APM_* (0 = a no-op
 * processor). NULL on bad arguments or out of memory. Not thread-safe. */
agora_apm *agora_apm_create(int sample_rate, int channels, int flags);
void agora_apm_destroy(agora_apm *a);
int agora_apm_flags(const agora_apm *a);
/* Process one 10 ms frame of interleaved int16 in place
 * (samples_per_channel = sample_rate / 100). 0 or AGORA_ERR_INVALID_ARGUMENT. */
int agora_apm_process(agora_apm *a, int16_t *pcm, int samples_per_channel);

#ifdef __cplusplus
}
#endif
#endif
