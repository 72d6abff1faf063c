/* VP8 / H.264 decoding (video_decoder.h): libavcodec's own decoders, one
 * thread each, I420 out (full-range H.264 is passed as it is: the planes
 * are the same layout). */
#include "video/video_decoder.h"
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"
#include "agora_rtc/video_rtp.h"
#include "core/libav.h"

#ifdef AGORA_HAVE_AVCODEC

struct agora_video_decoder {
    const agora_libav *av;
    int codec;
    AVCodecContext *ctx;
    AVPacket *pkt;
    AVFrame *frame;
    uint8_t *buf;              /* the frame, padded as libavcodec requires */
    size_t cap;
};

static const AVCodec *decoder_of(int codec)
{
    const agora_libav *av = agora_libav_get();
    if (!av)
        return NULL;
    return codec == AGORA_VIDEO_RTP_VP8 ? av->find_decoder(AV_CODEC_ID_VP8)
           : codec == AGORA_VIDEO_RTP_H264 ? av->find_decoder(AV_CODEC_ID_H264)
                                           : NULL;
}

int agora_video_decoder_available(int codec)
{
    return decoder_of(codec) != NULL;
}

agora_video_decoder *agora_video_decoder_new(int codec)
{
    const AVCodec *dec = decoder_of(codec);
    if (!dec)
        return NULL;
    agora_video_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->av = agora_libav_get();
    d->codec = codec;
    d->ctx = d->av->alloc_context3(dec);
    d->pkt = d->av->packet_alloc();
    d->frame = d->av->frame_alloc();
    if (d->ctx)
        d->ctx->thread_count = 1;
    if (!d->ctx || !d->pkt || !d->frame || d->av->open2(d->ctx, dec, NULL) != 0) {
        agora_video_decoder_free(d);
        return NULL;
    }
    return d;
}

void agora_video_decoder_free(agora_video_decoder *d)
{
    if (!d)
        return;
    d->av->free_context(&d->ctx);
    d->av->packet_free(&d->pkt);
    d->av->frame_free(&d->frame);
    free(d->buf);
    free(d);
}

int agora_video_decoder_codec(const agora_video_decoder *d)
{
    return d->codec;
}

int agora_video_decoder_decode(agora_video_decoder *d, const uint8_t *data, size_t length,
                               int64_t render_time_ms, agora_video_decoded_cb cb, void *ud)
{
    const agora_libav *av = d->av;
    int sent = agora_libav_send_copy(av, d->ctx, d->pkt, &d->buf, &d->cap, data, length);
    if (sent != AGORA_OK)
        return sent;
    int got = 0;
    while (av->receive_frame(d->ctx, d->frame) == 0) {
        const AVFrame *f = d->frame;
        if ((f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) && f->width > 0 &&
            f->height > 0) {
            agora_video_frame out;
            memset(&out, 0, sizeof(out));
            out.type = AGORA_VIDEO_PIXEL_I420;
            out.width = f->width & ~1; /* even, as every I420 frame of the SDK */
            out.height = f->height & ~1;
            out.y_buffer = f->data[0];
            out.u_buffer = f->data[1];
            out.v_buffer = f->data[2];
            out.y_stride = f->linesize[0];
            out.u_stride = f->linesize[1];
            out.v_stride = f->linesize[2];
            out.render_time_ms = render_time_ms;
            if (out.width > 0 && out.height > 0) {
                cb(ud, &out);
                got++;
            }
        }
        av->frame_unref(d->frame);
    }
    return got;
}

#else

int agora_video_decoder_available(int codec)
{
    (void)codec;
    return 0;
}

agora_video_decoder *agora_video_decoder_new(int codec)
{
    (void)codec;
    return NULL;
}

void agora_video_decoder_free(agora_video_decoder *d)
{
    (void)d;
}

int agora_video_decoder_codec(const agora_video_decoder *d)
{
    (void)d;
    return 0;
}

int agora_video_decoder_decode(agora_video_decoder *d, const uint8_t *data, size_t length,
                               int64_t render_time_ms, agora_video_decoded_cb cb, void *ud)
{
    (void)d, (void)data, (void)length, (void)render_time_ms, (void)cb, (void)ud;
    return AGORA_ERR_NOT_SUPPORTED;
}

#endif
