/* AAC-LC decoding through FFmpeg's libavcodec, loaded with dlopen when the
 * first AAC packet is pushed (the engine and its wheel do not link it). */
#ifndef AGORA_RTC_AAC_DECODER_H
#define AGORA_RTC_AAC_DECODER_H

#include <stddef.h>
#include <stdint.h>

typedef struct agora_aac_decoder agora_aac_decoder;

#define AGORA_AAC_MAX_FRAME_SAMPLES 2048 /* per channel: 1024 (LC), 2048 with SBR */

/* 1 when libavcodec could be loaded and has an AAC decoder; the library's file
 * name is in *library (never NULL). Thread-safe. */
int agora_aac_available(const char **library);
/* A decoder for packets with ADTS headers, or raw packets of an AAC-LC stream at
 * sample_rate with channels (1 or 2) when they have none. NULL when libavcodec
 * is missing or out of memory. */
agora_aac_decoder *agora_aac_decoder_create(int sample_rate, int channels);
void agora_aac_decoder_destroy(agora_aac_decoder *d);
/* Decode one packet into interleaved int16 (at most max_samples per channel,
 * at most 2 channels). Returns the samples per channel (0: the decoder keeps
 * the packet's audio for later), or a negative AGORA_ERR_* code; *rate and
 * *channels describe the output. */
int agora_aac_decode(agora_aac_decoder *d, const uint8_t *data, size_t length, int16_t *out,
                     int max_samples, int *rate, int *channels);

#endif
