/* G.711 expansion, written from the recommendation's tables (section 2):
 * a code is sign, 3-bit segment and 4-bit step; mu-law codes are sent
 * inverted, A-law codes with their even bits inverted (0x55). */
#include "audio/codec/g711.h"

int16_t agora_g711_ulaw_to_linear(uint8_t code)
{
    code = (uint8_t)~code;
    int segment = (code >> 4) & 7, step = code & 0x0f;
    /* mu-law: ((2 * step + 33) << segment) - 33, on a 14-bit scale; << 2 to 16 bits */
    int magnitude = (((step << 1) + 33) << segment) - 33;
    return (int16_t)((code & 0x80) ? -(magnitude << 2) : (magnitude << 2));
}

int16_t agora_g711_alaw_to_linear(uint8_t code)
{
    code ^= 0x55;
    int segment = (code >> 4) & 7, step = code & 0x0f;
    /* A-law: segment 0 is linear ((2 * step + 1)), others ((2 * step + 33) << (segment - 1)),
     * on a 13-bit scale; << 3 to 16 bits. The sign bit set means positive. */
    int magnitude = segment == 0 ? (step << 1) + 1 : ((step << 1) + 33) << (segment - 1);
    return (int16_t)((code & 0x80) ? (magnitude << 3) : -(magnitude << 3));
}

void agora_g711_decode(int alaw, const uint8_t *in, size_t n, int16_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = alaw ? agora_g711_alaw_to_linear(in[i]) : agora_g711_ulaw_to_linear(in[i]);
}

/* Compression: the code whose expansion interval holds the sample (the
 * inverse of the functions above, same segment layout). */
uint8_t agora_g711_linear_to_ulaw(int16_t sample)
{
    int value = sample >> 2; /* 14-bit scale */
    int sign = value < 0 ? 0x80 : 0;
    int magnitude = (sign ? -value : value) + 33;
    if (magnitude > 8191) /* the top of segment 7 */
        magnitude = 8191;
    int segment = 0;
    while (segment < 7 && magnitude >= (64 << segment))
        segment++;
    int step = (magnitude >> (segment + 1)) & 0x0f;
    return (uint8_t)~(sign | (segment << 4) | step);
}

uint8_t agora_g711_linear_to_alaw(int16_t sample)
{
    int value = sample >> 3; /* 13-bit scale */
    int sign = value >= 0 ? 0x80 : 0; /* A-law: the bit set means positive */
    int magnitude = value >= 0 ? value : -value - 1;
    if (magnitude > 4095)
        magnitude = 4095;
    int segment = 0, step;
    if (magnitude < 32) {
        step = magnitude >> 1;
    } else {
        segment = 1;
        while (segment < 7 && magnitude >= (64 << (segment - 1)))
            segment++;
        step = (magnitude >> segment) & 0x0f;
    }
    return (uint8_t)((sign | (segment << 4) | step) ^ 0x55);
}

void agora_g711_encode(int alaw, const int16_t *in, size_t n, uint8_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = alaw ? agora_g711_linear_to_alaw(in[i]) : agora_g711_linear_to_ulaw(in[i]);
}
