/* The media clock: one thread per service that ticks every 10 ms against
 * absolute CLOCK_MONOTONIC deadlines (no drift: a late wake-up runs every
 * tick that is due, each stamped with its own deadline). It never runs user
 * code and never waits for Python. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>
#include "engine.h"

#define TICK_NS 10000000LL
#define MAX_CATCH_UP_TICKS 50 /* beyond this (process stopped, VM paused) resynchronise */

int64_t agora_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t agora_monotonic_ms(void)
{
    return agora_monotonic_ns() / 1000000LL;
}

static void sleep_until(int64_t deadline_ns)
{
    struct timespec ts = {(time_t)(deadline_ns / 1000000000LL), (long)(deadline_ns % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* One tick: cut the due frames of every publishing connection and hand them
 * to the I/O thread in one batch. */
/* One connection's share of a tick, under its send-queue lock: the frames
 * reach the I/O queue before anyone can see the send queue complete, so a
 * stream message sent after completion never overtakes the last audio. */
static void tick_connection(agora_service *svc, agora_rtc_conn *c)
{
    agora_sent_frame *frames[AGORA_MAX_FRAMES_PER_TICK];
    io_item *first = NULL, *last = NULL;
    size_t count = 0;
    int64_t drained_ms;

    pthread_mutex_lock(&c->sendq.mu);
    int n = agora_sendq_tick_locked(&c->sendq, agora_monotonic_ns() / 1000, frames,
                                    AGORA_MAX_FRAMES_PER_TICK, &drained_ms);
    for (int i = 0; i < n; i++) {
        io_item *it = agora_io_item_new(IO_AUDIO, c, 0);
        if (!it) {
            agora_sent_frame_unref(frames[i]);
            continue;
        }
        it->frame = frames[i];
        if (last)
            last->node.next = &it->node;
        else
            first = it;
        last = it;
        count++;
    }
    if (first)
        agora_workq_push_list(&svc->io_q, &first->node, &last->node, count);
    pthread_mutex_unlock(&c->sendq.mu);
    if (drained_ms >= 0) {
        /* completion goes straight to the delivery thread: it concerns only this
         * sender (created outside sendq.mu: agora_event_new takes conn->mu) */
        agora_event *ev = agora_event_new(EV_PUSH_COMPLETED, c, 0);
        if (ev) {
            ev->a = (int)drained_ms;
            agora_workq_push(&svc->delivery_q, &ev->node);
        }
    }
}

static void run_tick(agora_service *svc)
{
    pthread_mutex_lock(&svc->mu);
    for (agora_rtc_conn *c = svc->conns; c; c = c->svc_next)
        if (atomic_load(&c->on_air) && atomic_load(&c->publishing))
            tick_connection(svc, c);
    pthread_mutex_unlock(&svc->mu);
}

void *agora_clock_main(void *arg)
{
    agora_service *svc = arg;
    int64_t next = agora_monotonic_ns() + TICK_NS;
    while (!atomic_load(&svc->stop_clock)) {
        sleep_until(next);
        int64_t now = agora_monotonic_ns();
        int ticks = 0;
        while (next <= now && ticks < MAX_CATCH_UP_TICKS) {
            run_tick(svc);
            next += TICK_NS;
            ticks++;
        }
        if (next <= now) /* hopelessly late: start a fresh schedule */
            next = now + TICK_NS;
    }
    return NULL;
}
