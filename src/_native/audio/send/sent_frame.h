/* A 10 ms frame that left a sender: shared, read-only, by every receiver of
 * the channel (reference counted; the last receiver frees it). */
#ifndef AGORA_RTC_SENT_FRAME_H
#define AGORA_RTC_SENT_FRAME_H

#include <stdatomic.h>
#include <stdint.h>

struct agora_encoded_packet; /* encoded_packet.h */

typedef struct agora_sent_frame {
    atomic_int refs;
    int sample_rate;
    int channels;
    int samples_per_channel;
    int64_t render_time_ms;
    int64_t send_time_us;      /* CLOCK_MONOTONIC when the media clock cut it */
    int64_t presentation_ms;
    uint32_t rtp_timestamp;
    /* Encoded audio (push_audio_encoded_data): the packet that starts in this
     * frame (a reference, NULL if none), at encoded_offset samples into it;
     * encoded_only when every sample of the frame was decoded from pushed packets. */
    struct agora_encoded_packet *encoded;
    int encoded_offset;
    int encoded_only;
    /* 1 for a gap frame: silence standing for 10 ms in which the sender sent
     * nothing after a talk spurt (media_clock.c). Transports send nothing for
     * it; a receive path hears it only while its VAD is in speech, so an
     * utterance cut off by the end of the stream still gets its stop. */
    int gap;
    int16_t pcm[]; /* samples_per_channel * channels, interleaved */
} agora_sent_frame;

/* Gap frames after a talk spurt, at most (3 s: any VAD stop window up to 300 frames). */
#define AGORA_GAP_FRAMES 300

/* samples_per_channel is normally sample_rate / 100; rates like 22050 Hz
 * alternate 220 and 221 so that 100 frames are exactly one second. */
agora_sent_frame *agora_sent_frame_new(int sample_rate, int channels, int samples_per_channel);
void agora_sent_frame_ref(agora_sent_frame *f);
void agora_sent_frame_unref(agora_sent_frame *f);

#endif
