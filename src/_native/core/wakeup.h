/* How a queue wakes its one consumer, shared by the work queue and the frame
 * queue: a condition variable for a consumer that blocks on the queue, and an
 * optional eventfd for one that waits in epoll / poll with other descriptors.
 * Every call but init / destroy / fd is made under the queue's own mutex.
 *
 * The eventfd is written at most once until the consumer clears it
 * (`signalled`), so it never overflows and a consumer that reads it, then
 * takes what waits, misses nothing: a push after the clear writes it again. */
#ifndef AGORA_RTC_WAKEUP_H
#define AGORA_RTC_WAKEUP_H

#include <pthread.h>

typedef struct agora_wakeup {
    pthread_cond_t cv;
    int efd;                   /* -1 without an eventfd */
    int signalled;             /* the eventfd holds a count the consumer has not read */
} agora_wakeup;

/* 0, or -1 when the condition variable or the (non-blocking) eventfd failed. */
int agora_wakeup_init(agora_wakeup *w, int with_fd);
void agora_wakeup_destroy(agora_wakeup *w);
/* The eventfd, or -1. */
int agora_wakeup_fd(const agora_wakeup *w);
/* Wake one blocked consumer and make the eventfd readable. */
void agora_wakeup_signal(agora_wakeup *w);
/* Wake every blocked consumer and make the eventfd readable (close). */
void agora_wakeup_broadcast(agora_wakeup *w);
/* The consumer saw the wake-up: read the eventfd, so the next signal writes it again. */
void agora_wakeup_clear(agora_wakeup *w);

#endif
