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
