/* The bounded frame queue (agora_rtc/frame_queue.h): one FIFO of frames in
 * push order, plus per remote user the same frames in a second list and the
 * audio they hold, so the overflow policy can drop a user's oldest droppable
 * frame in O(1) and carry its VAD bytes to a neighbour. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "agora_rtc/errors.h"
#include "agora_rtc/frame_queue.h"
#include "core/frame_queue_control.h"
#include "core/monotonic_clock.h"
#include "core/uid_set.h"
#include "core/wait_deadline.h"
#include "core/wakeup.h"

typedef struct fq_user fq_user;

/* A queued frame: the public part first (agora_queued_frame_free takes it). */
typedef struct fq_node {
    agora_queued_frame f;          /* f.next: the next frame in push order */
    struct fq_node *prev;
    struct fq_node *unext, *uprev; /* the same user's frames */
    fq_user *user;
    int64_t dur_us;
    /* VAD bytes of later speaking frames of this user that were dropped (appended) */
    uint8_t *extra;
    size_t extra_len, extra_cap;
    uint8_t *joined;               /* f.vad_bytes once carry/extra were joined to it */
} fq_node;

/* One remote user with frames waiting (or VAD bytes carried). */
struct fq_user {
    fq_user *hnext;
    char id[AGORA_MAX_ID_LEN + 1];
    fq_node *head, *tail;
    size_t count;
    int64_t us;                    /* audio waiting */
    /* VAD bytes of this user's dropped oldest frames: prepended to the next frame taken */
    uint8_t *carry;
    size_t carry_len, carry_cap;
};

#define NBUCKETS_MIN 16

struct agora_frame_queue {
    pthread_mutex_t mu;
    agora_wakeup wake;         /* of the consumer: condition variable and eventfd */
    fq_node *head, *tail;
    size_t max_frames;
    int limit_ms;
    int closed;
    int woken;                 /* the consumer was woken for the frames waiting now */
    agora_frame_queue_stats stats;
    fq_user **buckets;
    size_t nbuckets, nusers;
    unsigned gen;
    atomic_uint_least64_t *seq_source; /* NULL: the queue counts itself */
    uint64_t own_seq;
    void (*notify)(void *arg); /* called (under mu) whenever the consumer is woken */
    void *notify_arg;
    int64_t last_warn_ns;
    int warn_pending;
};

agora_frame_queue *agora_frame_queue_create(size_t max_frames)
{
    if (max_frames == 0)
        return NULL;
    agora_frame_queue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->max_frames = max_frames;
    q->limit_ms = AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS;
    q->nbuckets = NBUCKETS_MIN;
    q->buckets = calloc(q->nbuckets, sizeof(*q->buckets));
    if (!q->buckets || pthread_mutex_init(&q->mu, NULL) != 0) {
        free(q->buckets);
        free(q);
        return NULL;
    }
    if (agora_wakeup_init(&q->wake, 1) != 0) {
        pthread_mutex_destroy(&q->mu);
        free(q->buckets);
        free(q);
        return NULL;
    }
    return q;
}

int agora_frame_queue_set_backlog_limit(agora_frame_queue *q, int limit_ms)
{
    if (!q || limit_ms < 10)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&q->mu);
    q->limit_ms = limit_ms;
    pthread_mutex_unlock(&q->mu);
    return AGORA_OK;
}

void agora_frame_queue_set_max_frames(agora_frame_queue *q, size_t max_frames)
{
    pthread_mutex_lock(&q->mu);
    q->max_frames = max_frames ? max_frames : 1;
    pthread_mutex_unlock(&q->mu);
}

void agora_frame_queue_set_notify(agora_frame_queue *q, void (*notify)(void *), void *arg,
                                  atomic_uint_least64_t *seq_source)
{
    pthread_mutex_lock(&q->mu);
    q->notify = notify;
    q->notify_arg = arg;
    q->seq_source = seq_source;
    pthread_mutex_unlock(&q->mu);
}

void agora_frame_queue_set_gen(agora_frame_queue *q, unsigned gen)
{
    pthread_mutex_lock(&q->mu);
    q->gen = gen;
    pthread_mutex_unlock(&q->mu);
}

void agora_queued_frame_free(agora_queued_frame *f)
{
    if (!f)
        return;
    fq_node *n = (fq_node *)f;
    free(n->extra);
    free(n->joined);
    free(n);
}

static int append_bytes(uint8_t **buf, size_t *len, size_t *cap, const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    if (*len + n > *cap) {
        size_t c = *cap ? *cap : 1024;
        while (c < *len + n)
            c *= 2;
        uint8_t *b = realloc(*buf, c);
        if (!b)
            return -1;
        *buf = b;
        *cap = c;
    }
    memcpy(*buf + *len, data, n);
    *len += n;
    return 0;
}

/* ---- users ---- */

static size_t hash_id(const char *s)
{
    size_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void grow_buckets(agora_frame_queue *q)
{
    size_t nb = q->nbuckets * 2;
    fq_user **b = calloc(nb, sizeof(*b));
    if (!b)
        return; /* longer chains, still correct */
    for (size_t i = 0; i < q->nbuckets; i++) {
        fq_user *u = q->buckets[i];
        while (u) {
            fq_user *next = u->hnext;
            size_t k = hash_id(u->id) & (nb - 1);
            u->hnext = b[k];
            b[k] = u;
            u = next;
        }
    }
    free(q->buckets);
    q->buckets = b;
    q->nbuckets = nb;
}

static fq_user *find_user(agora_frame_queue *q, const char *id, int create)
{
    size_t k = hash_id(id) & (q->nbuckets - 1);
    for (fq_user *u = q->buckets[k]; u; u = u->hnext)
        if (strcmp(u->id, id) == 0)
            return u;
    if (!create)
        return NULL;
    fq_user *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    agora_copy_id(u->id, id);
    u->hnext = q->buckets[k];
    q->buckets[k] = u;
    if (++q->nusers > q->nbuckets)
        grow_buckets(q);
    return u;
}

/* Forget u once nothing of it waits. */
static void user_maybe_free(agora_frame_queue *q, fq_user *u)
{
    if (u->count > 0 || u->carry_len > 0)
        return;
    size_t k = hash_id(u->id) & (q->nbuckets - 1);
    for (fq_user **p = &q->buckets[k]; *p; p = &(*p)->hnext) {
        if (*p == u) {
            *p = u->hnext;
            break;
        }
    }
    q->nusers--;
    free(u->carry);
    free(u);
}

static void free_users(agora_frame_queue *q)
{
    for (size_t i = 0; i < q->nbuckets; i++) {
        fq_user *u = q->buckets[i];
        while (u) {
            fq_user *next = u->hnext;
            free(u->carry);
            free(u);
            u = next;
        }
        q->buckets[i] = NULL;
    }
    q->nusers = 0;
}

/* ---- lists ---- */

static void unlink_node(agora_frame_queue *q, fq_node *n)
{
    fq_node *next = (fq_node *)n->f.next;
    if (n->prev)
        n->prev->f.next = &next->f;
    else
        q->head = next;
    if (next)
        next->prev = n->prev;
    else
        q->tail = n->prev;
    fq_user *u = n->user;
    if (n->uprev)
        n->uprev->unext = n->unext;
    else
        u->head = n->unext;
    if (n->unext)
        n->unext->uprev = n->uprev;
    else
        u->tail = n->uprev;
    u->count--;
    u->us -= n->dur_us;
    q->stats.waiting--;
    n->f.next = NULL;
    n->prev = n->unext = n->uprev = NULL;
}

static int droppable(const fq_node *n)
{
    if (!n->unext)
        return 0; /* the freshest frame of its user stays */
    int s = n->f.vad_state;
    if (s < 0 || s == AGORA_VAD_NOT_SPEAKING)
        return 1;
    int next = n->unext->f.vad_state;
    return s == AGORA_VAD_SPEAKING && (next == AGORA_VAD_SPEAKING || next == AGORA_VAD_STOP_SPEAKING);
}

static void note_drop(agora_frame_queue *q)
{
    q->stats.dropped++;
    int64_t now = agora_monotonic_ns();
    if (!q->warn_pending && (q->last_warn_ns == 0 ||
                             now - q->last_warn_ns >= AGORA_FRAME_QUEUE_WARN_INTERVAL_MS * 1000000LL)) {
        q->warn_pending = 1;
        q->last_warn_ns = now;
    }
}

/* Drop waiting frame n (droppable); a speaking frame's VAD bytes go on with
 * the previous waiting frame of its user, or with the next one taken. */
static void drop_node(agora_frame_queue *q, fq_node *n)
{
    fq_user *u = n->user;
    if (n->f.vad_state == AGORA_VAD_SPEAKING) {
        uint8_t **buf = n->uprev ? &n->uprev->extra : &u->carry;
        size_t *len = n->uprev ? &n->uprev->extra_len : &u->carry_len;
        size_t *cap = n->uprev ? &n->uprev->extra_cap : &u->carry_cap;
        /* out of memory: the bytes are lost, but the frame is still counted as dropped */
        if (append_bytes(buf, len, cap, n->f.vad_bytes, n->f.vad_length) == 0)
            append_bytes(buf, len, cap, n->extra, n->extra_len);
        q->stats.merged++;
    }
    unlink_node(q, n);
    q->stats.pushed--;
    note_drop(q);
    agora_queued_frame_free(&n->f);
}

static fq_node *oldest_droppable_of(fq_user *u)
{
    for (fq_node *n = u->head; n; n = n->unext)
        if (droppable(n))
            return n;
    return NULL;
}

#define SCAN_LIMIT 256

static fq_node *oldest_droppable(agora_frame_queue *q)
{
    int k = 0;
    for (fq_node *n = q->head; n && k < SCAN_LIMIT; n = (fq_node *)n->f.next, k++)
        if (droppable(n))
            return n;
    return NULL;
}

/* ---- producer ---- */

/* The consumer is woken once per backlog: when a receive run that pushed
 * frames ends (frames_done), or earlier once WAKE_BATCH frames wait, so a
 * long run still streams out. */
#define WAKE_BATCH 64

static void wake_locked(agora_frame_queue *q)
{
    q->woken = 1;
    agora_wakeup_signal(&q->wake);
    if (q->notify)
        q->notify(q->notify_arg);
}

static void frames_done(void *ud)
{
    agora_frame_queue *q = ud;
    pthread_mutex_lock(&q->mu);
    if (q->head && !q->woken)
        wake_locked(q);
    pthread_mutex_unlock(&q->mu);
}

/* Append n (n->dur_us set, f filled) for user_id and apply the overflow
 * policy; the consumer is woken at once with wake_now, else once per run. */
static void enqueue(agora_frame_queue *q, fq_node *n, const char *user_id, int wake_now)
{
    pthread_mutex_lock(&q->mu);
    fq_user *u = n && !q->closed ? find_user(q, user_id, 1) : NULL;
    if (!u) {
        note_drop(q);
        pthread_mutex_unlock(&q->mu);
        free(n);
        return;
    }
    n->f.seq = q->seq_source ? atomic_fetch_add(q->seq_source, 1) : ++q->own_seq;
    n->f.gen = q->gen;
    n->f.queued_ns = agora_monotonic_ns();
    n->user = u;
    n->prev = q->tail;
    if (q->tail)
        q->tail->f.next = &n->f;
    else
        q->head = n;
    q->tail = n;
    n->uprev = u->tail;
    if (u->tail)
        u->tail->unext = n;
    else
        u->head = n;
    u->tail = n;
    u->count++;
    u->us += n->dur_us;
    q->stats.pushed++;
    q->stats.waiting++;

    /* the freshest audio stays: the oldest droppable frames go */
    fq_node *v;
    while (u->us > (int64_t)q->limit_ms * 1000 && (v = oldest_droppable_of(u)) != NULL)
        drop_node(q, v);
    while (q->stats.waiting > q->max_frames &&
           ((v = oldest_droppable(q)) != NULL || (v = oldest_droppable_of(u)) != NULL))
        drop_node(q, v);

    if (!q->woken && (wake_now || q->stats.waiting >= WAKE_BATCH))
        wake_locked(q);
    pthread_mutex_unlock(&q->mu);
}

/* Called on a receive thread for every frame: one allocation, one copy,
 * one lock, and the overflow policy. */
static void push_frame(void *ud, const char *channel_id, const char *user_id,
                       const agora_audio_frame *frame, const agora_vad_result *vad)
{
    agora_frame_queue *q = ud;
    size_t pcm = sizeof(int16_t) * (size_t)frame->samples_per_channel * (size_t)frame->channels;
    size_t vlen = vad ? vad->length : 0;

    fq_node *n = calloc(1, sizeof(*n) + pcm + vlen);
    if (n) {
        uint8_t *data = (uint8_t *)(n + 1);
        agora_queued_frame *f = &n->f;
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
        n->dur_us = frame->samples_per_sec > 0
                        ? (int64_t)frame->samples_per_channel * 1000000 / frame->samples_per_sec
                        : 10000;
    }
    enqueue(q, n, user_id, 0);
}

void agora_frame_queue_push_packet(agora_frame_queue *q, const char *user_id, const uint8_t *data,
                                   size_t length, const agora_encoded_audio_info *info)
{
    fq_node *n = calloc(1, sizeof(*n) + length);
    if (n) {
        uint8_t *bytes = (uint8_t *)(n + 1);
        agora_queued_frame *f = &n->f;
        agora_copy_id(f->user_id, user_id);
        memcpy(bytes, data, length);
        f->vad_state = -1;
        f->vad_bytes = bytes;   /* (no VAD bytes: length 0) */
        f->packet = bytes;
        f->packet_length = length;
        f->packet_info = *info;
        n->dur_us = info->sample_rate > 0
                        ? (int64_t)info->samples_per_channel * 1000000 / info->sample_rate
                        : 10000;
    }
    enqueue(q, n, user_id, 1);
}

void agora_frame_queue_observer(agora_frame_queue *q, agora_audio_frame_observer *out)
{
    memset(out, 0, sizeof(*out));
    out->user_data = q;
    out->on_playback_audio_frame_before_mixing = push_frame;
    out->any_thread = 1; /* push_frame only locks the queue and never waits */
    out->on_frames_done = frames_done;
}

/* ---- consumer ---- */

int agora_frame_queue_fd(const agora_frame_queue *q)
{
    return q ? agora_wakeup_fd(&q->wake) : -1;
}

/* Caller holds mu: nothing waits; the next push wakes the consumer again. */
static void rearm_locked(agora_frame_queue *q)
{
    q->woken = 0;
    agora_wakeup_clear(&q->wake);
}

long agora_frame_queue_wait(agora_frame_queue *q, int timeout_ms)
{
    struct timespec deadline = agora_wait_deadline(timeout_ms); /* used when timeout_ms >= 0 */
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->closed) {
        rearm_locked(q); /* found empty: the next push wakes us (a pass may have taken all) */
        if (timeout_ms < 0) {
            pthread_cond_wait(&q->wake.cv, &q->mu);
        } else if (pthread_cond_timedwait(&q->wake.cv, &q->mu, &deadline) == ETIMEDOUT) {
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
    agora_queued_frame *all = q->head ? &q->head->f : NULL;
    if (all) {
        q->stats.taken += q->stats.waiting;
        q->stats.batches++;
    }
    for (fq_node *n = q->head; n; n = (fq_node *)n->f.next) {
        n->prev = n->unext = n->uprev = NULL;
        n->user = NULL;
    }
    q->head = q->tail = NULL;
    q->stats.waiting = 0;
    free_users(q); /* carried VAD bytes go with the frames */
    rearm_locked(q);
    pthread_mutex_unlock(&q->mu);
    return all;
}

long agora_frame_queue_begin_batch(agora_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    long n = (long)q->stats.waiting;
    if (n > 0)
        q->stats.batches++;
    else
        rearm_locked(q); /* as pop: clear the eventfd, the next push wakes the consumer */
    pthread_mutex_unlock(&q->mu);
    return n;
}

/* Caller holds mu; n is the head. */
static agora_queued_frame *take_head_locked(agora_frame_queue *q, fq_node *n)
{
    fq_user *u = n->user;
    unlink_node(q, n);
    q->stats.taken++;
    int64_t age = (agora_monotonic_ns() - n->f.queued_ns) / 1000000;
    if (age > q->stats.peak_backlog_ms)
        q->stats.peak_backlog_ms = age;
    if (u->carry_len > 0 || n->extra_len > 0) {
        size_t total = u->carry_len + n->f.vad_length + n->extra_len;
        uint8_t *b = malloc(total ? total : 1);
        if (b) {
            if (u->carry_len) /* (memcpy's pointers must be valid even for 0 bytes) */
                memcpy(b, u->carry, u->carry_len);
            if (n->f.vad_length)
                memcpy(b + u->carry_len, n->f.vad_bytes, n->f.vad_length);
            if (n->extra_len)
                memcpy(b + u->carry_len + n->f.vad_length, n->extra, n->extra_len);
            n->joined = b;
            n->f.vad_bytes = b;
            n->f.vad_length = total;
        }
        u->carry_len = 0;
        free(n->extra);
        n->extra = NULL;
        n->extra_len = n->extra_cap = 0;
    }
    user_maybe_free(q, u);
    n->user = NULL;
    if (!q->head)
        rearm_locked(q); /* emptied: quiet now, so the consumer makes no empty pass; the next push wakes it */
    if (q->warn_pending) {
        n->f.warn = 1;
        q->warn_pending = 0;
    }
    return &n->f;
}

agora_queued_frame *agora_frame_queue_pop(agora_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    agora_queued_frame *f = NULL;
    if (q->head)
        f = take_head_locked(q, q->head);
    else
        rearm_locked(q);
    pthread_mutex_unlock(&q->mu);
    return f;
}

int agora_frame_queue_head_seq(agora_frame_queue *q, uint64_t *seq)
{
    pthread_mutex_lock(&q->mu);
    int any = q->head != NULL;
    if (any)
        *seq = q->head->f.seq;
    else
        rearm_locked(q); /* as pop: the next push wakes the consumer again */
    pthread_mutex_unlock(&q->mu);
    return any;
}

agora_queued_frame *agora_frame_queue_pop_before(agora_frame_queue *q, uint64_t seq)
{
    pthread_mutex_lock(&q->mu);
    agora_queued_frame *f = NULL;
    if (q->head && q->head->f.seq < seq)
        f = take_head_locked(q, q->head);
    else if (!q->head)
        rearm_locked(q); /* as pop: the next push wakes the consumer again */
    pthread_mutex_unlock(&q->mu);
    return f;
}

long agora_frame_queue_waiting(agora_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    long n = (long)q->stats.waiting;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void free_nodes(fq_node *n)
{
    while (n) {
        fq_node *next = (fq_node *)n->f.next;
        agora_queued_frame_free(&n->f);
        n = next;
    }
}

void agora_frame_queue_reset(agora_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    fq_node *all = q->head;
    q->head = q->tail = NULL;
    free_users(q);
    size_t max_frames = q->max_frames;
    int limit = q->limit_ms;
    memset(&q->stats, 0, sizeof(q->stats));
    q->max_frames = max_frames;
    q->limit_ms = limit;
    q->warn_pending = 0;
    q->last_warn_ns = 0;
    q->closed = 0;
    rearm_locked(q);
    pthread_mutex_unlock(&q->mu);
    free_nodes(all);
}

void agora_frame_queue_destroy(agora_frame_queue *q)
{
    if (!q)
        return;
    free_nodes(q->head);
    free_users(q);
    free(q->buckets);
    agora_wakeup_destroy(&q->wake);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

void agora_frame_queue_close(agora_frame_queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closed = 1;
    agora_wakeup_broadcast(&q->wake);
    pthread_mutex_unlock(&q->mu);
}

void agora_frame_queue_get_stats(agora_frame_queue *q, agora_frame_queue_stats *out)
{
    pthread_mutex_lock(&q->mu);
    *out = q->stats;
    int64_t now = agora_monotonic_ns();
    out->backlog_ms = q->head ? (now - q->head->f.queued_ns) / 1000000 : 0;
    int64_t most = 0;
    for (size_t i = 0; i < q->nbuckets; i++)
        for (fq_user *u = q->buckets[i]; u; u = u->hnext)
            if (u->us > most)
                most = u->us;
    out->user_backlog_ms = most / 1000;
    out->backlog_limit_ms = q->limit_ms;
    out->max_frames = q->max_frames;
    pthread_mutex_unlock(&q->mu);
}
