/* The statistics timer: one thread per service that, every stats interval,
 * queues EV_TRANSPORT_STATS and EV_AUDIO_TRACK_STATS for each connected
 * connection with an observer for them. The observers then read the counters
 * (send stats, RTP stats, remote audio stats) on the delivery thread. It only
 * takes svc->mu then conn->mu (inside agora_event_new), the documented order. */
#include <errno.h>
#include <time.h>
#include "engine/engine.h"

static void emit_ticks(agora_service *svc, int interval_ms)
{
    pthread_mutex_lock(&svc->mu);
    for (agora_rtc_conn *c = svc->conns; c; c = c->svc_next) {
        pthread_mutex_lock(&c->mu);
        int connected = c->state == AGORA_CONN_CONNECTED && !c->destroyed;
        pthread_mutex_unlock(&c->mu);
        if (!connected)
            continue;
        static const int kinds[2] = {EV_TRANSPORT_STATS, EV_AUDIO_TRACK_STATS};
        for (int k = 0; k < 2; k++) {
            agora_event *ev = agora_event_new(kinds[k], c, 0);
            if (!ev)
                continue;
            ev->a = interval_ms;
            agora_workq_push(&svc->delivery_q, &ev->node);
        }
    }
    pthread_mutex_unlock(&svc->mu);
}

static void add_ms(struct timespec *t, int ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static void *stats_main(void *arg)
{
    agora_service *svc = arg;
    struct timespec deadline;
    pthread_mutex_lock(&svc->stats_mu);
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    add_ms(&deadline, svc->stats_interval_ms);
    while (!svc->stats_stop) {
        int rc = pthread_cond_timedwait(&svc->stats_cv, &svc->stats_mu, &deadline);
        if (svc->stats_stop)
            break;
        if (svc->stats_changed) { /* a new period starts now */
            svc->stats_changed = 0;
            clock_gettime(CLOCK_MONOTONIC, &deadline);
            add_ms(&deadline, svc->stats_interval_ms);
            continue;
        }
        if (rc != ETIMEDOUT)
            continue;
        int interval = svc->stats_interval_ms;
        pthread_mutex_unlock(&svc->stats_mu);
        emit_ticks(svc, interval);
        pthread_mutex_lock(&svc->stats_mu);
        add_ms(&deadline, interval);
    }
    pthread_mutex_unlock(&svc->stats_mu);
    return NULL;
}

int agora_stats_timer_start(agora_service *svc)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&svc->stats_cv, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return -1;
    if (pthread_mutex_init(&svc->stats_mu, NULL) != 0) {
        pthread_cond_destroy(&svc->stats_cv);
        return -1;
    }
    svc->stats_stop = 0;
    svc->stats_changed = 0;
    svc->stats_interval_ms = AGORA_STATS_INTERVAL_MS;
    if (pthread_create(&svc->stats_thread, NULL, stats_main, svc) != 0) {
        pthread_mutex_destroy(&svc->stats_mu);
        pthread_cond_destroy(&svc->stats_cv);
        return -1;
    }
    pthread_setname_np(svc->stats_thread, "agora-stats");
    return 0;
}

void agora_stats_timer_stop(agora_service *svc)
{
    pthread_mutex_lock(&svc->stats_mu);
    svc->stats_stop = 1;
    pthread_cond_signal(&svc->stats_cv);
    pthread_mutex_unlock(&svc->stats_mu);
    pthread_join(svc->stats_thread, NULL);
    pthread_mutex_destroy(&svc->stats_mu);
    pthread_cond_destroy(&svc->stats_cv);
}

int agora_service_set_stats_interval_ms(agora_service *svc, int interval_ms)
{
    if (!svc || interval_ms < 100 || interval_ms > 60000)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&svc->mu);
    int ok = svc->initialized && !svc->releasing;
    if (ok) {
        pthread_mutex_lock(&svc->stats_mu);
        svc->stats_interval_ms = interval_ms;
        svc->stats_changed = 1;
        pthread_cond_signal(&svc->stats_cv);
        pthread_mutex_unlock(&svc->stats_mu);
    }
    pthread_mutex_unlock(&svc->mu);
    return ok ? AGORA_OK : AGORA_ERR_INVALID_STATE;
}
