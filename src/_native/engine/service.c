/* Service lifecycle: configuration, the three engine threads, teardown. */
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "engine/engine.h"

#define DEFAULT_PREFILL_MS 40

agora_service *agora_engine_service_new(const agora_transport_ops *const *transports)
{
    for (const agora_transport_ops *const *t = transports; t && *t; t++)
        if ((*t)->kind < 0 || (*t)->kind >= AGORA_MAX_TRANSPORTS)
            return NULL; /* it would have no slot in svc->net */
    agora_service *svc = calloc(1, sizeof(*svc));
    if (!svc)
        return NULL;
    svc->transports = transports;
    if (pthread_mutex_init(&svc->mu, NULL) != 0) {
        free(svc);
        return NULL;
    }
    svc->io_epfd = svc->io_timerfd = -1;
    return svc;
}

const agora_transport_ops *agora_service_transport(const agora_service *svc, int kind)
{
    for (const agora_transport_ops *const *t = svc->transports; t && *t; t++)
        if ((*t)->kind == kind)
            return *t;
    return NULL;
}

static int transport_is_local(const char *url)
{
    return url == NULL || url[0] == '\0' || strncmp(url, "local://", 8) == 0;
}

static void close_io_wait_set(agora_service *svc)
{
    if (svc->io_timerfd >= 0)
        close(svc->io_timerfd);
    if (svc->io_epfd >= 0)
        close(svc->io_epfd);
    svc->io_epfd = svc->io_timerfd = -1;
}

/* The I/O thread's epoll set: the work queue's eventfd and the (disarmed)
 * playout timer; RTP sockets join it while open. The tags are addresses the
 * I/O thread recognises (io_loop.c). */
static int open_io_wait_set(agora_service *svc)
{
    svc->io_epfd = epoll_create1(EPOLL_CLOEXEC);
    svc->io_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (svc->io_epfd < 0 || svc->io_timerfd < 0) {
        close_io_wait_set(svc);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &svc->io_q};
    struct epoll_event tev = {.events = EPOLLIN, .data.ptr = &svc->io_timerfd};
    if (epoll_ctl(svc->io_epfd, EPOLL_CTL_ADD, agora_workq_fd(&svc->io_q), &ev) != 0 ||
        epoll_ctl(svc->io_epfd, EPOLL_CTL_ADD, svc->io_timerfd, &tev) != 0) {
        close_io_wait_set(svc);
        return -1;
    }
    return 0;
}

int agora_service_initialize(agora_service *svc, const agora_service_config *cfg)
{
    if (!svc || !cfg)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cfg->prefill_ms < 0 || cfg->prefill_ms > 500)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cfg->receive_threads < 0 || cfg->receive_threads > AGORA_RX_MAX_THREADS)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!transport_is_local(cfg->transport_url))
        return AGORA_ERR_NOT_SUPPORTED;
    pthread_mutex_lock(&svc->mu);
    if (svc->initialized) {
        pthread_mutex_unlock(&svc->mu);
        return AGORA_ERR_INVALID_STATE;
    }
    svc->cfg = *cfg;
    if (cfg->app_id)
        strncpy(svc->app_id, cfg->app_id, sizeof(svc->app_id) - 1);
    svc->cfg.app_id = svc->app_id;
    svc->cfg.transport_url = NULL;
    int rc = AGORA_ERR_FAILED;
    if (agora_workq_init_signal(&svc->io_q) != 0)
        goto fail0;
    if (open_io_wait_set(svc) != 0)
        goto fail1;
    if (agora_workq_init(&svc->delivery_q) != 0)
        goto fail1;
    if (pthread_mutex_init(&svc->sync_mu, NULL) != 0)
        goto fail2;
    if (pthread_cond_init(&svc->sync_cv, NULL) != 0)
        goto fail3;
    atomic_init(&svc->stop_clock, 0);
    if (agora_rx_pool_init(&svc->rx_pool, svc, cfg->receive_threads ? cfg->receive_threads
                                                                    : agora_rx_pool_auto_threads()) != 0)
        goto fail4;
    svc->rx_pool_ready = 1;
    atomic_init(&svc->api_refs, 0);
    atomic_init(&svc->draining, 0);
    if (pthread_create(&svc->delivery_thread, NULL, agora_delivery_main, svc) != 0)
        goto fail4;
    if (pthread_create(&svc->io_thread, NULL, agora_io_main, svc) != 0)
        goto fail5;
    if (pthread_create(&svc->clock_thread, NULL, agora_clock_main, svc) != 0)
        goto fail6;
    if (agora_stats_timer_start(svc) != 0)
        goto fail7;
    /* names show up in top -H, /proc/<pid>/task/<tid>/comm and profilers */
    pthread_setname_np(svc->clock_thread, "agora-clock");
    pthread_setname_np(svc->io_thread, "agora-io");
    pthread_setname_np(svc->delivery_thread, "agora-delivery");
    svc->initialized = 1;
    pthread_mutex_unlock(&svc->mu);
    return AGORA_OK;

fail7:
    atomic_store(&svc->stop_clock, 1);
    pthread_join(svc->clock_thread, NULL);
fail6:
    agora_workq_close(&svc->io_q);
    pthread_join(svc->io_thread, NULL);
fail5:
    agora_workq_close(&svc->delivery_q);
    pthread_join(svc->delivery_thread, NULL);
fail4:
    if (svc->rx_pool_ready)
        agora_rx_pool_destroy(&svc->rx_pool);
    svc->rx_pool_ready = 0;
    pthread_cond_destroy(&svc->sync_cv);
fail3:
    pthread_mutex_destroy(&svc->sync_mu);
fail2:
    agora_workq_destroy(&svc->delivery_q);
fail1:
    close_io_wait_set(svc);
    agora_workq_destroy(&svc->io_q);
fail0:
    pthread_mutex_unlock(&svc->mu);
    return rc;
}

int agora_service_set_prefill_ms(agora_service *svc, int prefill_ms)
{
    if (!svc || prefill_ms < 0 || prefill_ms > 500)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&svc->mu);
    int rc = svc->initialized && !svc->releasing ? AGORA_OK : AGORA_ERR_INVALID_STATE;
    if (rc == AGORA_OK)
        svc->cfg.prefill_ms = prefill_ms; /* read under mu by agora_rtc_conn_create */
    pthread_mutex_unlock(&svc->mu);
    return rc;
}

int agora_service_on_delivery_thread(const agora_service *svc)
{
    return svc && svc->initialized && pthread_equal(pthread_self(), svc->delivery_thread);
}

int agora_service_release(agora_service *svc)
{
    if (!svc)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (agora_service_on_delivery_thread(svc))
        return AGORA_ERR_INVALID_STATE;
    pthread_mutex_lock(&svc->mu);
    svc->releasing = 1;
    int initialized = svc->initialized;
    pthread_mutex_unlock(&svc->mu);

    /* connections still alive: destroy them one by one (each unlinks itself) */
    for (;;) {
        pthread_mutex_lock(&svc->mu);
        agora_rtc_conn *c = svc->conns;
        if (c)
            agora_conn_ref(c);
        pthread_mutex_unlock(&svc->mu);
        if (!c)
            break;
        agora_rtc_conn_destroy(c);
        agora_conn_unref(c);
    }
    if (initialized) {
        agora_stats_timer_stop(svc);
        /* calls still running on connections (retained by a binding) finish
         * first: they may post to the queues and read svc */
        atomic_store(&svc->draining, 1);
        pthread_mutex_lock(&svc->sync_mu);
        while (atomic_load(&svc->api_refs) > 0)
            pthread_cond_wait(&svc->sync_cv, &svc->sync_mu);
        pthread_mutex_unlock(&svc->sync_mu);
        atomic_store(&svc->stop_clock, 1);
        pthread_join(svc->clock_thread, NULL);
        agora_workq_close(&svc->io_q);
        pthread_join(svc->io_thread, NULL);
        agora_rx_pool_destroy(&svc->rx_pool); /* its last events are queued by now */
        svc->rx_pool_ready = 0;
        agora_workq_close(&svc->delivery_q);
        pthread_join(svc->delivery_thread, NULL);
        pthread_cond_destroy(&svc->sync_cv);
        pthread_mutex_destroy(&svc->sync_mu);
        agora_workq_destroy(&svc->delivery_q);
        close_io_wait_set(svc);
        agora_workq_destroy(&svc->io_q);
    }
    pthread_mutex_destroy(&svc->mu);
    free(svc);
    return AGORA_OK;
}
