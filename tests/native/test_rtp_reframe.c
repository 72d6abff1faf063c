/* Unit test of src/_native/net/rtp/rtp_reframe.c (G.711 packets of any length
 * -> 20 ms pieces). Returns 0 on success; prints the failed check(s) and
 * returns 1 otherwise. Build and run (from the repo root):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -Isrc/_native/include -Isrc/_native \
 *       src/_native/net/rtp/rtp_reframe.c tests/native/test_rtp_reframe.c -o /tmp/t && /tmp/t
 *
 * Each payload byte is made from its own RTP tick (tick_byte), so every byte of
 * every piece can be checked against the timestamp it is emitted at. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/rtp/rtp_reframe.h"

#include "native_test.h"

#define SILENCE 0xFF
#define MAX_PIECES 4096

/* never the silence byte, so a byte is either the stream's or silence */
static uint8_t tick_byte(uint32_t tick)
{
    return (uint8_t)(tick % 255u);
}

typedef struct got {
    int n;
    uint16_t seq[MAX_PIECES];
    uint32_t ts[MAX_PIECES];
    int marker[MAX_PIECES];
    int real[MAX_PIECES]; /* bytes that are the stream's own (not silence) */
    int wrong;            /* bytes neither the stream's nor silence */
} got;

static void on_piece(void *arg, uint16_t seq, uint32_t ts, int marker, const uint8_t *p, size_t len)
{
    got *g = arg;
    if (g->n == MAX_PIECES || len != AGORA_REFRAME_PIECE) {
        g->wrong++;
        return;
    }
    int real = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == tick_byte(ts + (uint32_t)i))
            real++;
        else if (p[i] != SILENCE)
            g->wrong++;
    }
    g->seq[g->n] = seq;
    g->ts[g->n] = ts;
    g->marker[g->n] = marker;
    g->real[g->n] = real;
    g->n++;
}

static void push_seq(agora_reframe *f, got *g, uint16_t rtp_seq, uint32_t ts, int marker, int len)
{
    uint8_t pay[2048];
    for (int i = 0; i < len; i++)
        pay[i] = tick_byte(ts + (uint32_t)i);
    agora_reframe_push(f, rtp_seq, ts, marker, pay, (size_t)len, on_piece, g);
}

/* A packet whose RTP sequence number comes from its timestamp (ts / 2): never
 * one more than the packet before across a timestamp jump, so the gaps of the
 * tests using it are losses, never a silent pause (test_silent_pause). */
static void push(agora_reframe *f, got *g, uint32_t ts, int marker, int len)
{
    push_seq(f, g, (uint16_t)(ts / 2), ts, marker, len);
}

/* Every piece is numbered from its timestamp: seq - seq[0] == (ts - ts[0]) / 160. */
static int numbered_by_time(const got *g)
{
    for (int i = 0; i < g->n; i++) {
        uint32_t dt = g->ts[i] - g->ts[0];
        if (dt % AGORA_REFRAME_PIECE || (uint16_t)(g->seq[i] - g->seq[0]) != (uint16_t)(dt / AGORA_REFRAME_PIECE))
            return 0;
    }
    return 1;
}

static int distinct_seqs(const got *g)
{
    for (int i = 0; i < g->n; i++)
        for (int j = i + 1; j < g->n; j++)
            if (g->seq[i] == g->seq[j])
                return 0;
    return 1;
}

/* A stream of `ms`-long packets (in order, none lost): every tick is heard. */
static void test_lengths(void)
{
    static const int lengths[] = {10, 20, 30, 40, 50, 60};
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        int len = lengths[k] * 8, total = 8 * 1200; /* 1.2 s */
        uint32_t ts0 = 0xFFFFF000u;                 /* the timestamp wraps on the way */
        agora_reframe f;
        static got g;
        memset(&g, 0, sizeof(g));
        agora_reframe_reset(&f, SILENCE);
        for (int t = 0; t < total; t += len)
            push(&f, &g, ts0 + (uint32_t)t, t == 0, len);
        CHECK(g.wrong == 0, "%d ms: %d wrong bytes", lengths[k], g.wrong);
        CHECK(g.n == total / AGORA_REFRAME_PIECE, "%d ms: %d pieces", lengths[k], g.n);
        int all_real = 1;
        for (int i = 0; i < g.n; i++)
            all_real &= g.real[i] == AGORA_REFRAME_PIECE && g.ts[i] == ts0 + (uint32_t)(i * AGORA_REFRAME_PIECE);
        CHECK(all_real, "%d ms: a piece is not the stream's, in order", lengths[k]);
        CHECK(numbered_by_time(&g) && g.marker[0] == 1 && g.marker[1] == 0, "%d ms: numbering", lengths[k]);
    }
}

/* 30 ms packets, the second lost: the pieces it fully held are missing, the
 * ones it shared are emitted with silence where it was; nothing twice. */
static void test_loss(void)
{
    agora_reframe f;
    static got g;
    memset(&g, 0, sizeof(g));
    agora_reframe_reset(&f, SILENCE);
    push(&f, &g, 0, 1, 240);   /* [0,240): piece 0, carry 160..240 */
    push(&f, &g, 480, 0, 240); /* [240,480) lost */
    push(&f, &g, 720, 0, 240);
    CHECK(g.wrong == 0, "%d wrong bytes", g.wrong);
    CHECK(numbered_by_time(&g) && distinct_seqs(&g), "numbering");
    /* piece 0 whole, piece 1 half (the carry, flushed), piece 2 missing,
     * pieces 3, 4 (carry + next packet) and 5 whole */
    CHECK(g.n == 5, "%d pieces", g.n);
    CHECK(g.n == 5 && g.ts[1] == 160 && g.real[1] == 80, "the half piece: ts %u, %d real",
          (unsigned)g.ts[1], g.real[1]);
    CHECK(g.n == 5 && g.ts[2] == 480 && g.ts[3] == 640 && g.ts[4] == 800 && g.real[2] == 160 &&
          g.real[3] == 160 && g.real[4] == 160, "after the loss");
}

/* A reordered packet still yields its whole pieces; a duplicate yields only
 * numbers already emitted. */
static void test_reorder_and_duplicate(void)
{
    agora_reframe f;
    static got g;
    memset(&g, 0, sizeof(g));
    agora_reframe_reset(&f, SILENCE);
    push(&f, &g, 0, 0, 240);
    push(&f, &g, 480, 0, 240);
    push(&f, &g, 240, 0, 240); /* late: [240,480) holds piece 2 [320,480) whole */
    int found = 0;
    for (int i = 0; i < g.n; i++)
        found |= g.ts[i] == 320 && g.real[i] == 160;
    CHECK(found, "the late packet's whole piece");
    int before = g.n;
    push(&f, &g, 480, 0, 240); /* a copy */
    push(&f, &g, 720, 0, 240);
    for (int i = before; i < g.n; i++) {
        int seen = 0;
        for (int j = 0; j < before; j++)
            seen |= g.seq[j] == g.seq[i];
        CHECK(g.ts[i] >= 640 || seen, "a copy made the new piece at %u", (unsigned)g.ts[i]);
    }
    CHECK(g.wrong == 0 && numbered_by_time(&g), "bytes / numbering");
}

/* A sender that rebases its clock: the numbering goes on from the last piece. */
static void test_rebase(void)
{
    agora_reframe f;
    static got g;
    memset(&g, 0, sizeof(g));
    agora_reframe_reset(&f, SILENCE);
    push(&f, &g, 1000, 0, 160);
    push(&f, &g, 1160, 0, 160);
    push(&f, &g, 90000000u, 0, 160);
    CHECK(g.n == 3 && (uint16_t)(g.seq[2] - g.seq[1]) == 1 && g.ts[2] == 90000000u, "rebase");
}

/* A talk spurt, its sender's pause (two keepalives), a spurt 5 s later: the
 * pause's numbers follow the newest piece (the half piece it ends with is
 * emitted), the next spurt is numbered right after them whatever its
 * timestamp; a late packet of the first spurt still goes on its old grid. */
static void test_pause(void)
{
    agora_reframe f;
    static got g;
    memset(&g, 0, sizeof(g));
    agora_reframe_reset(&f, SILENCE);
    push(&f, &g, 0, 1, 240);
    push(&f, &g, 480, 0, 240); /* [240,480) lost; piece 1 half, piece 3, carry [640,720) */
    CHECK(g.n == 3, "before the pause: %d pieces", g.n);
    uint16_t p1 = agora_reframe_pause(&f, on_piece, &g);
    CHECK(g.n == 4 && g.ts[3] == 640 && g.real[3] == 80, "the carry at the pause");
    CHECK(p1 == (uint16_t)(g.seq[3] + 1), "the pause takes the number after the newest piece");
    push(&f, &g, 240, 0, 240); /* late, of the first spurt: piece 2 [320,480) whole */
    int found = 0;
    for (int i = 4; i < g.n; i++)
        found |= g.ts[i] == 320 && g.real[i] == 160 && (uint16_t)(g.seq[i] - g.seq[0]) == 2;
    CHECK(found && numbered_by_time(&g), "a late packet of the first spurt");
    uint16_t p2 = agora_reframe_pause(&f, on_piece, &g);
    CHECK(p2 == (uint16_t)(p1 + 1), "a second keepalive takes the next number");
    int before = g.n;
    push(&f, &g, 40000, 1, 160);
    push(&f, &g, 40160, 0, 160);
    CHECK(g.n == before + 2 && g.seq[before] == (uint16_t)(p2 + 1) &&
              g.seq[before + 1] == (uint16_t)(p2 + 2) && g.ts[before] == 40000 && g.marker[before],
          "the next spurt numbered after the pause");
    CHECK(g.wrong == 0, "%d wrong bytes", g.wrong);
}

/* A pause the sender does not announce (no keepalive; RFC 3551 4.1): the next
 * packet's RTP number follows on by one, its timestamp jumps 1 s. The half
 * piece the spurt ended with is emitted, the next spurt numbered right after it
 * (no missing numbers for the silence). Within the new spurt, a lost packet (an
 * RTP number skipped) is still a run of missing pieces, numbered by time; so is
 * a timestamp jump with a skipped number (loss, not a pause). */
static void test_silent_pause(void)
{
    agora_reframe f;
    static got g;
    memset(&g, 0, sizeof(g));
    agora_reframe_reset(&f, SILENCE);
    push_seq(&f, &g, 100, 0, 1, 240);
    push_seq(&f, &g, 101, 240, 0, 240);
    push_seq(&f, &g, 102, 480, 0, 240); /* pieces 0..3, carry [640,720) */
    CHECK(g.n == 4, "first spurt: %d pieces", g.n);
    push_seq(&f, &g, 103, 8000, 1, 240); /* 1 s later, nothing lost */
    CHECK(g.n == 6 && g.ts[4] == 640 && g.real[4] == 80, "the carry at the pause");
    CHECK(g.n == 6 && g.seq[5] == (uint16_t)(g.seq[4] + 1) && g.ts[5] == 8000 && g.marker[5],
          "the next spurt numbered right after the newest piece");
    push_seq(&f, &g, 104, 8240, 0, 240);
    int before = g.n;
    push_seq(&f, &g, 106, 8720, 0, 240); /* 105 lost: [8480,8720) */
    push_seq(&f, &g, 107, 8960, 0, 240);
    uint16_t first = g.seq[5];
    for (int i = 5; i < g.n; i++)
        CHECK((uint16_t)(g.seq[i] - first) == (g.ts[i] - 8000) / AGORA_REFRAME_PIECE,
              "piece at %u numbered %u", (unsigned)g.ts[i], (unsigned)g.seq[i]);
    int missing = 1; /* piece [8480,8640) was all in the lost packet */
    for (int i = before; i < g.n; i++)
        missing &= g.ts[i] != 8480;
    CHECK(missing, "the lost packet's piece is missing");
    int n_loss = g.n;
    uint16_t newest = g.seq[g.n - 1];
    uint32_t newest_ts = g.ts[g.n - 1];
    push_seq(&f, &g, 109, 16000, 1, 240); /* 108 lost and a pause: loss, by time */
    CHECK(g.n > n_loss && (uint16_t)(g.seq[g.n - 1] - newest) == (g.ts[g.n - 1] - newest_ts) / AGORA_REFRAME_PIECE,
          "a jump with a skipped number is numbered by time");
    CHECK(g.wrong == 0 && distinct_seqs(&g), "%d wrong bytes / numbering", g.wrong);
}

/* Random lengths, losses, reordering and copies (and garbage lengths): only
 * the stream's bytes or silence come out, numbered by time, never a crash. */
static void test_random(void)
{
    uint32_t s = 12345;
    agora_reframe f;
    static got g;
    memset(&g, 0, sizeof(g));
    agora_reframe_reset(&f, SILENCE);
    uint32_t ts = 777;
    for (int i = 0; i < 600 && g.n < MAX_PIECES - 40; i++) {
        int len = 1 + (int)(rnd(&s) % 600);
        uint32_t at = ts;
        if (rnd(&s) % 8 == 0)
            at -= rnd(&s) % 800; /* late or a copy */
        if (rnd(&s) % 10 != 0)   /* else lost */
            push(&f, &g, at, (int)(rnd(&s) % 2), len);
        ts += (uint32_t)len;
    }
    CHECK(g.wrong == 0, "%d wrong bytes", g.wrong);
    CHECK(numbered_by_time(&g), "numbering");
}

int main(void)
{
    test_lengths();
    test_loss();
    test_reorder_and_duplicate();
    test_rebase();
    test_pause();
    test_silent_pause();
    test_random();
    if (failures)
        printf("%d check(s) failed\n", failures);
    else
        printf("rtp_reframe: all checks passed\n");
    return failures != 0;
}
