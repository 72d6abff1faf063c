/* The delivery thread: the only thread that calls observer functions
 * (besides any_thread audio observers, which the receive threads call).
 *
 * For each event it copies the observer's function table under conn->mu,
 * counts the call as in flight, drops the lock, calls, then signals waiters.
 * Unregistering clears the table and waits for in_flight to reach zero, so a
 * call never starts after unregister returns and never outlives it.
 *
 * Three paths, so that connection events never wait behind media:
 *   control  connection and local-user events (joined, left, disconnected,
 *            stream messages, stats ...): always first;
 *   media    video frames (bounded per receiver);
 *   audio    "direct" audio-frame observers and encoded audio packets: each
 *            connection's frames and packets wait in its bounded frame queues
 *            (frame_queue.h: direct_q, encoded_q), popped one at a time, the
 *            older head first, connections taking turns.
 * A control event first delivers its connection's audio frames and packets
 * queued before it, and its media events sorted in before it (the order things happened in:
 * a stream message sent after audio or video comes after it), unless it has waited AGORA_CONTROL_BYPASS_MS: then it
 * overtakes the audio backlog of a slow observer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/engine.h"
#include "engine/observer_slot.h"

static int observer_kind_of(int event_kind)
{
    switch (event_kind) {
    case EV_CONNECTED:
    case EV_DISCONNECTED:
    case EV_CONNECTION_FAILURE:
    case EV_USER_JOINED:
    case EV_USER_LEFT:
    case EV_CONNECTION_LOST:
    case EV_RECONNECTING:
    case EV_RECONNECTED:
    case EV_TRANSPORT_STATS:
        return OBS_CONN;
    case EV_AUDIO_FRAME:
        return OBS_AUDIO;
    default:
        return OBS_LOCAL_USER;
    }
}

agora_event *agora_event_new(int kind, agora_rtc_conn *conn, size_t length)
{
    /* nobody listens: skip the allocation and the trip through the delivery thread */
    pthread_mutex_lock(&conn->mu);
    /* destroyed == 1: a destroy is running; its own disconnect's events are
     * delivered before the observers are cleared (agora_delivery_fence) */
    int wanted = conn->obs_set[observer_kind_of(kind)] && conn->destroyed != 2;
    pthread_mutex_unlock(&conn->mu);
    if (!wanted)
        return NULL;
    return agora_event_alloc(kind, conn, length);
}

agora_event *agora_event_alloc(int kind, agora_rtc_conn *conn, size_t length)
{
    agora_event *ev = calloc(1, sizeof(*ev) + length);
    if (!ev)
        return NULL;
    ev->kind = kind;
    ev->conn = conn;
    ev->seq = atomic_fetch_add(&conn->svc->event_seq, 1);
    ev->t_ns = agora_monotonic_ns();
    agora_conn_ref(conn);
    ev->length = length;
    return ev;
}

static void call_conn_observer(const agora_rtc_conn_observer *o, agora_event *ev)
{
    switch (ev->kind) {
    case EV_CONNECTED:
        if (o->on_connected) o->on_connected(o->user_data, &ev->info, ev->a);
        break;
    case EV_DISCONNECTED:
        if (o->on_disconnected) o->on_disconnected(o->user_data, &ev->info, ev->a);
        break;
    case EV_CONNECTION_FAILURE:
        if (o->on_connection_failure) o->on_connection_failure(o->user_data, &ev->info, ev->a);
        break;
    case EV_USER_JOINED:
        if (o->on_user_joined) o->on_user_joined(o->user_data, ev->uid);
        break;
    case EV_USER_LEFT:
        if (o->on_user_left) o->on_user_left(o->user_data, ev->uid, ev->a);
        break;
    case EV_CONNECTION_LOST:
        if (o->on_connection_lost) o->on_connection_lost(o->user_data, &ev->info);
        break;
    case EV_RECONNECTING:
        if (o->on_reconnecting) o->on_reconnecting(o->user_data, &ev->info, ev->a);
        break;
    case EV_RECONNECTED:
        if (o->on_reconnected) o->on_reconnected(o->user_data, &ev->info, ev->a);
        break;
    case EV_TRANSPORT_STATS:
        if (o->on_transport_stats) o->on_transport_stats(o->user_data, ev->a);
        break;
    default:
        break;
    }
}

static void call_local_user_observer(const agora_local_user_observer *o, agora_event *ev)
{
    switch (ev->kind) {
    case EV_PUBLISH_SUCCESS:
        if (o->on_audio_track_publish_success) o->on_audio_track_publish_success(o->user_data);
        break;
    case EV_UNPUBLISHED:
        if (o->on_audio_track_unpublished) o->on_audio_track_unpublished(o->user_data);
        break;
    case EV_TRACK_SUBSCRIBED:
        if (o->on_user_audio_track_subscribed) o->on_user_audio_track_subscribed(o->user_data, ev->uid);
        break;
    case EV_TRACK_STATE:
        if (o->on_user_audio_track_state_changed)
            o->on_user_audio_track_state_changed(o->user_data, ev->uid, ev->a, ev->b, ev->c);
        break;
    case EV_FIRST_FRAME:
        if (o->on_first_remote_audio_frame) o->on_first_remote_audio_frame(o->user_data, ev->uid, ev->a);
        break;
    case EV_STREAM_MESSAGE:
        if (o->on_stream_message)
            o->on_stream_message(o->user_data, ev->uid, ev->a, ev->data, ev->length);
        break;
    case EV_PUSH_COMPLETED:
        if (o->on_audio_push_completed) o->on_audio_push_completed(o->user_data, ev->a);
        break;
    case EV_AUDIO_TRACK_STATS:
        if (o->on_audio_track_stats) o->on_audio_track_stats(o->user_data, ev->a);
        break;
    case EV_VOLUME_INDICATION:
        if (o->on_audio_volume_indication)
            o->on_audio_volume_indication(o->user_data, (const agora_audio_volume_info *)ev->data,
                                          (unsigned)ev->a, ev->b);
        break;
    case EV_ACTIVE_SPEAKER:
        if (o->on_active_speaker) o->on_active_speaker(o->user_data, ev->uid);
        break;
    case EV_DTMF:
        if (o->on_dtmf_received) o->on_dtmf_received(o->user_data, ev->uid, ev->a, ev->b);
        break;
    case EV_METADATA:
        if (o->on_audio_meta_data_received)
            o->on_audio_meta_data_received(o->user_data, ev->uid, ev->data, ev->length);
        break;
    default:
        break;
    }
}

static void dispatch(agora_event *ev)
{
    agora_rtc_conn *c = ev->conn;
    int kind = observer_kind_of(ev->kind);
    agora_rtc_conn_observer conn_obs = {0};
    agora_local_user_observer lu_obs = {0};
    agora_audio_frame_observer audio_obs = {0};
    int have;

    pthread_mutex_lock(&c->mu);
    switch (kind) {
    case OBS_CONN:
        conn_obs = c->conn_obs;
        have = c->obs_set[OBS_CONN];
        break;
    case OBS_LOCAL_USER:
        lu_obs = c->lu_obs;
        have = c->obs_set[OBS_LOCAL_USER];
        break;
    default:
        audio_obs = c->audio_obs;
        /* frames built for an older registration (other VAD config) are stale */
        have = c->obs_set[OBS_AUDIO] && (unsigned)ev->b == c->audio_obs_gen;
        break;
    }
    if (!have) {
        pthread_mutex_unlock(&c->mu);
        return;
    }
    c->in_flight[kind]++;
    pthread_mutex_unlock(&c->mu);

    switch (kind) {
    case OBS_CONN:
        call_conn_observer(&conn_obs, ev);
        break;
    case OBS_LOCAL_USER:
        call_local_user_observer(&lu_obs, ev);
        break;
    default:
        if (audio_obs.on_playback_audio_frame_before_mixing)
            audio_obs.on_playback_audio_frame_before_mixing(
                audio_obs.user_data, ev->channel_id, ev->uid, &ev->frame,
                ev->has_vad ? &ev->vad : NULL);
        if (audio_obs.on_frames_done)
            audio_obs.on_frames_done(audio_obs.user_data);
        break;
    }

    agora_observer_call_end(c, &c->in_flight[kind]);
}

int agora_delivery_fence(agora_rtc_conn *c)
{
    agora_service *svc = c->svc;
    pthread_mutex_lock(&svc->mu);
    int running = svc->initialized;
    pthread_mutex_unlock(&svc->mu);
    if (!running)
        return AGORA_OK; /* no delivery thread: nothing was queued */
    agora_fence *fence = calloc(1, sizeof(*fence));
    agora_event *ev = fence ? agora_event_alloc(EV_FENCE, c, 0) : NULL;
    if (!ev) {
        free(fence);
        return AGORA_ERR_NO_MEMORY;
    }
    ev->fence = fence;
    agora_workq_push(&svc->delivery_q, &ev->node);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline); /* sync_cv's clock */
    deadline.tv_sec += AGORA_FENCE_TIMEOUT_MS / 1000;
    deadline.tv_nsec += (long)(AGORA_FENCE_TIMEOUT_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&svc->sync_mu);
    while (!fence->done) {
        if (pthread_cond_timedwait(&svc->sync_cv, &svc->sync_mu, &deadline) == ETIMEDOUT)
            break;
    }
    int done = fence->done;
    if (done)
        free(fence);
    else
        fence->abandoned = 1; /* the delivery thread frees it when it gets there */
    pthread_mutex_unlock(&svc->sync_mu);
    return done ? AGORA_OK : AGORA_ERR_FAILED;
}

/* ---- direct audio ---- */

/* Deliver one frame popped from c's direct queue (dropped when the observer
 * that queued it is gone). */
static void deliver_direct(agora_rtc_conn *c, agora_queued_frame *f)
{
    pthread_mutex_lock(&c->mu);
    int have = c->obs_set[OBS_AUDIO] && c->direct && f->gen == c->audio_obs_gen;
    agora_audio_frame_observer obs = c->direct_obs;
    if (have)
        c->in_flight[OBS_AUDIO]++;
    pthread_mutex_unlock(&c->mu);
    if (have) {
        if (f->warn && obs.on_backlog) {
            agora_frame_queue_stats st;
            agora_frame_queue_get_stats(c->direct_q, &st);
            obs.on_backlog(obs.user_data, &st);
        }
        agora_vad_result vad = {.state = f->vad_state, .bytes = f->vad_bytes, .length = f->vad_length};
        if (obs.on_playback_audio_frame_before_mixing)
            obs.on_playback_audio_frame_before_mixing(obs.user_data, f->channel_id, f->user_id, &f->frame,
                                                      f->vad_state >= 0 ? &vad : NULL);
        if (obs.on_frames_done)
            obs.on_frames_done(obs.user_data);
        agora_observer_call_end(c, &c->in_flight[OBS_AUDIO]);
    }
    agora_queued_frame_free(f);
}

/* Deliver one packet popped from c's encoded queue (dropped when delivery was
 * switched since it was queued, or nobody observes the local user). */
static void deliver_encoded(agora_rtc_conn *c, agora_queued_frame *f)
{
    pthread_mutex_lock(&c->mu);
    int have = c->obs_set[OBS_LOCAL_USER] && f->gen == c->encoded_gen &&
               atomic_load(&c->encoded_delivery);
    agora_local_user_observer obs = c->lu_obs;
    if (have)
        c->in_flight[OBS_LOCAL_USER]++;
    pthread_mutex_unlock(&c->mu);
    if (have) {
        if (f->warn && obs.on_encoded_audio_backlog) {
            agora_frame_queue_stats st;
            agora_frame_queue_get_stats(atomic_load(&c->encoded_q), &st);
            obs.on_encoded_audio_backlog(obs.user_data, &st);
        }
        if (obs.on_encoded_audio_frame)
            obs.on_encoded_audio_frame(obs.user_data, f->user_id, f->packet, f->packet_length,
                                       &f->packet_info);
        agora_observer_call_end(c, &c->in_flight[OBS_LOCAL_USER]);
    }
    agora_queued_frame_free(f);
}

/* Of c's queues served here (direct audio, encoded audio), pop the older head
 * if its seq is below `before`, and deliver it; 0 when nothing was. */
static int deliver_next(agora_rtc_conn *c, uint64_t before)
{
    agora_frame_queue *q = c->direct_q, *enc = atomic_load(&c->encoded_q);
    if (enc) {
        /* both may hold something: the older head first (without encoded
         * delivery, the common case, no peek: one lock per frame) */
        uint64_t seq, oldest = before;
        q = NULL;
        if (c->direct_q && agora_frame_queue_head_seq(c->direct_q, &seq) && seq < oldest) {
            q = c->direct_q;
            oldest = seq;
        }
        if (agora_frame_queue_head_seq(enc, &seq) && seq < oldest)
            q = enc;
    }
    /* (the head may have been dropped meanwhile: then its newer neighbour comes) */
    agora_queued_frame *f = q ? agora_frame_queue_pop_before(q, before) : NULL;
    if (!f)
        return 0;
    if (q == c->direct_q)
        deliver_direct(c, f);
    else
        deliver_encoded(c, f);
    return 1;
}

/* Frames or packets wait in one of c's queues served here. */
static int audio_waiting(agora_rtc_conn *c)
{
    agora_frame_queue *enc = atomic_load(&c->encoded_q);
    return (c->direct_q && agora_frame_queue_waiting(c->direct_q) > 0) ||
           (enc && agora_frame_queue_waiting(enc) > 0);
}

void agora_delivery_schedule_audio(void *arg)
{
    agora_rtc_conn *c = arg;
    if (atomic_exchange(&c->token_out, 1))
        return; /* queued already, or the delivery thread is on it */
    agora_conn_ref(c);
    agora_workq_push(&c->svc->delivery_q, &c->audio_token->node);
}

/* The audio frames and packets of ev's connection queued before ev, unless ev waited too long. */
static void deliver_audio_before(agora_event *ev)
{
    agora_rtc_conn *c = ev->conn;
    while (agora_monotonic_ns() - ev->t_ns < (int64_t)AGORA_CONTROL_BYPASS_MS * 1000000) {
        if (!deliver_next(c, ev->seq))
            return;
    }
}

/* ---- the loop ---- */

typedef struct ev_list {
    agora_event *head, *tail;
} ev_list;

typedef struct conn_list {
    agora_rtc_conn *head, *tail;
} conn_list;

static void ev_append(ev_list *l, agora_event *ev)
{
    ev->node.next = NULL;
    if (l->tail)
        l->tail->node.next = &ev->node;
    else
        l->head = ev;
    l->tail = ev;
}

static agora_event *ev_take(ev_list *l)
{
    agora_event *ev = l->head;
    if (ev) {
        l->head = (agora_event *)ev->node.next;
        if (!l->head)
            l->tail = NULL;
    }
    return ev;
}

static void conn_append(conn_list *l, agora_rtc_conn *c)
{
    c->ready_next = NULL;
    if (l->tail)
        l->tail->ready_next = c;
    else
        l->head = c;
    l->tail = c;
}

static agora_rtc_conn *conn_take(conn_list *l)
{
    agora_rtc_conn *c = l->head;
    if (c) {
        l->head = c->ready_next;
        if (!l->head)
            l->tail = NULL;
        c->ready_next = NULL;
    }
    return c;
}

static int is_media(int kind)
{
    return kind == EV_AUDIO_FRAME || kind == EV_VIDEO_FRAME ||
           kind == EV_VIDEO_ENCODED;
}

static void sort_in(agora_qnode *batch, ev_list *control, ev_list *media, conn_list *ready)
{
    while (batch) {
        agora_event *ev = (agora_event *)batch;
        batch = batch->next;
        if (ev->kind == EV_AUDIO_READY)
            conn_append(ready, ev->conn); /* the token's reference goes with it */
        else
            ev_append(is_media(ev->kind) ? media : control, ev);
    }
}

static void finish(agora_service *svc, agora_event *ev);

/* The media events (video, encoded audio) of ev's connection sorted in before
 * ev, delivered first, unless ev waited too long: a stream message sent after a
 * video frame comes after it, as with audio (deliver_audio_before). */
static void deliver_media_before(agora_service *svc, ev_list *media, agora_event *ev)
{
    agora_event *prev = NULL, *m = media->head;
    while (m && agora_monotonic_ns() - ev->t_ns < (int64_t)AGORA_CONTROL_BYPASS_MS * 1000000) {
        agora_event *next = (agora_event *)m->node.next;
        if (m->conn == ev->conn && m->seq < ev->seq) {
            if (prev)
                prev->node.next = next ? &next->node : NULL;
            else
                media->head = next;
            if (media->tail == m)
                media->tail = prev;
            finish(svc, m);
        } else {
            prev = m;
        }
        m = next;
    }
}

static void finish(agora_service *svc, agora_event *ev)
{
    if (ev->kind == EV_FENCE) {
        pthread_mutex_lock(&svc->sync_mu);
        if (ev->fence->abandoned) {
            free(ev->fence);
        } else {
            ev->fence->done = 1;
            pthread_cond_broadcast(&svc->sync_cv);
        }
        pthread_mutex_unlock(&svc->sync_mu);
    } else if (agora_video_event(ev->kind)) {
        agora_video_dispatch(ev); /* video_delivery.c */
    } else {
        dispatch(ev);
    }
    agora_conn_unref(ev->conn);
    free(ev);
}

/* One frame of the first ready connection, which then goes to the back of
 * the line; a connection whose queue is empty leaves it. */
static void serve_audio(conn_list *ready)
{
    agora_rtc_conn *c = conn_take(ready);
    if (deliver_next(c, UINT64_MAX)) {
        conn_append(ready, c);
        return;
    }
    atomic_store(&c->token_out, 0);
    /* a frame pushed since the pop may have found the token out: take it back */
    if (audio_waiting(c) && !atomic_exchange(&c->token_out, 1))
        conn_append(ready, c);
    else
        agora_conn_unref(c);
}

void *agora_delivery_main(void *arg)
{
    agora_service *svc = arg;
    ev_list control = {NULL, NULL}, media = {NULL, NULL};
    conn_list ready = {NULL, NULL};
    for (;;) {
        if (!control.head && !media.head && !ready.head) {
            agora_qnode *batch = agora_workq_take_all(&svc->delivery_q); /* blocks */
            if (!batch)
                break; /* closed and drained */
            sort_in(batch, &control, &media, &ready);
        } else if (agora_workq_pending(&svc->delivery_q)) {
            int closed;
            sort_in(agora_workq_poll(&svc->delivery_q, &closed), &control, &media, &ready);
        }
        agora_event *ev = ev_take(&control);
        if (ev) {
            if (ev->kind != EV_FENCE) {
                deliver_media_before(svc, &media, ev);
                deliver_audio_before(ev);
            }
            finish(svc, ev);
        } else if ((ev = ev_take(&media)) != NULL) {
            finish(svc, ev);
        } else {
            serve_audio(&ready);
        }
    }
    return NULL;
}
