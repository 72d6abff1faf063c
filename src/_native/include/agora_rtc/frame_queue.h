/* A bounded queue of received audio frames for batched (queued) delivery.
 *
 * The engine's receive threads push into it as they make each frame, through
 * the observer table that agora_frame_queue_observer() fills (pure C, any
 * thread: no GIL, no user code, no waiting), and one consumer (a Python
 * dispatcher thread, or an asyncio loop woken through the eventfd) takes the
 * whole backlog at once. The consumer is woken once per receive run (every
 * 10 ms tick, or every 256 streams of a tick), or as soon as 64 frames wait.
 * A slow consumer therefore never stalls the engine. Overflow policy: when max_frames are waiting, the
 * incoming frame is dropped and counted (the queue keeps the older, contiguous
 * audio, and the consumer can see how many frames it lost). */
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

typedef struct agora_queued_frame {
    struct agora_queued_frame *next;
    char channel_id[AGORA_MAX_ID_LEN + 1];
    char user_id[AGORA_MAX_ID_LEN + 1];
    agora_audio_frame frame;   /* frame.buffer points into this block */
    int vad_state;             /* -1 when VAD is off */
    const uint8_t *vad_bytes;  /* points into this block */
    size_t vad_length;
    /* pcm, then vad bytes, follow in the same allocation */
} agora_queued_frame;

typedef struct agora_frame_queue agora_frame_queue;

typedef struct agora_frame_queue_stats {
    uint64_t pushed;    /* frames accepted */
    uint64_t dropped;   /* frames refused because the queue was full */
    uint64_t taken;     /* frames handed to the consumer */
    uint64_t waiting;   /* frames queued now */
    uint64_t batches;   /* take_all calls that returned frames */
} agora_frame_queue_stats;

agora_frame_queue *agora_frame_queue_create(size_t max_frames);
/* Closes the queue and frees it with every frame still waiting. */
void agora_frame_queue_destroy(agora_frame_queue *q);
/* An audio-frame observer table whose callback copies each frame into q. */
void agora_frame_queue_observer(agora_frame_queue *q, agora_audio_frame_observer *out);
/* Readable (eventfd) while frames are waiting; for event loops. */
int agora_frame_queue_fd(const agora_frame_queue *q);
/* Block up to timeout_ms (-1 = forever) until frames wait or the queue is
 * closed. Returns the number waiting, 0 on timeout, -1 once closed and empty. */
long agora_frame_queue_wait(agora_frame_queue *q, int timeout_ms);
/* Take every waiting frame, oldest first (NULL when none); the caller frees
 * each with agora_queued_frame_free. Clears the eventfd. */
agora_queued_frame *agora_frame_queue_take_all(agora_frame_queue *q);
void agora_queued_frame_free(agora_queued_frame *f);
/* Wake waiters; later pushes are dropped (counted). */
void agora_frame_queue_close(agora_frame_queue *q);
void agora_frame_queue_get_stats(agora_frame_queue *q, agora_frame_queue_stats *out);

#ifdef __cplusplus
}
#endif
#endif
