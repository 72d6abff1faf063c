/* The service's I/O thread: one epoll loop over the work queue's eventfd,
 * the playout timer and the transports' sockets (agora_io_watch), which runs
 * the work items connections post (connect, audio, publish, subscriptions,
 * the transports' own items) and hands each to the connection's transport
 * (transport.h). Subscriptions and receive paths are only touched here, so
 * they need no locks; observer state is read under conn->mu. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "engine/engine.h"

/* ---- work items ---- */

io_item *agora_io_item_new(int kind, agora_rtc_conn *conn, size_t length)
{
    io_item *it = calloc(1, sizeof(*it) + length);
    if (!it)
        return NULL;
    it->kind = kind;
    it->conn = conn;
    if (conn)
        agora_conn_ref(conn);
    it->length = length;
    return it;
}

int agora_io_call(agora_service *svc, io_item *it)
{
    int rc = AGORA_OK;
    it->result = &rc;
    agora_io_post(svc, it, 1);
    return rc; /* written by the I/O thread before it signalled completion */
}

void agora_io_post(agora_service *svc, io_item *it, int wait)
{
    int done = 0;
    if (wait)
        it->done = &done;
    agora_workq_push(&svc->io_q, &it->node);
    if (!wait)
        return;
    pthread_mutex_lock(&svc->sync_mu);
    while (!done)
        pthread_cond_wait(&svc->sync_cv, &svc->sync_mu);
    pthread_mutex_unlock(&svc->sync_mu);
}

/* ---- events ---- */

void agora_io_post_event(agora_service *svc, agora_event *ev)
{
    agora_workq_push(&svc->delivery_q, &ev->node);
}

void agora_io_emit(agora_service *svc, agora_rtc_conn *to, int kind, const char *uid, int a, int b, int c)
{
    agora_event *ev = agora_event_new(kind, to, 0);
    if (!ev)
        return;
    if (uid)
        agora_copy_id(ev->uid, uid);
    ev->a = a;
    ev->b = b;
    ev->c = c;
    agora_io_post_event(svc, ev);
}

void agora_io_emit_conn_state(agora_service *svc, agora_rtc_conn *c, int kind, int state, int reason)
{
    agora_event *ev = agora_event_new(kind, c, 0);
    pthread_mutex_lock(&c->mu);
    c->state = state; /* even when nobody observes the connection */
    if (ev)
        agora_conn_fill_info(c, &ev->info);
    pthread_mutex_unlock(&c->mu);
    if (!ev)
        return;
    ev->a = reason;
    agora_io_post_event(svc, ev);
}

/* ---- publishing, subscriptions, listening ---- */

int agora_io_subscribed(const agora_rtc_conn *r, const char *uid)
{
    return r->sub_all ? !uid_set_contains(&r->sub_except, uid) : uid_set_contains(&r->sub_only, uid);
}

static void handle_publish(agora_service *svc, agora_rtc_conn *c, int publish)
{
    if (c->net_publishing == publish)
        return;
    c->net_publishing = publish;
    if (publish)
        atomic_store(&c->publishing, 1); /* unpublish closed the gate at the call */
    c->transport->publish_changed(svc, c, publish);
}

static void handle_subscription(agora_service *svc, agora_rtc_conn *c, int kind, const char *uid)
{
    switch (kind) {
    case IO_SUBSCRIBE: {
        int was = agora_io_subscribed(c, uid);
        if (c->sub_all)
            uid_set_remove(&c->sub_except, uid);
        else
            uid_set_add(&c->sub_only, uid);
        if (!was && c->transport->has_publisher(c, uid))
            agora_io_emit(svc, c, EV_TRACK_SUBSCRIBED, uid, 0, 0, 0);
        break;
    }
    case IO_UNSUBSCRIBE:
        if (c->sub_all)
            uid_set_add(&c->sub_except, uid);
        else
            uid_set_remove(&c->sub_only, uid);
        agora_rx_table_drop(&c->rx, uid);
        break;
    case IO_SUBSCRIBE_ALL:
        c->transport->subscribe_all(svc, c); /* reports the tracks that were not subscribed */
        c->sub_all = 1;
        uid_set_clear(&c->sub_only);
        uid_set_clear(&c->sub_except);
        break;
    case IO_UNSUBSCRIBE_ALL:
        c->sub_all = 0;
        uid_set_clear(&c->sub_only);
        uid_set_clear(&c->sub_except);
        agora_rx_table_clear(&c->rx);
        break;
    default:
        break;
    }
}

static void handle_listen(agora_rtc_conn *c, int reason, int on)
{
    int was = c->hub_listening != 0;
    if (on)
        c->hub_listening |= reason;
    else
        c->hub_listening &= ~reason;
    if (!on && reason == AGORA_LISTEN_AUDIO_OBSERVER)
        agora_rx_table_clear(&c->rx); /* VAD and converters are rebuilt for the next observer */
    on = c->hub_listening != 0;
    if (was != on && c->transport->listen_changed)
        c->transport->listen_changed(c, on);
}

/* ---- the loop ---- */

static void process(agora_service *svc, io_item *it)
{
    agora_rtc_conn *c = it->conn;
    switch (it->kind) {
    case IO_CONNECT:
        if (c->transport->join) /* posted by connect() when no control plane joins */
            c->transport->join(svc, c);
        break;
    case IO_DISCONNECT: c->transport->leave(svc, c); break;
    case IO_AUDIO: c->transport->send_audio(svc, it); break;
    case IO_PUBLISH: handle_publish(svc, c, 1); break;
    case IO_UNPUBLISH: handle_publish(svc, c, 0); break;
    case IO_MESSAGE:
    case IO_METADATA:
    case IO_DTMF:
        if (c->transport->send_data) /* posted only when the transport carries data */
            c->transport->send_data(svc, it);
        break;
    case IO_SUBSCRIBE:
    case IO_UNSUBSCRIBE:
    case IO_SUBSCRIBE_ALL:
    case IO_UNSUBSCRIBE_ALL: handle_subscription(svc, c, it->kind, it->uid); break;
    case IO_LISTEN: handle_listen(c, it->arg2, it->arg); break;
    case IO_AUDIO_STATS: agora_audio_stats_process(svc, it); break;
    case IO_FLUSH: break;
    default:
        if (it->kind >= IO_TRANSPORT_ITEMS && it->kind < IO_TRANSPORT_ITEMS_END) {
            if (c->transport->process) /* the entry points post only their transport's items */
                c->transport->process(svc, it);
        } else if (it->kind >= IO_VIDEO_PUBLISH) {
            agora_video_process(svc, it);
        }
        break;
    }
}

static void complete(agora_service *svc, io_item *it)
{
    if (it->done) {
        pthread_mutex_lock(&svc->sync_mu);
        *it->done = 1;
        pthread_cond_broadcast(&svc->sync_cv);
        pthread_mutex_unlock(&svc->sync_mu);
    }
    if (it->frame)
        agora_sent_frame_unref(it->frame);
    if (it->video)
        agora_video_buf_unref(it->video);
    if (it->conn)
        agora_conn_unref(it->conn);
    free(it);
}

/* Local audio items whose receive jobs have not run yet: their frames (and
 * the connections' channels) must stay alive until then. */
typedef struct held_items {
    io_item *first, *last;
} held_items;

/* Run the queued receive jobs, then complete the items they needed. */
static void run_jobs(agora_service *svc, held_items *held)
{
    agora_io_run_receive_jobs(svc);
    io_item *it = held->first;
    held->first = held->last = NULL;
    while (it) {
        io_item *next = (io_item *)it->node.next;
        complete(svc, it);
        it = next;
    }
}

/* Process the backlog of the work queue; 1 when the queue is closed and drained.
 * A run of local audio items only queues receive jobs; they run (in parallel
 * on the receive pool) before any other item, since other items may drop
 * receive paths or leave channels, and at the end of the backlog. */
static int run_queue(agora_service *svc)
{
    held_items held = {NULL, NULL};
    for (;;) {
        int closed = 0;
        agora_qnode *batch = agora_workq_poll(&svc->io_q, &closed);
        if (!batch) {
            run_jobs(svc, &held);
            return closed;
        }
        while (batch) {
            io_item *it = (io_item *)batch;
            batch = batch->next;
            if (it->kind == IO_AUDIO && it->conn->transport->fans_out_audio) {
                it->conn->transport->send_audio(svc, it);
                it->node.next = NULL;
                if (held.last)
                    held.last->node.next = &it->node;
                else
                    held.first = it;
                held.last = it;
                continue;
            }
            run_jobs(svc, &held);
            process(svc, it);
            agora_io_run_receive_jobs(svc); /* an RTP item may have queued some */
            complete(svc, it);
        }
        /* poll again: what was pushed meanwhile (or a close, whose eventfd
         * signal this poll may already have consumed) is seen now */
    }
}

#define MAX_EVENTS 32

void *agora_io_main(void *arg)
{
    agora_service *svc = arg;
    /* epoll tags: the work queue and the timer are told apart from the
     * transports' sockets (whose tag is their agora_io_watch) by these addresses */
    void *queue_tag = &svc->io_q, *timer_tag = &svc->io_timerfd;
    struct epoll_event evs[MAX_EVENTS];
    int done = 0;
    while (!done) {
        int n = epoll_wait(svc->io_epfd, evs, MAX_EVENTS, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            n = 0; /* cannot happen with a valid epfd; fall back to draining the queue */
        }
        int queue_ready = n == 0, timer_ready = 0;
        /* order: sockets, then work items (the only thing that closes
         * sockets, so every socket tag is still valid above), then the
         * playout timer (after the frames the media clock just cut) */
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == queue_tag)
                queue_ready = 1;
            else if (tag == timer_tag)
                timer_ready = 1;
            else
                ((agora_io_watch *)tag)->on_readable(svc, tag);
        }
        if (queue_ready)
            done = run_queue(svc);
        if (timer_ready) {
            uint64_t expirations = 0;
            if (read(svc->io_timerfd, &expirations, sizeof(expirations)) == (ssize_t)sizeof(expirations))
                for (const agora_transport_ops *const *t = svc->transports; *t; t++)
                    if ((*t)->on_timer)
                        (*t)->on_timer(svc, expirations);
        }
    }
    for (const agora_transport_ops *const *t = svc->transports; *t; t++)
        if ((*t)->on_loop_exit)
            (*t)->on_loop_exit(svc);
    return NULL;
}
