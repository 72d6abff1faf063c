#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "agora_rtc/errors.h"
#include "agora_rtc/frame_queue.h"
#include "engine.h"

struct agora_frame_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    agora_queued_frame *head, *tail;
    size_t max_frames;
    int closed;
    int efd;
    int signalled;             /* eventfd holds a count the consumer has not read */
    int woken;                 /* the consumer was woken for the frames waiting now */
    agora_frame_queue_stats stats;
};

agora_frame_queue *agora_frame_queue_create(size_t max_frames)
{
    if (max_frames == 0)
        return NULL;
    agora_frame_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->max_frames = max_frames;
    q->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (q->efd < 0 || pthread_mutex_init(&q->mu, NULL) != 0) {
        if (q->efd >= 0)
            close(q->efd);
        free(q);
        return NULL;
    }
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        close(q->efd);
        free(q);
        return NULL;
    }
    return q;
}

void agora_queued_frame_free(agora_queued_frame *f)
{
    free(f);
}

static void free_list(agora_queued_frame *f)
{
    while (f) {
        agora_queued_frame *n = f->next;
        free(f);
        f = n;
    }
}

void agora_frame_queue_destroy(agora_frame_queue *q)
{
    if (!q)
        return;
    free_list(q->head);
    close(q->efd);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

static void signal_fd(agora_frame_queue *q)
{
    if (!q->signalled) {
        uint64_t one = 1;
        if (write(q->efd, &one, sizeof(one)) == (ssize_t)sizeof(one))
            q->signalled = 1;
    }
}

/* The consumer is woken once per backlog (it always takes the whole
 * backlog): when a receive run that pushed frames ends (frames_done), or
 * earlier once WAKE_BATCH frames wait, so a long run still streams out. */
#define WAKE_BATCH 64

static void wake_locked(agora_frame_queue *q)
{
    q->woken = 1;
    signal_fd(q);
    pthread_cond_signal(&q->cv);
}

static void frames_done(void *ud)
{
    agora_frame_queue *q = ud;
    pthread_mutex_lock(&q->mu);
    if (q->head && !q->woken)
        wake_locked(q);
    pthread_mutex_unlock(&q->mu);
}

/* Called on a receive thread for every frame: one allocation, one copy,
 * one lock. */
static void push_frame(void *ud, const char *channel_id, const char *user_id,
                       const agora_audio_frame *frame, const agora_vad_result *vad)
{
    agora_frame_queue *q = ud;
    size_t pcm = sizeof(int16_t) * (size_t)frame->samples_per_channel * (size_t)frame->channels;
    size_t vlen = vad ? vad->length : 0;

    agora_queued_frame *f = malloc(sizeof(*f) + pcm + vlen);
    if (f) {
        uint8_t *data = (uint8_t *)(f + 1);
        f->next = NULL;
        agora_copy_id(f->channel_id, channel_id);
        agora_copy_id(f->user_id, user_id);
        f->frame = *frame;
        memcpy(data, frame->buffer, pcm);
        f->frame.buffer = (const int16_t *)data;
        f->vad_state = vad ? vad->state : -1;
        f->vad_length = vlen;
        if (vlen)
            memcpy(data + pcm, vad->bytes, vlen);
        f->vad_bytes = data + pcm;
    }

    pthread_mutex_lock(&q->mu);
    if (!f || q->closed || q->stats.waiting >= q->max_frames) {
        q->stats.dropped++;
        pthread_mutex_unlock(&q->mu);
        free(f);
        return;
    }
    if (q->tail)
        q->tail->next = f;
    else
        q->head = f;
    q->tail = f;
    q->stats.pushed++;
    q->stats.waiting++;
    if (!q->woken && q->stats.waiting >= WAKE_BATCH)
        wake_locked(q);
    pthread_mutex_unlock(&q->mu);
}

void agora_frame_queue_observer(agora_frame_queue *q, agora_audio_frame_observer *out)
{
    memset(out, 0, sizeof(*out));
    out->user_data = q;
    out->on_playback_audio_frame_before_mixing = push_frame;
    out->any_thread = 1; /* push_frame only locks the queue and never waits */
    out->on_frames_done = frames_done;
}

int agora_frame_queue_fd(const agora_frame_queue *q)
{
    return q ? q->efd : -1;
}

long agora_frame_queue_wait(agora_frame_queue *q, int timeout_ms)
{
    struct timespec deadline;
    if (timeout_ms >= 0) {
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += timeout_ms / 1000;
        deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->cv, &q->mu);
        } else if (pthread_cond_timedwait(&q->cv, &q->mu, &deadline) == ETIMEDOUT) {
            break;
        }
    }
    long n = q->head ? (long)q->stats.waiting : (q->closed ? -1 : 0);
    pthread_mutex_unlock(&q->mu);
    return n;
}

agora_queued_frame *agora_frame_queue_take_all(agora_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    agora_queued_frame *all = q->head;
    if (all) {
        q->stats.taken += q->stats.waiting;
        q->stats.batches++;
    }
    q->head = q->tail = NULL;
    q->stats.waiting = 0;
    q->woken = 0;
    if (q->signalled) {
        uint64_t v;
        if (read(q->efd, &v, sizeof(v)) == (ssize_t)sizeof(v) || errno == EAGAIN)
            q->signalled = 0;
    }
    pthread_mutex_unlock(&q->mu);
    return all;
}

void agora_frame_queue_close(agora_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    signal_fd(q);
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

void agora_frame_queue_get_stats(agora_frame_queue *q, agora_frame_queue_stats *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->stats;
    pthread_mutex_unlock(&q->mu);
}
