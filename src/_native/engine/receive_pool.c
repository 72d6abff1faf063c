/* The receive pool (receive_pool.h): fork-join over receive-path jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/engine.h"
#include "engine/receive_pool.h"
#include "core/growable.h"

int agora_rx_pool_auto_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > 4)
        n = 4; /* beyond this the delivery side, not the receive work, is the limit */
    return (int)n;
}

typedef struct job_ctx {
    const agora_rx_job *job;
    agora_rx_events *out;
} job_ctx;

static void append(agora_rx_events *l, agora_event *ev)
{
    if (l->last)
        ((agora_event *)l->last)->node.next = &ev->node;
    else
        l->first = ev;
    l->last = ev;
    l->count++;
}

/* One 10 ms frame out of a receive path: an EV_AUDIO_FRAME event with its own
 * copy of the pcm and VAD bytes. The listener's observer was checked when the
 * job was made; the delivery thread checks it again before calling. */
static void emit_frame(void *arg, const agora_rx_path *rx, const agora_audio_frame *frame,
                       const agora_vad_result *vad)
{
    job_ctx *ctx = arg;
    const agora_rx_job *job = ctx->job;
    if (job->volume)
        agora_volume_meter_feed(job->volume, rx->uid, &frame->labels);
    if (!job->deliver)
        return;
    if (job->speech_only && (!vad || vad->state == AGORA_VAD_NOT_SPEAKING))
        return; /* filtered in C: silent users cost no observer call */
    if (job->direct.on_playback_audio_frame_before_mixing) {
        /* a native queue: no event, no copy here, no trip through the delivery thread */
        job->direct.on_playback_audio_frame_before_mixing(job->direct.user_data, job->channel_id,
                                                          rx->uid, frame, vad);
        return;
    }
    size_t pcm_bytes = sizeof(int16_t) * (size_t)frame->samples_per_channel * (size_t)frame->channels;
    size_t vad_bytes = vad ? vad->length : 0;
    agora_event *ev = agora_event_alloc(EV_AUDIO_FRAME, job->to, pcm_bytes + vad_bytes);
    if (!ev)
        return;
    agora_copy_id(ev->uid, rx->uid);
    agora_copy_id(ev->channel_id, job->channel_id);
    ev->b = (int)job->gen;
    ev->frame = *frame;
    memcpy(ev->data, frame->buffer, pcm_bytes);
    ev->frame.buffer = (const int16_t *)ev->data;
    if (vad) {
        ev->has_vad = 1;
        ev->vad.state = vad->state;
        ev->vad.length = vad_bytes;
        if (vad_bytes)
            memcpy(ev->data + pcm_bytes, vad->bytes, vad_bytes);
        ev->vad.bytes = ev->data + pcm_bytes;
    }
    append(ctx->out, ev);
}

/* Claim chunks of jobs until none is left; run the chains whose head is claimed. */
static void run_claims(agora_rx_pool *p, int part)
{
    agora_rx_events *out = &p->events[part];
    const int n = p->njobs;
    for (;;) {
        int i0 = atomic_fetch_add_explicit(&p->claim, AGORA_RX_CLAIM, memory_order_relaxed);
        if (i0 >= n)
            return;
        int i1 = i0 + AGORA_RX_CLAIM < n ? i0 + AGORA_RX_CLAIM : n;
        for (int i = i0; i < i1; i++) {
            if (!p->jobs[i].head)
                continue; /* run by the thread that claimed its chain's head */
            if (i + 1 < i1 && p->jobs[i + 1].head) /* ours too: warm it while this one runs */
                agora_rx_prefetch(p->jobs[i + 1].rx, p->jobs[i + 1].labels_hint, p->jobs[i + 1].frame);
            for (int j = i; j >= 0; j = p->jobs[j].next_same) {
                const agora_rx_job *job = &p->jobs[j];
                if (job->prepare && job->prepare(job, job->prepare_arg) <= 0)
                    continue;
                job_ctx ctx = {job, out};
                agora_rx_feed(job->rx, job->frame, job->rate, job->channels,
                              job->vad_on ? &job->vad_cfg : NULL, job->gen, job->apm_flags,
                              emit_frame, &ctx);
            }
        }
    }
}

static void *helper_main(void *arg)
{
    agora_rx_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    int part = ++p->started; /* 1..parts-1; part 0 is the I/O thread */
    unsigned seen = p->run_gen;
    for (;;) {
        while (p->run_gen == seen && !p->stop)
            pthread_cond_wait(&p->go, &p->mu);
        if (p->stop)
            break;
        seen = p->run_gen;
        if (!p->accepting)
            continue; /* woke too late: the I/O thread finished this run alone */
        p->active++;
        pthread_mutex_unlock(&p->mu);
        run_claims(p, part);
        pthread_mutex_lock(&p->mu);
        if (--p->active == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int agora_rx_pool_init(agora_rx_pool *p, struct agora_service *svc, int threads)
{
    memset(p, 0, sizeof(*p));
    p->svc = svc;
    p->batch = 1;
    atomic_init(&p->claim, 0);
    if (threads < 1)
        threads = 1;
    if (threads > AGORA_RX_MAX_THREADS)
        threads = AGORA_RX_MAX_THREADS;
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        return -1;
    if (pthread_cond_init(&p->go, NULL) != 0 || pthread_cond_init(&p->done, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        return -1;
    }
    p->parts = 1;
    for (int i = 1; i < threads; i++) {
        if (pthread_create(&p->helpers[i], NULL, helper_main, p) != 0)
            break; /* fewer helpers still work */
        char name[16];
        snprintf(name, sizeof(name), "agora-rx-%u", (unsigned)i & 0xffffu); /* fits 16 */
        pthread_setname_np(p->helpers[i], name);
        p->parts++;
    }
    return 0;
}

void agora_rx_pool_destroy(agora_rx_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->parts; i++)
        pthread_join(p->helpers[i], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->jobs);
    p->jobs = NULL;
    p->njobs = p->cap = 0;
    free(p->holds);
    p->holds = NULL;
}

int agora_rx_pool_hold(agora_rx_pool *p, agora_rtc_conn *c)
{
    agora_rx_hold *holds = agora_grow(p->holds, p->nholds, &p->holds_cap, sizeof(*holds), 8);
    if (!holds)
        return -1;
    p->holds = holds;
    agora_conn_ref(c);
    p->holds[p->nholds].conn = c;
    p->holds[p->nholds].obs = c->audio_obs;
    p->nholds++;
    c->audio_pool_holds++;
    c->audio_hold_batch = p->batch;
    return 0;
}

static void next_batch(agora_rx_pool *p)
{
    if (++p->batch == 0)
        p->batch = 1; /* 0 would match fresh paths (and fresh connections' hold marks) */
}

static void release_holds(agora_rx_pool *p)
{
    for (int i = 0; i < p->nholds; i++) {
        agora_rtc_conn *c = p->holds[i].conn;
        const agora_audio_frame_observer *o = &p->holds[i].obs;
        if (o->on_frames_done) /* still registered: the hold is not dropped yet */
            o->on_frames_done(o->user_data);
        pthread_mutex_lock(&c->mu);
        if (--c->audio_pool_holds == 0)
            pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        agora_conn_unref(c);
    }
    p->nholds = 0;
}

agora_rx_job *agora_rx_pool_add(agora_rx_pool *p, agora_rx_path *rx)
{
    agora_rx_job *jobs = agora_grow(p->jobs, p->njobs, &p->cap, sizeof(*jobs), 256);
    if (!jobs)
        return NULL;
    p->jobs = jobs;
    int idx = p->njobs++;
    agora_rx_job *job = &p->jobs[idx];
    job->rx = rx;
    job->labels_hint = rx->labels;
    job->prepare = NULL;
    job->prepare_arg = NULL;
    job->next_same = -1;
    memset(&job->direct, 0, sizeof(job->direct));
    if (rx->pool_batch == p->batch) {
        p->jobs[rx->pool_last].next_same = idx;
        job->head = 0;
    } else {
        rx->pool_batch = p->batch;
        job->head = 1;
    }
    rx->pool_last = idx;
    return job;
}

void agora_rx_pool_run(agora_rx_pool *p)
{
    if (p->njobs == 0) {
        if (p->nholds > 0) { /* held, then no job was made (out of memory) */
            release_holds(p);
            next_batch(p);
        }
        return;
    }
    int parallel = p->parts > 1 && p->njobs >= AGORA_RX_PARALLEL_MIN;
    atomic_store_explicit(&p->claim, 0, memory_order_relaxed);
    if (parallel) {
        pthread_mutex_lock(&p->mu); /* publishes the jobs to the helpers */
        p->accepting = 1;
        p->run_gen++;
        pthread_cond_broadcast(&p->go);
        pthread_mutex_unlock(&p->mu);
    }
    run_claims(p, 0);
    if (parallel) {
        pthread_mutex_lock(&p->mu);
        p->accepting = 0; /* helpers that wake from now on skip this run */
        while (p->active > 0)
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
    p->njobs = 0;
    release_holds(p);
    next_batch(p);
    for (int i = 0; i < p->parts; i++) {
        agora_rx_events *l = &p->events[i];
        if (l->first) {
            agora_workq_push_list(&p->svc->delivery_q, &((agora_event *)l->first)->node,
                                  &((agora_event *)l->last)->node, l->count);
            l->first = l->last = NULL;
            l->count = 0;
        }
    }
}
