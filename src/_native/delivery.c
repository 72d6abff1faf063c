/* The delivery thread: the only thread that calls observer functions.
 *
 * For each event it copies the observer's function table under conn->mu,
 * counts the call as in flight, drops the lock, calls, then signals waiters.
 * Unregistering clears the table and waits for in_flight to reach zero, so a
 * call never starts after unregister returns and never outlives it. */
#include <stdlib.h>
#include <string.h>
#include "engine.h"

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
    case EV_ENCODED_AUDIO:
        if (o->on_encoded_audio_frame) {
            agora_encoded_audio_info info;
            memcpy(&info, ev->data + ev->length, sizeof(info));
            o->on_encoded_audio_frame(o->user_data, ev->uid, ev->data, ev->length, &info);
        }
        break;
    case EV_ACTIVE_SPEAKER:
        if (o->on_active_speaker) o->on_active_speaker(o->user_data, ev->uid);
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

    pthread_mutex_lock(&c->mu);
    c->in_flight[kind]--;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

int agora_delivery_fence(agora_rtc_conn *c)
{
    agora_service *svc = c->svc;
    pthread_mutex_lock(&svc->mu);
    int running = svc->initialized;
    pthread_mutex_unlock(&svc->mu);
    if (!running)
        return AGORA_OK; /* no delivery thread: nothing was queued */
    agora_event *ev = agora_event_alloc(EV_FENCE, c, 0);
    if (!ev)
        return AGORA_ERR_NO_MEMORY;
    int done = 0;
    ev->done = &done;
    agora_workq_push(&svc->delivery_q, &ev->node);
    pthread_mutex_lock(&svc->sync_mu);
    while (!done)
        pthread_cond_wait(&svc->sync_cv, &svc->sync_mu);
    pthread_mutex_unlock(&svc->sync_mu);
    return AGORA_OK;
}

void *agora_delivery_main(void *arg)
{
    agora_service *svc = arg;
    agora_qnode *batch;
    while ((batch = agora_workq_take_all(&svc->delivery_q)) != NULL) {
        while (batch) {
            agora_event *ev = (agora_event *)batch;
            batch = batch->next;
            if (ev->kind == EV_FENCE) {
                pthread_mutex_lock(&svc->sync_mu);
                *ev->done = 1;
                pthread_cond_broadcast(&svc->sync_cv);
                pthread_mutex_unlock(&svc->sync_mu);
            } else if (agora_video_event(ev->kind))
                agora_video_dispatch(ev); /* video_delivery.c */
            else
                dispatch(ev);
            agora_conn_unref(ev->conn);
            free(ev);
        }
    }
    return NULL;
}
