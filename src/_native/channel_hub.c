/* The service's I/O thread and the in-process `local` network: a hub of
 * channels, run entirely on the I/O thread. Membership, subscriptions and
 * receive paths are only touched here, so they need no locks; observer state
 * is read under conn->mu. The thread waits in epoll on the work queue's
 * eventfd, the playout timer and the RTP sockets (rtp_transport.c). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "engine.h"

/* Agora reason and state values used in events. */
enum {
    REASON_JOIN_SUCCESS = 1,
    REASON_LEAVE_CHANNEL = 5,
    REASON_REJECTED_BY_SERVER = 10,
    USER_OFFLINE_QUIT = 0,
    REMOTE_AUDIO_STATE_STOPPED = 0,
    REMOTE_AUDIO_STATE_DECODING = 2,
    REMOTE_AUDIO_REASON_REMOTE_MUTED = 5,
    REMOTE_AUDIO_REASON_REMOTE_UNMUTED = 6,
    ROLE_AUDIENCE = 2,
    DEFAULT_STREAM_ID = 1,
};

/* A conn array that grows (members, listeners). */
typedef struct conn_list {
    agora_rtc_conn **items;
    int count, cap;
} conn_list;

struct hub_channel {
    hub_channel *next;
    char name[AGORA_MAX_ID_LEN + 1];
    conn_list members;
    conn_list listeners;       /* members with an audio-frame observer */
};

static int conn_list_add(conn_list *l, agora_rtc_conn *c)
{
    if (l->count == l->cap) {
        int cap = l->cap ? l->cap * 2 : 8;
        void *m = realloc(l->items, sizeof(*l->items) * (size_t)cap);
        if (!m)
            return AGORA_ERR_NO_MEMORY;
        l->items = m;
        l->cap = cap;
    }
    l->items[l->count++] = c;
    return 0;
}

static void conn_list_remove(conn_list *l, agora_rtc_conn *c)
{
    for (int i = 0; i < l->count; i++) {
        if (l->items[i] == c) {
            l->items[i] = l->items[--l->count];
            return;
        }
    }
}

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

/* ---- channels ---- */

static hub_channel *find_channel(agora_service *svc, const char *name, int create)
{
    for (hub_channel *ch = svc->channels; ch; ch = ch->next)
        if (strcmp(ch->name, name) == 0)
            return ch;
    if (!create)
        return NULL;
    hub_channel *ch = calloc(1, sizeof(*ch));
    if (!ch)
        return NULL;
    agora_copy_id(ch->name, name);
    ch->next = svc->channels;
    svc->channels = ch;
    return ch;
}

static void channel_free(hub_channel *ch)
{
    free(ch->listeners.items);
    free(ch->members.items);
    free(ch);
}

static void channel_remove(agora_service *svc, hub_channel *ch, agora_rtc_conn *c)
{
    conn_list_remove(&ch->members, c);
    if (ch->members.count > 0)
        return;
    for (hub_channel **p = &svc->channels; *p; p = &(*p)->next) {
        if (*p == ch) {
            *p = ch->next;
            channel_free(ch);
            return;
        }
    }
}

/* ---- events ---- */

static void post_event(agora_service *svc, agora_event *ev)
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
    post_event(svc, ev);
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
    post_event(svc, ev);
}

#define emit agora_io_emit
#define emit_conn_state agora_io_emit_conn_state

/* ---- subscriptions and receive paths ---- */

static int visible(const agora_rtc_conn *c)
{
    return c->cfg.client_role_type != ROLE_AUDIENCE;
}

int agora_io_subscribed(const agora_rtc_conn *r, const char *uid)
{
    return r->sub_all ? !uid_set_contains(&r->sub_except, uid) : uid_set_contains(&r->sub_only, uid);
}

#define subscribed agora_io_subscribed

static void rx_drop(agora_rtc_conn *r, const char *uid)
{
    agora_rx_table_drop(&r->rx, uid);
}

static void rx_drop_all(agora_rtc_conn *r)
{
    agora_rx_table_clear(&r->rx);
}

/* ---- handlers ---- */

static void handle_connect(agora_service *svc, agora_rtc_conn *c)
{
    hub_channel *ch = find_channel(svc, c->channel_id, 1);
    int duplicate = 0;
    for (int i = 0; ch && i < ch->members.count; i++)
        if (strcmp(ch->members.items[i]->user_id, c->user_id) == 0)
            duplicate = 1;
    if (!ch || duplicate || conn_list_add(&ch->members, c) != 0) {
        if (ch && ch->members.count == 0)
            channel_remove(svc, ch, c);
        emit_conn_state(svc, c, EV_CONNECTION_FAILURE, AGORA_CONN_FAILED, REASON_REJECTED_BY_SERVER);
        return;
    }
    c->channel = ch;
    if (c->hub_listening)
        conn_list_add(&ch->listeners, c);
    emit_conn_state(svc, c, EV_CONNECTED, AGORA_CONN_CONNECTED, REASON_JOIN_SUCCESS);
    atomic_store(&c->on_air, 1);
    if (c->hub_publishing)
        emit(svc, c, EV_PUBLISH_SUCCESS, NULL, 0, 0, 0);
    agora_video_on_join(svc, c);
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == c)
            continue;
        if (visible(m)) {
            emit(svc, c, EV_USER_JOINED, m->user_id, 0, 0, 0);
            if (m->hub_publishing && subscribed(c, m->user_id))
                emit(svc, c, EV_TRACK_SUBSCRIBED, m->user_id, 0, 0, 0);
        }
        if (visible(c)) {
            emit(svc, m, EV_USER_JOINED, c->user_id, 0, 0, 0);
            if (c->hub_publishing && subscribed(m, c->user_id))
                emit(svc, m, EV_TRACK_SUBSCRIBED, c->user_id, 0, 0, 0);
        }
    }
}

static void local_leave(agora_service *svc, agora_rtc_conn *c)
{
    hub_channel *ch = c->channel;
    atomic_store(&c->on_air, 0);
    rx_drop_all(c);
    if (!ch)
        return;
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == c)
            continue;
        rx_drop(m, c->user_id);
        if (visible(c))
            emit(svc, m, EV_USER_LEFT, c->user_id, USER_OFFLINE_QUIT, 0, 0);
    }
    conn_list_remove(&ch->listeners, c);
    channel_remove(svc, ch, c);
    c->channel = NULL;
    emit_conn_state(svc, c, EV_DISCONNECTED, AGORA_CONN_DISCONNECTED, REASON_LEAVE_CHANNEL);
}

void agora_io_deliver_audio(agora_service *svc, agora_rtc_conn *m, const char *uid,
                            const char *channel_id, const agora_sent_frame *f, agora_rx_hint *hint)
{
    agora_vad_config vad_cfg;
    int has_obs, vad_on, rate, chans, flags;
    unsigned gen;
    pthread_mutex_lock(&m->mu);
    has_obs = m->obs_set[OBS_AUDIO] && !m->destroyed;
    vad_on = m->vad_enabled;
    flags = m->audio_flags;
    vad_cfg = m->vad_cfg;
    gen = m->audio_obs_gen;
    rate = m->pb_rate;
    chans = m->pb_channels;
    int apm_flags = m->apm_flags;
    if (f->gap && !(has_obs && vad_on)) {
        pthread_mutex_unlock(&m->mu);
        return; /* only a VAD in speech hears a gap (receive_path.c) */
    }
    agora_audio_frame_observer direct = {0};
    /* an any_thread observer is called by the job itself; one hold per run keeps it registered */
    if (has_obs && m->audio_obs.any_thread &&
        (m->audio_hold_batch == svc->rx_pool.batch || agora_rx_pool_hold(&svc->rx_pool, m) == 0))
        direct = m->audio_obs;
    pthread_mutex_unlock(&m->mu);
    agora_rx_path *rx = agora_rx_table_get_hinted(&m->rx, uid, hint);
    if (!rx)
        return;
    if (!rx->first_frame_seen) {
        if (f->gap)
            return; /* nothing heard from this user yet: no utterance to end */
        rx->first_frame_seen = 1;
        emit(svc, m, EV_FIRST_FRAME, uid, 0, 0, 0);
        emit(svc, m, EV_TRACK_STATE, uid, REMOTE_AUDIO_STATE_DECODING,
             REMOTE_AUDIO_REASON_REMOTE_UNMUTED, 0);
    }
    if (f->encoded)
        agora_encoded_audio_deliver(svc, m, uid, f->encoded);
    agora_volume_meter *volume = f->gap ? NULL : atomic_load(&m->volume_meter);
    if (!agora_volume_meter_enabled(volume))
        volume = NULL;
    if (!has_obs && !volume)
        return;
    agora_rx_job *job = agora_rx_pool_add(&svc->rx_pool, rx);
    if (!job)
        return; /* out of memory: this frame is not heard */
    job->to = m;
    job->frame = f;
    job->channel_id = channel_id;
    job->vad_cfg = vad_cfg;
    job->vad_on = has_obs && vad_on; /* volume indication alone: resample + labels, no VAD */
    job->rate = rate;
    job->channels = chans;
    job->speech_only = flags == AGORA_AUDIO_DELIVER_SPEECH_ONLY;
    job->gen = gen;
    job->apm_flags = apm_flags;
    job->deliver = has_obs;
    job->direct = direct;
    job->volume = volume;
}

void agora_io_run_receive_jobs(agora_service *svc)
{
    agora_rx_pool_run(&svc->rx_pool);
}

/* A frame a member sent: every listener subscribed to it gets a receive job. */
static void local_send_audio(agora_service *svc, io_item *it)
{
    agora_rtc_conn *s = it->conn;
    const agora_sent_frame *f = it->frame;
    hub_channel *ch = s->channel;
    if (!ch || !s->hub_publishing)
        return;
    for (int i = 0; i < ch->listeners.count; i++) {
        agora_rtc_conn *m = ch->listeners.items[i];
        if (m == s || !subscribed(m, s->user_id))
            continue;
        agora_io_deliver_audio(svc, m, s->user_id, ch->name, f, &s->rx_hint);
    }
}

static void handle_publish(agora_service *svc, agora_rtc_conn *c, int publish)
{
    if (c->hub_publishing == publish)
        return;
    c->hub_publishing = publish;
    if (publish)
        atomic_store(&c->publishing, 1); /* unpublish closed the gate at the call */
    c->transport->publish_changed(svc, c, publish);
}

static void local_publish_changed(agora_service *svc, agora_rtc_conn *c, int publish)
{
    if (!c->channel) {
        if (!publish)
            emit(svc, c, EV_UNPUBLISHED, NULL, 0, 0, 0);
        return; /* publish success is reported on joining */
    }
    emit(svc, c, publish ? EV_PUBLISH_SUCCESS : EV_UNPUBLISHED, NULL, 0, 0, 0);
    hub_channel *ch = c->channel;
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == c || !subscribed(m, c->user_id))
            continue;
        if (publish) {
            emit(svc, m, EV_TRACK_SUBSCRIBED, c->user_id, 0, 0, 0);
        } else {
            rx_drop(m, c->user_id);
            emit(svc, m, EV_TRACK_STATE, c->user_id, REMOTE_AUDIO_STATE_STOPPED,
                 REMOTE_AUDIO_REASON_REMOTE_MUTED, 0);
        }
    }
}

static int hub_member_count(const agora_rtc_conn *c)
{
    return c->channel ? c->channel->members.count : 0;
}

static void handle_data(agora_service *svc, io_item *it)
{
    agora_rtc_conn *s = it->conn;
    hub_channel *ch = s->channel;
    if (!ch)
        return;
    int kind = it->kind == IO_MESSAGE ? EV_STREAM_MESSAGE : EV_METADATA;
    for (int i = 0; i < ch->members.count; i++) {
        agora_rtc_conn *m = ch->members.items[i];
        if (m == s)
            continue;
        agora_event *ev = agora_event_new(kind, m, it->length);
        if (!ev)
            continue;
        agora_copy_id(ev->uid, s->user_id);
        ev->a = it->kind == IO_MESSAGE ? it->arg : DEFAULT_STREAM_ID;
        memcpy(ev->data, it->data, it->length);
        post_event(svc, ev);
    }
}

static int local_has_publisher(const agora_rtc_conn *c, const char *uid)
{
    if (!c->channel)
        return 0;
    for (int i = 0; i < c->channel->members.count; i++) {
        const agora_rtc_conn *m = c->channel->members.items[i];
        if (m != c && strcmp(m->user_id, uid) == 0)
            return m->hub_publishing;
    }
    return 0;
}

static void handle_subscription(agora_service *svc, agora_rtc_conn *c, int kind, const char *uid)
{
    switch (kind) {
    case IO_SUBSCRIBE: {
        int was = subscribed(c, uid);
        if (c->sub_all)
            uid_set_remove(&c->sub_except, uid);
        else
            uid_set_add(&c->sub_only, uid);
        if (!was && c->transport->has_publisher(c, uid))
            emit(svc, c, EV_TRACK_SUBSCRIBED, uid, 0, 0, 0);
        break;
    }
    case IO_UNSUBSCRIBE:
        if (c->sub_all)
            uid_set_add(&c->sub_except, uid);
        else
            uid_set_remove(&c->sub_only, uid);
        rx_drop(c, uid);
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
        rx_drop_all(c);
        break;
    default:
        break;
    }
}

static void local_subscribe_all(agora_service *svc, agora_rtc_conn *c)
{
    for (int i = 0; c->channel && i < c->channel->members.count; i++) {
        agora_rtc_conn *m = c->channel->members.items[i];
        if (m != c && m->hub_publishing && !subscribed(c, m->user_id))
            emit(svc, c, EV_TRACK_SUBSCRIBED, m->user_id, 0, 0, 0);
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
        rx_drop_all(c); /* VAD and converters are rebuilt for the next observer */
    on = c->hub_listening != 0;
    if (was == on)
        return;
    if (c->channel) {
        if (on)
            conn_list_add(&c->channel->listeners, c);
        else
            conn_list_remove(&c->channel->listeners, c);
    }
}

static void process(agora_service *svc, io_item *it)
{
    agora_rtc_conn *c = it->conn;
    switch (it->kind) {
    case IO_CONNECT: handle_connect(svc, c); break;
    case IO_DISCONNECT: c->transport->leave(svc, c); break;
    case IO_AUDIO: c->transport->send_audio(svc, it); break;
    case IO_PUBLISH: handle_publish(svc, c, 1); break;
    case IO_UNPUBLISH: handle_publish(svc, c, 0); break;
    case IO_MESSAGE:
    case IO_METADATA: handle_data(svc, it); break;
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
                for (const agora_transport_ops *const *t = agora_transports; *t; t++)
                    if ((*t)->on_timer)
                        (*t)->on_timer(svc, expirations);
        }
    }
    for (const agora_transport_ops *const *t = agora_transports; *t; t++)
        if ((*t)->on_loop_exit)
            (*t)->on_loop_exit(svc);
    return NULL;
}

static void local_loop_exit(agora_service *svc)
{
    while (svc->channels) {
        hub_channel *n = svc->channels->next;
        channel_free(svc->channels);
        svc->channels = n;
    }
}

static int local_remote_audio_stats(const agora_rtc_conn *c, agora_remote_audio_stats *out, int n,
                                    int max, int *users)
{
    (void)out, (void)max;
    *users = hub_member_count(c);
    return n; /* the receive paths are the whole story */
}

const agora_transport_ops agora_local_transport = {
    .name = "local",
    .round_prefill = 1,
    .carries_data = 1,
    .fans_out_audio = 1,
    .send_audio = local_send_audio,
    .leave = local_leave,
    .publish_changed = local_publish_changed,
    .has_publisher = local_has_publisher,
    .subscribe_all = local_subscribe_all,
    .remote_audio_stats = local_remote_audio_stats,
    .carries_raw_video = 1,
    .video_send = agora_local_video_send,
    .video_request_keyframe = agora_local_video_request_keyframe,
    .on_loop_exit = local_loop_exit,
};

agora_rtc_conn **agora_hub_members(hub_channel *ch, int *count)
{
    *count = ch->members.count;
    return ch->members.items;
}
