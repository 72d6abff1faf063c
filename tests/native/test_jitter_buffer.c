/* Unit test of src/_native/net/rtp/jitter_buffer.c. Returns 0 on success; prints the
 * failed check(s) and returns 1 otherwise. Build and run (from the repo root):
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -Isrc/_native/include \
 *       -Isrc/_native src/_native/net/rtp/jitter_buffer.c tests/native/test_jitter_buffer.c -lm \
 *       -o /tmp/test_jitter_buffer && /tmp/test_jitter_buffer
 * Sanitizers: add -g -fsanitize=address,undefined -fno-sanitize-recover=all.
 *
 * Packets carry their own sequence number in the first two payload bytes so
 * every played payload can be checked against the seq it is played as. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "net/rtp/jitter_buffer.h"

#include "native_test.h"


#define SSRC 0xCAFEu

/* Insert packet number i of a 20 ms stream starting at seq0 / ts0. */
static int put(agora_jb *jb, uint16_t seq0, uint32_t ts0, int i, int64_t arrival)
{
    uint16_t seq = (uint16_t)(seq0 + i);
    uint8_t pay[40];
    memset(pay, 0x5A, sizeof(pay));
    pay[0] = (uint8_t)(seq >> 8);
    pay[1] = (uint8_t)seq;
    return agora_jb_insert(jb, SSRC, seq, ts0 + (uint32_t)i * 960u, 0, pay, 20 + (size_t)(i % 20),
                           arrival);
}

/* A buffer that starts at 40 ms: two packets of headroom, so that the loss
 * and wrap tests below see a packet after each gap before its turn. */
static agora_jb *create_40ms(void)
{
    agora_jb_config c;
    agora_jb_config_default(&c);
    c.initial_delay_ms = 40;
    return agora_jb_create(&c);
}

static uint16_t payload_seq(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

/* Pull and check the payload matches the seq it is played as. */
static int pull(agora_jb *jb, int64_t now, agora_jb_frame *f)
{
    int k = agora_jb_pull(jb, now, f);
    if (k == AGORA_JB_PACKET)
        CHECK(f->payload_len >= 20 && payload_seq(f->payload) == f->seq, "payload of %u is %u",
              f->seq, payload_seq(f->payload));
    if (k == AGORA_JB_LOST && f->fec_payload)
        CHECK(payload_seq(f->fec_payload) == (uint16_t)(f->seq + 1), "fec payload of %u is %u",
              f->seq, payload_seq(f->fec_payload));
    return k;
}

/* Steady stream, perfect network: starts after the initial 20 ms (one
 * packet: the floor), then one packet per pull in order. */
static void test_in_order(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    CHECK(agora_jb_pull(jb, 0, &f) == AGORA_JB_EMPTY, "empty before any packet");
    int played = 0, first_at = -1;
    uint16_t expect = 100;
    for (int t = 0; t < 100; t++) {
        int64_t now = 1000 + t * 20;
        if (t < 60)
            put(jb, 100, 5000, t, now - 7); /* arrives 7 ms before the tick */
        int k = pull(jb, now + 0, &f);
        if (k == AGORA_JB_PACKET) {
            if (first_at < 0) {
                first_at = t;
                CHECK(f.restart == 1, "first packet flagged restart");
            } else {
                CHECK(f.restart == 0, "restart only once");
            }
            CHECK(f.seq == expect, "seq %u expect %u", f.seq, expect);
            expect++;
            played++;
        } else if (first_at >= 0 && played < 60) {
            CHECK(0, "kind %d at t=%d before the end", k, t);
        }
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    /* first packet arrives at 993, C >= 20 first at the tick 1020: t = 1 */
    CHECK(first_at == 1, "first played at tick %d", first_at);
    CHECK(played == 60 && st.played == 60 && st.lost == 0 && st.late == 0 && st.duplicates == 0,
          "played %d lost %llu", played, (unsigned long long)st.lost);
    /* after the stream ends: 5 underrun concealments, then EMPTY */
    CHECK(st.underruns == 5 && st.concealed == 5, "underruns %llu", (unsigned long long)st.underruns);
    CHECK(st.received == 60 && st.buffered == 0, "received %llu", (unsigned long long)st.received);
    agora_jb_destroy(jb);
}

/* Start delay: the very first packet waits for the whole target (20 ms: one
 * packet); a talk spurt after a pause starts at the first pull within 10 ms
 * of the target, so its delay averages the target over the 20 ms pull grid. */
static void test_start_delay(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    for (int i = 0; i < 10; i++)
        put(jb, 7, 0, i, 1000 + i * 20); /* transit 1000 ms exactly */
    CHECK(pull(jb, 1012, &f) == AGORA_JB_EMPTY, "first start: 12 ms < the 20 ms target");
    CHECK(pull(jb, 1020, &f) == AGORA_JB_PACKET && f.seq == 7, "first start at 20 ms");
    for (int t = 1; t < 40; t++)
        pull(jb, 1020 + t * 20, &f); /* plays out, underruns, back to buffering */
    for (int i = 10; i < 20; i++) /* the sender's clock went on through the pause */
        put(jb, 7, 960 * 90, i, 1000 + (i + 90) * 20);
    CHECK(pull(jb, 3008, &f) == AGORA_JB_EMPTY, "after a pause: 8 ms is too early");
    CHECK(pull(jb, 3012, &f) == AGORA_JB_PACKET && f.seq == 17, "after a pause: starts at 12 ms");
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(st.target_delay_ms == 20 && st.current_delay_ms == 12 && st.lost == 0,
          "target %d delay %d lost %llu", st.target_delay_ms, st.current_delay_ms,
          (unsigned long long)st.lost);
    agora_jb_destroy(jb);
}

/* Reordering inside the window, duplicates (buffered and already played). */
static void test_reorder_and_duplicates(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    uint16_t expect = 0;
    int played = 0;
    for (int t = 0; t < 80; t++) {
        int64_t now = t * 20;
        int i = t;
        if (i < 60) {
            /* reorder pairs (4,5), (20,21), (40,41): the first one is
             * delayed by ~23 ms and arrives just after the second */
            if (i == 4 || i == 20 || i == 40) {
                /* delayed */
            } else if (i == 5 || i == 21 || i == 41) {
                put(jb, 0, 0, i, now - 5);
                put(jb, 0, 0, i - 1, now - 2);
            } else {
                put(jb, 0, 0, i, now - 5);
            }
            if (i == 10)
                CHECK(put(jb, 0, 0, 10, now - 4) == AGORA_JB_DUPLICATE, "buffered dup");
            if (i == 30)
                CHECK(put(jb, 0, 0, 20, now - 4) == AGORA_JB_DUPLICATE, "played dup");
        }
        int k = pull(jb, now, &f);
        if (k == AGORA_JB_PACKET) {
            CHECK(f.seq == expect, "seq %u expect %u", f.seq, expect);
            expect++;
            played++;
        }
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(played == 60 && st.lost == 0 && st.late == 0, "played %d lost %llu late %llu", played,
          (unsigned long long)st.lost, (unsigned long long)st.late);
    CHECK(st.duplicates == 2, "dups %llu", (unsigned long long)st.duplicates);
    agora_jb_destroy(jb);

    /* reordering before playback starts: an earlier seq arriving second
     * becomes the start */
    jb = agora_jb_create(NULL);
    put(jb, 500, 0, 1, 0);
    put(jb, 500, 0, 0, 3);
    put(jb, 500, 0, 2, 19);
    int k = AGORA_JB_EMPTY;
    int64_t now = 0;
    while ((k = pull(jb, now, &f)) == AGORA_JB_EMPTY && now < 200)
        now += 20;
    CHECK(k == AGORA_JB_PACKET && f.seq == 500, "started at %u", f.seq);
    agora_jb_destroy(jb);
}

/* One packet lost: a LOST frame offers the next packet for FEC. */
static void test_loss_fec(void)
{
    agora_jb *jb = create_40ms();
    agora_jb_frame f;
    int lost_frames = 0, fec_frames = 0;
    uint16_t expect = 1000;
    for (int t = 0; t < 60; t++) {
        int64_t now = t * 20;
        if (t < 50 && t != 20 && t != 30 && t != 31)
            put(jb, 1000, 77, t, now - 3);
        int k = pull(jb, now, &f);
        if (k == AGORA_JB_LOST && f.seq_lost) {
            lost_frames++;
            CHECK(f.seq == expect, "lost seq %u expect %u", f.seq, expect);
            CHECK(f.timestamp == 77u + (uint32_t)(f.seq - 1000) * 960u, "lost ts %u", f.timestamp);
            if (f.seq == 1020 || f.seq == 1031) {
                CHECK(f.fec_payload != NULL && f.fec_payload_len > 0, "fec offered for %u", f.seq);
                fec_frames++;
                const uint8_t *p;
                size_t l;
                CHECK(agora_jb_peek_next(jb, &p, &l) == 1 && p == f.fec_payload &&
                          l == f.fec_payload_len,
                      "peek_next is the fec packet");
            } else {
                CHECK(f.seq == 1030 && f.fec_payload == NULL, "no fec for %u (31 lost too)", f.seq);
            }
            expect++;
        } else if (k == AGORA_JB_PACKET) {
            CHECK(f.seq == expect, "seq %u expect %u", f.seq, expect);
            expect++;
        }
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(lost_frames == 3 && fec_frames == 2 && st.lost == 3 && st.fec_offered == 2,
          "lost %d fec %d st.lost %llu", lost_frames, fec_frames, (unsigned long long)st.lost);
    CHECK(st.played + st.lost + st.dropped == (uint64_t)(expect - 1000), "accounting");
    agora_jb_destroy(jb);
}

/* Sequence numbers and timestamps wrapping at 65535 / 2^32. */
static void test_wrap(void)
{
    agora_jb *jb = create_40ms();
    agora_jb_frame f;
    uint16_t seq0 = 65500;
    uint32_t ts0 = 0xFFFFFFFFu - 960u * 30u;
    int played = 0;
    uint16_t expect = seq0;
    for (int t = 0; t < 120; t++) {
        int64_t now = 10000 + t * 20;
        if (t < 100 && t != 36 /* 65535 */ && t != 37 /* 0 */)
            put(jb, seq0, ts0, t, now - 1);
        if (t == 40) /* seq 0 arrives after its turn (tick 39), 65535 never */
            CHECK(put(jb, seq0, ts0, 37, now) == AGORA_JB_LATE, "late 0");
        int k = pull(jb, now, &f);
        if (k == AGORA_JB_PACKET || (k == AGORA_JB_LOST && f.seq_lost)) {
            CHECK(f.seq == expect, "seq %u expect %u", f.seq, expect);
            if (k == AGORA_JB_PACKET)
                CHECK(f.timestamp == ts0 + (uint32_t)(uint16_t)(f.seq - seq0) * 960u, "ts");
            expect++;
            played += k == AGORA_JB_PACKET;
        }
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(played == 98 && st.lost == 2 && st.late == 1, "played %d lost %llu late %llu", played,
          (unsigned long long)st.lost, (unsigned long long)st.late);
    CHECK(expect == (uint16_t)(seq0 + 100), "ended at %u", expect);
    CHECK(st.target_delay_ms > 40, "a late packet grows the target (%d)", st.target_delay_ms);
    agora_jb_destroy(jb);
}

/* Big sequence jump (confirmed restart), SSRC change, stray packet. */
static void test_resync(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    int64_t now = 0;
    for (int i = 0; i < 20; i++, now += 20) {
        put(jb, 100, 0, i, now);
        pull(jb, now, &f);
    }
    /* a stray packet far away is held, then discarded by normal traffic */
    CHECK(agora_jb_insert(jb, SSRC, 30000, 5, 0, (const uint8_t *)"\x75\x30xxxxxxxxxxxxxxxxxx", 20,
                          now) == AGORA_JB_HELD,
          "held");
    for (int i = 20; i < 30; i++, now += 20) {
        put(jb, 100, 0, i, now);
        CHECK(pull(jb, now, &f) == AGORA_JB_PACKET, "still playing the old stream");
    }
    /* restart: seq jumps by 20000, ts to an unrelated value */
    CHECK(put(jb, 20130, 999999, 0, now) == AGORA_JB_HELD, "jump held");
    pull(jb, now, &f);
    now += 20;
    CHECK(put(jb, 20130, 999999, 1, now) == AGORA_JB_RESYNCED, "jump confirmed");
    int restarted = 0, n_old = 0;
    uint16_t expect = 20130;
    for (int i = 2; i < 40; i++, now += 20) {
        put(jb, 20130, 999999, i, now);
        int k = pull(jb, now, &f);
        if (k == AGORA_JB_PACKET) {
            if (f.seq < 20000)
                n_old++;
            if (f.seq == 20130)
                restarted = f.restart;
            else
                CHECK(!f.restart, "restart flag once");
            CHECK(f.seq == expect, "seq %u expect %u", f.seq, expect);
            expect++;
        }
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(restarted && n_old <= 2 && st.resyncs == 1 && st.invalid == 1,
          "restarted %d old %d resyncs %llu invalid %llu", restarted, n_old,
          (unsigned long long)st.resyncs, (unsigned long long)st.invalid);
    /* SSRC change restarts at once */
    uint8_t pay[20] = {0, 7};
    CHECK(agora_jb_insert(jb, SSRC + 1, 7, 0, 1, pay, 20, now) == AGORA_JB_RESYNCED, "ssrc");
    int k = AGORA_JB_EMPTY;
    for (int i = 0; i < 10 && k != AGORA_JB_PACKET; i++, now += 20)
        k = pull(jb, now, &f);
    CHECK(k == AGORA_JB_PACKET && f.seq == 7 && f.restart && f.marker == 1, "new ssrc played");
    agora_jb_get_stats(jb, &st);
    CHECK(st.resyncs == 2, "resyncs %llu", (unsigned long long)st.resyncs);

    /* restart to LOWER sequence numbers (sender restarted from 0) */
    jb = (agora_jb_destroy(jb), agora_jb_create(NULL));
    now = 0;
    for (int i = 0; i < 20; i++, now += 20) {
        put(jb, 40000, 0, i, now);
        pull(jb, now, &f);
    }
    CHECK(put(jb, 0, 0, 0, now) == AGORA_JB_HELD && put(jb, 0, 0, 1, now + 20) == AGORA_JB_RESYNCED,
          "backward restart");
    agora_jb_destroy(jb);
}

/* Timestamp jump with continuous sequence numbers; sender pause (DTX). */
static void test_timestamp_jump_and_pause(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    int64_t now = 0;
    uint32_t ts = 1000;
    uint16_t seq = 10;
    int played = 0;
    for (int i = 0; i < 200; i++, now += 20) {
        if (i == 100)
            ts += 48000u * 3600u; /* rebased RTP clock, no time gap */
        uint8_t pay[20] = {(uint8_t)(seq >> 8), (uint8_t)seq};
        agora_jb_insert(jb, SSRC, seq++, ts, 0, pay, 20, now - 2);
        ts += 960;
        played += pull(jb, now, &f) == AGORA_JB_PACKET;
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(st.ts_jumps == 1 && st.lost == 0 && st.late == 0 && st.target_delay_ms <= 40,
          "ts jump: jumps %llu lost %llu target %d", (unsigned long long)st.ts_jumps,
          (unsigned long long)st.lost, st.target_delay_ms);
    CHECK(played >= 197, "played %d", played);

    /* pause of 2 s (no packets), timestamps keep real time, seq continuous */
    int empty = 0, conceal = 0, after = 0;
    uint16_t first_after = 0;
    for (int i = 0; i < 200; i++, now += 20) {
        if (i >= 100) {
            uint8_t pay[20] = {(uint8_t)(seq >> 8), (uint8_t)seq};
            if (i == 100)
                first_after = seq;
            agora_jb_insert(jb, SSRC, seq++, ts, 0, pay, 20, now - 2);
        }
        ts += 960; /* the RTP clock runs during the pause */
        int k = pull(jb, now, &f);
        if (i < 100) {
            empty += k == AGORA_JB_EMPTY;
            conceal += k == AGORA_JB_LOST;
        } else if (k == AGORA_JB_PACKET) {
            if (!after)
                CHECK(f.seq == first_after && !f.restart, "resumes at %u", f.seq);
            after++;
        }
    }
    agora_jb_get_stats(jb, &st);
    /* the 2 packets still buffered play first, then 5 PLC frames, then silence */
    CHECK(conceal == 5 && empty >= 92, "pause: %d concealed, %d empty", conceal, empty);
    CHECK(after >= 97 && st.lost == 0 && st.late == 0 && st.ts_jumps == 1,
          "after pause: played %d lost %llu", after, (unsigned long long)st.lost);
    agora_jb_destroy(jb);
}

/* Jitter grows the target, calm shrinks it slowly; delay follows target. */
static void test_adaptation(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    uint32_t seed = 4242;
    int64_t now = 0;
    int i_sent = 0;
    /* 10 s with 0..80 ms of random extra delay (reordering included), then
     * 20 s of a perfect network; packets are delivered by arrival time */
    enum { NA = 1500 };
    static int64_t arr[NA];
    for (int i = 0; i < NA; i++)
        arr[i] = (int64_t)i * 20 + (i < 500 ? (int64_t)(rnd(&seed) % 80) : 0);
    int max_target = 0;
    agora_jb_stats st;
    for (int t = 0; t < NA + 10; t++, now += 20) {
        /* deliver everything that has arrived by now (any order) */
        for (int i = t - 6 < 0 ? 0 : t - 6; i < NA && i <= t; i++)
            if (arr[i] >= now - 20 && arr[i] < now)
                put(jb, 0, 0, i, arr[i]), i_sent++;
        pull(jb, now, &f);
        agora_jb_get_stats(jb, &st);
        if (st.target_delay_ms > max_target)
            max_target = st.target_delay_ms;
        if (t == 499)
            CHECK(st.target_delay_ms >= 80 && st.target_delay_ms <= 110,
                  "target under 80 ms jitter: %d", st.target_delay_ms);
    }
    agora_jb_get_stats(jb, &st);
    CHECK(i_sent == NA, "sent %d", i_sent);
    CHECK(max_target <= 200, "bounded %d", max_target);
    CHECK(st.target_delay_ms <= 30, "calm again: target %d", st.target_delay_ms);
    CHECK(st.current_delay_ms <= st.target_delay_ms + 20, "delay %d follows target %d",
          st.current_delay_ms, st.target_delay_ms);
    CHECK(st.dropped > 0, "shrunk by dropping (%llu)", (unsigned long long)st.dropped);
    CHECK(st.shrunk > 0 && st.shrunk <= st.dropped && st.stretched > 0,
          "counted: shrunk %llu stretched %llu", (unsigned long long)st.shrunk,
          (unsigned long long)st.stretched);
    /* the late ones were few once the target had grown */
    CHECK(st.late < 30, "late %llu", (unsigned long long)st.late);
    printf("adaptation: max target %d ms, final target %d current %d, late %llu lost %llu "
           "stretched %llu dropped %llu\n",
           max_target, st.target_delay_ms, st.current_delay_ms, (unsigned long long)st.late,
           (unsigned long long)st.lost, (unsigned long long)st.stretched,
           (unsigned long long)st.dropped);
    agora_jb_destroy(jb);
}

/* 10 s of random impairment: 5% loss, 5% reordering, 2% duplicates, plus
 * 0..10 ms of arrival jitter; one pull every 20 ms with an offset phase. */
typedef struct ev {
    int64_t t;
    int i;
} ev;

static int ev_cmp(const void *a, const void *b)
{
    const ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->i - y->i;
}

static void simulate(uint32_t seed, uint16_t seq0)
{
    const uint32_t seed0 = seed;
    enum { N = 500 };
    static ev evs[2 * N];
    static uint8_t dropped_net[N];
    static int arrived_by_seq[N];
    int ne = 0;
    memset(dropped_net, 0, sizeof(dropped_net));
    for (int i = 0; i < N; i++) {
        uint32_t r = rnd(&seed) % 100;
        if (r < 5) {
            dropped_net[i] = 1;
            continue;
        }
        int64_t t = (int64_t)i * 20 + rnd(&seed) % 11;
        if (r < 10)
            t += 20 + rnd(&seed) % 60; /* reordered: 1..4 packets later */
        evs[ne].t = t;
        evs[ne++].i = i;
        if (r >= 10 && r < 12) { /* duplicate, a bit later */
            evs[ne].t = t + rnd(&seed) % 100;
            evs[ne++].i = i;
        }
    }
    qsort(evs, (size_t)ne, sizeof(ev), ev_cmp);

    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    int e = 0;
    int64_t first = -1, last = -1; /* consumed ext seqs */
    int n_packet = 0, n_lost = 0, n_conceal = 0, n_late_ret = 0, n_dup_ret = 0;
    int monotonic_ok = 1;
    memset(arrived_by_seq, 0, sizeof(arrived_by_seq));
    for (int64_t now = 7; now < (int64_t)N * 20 + 400; now += 20) {
        while (e < ne && evs[e].t <= now) {
            int r = put(jb, seq0, 0x7FFFFF00u, evs[e].i, evs[e].t);
            n_late_ret += r == AGORA_JB_LATE;
            n_dup_ret += r == AGORA_JB_DUPLICATE;
            CHECK(r == AGORA_JB_INSERTED || r == AGORA_JB_LATE || r == AGORA_JB_DUPLICATE,
                  "insert result %d", r);
            arrived_by_seq[evs[e].i]++;
            e++;
        }
        int k = pull(jb, now, &f);
        if (k == AGORA_JB_PACKET || (k == AGORA_JB_LOST && f.seq_lost)) {
            int64_t idx = (uint16_t)(f.seq - seq0); /* stream index */
            if (last >= 0 && idx <= last) {
                monotonic_ok = 0;
                printf("non-monotonic: %lld after %lld\n", (long long)idx, (long long)last);
            }
            if (first < 0)
                first = idx;
            last = idx;
            if (k == AGORA_JB_PACKET) {
                n_packet++;
                CHECK(!dropped_net[idx], "played a packet the network dropped: %lld", (long long)idx);
            } else {
                n_lost++;
            }
        } else if (k == AGORA_JB_LOST) {
            n_conceal++;
        }
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    int net_lost_in_range = 0;
    for (int64_t i = first; i <= last; i++)
        net_lost_in_range += dropped_net[i];
    CHECK(monotonic_ok, "monotonic output (seed %u)", seed0);
    CHECK(first == 0 && last == N - 1, "range %lld..%lld", (long long)first, (long long)last);
    CHECK(st.played == (uint64_t)n_packet, "played");
    CHECK(st.played + st.lost + st.dropped == (uint64_t)(last - first + 1),
          "accounting: played %llu + lost %llu + dropped %llu != %lld (seed %u)",
          (unsigned long long)st.played, (unsigned long long)st.lost,
          (unsigned long long)st.dropped, (long long)(last - first + 1), seed0);
    CHECK(st.lost >= (uint64_t)net_lost_in_range &&
              st.lost <= (uint64_t)net_lost_in_range + st.late + st.dropped,
          "lost %llu vs network %d + late %llu", (unsigned long long)st.lost, net_lost_in_range,
          (unsigned long long)st.late);
    CHECK(st.late == (uint64_t)n_late_ret && st.duplicates == (uint64_t)n_dup_ret, "counters");
    CHECK(st.played + st.late + st.duplicates + st.dropped + st.invalid + st.flushed +
                  (uint64_t)st.buffered == (uint64_t)ne,
          "every packet counted once: %d inserted (seed %u)", ne, seed0);
    CHECK(st.concealed == (uint64_t)(n_lost + n_conceal) &&
              st.concealed == (uint64_t)n_lost + st.underruns + st.stretched,
          "concealed %llu = lost frames %d + underruns %llu + stretched %llu",
          (unsigned long long)st.concealed, n_lost, (unsigned long long)st.underruns,
          (unsigned long long)st.stretched);
    CHECK(st.target_delay_ms >= 20 && st.target_delay_ms <= 200, "target %d", st.target_delay_ms);
    CHECK(st.resyncs == 0 && st.buffered == 0, "resyncs %llu buffered %d",
          (unsigned long long)st.resyncs, st.buffered);
    /* quality: most of what arrived in time was played */
    CHECK(st.played >= (uint64_t)(N * 85 / 100), "played only %llu", (unsigned long long)st.played);
    if (seed0 <= 3)
        printf("impairment (seed %u): played %llu lost %llu (network %d) late %llu dup %llu "
               "underruns %llu stretched %llu dropped %llu fec %llu target %d ms\n",
               seed0, (unsigned long long)st.played, (unsigned long long)st.lost,
               net_lost_in_range, (unsigned long long)st.late,
               (unsigned long long)st.duplicates, (unsigned long long)st.underruns,
               (unsigned long long)st.stretched, (unsigned long long)st.dropped,
               (unsigned long long)st.fec_offered, st.target_delay_ms);
    agora_jb_destroy(jb);
}

/* Garbage input: random SSRCs, seqs, timestamps, times; must stay sane. */
static void test_garbage(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    uint32_t seed = 777;
    uint8_t pay[AGORA_JB_MAX_PAYLOAD + 1];
    memset(pay, 1, sizeof(pay));
    int64_t now = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t r = rnd(&seed);
        if (r % 3) {
            uint32_t ssrc = (r >> 8) % 8 == 0 ? rnd(&seed) % 3 : 1;
            uint16_t seq = (uint16_t)((r >> 4) % 4 == 0 ? rnd(&seed) : (uint32_t)i / 3 + rnd(&seed) % 8);
            uint32_t ts = (r >> 12) % 4 == 0 ? rnd(&seed) : seq * 960u;
            size_t len = rnd(&seed) % (AGORA_JB_MAX_PAYLOAD + 2);
            int64_t arr = now - (int64_t)(rnd(&seed) % 300) + ((r >> 20) % 50 == 0 ? 100000 : 0);
            int res = agora_jb_insert(jb, ssrc, seq, ts, (int)(r & 1), pay, len, arr);
            CHECK(res >= 0 || (res == AGORA_ERR_TOO_LARGE && len > AGORA_JB_MAX_PAYLOAD),
                  "insert %d", res);
        } else {
            now += (r >> 3) % 64 == 0 ? -(int64_t)(rnd(&seed) % 1000) : 20;
            int k = agora_jb_pull(jb, now, &f);
            CHECK(k >= 0 && k <= 2, "pull %d", k);
            if (k == AGORA_JB_PACKET)
                CHECK(f.payload && f.payload_len <= AGORA_JB_MAX_PAYLOAD, "payload");
        }
        if ((i & 0xFFFF) == 0)
            agora_jb_reset(jb);
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(st.buffered >= 0 && st.buffered <= AGORA_JB_CAPACITY, "buffered %d", st.buffered);
    CHECK(st.target_delay_ms >= 20 && st.target_delay_ms <= 200, "target %d", st.target_delay_ms);
    agora_jb_destroy(jb);
}

static void test_args(void)
{
    agora_jb_config c;
    agora_jb_config_default(&c);
    CHECK(c.clock_rate == 48000 && c.frame_ms == 20 && c.initial_delay_ms == 20 &&
              c.min_delay_ms == 20 && c.max_delay_ms == 200,
          "defaults");
    c.min_delay_ms = 50;
    CHECK(agora_jb_create(&c) == NULL, "min > initial");
    agora_jb_config_default(&c);
    c.clock_rate = 0;
    CHECK(agora_jb_create(&c) == NULL, "clock rate");
    agora_jb *jb = agora_jb_create(NULL);
    uint8_t big[AGORA_JB_MAX_PAYLOAD + 1] = {0};
    CHECK(agora_jb_insert(jb, 1, 1, 1, 0, big, sizeof(big), 0) == AGORA_ERR_TOO_LARGE, "too large");
    CHECK(agora_jb_insert(jb, 1, 1, 1, 0, big, AGORA_JB_MAX_PAYLOAD, 0) == AGORA_JB_INSERTED, "max");
    CHECK(agora_jb_insert(jb, 1, 2, 1, 0, NULL, 5, 0) == AGORA_ERR_INVALID_ARGUMENT, "null");
    CHECK(agora_jb_insert(jb, 1, 2, 961, 0, NULL, 0, 0) == AGORA_JB_INSERTED, "empty payload");
    CHECK(agora_jb_insert(NULL, 1, 2, 1, 0, big, 5, 0) == AGORA_ERR_INVALID_ARGUMENT, "null jb");
    CHECK(agora_jb_pull(jb, 0, NULL) == AGORA_ERR_INVALID_ARGUMENT, "null out");
    CHECK(agora_jb_peek_next(NULL, NULL, NULL) == 0, "peek null");
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(st.invalid == 1 && st.received == 2, "stats");
    agora_jb_destroy(jb);
    agora_jb_destroy(NULL);
    agora_jb_reset(NULL);
}

/* Keepalives (agora_jb_skip) between two talk spurts: the pause ends at
 * once, their numbers are consumed without a loss, the next spurt plays from
 * its first packet; a lost keepalive counts as one lost number; skip is
 * ignored while packets are buffered, for old numbers and other SSRCs. */
static void test_keepalive_skip(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    int64_t now = 1000;
    CHECK(agora_jb_skip(jb, SSRC, 5) == 0, "skip before any stream is ignored");
    for (int i = 0; i < 10; i++)
        put(jb, 100, 0, i, now + i * 20);
    CHECK(agora_jb_skip(jb, SSRC, 115) == 0, "ignored while packets are buffered (not right after them)");
    int played = 0;
    for (int t = 0; t < 30; t++)
        if (pull(jb, now + t * 20, &f) == AGORA_JB_PACKET)
            played++;
    CHECK(played == 10, "first spurt played %d", played);
    /* three keepalives (110..112), then the next spurt from 113 */
    CHECK(agora_jb_skip(jb, SSRC + 1, 110) == 0, "another SSRC is ignored");
    CHECK(agora_jb_skip(jb, SSRC, 110) == 1 && agora_jb_skip(jb, SSRC, 111) == 1, "skips");
    CHECK(agora_jb_skip(jb, SSRC, 111) == 0 && agora_jb_skip(jb, SSRC, 100) == 0, "old numbers");
    CHECK(agora_jb_skip(jb, SSRC, 112) == 1, "skip 112");
    now += 3000;
    for (int i = 0; i < 10; i++)
        put(jb, 113, 48000u * 3, i, now + i * 20);
    int first = -1, concealed = 0;
    played = 0;
    for (int t = 0; t < 30; t++) {
        int k = pull(jb, now + t * 20, &f);
        if (k == AGORA_JB_PACKET && played++ == 0)
            first = f.seq;
        concealed += k == AGORA_JB_LOST;
    }
    CHECK(first == 113 && played == 10, "second spurt from %d, %d played", first, played);
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    CHECK(st.lost == 0 && st.skipped == 3, "lost %llu skipped %llu", (unsigned long long)st.lost,
          (unsigned long long)st.skipped);
    /* keepalive 123 lost, 124 arrives: one lost number */
    CHECK(agora_jb_skip(jb, SSRC, 124) == 1, "skip over a lost keepalive");
    agora_jb_get_stats(jb, &st);
    CHECK(st.lost == 1 && st.skipped == 4, "lost %llu", (unsigned long long)st.lost);
    CHECK(agora_jb_skip(NULL, SSRC, 1) == AGORA_ERR_INVALID_ARGUMENT, "null jb");
    agora_jb_destroy(jb);
}

/* A keepalive right after the newest buffered packet (the sender's talk
 * spurt ended there: rtp_transport.c sends one at the end of each round):
 * the buffer runs dry at it without an underrun's concealment frames, its
 * number consumed without a loss; a next spurt already buffered behind it
 * plays on at once; a real packet of its number cancels it. */
static void test_pause_after_talk_spurt(void)
{
    for (int stretch = 0; stretch <= 1; stretch++) {
        agora_jb_config c;
        agora_jb_config_default(&c);
        c.time_stretch = stretch;
        agora_jb *jb = agora_jb_create(&c);
        agora_jb_frame f;
        int64_t now = 1000;
        for (int i = 0; i < 10; i++)
            put(jb, 100, 0, i, now + i * 20);
        CHECK(agora_jb_skip(jb, SSRC, 110) == 1, "the pause after the last packet is taken");
        CHECK(agora_jb_skip(jb, SSRC, 110) == 0, "a copy of it is not");
        int played = 0, concealed = 0, empty_after = 0;
        for (int t = 0; t < 30; t++) {
            int k = pull(jb, now + t * 20, &f);
            played += k == AGORA_JB_PACKET;
            concealed += k == AGORA_JB_LOST;
            empty_after += k == AGORA_JB_EMPTY && played == 10;
        }
        agora_jb_stats st;
        agora_jb_get_stats(jb, &st);
        CHECK(played == 10 && concealed == 0 && empty_after > 0,
              "stretch %d: played %d, concealed %d at the pause", stretch, played, concealed);
        CHECK(st.lost == 0 && st.skipped == 1 && st.underruns == 0, "stretch %d: lost %llu skipped %llu",
              stretch, (unsigned long long)st.lost, (unsigned long long)st.skipped);
        /* spurt 111..120, pause 121, and the next spurt from 122 already buffered */
        now += 2000;
        for (int i = 0; i < 10; i++)
            put(jb, 111, 48000u * 2, i, now + i * 20);
        CHECK(agora_jb_skip(jb, SSRC, 121) == 1, "second pause");
        for (int i = 0; i < 10; i++)
            put(jb, 122, 48000u * 2 + 10 * 960u, i, now + 200 + i * 20);
        played = concealed = 0;
        for (int t = 0; t < 40 && played < 20; t++) { /* (no pause after 131: stop there) */
            int k = pull(jb, now + t * 20, &f);
            played += k == AGORA_JB_PACKET;
            concealed += k == AGORA_JB_LOST;
        }
        agora_jb_get_stats(jb, &st);
        CHECK(played == 20 && concealed == 0 && st.lost == 0 && st.skipped == 2,
              "stretch %d: back to back spurts: played %d concealed %d lost %llu", stretch, played,
              concealed, (unsigned long long)st.lost);
        /* a packet with the pause's number after all (reordered): it plays */
        now += 2000;
        for (int i = 0; i < 5; i++)
            put(jb, 132, 48000u * 4, i, now + i * 20);
        CHECK(agora_jb_skip(jb, SSRC, 137) == 1, "third pause");
        put(jb, 132, 48000u * 4, 5, now + 100);
        played = 0;
        for (int t = 0; t < 20; t++)
            played += pull(jb, now + t * 20, &f) == AGORA_JB_PACKET;
        agora_jb_get_stats(jb, &st);
        CHECK(played == 6 && st.skipped == 2, "cancelled pause: played %d, skipped %llu", played,
              (unsigned long long)st.skipped);
        agora_jb_destroy(jb);

        /* the spurt's last packet lost: the pause after it still counts; the lost
         * packet is one concealment frame (given up), then silence */
        jb = agora_jb_create(&c);
        now = 1000;
        for (int i = 0; i < 9; i++)
            put(jb, 100, 0, i, now + i * 20);
        CHECK(agora_jb_skip(jb, SSRC, 110) == 1, "a pause after a lost packet is taken");
        played = concealed = 0;
        int given_up = -1, empty_after_lost = 0;
        for (int t = 0; t < 30; t++) {
            int k = pull(jb, now + t * 20, &f);
            played += k == AGORA_JB_PACKET;
            concealed += k == AGORA_JB_LOST;
            if (k == AGORA_JB_LOST && f.seq_lost)
                given_up = f.seq;
            empty_after_lost += k == AGORA_JB_EMPTY && concealed > 0;
        }
        agora_jb_get_stats(jb, &st);
        CHECK(played == 9 && concealed == 1 && given_up == 109 && empty_after_lost > 0,
              "stretch %d: played %d concealed %d (given up %d)", stretch, played, concealed, given_up);
        CHECK(st.lost == 1 && st.skipped == 1 && st.underruns == 0, "stretch %d: lost %llu underruns %llu",
              stretch, (unsigned long long)st.lost, (unsigned long long)st.underruns);
        agora_jb_destroy(jb);

        /* the same, the pause arriving when everything before the lost packet has
         * played (before an underrun frame): the lost one is concealed all the same */
        jb = agora_jb_create(&c);
        for (int i = 0; i < 9; i++)
            put(jb, 100, 0, i, now + i * 20);
        played = 0;
        int t = 0;
        for (; t < 30 && played < 9; t++)
            played += pull(jb, now + t * 20, &f) == AGORA_JB_PACKET;
        CHECK(agora_jb_skip(jb, SSRC, 110) == 1, "a pause after everything played is taken");
        int k1 = pull(jb, now + t * 20, &f);
        int lost1 = f.seq_lost, seq1 = f.seq;
        int k2 = pull(jb, now + (t + 1) * 20, &f);
        agora_jb_get_stats(jb, &st);
        CHECK(k1 == AGORA_JB_LOST && lost1 && seq1 == 109 && k2 == AGORA_JB_EMPTY && st.lost == 1 &&
              st.skipped == 1 && st.underruns == 0, "stretch %d: %d (seq %d) then %d", stretch, k1, seq1, k2);
        agora_jb_destroy(jb);
    }
}

/* A forward jump needs confirmation by the stream's following packets: a
 * stray (or forged: no SRTP) keepalive or packet far ahead of a paused stream
 * does not move its timeline, so the real packets that follow are not dropped
 * as late; two keepalives in a row far ahead (a sender that lost packets
 * before its pause) do. */
static void test_forward_jump_confirmed(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    agora_jb_stats st;
    /* a talk spurt 100..109 (transit 1000 ms), then a pause */
    for (int i = 0; i < 10; i++)
        put(jb, 100, 0, i, 1000 + i * 20);
    for (int t = 0; t < 30; t++)
        pull(jb, 1000 + t * 20, &f);
    /* a stray keepalive 30000 ahead, a stray packet 20 ahead (on the stream's clock) */
    CHECK(agora_jb_skip(jb, SSRC, 30110) == 0, "a lone far keepalive is not consumed");
    put(jb, 100, 0, 30, 1600);
    for (int t = 0; t < 5; t++)
        CHECK(pull(jb, 1600 + t * 20, &f) == AGORA_JB_EMPTY, "no jump to a lone packet");
    /* the sender talks again from 110 (its clock followed the pause): the real
     * packets play, none is dropped as late */
    int played = 0, first = -1;
    for (int i = 10; i < 40; i++)
        put(jb, 100, 960 * 25, i, 1700 + (i - 10) * 20);
    for (int t = 0; t < 40; t++)
        if (pull(jb, 1700 + t * 20, &f) == AGORA_JB_PACKET && played++ == 0)
            first = f.seq;
    agora_jb_get_stats(jb, &st);
    CHECK(first == 110 && played >= 29 && st.late == 0 && st.lost == 0,
          "first %d played %d late %llu lost %llu", first, played, (unsigned long long)st.late,
          (unsigned long long)st.lost);
    /* a real jump: keepalives 148, 149 after 8 lost numbers (140..147) */
    CHECK(agora_jb_skip(jb, SSRC, 148) == 0, "unconfirmed");
    CHECK(agora_jb_skip(jb, SSRC, 149) == 1, "confirmed by the next keepalive");
    agora_jb_get_stats(jb, &st);
    CHECK(st.lost == 9 && st.skipped == 1, "lost %llu", (unsigned long long)st.lost);
    CHECK(agora_jb_skip(jb, SSRC, 152) == 1, "a small gap needs no confirmation");
    /* a packet 7 ahead of the paused stream plays once the next one confirms it */
    put(jb, 100, 960 * 25, 60, 2700);
    for (int t = 0; t < 5; t++)
        CHECK(pull(jb, 2700 + t * 20, &f) == AGORA_JB_EMPTY, "waits for its confirmation");
    put(jb, 100, 960 * 25, 61, 2720);
    CHECK(pull(jb, 2800, &f) == AGORA_JB_PACKET && f.seq == 160, "jump confirmed: %d", f.seq);
    agora_jb_destroy(jb);
}

/* Packets taken by the buffer, each counted once (jitter_buffer.h invariant). */
static uint64_t accounted(const agora_jb_stats *st)
{
    return st->played + st->late + st->duplicates + st->dropped + st->invalid + st->flushed +
           (uint64_t)st->buffered;
}

/* An upstream stall released as a burst (a frozen Janus resumed): 5 s of a
 * steady stream, then `stalled` packets held back and delivered at once,
 * `gap` packets never delivered (the stalled server's socket overflowed),
 * then the live stream again. The burst is dropped as stale, the target
 * does not grow, and the delay is back to its level within 1 s. */
static void stall_burst(int stalled, int gap)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    agora_jb_stats st;
    uint32_t seed = 99;
    const int before = 250, after = 500;
    const int first_live = before + stalled + gap;
    const int64_t resume = (int64_t)first_live * 20; /* the live stream resumes on time */
    uint64_t inserted = 0;
    int base_delay = -1, base_target = -1, max_target = 0, worst_after = 0, played_after = 0;
    int next_live = 0;
    for (int64_t now = 5; now < resume + (int64_t)after * 20; now += 20) {
        /* deliver what arrived during this tick */
        while (next_live < first_live + after) {
            int i = next_live;
            if (i >= before && i < before + stalled) {
                if (now < resume)
                    break;
                for (int k = before; k < before + stalled; k++, inserted++)
                    put(jb, 40000, 123456, k, resume - 1); /* the whole burst, at once */
                next_live = before + stalled + gap;
                continue;
            }
            int64_t at = (int64_t)i * 20 + (int64_t)(rnd(&seed) % 8);
            if (at >= now)
                break;
            put(jb, 40000, 123456, i, at);
            inserted++;
            next_live++;
        }
        int k = pull(jb, now, &f);
        agora_jb_get_stats(jb, &st);
        if (now >= 4000 && st.target_delay_ms > max_target)
            max_target = st.target_delay_ms;
        if (now >= 4000 && now < 5000 && base_delay < st.current_delay_ms)
            base_delay = st.current_delay_ms, base_target = st.target_delay_ms;
        if (now >= resume + 1000 && k == AGORA_JB_PACKET) {
            played_after++;
            if (st.current_delay_ms > worst_after)
                worst_after = st.current_delay_ms;
        }
    }
    agora_jb_get_stats(jb, &st);
    CHECK(base_delay > 0 && base_delay <= 60, "steady delay %d", base_delay);
    CHECK(max_target <= base_target + 10, "target grew for a stall: %d -> %d", base_target,
          max_target);
    CHECK(worst_after <= base_delay + 20, "delay after the burst %d vs %d before", worst_after,
          base_delay);
    CHECK(played_after >= after - 60, "live stream played %d of %d", played_after, after - 50);
    CHECK(st.stale >= (uint64_t)stalled - 5 && st.spikes >= 1, "stale %llu of %d, spikes %llu",
          (unsigned long long)st.stale, stalled, (unsigned long long)st.spikes);
    CHECK(accounted(&st) == inserted, "every packet counted once: %llu of %llu",
          (unsigned long long)accounted(&st), (unsigned long long)inserted);
    printf("stall+burst of %d (+%d never sent): delay %d ms before, worst %d ms from 1 s after, "
           "target %d max %d, stale %llu dropped %llu late %llu flushed %llu resyncs %llu\n",
           stalled, gap, base_delay, worst_after, base_target, max_target,
           (unsigned long long)st.stale, (unsigned long long)st.dropped,
           (unsigned long long)st.late, (unsigned long long)st.flushed,
           (unsigned long long)st.resyncs);
    agora_jb_destroy(jb);
}

/* The path's delay grows for good by 400 ms: after at most SPIKE_MAX_MS of
 * stale drops the buffer times the stream afresh and plays on. */
static void test_delay_step(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_frame f;
    agora_jb_stats st;
    int played_late = 0, i = 0;
    for (int64_t now = 5; now < 21000; now += 20) {
        for (; i < 1000; i++) {
            int64_t at = (int64_t)i * 20 + (i >= 250 ? 400 : 0);
            if (at >= now)
                break;
            put(jb, 7, 0, i, at);
        }
        int k = pull(jb, now, &f);
        if (k == AGORA_JB_PACKET && now > 5000 + 400 + 1000)
            played_late++;
    }
    agora_jb_get_stats(jb, &st);
    CHECK(played_late >= 1000 - 250 - 80, "played after the step: %d", played_late);
    CHECK(st.stale <= 30, "stale drops bounded by the spike limit: %llu",
          (unsigned long long)st.stale);
    CHECK(accounted(&st) == 1000, "accounted %llu", (unsigned long long)accounted(&st));
    agora_jb_destroy(jb);
}

/* Counters of a reset and of a held packet the stream never confirmed. */
static void test_flush_accounting(void)
{
    agora_jb *jb = agora_jb_create(NULL);
    agora_jb_stats st;
    for (int i = 0; i < 5; i++)
        put(jb, 100, 0, i, i * 20);
    put(jb, 100, 0, 5000, 200); /* far ahead: held */
    agora_jb_get_stats(jb, &st);
    CHECK(st.buffered == 6 && accounted(&st) == 6, "buffered %d", st.buffered);
    agora_jb_reset(jb);
    agora_jb_get_stats(jb, &st);
    CHECK(st.flushed == 6 && st.buffered == 0 && accounted(&st) == 6, "flushed %llu",
          (unsigned long long)st.flushed);
    agora_jb_destroy(jb);
}

/* ------------------------------------------------------------ time_stretch mode */

/* A caller that time-stretches (as the RTP transport does): it keeps `left_ms`
 * of decoded audio not yet played, pulls only when less than a frame is left,
 * lengthens an EXPAND packet by a pitch period (8 ms here) and, on ACCELERATE
 * (or ACCELERATE_QUIET: its audio is taken to be quiet),
 * pulls the next packet at once when it is buffered and removes a period (up
 * to 12 ms, keeping at least the frame it plays now). */
typedef struct stretch_caller {
    agora_jb *jb;
    int left_ms;
    int delay_ms;   /* mouth-to-ear of the audio started this tick: C + left (-1: none) */
    int packets, lost, fec, empty, second_not_packet, accelerate_failed;
} stretch_caller;

static void caller_tick(stretch_caller *c, int64_t now)
{
    agora_jb_frame f;
    c->delay_ms = -1;
    if (c->left_ms >= 20) {
        c->left_ms -= 20;
        return;
    }
    agora_jb_set_pending_audio(c->jb, c->left_ms);
    int k = pull(c->jb, now, &f);
    if (k == AGORA_JB_EMPTY) {
        c->empty++;
        c->left_ms = 0;
        return;
    }
    agora_jb_stats st;
    agora_jb_get_stats(c->jb, &st);
    if (k == AGORA_JB_PACKET) {
        c->packets++;
        c->delay_ms = st.current_delay_ms; /* left_ms included */
    } else {
        c->lost++;
        c->fec += f.fec_payload != NULL;
    }
    c->left_ms += 20;
    if (k == AGORA_JB_PACKET && f.stretch == AGORA_JB_EXPAND)
        c->left_ms += 8;
    if (k == AGORA_JB_PACKET &&
        (f.stretch == AGORA_JB_ACCELERATE || f.stretch == AGORA_JB_ACCELERATE_QUIET)) {
        if (agora_jb_peek_next(c->jb, NULL, NULL)) {
            if (pull(c->jb, now, &f) == AGORA_JB_PACKET)
                c->packets++, c->left_ms += 20;
            else
                c->second_not_packet++;
        }
        int p = c->left_ms - 20 < 12 ? c->left_ms - 20 : 12;
        if (p >= 3)
            c->left_ms -= p;
        else
            c->accelerate_failed++;
    }
    c->left_ms -= 20;
}

static agora_jb *create_stretching(void)
{
    agora_jb_config c;
    agora_jb_config_default(&c);
    c.time_stretch = 1;
    c.fec = 1; /* as the RTP transport for Opus */
    return agora_jb_create(&c);
}

/* 10 s clean, 10 s of 30 +- 20 ms jitter (reordering included), 10 s clean:
 * the target starts at the floor, follows the jitter (few late packets),
 * and is back at the floor within 6 s of the jitter's end; the delay moves
 * by stretch requests only (no packet dropped, no concealment inserted). */
static void test_stretch_follows_jitter(void)
{
    stretch_caller c = {.jb = create_stretching()};
    uint32_t seed = 2024;
    enum { N = 1500 };
    static int64_t arr[N];
    for (int i = 0; i < N; i++)
        arr[i] = (int64_t)i * 20 + 3 + (i >= 500 && i < 1000 ? 10 + (int64_t)(rnd(&seed) % 41) : 0);
    agora_jb_stats st;
    int clean_target = -1, jitter_min = 1000, jitter_max = 0, late_before = 0, back_at = -1;
    int worst_clean_delay = 0;
    for (int t = 0; t < N + 10; t++) {
        int64_t now = (int64_t)t * 20;
        for (int i = t - 8 < 0 ? 0 : t - 8; i < N && i <= t; i++)
            if (arr[i] >= now - 20 && arr[i] < now)
                put(c.jb, 0, 0, i, arr[i]);
        caller_tick(&c, now);
        agora_jb_get_stats(c.jb, &st);
        if (t == 499)
            clean_target = st.target_delay_ms, late_before = (int)st.late;
        if (t >= 600 && t < 1000) {
            if (st.target_delay_ms < jitter_min)
                jitter_min = st.target_delay_ms;
            if (st.target_delay_ms > jitter_max)
                jitter_max = st.target_delay_ms;
        }
        if (t >= 1000 && back_at < 0 && st.target_delay_ms <= 22 && c.delay_ms >= 0 &&
            c.delay_ms <= 45)
            back_at = t;
        if (t >= 1300 && c.delay_ms > worst_clean_delay)
            worst_clean_delay = c.delay_ms;
    }
    agora_jb_get_stats(c.jb, &st);
    CHECK(clean_target == 20, "clean: target at the floor (%d)", clean_target);
    CHECK(jitter_min >= 40 && jitter_max <= 80, "jitter: target %d..%d", jitter_min, jitter_max);
    CHECK((int)st.late - late_before <= 15, "late under jitter: %d of 500",
          (int)st.late - late_before);
    CHECK(back_at >= 1000 && back_at <= 1300, "back at the floor %d ms after the jitter",
          (back_at - 1000) * 20);
    CHECK(worst_clean_delay <= 45, "clean again: delay %d", worst_clean_delay);
    CHECK(st.shrunk == 0 && st.stretched == 0, "no drop, no inserted concealment: %llu %llu",
          (unsigned long long)st.shrunk, (unsigned long long)st.stretched);
    CHECK(st.accelerate_requests > 0 && st.expand_requests > 0, "stretched: accelerate %llu expand %llu",
          (unsigned long long)st.accelerate_requests, (unsigned long long)st.expand_requests);
    CHECK(c.second_not_packet == 0 && c.accelerate_failed == 0,
          "an accelerate's second pull is a packet (%d), it has audio to remove (%d)",
          c.second_not_packet, c.accelerate_failed);
    CHECK(accounted(&st) == N, "accounted %llu", (unsigned long long)accounted(&st));
    printf("stretch/jitter: target %d clean, %d..%d under jitter, back at the floor after %d ms; "
           "late %d, accelerate %llu expand %llu lost %llu\n",
           clean_target, jitter_min, jitter_max, (back_at - 1000) * 20, (int)st.late - late_before,
           (unsigned long long)st.accelerate_requests, (unsigned long long)st.expand_requests,
           (unsigned long long)st.lost);
    agora_jb_destroy(c.jb);
}

/* A 2 s stall released as a burst, later a burst of 250 packets (a 5 s
 * stall): within 2 s of stream time after each the delay is back at the
 * floor, and the target does not grow for them. */
static void test_stretch_after_stall_and_burst(void)
{
    stretch_caller c = {.jb = create_stretching()};
    uint32_t seed = 5;
    enum { N = 1000 };
    static int64_t arr[N];
    for (int i = 0; i < N; i++) {
        int64_t at = (int64_t)i * 20 + (int64_t)(rnd(&seed) % 5);
        if (i >= 150 && i < 250) /* stalled 2 s, then delivered at once */
            at = 250 * 20;
        if (i >= 400 && i < 650) /* 250 packets held, delivered at once */
            at = 650 * 20;
        arr[i] = at;
    }
    agora_jb_stats st;
    int base = -1, worst_after_stall = 0, worst_after_burst = 0, max_target = 0;
    for (int t = 0; t < N + 10; t++) {
        int64_t now = (int64_t)t * 20;
        for (int i = 0; i < N; i++)
            if (arr[i] >= now - 20 && arr[i] < now)
                put(c.jb, 0, 0, i, arr[i]);
        caller_tick(&c, now);
        agora_jb_get_stats(c.jb, &st);
        if (t >= 50 && t < 150 && c.delay_ms > base)
            base = c.delay_ms;
        if (t >= 250 + 100 && t < 400 && c.delay_ms > worst_after_stall)
            worst_after_stall = c.delay_ms;
        if (t >= 650 + 100 && c.delay_ms > worst_after_burst)
            worst_after_burst = c.delay_ms;
        if (t >= 750 && st.target_delay_ms > max_target)
            max_target = st.target_delay_ms;
    }
    agora_jb_get_stats(c.jb, &st);
    CHECK(base > 0 && base <= 45, "steady delay %d", base);
    CHECK(worst_after_stall <= base + 10, "2 s after the stall: delay %d (was %d)",
          worst_after_stall, base);
    CHECK(worst_after_burst <= base + 10, "2 s after the burst of 250: delay %d (was %d)",
          worst_after_burst, base);
    CHECK(max_target <= 30, "target back at the floor: %d", max_target);
    CHECK(accounted(&st) == N, "accounted %llu", (unsigned long long)accounted(&st));
    printf("stretch/stall: delay %d before, worst %d from 2 s after the stall, %d after the "
           "burst; accelerate %llu expand %llu stale %llu\n",
           base, worst_after_stall, worst_after_burst,
           (unsigned long long)st.accelerate_requests, (unsigned long long)st.expand_requests,
           (unsigned long long)st.stale);
    agora_jb_destroy(c.jb);
}

/* The floor is one packet (min_delay_ms 10, as the RTP transport sets it):
 * on a clean path a stream of 10 ms packets settles at a target below 20 ms
 * (its floor 10 + nothing the histogram saw beyond its first bucket), one of
 * 20 ms packets at 20 ms; neither loses or conceals a packet. */
static void test_floor_is_one_packet(void)
{
    for (int packet_ms = 10; packet_ms <= 20; packet_ms += 10) {
        agora_jb_config c;
        agora_jb_config_default(&c);
        c.time_stretch = 1;
        c.min_delay_ms = 10;
        agora_jb *jb = agora_jb_create(&c);
        const uint32_t step = (uint32_t)(48 * packet_ms);
        uint8_t pay[40] = {0};
        int next = 0;
        for (int64_t now = 0; now < 5000; now += 10) {
            for (; (int64_t)next * packet_ms + 3 <= now; next++)
                agora_jb_insert(jb, SSRC, (uint16_t)next, (uint32_t)next * step, next == 0, pay,
                                sizeof(pay), (int64_t)next * packet_ms + 3);
            agora_jb_frame f;
            if (now % packet_ms == 0)
                agora_jb_pull(jb, now, &f);
        }
        agora_jb_stats st;
        agora_jb_get_stats(jb, &st);
        if (packet_ms == 10)
            CHECK(st.target_delay_ms < 20, "10 ms packets: target %d", st.target_delay_ms);
        else
            CHECK(st.target_delay_ms == 20, "20 ms packets: target %d", st.target_delay_ms);
        CHECK(st.lost == 0 && st.concealed == 0 && st.played > 5000 / (uint64_t)packet_ms - 10,
              "%d ms packets: lost %llu concealed %llu played %llu", packet_ms,
              (unsigned long long)st.lost, (unsigned long long)st.concealed,
              (unsigned long long)st.played);
        printf("floor: %d ms packets on a clean path, target %d ms, delay %d ms\n", packet_ms,
               st.target_delay_ms, st.current_delay_ms);
        agora_jb_destroy(jb);
    }
}

/* 20 s of 20 % random loss (0..4 ms of jitter), then 10 s without: with fec
 * the target keeps one packet more while packets are lost, so the packet
 * after a lost one is there to rebuild it from (fec_payload) when it is due;
 * without fec it stays at the floor, where a lost packet's turn comes before
 * the next packet (an underrun concealment first). Once the loss stops the
 * target is back at the floor within 4 s. */
static int loss_run(int fec, stretch_caller *c, int *loss_target, int *back_at)
{
    int inserted = 0;
    agora_jb_config cfg;
    agora_jb_config_default(&cfg);
    cfg.time_stretch = 1;
    cfg.fec = fec;
    c->jb = agora_jb_create(&cfg);
    uint32_t seed = 77;
    enum { N = 1500, LOSSY = 1000 };
    *loss_target = 1000;
    *back_at = -1;
    agora_jb_stats st;
    for (int t = 0; t < N + 10; t++) {
        int64_t now = (int64_t)t * 20;
        if (t < N) {
            int lose = t >= 50 && t < LOSSY && rnd(&seed) % 100 < 20;
            if (!lose) {
                put(c->jb, 0, 0, t, now + (int64_t)(rnd(&seed) % 5));
                inserted++;
            }
        }
        caller_tick(c, now);
        agora_jb_get_stats(c->jb, &st);
        if (t >= 300 && t < LOSSY && st.target_delay_ms < *loss_target)
            *loss_target = st.target_delay_ms;
        if (t >= LOSSY && *back_at < 0 && st.target_delay_ms <= 20)
            *back_at = t;
    }
    return inserted;
}

static void test_stretch_loss_keeps_fec_packet(void)
{
    stretch_caller with = {0}, without = {0};
    int target_with, target_without, back_with, back_without;
    int inserted = loss_run(1, &with, &target_with, &back_with);
    loss_run(0, &without, &target_without, &back_without);
    agora_jb_stats sw, so;
    agora_jb_get_stats(with.jb, &sw);
    agora_jb_get_stats(without.jb, &so);
    CHECK(target_with >= 30 && target_with >= target_without + 15 && target_without == 20,
          "target under loss: %d with fec, %d without", target_with, target_without);
    /* (a fifth of the losses are followed by another: no FEC copy for them) */
    CHECK(sw.lost >= 150 && sw.fec_offered >= 0.7 * (double)sw.lost,
          "fec offered for %llu of %llu lost", (unsigned long long)sw.fec_offered,
          (unsigned long long)sw.lost);
    /* at the floor the lost packet's turn comes before the next packet: an underrun
     * concealment first (the FEC copy, if offered at all, one pull late) */
    CHECK(sw.underruns <= 0.08 * (double)sw.lost && so.underruns >= 0.15 * (double)so.lost,
          "underruns for %llu lost: %llu with fec, %llu without", (unsigned long long)sw.lost,
          (unsigned long long)sw.underruns, (unsigned long long)so.underruns);
    CHECK(back_with >= 1000 && back_with <= 1200, "back at the floor %d ms after the loss",
          (back_with - 1000) * 20);
    CHECK(sw.shrunk == 0 && sw.stretched == 0, "moved by stretching only");
    CHECK(accounted(&sw) == (uint64_t)inserted, "accounted %llu of %d",
          (unsigned long long)accounted(&sw), inserted);
    printf("stretch/loss 20 %%: target %d with fec, %d without; fec offered %llu of %llu lost "
           "(without: %llu of %llu), underruns %llu (%llu); back at the floor %d ms after\n",
           target_with, target_without, (unsigned long long)sw.fec_offered,
           (unsigned long long)sw.lost, (unsigned long long)so.fec_offered,
           (unsigned long long)so.lost, (unsigned long long)sw.underruns,
           (unsigned long long)so.underruns, (back_with - 1000) * 20);
    agora_jb_destroy(with.jb);
    agora_jb_destroy(without.jb);
}

/* A sender that pauses without a word (silence suppression / DTX, no keepalive:
 * RFC 3551 4.1): its spurts go on by one sequence number, the next with the
 * marker bit and a timestamp jump. After quiet audio (agora_jb_set_quiet_tail)
 * running dry is its pause: no concealment, no loss, the next spurt at the
 * floor. A packet merely late after quiet audio (no timestamp jump: a delay
 * step) plays when it comes, the silence before it counted as underrun
 * concealment; a sequence number that never comes is lost and concealed as
 * ever; after loud audio running dry is an underrun (concealed) as before. */
typedef struct timed_packet {
    uint16_t seq;
    uint32_t ts;
    int marker;
    int64_t arrival;
} timed_packet;

static void test_silent_pause(void)
{
    agora_jb_config c;
    agora_jb_config_default(&c);
    c.time_stretch = 1;
    agora_jb *jb = agora_jb_create(&c);
    timed_packet pk[64];
    int n = 0;
    for (int i = 0; i < 10; i++) /* spurt 1: 100..109, transit 1000 ms */
        pk[n++] = (timed_packet){(uint16_t)(100 + i), (uint32_t)i * 960u, i == 0, 1000 + i * 20};
    for (int i = 0; i < 30; i++) { /* 1 s pause, then 110..139; from 120 on 60 ms later */
        if (i == 25)
            continue; /* 135: lost */
        pk[n++] = (timed_packet){(uint16_t)(110 + i), 57600u + (uint32_t)i * 960u, i == 0,
                                 2200 + i * 20 + (i >= 10 ? 60 : 0)};
    }
    int k_at_pause = 0, lost_frames = 0, underrun_frames = 0, played = 0, next = 0;
    int first_delay = -1;
    agora_jb_stats st;
    for (int64_t now = 1000; now <= 3200; now += 10) {
        for (; next < n && pk[next].arrival <= now; next++) {
            uint8_t pay[40] = {(uint8_t)(pk[next].seq >> 8), (uint8_t)pk[next].seq};
            agora_jb_insert(jb, SSRC, pk[next].seq, pk[next].ts, pk[next].marker, pay, 20, now);
        }
        if (now % 20)
            continue;
        /* quiet audio, the last packet (139, the 39th played) loud */
        agora_jb_set_quiet_tail(jb, played < 39);
        agora_jb_frame f;
        int k = pull(jb, now, &f);
        played += k == AGORA_JB_PACKET;
        if (k == AGORA_JB_PACKET && f.seq == 110) {
            agora_jb_get_stats(jb, &st);
            first_delay = st.current_delay_ms;
            k_at_pause = (int)(st.concealed + st.lost);
        }
        lost_frames += k == AGORA_JB_LOST && f.seq_lost;
        underrun_frames += k == AGORA_JB_LOST && !f.seq_lost;
    }
    agora_jb_get_stats(jb, &st);
    /* the pause: nothing concealed or lost, the next spurt at the floor (started within
     * the low band of the 20 ms target) */
    CHECK(k_at_pause == 0 && first_delay >= 10 && first_delay <= 20 && st.quiet_pauses >= 2,
          "pause: concealed + lost %d, next spurt at %d ms, %llu quiet pauses", k_at_pause, first_delay,
          (unsigned long long)st.quiet_pauses);
    /* the delay step: 120 came 60 ms late after quiet audio: the silence is its
     * concealment (3 frames: 2400 -> 2460), not a LOST result; the target grew */
    CHECK(st.silent_underruns == 3 && st.target_delay_ms >= 60, "delay step: %llu silent, target %d",
          (unsigned long long)st.silent_underruns, st.target_delay_ms);
    /* 135 never came: lost and concealed; after loud audio the end is an underrun */
    CHECK(played == 39 && lost_frames == 1 && st.lost == 1, "played %d, %d lost frames, lost %llu",
          played, lost_frames, (unsigned long long)st.lost);
    CHECK(underrun_frames == 5 && st.underruns == 5 + st.silent_underruns &&
              st.concealed == st.lost + st.underruns,
          "underrun frames %d, underruns %llu, concealed %llu", underrun_frames,
          (unsigned long long)st.underruns, (unsigned long long)st.concealed);
    agora_jb_destroy(jb);

    /* quiet audio, then a 1 s outage (the packets held upstream, then sent): the silence
     * counts as the underrun it replaced, at most 5 frames, as a loud one's PLC would */
    jb = agora_jb_create(&c);
    for (int64_t now = 1000; now <= 3000; now += 20) {
        int i = (int)((now - 1000) / 20);
        if (now < 1400 || now >= 2400)
            put(jb, 500, 0, i, now < 2400 ? now : 2400);
        if (now == 2400)
            for (int j = (1400 - 1000) / 20; j <= i; j++)
                put(jb, 500, 0, j, 2400);
        agora_jb_set_quiet_tail(jb, 1);
        agora_jb_frame f;
        pull(jb, now, &f);
    }
    agora_jb_get_stats(jb, &st);
    CHECK(st.silent_underruns == 5 && st.underruns == 5 && st.lost == 0,
          "outage after quiet audio: %llu silent underruns, lost %llu",
          (unsigned long long)st.silent_underruns, (unsigned long long)st.lost);
    agora_jb_destroy(jb);

    /* quiet audio at the floor, one packet lost (fec): the buffer runs dry at its turn,
     * and when the packet after it comes the lost one is given up with that packet's
     * FEC copy, as in play (not skipped at a restart of play) */
    c.fec = 1;
    jb = agora_jb_create(&c);
    int lost_results = 0, fec_results = 0;
    for (int64_t now = 1000; now <= 1620; now += 20) {
        /* each packet comes right after the pull before its turn: a delay of one packet */
        agora_jb_set_quiet_tail(jb, 1);
        agora_jb_frame f;
        int k = pull(jb, now, &f);
        lost_results += k == AGORA_JB_LOST && f.seq_lost;
        fec_results += k == AGORA_JB_LOST && f.fec_payload != NULL;
        int i = (int)((now - 1000) / 20);
        if (i != 15 && i < 30)
            put(jb, 700, 0, i, now);
    }
    agora_jb_get_stats(jb, &st);
    CHECK(lost_results == 1 && fec_results == 1 && st.lost == 1 && st.fec_offered == 1 &&
              st.silent_underruns <= 1 && st.played == 29,
          "loss after quiet audio: %d lost results (%d with fec), lost %llu, %llu silent, played %llu",
          lost_results, fec_results, (unsigned long long)st.lost,
          (unsigned long long)st.silent_underruns, (unsigned long long)st.played);
    agora_jb_destroy(jb);
    c.fec = 0;

    /* a talk spurt's first packet (marker) after a 30 ms pause: its timestamp step is
     * not the packet duration (10 ms packets, floor 10 ms) */
    agora_jb_config_default(&c);
    c.time_stretch = 1;
    c.min_delay_ms = 10;
    jb = agora_jb_create(&c);
    uint8_t pay[40] = {0};
    for (int i = 0; i < 10; i++)
        agora_jb_insert(jb, SSRC, (uint16_t)i, (uint32_t)i * 480u, i == 0, pay, 20, 1000 + i * 10);
    agora_jb_insert(jb, SSRC, 10, 13 * 480u, 1, pay, 20, 1130);
    agora_jb_get_stats(jb, &st);
    CHECK(st.target_delay_ms < 20, "10 ms packets after a marked spurt: target %d (the step taken as the packet: 20)",
          st.target_delay_ms);
    agora_jb_destroy(jb);
}

/* A 10 ms playout tick over 20 ms packets (the RTP transport's caller: it pulls
 * when the audio it holds does not cover the tick), 20 % random loss, 0..4 ms of
 * jitter, fec: the concealment (PLC frames and silence for late packets) and the
 * FEC frames, with quiet audio (agora_jb_set_quiet_tail) or loud. */
typedef struct tick_run {
    int played, plc, fec;
    uint64_t silent, lost;
    double mean_delay;
} tick_run;

static tick_run lossy_tick_run(int quiet)
{
    agora_jb_config c;
    agora_jb_config_default(&c);
    c.time_stretch = 1;
    c.fec = 1;
    c.min_delay_ms = 10;
    agora_jb *jb = agora_jb_create(&c);
    uint32_t seed = 99;
    enum { N = 3000 };
    static int64_t arrival[N];
    static int sent[N];
    for (int i = 0; i < N; i++) {
        sent[i] = rnd(&seed) % 100 >= 20;
        arrival[i] = 1000 + i * 20 + (int64_t)(rnd(&seed) % 5);
    }
    tick_run r = {0};
    int held = 0, next = 0, n_delay = 0;
    double delay_sum = 0;
    for (int64_t now = 1000; now < 1000 + N * 20 + 200; now += 10) {
        for (; next < N && arrival[next] <= now; next++)
            if (sent[next])
                put(jb, 0, 0, next, arrival[next]);
        agora_jb_set_quiet_tail(jb, quiet);
        for (int pulls = 0; held < 10 && pulls < 4; pulls++) {
            agora_jb_set_pending_audio(jb, held);
            agora_jb_frame f;
            int k = pull(jb, now, &f);
            if (k == AGORA_JB_EMPTY)
                break;
            held += 20;
            if (k == AGORA_JB_PACKET) {
                agora_jb_stats st;
                agora_jb_get_stats(jb, &st);
                r.played++;
                delay_sum += st.current_delay_ms;
                n_delay++;
                held += f.stretch == AGORA_JB_EXPAND ? 8 : f.stretch != AGORA_JB_STRETCH_NONE ? -8 : 0;
            } else if (f.fec_payload) {
                r.fec++;
            } else {
                r.plc++;
            }
        }
        held = held > 10 ? held - 10 : 0;
    }
    agora_jb_stats st;
    agora_jb_get_stats(jb, &st);
    r.silent = st.silent_underruns;
    r.lost = st.lost;
    r.mean_delay = n_delay ? delay_sum / n_delay : 0;
    agora_jb_destroy(jb);
    return r;
}

/* Quiet audio under loss: the silence of a dry run takes the place of what an
 * underrun's PLC frame did (the first missing numbers given up behind it, the one
 * before the next packet still rebuilt from its FEC copy), so it costs no more
 * concealment and no fewer FEC frames than loud audio, at no more delay. */
static void test_quiet_loss_costs_no_more(void)
{
    tick_run loud = lossy_tick_run(0), q = lossy_tick_run(1);
    double c_loud = (double)loud.plc / (loud.played + loud.fec + loud.plc);
    double c_quiet = (double)(q.plc + (int)q.silent) / (q.played + q.fec + q.plc + (int)q.silent);
    CHECK(q.lost == loud.lost && q.played == loud.played, "lost %llu / %llu, played %d / %d",
          (unsigned long long)q.lost, (unsigned long long)loud.lost, q.played, loud.played);
    CHECK(c_quiet <= c_loud + 0.002 && q.fec >= loud.fec - 10 && q.mean_delay <= loud.mean_delay + 2,
          "concealment %.4f (quiet) vs %.4f (loud), fec %d vs %d, delay %.1f vs %.1f", c_quiet, c_loud,
          q.fec, loud.fec, q.mean_delay, loud.mean_delay);
    printf("tick/loss 20 %%: concealment %.4f quiet (%d plc + %llu silent), %.4f loud; fec %d / %d; "
           "delay %.1f / %.1f ms\n", c_quiet, q.plc, (unsigned long long)q.silent, c_loud, q.fec,
           loud.fec, q.mean_delay, loud.mean_delay);
}

int main(void)
{
    test_args();
    test_keepalive_skip();
    test_pause_after_talk_spurt();
    test_silent_pause();
    test_quiet_loss_costs_no_more();
    test_forward_jump_confirmed();
    test_in_order();
    test_start_delay();
    test_reorder_and_duplicates();
    test_loss_fec();
    test_wrap();
    test_resync();
    test_timestamp_jump_and_pause();
    test_adaptation();
    stall_burst(263, 0);
    stall_burst(263, 237); /* the live stream resumes far ahead: a restart */
    stall_burst(20, 0);
    test_delay_step();
    test_flush_accounting();
    for (uint32_t seed = 1; seed <= 20; seed++)
        simulate(seed, (uint16_t)(seed * 7919u)); /* some runs cross 65535 */
    test_garbage();
    test_stretch_follows_jitter();
    test_stretch_after_stall_and_burst();
    test_floor_is_one_packet();
    test_stretch_loss_keeps_fec_packet();
    if (failures) {
        printf("test_jitter_buffer: %d FAILED\n", failures);
        return 1;
    }
    printf("test_jitter_buffer: all passed\n");
    return 0;
}
