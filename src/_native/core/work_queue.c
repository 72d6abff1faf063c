#include "core/work_queue.h"

static int init(agora_workq *q, int with_fd)
{
    q->head = q->tail = NULL;
    q->length = 0;
    q->closed = 0;
    atomic_init(&q->nonempty, 0);
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return -1;
    if (agora_wakeup_init(&q->wake, with_fd) != 0) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

int agora_workq_init(agora_workq *q)
{
    return init(q, 0);
}

int agora_workq_init_signal(agora_workq *q)
{
    return init(q, 1);
}

int agora_workq_fd(const agora_workq *q)
{
    return agora_wakeup_fd(&q->wake);
}

void agora_workq_destroy(agora_workq *q)
{
    agora_wakeup_destroy(&q->wake);
    pthread_mutex_destroy(&q->mu);
}

void agora_workq_push_list(agora_workq *q, agora_qnode *first, agora_qnode *last, size_t count)
{
    if (!first)
        return;
    last->next = NULL;
    pthread_mutex_lock(&q->mu);
    int was_empty = q->head == NULL;
    if (q->tail)
        q->tail->next = first;
    else
        q->head = first;
    q->tail = last;
    q->length += count;
    atomic_store_explicit(&q->nonempty, 1, memory_order_release);
    if (was_empty)
        agora_wakeup_signal(&q->wake);
    else
        pthread_cond_signal(&q->wake.cv);
    pthread_mutex_unlock(&q->mu);
}

void agora_workq_push(agora_workq *q, agora_qnode *node)
{
    agora_workq_push_list(q, node, node, 1);
}

/* Caller holds q->mu: the whole backlog, the queue left empty. */
static agora_qnode *take_locked(agora_workq *q)
{
    agora_qnode *all = q->head;
    q->head = q->tail = NULL;
    q->length = 0;
    atomic_store_explicit(&q->nonempty, 0, memory_order_relaxed);
    return all;
}

agora_qnode *agora_workq_take_all(agora_workq *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed)
        pthread_cond_wait(&q->wake.cv, &q->mu);
    agora_qnode *all = take_locked(q);
    pthread_mutex_unlock(&q->mu);
    return all;
}

agora_qnode *agora_workq_poll(agora_workq *q, int *closed)
{
    pthread_mutex_lock(&q->mu);
    agora_wakeup_clear(&q->wake);
    agora_qnode *all = take_locked(q);
    *closed = q->closed;
    pthread_mutex_unlock(&q->mu);
    return all;
}

int agora_workq_pending(agora_workq *q)
{
    return atomic_load_explicit(&q->nonempty, memory_order_acquire);
}

void agora_workq_close(agora_workq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    agora_wakeup_broadcast(&q->wake);
    pthread_mutex_unlock(&q->mu);
}
