/* The media clock: one thread per service that ticks every 10 ms against
 * absolute CLOCK_MONOTONIC deadlines (no drift: a late wake-up runs every
 * tick that is due, each stamped with its own deadline). It never runs user
 * code and never waits for Python. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include "core/growable.h"
#include "engine/engine.h"

#define TICK_NS 10000000LL
#define MAX_CATCH_UP_TICKS 50 /* beyond this (process stopped, VM paused) resynchronise */

static void sleep_until(int64_t deadline_ns)
{
    struct timespec ts = {(time_t)(deadline_ns / 1000000000LL), (long)(deadline_ns % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* What one tick cut: every frame in one list for the I/O thread (one hand-off
 * and one wake-up per tick, whatever the number of streams), and the
 * connections that contributed, to settle their counters after the hand-off.
 * Owned by the clock thread; the arrays grow and are reused. */
typedef struct tick_batch {
    io_item *first, *last;
    size_t count;
    struct tick_conn {
        agora_rtc_conn *conn;  /* holds a reference until settled */
        int cut;               /* frames cut for conn */
        int64_t drained_ms;    /* >= 0 when conn's queue drained this tick */
    } *conns;
    int n, cap;
} tick_batch;

static int batch_reserve(tick_batch *b)
{
    void *grown = agora_grow(b->conns, b->n, &b->cap, sizeof(*b->conns), 64);
    if (!grown)
        return -1;
    b->conns = grown;
    return 0;
}

static void batch_append(tick_batch *b, io_item *it)
{
    if (b->last)
        b->last->node.next = &it->node;
    else
        b->first = it;
    b->last = it;
    b->count++;
}

/* 10 ms of nothing from a sender whose talk spurt ended: a gap frame
 * (sent_frame.h), not counted as sent audio. */
static void cut_gap_frame(tick_batch *b, agora_rtc_conn *c)
{
    c->gap_frames_left--;
    agora_sent_frame *f = agora_sent_frame_new(c->gap_rate, c->gap_channels, c->gap_rate / 100);
    io_item *it = f ? agora_io_item_new(IO_AUDIO, c, 0) : NULL;
    if (!it) {
        agora_sent_frame_unref(f);
        return;
    }
    f->gap = 1;
    f->send_time_us = agora_monotonic_ns() / 1000;
    it->frame = f;
    batch_append(b, it);
}

/* Cut one connection's due frames into the batch. `unposted` is raised under
 * the send-queue lock, so the queue cannot look complete before the hand-off. */
static void cut_connection(tick_batch *b, agora_rtc_conn *c)
{
    agora_sent_frame *frames[AGORA_MAX_FRAMES_PER_TICK];
    int64_t drained_ms;
    if (batch_reserve(b) != 0)
        return; /* out of memory: the audio stays queued for the next tick */
    pthread_mutex_lock(&c->sendq.mu);
    int n = agora_sendq_tick_locked(&c->sendq, agora_monotonic_ns() / 1000, frames,
                                    AGORA_MAX_FRAMES_PER_TICK, &drained_ms);
    if (n > 0)
        atomic_fetch_add(&c->sendq.unposted, n);
    pthread_mutex_unlock(&c->sendq.mu);
    if (n == 0) {
        /* a transport that fans audio out to receive paths hears every gap frame (silence
         * to the VADs); one that does not (RTP) only the first: the talk spurt is over, its
         * encoder's tail leaves now instead of when the transport notices the pause */
        if (c->gap_frames_left > 0 &&
            (c->transport->fans_out_audio || c->gap_frames_left == AGORA_GAP_FRAMES))
            cut_gap_frame(b, c);
        return;
    }
    c->gap_frames_left = AGORA_GAP_FRAMES; /* a stream that stops is silence to the VADs */
    c->gap_rate = frames[n - 1]->sample_rate;
    c->gap_channels = frames[n - 1]->channels;
    for (int i = 0; i < n; i++) {
        io_item *it = agora_io_item_new(IO_AUDIO, c, 0);
        if (!it) {
            agora_sent_frame_unref(frames[i]);
            continue;
        }
        it->frame = frames[i];
        batch_append(b, it);
    }
    agora_conn_ref(c);
    b->conns[b->n] = (struct tick_conn){.conn = c, .cut = n, .drained_ms = drained_ms};
    b->n++;
}

/* Hand the frames cut so far to the I/O thread and settle their connections.
 * Called under svc->mu: the references dropped here are never the last ones
 * (destroy unlinks a connection under svc->mu before its final unref). */
static void flush_batch(agora_service *svc, tick_batch *b)
{
    if (b->first)
        agora_workq_push_list(&svc->io_q, &b->first->node, &b->last->node, b->count);
    for (int i = 0; i < b->n; i++) {
        agora_rtc_conn *c = b->conns[i].conn;
        atomic_fetch_sub(&c->sendq.unposted, b->conns[i].cut);
        if (b->conns[i].drained_ms >= 0) {
            /* completion goes straight to the delivery thread: it concerns only this sender */
            agora_event *ev = agora_event_new(EV_PUSH_COMPLETED, c, 0);
            if (ev) {
                ev->a = (int)b->conns[i].drained_ms;
                agora_workq_push(&svc->delivery_q, &ev->node);
            }
        }
        agora_conn_unref(c);
    }
    b->first = b->last = NULL;
    b->count = 0;
    b->n = 0;
}

/* Frames per hand-off within a tick: with thousands of senders the I/O thread
 * and the receive pool start on the first frames while the rest are cut (the
 * tick's last frame no longer waits for the whole cut and fan-out). */
#define FRAMES_PER_HANDOFF 256

static void run_tick(agora_service *svc, tick_batch *b)
{
    pthread_mutex_lock(&svc->mu);
    for (agora_rtc_conn *c = svc->conns; c; c = c->svc_next) {
        if (atomic_load(&c->on_air) && atomic_load(&c->publishing))
            cut_connection(b, c);
        if (b->count >= FRAMES_PER_HANDOFF)
            flush_batch(svc, b);
    }
    flush_batch(svc, b);
    pthread_mutex_unlock(&svc->mu);
}

void *agora_clock_main(void *arg)
{
    agora_service *svc = arg;
    tick_batch batch = {0};
    int64_t next = agora_monotonic_ns() + TICK_NS;
    while (!atomic_load(&svc->stop_clock)) {
        sleep_until(next);
        int64_t now = agora_monotonic_ns();
        int ticks = 0;
        while (next <= now && ticks < MAX_CATCH_UP_TICKS) {
            run_tick(svc, &batch);
            next += TICK_NS;
            ticks++;
        }
        if (next <= now) /* hopelessly late: start a fresh schedule */
            next = now + TICK_NS;
        agora_volume_indication_tick(svc, now / 1000000LL);
    }
    free(batch.conns);
    return NULL;
}
