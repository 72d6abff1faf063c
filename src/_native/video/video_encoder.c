/* Raw video encoding (video_encoder.h). The encoded size is the pushed
 * frame's, scaled down to fit the configured dimensions (aspect ratio kept,
 * never scaled up; ORIENTATION_MODE_ADAPTIVE: a portrait frame fits the
 * portrait box of the same dimensions). Rate control: the configured bitrate
 * (constant bitrate), else 0.1 bit per pixel per frame at the configured
 * frame rate; a keyframe every 3 s and on request; real-time settings (no
 * frame lag, no B-frames, one thread). */
#include "video/video_encoder.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "agora_rtc/video_rtp.h"
#include "core/libav.h"

#define DEFAULT_FPS 15
#define KEYFRAME_SECONDS 3
#define MIN_KBPS 30

#ifdef AGORA_HAVE_AVCODEC

static const char *encoder_name(int codec)
{
    return codec == AGORA_VIDEO_RTP_VP8 ? "libvpx" : codec == AGORA_VIDEO_RTP_H264 ? "libx264" : NULL;
}

struct agora_video_encoder {
    pthread_mutex_t mu;
    agora_video_encoder_config cfg;
    atomic_int key_wanted;
    atomic_uint_fast64_t frames;
    /* the open codec, NULL until a frame comes (or after a change) */
    AVCodecContext *ctx;
    int codec, in_w, in_h;
    AVFrame *frame;
    AVPacket *pkt;
    struct SwsContext *sws;
    uint8_t *scaled;
    size_t scaled_cap;
    int have_pts;
    int64_t last_pts;
};

int agora_video_encoder_available(int codec, const char **detail)
{
    const char *name = encoder_name(codec);
    const agora_libav *av = agora_libav_get();
    if (detail)
        *detail = codec == AGORA_VIDEO_RTP_VP8 ? "libavcodec's libvpx (VP8) encoder"
                  : codec == AGORA_VIDEO_RTP_H264 ? "libavcodec's libx264 (H.264) encoder"
                                                  : "VP8 or H.264";
    return name && av && av->find_encoder_by_name(name) && agora_libsws_get();
}

agora_video_encoder *agora_video_encoder_new(void)
{
    agora_video_encoder *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    if (pthread_mutex_init(&e->mu, NULL) != 0) {
        free(e);
        return NULL;
    }
    atomic_init(&e->key_wanted, 0);
    atomic_init(&e->frames, 0);
    return e;
}

static void close_codec(agora_video_encoder *e)
{
    const agora_libav *av = agora_libav_get();
    if (av) {
        av->free_context(&e->ctx);
        av->frame_free(&e->frame);
        av->packet_free(&e->pkt);
    }
    e->codec = 0;
}

void agora_video_encoder_free(agora_video_encoder *e)
{
    if (!e)
        return;
    close_codec(e);
    if (e->sws)
        agora_libsws_get()->free_context(e->sws);
    free(e->scaled);
    pthread_mutex_destroy(&e->mu);
    free(e);
}

void agora_video_encoder_configure(agora_video_encoder *e, const agora_video_encoder_config *cfg)
{
    pthread_mutex_lock(&e->mu);
    e->cfg = *cfg;
    close_codec(e);
    pthread_mutex_unlock(&e->mu);
}

void agora_video_encoder_request_keyframe(agora_video_encoder *e)
{
    atomic_store(&e->key_wanted, 1);
}

uint64_t agora_video_encoder_frames(agora_video_encoder *e)
{
    return atomic_load(&e->frames);
}

/* The encoded size of a w x h frame under the configuration. */
static void out_size(const agora_video_encoder_config *cfg, int w, int h, int *ow, int *oh)
{
    *ow = w;
    *oh = h;
    int bw = cfg->width, bh = cfg->height;
    if (bw <= 0 || bh <= 0)
        return;
    if (cfg->orientation_mode == 0 && (w >= h) != (bw >= bh)) { /* adaptive */
        int t = bw;
        bw = bh;
        bh = t;
    }
    if (w <= bw && h <= bh)
        return;
    /* the smaller of the two ratios, in integers: w*bh vs h*bw */
    if ((int64_t)w * bh <= (int64_t)h * bw) {
        *oh = bh;
        *ow = (int)((int64_t)w * bh / h);
    } else {
        *ow = bw;
        *oh = (int)((int64_t)h * bw / w);
    }
    *ow = *ow < 2 ? 2 : *ow & ~1;
    *oh = *oh < 2 ? 2 : *oh & ~1;
}

static int open_codec(agora_video_encoder *e, int codec, int in_w, int in_h)
{
    const agora_libav *av = agora_libav_get();
    const AVCodec *enc = av ? av->find_encoder_by_name(encoder_name(codec)) : NULL;
    if (!enc || !agora_libsws_get())
        return AGORA_ERR_NOT_SUPPORTED;
    int w, h;
    out_size(&e->cfg, in_w, in_h, &w, &h);
    int fps = e->cfg.frame_rate > 0 ? e->cfg.frame_rate : DEFAULT_FPS;
    int64_t kbps = e->cfg.bitrate_kbps > 0 ? e->cfg.bitrate_kbps : (int64_t)w * h * fps / 10000;
    if (kbps < MIN_KBPS)
        kbps = MIN_KBPS;
    AVCodecContext *ctx = av->alloc_context3(enc);
    e->frame = av->frame_alloc();
    e->pkt = av->packet_alloc();
    if (!ctx || !e->frame || !e->pkt) {
        av->free_context(&ctx);
        close_codec(e);
        return AGORA_ERR_NO_MEMORY;
    }
    ctx->width = w;
    ctx->height = h;
    ctx->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx->time_base = (AVRational){1, 1000}; /* pts in ms */
    ctx->framerate = (AVRational){fps, 1};
    ctx->gop_size = fps * KEYFRAME_SECONDS;
    ctx->max_b_frames = 0;
    ctx->thread_count = 1;
    ctx->bit_rate = kbps * 1000;
    ctx->rc_min_rate = ctx->rc_max_rate = ctx->bit_rate; /* libvpx: constant bitrate */
    ctx->rc_buffer_size = (int)(ctx->bit_rate > 0x7fffffff ? 0x7fffffff : ctx->bit_rate);
    if (codec == AGORA_VIDEO_RTP_VP8) {
        av->opt_set(ctx->priv_data, "deadline", "realtime", 0);
        av->opt_set(ctx->priv_data, "cpu-used", "8", 0);
        av->opt_set(ctx->priv_data, "lag-in-frames", "0", 0);
        av->opt_set(ctx->priv_data, "error-resilient", "default", 0);
    } else { /* Annex B with SPS/PPS before every IDR: no global header */
        ctx->rc_min_rate = 0;
        av->opt_set(ctx->priv_data, "preset", "ultrafast", 0);
        av->opt_set(ctx->priv_data, "tune", "zerolatency", 0);
        av->opt_set(ctx->priv_data, "profile", "baseline", 0);
        av->opt_set(ctx->priv_data, "forced-idr", "1", 0);
    }
    if (av->open2(ctx, enc, NULL) != 0) {
        av->free_context(&ctx);
        close_codec(e);
        return AGORA_ERR_FAILED;
    }
    e->ctx = ctx;
    e->codec = codec;
    e->in_w = in_w;
    e->in_h = in_h;
    atomic_store(&e->key_wanted, 1); /* a new stream starts with a keyframe */
    return AGORA_OK;
}

#define SCALE_ALIGN 64

static size_t align_up(size_t n)
{
    return (n + SCALE_ALIGN - 1) & ~(size_t)(SCALE_ALIGN - 1);
}

/* The frame's planes at the encoder's size into e->frame (scaled when needed). */
static int fill_frame(agora_video_encoder *e, const agora_video_frame *f)
{
    AVFrame *o = e->frame;
    const int w = e->ctx->width, h = e->ctx->height;
    o->format = AV_PIX_FMT_YUV420P;
    o->width = w;
    o->height = h;
    if (w == f->width && h == f->height) {
        o->data[0] = (uint8_t *)f->y_buffer;
        o->data[1] = (uint8_t *)f->u_buffer;
        o->data[2] = (uint8_t *)f->v_buffer;
        o->linesize[0] = f->y_stride;
        o->linesize[1] = f->u_stride;
        o->linesize[2] = f->v_stride;
        return AGORA_OK;
    }
    const agora_libsws *sw = agora_libsws_get();
    /* libswscale writes whole SIMD vectors: rows of a width that is not a multiple of the
     * vector run past their end, and the last row past the buffer's (a heap overflow the
     * Python API fuzzer found at small sizes). Rows padded to SCALE_ALIGN and a tail. */
    const size_t ys = align_up((size_t)w), cs = align_up((size_t)(w / 2));
    size_t need = ys * h + 2 * cs * (h / 2) + SCALE_ALIGN;
    if (need > e->scaled_cap) {
        void *p = NULL;
        if (posix_memalign(&p, SCALE_ALIGN, need) != 0)
            return AGORA_ERR_NO_MEMORY;
        free(e->scaled);
        e->scaled = p;
        e->scaled_cap = need;
    }
    e->sws = sw->get_cached_context(e->sws, f->width, f->height, AV_PIX_FMT_YUV420P, w, h,
                                    AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
    if (!e->sws)
        return AGORA_ERR_FAILED;
    o->data[0] = e->scaled;
    o->data[1] = e->scaled + ys * h;
    o->data[2] = o->data[1] + cs * (h / 2);
    o->linesize[0] = (int)ys;
    o->linesize[1] = o->linesize[2] = (int)cs;
    const uint8_t *const src[3] = {f->y_buffer, f->u_buffer, f->v_buffer};
    const int src_stride[3] = {f->y_stride, f->u_stride, f->v_stride};
    sw->scale(e->sws, src, src_stride, 0, f->height, o->data, o->linesize);
    return AGORA_OK;
}

int agora_video_encoder_encode(agora_video_encoder *e, int codec, const agora_video_frame *f,
                               int64_t capture_ms, agora_video_encoded_cb cb, void *ud)
{
    const agora_libav *av = agora_libav_get();
    if (!av)
        return AGORA_ERR_NOT_SUPPORTED;
    pthread_mutex_lock(&e->mu);
    int rc = AGORA_OK;
    if (e->ctx && (e->codec != codec || e->in_w != f->width || e->in_h != f->height))
        close_codec(e); /* another stream or size: a new encoder */
    if (!e->ctx)
        rc = open_codec(e, codec, f->width, f->height);
    if (rc == AGORA_OK)
        rc = fill_frame(e, f);
    if (rc != AGORA_OK)
        goto out;
    int64_t pts = e->have_pts && capture_ms <= e->last_pts ? e->last_pts + 1 : capture_ms;
    e->have_pts = 1;
    e->last_pts = pts;
    e->frame->pts = pts;
    e->frame->pict_type = atomic_exchange(&e->key_wanted, 0) ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    int sent = av->send_frame(e->ctx, e->frame);
    memset(e->frame->data, 0, sizeof(e->frame->data)); /* our planes, never the frame's to free */
    if (sent < 0) {
        rc = AGORA_ERR_FAILED;
        goto out;
    }
    while (av->receive_packet(e->ctx, e->pkt) == 0) {
        agora_encoded_video_info info;
        memset(&info, 0, sizeof(info));
        info.codec_type = codec;
        info.width = e->ctx->width;
        info.height = e->ctx->height;
        info.frames_per_second = e->ctx->framerate.num;
        info.frame_type = (e->pkt->flags & AV_PKT_FLAG_KEY) ? 3 : 4; /* KEY / DELTA */
        info.capture_time_ms = e->pkt->pts;
        int r = cb(ud, e->pkt->data, (size_t)e->pkt->size, &info);
        av->packet_unref(e->pkt);
        atomic_fetch_add(&e->frames, 1);
        if (r != AGORA_OK && rc == AGORA_OK)
            rc = r;
    }
out:
    pthread_mutex_unlock(&e->mu);
    return rc;
}

#else /* built without libavcodec's headers */

struct agora_video_encoder {
    int unused;
};

int agora_video_encoder_available(int codec, const char **detail)
{
    (void)codec;
    if (detail)
        *detail = agora_libav_name();
    return 0;
}

agora_video_encoder *agora_video_encoder_new(void)
{
    return calloc(1, sizeof(agora_video_encoder));
}

void agora_video_encoder_free(agora_video_encoder *e)
{
    free(e);
}

void agora_video_encoder_configure(agora_video_encoder *e, const agora_video_encoder_config *cfg)
{
    (void)e, (void)cfg;
}

void agora_video_encoder_request_keyframe(agora_video_encoder *e)
{
    (void)e;
}

uint64_t agora_video_encoder_frames(agora_video_encoder *e)
{
    (void)e;
    return 0;
}

int agora_video_encoder_encode(agora_video_encoder *e, int codec, const agora_video_frame *f,
                               int64_t capture_ms, agora_video_encoded_cb cb, void *ud)
{
    (void)e, (void)codec, (void)f, (void)capture_ms, (void)cb, (void)ud;
    return AGORA_ERR_NOT_SUPPORTED;
}

#endif
