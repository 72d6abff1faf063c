/* libopus wrappers: see opus_codec.h. */
#include "audio/codec/opus_codec.h"

#include <stdlib.h>

#include <opus.h>

#include "agora_rtc/errors.h"

struct agora_opus_encoder {
    OpusEncoder *st;
    int channels;
};

struct agora_opus_decoder {
    OpusDecoder *st;
    int rate;
    int channels;
};

static int max_frame_samples(const agora_opus_decoder *dec)
{
    return dec->rate / 1000 * 120;
}

static int map_opus_error(int e)
{
    switch (e) {
    case OPUS_BAD_ARG:
    case OPUS_INVALID_PACKET:
        return AGORA_ERR_INVALID_ARGUMENT;
    case OPUS_BUFFER_TOO_SMALL:
        return AGORA_ERR_BUFFER_TOO_SMALL;
    case OPUS_ALLOC_FAIL:
        return AGORA_ERR_NO_MEMORY;
    case OPUS_UNIMPLEMENTED:
        return AGORA_ERR_NOT_SUPPORTED;
    default:
        return AGORA_ERR_FAILED;
    }
}

/* A whole number of 2.5 ms steps, at most 120 ms, at the decoder's rate. */
static int valid_frame_samples(const agora_opus_decoder *dec, int n)
{
    return n > 0 && n <= max_frame_samples(dec) && n % (dec->rate / 400) == 0;
}

/* ------------------------------------------------------------ encoder */

agora_opus_encoder *agora_opus_encoder_create(int channels, int bitrate_bps, int packet_loss_perc)
{
    if ((channels != 1 && channels != 2) || bitrate_bps < 6000 || bitrate_bps > 510000 ||
        packet_loss_perc < 0 || packet_loss_perc > 100)
        return NULL;
    agora_opus_encoder *enc = calloc(1, sizeof(*enc));
    if (!enc)
        return NULL;
    int err = OPUS_OK;
    enc->st = opus_encoder_create(AGORA_OPUS_SAMPLE_RATE, channels, OPUS_APPLICATION_VOIP, &err);
    if (!enc->st || err != OPUS_OK) {
        free(enc);
        return NULL;
    }
    enc->channels = channels;
    if (opus_encoder_ctl(enc->st, OPUS_SET_BITRATE(bitrate_bps)) != OPUS_OK ||
        opus_encoder_ctl(enc->st, OPUS_SET_VBR(1)) != OPUS_OK ||
        opus_encoder_ctl(enc->st, OPUS_SET_INBAND_FEC(1)) != OPUS_OK ||
        opus_encoder_ctl(enc->st, OPUS_SET_PACKET_LOSS_PERC(packet_loss_perc)) != OPUS_OK ||
        opus_encoder_ctl(enc->st, OPUS_SET_DTX(0)) != OPUS_OK) {
        agora_opus_encoder_destroy(enc);
        return NULL;
    }
    return enc;
}

void agora_opus_encoder_destroy(agora_opus_encoder *enc)
{
    if (!enc)
        return;
    opus_encoder_destroy(enc->st);
    free(enc);
}

int agora_opus_encoder_set_bitrate(agora_opus_encoder *enc, int bitrate_bps)
{
    if (!enc || bitrate_bps < 6000 || bitrate_bps > 510000)
        return AGORA_ERR_INVALID_ARGUMENT;
    int e = opus_encoder_ctl(enc->st, OPUS_SET_BITRATE(bitrate_bps));
    return e == OPUS_OK ? AGORA_OK : map_opus_error(e);
}

int agora_opus_encoder_set_packet_loss(agora_opus_encoder *enc, int packet_loss_perc)
{
    if (!enc || packet_loss_perc < 0 || packet_loss_perc > 100)
        return AGORA_ERR_INVALID_ARGUMENT;
    int e = opus_encoder_ctl(enc->st, OPUS_SET_PACKET_LOSS_PERC(packet_loss_perc));
    return e == OPUS_OK ? AGORA_OK : map_opus_error(e);
}

int agora_opus_encoder_set_complexity(agora_opus_encoder *enc, int complexity)
{
    if (!enc || complexity < 0 || complexity > 10)
        return AGORA_ERR_INVALID_ARGUMENT;
    int e = opus_encoder_ctl(enc->st, OPUS_SET_COMPLEXITY(complexity));
    return e == OPUS_OK ? AGORA_OK : map_opus_error(e);
}

int agora_opus_encoder_channels(const agora_opus_encoder *enc)
{
    return enc ? enc->channels : AGORA_ERR_INVALID_ARGUMENT;
}

int agora_opus_encoder_lookahead(const agora_opus_encoder *enc)
{
    if (!enc)
        return AGORA_ERR_INVALID_ARGUMENT;
    opus_int32 la = 0;
    int e = opus_encoder_ctl(enc->st, OPUS_GET_LOOKAHEAD(&la));
    return e == OPUS_OK ? (int)la : map_opus_error(e);
}

int agora_opus_encode_frame(agora_opus_encoder *enc, const int16_t *pcm, int frame_samples,
                            uint8_t *out, int out_cap)
{
    if (!enc || !pcm || !out || out_cap <= 0 ||
        (frame_samples != AGORA_OPUS_FRAME_SAMPLES && frame_samples != AGORA_OPUS_FRAME_SAMPLES / 2))
        return AGORA_ERR_INVALID_ARGUMENT;
    opus_int32 cap = out_cap > AGORA_OPUS_MAX_PACKET ? AGORA_OPUS_MAX_PACKET : out_cap;
    int n = opus_encode(enc->st, pcm, frame_samples, out, cap);
    return n > 0 ? n : (n == 0 ? AGORA_ERR_FAILED : map_opus_error(n));
}

int agora_opus_encode(agora_opus_encoder *enc, const int16_t *pcm, uint8_t *out, int out_cap)
{
    return agora_opus_encode_frame(enc, pcm, AGORA_OPUS_FRAME_SAMPLES, out, out_cap);
}

/* ------------------------------------------------------------ decoder */

agora_opus_decoder *agora_opus_decoder_create(int channels)
{
    return agora_opus_decoder_create_at(AGORA_OPUS_SAMPLE_RATE, channels);
}

int agora_opus_decoder_rate_supported(int sample_rate)
{
    return sample_rate == 8000 || sample_rate == 12000 || sample_rate == 16000 ||
           sample_rate == 24000 || sample_rate == 48000;
}

agora_opus_decoder *agora_opus_decoder_create_at(int sample_rate, int channels)
{
    if ((channels != 1 && channels != 2) || !agora_opus_decoder_rate_supported(sample_rate))
        return NULL;
    agora_opus_decoder *dec = calloc(1, sizeof(*dec));
    if (!dec)
        return NULL;
    int err = OPUS_OK;
    dec->st = opus_decoder_create(sample_rate, channels, &err);
    if (!dec->st || err != OPUS_OK) {
        free(dec);
        return NULL;
    }
    dec->rate = sample_rate;
    dec->channels = channels;
    return dec;
}

void agora_opus_decoder_destroy(agora_opus_decoder *dec)
{
    if (!dec)
        return;
    opus_decoder_destroy(dec->st);
    free(dec);
}

int agora_opus_decoder_channels(const agora_opus_decoder *dec)
{
    return dec ? dec->channels : AGORA_ERR_INVALID_ARGUMENT;
}

int agora_opus_decoder_rate(const agora_opus_decoder *dec)
{
    return dec ? dec->rate : AGORA_ERR_INVALID_ARGUMENT;
}

void agora_opus_decoder_reset(agora_opus_decoder *dec)
{
    if (dec)
        opus_decoder_ctl(dec->st, OPUS_RESET_STATE);
}

int agora_opus_decode(agora_opus_decoder *dec, const uint8_t *pkt, int len,
                      int16_t *pcm, int frame_cap)
{
    if (!dec || !pkt || len <= 0 || !pcm || frame_cap <= 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (frame_cap > max_frame_samples(dec))
        frame_cap = max_frame_samples(dec);
    /* Check the duration first: libopus reports a too small buffer as
     * OPUS_BUFFER_TOO_SMALL too, but checking here gives a stable answer
     * without touching the decoder state. */
    int ns = opus_decoder_get_nb_samples(dec->st, pkt, len);
    if (ns < 0)
        return map_opus_error(ns);
    if (ns > frame_cap)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    int n = opus_decode(dec->st, pkt, len, pcm, frame_cap, 0);
    return n >= 0 ? n : map_opus_error(n);
}

int agora_opus_decode_fec(agora_opus_decoder *dec, const uint8_t *next_pkt, int len,
                          int16_t *pcm, int frame_samples)
{
    if (!dec || !next_pkt || len <= 0 || !pcm || !valid_frame_samples(dec, frame_samples))
        return AGORA_ERR_INVALID_ARGUMENT;
    int n = opus_decode(dec->st, next_pkt, len, pcm, frame_samples, 1);
    return n >= 0 ? n : map_opus_error(n);
}

int agora_opus_decode_plc(agora_opus_decoder *dec, int16_t *pcm, int frame_samples)
{
    if (!dec || !pcm || !valid_frame_samples(dec, frame_samples))
        return AGORA_ERR_INVALID_ARGUMENT;
    int n = opus_decode(dec->st, NULL, 0, pcm, frame_samples, 0);
    return n >= 0 ? n : map_opus_error(n);
}

int agora_opus_packet_info(const uint8_t *pkt, int len, int *samples_48k, int *channels)
{
    if (!pkt || len <= 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    int n = opus_packet_get_nb_samples(pkt, len, AGORA_OPUS_SAMPLE_RATE);
    int ch = opus_packet_get_nb_channels(pkt);
    if (n <= 0 || n > AGORA_OPUS_MAX_FRAME_SAMPLES || (ch != 1 && ch != 2))
        return AGORA_ERR_INVALID_ARGUMENT;
    *samples_48k = n;
    *channels = ch;
    return AGORA_OK;
}
