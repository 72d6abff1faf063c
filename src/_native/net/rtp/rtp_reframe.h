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
 * A sender's pause (its keepalive after a talk spurt, agora_reframe_pause)
 * takes one number; the next talk spurt anchors the grid anew at its first
 * packet and is numbered on from it, so the silence between two spurts is
 * no run of missing pieces (not counted lost, as with Opus's own numbers).
 * So is a pause the sender does not announce (silence suppression without
 * keepalive or comfort noise, RFC 3551 4.1): the next packet's RTP sequence
 * number follows the newest one's by one while its timestamp jumps a piece or
 * more past that packet's end; it anchors a new grid, numbered on from the
 * newest piece. A timestamp jump with a sequence gap is loss: missing pieces.
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
    int paused;           /* a pause since the newest piece: the next spurt re-anchors */
    uint16_t pause_seq;   /* the number the last pause took */
    int have_rtp_seq;     /* the newest packet's RTP sequence number ... */
    uint16_t rtp_seq;
    uint32_t rtp_end_ts;  /* ... and the timestamp right after its payload */
    uint8_t carry[AGORA_REFRAME_PIECE];
} agora_reframe;

/* Start over (a new stream); `silence` fills what nobody sent (0xFF for
 * mu-law, 0xD5 for A-law). */
void agora_reframe_reset(agora_reframe *f, uint8_t silence);

/* One packet's payload (RTP sequence number rtp_seq, len > 0 bytes from
 * `timestamp` on): emits the whole pieces it completes, keeps the rest as the
 * carry. */
void agora_reframe_push(agora_reframe *f, uint16_t rtp_seq, uint32_t timestamp, int marker,
                        const uint8_t *payload, size_t len, agora_reframe_emit emit, void *arg);

/* The sender paused after its newest packet (a keepalive, RFC 3550 5.1):
 * emits the carry as it is and returns the number the pause takes (for
 * agora_jb_skip): the one after the newest piece, one more for each further
 * keepalive of the same pause. The next packet past the newest piece starts
 * a new grid at its timestamp, numbered after the pause's; an older
 * (reordered) packet of the spurt before still goes on the old grid. */
uint16_t agora_reframe_pause(agora_reframe *f, agora_reframe_emit emit, void *arg);

#endif
