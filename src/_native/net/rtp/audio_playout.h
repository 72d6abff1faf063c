/* The playout of one remote audio stream of the RTP transport, between its
 * jitter buffer and the 10 ms frame its receive path hears each playout
 * tick (AGORA_PLAYOUT_TICK_MS: each 10 ms of audio goes on as soon as it is
 * due, whatever the packet length):
 *
 * - agora_audio_playout_pull (I/O thread, once per tick): unless the audio
 *   decoded but not played yet covers the tick, pulls the jitter buffer
 *   (in time_stretch mode) until the tick is covered: one 10 or 20 ms
 *   packet every tick or every other tick (the second half of a 20 ms one
 *   is held for the next tick), and on an ACCELERATE request the next
 *   packet as well when it is buffered. The pulled packets / concealment requests are copied in.
 * - agora_audio_playout_decode (the receive job of this remote, or the I/O
 *   thread when nobody hears it): decodes them (packet, Opus FEC from the
 *   next packet, or PLC, each as long as the stream's packets; G.711 /
 *   G.722: their codes, silence for a lost packet) into a FIFO,
 *   time-stretches the FIFO by a pitch period on an ACCELERATE / EXPAND
 *   request (audio/dsp/time_stretch.h; ACCELERATE_QUIET only when the FIFO
 *   is quieter than -40 dBFS), and moves 10 ms out into the frame. Whether
 *   the last packet decoded was quieter than -35 dBFS goes to the jitter
 *   buffer at the next pull (a sender with silence suppression stops after quiet audio:
 *   running dry then is its pause, agora_jb_set_quiet_tail).
 *
 * Threading: the fork-join of the playout tick (rtp_media.h, rtp_remote):
 * pull writes what decode reads, decode writes pending_us that the next
 * pull reads; they never run at the same time. */
#ifndef AGORA_RTC_AUDIO_PLAYOUT_H
#define AGORA_RTC_AUDIO_PLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "audio/codec/g722_codec.h"
#include "audio/codec/opus_codec.h"
#include "net/rtp/jitter_buffer.h"

#define AGORA_PLAYOUT_TICK_MS 10    /* the playout tick: the frame each tick plays */
#define AGORA_PLAYOUT_MAX_PULLS 4   /* jitter buffer pulls in one tick */
/* decoded audio held, 48 kHz samples: one packet of up to 120 ms and two frames */
#define AGORA_PLAYOUT_FIFO_CAP (AGORA_OPUS_MAX_FRAME_SAMPLES + 2 * AGORA_OPUS_FRAME_SAMPLES)

typedef struct agora_playout_pull {
    int kind;        /* AGORA_JB_PACKET or AGORA_JB_LOST */
    int samples48;   /* its duration (LOST: the stream's packet duration), 48 kHz */
    uint32_t timestamp;
    size_t len;      /* PACKET: its payload; LOST: the next packet (FEC), 0 = PLC */
    uint8_t data[AGORA_JB_MAX_PAYLOAD];
} agora_playout_pull;

typedef struct agora_audio_playout {
    int codec;       /* AGORA_RTP_AUDIO_* (agora_rtc/rtp_transport.h) */
    int clock_rate;  /* its RTP clock: 48000 (Opus), 8000 (G.711, G.722: a byte a tick) */
    /* this tick's pulls (I/O thread -> decode) */
    agora_playout_pull pulls[AGORA_PLAYOUT_MAX_PULLS];
    int npulls;
    int reset;       /* reset the decoder first (a new stream) */
    int stretch;     /* enum agora_jb_stretch of this tick's first packet */
    int last_samples48; /* the stream's packet duration (of the last packet) */
    int tail_quiet;  /* the last packet decoded to quiet audio (decode -> the next pull, which
                        tells the jitter buffer: agora_jb_set_quiet_tail) */
    /* decoded, not played yet (decode only; pending_us is read by pull) */
    int16_t fifo[AGORA_PLAYOUT_FIFO_CAP];
    int fifo_len, fifo_rate;
    int pending_us;
    /* counters (decode) */
    uint64_t decoded, fec, plc, decode_errors;
    uint64_t accelerations, expansions; /* time-stretch operations done */
    int64_t stretched_samples48;        /* added (+) and removed (-) by them, at 48 kHz */
} agora_audio_playout;

/* A stream of codec (AGORA_RTP_AUDIO_*) at clock_rate: zeroes *po. */
void agora_audio_playout_init(agora_audio_playout *po, int codec, int clock_rate);

/* Forget the audio held (nobody hears the stream, or it restarts). */
void agora_audio_playout_clear(agora_audio_playout *po);

/* The pulls of one tick at play_ms (jb in time_stretch mode). Returns 1 when
 * the tick plays audio (pulled, or held from before), 0 when the stream is
 * paused (nothing pulled, nothing held). */
int agora_audio_playout_pull(agora_audio_playout *po, agora_jb *jb, int64_t play_ms);

/* Decode this tick's pulls and write one tick (AGORA_PLAYOUT_TICK_MS) into
 * out (room for rate * AGORA_PLAYOUT_TICK_MS / 1000 samples). Opus: at `rate` with *dec, re-created when its rate differs
 * (NULL when out of memory). G.722: with g722 (reset on a new stream), at
 * 16 kHz whatever `rate` says; G.711: at its clock rate, neither decoder is
 * used. A lost G.711 / G.722 packet is silence. Returns the samples written,
 * or an error. */
int agora_audio_playout_decode(agora_audio_playout *po, agora_opus_decoder **dec,
                               agora_g722_decoder *g722, int rate, int16_t *out);

#endif
