/* Decoding of pushed AAC-LC, HE-AAC (v1, v2) and G.722 through FFmpeg's
 * libavcodec, loaded with dlopen when the first such packet is pushed (the
 * engine and its wheel do not link it). */
#ifndef AGORA_RTC_AAC_DECODER_H
#define AGORA_RTC_AAC_DECODER_H

#include <stddef.h>
#include <stdint.h>

typedef struct agora_aac_decoder agora_aac_decoder;

#define AGORA_AAC_MAX_FRAME_SAMPLES 2048 /* per channel: 1024 (LC), 2048 with SBR */

/* 1 when libavcodec could be loaded and has a decoder for codec
 * (AGORA_AUDIO_CODEC_AACLC / HEAAC / HEAAC2 / G722); the library's file name
 * is in *library (never NULL). Thread-safe. */
int agora_aac_available(int codec, const char **library);
/* A decoder of codec. AAC: packets with ADTS headers, or raw packets of a
 * stream at sample_rate (the output rate; HE-AAC's core runs at half of it)
 * with channels (1 or 2; HE-AAC v2: 2) when they have none. G.722: 16 kHz
 * mono. NULL when libavcodec is missing or out of memory. */
agora_aac_decoder *agora_aac_decoder_create(int codec, int sample_rate, int channels);
void agora_aac_decoder_destroy(agora_aac_decoder *d);
/* Decode one packet into interleaved int16 (at most max_samples per channel,
 * at most 2 channels). Returns the samples per channel (0: the decoder keeps
 * the packet's audio for later), or a negative AGORA_ERR_* code; *rate and
 * *channels describe the output. */
int agora_aac_decode(agora_aac_decoder *d, const uint8_t *data, size_t length, int16_t *out,
                     int max_samples, int *rate, int *channels);

#endif
