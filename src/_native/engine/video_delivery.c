/* Video observers of a connection (frame, encoded frame, local-user video
 * events): registration, and the delivery thread's calls. Same contract as
 * delivery.c: the table is copied under conn->mu, the call is counted in
 * flight, no lock is held while it runs, and unregistering waits for it. */
#include <stdlib.h>
#include <string.h>
#include "engine/engine.h"
#include "engine/observer_slot.h"
#include "video/video_decoder.h"

/* ---- observers ---- */

/* The video observer table of kind in v, and its size. */
static void *observer_table(agora_conn_video *v, int kind, size_t *size)
{
    switch (kind) {
    case VOBS_FRAME: *size = sizeof(v->frame_obs); return &v->frame_obs;
    case VOBS_ENCODED: *size = sizeof(v->enc_obs); return &v->enc_obs;
    default: *size = sizeof(v->user_obs); return &v->user_obs;
    }
}

static void set_observer(agora_rtc_conn *c, int kind, const void *table)
{
    size_t size;
    void *slot = observer_table(&c->video, kind, &size);
    agora_observer_install(c, &c->video.obs_set[kind], slot, table, size);
}

/* Clear the table, then wait for calls in flight (observer_slot.h). */
static void clear_observer(agora_rtc_conn *c, int kind)
{
    size_t size;
    void *slot = observer_table(&c->video, kind, &size);
    pthread_mutex_lock(&c->mu);
    agora_observer_remove_locked(c, &c->video.obs_set[kind], &c->video.in_flight[kind], slot, size);
    pthread_mutex_unlock(&c->mu);
}

int agora_rtc_conn_register_video_frame_observer(agora_rtc_conn *c, const agora_video_frame_observer *obs)
{
    if (!c || !obs)
        return AGORA_ERR_INVALID_ARGUMENT;
    set_observer(c, VOBS_FRAME, obs);
    return AGORA_OK;
}

int agora_rtc_conn_unregister_video_frame_observer(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    clear_observer(c, VOBS_FRAME);
    return AGORA_OK;
}

int agora_rtc_conn_register_video_encoded_frame_observer(agora_rtc_conn *c,
                                                         const agora_video_encoded_frame_observer *obs)
{
    if (!c || !obs)
        return AGORA_ERR_INVALID_ARGUMENT;
    set_observer(c, VOBS_ENCODED, obs);
    return AGORA_OK;
}

int agora_rtc_conn_unregister_video_encoded_frame_observer(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    clear_observer(c, VOBS_ENCODED);
    return AGORA_OK;
}

int agora_rtc_conn_register_video_user_observer(agora_rtc_conn *c, const agora_video_user_observer *obs)
{
    if (!c || !obs)
        return AGORA_ERR_INVALID_ARGUMENT;
    set_observer(c, VOBS_USER, obs);
    return AGORA_OK;
}

int agora_rtc_conn_unregister_video_user_observer(agora_rtc_conn *c)
{
    if (!c)
        return AGORA_ERR_INVALID_ARGUMENT;
    clear_observer(c, VOBS_USER);
    return AGORA_OK;
}

void agora_video_conn_destroy(agora_rtc_conn *c)
{
    for (int k = 0; k < VOBS_KINDS; k++)
        clear_observer(c, k);
}

/* ---- delivery thread ---- */

/* uid's decoder for codec in c (created, or replacing the oldest), NULL when
 * libavcodec cannot make one. */
static agora_video_decoder *decoder_for(agora_conn_video *v, const char *uid, int codec)
{
    agora_video_dec_slot *slot = NULL;
    for (int i = 0; i < AGORA_VIDEO_MAX_DECODERS && !slot; i++)
        if (v->dec[i].dec && strcmp(v->dec[i].uid, uid) == 0)
            slot = &v->dec[i];
    if (slot && agora_video_decoder_codec(slot->dec) == codec)
        return slot->dec;
    if (!slot) {
        slot = &v->dec[v->dec_next];
        v->dec_next = (v->dec_next + 1) % AGORA_VIDEO_MAX_DECODERS;
    }
    agora_video_decoder_free(slot->dec);
    agora_copy_id(slot->uid, uid);
    slot->dec = agora_video_decoder_new(codec);
    return slot->dec;
}

typedef struct decoded_call {
    agora_video_frame_observer *fo;
    agora_event *ev;
    agora_conn_video *v;
} decoded_call;

static void on_decoded(void *ud, const agora_video_frame *frame)
{
    decoded_call *d = ud;
    agora_video_count(&d->v->decoded_frames);
    agora_video_count(&d->v->received_frames);
    if (d->fo->on_frame)
        d->fo->on_frame(d->fo->user_data, d->ev->channel_id, d->ev->uid, frame);
}

/* An encoded frame for a raw subscription: decoded here, each picture to on_frame. */
static void decode_and_call(agora_conn_video *v, agora_video_frame_observer *fo, agora_event *ev,
                            const agora_video_buf *b)
{
    agora_video_decoder *dec = decoder_for(v, ev->uid, b->info.codec_type);
    decoded_call d = {fo, ev, v};
    if (!dec || agora_video_decoder_decode(dec, b->bytes, b->length, b->info.capture_time_ms,
                                           on_decoded, &d) < 0)
        agora_video_count(&v->encoded_not_decoded);
}

int agora_video_event(int kind)
{
    return kind == EV_VIDEO_FRAME || kind == EV_VIDEO_ENCODED || kind == EV_VIDEO_PUBLISH_SUCCESS ||
           kind == EV_VIDEO_UNPUBLISHED || kind == EV_INTRA_REQUEST || kind == EV_FIRST_VIDEO_FRAME ||
           kind == EV_VIDEO_TRACK_SUBSCRIBED;
}

void agora_video_dispatch(agora_event *ev)
{
    agora_rtc_conn *c = ev->conn;
    agora_conn_video *v = &c->video;
    int kind = ev->kind == EV_VIDEO_FRAME ? VOBS_FRAME : ev->kind == EV_VIDEO_ENCODED ? VOBS_ENCODED : VOBS_USER;
    agora_video_frame_observer fo = {0};
    agora_video_encoded_frame_observer eo = {0};
    agora_video_user_observer uo = {0};
    pthread_mutex_lock(&c->mu);
    int have = v->obs_set[kind] && !c->destroyed;
    if (have) {
        fo = v->frame_obs;
        eo = v->enc_obs;
        uo = v->user_obs;
        v->in_flight[kind]++;
    }
    pthread_mutex_unlock(&c->mu);
    agora_video_buf *b = ev->video;
    if (have) {
        switch (ev->kind) {
        case EV_VIDEO_FRAME:
            if (b->encoded) {
                decode_and_call(v, &fo, ev, b);
                break;
            }
            agora_video_count(&v->received_frames);
            if (fo.on_frame) fo.on_frame(fo.user_data, ev->channel_id, ev->uid, &b->frame);
            break;
        case EV_VIDEO_ENCODED:
            agora_video_count(&v->received_encoded);
            if (eo.on_encoded_video_frame)
                eo.on_encoded_video_frame(eo.user_data, ev->uid, b->bytes, b->length, &b->info);
            break;
        case EV_VIDEO_PUBLISH_SUCCESS:
            if (uo.on_video_track_publish_success) uo.on_video_track_publish_success(uo.user_data);
            break;
        case EV_VIDEO_UNPUBLISHED:
            if (uo.on_video_track_unpublished) uo.on_video_track_unpublished(uo.user_data);
            break;
        case EV_INTRA_REQUEST:
            if (uo.on_intra_request_received) uo.on_intra_request_received(uo.user_data, ev->uid);
            break;
        case EV_VIDEO_TRACK_SUBSCRIBED:
            if (uo.on_user_video_track_subscribed)
                uo.on_user_video_track_subscribed(uo.user_data, ev->channel_id, ev->uid,
                                                  (uint32_t)ev->a, ev->b);
            break;
        case EV_FIRST_VIDEO_FRAME:
            if (uo.on_first_remote_video_frame)
                uo.on_first_remote_video_frame(uo.user_data, ev->uid, ev->a, ev->b, ev->c);
            break;
        default:
            break;
        }
        agora_observer_call_end(c, &v->in_flight[kind]);
    }
    if (b) {
        ev->video = NULL;
        agora_video_buf_unref(b);
        atomic_fetch_sub(&v->pending, 1);
    }
}
