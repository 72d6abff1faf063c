/* Pushed audio that libavcodec decodes (AAC-LC, HE-AAC v1/v2, G.722), loaded
 * at run time (libav.h) so that the engine, and the wheel that carries it,
 * need FFmpeg only when such audio is pushed. */
#include "audio/codec/aac_decoder.h"
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/connection.h"
#include "agora_rtc/errors.h"
#include "core/libav.h"

#ifdef AGORA_HAVE_AVCODEC

static const AVCodec *decoder_of(int codec)
{
    const agora_libav *av = agora_libav_get();
    if (!av)
        return NULL;
    switch (codec) {
    case AGORA_AUDIO_CODEC_G722: return av->find_decoder(AV_CODEC_ID_ADPCM_G722);
    case AGORA_AUDIO_CODEC_AACLC:
    case AGORA_AUDIO_CODEC_HEAAC:
    case AGORA_AUDIO_CODEC_HEAAC2: return av->find_decoder(AV_CODEC_ID_AAC);
    default: return NULL;
    }
}

int agora_aac_available(int codec, const char **library)
{
    if (library)
        *library = agora_libav_name();
    return decoder_of(codec) != NULL;
}

struct agora_aac_decoder {
    const agora_libav *av;
    const AVCodec *codec;
    int kind;                    /* AGORA_AUDIO_CODEC_* */
    int sample_rate, channels;   /* for raw AAC packets (no ADTS header) */
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

agora_aac_decoder *agora_aac_decoder_create(int codec, int sample_rate, int channels)
{
    const AVCodec *dec = decoder_of(codec);
    if (!dec)
        return NULL;
    agora_aac_decoder *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->av = agora_libav_get();
    d->codec = dec;
    d->kind = codec;
    d->sample_rate = sample_rate;
    d->channels = channels;
    d->pkt = d->av->packet_alloc();
    d->frame = d->av->frame_alloc();
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
    d->av->free_context(&d->ctx);
    d->av->packet_free(&d->pkt);
    d->av->frame_free(&d->frame);
    free(d->buf);
    free(d);
}

/* AudioSpecificConfig (ISO 14496-3 1.6.2.1) of a raw AAC stream: object type
 * 2 (LC); HE-AAC (5: SBR) and HE-AAC v2 (29: SBR + PS) signalled explicitly,
 * the core at half the output rate (v2: a mono core for a stereo output),
 * then the extension rate and object type 2 (LC), GASpecificConfig zeros. */
static int write_asc(uint8_t *asc, int kind, int rate, int channels)
{
    if (kind == AGORA_AUDIO_CODEC_AACLC) {
        int ri = rate_index(rate);
        if (ri < 0)
            return -1;
        asc[0] = (uint8_t)((2 << 3) | (ri >> 1));
        asc[1] = (uint8_t)(((ri & 1) << 7) | (channels << 3));
        return 2;
    }
    int aot = kind == AGORA_AUDIO_CODEC_HEAAC ? 5 : 29;
    int core = rate % 2 == 0 ? rate_index(rate / 2) : -1, ext = rate_index(rate);
    int cc = kind == AGORA_AUDIO_CODEC_HEAAC2 ? 1 : channels;
    if (core < 0 || ext < 0 || (kind == AGORA_AUDIO_CODEC_HEAAC2 && channels != 2))
        return -1;
    uint32_t bits = (uint32_t)aot << 27 | (uint32_t)core << 23 | (uint32_t)cc << 19 |
                    (uint32_t)ext << 15 | 2u << 10; /* then 3 zero bits and padding */
    for (int i = 0; i < 4; i++)
        asc[i] = (uint8_t)(bits >> (24 - 8 * i));
    return 4;
}

/* Open the codec for the stream the first packet shows: ADTS packets carry
 * their own configuration (HE-AAC in ADTS is found by the decoder: implicit
 * SBR / PS); raw AAC packets get an AudioSpecificConfig; G.722 is 16 kHz mono. */
static int open_codec(agora_aac_decoder *d, int adts)
{
    const agora_libav *av = d->av;
    d->ctx = av->alloc_context3(d->codec);
    if (!d->ctx)
        return AGORA_ERR_NO_MEMORY;
    if (d->kind == AGORA_AUDIO_CODEC_G722) {
        d->ctx->sample_rate = 16000;
        av->channel_layout_default(&d->ctx->ch_layout, 1);
    } else if (!adts) {
        uint8_t *asc = av->mallocz(4 + AV_INPUT_BUFFER_PADDING_SIZE);
        if (!asc)
            return AGORA_ERR_NO_MEMORY;
        d->ctx->extradata = asc; /* freed with the context */
        int n = d->channels < 1 || d->channels > 2 ? -1 : write_asc(asc, d->kind, d->sample_rate, d->channels);
        if (n < 0)
            return AGORA_ERR_INVALID_ARGUMENT;
        d->ctx->extradata_size = n;
        d->ctx->sample_rate = d->sample_rate;
        av->channel_layout_default(&d->ctx->ch_layout, d->channels);
    }
    return av->open2(d->ctx, d->codec, NULL) == 0 ? AGORA_OK : AGORA_ERR_INVALID_ARGUMENT;
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
    const agora_libav *av = d->av;
    if (!d->ctx) {
        int rc = open_codec(d, is_adts(data, length));
        if (rc != AGORA_OK) {
            av->free_context(&d->ctx);
            return rc;
        }
    }
    int sent = agora_libav_send_copy(av, d->ctx, d->pkt, &d->buf, &d->buf_cap, data, length);
    if (sent != AGORA_OK)
        return sent;
    int got = 0;
    for (;;) {
        int rc = av->receive_frame(d->ctx, d->frame);
        if (rc < 0) /* EAGAIN: the packet is used up (errors also end here) */
            break;
        if (got > 0 && (d->frame->sample_rate != *rate || d->frame->ch_layout.nb_channels != *channels)) {
            av->frame_unref(d->frame);
            return AGORA_ERR_INVALID_ARGUMENT; /* one packet, one format */
        }
        *rate = d->frame->sample_rate;
        *channels = d->frame->ch_layout.nb_channels;
        int n = copy_frame(d->frame, out + (size_t)got * (size_t)*channels, max_samples - got);
        av->frame_unref(d->frame);
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

int agora_aac_available(int codec, const char **library)
{
    (void)codec;
    if (library)
        *library = agora_libav_name();
    return 0;
}

agora_aac_decoder *agora_aac_decoder_create(int codec, int sample_rate, int channels)
{
    (void)codec;
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
