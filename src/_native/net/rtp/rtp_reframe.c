/* 20 ms pieces of byte-per-tick packets (rtp_reframe.h). */
#include <string.h>
#include "net/rtp/rtp_reframe.h"

#define PIECE AGORA_REFRAME_PIECE
#define REANCHOR_TICKS (8000 * 10) /* 10 s at 8000 Hz */

void agora_reframe_reset(agora_reframe *f, uint8_t silence)
{
    memset(f, 0, sizeof(*f));
    f->silence = silence;
}

/* floor(d / PIECE) for negative d too */
static int32_t piece_index(int32_t d)
{
    return d >= 0 ? d / PIECE : -((-d + PIECE - 1) / PIECE);
}

static uint16_t seq_of(const agora_reframe *f, uint32_t piece_ts)
{
    return (uint16_t)(f->grid_seq + piece_index((int32_t)(piece_ts - f->grid_ts)));
}

/* Emit the carry as it is (its unsent end is silence). */
static void flush_carry(agora_reframe *f, agora_reframe_emit emit, void *arg)
{
    if (!f->carry_fill)
        return;
    emit(arg, seq_of(f, f->carry_ts), f->carry_ts, f->carry_marker, f->carry, PIECE);
    f->carry_fill = 0;
}

/* Whether the packet (rtp_seq, timestamp) starts a talk spurt after a pause the
 * sender did not announce: the RTP sequence number goes on by one (nothing was
 * lost) while the timestamp jumps a piece or more past the newest packet's end. */
static int silent_pause_before(const agora_reframe *f, uint16_t rtp_seq, uint32_t timestamp)
{
    return f->have_rtp_seq && rtp_seq == (uint16_t)(f->rtp_seq + 1) &&
           (int32_t)(timestamp - f->rtp_end_ts) >= PIECE;
}

void agora_reframe_push(agora_reframe *f, uint16_t rtp_seq, uint32_t timestamp, int marker,
                        const uint8_t *payload, size_t len, agora_reframe_emit emit, void *arg)
{
    if (len == 0 || len > INT32_MAX / 2)
        return;
    if (!f->started) {
        f->started = 1;
        f->grid_ts = timestamp;
    }
    int32_t d = (int32_t)(timestamp - f->grid_ts);
    if (f->paused && piece_index(d) > 0) { /* the first packet after a pause */
        flush_carry(f, emit, arg);
        f->grid_ts = timestamp;
        f->grid_seq = (uint16_t)(f->pause_seq + 1);
        f->paused = 0;
        d = 0;
    } else if (silent_pause_before(f, rtp_seq, timestamp)) {
        /* numbered on from the newest piece (the grid's), the silence taking none */
        flush_carry(f, emit, arg);
        f->grid_ts = timestamp;
        f->grid_seq++;
        d = 0;
    } else if (d > REANCHOR_TICKS || d < -REANCHOR_TICKS) {
        flush_carry(f, emit, arg);
        f->grid_ts = timestamp;
        f->grid_seq++;
        d = 0;
    }
    const int32_t n = (int32_t)len;
    /* a carry this packet does not follow on from is complete as it is,
     * unless the packet is older (reordered): then the carry waits on */
    int follows = f->carry_fill && timestamp == f->carry_ts + (uint32_t)f->carry_fill;
    if (f->carry_fill && !follows && (int32_t)(timestamp + (uint32_t)n - f->carry_ts) > 0)
        flush_carry(f, emit, arg);

    const int32_t first = piece_index(d), last = piece_index(d + n - 1);
    for (int32_t j = first; j <= last; j++) {
        const int32_t start = j * PIECE; /* relative to grid_ts */
        const uint32_t piece_ts = f->grid_ts + (uint32_t)start;
        uint8_t buf[PIECE];
        if (j == first && follows) {
            memcpy(buf, f->carry, PIECE);
            f->carry_fill = 0;
        } else {
            memset(buf, f->silence, PIECE);
        }
        const int32_t from = d > start ? d : start, to = d + n < start + PIECE ? d + n : start + PIECE;
        memcpy(buf + (from - start), payload + (from - d), (size_t)(to - from));
        int mark = marker && j == first;
        if (j == first && follows)
            mark = f->carry_marker; /* the piece started in the packet before */
        if (to < start + PIECE && !f->carry_fill) { /* the rest of it may follow */
            memcpy(f->carry, buf, PIECE);
            f->carry_ts = piece_ts;
            f->carry_fill = to - start;
            f->carry_marker = mark;
        } else {
            emit(arg, seq_of(f, piece_ts), piece_ts, mark, buf, PIECE);
        }
    }
    if (last > 0) { /* the grid follows the newest piece: differences stay small */
        f->grid_ts += (uint32_t)(last * PIECE);
        f->grid_seq = (uint16_t)(f->grid_seq + last);
    }
    if (!f->have_rtp_seq || (int16_t)(uint16_t)(rtp_seq - f->rtp_seq) > 0) { /* the newest packet */
        f->have_rtp_seq = 1;
        f->rtp_seq = rtp_seq;
        f->rtp_end_ts = timestamp + (uint32_t)n;
    }
}

uint16_t agora_reframe_pause(agora_reframe *f, agora_reframe_emit emit, void *arg)
{
    flush_carry(f, emit, arg);
    if (!f->paused) {
        f->paused = 1;
        f->pause_seq = f->grid_seq; /* the newest piece's */
    }
    return ++f->pause_seq;
}
