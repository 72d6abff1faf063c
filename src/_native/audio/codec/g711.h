/* G.711 (ITU-T G.711) mu-law and A-law: one byte per sample, 8 kHz. */
#ifndef AGORA_RTC_G711_H
#define AGORA_RTC_G711_H

#include <stddef.h>
#include <stdint.h>

int16_t agora_g711_ulaw_to_linear(uint8_t code);
int16_t agora_g711_alaw_to_linear(uint8_t code);
/* n codes -> n samples (interleaved as the codes were) */
void agora_g711_decode(int alaw, const uint8_t *in, size_t n, int16_t *out);

uint8_t agora_g711_linear_to_ulaw(int16_t sample);
uint8_t agora_g711_linear_to_alaw(int16_t sample);
/* n samples -> n codes */
void agora_g711_encode(int alaw, const int16_t *in, size_t n, uint8_t *out);

#endif
