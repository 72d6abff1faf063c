/* AAC decoding through libavcodec, loaded at run time (dlopen) so that the
 * engine, and the wheel that carries it, need FFmpeg only when AAC is pushed.
 * Built against the headers of the libavcodec found at build time; the
 * library loaded is the one with the same major version (same ABI). */
#include "audio/codec/aac_decoder.h"
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/errors.h"

#ifdef AGORA_HAVE_AVCODEC
#include <dlfcn.h>
#include <pthread.h>
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>

#define AVCODEC_SONAME "libavcodec.so." AV_STRINGIFY(LIBAVCODEC_VERSION_MAJOR)
#define AVUTIL_SONAME "libavutil.so." AV_STRINGIFY(LIBAVUTIL_VERSION_MAJOR)

/* the functions used, resolved once */
static struct {
    const AVCodec *(*find_decoder)(enum AVCodecID);
    AVCodecContext *(*alloc_context3)(const AVCodec *);
    int (*open2)(AVCodecContext *, const AVCodec *, AVDictionary **);
    void (*free_context)(AVCodecContext **);
    int (*send_packet)(AVCodecContext *, const AVPacket *);
    int (*receive_frame)(AVCodecContext *, AVFrame *);
    AVPacket *(*packet_alloc)(void);
    void (*packet_free)(AVPacket **);
    AVFrame *(*frame_alloc)(void);
    void (*frame_free)(AVFrame **);
    void (*frame_unref)(AVFrame *);
    void *(*mallocz)(size_t);
    void (*channel_layout_default)(AVChannelLayout *, int);
    int (*log_get_level)(void);
    void (*log_set_level)(int);
    const AVCodec *aac;
} av;
static pthread_once_t av_once = PTHREAD_ONCE_INIT;
static int av_ok;

static void av_load(void)
{
    void *util = dlopen(AVUTIL_SONAME, RTLD_NOW | RTLD_LOCAL);
    void *codec = util ? dlopen(AVCODEC_SONAME, RTLD_NOW | RTLD_LOCAL) : NULL;
    if (!codec)
        return; /* the handles stay open for the life of the process when found */
#define SYM(lib, field, name) (*(void **)&av.field = dlsym(lib, name))
    int ok = SYM(codec, find_decoder, "avcodec_find_decoder") &&
             SYM(codec, alloc_context3, "avcodec_alloc_context3") &&
             SYM(codec, open2, "avcodec_open2") && SYM(codec, free_context, "avcodec_free_context") &&
             SYM(codec, send_packet, "avcodec_send_packet") &&
             SYM(codec, receive_frame, "avcodec_receive_frame") &&
             SYM(codec, packet_alloc, "av_packet_alloc") && SYM(codec, packet_free, "av_packet_free") &&
             SYM(util, frame_alloc, "av_frame_alloc") && SYM(util, frame_free, "av_frame_free") &&
             SYM(util, frame_unref, "av_frame_unref") && SYM(util, mallocz, "av_mallocz") &&
             SYM(util, channel_layout_default, "av_channel_layout_default") &&
             SYM(util, log_get_level, "av_log_get_level") && SYM(util, log_set_level, "av_log_set_level");
#undef SYM
    if (ok && (av.aac = av.find_decoder(AV_CODEC_ID_AAC)) != NULL)
        av_ok = 1;
    /* a refused packet is an error code, not a line on stderr; an app that set
     * libavcodec's log level itself keeps it */
    if (av_ok && av.log_get_level() == AV_LOG_INFO)
        av.log_set_level(AV_LOG_QUIET);
}

int agora_aac_available(const char **library)
{
    pthread_once(&av_once, av_load);
    if (library)
        *library = AVCODEC_SONAME;
    return av_ok;
}

struct agora_aac_decoder {
    int sample_rate, channels;   /* for raw packets (no ADTS header) */
    AVCodecContext *ctx;         /* opened on the first packet */
    AVPacket *pkt;
    AVFrame *frame;
    uint8_t *buf;                /* the packet, padded as libavcodec requires */
    size_t buf_cap;
};

static const int adts_rates[] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                 22050, 16000, 12000, 11025, 8000, 7350};

static int rate_index(int rate)
{
    for (int i = 0; i < (int)(sizeof(adts_rates) / sizeof(adts_rates[0])); i++)
        if (adts_rates[i] == rate)
            return i;
    return -1;
}

static int is_adts(const uint8_t *data, size_t length)
{
    return length >= 7 && data[0] == 0xFF && (data[1] & 0xF6) == 0xF0;
}

agora_aac_decoder *agora_aac_decoder_create(int sample_rate, int channels)
{
    if (!agora_aac_available(NULL))
        return NULL;
    agora_aac_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->sample_rate = sample_rate;
    d->channels = channels;
    d->pkt = av.packet_alloc();
    d->frame = av.frame_alloc();
    if (!d->pkt || !d->frame) {
        agora_aac_decoder_destroy(d);
        return NULL;
    }
    return d;
}

void agora_aac_decoder_destroy(agora_aac_decoder *d)
{
    if (!d)
        return;
    av.free_context(&d->ctx);
    av.packet_free(&d->pkt);
    av.frame_free(&d->frame);
    free(d->buf);
    free(d);
}

/* Open the codec for the stream the first packet shows: ADTS packets carry
 * their own configuration; raw packets get an AudioSpecificConfig (ISO
 * 14496-3 1.6.2.1: object type 2 = LC, rate index, channel configuration). */
static int open_codec(agora_aac_decoder *d, int adts)
{
    d->ctx = av.alloc_context3(av.aac);
    if (!d->ctx)
        return AGORA_ERR_NO_MEMORY;
    if (!adts) {
        int ri = rate_index(d->sample_rate);
        if (ri < 0 || d->channels < 1 || d->channels > 2)
            return AGORA_ERR_INVALID_ARGUMENT;
        uint8_t *asc = av.mallocz(2 + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!asc)
            return AGORA_ERR_NO_MEMORY;
        asc[0] = (uint8_t)((2 << 3) | (ri >> 1));
        asc[1] = (uint8_t)(((ri & 1) << 7) | (d->channels << 3));
        d->ctx->extradata = asc; /* freed with the context */
        d->ctx->extradata_size = 2;
        d->ctx->sample_rate = d->sample_rate;
        av.channel_layout_default(&d->ctx->ch_layout, d->channels);
    }
    return av.open2(d->ctx, av.aac, NULL) == 0 ? AGORA_OK : AGORA_ERR_INVALID_ARGUMENT;
}

static int16_t to_s16(float x)
{
    float v = x * 32768.0f;
    return (int16_t)(v >= 32767.0f ? 32767 : v <= -32768.0f ? -32768 : (int)v);
}

/* Append the frame's samples as interleaved int16; returns samples per channel. */
static int copy_frame(const AVFrame *f, int16_t *out, int room)
{
    const int ch = f->ch_layout.nb_channels, n = f->nb_samples;
    if (ch < 1 || ch > 2)
        return AGORA_ERR_NOT_SUPPORTED;
    if (n > room)
        return AGORA_ERR_INVALID_ARGUMENT;
    for (int c = 0; c < ch; c++) {
        for (int i = 0; i < n; i++) {
            int16_t s;
            switch (f->format) {
            case AV_SAMPLE_FMT_FLTP: s = to_s16(((const float *)f->extended_data[c])[i]); break;
            case AV_SAMPLE_FMT_FLT: s = to_s16(((const float *)f->extended_data[0])[i * ch + c]); break;
            case AV_SAMPLE_FMT_S16P: s = ((const int16_t *)f->extended_data[c])[i]; break;
            case AV_SAMPLE_FMT_S16: s = ((const int16_t *)f->extended_data[0])[i * ch + c]; break;
            default: return AGORA_ERR_NOT_SUPPORTED;
            }
            out[i * ch + c] = s;
        }
    }
    return n;
}

int agora_aac_decode(agora_aac_decoder *d, const uint8_t *data, size_t length, int16_t *out,
                     int max_samples, int *rate, int *channels)
{
    if (!d->ctx) {
        int rc = open_codec(d, is_adts(data, length));
        if (rc != AGORA_OK) {
            av.free_context(&d->ctx);
            return rc;
        }
    }
    if (length + AV_INPUT_BUFFER_PADDING_SIZE > d->buf_cap) {
        uint8_t *buf = realloc(d->buf, length + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!buf)
            return AGORA_ERR_NO_MEMORY;
        d->buf = buf;
        d->buf_cap = length + AV_INPUT_BUFFER_PADDING_SIZE;
    }
    memcpy(d->buf, data, length);
    memset(d->buf + length, 0, AV_INPUT_BUFFER_PADDING_SIZE);
    d->pkt->data = d->buf;
    d->pkt->size = (int)length;
    if (av.send_packet(d->ctx, d->pkt) < 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    int got = 0;
    for (;;) {
        int rc = av.receive_frame(d->ctx, d->frame);
        if (rc < 0) /* EAGAIN: the packet is used up (errors also end here) */
            break;
        if (got > 0 && (d->frame->sample_rate != *rate || d->frame->ch_layout.nb_channels != *channels)) {
            av.frame_unref(d->frame);
            return AGORA_ERR_INVALID_ARGUMENT; /* one packet, one format */
        }
        *rate = d->frame->sample_rate;
        *channels = d->frame->ch_layout.nb_channels;
        int n = copy_frame(d->frame, out + (size_t)got * (size_t)*channels, max_samples - got);
        av.frame_unref(d->frame);
        if (n < 0)
            return n;
        got += n;
    }
    return got;
}

#else /* built without libavcodec's headers: AAC is not available */

struct agora_aac_decoder {
    int unused;
};

int agora_aac_available(const char **library)
{
    if (library)
        *library = "libavcodec (not found when agora_rtc was built)";
    return 0;
}

agora_aac_decoder *agora_aac_decoder_create(int sample_rate, int channels)
{
    (void)sample_rate;
    (void)channels;
    return NULL;
}

void agora_aac_decoder_destroy(agora_aac_decoder *d)
{
    free(d);
}

int agora_aac_decode(agora_aac_decoder *d, const uint8_t *data, size_t length, int16_t *out,
                     int max_samples, int *rate, int *channels)
{
    (void)d, (void)data, (void)length, (void)out, (void)max_samples, (void)rate, (void)channels;
    return AGORA_ERR_NOT_SUPPORTED;
}

#endif
