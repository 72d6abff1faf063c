/* Unit test of src/_native/net/rtp/rtp.c. Returns 0 on success; prints the failed
 * check(s) and returns 1 otherwise. Build and run (from the repo root):
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -Isrc/_native/include \
 *       -Isrc/_native src/_native/net/rtp/rtp.c tests/native/test_rtp.c -lm -o /tmp/test_rtp \
 *       && /tmp/test_rtp
 * Sanitizers:
 *   gcc -std=c11 -D_GNU_SOURCE -g -fsanitize=address,undefined -fno-sanitize-recover=all \
 *       -Wall -Wextra -Werror -Isrc/_native/include -Isrc/_native src/_native/net/rtp/rtp.c \
 *       tests/native/test_rtp.c -lm -o /tmp/test_rtp_asan && /tmp/test_rtp_asan */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "net/rtp/rtp.h"

#include "native_test.h"


/* ------------------------------------------------------------ RTP */

static void test_rtp_round_trip(void)
{
    uint8_t pay[100], buf[200];
    for (int i = 0; i < 100; i++)
        pay[i] = (uint8_t)(i * 7 + 1);
    int n = agora_rtp_build(buf, sizeof(buf), 1, 111, 0xBEEF, 0xDEADBEEFu, 1000, pay, sizeof(pay));
    CHECK(n == 112, "n=%d", n);
    agora_rtp_packet p;
    CHECK(agora_rtp_parse(buf, (size_t)n, &p) == AGORA_OK, "parse");
    CHECK(p.version == 2 && p.padding == 0 && p.extension == 0 && p.csrc_count == 0, "flags");
    CHECK(p.marker == 1 && p.payload_type == 111, "m=%d pt=%d", p.marker, p.payload_type);
    CHECK(p.seq == 0xBEEF && p.timestamp == 0xDEADBEEFu && p.ssrc == 1000, "fields");
    CHECK(p.header_len == 12 && p.payload == buf + 12 && p.payload_len == 100, "payload");
    CHECK(memcmp(p.payload, pay, 100) == 0, "payload bytes");
    CHECK(agora_rtp_is_rtcp(buf, (size_t)n) == 0, "not rtcp");

    /* marker off, payload already in place (no copy), header only */
    n = agora_rtp_build(buf, sizeof(buf), 0, 0, 1, 2, 3, buf + 12, 5);
    CHECK(n == 17 && agora_rtp_parse(buf, 17, &p) == AGORA_OK && p.marker == 0 &&
              p.payload_type == 0 && p.payload_len == 5,
          "in place");
    n = agora_rtp_build(buf, sizeof(buf), 0, 127, 1, 2, 3, NULL, 0);
    CHECK(n == 12 && agora_rtp_parse(buf, 12, &p) == AGORA_OK && p.payload_len == 0 &&
              p.payload_type == 127,
          "header only");
    CHECK(agora_rtp_write_header(buf, 12, 0, 111, 9, 9, 9) == 12, "write_header");
    /* errors */
    CHECK(agora_rtp_build(buf, 11, 0, 111, 0, 0, 0, NULL, 0) == AGORA_ERR_BUFFER_TOO_SMALL, "cap");
    CHECK(agora_rtp_build(buf, 50, 0, 111, 0, 0, 0, pay, 39) == AGORA_ERR_BUFFER_TOO_SMALL, "cap2");
    CHECK(agora_rtp_build(buf, 50, 0, 111, 0, 0, 0, pay, 38) == 50, "exact cap");
    CHECK(agora_rtp_build(buf, 50, 0, 128, 0, 0, 0, NULL, 0) == AGORA_ERR_INVALID_ARGUMENT, "pt");
    CHECK(agora_rtp_build(buf, 50, 0, -1, 0, 0, 0, NULL, 0) == AGORA_ERR_INVALID_ARGUMENT, "pt-");
    CHECK(agora_rtp_build(buf, 50, 0, 1, 0, 0, 0, NULL, 3) == AGORA_ERR_INVALID_ARGUMENT, "null");
    CHECK(agora_rtp_build(NULL, 50, 0, 1, 0, 0, 0, NULL, 0) == AGORA_ERR_INVALID_ARGUMENT, "nullb");
    CHECK(agora_rtp_parse(NULL, 50, &p) == AGORA_ERR_INVALID_ARGUMENT, "null parse");
    CHECK(agora_rtp_parse(buf, 50, NULL) == AGORA_ERR_INVALID_ARGUMENT, "null out");
}

/* A packet as Janus forwards it from a browser: 2 CSRCs, a one-byte
 * header extension block (ssrc-audio-level id 1, mid id 4) and 4 bytes of
 * padding, PT 111 with marker. */
static const uint8_t JANUS_PKT[] = {
    0xB2, 0xEF, 0x12, 0x34,             /* V=2 P=1 X=1 CC=2, M=1 PT=111, seq 0x1234 */
    0x00, 0x01, 0xE2, 0x40,             /* ts 123456 */
    0x11, 0x22, 0x33, 0x44,             /* ssrc */
    0x00, 0x00, 0x00, 0x0A,             /* csrc 10 */
    0xFF, 0xFF, 0xFF, 0xFE,             /* csrc 0xFFFFFFFE */
    0xBE, 0xDE, 0x00, 0x02,             /* one-byte extension, 2 words */
    0x10, 0x85,                         /* id 1 len 1: 0x85 (voice, -5 dBov) */
    0x40, 'a',                          /* id 4 len 1: "a" */
    0x00, 0x00, 0x00, 0x00,             /* padding inside the block */
    0xFC, 0xFF, 0xFE,                   /* payload (3 bytes) */
    0x00, 0x00, 0x00, 0x04,             /* RTP padding, count 4 */
};

static void test_rtp_janus_packet(void)
{
    agora_rtp_packet p;
    CHECK(agora_rtp_parse(JANUS_PKT, sizeof(JANUS_PKT), &p) == AGORA_OK, "parse");
    CHECK(p.padding == 1 && p.extension == 1 && p.csrc_count == 2 && p.marker == 1 &&
              p.payload_type == 111,
          "flags");
    CHECK(p.seq == 0x1234 && p.timestamp == 123456 && p.ssrc == 0x11223344u, "fields");
    CHECK(p.csrc[0] == 10 && p.csrc[1] == 0xFFFFFFFEu, "csrc");
    CHECK(p.ext_profile == 0xBEDE && p.ext_len == 8 && p.ext_data == JANUS_PKT + 24, "ext");
    CHECK(p.header_len == 32 && p.padding_len == 4, "hl=%zu pl=%zu", p.header_len, p.padding_len);
    CHECK(p.payload == JANUS_PKT + 32 && p.payload_len == 3 && p.payload[0] == 0xFC, "payload");
    const uint8_t *d = NULL;
    size_t l = 0;
    CHECK(agora_rtp_find_extension(&p, 1, &d, &l) == 1 && l == 1 && d[0] == 0x85, "audio level");
    CHECK(agora_rtp_find_extension(&p, 4, &d, &l) == 1 && l == 1 && d[0] == 'a', "mid");
    CHECK(agora_rtp_find_extension(&p, 2, &d, &l) == 0, "absent id");
    CHECK(agora_rtp_find_extension(&p, 15, &d, &l) == 0, "reserved id");

    /* the same with a two-byte extension block (0x1000): id 7 len 0, id 200 len 3 */
    uint8_t two[] = {0x90, 0x6F, 0x00, 0x01, 0, 0, 0, 1, 0, 0, 0, 2,
                     0x10, 0x00, 0x00, 0x02, /* profile 0x1000, 2 words */
                     7, 0, 200, 3, 'x', 'y', 'z', 0,
                     0xAA};
    CHECK(agora_rtp_parse(two, sizeof(two), &p) == AGORA_OK, "two-byte parse");
    CHECK(p.ext_profile == 0x1000 && p.ext_len == 8 && p.payload_len == 1 && p.payload[0] == 0xAA,
          "two-byte layout");
    CHECK(agora_rtp_find_extension(&p, 7, &d, &l) == 1 && l == 0, "two-byte empty element");
    CHECK(agora_rtp_find_extension(&p, 200, &d, &l) == 1 && l == 3 && memcmp(d, "xyz", 3) == 0,
          "two-byte element");
    CHECK(agora_rtp_find_extension(&p, 8, &d, &l) == 0, "two-byte absent");

    /* empty extension (length 0), 15 CSRCs, padding eating the whole payload */
    uint8_t big[12 + 60 + 4 + 8];
    memset(big, 0, sizeof(big));
    big[0] = 0x80 | 0x20 | 0x10 | 15;
    big[1] = 111;
    for (int i = 0; i < 15; i++)
        big[12 + 4 * i + 3] = (uint8_t)(i + 1);
    big[72] = 0xAB;
    big[73] = 0xCD; /* profile, length 0 */
    big[sizeof(big) - 1] = 8;
    CHECK(agora_rtp_parse(big, sizeof(big), &p) == AGORA_OK, "15 csrc parse");
    CHECK(p.csrc_count == 15 && p.csrc[14] == 15 && p.ext_profile == 0xABCD && p.ext_len == 0 &&
              p.header_len == 76 && p.payload_len == 0 && p.padding_len == 8,
          "15 csrc layout");
    CHECK(agora_rtp_find_extension(&p, 1, &d, &l) == 0, "other profile");
}

static void test_rtp_malformed(void)
{
    agora_rtp_packet p;
    uint8_t b[64];
    memcpy(b, JANUS_PKT, sizeof(JANUS_PKT));
    size_t n = sizeof(JANUS_PKT);
    /* every truncation of the full packet is rejected (the padding count
     * byte moves, so only the untruncated length is valid) */
    for (size_t k = 0; k < n; k++)
        CHECK(agora_rtp_parse(b, k, &p) == AGORA_ERR_INVALID_ARGUMENT, "truncated to %zu", k);
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_OK, "full");
    /* versions 0, 1, 3 */
    for (int v = 0; v < 4; v++) {
        if (v == 2)
            continue;
        b[0] = (uint8_t)((JANUS_PKT[0] & 0x3F) | (v << 6));
        CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "version %d", v);
    }
    b[0] = JANUS_PKT[0];
    /* bad padding length: 0, larger than the payload + padding (7), or
     * reaching into the extension */
    b[n - 1] = 0;
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "padding 0");
    b[n - 1] = 8;
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "padding 8");
    b[n - 1] = 255;
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "padding 255");
    b[n - 1] = 7;
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_OK && p.payload_len == 0, "padding 7 = whole payload");
    b[n - 1] = 4;
    /* bad extension length: 3 words (12 bytes) still fits (payload then
     * shrinks), 4 leaves 3 bytes for padding 4, 5+ runs past the end */
    b[23] = 4;
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "ext len 4");
    b[23] = 5;
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "ext len 5");
    b[22] = 0xFF;
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "ext len 0xFF05");
    b[22] = 0;
    b[23] = 2;
    /* CSRC count past the end */
    b[0] = (uint8_t)((JANUS_PKT[0] & 0xF0) | 15);
    CHECK(agora_rtp_parse(b, n, &p) == AGORA_ERR_INVALID_ARGUMENT, "cc 15");
    b[0] = JANUS_PKT[0];
    /* X bit with no room for the extension header */
    uint8_t x[14] = {0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE};
    CHECK(agora_rtp_parse(x, sizeof(x), &p) == AGORA_ERR_INVALID_ARGUMENT, "short ext header");
    /* P bit on a header-only packet */
    uint8_t y[12] = {0xA0, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(agora_rtp_parse(y, sizeof(y), &p) == AGORA_ERR_INVALID_ARGUMENT, "P on header only");
    /* malformed one-byte elements: the walk stops without reading past */
    uint8_t z[] = {0x90, 111, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xBE, 0xDE, 0, 1, 0x2F, 1, 2, 3};
    CHECK(agora_rtp_parse(z, sizeof(z), &p) == AGORA_OK, "z parse");
    const uint8_t *d;
    size_t l;
    CHECK(agora_rtp_find_extension(&p, 2, &d, &l) == 0, "element past the end");
    CHECK(agora_rtp_is_rtcp(y, 1) == -1 && agora_rtp_is_rtcp(NULL, 5) == -1, "is_rtcp short");
}

/* Invariants of a successful parse, checked on every random buffer. */
static void check_parsed(const uint8_t *b, size_t n, const agora_rtp_packet *p)
{
    CHECK(p->header_len + p->payload_len + p->padding_len == n, "sizes %zu+%zu+%zu != %zu",
          p->header_len, p->payload_len, p->padding_len, n);
    CHECK(p->payload >= b && p->payload + p->payload_len <= b + n, "payload bounds");
    CHECK(!p->extension || (p->ext_data >= b && p->ext_data + p->ext_len <= b + n), "ext bounds");
}

static void fuzz_rtcp(const uint8_t *b, size_t n, uint32_t *sum)
{
    agora_rtcp_iter it;
    agora_rtcp_packet pk;
    agora_rtcp_iter_init(&it, b, n);
    int r, guard = 0;
    while ((r = agora_rtcp_next(&it, &pk)) == 1 && guard++ < 1000) {
        CHECK(pk.body >= b && pk.body + pk.body_len <= b + n, "rtcp body bounds");
        agora_rtcp_report_block rb;
        for (int i = 0; i < pk.count; i++)
            if (agora_rtcp_get_report(&pk, i, &rb) == AGORA_OK)
                *sum += rb.ssrc + rb.jitter;
        agora_rtcp_sdes_iter si;
        agora_rtcp_sdes_iter_init(&si, &pk);
        uint32_t ssrc;
        uint8_t t;
        const uint8_t *d;
        size_t l;
        int items = 0;
        while (agora_rtcp_sdes_next(&si, &ssrc, &t, &d, &l) && items++ < 1000) {
            CHECK(d >= b && d + l <= b + n, "sdes item bounds");
            for (size_t k = 0; k < l; k++)
                *sum += d[k];
        }
        for (int i = 0; i < pk.count; i++)
            *sum += agora_rtcp_bye_ssrc(&pk, i);
        if (pk.bye_reason)
            CHECK(pk.bye_reason >= b && pk.bye_reason + pk.bye_reason_len <= b + n, "bye bounds");
        if (pk.app_data)
            CHECK(pk.app_data >= b && pk.app_data + pk.app_data_len <= b + n, "app bounds");
    }
    CHECK(r <= 1, "iter");
}

static void test_random_garbage(void)
{
    uint32_t seed = 0x12345678u, sum = 0;
    int ok = 0, rtcp_ok = 0;
    for (int iter = 0; iter < 100000; iter++) {
        size_t n = rnd(&seed) % 160;
        /* exact-size heap buffer so ASan catches any read past the end */
        uint8_t *b = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            b[i] = (uint8_t)rnd(&seed);
        /* bias towards plausible headers to reach the deeper checks */
        if (n && (iter & 1))
            b[0] = (uint8_t)(0x80 | (b[0] & 0x3F));
        if (n > 1 && (iter & 3) == 1)
            b[1] = (uint8_t)(200 + rnd(&seed) % 6);
        if (n > 3 && (iter & 7) == 5) {
            b[2] = 0;
            b[3] = (uint8_t)(rnd(&seed) % 8);
        }
        agora_rtp_packet p;
        if (agora_rtp_parse(b, n, &p) == AGORA_OK) {
            ok++;
            check_parsed(b, n, &p);
            const uint8_t *d;
            size_t l;
            for (int id = 0; id < 16; id++)
                if (agora_rtp_find_extension(&p, id, &d, &l))
                    CHECK(d >= b && d + l <= b + n, "element bounds");
            agora_rtp_find_extension(&p, 200, &d, &l);
        }
        (void)agora_rtp_is_rtcp(b, n);
        agora_rtcp_iter it;
        agora_rtcp_packet pk;
        agora_rtcp_iter_init(&it, b, n);
        if (agora_rtcp_next(&it, &pk) == 1)
            rtcp_ok++;
        fuzz_rtcp(b, n, &sum);
        free(b);
    }
    /* mutations of valid packets: flip 1..4 random bytes */
    uint8_t valid[256];
    size_t vn = sizeof(JANUS_PKT);
    for (int iter = 0; iter < 100000; iter++) {
        memcpy(valid, JANUS_PKT, vn);
        int flips = 1 + (int)(rnd(&seed) % 4);
        for (int f = 0; f < flips; f++)
            valid[rnd(&seed) % vn] ^= (uint8_t)(1u << (rnd(&seed) % 8));
        size_t n = vn - (rnd(&seed) % 3 == 0 ? rnd(&seed) % vn : 0);
        uint8_t *b = malloc(n ? n : 1);
        memcpy(b, valid, n);
        agora_rtp_packet p;
        if (agora_rtp_parse(b, n, &p) == AGORA_OK) {
            check_parsed(b, n, &p);
            const uint8_t *d;
            size_t l;
            for (int id = 1; id < 15; id++)
                if (agora_rtp_find_extension(&p, id, &d, &l))
                    CHECK(d >= b && d + l <= b + n, "element bounds");
        }
        free(b);
    }
    printf("garbage: %d/100000 random buffers parsed as RTP, %d as RTCP (checksum %u)\n", ok,
           rtcp_ok, sum);
}

/* ----------------------------------------------------------- RTCP */

static void test_rtcp_round_trip(void)
{
    uint8_t buf[1500];
    agora_rtcp_sender_info si = {0};
    si.ntp = agora_ntp_now();
    si.rtp_ts = 987654321u;
    si.packet_count = 5000;
    si.octet_count = 400000;
    agora_rtcp_report_block rb[2] = {
        {0xAABBCCDDu, 12, 345, 0x0001FFFFu, 240, 0x12345678u, 32768},
        {0x01020304u, 255, -5, 70000, 1, 0, 0},
    };
    int n = agora_rtcp_build_sr(buf, sizeof(buf), 1000, &si, rb, 2);
    CHECK(n == 28 + 48, "sr len %d", n);
    CHECK(agora_rtp_is_rtcp(buf, (size_t)n) == 1, "is rtcp");
    int m = agora_rtcp_build_sdes_cname(buf + n, sizeof(buf) - (size_t)n, 1000, "agent@host", 10);
    CHECK(m == 4 + 4 + 2 + 10 + 1 + 3, "sdes len %d", m);
    int k = agora_rtcp_build_rr(buf + n + m, sizeof(buf) - (size_t)(n + m), 2000, rb + 1, 1);
    CHECK(k == 32, "rr len %d", k);
    size_t total = (size_t)(n + m + k);

    agora_rtcp_iter it;
    agora_rtcp_packet p;
    agora_rtcp_iter_init(&it, buf, total);
    CHECK(agora_rtcp_next(&it, &p) == 1, "sr");
    CHECK(p.type == AGORA_RTCP_SR && p.count == 2 && p.ssrc == 1000 && p.length == 76, "sr hdr");
    CHECK(p.sender.ntp == si.ntp && p.sender.rtp_ts == si.rtp_ts &&
              p.sender.packet_count == 5000 && p.sender.octet_count == 400000,
          "sender info");
    CHECK(p.ext_len == 0, "no profile ext");
    for (int i = 0; i < 2; i++) {
        agora_rtcp_report_block o;
        CHECK(agora_rtcp_get_report(&p, i, &o) == AGORA_OK, "block %d", i);
        CHECK(memcmp(&o, &rb[i], sizeof(o)) == 0 ||
                  (o.ssrc == rb[i].ssrc && o.fraction_lost == rb[i].fraction_lost &&
                   o.cumulative_lost == rb[i].cumulative_lost &&
                   o.ext_highest_seq == rb[i].ext_highest_seq && o.jitter == rb[i].jitter &&
                   o.lsr == rb[i].lsr && o.dlsr == rb[i].dlsr),
              "block %d mismatch (lost %d)", i, o.cumulative_lost);
    }
    agora_rtcp_report_block o;
    CHECK(agora_rtcp_get_report(&p, 2, &o) == AGORA_ERR_INVALID_ARGUMENT, "block 2");
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_SDES && p.count == 1 &&
              p.ssrc == 1000,
          "sdes");
    agora_rtcp_sdes_iter si2;
    agora_rtcp_sdes_iter_init(&si2, &p);
    uint32_t ssrc;
    uint8_t t;
    const uint8_t *d;
    size_t l;
    CHECK(agora_rtcp_sdes_next(&si2, &ssrc, &t, &d, &l) == 1 && ssrc == 1000 &&
              t == AGORA_SDES_CNAME && l == 10 && memcmp(d, "agent@host", 10) == 0,
          "cname");
    CHECK(agora_rtcp_sdes_next(&si2, &ssrc, &t, &d, &l) == 0, "one item");
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_RR && p.count == 1 &&
              p.ssrc == 2000,
          "rr");
    CHECK(agora_rtcp_get_report(&p, 0, &o) == AGORA_OK && o.cumulative_lost == -5 &&
              o.fraction_lost == 255 && o.ext_highest_seq == 70000,
          "rr block");
    CHECK(agora_rtcp_next(&it, &p) == 0, "end");
    CHECK(agora_rtcp_next(&it, &p) == 0, "still end");

    /* cumulative lost is clamped to 24-bit signed */
    agora_rtcp_report_block big = {1, 0, 0x7FFFFFFF, 0, 0, 0, 0};
    n = agora_rtcp_build_rr(buf, sizeof(buf), 1, &big, 1);
    agora_rtcp_iter_init(&it, buf, (size_t)n);
    CHECK(agora_rtcp_next(&it, &p) == 1 && agora_rtcp_get_report(&p, 0, &o) == 0 &&
              o.cumulative_lost == 0x7FFFFF,
          "clamp +");
    big.cumulative_lost = -100000000;
    n = agora_rtcp_build_rr(buf, sizeof(buf), 1, &big, 1);
    agora_rtcp_iter_init(&it, buf, (size_t)n);
    CHECK(agora_rtcp_next(&it, &p) == 1 && agora_rtcp_get_report(&p, 0, &o) == 0 &&
              o.cumulative_lost == -0x800000,
          "clamp -");
    /* empty RR, errors */
    CHECK(agora_rtcp_build_rr(buf, 8, 7, NULL, 0) == 8, "empty rr");
    CHECK(agora_rtcp_build_rr(buf, 7, 7, NULL, 0) == AGORA_ERR_BUFFER_TOO_SMALL, "rr cap");
    CHECK(agora_rtcp_build_sr(buf, 1500, 7, &si, rb, 32) == AGORA_ERR_INVALID_ARGUMENT, "sr n");
    CHECK(agora_rtcp_build_sr(buf, 1500, 7, NULL, rb, 1) == AGORA_ERR_INVALID_ARGUMENT, "sr si");
    CHECK(agora_rtcp_build_sdes_cname(buf, 12, 7, "abc", 3) == AGORA_ERR_BUFFER_TOO_SMALL, "sdes cap");
    CHECK(agora_rtcp_build_sdes_cname(buf, 16, 7, "abcde", 5) == 16, "sdes exact 16");

    /* NTP now: after 2024 (1900-based seconds), fraction in range */
    uint64_t ntp = agora_ntp_now();
    CHECK((ntp >> 32) > 2208988800u + 1700000000u, "ntp seconds %llu", (unsigned long long)(ntp >> 32));
    CHECK(agora_ntp_compact(0x1122334455667788ull) == 0x33445566u, "compact");
}

static void test_rtcp_hand_built(void)
{
    /* BYE with 2 SSRCs and a reason, APP "JNUS" with 4 data bytes, an
     * PSFB (a PLI), then an RR with padding as the last packet */
    static const uint8_t pkt[] = {
        0x82, 203, 0x00, 0x04,  /* BYE SC=2 length 4 (20 bytes) */
        0, 0, 0, 1, 0, 0, 0, 2, /* ssrcs 1, 2 */
        6, 'b', 'y', 'e', '!', '!', '!', 0,  /* reason "bye!!!" + pad */
        0x83, 204, 0x00, 0x03,  /* APP subtype 3, length 3 (16 bytes) */
        0, 0, 0, 9, 'J', 'N', 'U', 'S', 1, 2, 3, 4,
        0x81, 206, 0x00, 0x02,  /* PSFB FMT 1 (PLI), length 2 */
        0, 0, 0, 5, 0, 0, 0, 6,
        0xA0, 201, 0x00, 0x02,  /* RR RC=0 with padding, length 2 (12 bytes) */
        0, 0, 0, 7, 0, 0, 0, 4, /* ssrc 7, padding 4 */
    };
    agora_rtcp_iter it;
    agora_rtcp_packet p;
    agora_rtcp_iter_init(&it, pkt, sizeof(pkt));
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_BYE && p.count == 2, "bye");
    CHECK(agora_rtcp_bye_ssrc(&p, 0) == 1 && agora_rtcp_bye_ssrc(&p, 1) == 2 &&
              agora_rtcp_bye_ssrc(&p, 2) == 0,
          "bye ssrcs");
    CHECK(p.bye_reason && p.bye_reason_len == 6 && memcmp(p.bye_reason, "bye!!!", 6) == 0, "reason");
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_APP && p.count == 3 &&
              p.ssrc == 9 && strcmp(p.app_name, "JNUS") == 0 && p.app_data_len == 4 &&
              p.app_data[3] == 4,
          "app");
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == 206 && p.count == 1 && p.ssrc == 5 &&
              p.body_len == 8 && p.media_ssrc == 6 && p.fci_len == 0,
          "psfb");
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_RR && p.padding && p.ssrc == 7 &&
              p.body_len == 4 && p.count == 0,
          "padded rr");
    CHECK(agora_rtcp_next(&it, &p) == 0, "end");

    /* malformed ones end the iteration with an error */
    uint8_t bad[sizeof(pkt)];
    memcpy(bad, pkt, sizeof(pkt));
    bad[3] = 0x40; /* BYE length past the end */
    agora_rtcp_iter_init(&it, bad, sizeof(bad));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "length");
    CHECK(agora_rtcp_next(&it, &p) == 0, "over after error");
    memcpy(bad, pkt, sizeof(pkt));
    bad[12] = 8; /* reason length past the packet */
    agora_rtcp_iter_init(&it, bad, sizeof(bad));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "reason len");
    memcpy(bad, pkt, sizeof(pkt));
    bad[sizeof(pkt) - 1] = 9; /* padding larger than the body */
    agora_rtcp_iter_init(&it, bad, sizeof(bad));
    int r, k = 0;
    while ((r = agora_rtcp_next(&it, &p)) == 1)
        k++;
    CHECK(k == 3 && r == AGORA_ERR_INVALID_ARGUMENT, "padding k=%d r=%d", k, r);
    bad[sizeof(pkt) - 1] = 0;
    agora_rtcp_iter_init(&it, bad, sizeof(bad));
    for (k = 0; (r = agora_rtcp_next(&it, &p)) == 1;)
        k++;
    CHECK(k == 3 && r == AGORA_ERR_INVALID_ARGUMENT, "padding 0");
    /* RR claiming 1 report block in a 4-byte body */
    uint8_t rr[] = {0x81, 201, 0, 1, 0, 0, 0, 7};
    agora_rtcp_iter_init(&it, rr, sizeof(rr));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "rr count");
    /* SR too short for the sender info */
    uint8_t sr[] = {0x80, 200, 0, 1, 0, 0, 0, 7};
    agora_rtcp_iter_init(&it, sr, sizeof(sr));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "sr short");
    /* version 1, trailing 3 bytes */
    uint8_t v1[] = {0x40, 201, 0, 1, 0, 0, 0, 7};
    agora_rtcp_iter_init(&it, v1, sizeof(v1));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "version");
    uint8_t tail[] = {0x80, 201, 0, 1, 0, 0, 0, 7, 0x80, 201, 0};
    agora_rtcp_iter_init(&it, tail, sizeof(tail));
    CHECK(agora_rtcp_next(&it, &p) == 1 && agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT,
          "tail");
    /* SDES: two chunks (the second without items), missing END rejected */
    uint8_t sd[] = {0x82, 202, 0, 5,
                    0, 0, 0, 1, 1, 3, 'a', 'b', 'c', 0, 0, 0,  /* chunk 1: CNAME "abc" */
                    0, 0, 0, 2, 0, 0, 0, 0};                   /* chunk 2: END only */
    agora_rtcp_iter_init(&it, sd, sizeof(sd));
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.count == 2, "sdes 2 chunks");
    agora_rtcp_sdes_iter s;
    agora_rtcp_sdes_iter_init(&s, &p);
    uint32_t ssrc;
    uint8_t t;
    const uint8_t *d;
    size_t l;
    CHECK(agora_rtcp_sdes_next(&s, &ssrc, &t, &d, &l) == 1 && ssrc == 1 && l == 3, "item");
    CHECK(agora_rtcp_sdes_next(&s, &ssrc, &t, &d, &l) == 0, "no more");
    sd[13] = 5; /* END byte becomes an item type with length 0 ... */
    sd[14] = 6; /* ... whose length runs past the chunk list */
    agora_rtcp_iter_init(&it, sd, sizeof(sd));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "sdes no end");
}

/* ---------------------------------------------- receiver statistics */

static void test_rx_sequence_and_loss(void)
{
    agora_rtp_rx_stats s;
    agora_rtp_rx_init(&s, 0x1234, 48000);
    uint64_t t = 1000000;
    uint16_t seq = 65500;
    uint32_t ts = 4294960000u;
    /* probation: the first packet is not counted, the second validates */
    CHECK(agora_rtp_rx_update(&s, seq, ts, t) == 0, "probation 1");
    seq++, ts += 960, t += 20000;
    CHECK(agora_rtp_rx_update(&s, seq, ts, t) == 1, "validated");
    CHECK(s.received == 1 && s.base_seq == 65501, "base");
    /* 100 more packets across the 16-bit wrap, 5 of them lost */
    int sent = 0;
    for (int i = 0; i < 100; i++) {
        seq++, ts += 960, t += 20000;
        if (i == 10 || i == 40 || i == 41 || i == 42 || i == 70)
            continue;
        sent++;
        CHECK(agora_rtp_rx_update(&s, seq, ts, t) == 1, "pkt %d", i);
    }
    agora_rtcp_report_block rb;
    agora_rtp_rx_report(&s, t, &rb);
    CHECK(rb.ssrc == 0x1234, "ssrc");
    CHECK(rb.ext_highest_seq == 65536u + (uint16_t)(65501 + 100), "ext max %u", rb.ext_highest_seq);
    CHECK(rb.cumulative_lost == 5, "lost %d", rb.cumulative_lost);
    /* 101 expected, 96 received in this first interval: 5*256/101 = 12 */
    CHECK(rb.fraction_lost == 12, "fraction %u", rb.fraction_lost);
    CHECK(rb.jitter == 0, "perfect pacing jitter %u", rb.jitter);
    CHECK(rb.lsr == 0 && rb.dlsr == 0, "no sr");
    /* next interval: no loss but 2 duplicates -> negative interval loss -> 0 */
    for (int i = 0; i < 10; i++) {
        seq++, ts += 960, t += 20000;
        agora_rtp_rx_update(&s, seq, ts, t);
    }
    agora_rtp_rx_update(&s, seq, ts, t);
    agora_rtp_rx_update(&s, (uint16_t)(seq - 1), ts - 960, t);
    agora_rtp_rx_report(&s, t, &rb);
    CHECK(rb.fraction_lost == 0 && rb.cumulative_lost == 3, "dups: frac %u lost %d",
          rb.fraction_lost, rb.cumulative_lost);
    /* SR: LSR is the middle of the NTP time, DLSR in 1/65536 s */
    agora_rtp_rx_on_sr(&s, 0xAAAABBBBCCCCDDDDull, t);
    agora_rtp_rx_report(&s, t + 500000, &rb);
    CHECK(rb.lsr == 0xBBBBCCCCu && rb.dlsr == 32768, "lsr %x dlsr %u", rb.lsr, rb.dlsr);
    /* a jump of 10000: dropped once, taken as a restart on the next in-order packet */
    seq += 10000;
    CHECK(agora_rtp_rx_update(&s, seq, ts, t) == 0, "jump dropped");
    CHECK(agora_rtp_rx_update(&s, (uint16_t)(seq + 1), ts + 960, t + 20000) == 1, "restart");
    CHECK(s.received == 1 && s.base_seq == (uint16_t)(seq + 1) && s.cycles == 0, "reset");
    /* 150 behind: also a bad jump, a single one is dropped */
    CHECK(agora_rtp_rx_update(&s, (uint16_t)(seq - 150), ts, t) == 0, "far behind");
    /* 50 behind: reordered, counted */
    CHECK(agora_rtp_rx_update(&s, (uint16_t)(seq - 50), ts, t) == 1, "misordered");
}

static void test_rx_jitter(void)
{
    /* (a) arrivals alternately on time and 5 ms late: |D| = 240 ticks each
     * packet, J converges to 240; (b) a pseudo-random pattern checked against
     * a floating-point evaluation of J += (|D| - J) / 16. */
    agora_rtp_rx_stats s;
    agora_rtp_rx_init(&s, 1, 48000);
    uint32_t ts = 0;
    for (int i = 0; i < 500; i++, ts += 960)
        agora_rtp_rx_update(&s, (uint16_t)i, ts, 5000000u + (uint64_t)i * 20000 + (i & 1) * 5000);
    uint32_t j = agora_rtp_rx_jitter(&s), j_alt = j;
    CHECK(j >= 238 && j <= 240, "alternating jitter %u (expect ~240)", j);
    /* steady pacing: zero */
    agora_rtp_rx_init(&s, 3, 48000);
    for (int i = 0; i < 100; i++)
        agora_rtp_rx_update(&s, (uint16_t)i, (uint32_t)i * 960u, 1000u + (uint64_t)i * 20000);
    CHECK(agora_rtp_rx_jitter(&s) == 0, "steady jitter %u", agora_rtp_rx_jitter(&s));

    agora_rtp_rx_init(&s, 2, 48000);
    uint32_t seed = 99;
    double jref = 0, prev_transit = 0;
    int have = 0;
    ts = 123456789u;
    for (int i = 0; i < 2000; i++, ts += 960) {
        uint64_t arr = 7000000u + (uint64_t)i * 20000 + rnd(&seed) % 30000; /* 0..30 ms jitter */
        int v = agora_rtp_rx_update(&s, (uint16_t)(40000 + i), ts, arr);
        if (!v)
            continue;
        /* reference in double, arrival in RTP units (exact: 48 ticks per ms,
         * arrival multiple of 1 us -> 0.048 ticks, truncate like the code) */
        uint64_t ar = (arr / 1000000u) * 48000u + (arr % 1000000u) * 48000u / 1000000u;
        double transit = (double)(int64_t)ar - (double)ts;
        if (have) {
            double d = fabs(transit - prev_transit);
            jref += (d - jref) / 16.0;
        }
        prev_transit = transit;
        have = 1;
    }
    j = agora_rtp_rx_jitter(&s);
    CHECK(fabs((double)j - jref) <= 2.0, "random jitter %u vs reference %.1f", j, jref);
    printf("jitter: alternating 5 ms -> %u ticks; random 0..30 ms -> %u ticks (ref %.1f = %.2f ms)\n",
           j_alt, j, jref, jref / 48.0);
}

/* The liveness packets: a keepalive parses as RTP with padding and no
 * payload; a BYE compound (RR + BYE) iterates with its SSRCs. */
static void test_keepalive_and_bye(void)
{
    uint8_t buf[64];
    int n = agora_rtp_build_keepalive(buf, sizeof(buf), 111, 65535, 123456, 1000);
    CHECK(n == AGORA_RTP_KEEPALIVE_SIZE && n % 4 == 0, "keepalive size %d", n);
    agora_rtp_packet p;
    CHECK(agora_rtp_parse(buf, (size_t)n, &p) == AGORA_OK, "keepalive parses");
    CHECK(p.padding && p.payload_len == 0 && p.padding_len == 4 && !p.marker, "padding only");
    CHECK(p.seq == 65535 && p.timestamp == 123456 && p.ssrc == 1000 && p.payload_type == 111,
          "keepalive header");
    CHECK(agora_rtp_is_rtcp(buf, (size_t)n) == 0, "a keepalive is RTP");
    CHECK(agora_rtp_build_keepalive(buf, AGORA_RTP_KEEPALIVE_SIZE - 1, 111, 1, 1, 1) ==
              AGORA_ERR_BUFFER_TOO_SMALL, "keepalive buffer too small");
    CHECK(agora_rtp_build_keepalive(NULL, 0, 111, 1, 1, 1) == AGORA_ERR_INVALID_ARGUMENT, "null");

    const uint32_t ssrcs[2] = {1000, 1010};
    int r = agora_rtcp_build_rr(buf, sizeof(buf), 1000, NULL, 0);
    int k = agora_rtcp_build_bye(buf + r, sizeof(buf) - (size_t)r, ssrcs, 2);
    CHECK(r == 8 && k == 12, "rr %d bye %d", r, k);
    agora_rtcp_iter it;
    agora_rtcp_packet q;
    agora_rtcp_iter_init(&it, buf, (size_t)(r + k));
    CHECK(agora_rtcp_next(&it, &q) == 1 && q.type == AGORA_RTCP_RR, "rr first");
    CHECK(agora_rtcp_next(&it, &q) == 1 && q.type == AGORA_RTCP_BYE && q.count == 2, "bye");
    CHECK(agora_rtcp_bye_ssrc(&q, 0) == 1000 && agora_rtcp_bye_ssrc(&q, 1) == 1010, "bye ssrcs");
    CHECK(agora_rtcp_next(&it, &q) == 0, "end");
    CHECK(agora_rtcp_build_bye(buf, 7, ssrcs, 1) == AGORA_ERR_BUFFER_TOO_SMALL, "bye too small");
    CHECK(agora_rtcp_build_bye(buf, sizeof(buf), ssrcs, 0) == AGORA_ERR_INVALID_ARGUMENT, "no ssrc");
}

int main(void)
{
    test_keepalive_and_bye();
    test_rtp_round_trip();
    test_rtp_janus_packet();
    test_rtp_malformed();
    test_random_garbage();
    test_rtcp_round_trip();
    test_rtcp_hand_built();
    test_rx_sequence_and_loss();
    test_rx_jitter();
    if (failures) {
        printf("test_rtp: %d FAILED\n", failures);
        return 1;
    }
    printf("test_rtp: all passed\n");
    return 0;
}
