/* A 10 ms PCM frame as the engine hands it to audio-frame observers. */
#ifndef AGORA_RTC_AUDIO_FRAME_H
#define AGORA_RTC_AUDIO_FRAME_H

#include <stdint.h>
#include "agora_rtc/audio_labels.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AGORA_AUDIO_FRAME_TYPE_PCM16 0

typedef struct agora_audio_frame {
    int type;                 /* AGORA_AUDIO_FRAME_TYPE_PCM16 */
    int samples_per_channel;  /* samples_per_sec / 100 */
    int bytes_per_sample;     /* 2 */
    int channels;             /* 1 or 2, interleaved */
    int samples_per_sec;
    const int16_t *buffer;    /* borrowed: valid only during the callback */
    int64_t render_time_ms;   /* engine CLOCK_MONOTONIC ms when the frame was sent */
    int64_t send_time_us;     /* the same instant in microseconds (pacing measurements) */
    int64_t presentation_ms;  /* sender's start_pts + offset of the frame in its push */
    uint32_t rtp_timestamp;   /* sample clock of the sender's stream */
    agora_audio_labels labels;
} agora_audio_frame;

#ifdef __cplusplus
}
#endif
#endif
