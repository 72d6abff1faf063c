#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "core/work_queue.h"

int agora_workq_init(agora_workq *q)
{
    q->head = q->tail = NULL;
    q->length = 0;
    q->closed = 0;
    q->efd = -1;
    atomic_init(&q->nonempty, 0);
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

int agora_workq_init_signal(agora_workq *q)
{
    if (agora_workq_init(q) != 0)
        return -1;
    q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0) {
        agora_workq_destroy(q);
        return -1;
    }
    return 0;
}

int agora_workq_fd(const agora_workq *q)
{
    return q->efd;
}

void agora_workq_destroy(agora_workq *q)
{
    if (q->efd >= 0) {
        close(q->efd);
        q->efd = -1;
    }
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

/* Caller holds q->mu. An eventfd write only fails when the counter would
 * overflow (it is already readable then) or on EINTR (retried). */
static void signal_fd(agora_workq *q)
{
    if (q->efd < 0)
        return;
    uint64_t one = 1;
    while (write(q->efd, &one, sizeof(one)) < 0 && errno == EINTR) {
    }
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
    pthread_cond_signal(&q->cv);
    if (was_empty)
        signal_fd(q);
    pthread_mutex_unlock(&q->mu);
}

void agora_workq_push(agora_workq *q, agora_qnode *node)
{
    agora_workq_push_list(q, node, node, 1);
}

agora_qnode *agora_workq_take_all(agora_workq *q)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed)
        pthread_cond_wait(&q->cv, &q->mu);
    agora_qnode *all = q->head;
    q->head = q->tail = NULL;
    q->length = 0;
    atomic_store_explicit(&q->nonempty, 0, memory_order_relaxed);
    pthread_mutex_unlock(&q->mu);
    return all;
}

agora_qnode *agora_workq_poll(agora_workq *q, int *closed)
{
    if (q->efd >= 0) {
        uint64_t v;
        while (read(q->efd, &v, sizeof(v)) < 0 && errno == EINTR) {
        }
    }
    pthread_mutex_lock(&q->mu);
    agora_qnode *all = q->head;
    q->head = q->tail = NULL;
    q->length = 0;
    atomic_store_explicit(&q->nonempty, 0, memory_order_relaxed);
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
    pthread_cond_broadcast(&q->cv);
    signal_fd(q);
    pthread_mutex_unlock(&q->mu);
}
