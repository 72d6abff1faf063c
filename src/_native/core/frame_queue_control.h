/* The engine's side of a frame queue (agora_rtc/frame_queue.h is the
 * consumer's side): limits, the wake-up hook and the delivery thread's pops. */
#ifndef AGORA_RTC_FRAME_QUEUE_CONTROL_H
#define AGORA_RTC_FRAME_QUEUE_CONTROL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/frame_queue.h"

void agora_frame_queue_set_max_frames(agora_frame_queue *q, size_t max_frames);
/* notify(arg) runs under the queue's lock whenever the consumer is woken;
 * seq_source numbers the frames (NULL: the queue's own count). */
void agora_frame_queue_set_notify(agora_frame_queue *q, void (*notify)(void *), void *arg,
                                  atomic_uint_least64_t *seq_source);
/* Frames pushed from now on carry gen. */
void agora_frame_queue_set_gen(agora_frame_queue *q, unsigned gen);
/* 1 and the head's seq in *seq when a frame waits, else 0 (then, as with
 * agora_frame_queue_pop, the next push wakes the consumer again). */
int agora_frame_queue_head_seq(agora_frame_queue *q, uint64_t *seq);
/* The head when its seq is below seq, else NULL (when none waits, as with
 * agora_frame_queue_pop, the next push wakes the consumer again). */
agora_queued_frame *agora_frame_queue_pop_before(agora_frame_queue *q, uint64_t seq);
long agora_frame_queue_waiting(agora_frame_queue *q);
/* Free every waiting frame and carried byte, zero the counters, reopen. */
void agora_frame_queue_reset(agora_frame_queue *q);

#endif
