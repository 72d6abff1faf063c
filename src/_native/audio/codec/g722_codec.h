/* G.722 (ITU-T G.722, 64 kbit/s) through Debian's spandsp: 16 kHz audio, one
 * byte per two samples. On RTP its clock is 8000 Hz (RFC 3551's quirk), so a
 * byte is one RTP tick, like G.711. Each coder is used by one thread at a
 * time; it keeps the ADPCM state between calls. */
#ifndef AGORA_RTC_G722_CODEC_H
#define AGORA_RTC_G722_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define AGORA_G722_SAMPLE_RATE 16000

typedef struct agora_g722_encoder agora_g722_encoder;
typedef struct agora_g722_decoder agora_g722_decoder;

/* NULL when out of memory. */
agora_g722_encoder *agora_g722_encoder_create(void);
void agora_g722_encoder_destroy(agora_g722_encoder *enc);
/* n samples (16 kHz, n even) -> n / 2 bytes into out; returns the bytes written. */
int agora_g722_encode(agora_g722_encoder *enc, const int16_t *pcm, int n, uint8_t *out);

agora_g722_decoder *agora_g722_decoder_create(void);
void agora_g722_decoder_destroy(agora_g722_decoder *dec);
/* Back to the initial state (a new stream). */
void agora_g722_decoder_reset(agora_g722_decoder *dec);
/* n bytes -> 2 n samples (16 kHz) into pcm; returns the samples written. */
int agora_g722_decode(agora_g722_decoder *dec, const uint8_t *in, int n, int16_t *pcm);

/* The byte a G.722 encoder settles on for silence (what fills a piece of a
 * stream nobody sent, rtp_reframe.h). */
uint8_t agora_g722_silence_byte(void);

#endif
