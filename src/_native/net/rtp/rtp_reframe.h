/* Cuts the packets of a byte-per-tick codec (G.711: one byte per sample, one
 * RTP clock tick per byte) into the 20 ms pieces the jitter buffer plays, so
 * a phone's 10, 30, 40 or 60 ms packets (a=ptime) are heard in full.
 *
 * Pieces lie on a 160-tick grid anchored at the stream's first packet and
 * are numbered from their timestamps (consecutive pieces, consecutive
 * numbers), so the jitter buffer's loss, reordering and duplicate logic runs
 * on pieces: a lost packet is a run of missing pieces, concealed as usual.
 * A packet that ends inside a piece leaves the rest of it in a carry that
 * the next packet completes when it follows on; when the next packet does
 * not follow on (loss, pause, reordering), the part of the piece nobody sent
 * is silence and what was sent is still emitted. A timestamp more than 10 s
 * away from the stream's (a sender that rebased its clock) re-anchors the
 * grid, numbering on from the last piece (the jitter buffer then sees a
 * timestamp jump on consecutive numbers, which it re-anchors too).
 *
 * One owner thread (the I/O thread), no allocation. */
#ifndef AGORA_RTC_RTP_REFRAME_H
#define AGORA_RTC_RTP_REFRAME_H

#include <stddef.h>
#include <stdint.h>

#define AGORA_REFRAME_PIECE 160 /* ticks (= bytes) per piece: 20 ms at 8000 Hz */

/* Receives each piece (always AGORA_REFRAME_PIECE bytes): its number,
 * timestamp, and the marker of the packet it starts. */
typedef void (*agora_reframe_emit)(void *arg, uint16_t seq, uint32_t timestamp, int marker,
                                   const uint8_t *piece, size_t len);

typedef struct agora_reframe {
    int started;
    uint8_t silence;      /* the codec's byte for a zero sample */
    uint32_t grid_ts;     /* start of the newest piece seen ... */
    uint16_t grid_seq;    /* ... and its number */
    int carry_fill;       /* bytes of the carry piece received (0: no carry) */
    uint32_t carry_ts;    /* the carry piece's start */
    int carry_marker;     /* it starts a talk spurt */
    uint8_t carry[AGORA_REFRAME_PIECE];
} agora_reframe;

/* Start over (a new stream); `silence` fills what nobody sent (0xFF for
 * mu-law, 0xD5 for A-law). */
void agora_reframe_reset(agora_reframe *f, uint8_t silence);

/* One packet's payload (len > 0 bytes from `timestamp` on): emits the whole
 * pieces it completes, keeps the rest as the carry. */
void agora_reframe_push(agora_reframe *f, uint32_t timestamp, int marker, const uint8_t *payload,
                        size_t len, agora_reframe_emit emit, void *arg);

#endif
