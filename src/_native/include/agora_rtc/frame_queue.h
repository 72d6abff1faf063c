/* A bounded queue of received audio frames.
 *
 * The engine's receive threads push into it as they make each frame, through
 * the observer table that agora_frame_queue_observer() fills (pure C, any
 * thread: no GIL, no user code, no waiting), and one consumer (the engine's
 * delivery thread in "direct" dispatch, a Python dispatcher thread, or an
 * asyncio loop woken through the eventfd) takes the frames in order. The
 * consumer is woken once per receive run (every 10 ms tick, or every 256
 * streams of a tick), or as soon as 64 frames wait.
 *
 * Overflow policy (for voice): the freshest audio is kept. When one remote
 * user has more than the backlog limit (agora_frame_queue_set_backlog_limit)
 * of audio waiting, or the queue more than max_frames frames, the OLDEST
 * droppable frame of that user (of the queue) is dropped. Droppable: a frame
 * with a newer frame of the same user waiting behind it, and VAD state -1
 * (no VAD), 0 (silent), or 2 (speaking) followed by 2 or 3. A dropped
 * speaking frame's VAD bytes are never lost: they are appended to the
 * previous waiting frame of that user, or prepended to the next one taken,
 * so the bytes handed to ASR stay complete and in order. VAD start (1) and
 * stop (3) frames are never dropped. Drops are counted; each frame taken
 * carries a warn flag at most every AGORA_FRAME_QUEUE_WARN_INTERVAL_MS after
 * a drop, for the consumer to report the slow observer. */
#ifndef AGORA_RTC_FRAME_QUEUE_H
#define AGORA_RTC_FRAME_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/audio_frame.h"
#include "agora_rtc/connection.h"
#include "agora_rtc/vad.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AGORA_FRAME_QUEUE_WARN_INTERVAL_MS 10000

typedef struct agora_queued_frame {
    struct agora_queued_frame *next;  /* take_all's list; NULL from agora_frame_queue_pop */
    char channel_id[AGORA_MAX_ID_LEN + 1];
    char user_id[AGORA_MAX_ID_LEN + 1];
    agora_audio_frame frame;   /* frame.buffer points into this block */
    int vad_state;             /* -1 when VAD is off */
    const uint8_t *vad_bytes;  /* points into this block */
    size_t vad_length;
    uint64_t seq;              /* push order (the engine's event order for direct delivery) */
    int64_t queued_ns;         /* engine clock when it was queued */
    unsigned gen;              /* the queue's generation when it was queued */
    int warn;                  /* 1: frames were dropped since the last warning: report them */
    /* an encoded packet (agora_frame_queue_push_packet): its bytes (in this
     * block) and info; packet_length 0 for a PCM frame */
    const uint8_t *packet;
    size_t packet_length;
    agora_encoded_audio_info packet_info;
    /* pcm, then vad bytes (or the packet), follow in the same allocation (internal fields too) */
} agora_queued_frame;

typedef struct agora_frame_queue agora_frame_queue;

typedef struct agora_frame_queue_stats {
    uint64_t pushed;    /* frames accepted and kept: pushed = taken + waiting */
    uint64_t dropped;   /* frames not delivered: refused (closed, out of memory) or dropped by
                         * the overflow policy; pushed + dropped = frames offered */
    uint64_t taken;     /* frames handed to the consumer */
    uint64_t waiting;   /* frames queued now */
    uint64_t batches;   /* take_all / begin_batch calls that found frames */
    uint64_t merged;    /* of dropped: speaking frames whose VAD bytes went on with a neighbour */
    int64_t backlog_ms; /* age of the oldest frame waiting now (0: none waits) */
    int64_t peak_backlog_ms; /* largest age a frame had when it was taken */
    int64_t user_backlog_ms; /* most audio waiting for one remote user now */
    int backlog_limit_ms;    /* audio that may wait per remote user */
    size_t max_frames;       /* frames that may wait in the queue */
} agora_frame_queue_stats;

#define AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS 1000

/* max_frames >= 1; the backlog limit starts at AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS. */
agora_frame_queue *agora_frame_queue_create(size_t max_frames);
/* Audio (ms, >= 10) that may wait per remote user before the oldest droppable frame goes. */
int agora_frame_queue_set_backlog_limit(agora_frame_queue *q, int limit_ms);
/* Closes the queue and frees it with every frame still waiting. */
void agora_frame_queue_destroy(agora_frame_queue *q);
/* An audio-frame observer table whose callback copies each frame into q. */
void agora_frame_queue_observer(agora_frame_queue *q, agora_audio_frame_observer *out);
/* Queue one encoded packet of user_id (any thread, never waits; the consumer
 * is woken at once): same policy as frames, its duration being
 * info->samples_per_channel at info->sample_rate, no VAD (droppable while a
 * newer packet of the user waits). */
void agora_frame_queue_push_packet(agora_frame_queue *q, const char *user_id, const uint8_t *data,
                                   size_t length, const agora_encoded_audio_info *info);
/* Readable (eventfd) while frames are waiting; for event loops. */
int agora_frame_queue_fd(const agora_frame_queue *q);
/* Block up to timeout_ms (-1 = forever) until frames wait or the queue is
 * closed (an empty queue is re-armed first: the next push wakes the waiter).
 * Returns the number waiting, 0 on timeout, -1 once closed and empty. */
long agora_frame_queue_wait(agora_frame_queue *q, int timeout_ms);
/* Take every waiting frame, oldest first (NULL when none); the caller frees
 * each with agora_queued_frame_free. Clears the eventfd. */
agora_queued_frame *agora_frame_queue_take_all(agora_frame_queue *q);
/* A consumer's pass: the number of frames waiting now (counts a batch when > 0);
 * take at most that many with agora_frame_queue_pop, so a pass always ends.
 * 0: nothing waits; as with pop, the eventfd is cleared and the next push
 * wakes the consumer again (a pass that took every frame left it readable). */
long agora_frame_queue_begin_batch(agora_frame_queue *q);
/* The oldest waiting frame (NULL when none: then the eventfd is cleared and the
 * next push wakes the consumer again). Frames are dropped by the overflow policy
 * only while they wait, never once taken. Free it with agora_queued_frame_free. */
agora_queued_frame *agora_frame_queue_pop(agora_frame_queue *q);
/* Frees the frame and any VAD bytes joined to it. */
void agora_queued_frame_free(agora_queued_frame *f);
/* Wake waiters; later pushes are dropped (counted). */
void agora_frame_queue_close(agora_frame_queue *q);
void agora_frame_queue_get_stats(agora_frame_queue *q, agora_frame_queue_stats *out);

/* Direct delivery of a connection (an audio-frame observer with any_thread 0):
 * the engine keeps the frames for the delivery thread in a frame queue of its
 * own, with this policy. Limits for the next registration (backlog_ms >= 10,
 * max_frames >= 1), and the counters of the current one
 * (AGORA_ERR_INVALID_STATE when the registered observer is not direct). */
int agora_rtc_conn_set_audio_delivery_limits(agora_rtc_conn *conn, int backlog_ms, size_t max_frames);
int agora_rtc_conn_get_audio_delivery_stats(agora_rtc_conn *conn, agora_frame_queue_stats *out);

/* Encoded audio delivery (agora_rtc_conn_set_encoded_audio_delivery): remote
 * packets wait for the delivery thread in a frame queue of the connection's
 * own, with the same policy (the freshest packets stay; no VAD). Limits
 * applied by the next switch-on (backlog_ms >= 10, max_frames >= 1), and the
 * counters since the last switch-on (AGORA_ERR_INVALID_STATE while off). */
int agora_rtc_conn_set_encoded_audio_delivery_limits(agora_rtc_conn *conn, int backlog_ms, size_t max_frames);
int agora_rtc_conn_get_encoded_audio_delivery_stats(agora_rtc_conn *conn, agora_frame_queue_stats *out);

#ifdef __cplusplus
}
#endif
#endif
