/* G.722 through spandsp (g722_codec.h). */
#include <stdlib.h>
#include <spandsp.h>
#include "audio/codec/g722_codec.h"

struct agora_g722_encoder {
    g722_encode_state_t *s;
};

struct agora_g722_decoder {
    g722_decode_state_t *s;
};

agora_g722_encoder *agora_g722_encoder_create(void)
{
    agora_g722_encoder *e = calloc(1, sizeof(*e));
    if (e && !(e->s = g722_encode_init(NULL, 64000, 0))) {
        free(e);
        return NULL;
    }
    return e;
}

void agora_g722_encoder_destroy(agora_g722_encoder *enc)
{
    if (!enc)
        return;
    g722_encode_free(enc->s);
    free(enc);
}

int agora_g722_encode(agora_g722_encoder *enc, const int16_t *pcm, int n, uint8_t *out)
{
    return n > 0 ? g722_encode(enc->s, out, pcm, n) : 0;
}

agora_g722_decoder *agora_g722_decoder_create(void)
{
    agora_g722_decoder *d = calloc(1, sizeof(*d));
    if (d && !(d->s = g722_decode_init(NULL, 64000, 0))) {
        free(d);
        return NULL;
    }
    return d;
}

void agora_g722_decoder_destroy(agora_g722_decoder *dec)
{
    if (!dec)
        return;
    g722_decode_free(dec->s);
    free(dec);
}

void agora_g722_decoder_reset(agora_g722_decoder *dec)
{
    g722_decode_init(dec->s, 64000, 0); /* re-initialises the state in place */
}

int agora_g722_decode(agora_g722_decoder *dec, const uint8_t *in, int n, int16_t *pcm)
{
    return n > 0 ? g722_decode(dec->s, pcm, in, n) : 0;
}

uint8_t agora_g722_silence_byte(void)
{
    uint8_t out[160] = {0};
    g722_encode_state_t *st = g722_encode_init(NULL, 64000, 0);
    if (st) {
        int16_t zeros[320] = {0};
        g722_encode(st, out, zeros, 320);
        g722_encode_free(st);
    }
    return out[159];
}
