#include "work_queue.h"

int agora_workq_init(agora_workq *q)
{
    q->head = q->tail = NULL;
    q->length = 0;
    q->closed = 0;
    if (pthread_mutex_init(&q->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        return -1;
    }
    return 0;
}

void agora_workq_destroy(agora_workq *q)
{
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
}

void agora_workq_push_list(agora_workq *q, agora_qnode *first, agora_qnode *last, size_t count)
{
    if (!first)
        return;
    last->next = NULL;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = first;
    else
        q->head = first;
    q->tail = last;
    q->length += count;
    pthread_cond_signal(&q->cv);
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
    pthread_mutex_unlock(&q->mu);
    return all;
}

void agora_workq_close(agora_workq *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}
