/* Connections and their local user: lifecycle, observers, publishing,
 * subscriptions, outgoing audio and data. Hub work is posted to the I/O
 * thread; the calls that must be synchronous wait for it. */
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/observer_slot.h"

#define MAX_PUSH_SAMPLES_PER_CHANNEL (48000 * 3600) /* one hour per call */
#define DEFAULT_DIRECT_MAX_FRAMES 3000

void agora_conn_ref(agora_rtc_conn *c)
{
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

static void conn_free(agora_rtc_conn *c)
{
    agora_sendq_destroy(&c->sendq);
    uid_set_clear(&c->sub_only);
    uid_set_clear(&c->sub_except);
    agora_rx_table_clear(&c->rx);
    agora_video_conn_free(c);
    if (c->transport->freed)
        c->transport->freed(c);
    agora_volume_meter_free(atomic_load(&c->volume_meter));
    agora_encoded_sender_free(atomic_load(&c->encoded_sender));
    agora_frame_queue_destroy(c->direct_q);
    agora_frame_queue_destroy(atomic_load(&c->encoded_q));
    free(c->audio_token);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void agora_conn_unref(agora_rtc_conn *c)
{
    if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        conn_free(c);
}

/* retain/unretain bracket API calls made through a binding: besides the
 * connection reference they count the call on the service, whose release
 * waits for the count to drop to 0 (a call racing agora_service_release must
 * not find the service freed under it). */
void agora_rtc_conn_retain(agora_rtc_conn *c)
{
    if (c) {
        atomic_fetch_add(&c->svc->api_refs, 1);
        agora_conn_ref(c);
    }
}

void agora_rtc_conn_unretain(agora_rtc_conn *c)
{
    if (!c)
        return;
    agora_service *svc = c->svc;
    agora_conn_unref(c);
    if (atomic_fetch_sub(&svc->api_refs, 1) == 1 && atomic_load(&svc->draining)) {
        pthread_mutex_lock(&svc->sync_mu);
        pthread_cond_broadcast(&svc->sync_cv);
        pthread_mutex_unlock(&svc->sync_mu);
    }
}

void agora_conn_fill_info(agora_rtc_conn *c, agora_rtc_conn_info *out)
{
    memset(out, 0, sizeof(*out));
    out->id = c->id;
    memcpy(out->channel_id, c->channel_id, sizeof(out->channel_id));
    memcpy(out->local_user_id, c->user_id, sizeof(out->local_user_id));
    out->state = c->state;
    out->internal_uid = (uint32_t)c->id;
}

int agora_audio_rate_valid(int rate)
{
    switch (rate) {
    case 8000: case 16000: case 22050: case 24000: case 32000: case 44100: case 48000:
        return 1;
    default:
        return 0;
    }
}

/* Observer frames are exactly 10 ms, so the rate must be a multiple of 100 Hz. */
static int valid_playback_rate(int rate)
{
    return agora_audio_rate_valid(rate) && rate % 100 == 0;
}

static int valid_id(const char *s)
{
    if (!s || !s[0])
        return 0;
    size_t n = strnlen(s, AGORA_MAX_ID_LEN + 1);
    return n <= AGORA_MAX_ID_LEN;
}

agora_rtc_conn *agora_rtc_conn_create(agora_service *svc, const agora_rtc_conn_config *cfg)
{
    if (!svc || !cfg)
        return NULL;
    int rate = cfg->playback_sample_rate ? cfg->playback_sample_rate : 16000;
    int chans = cfg->playback_channels ? cfg->playback_channels : 1;
    if (!valid_playback_rate(rate) || (chans != 1 && chans != 2))
        return NULL;
    const agora_transport_ops *transport = agora_service_transport(svc, cfg->transport);
    if (!transport)
        return NULL;
    agora_rtc_conn *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    if (pthread_mutex_init(&c->mu, NULL) != 0) {
        free(c);
        return NULL;
    }
    if (pthread_cond_init(&c->cv, NULL) != 0) {
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    pthread_mutex_lock(&svc->mu);
    int ok = svc->initialized && !svc->releasing;
    int prefill = svc->cfg.prefill_ms / 10;
    pthread_mutex_unlock(&svc->mu);
    if (!transport->round_prefill)
        prefill = 0;
    if (!ok || agora_sendq_init(&c->sendq, prefill) != 0) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    c->transport = transport;
    atomic_init(&c->refs, 1);
    atomic_init(&c->publishing, 0);
    atomic_init(&c->on_air, 0);
    atomic_init(&c->audio_packet_ms, 20);
    atomic_init(&c->opus_complexity, AGORA_DEFAULT_OPUS_COMPLEXITY);
    atomic_init(&c->token_out, 0);
    c->direct_backlog_ms = AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS;
    c->direct_max_frames = DEFAULT_DIRECT_MAX_FRAMES;
    atomic_init(&c->encoded_q, NULL);
    c->encoded_backlog_ms = AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS;
    c->encoded_max_frames = DEFAULT_DIRECT_MAX_FRAMES;
    c->svc = svc;
    c->cfg = *cfg;
    c->state = AGORA_CONN_DISCONNECTED;
    c->pb_rate = rate;
    c->pb_channels = chans;
    c->sub_all = cfg->auto_subscribe_audio != 0;
    agora_dstreams_init(&c->streams);

    pthread_mutex_lock(&svc->mu);
    c->id = ++svc->next_conn_id;
    c->svc_next = svc->conns;
    if (svc->conns)
        svc->conns->svc_prev = c;
    svc->conns = c;
    pthread_mutex_unlock(&svc->mu);
    return c;
}

static int post_simple(agora_rtc_conn *c, int kind, const char *uid, int wait)
{
    io_item *it = agora_io_item_new(kind, c, 0);
    if (!it)
        return AGORA_ERR_NO_MEMORY;
    if (uid)
        agora_copy_id(it->uid, uid);
    agora_io_post(c->svc, it, wait);
    return AGORA_OK;
}

int agora_rtc_conn_connect(agora_rtc_conn *c, const char *token, const char *channel_id,
                           const char *user_id)
{
    (void)token; /* the local network has no access control */
    if (!c || !valid_id(channel_id) || !valid_id(user_id))
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    if (c->destroyed || (c->state != AGORA_CONN_DISCONNECTED && c->state != AGORA_CONN_FAILED)) {
        pthread_mutex_unlock(&c->mu);
        return AGORA_ERR_INVALID_STATE;
    }
    c->state = AGORA_CONN_CONNECTING;
    memset(c->channel_id, 0, sizeof(c->channel_id));
    memset(c->user_id, 0, sizeof(c->user_id));
    agora_copy_id(c->channel_id, channel_id);
    agora_copy_id(c->user_id, user_id);
    pthread_mutex_unlock(&c->mu);
    if (c->transport->joined_by_control_plane)
        return AGORA_OK; /* the control plane joins and posts CONNECTED or FAILURE */
    return post_simple(c, IO_CONNECT, NULL, 0);
}

int agora_rtc_conn_disconnect(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    int state = c->state;
    pthread_mutex_unlock(&c->mu);
    if (state == AGORA_CONN_DISCONNECTED && !c->transport->disconnect_when_idle)
        return AGORA_OK;
    return post_simple(c, IO_DISCONNECT, NULL, 1);
}

int agora_rtc_conn_get_info(agora_rtc_conn *c, agora_rtc_conn_info *out)
{
    if (!c || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    agora_conn_fill_info(c, out);
    pthread_mutex_unlock(&c->mu);
    return AGORA_OK;
}

/* ---- observers ---- */

/* Tell the hub whether this connection listens to audio, so it only walks
 * listeners for each frame (not every member of a big channel). */
int agora_conn_post_listen(agora_rtc_conn *c, int reason, int on)
{
    io_item *it = agora_io_item_new(IO_LISTEN, c, 0);
    if (!it)
        return AGORA_ERR_NO_MEMORY;
    it->arg = on;
    it->arg2 = reason;
    agora_io_post(c->svc, it, 0);
    return AGORA_OK;
}

/* The observer table of kind in c, and its size. */
static void *observer_table(agora_rtc_conn *c, int kind, size_t *size)
{
    switch (kind) {
    case OBS_CONN: *size = sizeof(c->conn_obs); return &c->conn_obs;
    case OBS_LOCAL_USER: *size = sizeof(c->lu_obs); return &c->lu_obs;
    default: *size = sizeof(c->audio_obs); return &c->audio_obs;
    }
}

static void set_observer(agora_rtc_conn *c, int kind, const void *table)
{
    size_t size;
    void *slot = observer_table(c, kind, &size);
    agora_observer_install(c, &c->obs_set[kind], slot, table, size);
}

/* Clear the table, then wait for calls already in flight (observer_slot.h). */
static void clear_observer(agora_rtc_conn *c, int kind)
{
    size_t size;
    void *slot = observer_table(c, kind, &size);
    pthread_mutex_lock(&c->mu);
    if (kind == OBS_AUDIO)
        c->audio_obs_gen++;  /* frames made for this registration are stale from now */
    agora_observer_remove_locked(c, &c->obs_set[kind], &c->in_flight[kind], slot, size);
    /* receive-pool runs that call an any_thread observer never wait for
     * anyone, so this wait is short and safe on any thread */
    while (kind == OBS_AUDIO && c->audio_pool_holds > 0)
        pthread_cond_wait(&c->cv, &c->mu);
    if (kind == OBS_AUDIO && c->direct) {
        c->direct = 0;
        memset(&c->direct_obs, 0, sizeof(c->direct_obs));
        agora_frame_queue_reset(c->direct_q); /* nobody pushes any more: free what waits */
    }
    pthread_mutex_unlock(&c->mu);
}

int agora_rtc_conn_register_observer(agora_rtc_conn *c, const agora_rtc_conn_observer *obs)
{
    if (!c || !obs)
        return AGORA_ERR_INVALID_ARGUMENT;
    set_observer(c, OBS_CONN, obs);
    return AGORA_OK;
}

int agora_rtc_conn_unregister_observer(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    clear_observer(c, OBS_CONN);
    return AGORA_OK;
}

int agora_rtc_conn_register_local_user_observer(agora_rtc_conn *c, const agora_local_user_observer *obs)
{
    if (!c || !obs)
        return AGORA_ERR_INVALID_ARGUMENT;
    set_observer(c, OBS_LOCAL_USER, obs);
    return AGORA_OK;
}

int agora_rtc_conn_unregister_local_user_observer(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    clear_observer(c, OBS_LOCAL_USER);
    return AGORA_OK;
}

/* A queue the delivery thread serves (direct_q, encoded_q: `encoded` picks
 * which) and the connection's audio token, each made once per connection and
 * kept until it is freed. */
int agora_conn_prepare_delivery_queue(agora_rtc_conn *c, int encoded)
{
    pthread_mutex_lock(&c->mu);
    int ready = c->audio_token && (encoded ? atomic_load(&c->encoded_q) != NULL : c->direct_q != NULL);
    pthread_mutex_unlock(&c->mu);
    if (ready)
        return AGORA_OK;
    agora_frame_queue *q = agora_frame_queue_create(DEFAULT_DIRECT_MAX_FRAMES);
    agora_event *token = calloc(1, sizeof(*token));
    if (!q || !token) {
        agora_frame_queue_destroy(q);
        free(token);
        return AGORA_ERR_NO_MEMORY;
    }
    token->kind = EV_AUDIO_READY;
    token->conn = c; /* no reference: a queued token holds one (token_out) */
    agora_frame_queue_set_notify(q, agora_delivery_schedule_audio, c, &c->svc->event_seq);
    pthread_mutex_lock(&c->mu);
    if (!c->audio_token) { /* first: a push into the queue may queue the token at once */
        c->audio_token = token;
        token = NULL;
    }
    if (encoded && !atomic_load(&c->encoded_q)) {
        atomic_store(&c->encoded_q, q);
        q = NULL;
    } else if (!encoded && !c->direct_q) {
        c->direct_q = q;
        q = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    agora_frame_queue_destroy(q); /* another registration made them first */
    free(token);
    return AGORA_OK;
}

int agora_rtc_conn_set_audio_delivery_limits(agora_rtc_conn *c, int backlog_ms, size_t max_frames)
{
    if (!c || backlog_ms < 10 || max_frames < 1)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    c->direct_backlog_ms = backlog_ms;
    c->direct_max_frames = max_frames;
    pthread_mutex_unlock(&c->mu);
    return AGORA_OK;
}

int agora_rtc_conn_get_audio_delivery_stats(agora_rtc_conn *c, agora_frame_queue_stats *out)
{
    if (!c || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    agora_frame_queue *q = c->direct ? c->direct_q : NULL;
    if (q)
        agora_frame_queue_get_stats(q, out); /* lock order: conn->mu, then the queue's */
    pthread_mutex_unlock(&c->mu);
    return q ? AGORA_OK : AGORA_ERR_INVALID_STATE;
}

int agora_rtc_conn_register_audio_frame_observer(agora_rtc_conn *c, const agora_audio_frame_observer *obs,
                                                 const agora_vad_config *vad_config, int flags)
{
    if (!c || !obs || (flags != AGORA_AUDIO_DELIVER_ALL && flags != AGORA_AUDIO_DELIVER_SPEECH_ONLY))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (flags == AGORA_AUDIO_DELIVER_SPEECH_ONLY && !vad_config)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (vad_config && agora_vad_config_validate(vad_config) != AGORA_OK)
        return AGORA_ERR_INVALID_ARGUMENT;
    int direct = !obs->any_thread;
    if (direct && agora_conn_prepare_delivery_queue(c, 0) != AGORA_OK)
        return AGORA_ERR_NO_MEMORY;
    pthread_mutex_lock(&c->mu);
    /* the replaced observer may be any_thread: no call to it after this returns */
    while (c->audio_pool_holds > 0)
        pthread_cond_wait(&c->cv, &c->mu);
    c->audio_obs_gen++; /* frames of the replaced observer are not delivered */
    if (direct) {
        /* the receive threads push into the bounded queue; the delivery thread calls obs */
        agora_frame_queue_reset(c->direct_q);
        agora_frame_queue_set_backlog_limit(c->direct_q, c->direct_backlog_ms);
        agora_frame_queue_set_max_frames(c->direct_q, c->direct_max_frames);
        agora_frame_queue_set_gen(c->direct_q, c->audio_obs_gen);
        c->direct_obs = *obs;
        c->direct = 1;
        agora_frame_queue_observer(c->direct_q, &c->audio_obs);
    } else {
        if (c->direct) {
            c->direct = 0;
            memset(&c->direct_obs, 0, sizeof(c->direct_obs));
            agora_frame_queue_reset(c->direct_q);
        }
        c->audio_obs = *obs;
    }
    c->obs_set[OBS_AUDIO] = 1;
    c->vad_enabled = vad_config != NULL;
    c->audio_flags = flags;
    if (vad_config)
        c->vad_cfg = *vad_config;
    /* (audio_obs_gen was bumped above: receive paths rebuild their VAD for the new config) */
    pthread_mutex_unlock(&c->mu);
    return agora_conn_post_listen(c, AGORA_LISTEN_AUDIO_OBSERVER, 1);
}

int agora_rtc_conn_unregister_audio_frame_observer(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    clear_observer(c, OBS_AUDIO);
    return agora_conn_post_listen(c, AGORA_LISTEN_AUDIO_OBSERVER, 0);
}

int agora_rtc_conn_destroy(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    agora_service *svc = c->svc;
    pthread_mutex_lock(&c->mu);
    if (c->destroyed) {
        /* destroyed, or another thread is destroying it: wait until that
         * returns, except on the delivery thread (the other destroy may be
         * waiting for the callback running here) */
        int self = agora_service_on_delivery_thread(svc);
        while (!self && c->destroyed == 1)
            pthread_cond_wait(&c->cv, &c->mu);
        pthread_mutex_unlock(&c->mu);
        return AGORA_ERR_INVALID_STATE;
    }
    c->destroyed = 1; /* claimed: concurrent destroys wait (unlinking twice corrupts the list) */
    pthread_mutex_unlock(&c->mu);
    agora_rtc_conn_disconnect(c);
    /* the events already queued for this connection (on_disconnected of a
     * disconnect that returned, or of the one just made, on_user_left ...)
     * reach its observers before they are unregistered; from inside a
     * callback on the delivery thread they cannot, and are dropped */
    if (!agora_service_on_delivery_thread(svc))
        agora_delivery_fence(c);
    for (int k = 0; k < OBS_KINDS; k++)
        clear_observer(c, k);
    agora_video_conn_destroy(c);
    pthread_mutex_lock(&svc->mu);
    if (c->svc_prev)
        c->svc_prev->svc_next = c->svc_next;
    else
        svc->conns = c->svc_next;
    if (c->svc_next)
        c->svc_next->svc_prev = c->svc_prev;
    c->svc_prev = c->svc_next = NULL;
    pthread_mutex_unlock(&svc->mu);
    if (c->transport->destroying)
        c->transport->destroying(c);
    pthread_mutex_lock(&c->mu);
    c->destroyed = 2;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    agora_conn_unref(c);
    return AGORA_OK;
}

/* ---- local user ---- */

int agora_local_user_publish_audio(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    /* the media clock starts cutting frames once the hub has seen the publish
     * (io_loop.c sets `publishing`), so no frame is cut and then dropped */
    return post_simple(c, IO_PUBLISH, NULL, 0);
}

int agora_local_user_unpublish_audio(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    atomic_store(&c->publishing, 0);
    return post_simple(c, IO_UNPUBLISH, NULL, 0);
}

int agora_local_user_subscribe_audio(agora_rtc_conn *c, const char *user_id)
{
    if (!c || !valid_id(user_id))
        return AGORA_ERR_INVALID_ARGUMENT;
    return post_simple(c, IO_SUBSCRIBE, user_id, 1);
}

int agora_local_user_unsubscribe_audio(agora_rtc_conn *c, const char *user_id)
{
    if (!c || !valid_id(user_id))
        return AGORA_ERR_INVALID_ARGUMENT;
    return post_simple(c, IO_UNSUBSCRIBE, user_id, 1);
}

int agora_local_user_subscribe_all_audio(agora_rtc_conn *c)
{
    return c ? post_simple(c, IO_SUBSCRIBE_ALL, NULL, 1) : AGORA_ERR_INVALID_ARGUMENT;
}

int agora_local_user_unsubscribe_all_audio(agora_rtc_conn *c)
{
    return c ? post_simple(c, IO_UNSUBSCRIBE_ALL, NULL, 1) : AGORA_ERR_INVALID_ARGUMENT;
}

int agora_local_user_set_playback_audio_frame_before_mixing_parameters(agora_rtc_conn *c, int channels,
                                                                       int sample_rate)
{
    if (!c || (channels != 1 && channels != 2) || !valid_playback_rate(sample_rate))
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    c->pb_rate = sample_rate;
    c->pb_channels = channels;
    pthread_mutex_unlock(&c->mu);
    return AGORA_OK;
}

int agora_local_user_set_user_role(agora_rtc_conn *c, int role)
{
    if (!c || (role != 1 && role != 2))
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    int state = c->state;
    if (state == AGORA_CONN_DISCONNECTED || state == AGORA_CONN_FAILED)
        c->cfg.client_role_type = role;
    pthread_mutex_unlock(&c->mu);
    /* the local network fixes the role at join; changing it live is not supported */
    return (state == AGORA_CONN_DISCONNECTED || state == AGORA_CONN_FAILED) ? AGORA_OK
                                                                            : AGORA_ERR_NOT_SUPPORTED;
}

/* ---- outgoing audio and data ---- */

int agora_rtc_conn_push_audio_pcm(agora_rtc_conn *c, const int16_t *pcm, size_t samples_per_channel,
                                  int sample_rate, int channels, int64_t start_pts)
{
    if (!c || (!pcm && samples_per_channel) || !agora_audio_rate_valid(sample_rate) ||
        (channels != 1 && channels != 2) || samples_per_channel > MAX_PUSH_SAMPLES_PER_CHANNEL)
        return AGORA_ERR_INVALID_ARGUMENT;
    return agora_sendq_push(&c->sendq, pcm, samples_per_channel, sample_rate, channels, start_pts);
}

int agora_rtc_conn_interrupt_audio(agora_rtc_conn *c, agora_interrupt_report *report)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    agora_interrupt_report r;
    agora_sendq_clear(&c->sendq, &r.sent_ms, &r.dropped_ms, &r.last_presentation_ms);
    if (report)
        *report = r;
    if (c->transport->interrupted)
        c->transport->interrupted(c);
    return AGORA_OK;
}

int agora_rtc_conn_is_push_completed(agora_rtc_conn *c)
{
    return c ? agora_sendq_is_empty(&c->sendq) : 0;
}

int agora_rtc_conn_get_send_stats(agora_rtc_conn *c, agora_send_stats *out)
{
    if (!c || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->sendq.mu);
    out->pushed_samples = c->sendq.pushed_samples;
    out->sent_frames = c->sendq.sent_frames;
    out->dropped_samples = c->sendq.dropped_samples;
    out->queued_samples = c->sendq.queued_samples;
    out->drained_events = c->sendq.drained_events;
    pthread_mutex_unlock(&c->sendq.mu);
    return AGORA_OK;
}

/* stream_id: the data stream of an IO_MESSAGE (0 for metadata). */
static int send_data(agora_rtc_conn *c, int kind, int stream_id, const uint8_t *data, size_t length,
                     size_t limit)
{
    if (!c || (!data && length))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (length > limit)
        return AGORA_ERR_TOO_LARGE;
    if (!c->transport->carries_data)
        return AGORA_ERR_NOT_SUPPORTED;
    int rc = c->transport->data_ok ? c->transport->data_ok(c, kind, data, length) : AGORA_OK;
    if (rc != AGORA_OK)
        return rc;
    pthread_mutex_lock(&c->mu);
    if (kind == IO_MESSAGE && !agora_dstreams_exists(&c->streams, stream_id))
        rc = AGORA_ERR_INVALID_ARGUMENT;
    else if (c->state != AGORA_CONN_CONNECTED)
        rc = AGORA_ERR_NOT_READY;
    else if (kind == IO_MESSAGE)
        rc = agora_dstreams_admit(&c->streams, stream_id, agora_monotonic_ms(), length);
    pthread_mutex_unlock(&c->mu);
    if (rc != AGORA_OK)
        return rc;
    io_item *it = agora_io_item_new(kind, c, length);
    if (!it)
        return AGORA_ERR_NO_MEMORY;
    it->arg = stream_id;
    if (length)
        memcpy(it->data, data, length);
    agora_io_post(c->svc, it, 0);
    return AGORA_OK;
}

int agora_rtc_conn_create_data_stream(agora_rtc_conn *c, int *stream_id, int reliable, int ordered)
{
    /* the local hub is reliable and ordered; through Janus every stream shares the
     * publisher's one data channel (README, "Parameters, data streams, statistics") */
    (void)reliable;
    (void)ordered;
    if (!c || !stream_id)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    int rc = c->destroyed ? AGORA_ERR_INVALID_STATE : agora_dstreams_create(&c->streams);
    pthread_mutex_unlock(&c->mu);
    if (rc < 0)
        return rc;
    *stream_id = rc;
    return AGORA_OK;
}

int agora_rtc_conn_set_stream_rate_limit(agora_rtc_conn *c, int enabled)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    pthread_mutex_lock(&c->mu);
    c->streams.rate_limit = enabled != 0;
    pthread_mutex_unlock(&c->mu);
    return AGORA_OK;
}

int agora_rtc_conn_set_audio_packet_ms(agora_rtc_conn *c, int ms)
{
    if (!c || (ms != 10 && ms != 20))
        return AGORA_ERR_INVALID_ARGUMENT;
    atomic_store(&c->audio_packet_ms, ms);
    return AGORA_OK;
}

int agora_rtc_conn_set_opus_complexity(agora_rtc_conn *c, int complexity)
{
    if (!c || complexity < 0 || complexity > 10)
        return AGORA_ERR_INVALID_ARGUMENT;
    atomic_store(&c->opus_complexity, complexity);
    return AGORA_OK;
}

int agora_rtc_conn_send_stream_message_on(agora_rtc_conn *c, int stream_id, const uint8_t *data,
                                          size_t length)
{
    return send_data(c, IO_MESSAGE, stream_id, data, length, AGORA_MAX_STREAM_MESSAGE);
}

int agora_rtc_conn_send_stream_message(agora_rtc_conn *c, const uint8_t *data, size_t length)
{
    return send_data(c, IO_MESSAGE, 1, data, length, AGORA_MAX_STREAM_MESSAGE);
}

int agora_rtc_conn_send_audio_meta_data(agora_rtc_conn *c, const uint8_t *data, size_t length)
{
    return send_data(c, IO_METADATA, 0, data, length, AGORA_MAX_AUDIO_METADATA);
}

int agora_rtc_conn_send_dtmf_event(agora_rtc_conn *c, int key, int duration_ms)
{
    if (key < 0 || key > 15 || duration_ms < 0 || duration_ms > 0xFFFF)
        return AGORA_ERR_INVALID_ARGUMENT;
    const uint8_t item[3] = {(uint8_t)key, (uint8_t)(duration_ms >> 8), (uint8_t)duration_ms};
    return send_data(c, IO_DTMF, 0, item, sizeof(item), sizeof(item));
}
