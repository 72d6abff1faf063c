/* Per-connection video state, embedded in agora_rtc_conn (engine.h) and
 * managed by video_frames.c and video_delivery.c. A zeroed struct is the initial state. */
#ifndef AGORA_RTC_VIDEO_STATE_H
#define AGORA_RTC_VIDEO_STATE_H

#include <stdatomic.h>
#include <stdint.h>
#include "agora_rtc/video.h"

/* A pushed frame shared, read-only, by every receiver (reference counted;
 * created by video_frames.c, read by video_delivery.c). */
typedef struct agora_video_buf {
    atomic_int refs;
    int encoded;
    agora_video_frame frame;         /* raw: planes and metadata point into data */
    agora_encoded_video_info info;   /* encoded */
    const uint8_t *bytes;            /* encoded: points into data */
    size_t length;
    uint8_t data[];
} agora_video_buf;

enum video_observer_kind { VOBS_FRAME = 0, VOBS_ENCODED = 1, VOBS_USER = 2, VOBS_KINDS = 3 };

/* What a receiver takes of one sender's video. */
enum video_sub_mode { VSUB_NONE = 0, VSUB_RAW = 1, VSUB_ENCODED = 2 };

typedef struct agora_video_sub {
    char uid[AGORA_MAX_ID_LEN + 1];
    int mode;                        /* enum video_sub_mode */
    int64_t since_ms;                /* when this mode was set (engine clock) */
} agora_video_sub;

/* A sender whose first frame this receiver has seen. */
typedef struct agora_video_seen {
    char uid[AGORA_MAX_ID_LEN + 1];
} agora_video_seen;

struct agora_video_encoder;
struct agora_video_decoder;

/* Senders whose encoded video a raw subscription decodes at once (more: the
 * least recently created decoder is dropped, its sender starts again). */
#define AGORA_VIDEO_MAX_DECODERS 8

typedef struct agora_video_dec_slot {
    char uid[AGORA_MAX_ID_LEN + 1];
    struct agora_video_decoder *dec;
} agora_video_dec_slot;

typedef struct agora_conn_video {
    /* under conn->mu (observer tables, like the audio ones) */
    agora_video_frame_observer frame_obs;
    agora_video_encoded_frame_observer enc_obs;
    agora_video_user_observer user_obs;
    int obs_set[VOBS_KINDS];
    int in_flight[VOBS_KINDS];
    /* any thread */
    atomic_int published;            /* push gate: set and cleared at the call */
    atomic_int pending;              /* events queued for this receiver */
    atomic_int rtp_codec;            /* RTP transport: codec of our video stream, 0 = none */
    _Atomic(struct agora_video_encoder *) encoder; /* raw frames' encoder (video_encoder.h),
                                     * created at the first raw push or configuration */
    _Atomic uint64_t pushed_frames, pushed_encoded, sent_frames, received_frames,
        received_encoded, raw_not_encoded, encoded_not_decoded, dropped_backlog, intra_requests, encoded_frames, decoded_frames;
    /* I/O thread only */
    int hub_published;               /* video published, as the hub sees it */
    int all_mode;                    /* mode for senders without an entry */
    int64_t all_since_ms;            /* when all_mode was set */
    agora_video_sub *subs;           /* explicit per-user modes */
    int nsubs, cap;
    agora_video_seen *seen;          /* first frame reported (on_first_remote_video_frame) */
    int nseen, seen_cap;
    /* delivery thread only: encoded video of senders decoded for the frame observer */
    agora_video_dec_slot dec[AGORA_VIDEO_MAX_DECODERS];
    int dec_next;                    /* the slot a new sender takes */
} agora_conn_video;

static inline void agora_video_count(_Atomic uint64_t *n)
{
    atomic_fetch_add_explicit(n, 1, memory_order_relaxed);
}

#endif
