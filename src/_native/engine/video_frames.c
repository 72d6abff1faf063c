/* Video of a connection: publishing, subscriptions, pushed frames and their
 * fan-out on the local network (I/O thread), intra requests. The observers
 * and the delivery of video events are in video_delivery.c. On the RTP
 * transport, pushed encoded frames and intra requests go to rtp_video_plane.c,
 * which hands received frames back through agora_video_deliver_remote.
 *
 * A pushed raw frame is validated and converted to I420 in the pushing
 * thread into one reference-counted buffer, which every receiver's event
 * shares (no copy per receiver inside the engine); the observer trampoline
 * makes the SDK-owned copy. Encoded frames are copied once the same way.
 * Video is not paced: a frame is handed to the I/O thread when pushed.
 * Where the transport encodes raw frames (RTP), the I420 frame is encoded in
 * the pushing thread too (video_encoder.h) and what the encoder gives is
 * posted as encoded frames, in push order. */
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "core/growable.h"
#include "video/video_decoder.h"
#include "video/video_encoder.h"

static agora_video_buf *buf_new(size_t length)
{
    agora_video_buf *b = malloc(sizeof(*b) + length);
    if (!b)
        return NULL;
    memset(b, 0, sizeof(*b));
    atomic_init(&b->refs, 1);
    b->length = length;
    return b;
}

static void buf_ref(agora_video_buf *b)
{
    atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
}

void agora_video_buf_unref(agora_video_buf *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        free(b);
}

static int valid_id(const char *s)
{
    return s && s[0] && strnlen(s, AGORA_MAX_ID_LEN + 1) <= AGORA_MAX_ID_LEN;
}



void agora_video_conn_free(agora_rtc_conn *c)
{
    agora_video_encoder_free(atomic_exchange(&c->video.encoder, NULL));
    for (int i = 0; i < AGORA_VIDEO_MAX_DECODERS; i++) {
        agora_video_decoder_free(c->video.dec[i].dec);
        c->video.dec[i].dec = NULL;
    }
    free(c->video.subs);
    c->video.subs = NULL;
    c->video.nsubs = c->video.cap = 0;
    free(c->video.seen);
    c->video.seen = NULL;
    c->video.nseen = c->video.seen_cap = 0;
}

/* ---- calls ---- */

agora_video_buf *agora_video_buf_new_encoded(const uint8_t *data, size_t length,
                                             const agora_encoded_video_info *info)
{
    agora_video_buf *b = buf_new(length);
    if (!b)
        return NULL;
    b->encoded = 1;
    b->info = *info;
    memcpy(b->data, data, length);
    b->bytes = b->data;
    return b;
}

static int post(agora_rtc_conn *c, int kind, const char *uid, int arg, int wait)
{
    io_item *it = agora_io_item_new(kind, c, 0);
    if (!it)
        return AGORA_ERR_NO_MEMORY;
    if (uid)
        agora_copy_id(it->uid, uid);
    it->arg = arg;
    if (wait)
        return agora_io_call(c->svc, it);
    agora_io_post(c->svc, it, 0);
    return AGORA_OK;
}

int agora_rtc_conn_set_auto_subscribe_video(agora_rtc_conn *c, int on)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(c, on ? IO_VIDEO_SUBSCRIBE_ALL : IO_VIDEO_UNSUBSCRIBE_ALL, NULL, VSUB_RAW, 1);
}

int agora_local_user_publish_video(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    atomic_store(&c->video.published, 1);
    return post(c, IO_VIDEO_PUBLISH, NULL, 0, 0);
}

int agora_local_user_unpublish_video(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    atomic_store(&c->video.published, 0);
    return post(c, IO_VIDEO_UNPUBLISH, NULL, 0, 0);
}

int agora_local_user_subscribe_video(agora_rtc_conn *c, const char *user_id, int encoded_only)
{
    if (!c || !valid_id(user_id))
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(c, IO_VIDEO_SUBSCRIBE, user_id, encoded_only ? VSUB_ENCODED : VSUB_RAW, 1);
}

int agora_local_user_unsubscribe_video(agora_rtc_conn *c, const char *user_id)
{
    if (!c || !valid_id(user_id))
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(c, IO_VIDEO_UNSUBSCRIBE, user_id, VSUB_NONE, 1);
}

int agora_local_user_subscribe_all_video(agora_rtc_conn *c, int encoded_only)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(c, IO_VIDEO_SUBSCRIBE_ALL, NULL, encoded_only ? VSUB_ENCODED : VSUB_RAW, 1);
}

int agora_local_user_unsubscribe_all_video(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    return post(c, IO_VIDEO_UNSUBSCRIBE_ALL, NULL, VSUB_NONE, 1);
}

static int connected(agora_rtc_conn *c)
{
    pthread_mutex_lock(&c->mu);
    int ok = c->state == AGORA_CONN_CONNECTED && !c->destroyed;
    pthread_mutex_unlock(&c->mu);
    return ok;
}

int agora_local_user_send_intra_request(agora_rtc_conn *c, const char *user_id)
{
    if (!c || !valid_id(user_id))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!connected(c))
        return AGORA_ERR_NOT_READY;
    return post(c, IO_VIDEO_INTRA, user_id, 0, 1);
}

/* The connection's encoder, created on first use (pushes come from any thread). */
static agora_video_encoder *encoder_of(agora_rtc_conn *c)
{
    agora_video_encoder *e = atomic_load(&c->video.encoder);
    if (e)
        return e;
    if (!(e = agora_video_encoder_new()))
        return NULL;
    agora_video_encoder *expected = NULL;
    if (!atomic_compare_exchange_strong(&c->video.encoder, &expected, e)) {
        agora_video_encoder_free(e); /* another thread created it first */
        e = expected;
    }
    return e;
}

int agora_rtc_conn_set_video_encoder(agora_rtc_conn *c, const agora_video_encoder_config *cfg)
{
    if (!c || !cfg || cfg->width < 0 || cfg->height < 0 || cfg->width > AGORA_VIDEO_MAX_DIMENSION ||
        cfg->height > AGORA_VIDEO_MAX_DIMENSION || (cfg->width == 0) != (cfg->height == 0) ||
        cfg->frame_rate < 0 || cfg->frame_rate > 120 || cfg->bitrate_kbps < 0 ||
        cfg->orientation_mode < 0 || cfg->orientation_mode > 2)
        return AGORA_ERR_INVALID_ARGUMENT;
    agora_video_encoder *e = encoder_of(c);
    if (!e)
        return AGORA_ERR_NO_MEMORY;
    agora_video_encoder_configure(e, cfg);
    return AGORA_OK;
}

int agora_video_encoder_supported(int codec, const char **detail)
{
    return agora_video_encoder_available(codec, detail);
}

void agora_video_request_local_keyframe(agora_rtc_conn *c)
{
    agora_video_encoder *e = atomic_load(&c->video.encoder);
    if (e)
        agora_video_encoder_request_keyframe(e);
}

/* The checks every push makes; AGORA_OK when the frame may leave. codec:
 * the encoded frame's codec_type, 0 for a raw frame. *encode_to: for a raw
 * frame, the codec the transport encodes it to (0: sent raw). */
static int push_gate(agora_rtc_conn *c, int codec, int *encode_to)
{
    const agora_transport_ops *t = c->transport;
    if (codec == 0 && !t->carries_raw_video && !t->video_encode_codec)
        return AGORA_ERR_NOT_SUPPORTED;
    if (!atomic_load(&c->video.published) || !connected(c))
        return AGORA_ERR_NOT_READY;
    if (codec == 0 && !t->carries_raw_video) {
        *encode_to = t->video_encode_codec(c);
        return *encode_to ? AGORA_OK : AGORA_ERR_NOT_SUPPORTED; /* no video stream to send on */
    }
    return codec != 0 && t->video_codec_ok ? t->video_codec_ok(c, codec) : AGORA_OK;
}

static int post_frame(agora_rtc_conn *c, agora_video_buf *b)
{
    io_item *it = agora_io_item_new(IO_VIDEO_FRAME, c, 0);
    if (!it) {
        agora_video_buf_unref(b);
        return AGORA_ERR_NO_MEMORY;
    }
    it->video = b; /* the item owns the reference; complete() drops it */
    agora_io_post(c->svc, it, 0);
    return AGORA_OK;
}

/* The encoder's callback: one encoded frame of c's raw push, sent as pushed. */
static int post_encoded(void *ud, const uint8_t *data, size_t length, const agora_encoded_video_info *info)
{
    agora_rtc_conn *c = ud;
    agora_video_buf *b = agora_video_buf_new_encoded(data, length, info);
    if (!b)
        return AGORA_ERR_NO_MEMORY;
    b->info.uid = (uint32_t)c->id;
    agora_video_count(&c->video.encoded_frames);
    return post_frame(c, b);
}

int agora_rtc_conn_push_video_frame(agora_rtc_conn *c, const agora_external_video_frame *f)
{
    if (!c || !f || !f->buffer || (!f->metadata && f->metadata_length) ||
        f->metadata_length > AGORA_VIDEO_MAX_METADATA || f->stride > AGORA_VIDEO_MAX_DIMENSION ||
        f->height > AGORA_VIDEO_MAX_DIMENSION ||
        (f->rotation != 0 && f->rotation != 90 && f->rotation != 180 && f->rotation != 270))
        return AGORA_ERR_INVALID_ARGUMENT;
    int w = f->stride - f->crop_left - f->crop_right;
    int h = f->height - f->crop_top - f->crop_bottom;
    size_t need = agora_video_buffer_size(f->format, f->stride, f->height);
    if (need == 0 || need != f->length || w <= 0 || h <= 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    int encode_to = 0;
    int rc = push_gate(c, 0, &encode_to);
    if (rc != AGORA_OK)
        return rc;
    agora_video_encoder *e = encode_to ? encoder_of(c) : NULL;
    if (encode_to && !e)
        return AGORA_ERR_NO_MEMORY;
    size_t ysize = (size_t)w * h, csize = (size_t)(w / 2) * (h / 2);
    agora_video_buf *b = buf_new(ysize + 2 * csize + f->metadata_length);
    if (!b)
        return AGORA_ERR_NO_MEMORY;
    agora_video_frame *o = &b->frame;
    o->type = AGORA_VIDEO_PIXEL_I420;
    o->width = w;
    o->height = h;
    o->y_stride = w;
    o->u_stride = o->v_stride = w / 2;
    uint8_t *y = b->data, *u = y + ysize, *v = u + csize;
    rc = agora_video_to_i420(f, y, w, u, w / 2, v, w / 2);
    if (rc != AGORA_OK) {
        agora_video_buf_unref(b);
        return rc;
    }
    o->y_buffer = y;
    o->u_buffer = u;
    o->v_buffer = v;
    o->rotation = f->rotation;
    o->render_time_ms = f->timestamp;
    if (f->metadata_length) {
        memcpy(v + csize, f->metadata, f->metadata_length);
        o->metadata = v + csize;
        o->metadata_length = f->metadata_length;
    }
    agora_video_count(&c->video.pushed_frames);
    if (!e)
        return post_frame(c, b);
    int64_t cap = f->timestamp > 0 ? f->timestamp : agora_monotonic_ns() / 1000000;
    rc = agora_video_encoder_encode(e, encode_to, o, cap, post_encoded, c);
    agora_video_buf_unref(b);
    return rc;
}

int agora_rtc_conn_push_video_encoded(agora_rtc_conn *c, const uint8_t *data, size_t length,
                                      const agora_encoded_video_info *info)
{
    if (!c || !data || length == 0 || length > AGORA_VIDEO_MAX_ENCODED || !info)
        return AGORA_ERR_INVALID_ARGUMENT;
    int unused = 0;
    int rc = push_gate(c, info->codec_type, &unused);
    if (rc != AGORA_OK)
        return rc;
    if (c->transport->video_frame_ok &&
        (rc = c->transport->video_frame_ok(c, data, length, info->codec_type)) != AGORA_OK)
        return rc;
    agora_video_buf *b = agora_video_buf_new_encoded(data, length, info);
    if (!b)
        return AGORA_ERR_NO_MEMORY;
    b->info.uid = (uint32_t)c->id; /* the sender's internal uid */
    agora_video_count(&c->video.pushed_encoded);
    return post_frame(c, b);
}

int agora_rtc_conn_get_video_stats(agora_rtc_conn *c, agora_video_stats *out)
{
    if (!c || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    agora_conn_video *v = &c->video;
    out->pushed_frames = atomic_load(&v->pushed_frames);
    out->pushed_encoded = atomic_load(&v->pushed_encoded);
    out->sent_frames = atomic_load(&v->sent_frames);
    out->received_frames = atomic_load(&v->received_frames);
    out->received_encoded = atomic_load(&v->received_encoded);
    out->raw_not_encoded = atomic_load(&v->raw_not_encoded);
    out->encoded_not_decoded = atomic_load(&v->encoded_not_decoded);
    out->dropped_backlog = atomic_load(&v->dropped_backlog);
    out->intra_requests = atomic_load(&v->intra_requests);
    out->encoded_frames = atomic_load(&v->encoded_frames);
    out->decoded_frames = atomic_load(&v->decoded_frames);
    return AGORA_OK;
}

/* ---- I/O thread ---- */

static const agora_video_sub *find_sub(const agora_conn_video *v, const char *uid)
{
    for (int i = 0; i < v->nsubs; i++)
        if (strcmp(v->subs[i].uid, uid) == 0)
            return &v->subs[i];
    return NULL;
}

static int sub_mode(const agora_conn_video *v, const char *uid)
{
    const agora_video_sub *e = find_sub(v, uid);
    return e ? e->mode : v->all_mode;
}

int agora_video_sub_mode(agora_rtc_conn *c, const char *uid)
{
    return sub_mode(&c->video, uid);
}

/* 1 when uid was already in the seen set; otherwise adds it (0). */
static int seen_add(agora_conn_video *v, const char *uid)
{
    for (int i = 0; i < v->nseen; i++)
        if (strcmp(v->seen[i].uid, uid) == 0)
            return 1;
    void *grown = agora_grow(v->seen, v->nseen, &v->seen_cap, sizeof(*v->seen), 8);
    if (!grown)
        return 1; /* out of memory: no first-frame event */
    v->seen = grown;
    agora_copy_id(v->seen[v->nseen++].uid, uid);
    return 0;
}

static void seen_remove(agora_conn_video *v, const char *uid)
{
    for (int i = 0; i < v->nseen; i++) {
        if (strcmp(v->seen[i].uid, uid) == 0) {
            v->seen[i] = v->seen[--v->nseen];
            return;
        }
    }
}

static int set_sub(agora_conn_video *v, const char *uid, int mode)
{
    seen_remove(v, uid); /* a new subscription reports its first frame again */
    int64_t now = agora_monotonic_ns() / 1000000;
    for (int i = 0; i < v->nsubs; i++) {
        if (strcmp(v->subs[i].uid, uid) == 0) {
            v->subs[i].mode = mode;
            v->subs[i].since_ms = now;
            return AGORA_OK;
        }
    }
    void *grown = agora_grow(v->subs, v->nsubs, &v->cap, sizeof(*v->subs), 8);
    if (!grown)
        return AGORA_ERR_NO_MEMORY;
    v->subs = grown;
    agora_copy_id(v->subs[v->nsubs].uid, uid);
    v->subs[v->nsubs].since_ms = now;
    v->subs[v->nsubs++].mode = mode;
    return AGORA_OK;
}

static int observed(agora_rtc_conn *c, int vobs)
{
    pthread_mutex_lock(&c->mu);
    int on = c->video.obs_set[vobs] && !c->destroyed;
    pthread_mutex_unlock(&c->mu);
    return on;
}

void agora_video_emit(agora_service *svc, agora_rtc_conn *to, int kind, const char *uid)
{
    if (!observed(to, VOBS_USER))
        return;
    agora_event *ev = agora_event_alloc(kind, to, 0);
    if (!ev)
        return;
    if (uid)
        agora_copy_id(ev->uid, uid);
    agora_workq_push(&svc->delivery_q, &ev->node);
}

/* Tell receiver m that it now gets sender s's video (when s publishes and m subscribes). */
static void track_subscribed(agora_service *svc, agora_rtc_conn *m, agora_rtc_conn *s)
{
    if (m == s || !s->video.hub_published || !observed(m, VOBS_USER))
        return;
    int mode = sub_mode(&m->video, s->user_id);
    if (mode == VSUB_NONE)
        return;
    agora_event *ev = agora_event_alloc(EV_VIDEO_TRACK_SUBSCRIBED, m, 0);
    if (!ev)
        return;
    agora_copy_id(ev->uid, s->user_id);
    if (s->joined) {
        pthread_mutex_lock(&s->mu);
        agora_copy_id(ev->channel_id, s->channel_id);
        pthread_mutex_unlock(&s->mu);
    }
    ev->a = (int)(uint32_t)s->id;
    ev->b = mode == VSUB_ENCODED;
    agora_workq_push(&svc->delivery_q, &ev->node);
}

/* The other users in c's channel as its transport knows them (the local
 * network: its hub channel's members); NULL and *n = 0 when there are none. */
static agora_rtc_conn **channel_members(agora_rtc_conn *c, int *n)
{
    *n = 0;
    return c->transport->channel_members ? c->transport->channel_members(c, n) : NULL;
}

void agora_video_on_join(agora_service *svc, agora_rtc_conn *c)
{
    int n = 0;
    agora_rtc_conn **members = channel_members(c, &n);
    c->video.nseen = 0; /* first frames are reported again after a (re)join */
    for (int i = 0; i < n; i++) {
        seen_remove(&members[i]->video, c->user_id);
        track_subscribed(svc, c, members[i]);
        track_subscribed(svc, members[i], c);
    }
}

/* The member of c's channel called uid, or NULL. */
static agora_rtc_conn *member(agora_rtc_conn *c, const char *uid)
{
    int n = 0;
    agora_rtc_conn **members = channel_members(c, &n);
    for (int i = 0; i < n; i++)
        if (members[i] != c && strcmp(members[i]->user_id, uid) == 0)
            return members[i];
    return NULL;
}

/* One frame of sender uid for receiver m, as m subscribed to it. */
void agora_video_deliver_remote(agora_service *svc, agora_rtc_conn *m, const char *uid,
                                const char *channel, agora_video_buf *b)
{
    agora_conn_video *v = &m->video;
    int mode = sub_mode(v, uid);
    if (mode == VSUB_NONE)
        return;
    if (mode == VSUB_RAW && b->encoded && !agora_video_decoder_available(b->info.codec_type)) {
        agora_video_count(&v->encoded_not_decoded); /* decoded on the delivery thread otherwise */
        return;
    }
    if (mode == VSUB_ENCODED && !b->encoded) {
        agora_video_count(&v->raw_not_encoded); /* no encoder on the local network */
        return;
    }
    if (!seen_add(v, uid) && observed(m, VOBS_USER)) {
        const agora_video_sub *e = find_sub(v, uid);
        int64_t since = e ? e->since_ms : v->all_since_ms;
        agora_event *ev = agora_event_alloc(EV_FIRST_VIDEO_FRAME, m, 0);
        if (ev) {
            agora_copy_id(ev->uid, uid);
            ev->a = b->encoded ? b->info.width : b->frame.width;
            ev->b = b->encoded ? b->info.height : b->frame.height;
            int64_t elapsed = agora_monotonic_ns() / 1000000 - since;
            ev->c = elapsed > 0x7fffffff ? 0x7fffffff : (int)elapsed;
            agora_workq_push(&svc->delivery_q, &ev->node);
        }
    }
    int raw = mode == VSUB_RAW; /* an encoded frame for a raw subscription: decoded at delivery */
    if (!observed(m, raw ? VOBS_FRAME : VOBS_ENCODED))
        return;
    if (atomic_fetch_add(&v->pending, 1) >= AGORA_VIDEO_MAX_PENDING) {
        atomic_fetch_sub(&v->pending, 1);
        agora_video_count(&v->dropped_backlog);
        return;
    }
    agora_event *ev = agora_event_alloc(raw ? EV_VIDEO_FRAME : EV_VIDEO_ENCODED, m, 0);
    if (!ev) {
        atomic_fetch_sub(&v->pending, 1);
        agora_video_count(&v->dropped_backlog);
        return;
    }
    agora_copy_id(ev->uid, uid);
    agora_copy_id(ev->channel_id, channel);
    buf_ref(b);
    ev->video = b;
    agora_workq_push(&svc->delivery_q, &ev->node);
}

void agora_video_process(agora_service *svc, io_item *it)
{
    agora_rtc_conn *c = it->conn;
    agora_conn_video *v = &c->video;
    int rc = AGORA_OK;
    switch (it->kind) {
    case IO_VIDEO_PUBLISH:
    case IO_VIDEO_UNPUBLISH: {
        /* the local network publishes at once, connected or not */
        agora_video_emit(svc, c, it->kind == IO_VIDEO_PUBLISH ? EV_VIDEO_PUBLISH_SUCCESS : EV_VIDEO_UNPUBLISHED, NULL);
        if (v->hub_published == (it->kind == IO_VIDEO_PUBLISH))
            break;
        v->hub_published = it->kind == IO_VIDEO_PUBLISH;
        int n = 0;
        agora_rtc_conn **members = channel_members(c, &n);
        for (int i = 0; i < n; i++) {
            if (v->hub_published)
                track_subscribed(svc, members[i], c);
            else /* publishing again reports a first frame again */
                seen_remove(&members[i]->video, c->user_id);
        }
        break;
    }
    case IO_VIDEO_FRAME:
        c->transport->video_send(svc, c, it->video);
        break;
    case IO_VIDEO_SUBSCRIBE:
    case IO_VIDEO_UNSUBSCRIBE: {
        int was = sub_mode(v, it->uid);
        rc = set_sub(v, it->uid, it->arg);
        agora_rtc_conn *s = member(c, it->uid);
        if (rc == AGORA_OK && s && it->arg != was)
            track_subscribed(svc, c, s);
        break;
    }
    case IO_VIDEO_SUBSCRIBE_ALL:
    case IO_VIDEO_UNSUBSCRIBE_ALL: {
        int n = 0, *was = NULL;
        agora_rtc_conn **members = channel_members(c, &n);
        if (n > 0 && (was = malloc(sizeof(*was) * (size_t)n)) != NULL)
            for (int i = 0; i < n; i++)
                was[i] = sub_mode(v, members[i]->user_id);
        v->all_mode = it->kind == IO_VIDEO_SUBSCRIBE_ALL ? it->arg : VSUB_NONE;
        v->all_since_ms = agora_monotonic_ns() / 1000000;
        v->nsubs = 0;
        v->nseen = 0;
        for (int i = 0; was && i < n; i++)
            if (was[i] != v->all_mode)
                track_subscribed(svc, c, members[i]);
        free(was);
        break;
    }
    case IO_VIDEO_INTRA:
        rc = c->transport->video_request_keyframe(svc, c, it->uid);
        break;
    default: break;
    }
    if (it->result)
        *it->result = rc;
}
