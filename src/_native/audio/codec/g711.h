/* G.711 (ITU-T G.711) mu-law and A-law decoding: one byte per sample, 8 kHz. */
#ifndef AGORA_RTC_G711_H
#define AGORA_RTC_G711_H

#include <stddef.h>
#include <stdint.h>

int16_t agora_g711_ulaw_to_linear(uint8_t code);
int16_t agora_g711_alaw_to_linear(uint8_t code);
/* n codes -> n samples (interleaved as the codes were) */
void agora_g711_decode(int alaw, const uint8_t *in, size_t n, int16_t *out);

#endif
