/* Thin wrappers over libopus for the Janus media plane (internal to the
 * engine; JANUS.md: Opus at 48 kHz, 20 ms packets, in-band FEC on).
 *
 * Sizes
 * -----
 * - Sample rate is always 48000 Hz; PCM is int16, interleaved when stereo.
 * - A frame is counted in samples PER CHANNEL: 20 ms = 960 samples/channel
 *   (AGORA_OPUS_FRAME_SAMPLES), i.e. 960 int16 values mono, 1920 stereo.
 * - Encoder input is exactly one 20 ms frame per call.
 * - An encoded 20 ms packet is at most 1275 bytes (RFC 6716 single-frame
 *   limit); AGORA_OPUS_MAX_PACKET (1500) is always a big enough out buffer.
 * - Decoder output: an incoming packet may hold 2.5 to 120 ms of audio; a
 *   buffer of AGORA_OPUS_MAX_FRAME_SAMPLES (5760) samples/channel fits any
 *   packet. Packets from browsers are 20 ms (960), so a 960-sample buffer is
 *   enough for them; a longer packet fails with AGORA_ERR_BUFFER_TOO_SMALL.
 * - FEC / PLC calls produce exactly frame_samples samples/channel: pass the
 *   duration of the LOST packet (960 for 20 ms). It must be a multiple of
 *   2.5 ms (120 samples) and at most 5760.
 *
 * Loss handling with a jitter buffer (see jitter_buffer.h): when packet N is
 * lost and packet N+1 is present, call agora_opus_decode_fec(N+1) to get N's
 * audio from the LBRR data carried in N+1 (libopus itself falls back to PLC
 * when N+1 carries no FEC data), then decode N+1 normally on the next tick.
 * With nothing to recover from, call agora_opus_decode_plc().
 *
 * Threading: one owner thread per encoder/decoder, no locks, no globals.
 * The per-packet calls do not allocate (libopus states are allocated once
 * at create). Errors are the negative codes of agora_rtc/errors.h. */
#ifndef AGORA_RTC_OPUS_CODEC_H
#define AGORA_RTC_OPUS_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define AGORA_OPUS_SAMPLE_RATE 48000
#define AGORA_OPUS_FRAME_SAMPLES 960      /* 20 ms per channel */
#define AGORA_OPUS_MAX_FRAME_SAMPLES 5760 /* 120 ms per channel */
#define AGORA_OPUS_MAX_PACKET 1500        /* bytes */
#define AGORA_OPUS_PAYLOAD_TYPE 111       /* the PT Janus and browsers use */

typedef struct agora_opus_encoder agora_opus_encoder;
typedef struct agora_opus_decoder agora_opus_decoder;

/* ------------------------------------------------------------ encoder */

/* 48 kHz, channels 1 or 2, OPUS_APPLICATION_VOIP, 20 ms frames, in-band FEC
 * on, DTX off, variable bitrate. bitrate_bps: 6000..510000 (e.g. 32000 for
 * voice); packet_loss_perc: 0..100, the expected loss the FEC is sized for
 * (0 makes libopus emit no FEC data; 10 is a sensible default).
 * Returns NULL on a bad argument or when out of memory. */
agora_opus_encoder *agora_opus_encoder_create(int channels, int bitrate_bps, int packet_loss_perc);
/* NULL is a no-op. */
void agora_opus_encoder_destroy(agora_opus_encoder *enc);
/* AGORA_OK or AGORA_ERR_INVALID_ARGUMENT (out of range, enc NULL). */
int agora_opus_encoder_set_bitrate(agora_opus_encoder *enc, int bitrate_bps);
int agora_opus_encoder_set_packet_loss(agora_opus_encoder *enc, int packet_loss_perc);
/* libopus's CPU / quality trade-off, 0..10 (libopus's default is 10). */
int agora_opus_encoder_set_complexity(agora_opus_encoder *enc, int complexity);
/* Channels given at create. */
int agora_opus_encoder_channels(const agora_opus_encoder *enc);
/* Encoder lookahead (algorithmic delay) in samples per channel at 48 kHz. */
int agora_opus_encoder_lookahead(const agora_opus_encoder *enc);
/* Encode one 20 ms frame: pcm holds 960 * channels interleaved int16.
 * Writes at most out_cap bytes; returns the packet length (> 0) or
 * AGORA_ERR_INVALID_ARGUMENT / AGORA_ERR_BUFFER_TOO_SMALL / AGORA_ERR_FAILED. */
int agora_opus_encode(agora_opus_encoder *enc, const int16_t *pcm, uint8_t *out, int out_cap);
/* The same for a frame of frame_samples per channel: 480 (10 ms) or 960
 * (20 ms); AGORA_ERR_INVALID_ARGUMENT for another size. */
int agora_opus_encode_frame(agora_opus_encoder *enc, const int16_t *pcm, int frame_samples,
                            uint8_t *out, int out_cap);

/* ------------------------------------------------------------ decoder */

/* 48 kHz output with 1 or 2 channels (any incoming mono/stereo packet is
 * converted by libopus). Returns NULL on a bad argument or out of memory. */
agora_opus_decoder *agora_opus_decoder_create(int channels);
/* Output at sample_rate instead: 8000, 12000, 16000, 24000 or 48000 Hz, the
 * rates libopus decodes to natively (no resampler after it). Every sample
 * count of the decode calls is then at that rate: 20 ms = sample_rate / 50
 * per channel, steps of 2.5 ms = sample_rate / 400, at most 120 ms. */
agora_opus_decoder *agora_opus_decoder_create_at(int sample_rate, int channels);
/* 1 when agora_opus_decoder_create_at accepts sample_rate. */
int agora_opus_decoder_rate_supported(int sample_rate);
/* The output rate given at create. */
int agora_opus_decoder_rate(const agora_opus_decoder *dec);
void agora_opus_decoder_destroy(agora_opus_decoder *dec);
int agora_opus_decoder_channels(const agora_opus_decoder *dec);
/* Forget the decoder state (start of an unrelated stream, e.g. after a
 * jitter-buffer resync). NULL is a no-op. */
void agora_opus_decoder_reset(agora_opus_decoder *dec);
/* Decode one packet (len > 0) into pcm, room for frame_cap samples per
 * channel. Returns the decoded samples per channel (960 for a 20 ms packet),
 * AGORA_ERR_INVALID_ARGUMENT for a corrupt packet or bad arguments,
 * AGORA_ERR_BUFFER_TOO_SMALL when the packet is longer than frame_cap. */
int agora_opus_decode(agora_opus_decoder *dec, const uint8_t *pkt, int len,
                      int16_t *pcm, int frame_cap);
/* Reconstruct a lost packet from the in-band FEC of the packet that
 * FOLLOWS it (next_pkt): exactly frame_samples samples per channel (the lost
 * packet's duration, 960 for 20 ms) are written. Does not consume next_pkt:
 * decode it normally afterwards. Returns frame_samples or an error. */
int agora_opus_decode_fec(agora_opus_decoder *dec, const uint8_t *next_pkt, int len,
                          int16_t *pcm, int frame_samples);
/* Packet loss concealment: extrapolate frame_samples samples per channel
 * (960 for one lost 20 ms packet) from the past. Returns frame_samples or
 * an error. */
int agora_opus_decode_plc(agora_opus_decoder *dec, int16_t *pcm, int frame_samples);

/* ------------------------------------------------------------ packets */

/* Inspect a packet without decoding it: its duration in samples per channel
 * at 48 kHz and its channel count (1 or 2). AGORA_OK or
 * AGORA_ERR_INVALID_ARGUMENT for a malformed packet. */
int agora_opus_packet_info(const uint8_t *pkt, int len, int *samples_48k, int *channels);

#endif
