/* A blocking multi-producer, single-consumer queue of intrusive nodes.
 * Consumers take the whole backlog at once, so a busy consumer pays one lock
 * per batch rather than one per item. */
#ifndef AGORA_RTC_WORK_QUEUE_H
#define AGORA_RTC_WORK_QUEUE_H

#include <pthread.h>
#include <stddef.h>

typedef struct agora_qnode {
    struct agora_qnode *next;
} agora_qnode;

typedef struct agora_workq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    agora_qnode *head;
    agora_qnode *tail;
    size_t length;
    int closed;
} agora_workq;

int agora_workq_init(agora_workq *q);
void agora_workq_destroy(agora_workq *q);
/* Append one node or a pre-linked list [first..last]. Never blocks on the consumer. */
void agora_workq_push_list(agora_workq *q, agora_qnode *first, agora_qnode *last, size_t count);
void agora_workq_push(agora_workq *q, agora_qnode *node);
/* Block until something is queued or the queue is closed; return the whole
 * backlog in order (NULL only when closed and empty). */
agora_qnode *agora_workq_take_all(agora_workq *q);
/* Wake the consumer and make take_all return NULL once the backlog is empty. */
void agora_workq_close(agora_workq *q);

#endif
