/* A blocking multi-producer, single-consumer queue of intrusive nodes.
 * Consumers take the whole backlog at once, so a busy consumer pays one lock
 * per batch rather than one per item.
 *
 * Optional eventfd signal (agora_workq_init_signal): a push onto an empty
 * queue (and close) also makes the eventfd readable (core/wakeup.h), so a
 * consumer can wait on the queue together with sockets and timers in epoll.
 * agora_workq_poll clears the eventfd as it takes the backlog: anything pushed
 * after that writes it again, so no item is ever left behind without a wake-up. */
#ifndef AGORA_RTC_WORK_QUEUE_H
#define AGORA_RTC_WORK_QUEUE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include "core/wakeup.h"

typedef struct agora_qnode {
    struct agora_qnode *next;
} agora_qnode;

typedef struct agora_workq {
    pthread_mutex_t mu;
    agora_wakeup wake;   /* of the consumer, with an eventfd when made by init_signal */
    agora_qnode *head;
    agora_qnode *tail;
    size_t length;
    int closed;
    atomic_int nonempty; /* head != NULL, readable without the lock (agora_workq_pending) */
} agora_workq;

int agora_workq_init(agora_workq *q);
/* As agora_workq_init, plus a non-blocking eventfd (agora_workq_fd) that is
 * signalled as described above; destroy closes it. */
int agora_workq_init_signal(agora_workq *q);
/* The eventfd of a queue made with agora_workq_init_signal, else -1. */
int agora_workq_fd(const agora_workq *q);
void agora_workq_destroy(agora_workq *q);
/* Append one node or a pre-linked list [first..last]. Never blocks on the consumer. */
void agora_workq_push_list(agora_workq *q, agora_qnode *first, agora_qnode *last, size_t count);
void agora_workq_push(agora_workq *q, agora_qnode *node);
/* Block until something is queued or the queue is closed; return the whole
 * backlog in order (NULL only when closed and empty). */
agora_qnode *agora_workq_take_all(agora_workq *q);
/* Non-blocking take_all: the whole backlog (NULL when empty); *closed is set
 * to 1 when the queue has been closed. Drains the eventfd, if any. */
agora_qnode *agora_workq_poll(agora_workq *q, int *closed);
/* 1 when something is queued: one atomic load, no lock (a consumer busy with
 * other work checks it between items; a push it misses is seen at the next check). */
int agora_workq_pending(agora_workq *q);
/* Wake the consumer and make take_all return NULL once the backlog is empty. */
void agora_workq_close(agora_workq *q);

#endif
