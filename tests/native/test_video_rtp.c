/* Unit test of the video RTP payload formats (src/_native/video_rtp*.c: VP8
 * RFC 7741, H.264 RFC 6184) and the PLI/FIR feedback of rtp.c. Round trips
 * over many frame sizes and payload limits, the packet layouts (descriptor,
 * STAP-A, FU-A), loss handling and the keyframe wait, SPS parse of real x264
 * parameter sets, malformed and random payloads. Real encoder bitstreams
 * (vpxenc, libx264) are covered by tests/test_video_rtp.py. Build and run:
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc/_native/include -Isrc/_native \
 *       -Itests/native src/_native/video_rtp*.c src/_native/net/rtp/rtp.c src/_native/core/errors.c \
 *       tests/native/test_video_rtp.c -o /tmp/test_video_rtp && /tmp/test_video_rtp */
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "net/rtp/rtp.h"
#include "agora_rtc/video_rtp.h"

#include "native_test.h"

enum { MAX_PKTS = 70000 };

typedef struct packets {
    uint8_t *data[MAX_PKTS];
    size_t len[MAX_PKTS];
    int marker[MAX_PKTS];
    int n;
} packets;

static packets pk;

static void packets_clear(void)
{
    for (int i = 0; i < pk.n; i++)
        free(pk.data[i]);
    pk.n = 0;
}

/* Run a started packetizer to the end into pk. Returns the packet count or -1. */
static int drain(agora_video_packetizer *p, size_t max_payload)
{
    packets_clear();
    uint8_t *out = malloc(max_payload);
    int marker, n;
    while ((n = agora_video_packetizer_next(p, out, max_payload, &marker)) > 0) {
        if (pk.n == MAX_PKTS || (size_t)n > max_payload) {
            free(out);
            return -1;
        }
        pk.data[pk.n] = malloc((size_t)n);
        memcpy(pk.data[pk.n], out, (size_t)n);
        pk.len[pk.n] = (size_t)n;
        pk.marker[pk.n] = marker;
        pk.n++;
    }
    free(out);
    return n < 0 ? -1 : pk.n;
}

/* Push pk into d with consecutive sequence numbers from *seq; returns the
 * last push result. */
static int push_all(agora_video_depacketizer *d, uint16_t *seq, uint32_t ts)
{
    int r = -100;
    for (int i = 0; i < pk.n; i++)
        r = agora_video_depacketizer_push(d, (*seq)++, ts, pk.marker[i], pk.data[i], pk.len[i]);
    return r;
}

static void fill_random(uint8_t *b, size_t n, uint32_t *seed)
{
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rnd(seed);
}

/* ------------------------------------------------------------------ VP8 */

static void vp8_frame(uint8_t *f, size_t n, int key, int w, int h, uint32_t *seed)
{
    fill_random(f, n, seed);
    f[0] = (uint8_t)((f[0] & ~1u) | (key ? 0 : 1));
    if (key && n >= 10) {
        f[3] = 0x9d, f[4] = 0x01, f[5] = 0x2a;
        f[6] = (uint8_t)w, f[7] = (uint8_t)(w >> 8), f[8] = (uint8_t)h, f[9] = (uint8_t)(h >> 8);
    }
}

static void test_vp8_round_trip(void)
{
    static const size_t sizes[] = {1, 2, 9, 10, 11, 100, 1195, 1196, 1197, 2392, 2393,
                                   5000, 65536, 123457, 300000};
    static const size_t maxes[] = {5, 6, 17, 1200, 1400, 65495};
    uint32_t seed = 12345;
    uint8_t *f = malloc(300000);
    agora_video_depacketizer d;
    CHECK(agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_VP8, 400000) == AGORA_OK, "init");
    uint16_t seq = 65000; /* wraps during the test */
    uint16_t pid = 32760;
    for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
        size_t mx = maxes[mi];
        for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
            size_t n = sizes[si];
            if (mx < 17 && n > 65536)
                continue; /* > MAX_PKTS packets */
            int key = (si % 3) == 0;
            vp8_frame(f, n, key, 640 + (int)si, 360 + (int)mi, &seed);
            agora_video_packetizer p;
            CHECK(agora_vp8_packetizer_start(&p, f, n, pid, mx) == AGORA_OK, "start");
            int np = drain(&p, mx);
            size_t room = mx - 4, want = (n + room - 1) / room;
            CHECK(np == (int)want, "n=%zu max=%zu packets %d want %zu", n, mx, np, want);
            size_t lo = (size_t)-1, hi = 0;
            for (int i = 0; i < np; i++) {
                const uint8_t *b = pk.data[i];
                CHECK(b[0] == (i == 0 ? 0x90 : 0x80) && b[1] == 0x80 &&
                          b[2] == (0x80 | (pid >> 8)) && b[3] == (pid & 0xFF),
                      "descriptor %d: %02x %02x %02x %02x", i, b[0], b[1], b[2], b[3]);
                CHECK(pk.marker[i] == (i == np - 1), "marker %d", i);
                lo = pk.len[i] < lo ? pk.len[i] : lo;
                hi = pk.len[i] > hi ? pk.len[i] : hi;
            }
            CHECK(hi - lo <= 1, "balanced sizes %zu..%zu", lo, hi);
            int r = push_all(&d, &seq, (uint32_t)(n * 90));
            if (key || !agora_video_depacketizer_waiting_keyframe(&d)) {
                CHECK(r == AGORA_VIDEO_DEPACK_FRAME_READY, "n=%zu max=%zu r=%d", n, mx, r);
                agora_video_rtp_frame fr;
                CHECK(agora_video_depacketizer_frame(&d, &fr) == AGORA_OK, "frame");
                CHECK(fr.len == n && memcmp(fr.data, f, n) == 0, "bytes n=%zu", n);
                CHECK(fr.keyframe == key && fr.rtp_ts == (uint32_t)(n * 90), "key/ts");
                if (key && n >= 10)
                    CHECK(fr.width == 640 + (int)si && fr.height == 360 + (int)mi, "dims %dx%d",
                          fr.width, fr.height);
                else
                    CHECK(fr.width == 0 && fr.height == 0, "no dims");
            }
            pid = (uint16_t)((pid + 1) & 0x7FFF);
        }
    }
    CHECK(d.frames_lost == 0, "no loss %llu", (unsigned long long)d.frames_lost);
    agora_video_depacketizer_free(&d);
    agora_video_depacketizer_free(&d); /* twice is a no-op */
    free(f);
    packets_clear();
}

static void test_vp8_descriptor_variants(void)
{
    /* descriptors a browser may send: no X; X with 7-bit PictureID; with
     * TL0PICIDX and TID/KEYIDX; partitions with PID > 0 after the start */
    agora_video_depacketizer d;
    agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_VP8, 1000);
    const uint8_t key[] = {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01, 0xAA};
    /* whole keyframe in one packet, minimal descriptor */
    uint8_t pkt[64];
    pkt[0] = 0x10;
    memcpy(pkt + 1, key, sizeof(key));
    CHECK(agora_video_depacketizer_push(&d, 1, 100, 1, pkt, 1 + sizeof(key)) ==
              AGORA_VIDEO_DEPACK_FRAME_READY, "minimal descriptor");
    agora_video_rtp_frame fr;
    agora_video_depacketizer_frame(&d, &fr);
    CHECK(fr.keyframe && fr.width == 640 && fr.height == 360 && fr.len == sizeof(key), "640x360");
    /* X, I (7-bit), L, T+K, split over 3 packets, second partition PID=1 */
    const uint8_t d1[] = {0x90, 0xF0, 0x05, 0x07, 0x40};       /* S=1 PID=0 */
    const uint8_t d2[] = {0x80, 0xE0, 0x85, 0x07, 0x07, 0x40}; /* 15-bit pid */
    const uint8_t d3[] = {0x91, 0x80, 0x05};                   /* S=1 PID=1 */
    uint8_t frame[] = {0x01, 0x22, 0x33, 0x44, 0x55, 0x66}; /* delta */
    size_t l = 0;
    memcpy(pkt, d1, sizeof(d1));
    memcpy(pkt + sizeof(d1), frame, 2);
    CHECK(agora_video_depacketizer_push(&d, 2, 200, 0, pkt, sizeof(d1) + 2) ==
              AGORA_VIDEO_DEPACK_NEED_MORE, "p1");
    memcpy(pkt, d2, sizeof(d2));
    memcpy(pkt + sizeof(d2), frame + 2, 2);
    CHECK(agora_video_depacketizer_push(&d, 3, 200, 0, pkt, sizeof(d2) + 2) ==
              AGORA_VIDEO_DEPACK_NEED_MORE, "p2");
    memcpy(pkt, d3, sizeof(d3));
    memcpy(pkt + sizeof(d3), frame + 4, 2);
    CHECK(agora_video_depacketizer_push(&d, 4, 200, 1, pkt, sizeof(d3) + 2) ==
              AGORA_VIDEO_DEPACK_FRAME_READY, "p3");
    agora_video_depacketizer_frame(&d, &fr);
    l = fr.len;
    CHECK(l == 6 && memcmp(fr.data, frame, 6) == 0 && !fr.keyframe && fr.rtp_ts == 200, "3 parts");
    /* padding-only packets (empty payload) take a sequence number and nothing
     * else, between frames and inside one, whatever their timestamp/marker */
    CHECK(agora_video_depacketizer_push(&d, 5, 200, 1, pkt, 0) == AGORA_VIDEO_DEPACK_NEED_MORE,
          "padding after a frame");
    memcpy(pkt, d1, sizeof(d1));
    memcpy(pkt + sizeof(d1), frame, 2);
    CHECK(agora_video_depacketizer_push(&d, 6, 300, 0, pkt, sizeof(d1) + 2) == 0, "q1");
    CHECK(agora_video_depacketizer_push(&d, 7, 999, 1, NULL, 0) == AGORA_VIDEO_DEPACK_NEED_MORE,
          "padding inside a frame");
    memcpy(pkt, d2, sizeof(d2));
    memcpy(pkt + sizeof(d2), frame + 2, 4);
    CHECK(agora_video_depacketizer_push(&d, 8, 300, 1, pkt, sizeof(d2) + 4) ==
              AGORA_VIDEO_DEPACK_FRAME_READY, "frame across padding");
    CHECK(agora_video_depacketizer_push(&d, 10, 400, 0, NULL, 0) == AGORA_VIDEO_DEPACK_FRAME_LOST &&
              agora_video_depacketizer_waiting_keyframe(&d),
          "a gap before a padding packet is still a loss");
    agora_video_depacketizer_free(&d);
}

static void test_vp8_malformed(void)
{
    agora_video_depacketizer d;
    agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_VP8, 16);
    static const struct {
        uint8_t b[8];
        size_t n;
    } bad[] = {
        {{0x90}, 1},                   /* descriptor only */
        {{0x90, 0x80}, 2},             /* I without PictureID */
        {{0x90, 0x80, 0x85}, 3},       /* 15-bit PictureID truncated */
        {{0x90, 0x80, 0x85, 0x01}, 4}, /* no VP8 data */
        {{0x90, 0x40, 0x01}, 3},       /* L, no data */
        {{0x90, 0x30, 0x01}, 3},       /* T/K, no data */
        {{0x80, 0x00, 0x01}, 3},       /* frame start missing (S=0) */
        {{0x11, 0x00}, 2},             /* frame start missing (PID=1) */
    };
    uint16_t seq = 10;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(agora_video_depacketizer_push(&d, seq++, (uint32_t)i, 1, bad[i].b, bad[i].n) ==
                  AGORA_VIDEO_DEPACK_FRAME_LOST, "bad %zu", i);
        CHECK(agora_video_depacketizer_waiting_keyframe(&d), "waiting");
    }
    /* oversize: 17 bytes of data in a 16-byte depacketizer */
    uint8_t big[20] = {0x10};
    CHECK(agora_video_depacketizer_push(&d, seq++, 99, 1, big, 18) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "oversize");
    CHECK(agora_video_depacketizer_push(&d, seq++, 100, 1, big, 17) ==
              AGORA_VIDEO_DEPACK_FRAME_READY, "16 bytes fit (keyframe, P=0)");
    /* a second start inside a frame */
    CHECK(agora_video_depacketizer_push(&d, seq++, 101, 0, big, 3) == AGORA_VIDEO_DEPACK_NEED_MORE,
          "start");
    CHECK(agora_video_depacketizer_push(&d, seq++, 101, 1, big, 3) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "second start");
    CHECK(agora_video_depacketizer_push(&d, seq++, 102, 1, NULL, 3) == AGORA_ERR_INVALID_ARGUMENT,
          "NULL payload");
    CHECK(agora_video_depacketizer_push(NULL, seq, 102, 1, big, 3) == AGORA_ERR_INVALID_ARGUMENT,
          "NULL d");
    agora_video_depacketizer_free(&d);
    CHECK(agora_video_depacketizer_push(&d, seq, 102, 1, big, 3) == AGORA_ERR_INVALID_ARGUMENT,
          "freed d");
}

/* ----------------------------------------------------------------- H.264 */

/* An Annex B access unit of NAL units with these sizes (header included),
 * random bytes without zeros (so no start code emulation), start codes of
 * 3 or 4 bytes. Types: 7, 8 for the first two when sps_pps, then 5 (IDR)
 * or 1. Returns the length; *norm gets the same unit with 4-byte start
 * codes (what the depacketizer returns). */
static size_t h264_au(uint8_t *out, uint8_t *norm, size_t *norm_len, const size_t *nal_sizes,
                      int count, int key, int three_byte, uint32_t *seed)
{
    size_t n = 0, m = 0;
    for (int i = 0; i < count; i++) {
        int sc = three_byte == 2 ? 3 + (int)(rnd(seed) & 1) : three_byte ? 3 : 4;
        memset(out + n, 0, (size_t)sc - 1);
        out[n + (size_t)sc - 1] = 1;
        n += (size_t)sc;
        memcpy(norm + m, "\0\0\0\1", 4);
        m += 4;
        uint8_t type = key && i == 0 ? 7 : key && i == 1 ? 8 : key ? 5 : 1;
        uint8_t nri = (uint8_t)((rnd(seed) % 4) << 5);
        out[n] = (uint8_t)(nri | type);
        for (size_t j = 1; j < nal_sizes[i]; j++)
            out[n + j] = (uint8_t)(1 + rnd(seed) % 255);
        if ((type == 5 || type == 1) && nal_sizes[i] > 1)
            out[n + 1] |= 0x80; /* first_mb_in_slice 0 */
        memcpy(norm + m, out + n, nal_sizes[i]);
        n += nal_sizes[i];
        m += nal_sizes[i];
    }
    *norm_len = m;
    return n;
}

static void check_h264(const uint8_t *au, size_t au_len, const uint8_t *norm, size_t norm_len,
                       int key, size_t mx, agora_video_depacketizer *d, uint16_t *seq,
                       uint32_t ts, const char *what)
{
    agora_video_packetizer p;
    CHECK(agora_h264_packetizer_start(&p, au, au_len, mx) == AGORA_OK, "%s start", what);
    int np = drain(&p, mx);
    CHECK(np > 0, "%s packets %d", what, np);
    for (int i = 0; i < np; i++)
        CHECK(pk.marker[i] == (i == np - 1), "%s marker %d", what, i);
    int r = push_all(d, seq, ts);
    CHECK(r == AGORA_VIDEO_DEPACK_FRAME_READY, "%s r=%d (max %zu)", what, r, mx);
    agora_video_rtp_frame fr;
    if (agora_video_depacketizer_frame(d, &fr) == AGORA_OK) {
        CHECK(fr.len == norm_len && memcmp(fr.data, norm, norm_len) == 0, "%s bytes %zu/%zu", what,
              fr.len, norm_len);
        CHECK(fr.keyframe == key && fr.rtp_ts == ts, "%s key %d ts", what, fr.keyframe);
    }
}

static void test_h264_round_trip(void)
{
    uint32_t seed = 777;
    size_t cap = 400000;
    uint8_t *au = malloc(cap), *norm = malloc(cap);
    agora_video_depacketizer d;
    CHECK(agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_H264, cap) == AGORA_OK, "init");
    uint16_t seq = 65530;
    static const size_t maxes[] = {5, 7, 100, 1200, 65495};
    static const size_t bigs[] = {2, 3, 50, 1198, 1199, 1200, 1201, 2396, 2397, 10000, 199990};
    uint32_t ts = 0;
    for (size_t mi = 0; mi < sizeof(maxes) / sizeof(maxes[0]); mi++) {
        for (size_t bi = 0; bi < sizeof(bigs) / sizeof(bigs[0]); bi++) {
            for (int key = 1; key >= 0; key--) {
                size_t mx = maxes[mi];
                if (mx < 100 && bigs[bi] > 10000)
                    continue;
                size_t sizes[5] = {12, 4, bigs[bi], 3, bigs[bi] / 2 + 1};
                size_t nn;
                int sc = (int)((bi + mi) % 3); /* 4-byte, 3-byte, mixed */
                size_t n = h264_au(au, norm, &nn, sizes, key ? 5 : 3, key, sc, &seed);
                if (sc == 0)
                    CHECK(n == nn, "4-byte start codes: input == output");
                ts += 3000;
                check_h264(au, n, norm, nn, key, mx, &d, &seq, ts, "au");
            }
        }
    }
    /* trailing zeros and leading zeros are dropped */
    size_t sz[2] = {5, 6}, nn;
    size_t n = h264_au(au + 2, norm, &nn, sz, 2, 0, 0, &seed);
    au[0] = au[1] = 0;
    memset(au + 2 + n, 0, 3);
    check_h264(au, n + 5, norm, nn, 0, 1200, &d, &seq, ts += 3000, "zeros");
    CHECK(d.frames_lost == 0 && d.frames_skipped == 0, "no loss");
    agora_video_depacketizer_free(&d);
    free(au);
    free(norm);
    packets_clear();
}

static void test_h264_layouts(void)
{
    /* SPS 10, PPS 4, IDR 3000 at max 1200: one STAP-A (SPS+PPS), then FU-A
     * S / middle / E of the IDR with its NRI kept */
    uint8_t au[4000];
    size_t n = 0;
    const size_t sizes[3] = {10, 4, 3000};
    const uint8_t hdr[3] = {0x67, 0x68, 0x65};
    for (int i = 0; i < 3; i++) {
        memcpy(au + n, "\0\0\0\1", 4);
        n += 4;
        au[n] = hdr[i];
        memset(au + n + 1, 0x11 * (i + 1), sizes[i] - 1);
        if (i == 2)
            au[n + 1] = 0x88; /* the slice starts the picture */
        n += sizes[i];
    }
    agora_video_packetizer p;
    CHECK(agora_h264_packetizer_start(&p, au, n, 1200) == AGORA_OK, "start");
    CHECK(drain(&p, 1200) == 4, "4 packets: %d", pk.n);
    CHECK(pk.len[0] == 1 + 2 + 10 + 2 + 4 && pk.data[0][0] == (0x60 | 24), "STAP-A %02x",
          pk.data[0][0]);
    CHECK(pk.data[0][1] == 0 && pk.data[0][2] == 10 && pk.data[0][3] == 0x67 &&
              pk.data[0][13] == 0 && pk.data[0][14] == 4 && pk.data[0][15] == 0x68,
          "STAP-A units");
    CHECK(pk.data[1][0] == (0x60 | 28) && pk.data[1][1] == (0x80 | 5), "FU-A start");
    CHECK(pk.data[2][0] == (0x60 | 28) && pk.data[2][1] == 5, "FU-A middle");
    CHECK(pk.data[3][0] == (0x60 | 28) && pk.data[3][1] == (0x40 | 5), "FU-A end");
    size_t body = pk.len[1] - 2 + pk.len[2] - 2 + pk.len[3] - 2;
    CHECK(body == 2999 && pk.len[1] <= 1200 && pk.len[3] >= 1000, "FU body %zu balanced", body);
    CHECK(pk.marker[3] && !pk.marker[0] && !pk.marker[1] && !pk.marker[2], "marker");
    /* max_payload == NAL size: single NAL; one more byte would need FU-A */
    CHECK(agora_h264_packetizer_start(&p, au + 22, n - 22, 3000) == AGORA_OK && drain(&p, 3000) == 1 &&
              pk.len[0] == 3000 && pk.data[0][0] == 0x65,
          "single NAL %zu", pk.len[0]);
    CHECK(agora_h264_packetizer_start(&p, au + 22, n - 22, 2999) == AGORA_OK && drain(&p, 2999) == 2 &&
              pk.data[0][0] == (0x60 | 28),
          "FU-A at size + 1");
    /* the STAP-A fits exactly: 1 + 12 + 6 = 19 */
    CHECK(agora_h264_packetizer_start(&p, au, 22, 19) == AGORA_OK && drain(&p, 19) == 1 &&
              pk.len[0] == 19 && pk.marker[0],
          "exact STAP-A");
    CHECK(agora_h264_packetizer_start(&p, au, 22, 18) == AGORA_OK && drain(&p, 18) == 2 &&
              pk.len[0] == 10 && pk.len[1] == 4,
          "STAP-A one byte too big: two single NALs");
    /* cap smaller than max_payload: refused, state unchanged */
    uint8_t small[100];
    int marker;
    CHECK(agora_h264_packetizer_start(&p, au, n, 1200) == AGORA_OK, "restart");
    CHECK(agora_video_packetizer_next(&p, small, sizeof(small), &marker) ==
              AGORA_ERR_BUFFER_TOO_SMALL, "cap");
    CHECK(drain(&p, 1200) == 4, "state unchanged");
    CHECK(agora_video_packetizer_next(&p, small, sizeof(small), &marker) == 0, "done stays done");
    packets_clear();
}

static void test_packetizer_bad_input(void)
{
    agora_video_packetizer p;
    uint8_t out[2000];
    int marker;
    const uint8_t ok[] = {0, 0, 1, 0x65, 0x81, 2};
    const uint8_t *bad[] = {
        (const uint8_t *)"\x65\x01\x02",          /* no start code */
        (const uint8_t *)"\x00\x01\x65\x01",      /* one zero is not a start code */
        (const uint8_t *)"\x00\x00\x01",          /* start code only */
        (const uint8_t *)"\x00\x00\x01\x00\x00\x01\x65", /* empty NAL */
        (const uint8_t *)"\x00\x00\x01\x65\x00\x00\x01", /* ends with a start code */
        (const uint8_t *)"\x00\x00\x01\x78\x01",  /* type 24 (STAP-A) as input */
        (const uint8_t *)"\x00\x00\x01\x00\x01",  /* type 0 */
        (const uint8_t *)"\x00\x00\x00\x00",      /* zeros only */
        (const uint8_t *)"\x01\x00\x00\x01\x65",  /* garbage before the first start code */
        (const uint8_t *)"\x00\x00\x01\x67\x01\x00\x00\x01\x65\x7f", /* first_mb != 0 */
        (const uint8_t *)"\x00\x00\x01\x41",  /* slice without a header */
    };
    const size_t bad_len[] = {3, 4, 3, 7, 7, 5, 5, 4, 5, 10, 4};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK(agora_h264_packetizer_start(&p, bad[i], bad_len[i], 1200) == AGORA_ERR_INVALID_ARGUMENT,
              "bad h264 %zu", i);
        CHECK(agora_video_packetizer_next(&p, out, sizeof(out), &marker) == 0, "idle after error");
    }
    CHECK(agora_h264_packetizer_start(&p, ok, 0, 1200) == AGORA_ERR_INVALID_ARGUMENT, "empty");
    CHECK(agora_h264_packetizer_start(&p, NULL, 6, 1200) == AGORA_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(agora_h264_packetizer_start(&p, ok, 6, 4) == AGORA_ERR_INVALID_ARGUMENT, "max 4");
    CHECK(agora_h264_packetizer_start(&p, ok, 6, 65496) == AGORA_ERR_INVALID_ARGUMENT, "max big");
    CHECK(agora_h264_packetizer_start(NULL, ok, 6, 1200) == AGORA_ERR_INVALID_ARGUMENT, "NULL p");
    CHECK(agora_vp8_packetizer_start(&p, ok, 0, 0, 1200) == AGORA_ERR_INVALID_ARGUMENT, "vp8 empty");
    CHECK(agora_vp8_packetizer_start(&p, NULL, 3, 0, 1200) == AGORA_ERR_INVALID_ARGUMENT, "vp8 NULL");
    CHECK(agora_vp8_packetizer_start(&p, ok, 6, 0, 4) == AGORA_ERR_INVALID_ARGUMENT, "vp8 max 4");
    CHECK(agora_vp8_packetizer_start(&p, ok, 6, 0, 70000) == AGORA_ERR_INVALID_ARGUMENT, "vp8 max");
    CHECK(agora_video_packetizer_next(&p, out, sizeof(out), &marker) == 0, "idle");
    CHECK(agora_video_packetizer_next(NULL, out, sizeof(out), &marker) == AGORA_ERR_INVALID_ARGUMENT,
          "NULL p next");
    CHECK(agora_video_packetizer_next(&p, NULL, sizeof(out), &marker) == AGORA_ERR_INVALID_ARGUMENT,
          "NULL out");
    CHECK(agora_vp8_packetizer_start(&p, ok, 6, 0x8001, 5) == AGORA_OK &&
              agora_video_packetizer_next(&p, out, sizeof(out), &marker) == 5 && out[2] == 0x80 &&
              out[3] == 0x01 && !marker,
          "picture id mod 2^15, 1 byte per packet");
    agora_video_depacketizer d;
    CHECK(agora_video_depacketizer_init(&d, 3, 100) == AGORA_ERR_INVALID_ARGUMENT, "codec");
    CHECK(agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_VP8, 0) == AGORA_ERR_INVALID_ARGUMENT,
          "size 0");
    CHECK(agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_VP8, (16u << 20) + 1) ==
              AGORA_ERR_INVALID_ARGUMENT, "size");
    agora_video_rtp_frame fr;
    CHECK(agora_video_depacketizer_frame(&d, &fr) == AGORA_ERR_NOT_READY, "no frame");
    agora_video_depacketizer_free(NULL);
    agora_video_depacketizer_reset(NULL);
}

static void test_h264_malformed(void)
{
    agora_video_depacketizer d;
    agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_H264, 64);
    static const struct {
        uint8_t b[12];
        size_t n;
    } bad[] = {
        {{0x00, 1}, 2},                          /* type 0 */
        {{0x19, 0, 2, 0x65, 1}, 5},              /* STAP-B */
        {{0x1A, 1, 2, 3}, 4},                    /* MTAP16 */
        {{0x1D, 0x85, 1}, 3},                    /* FU-B */
        {{0x1E, 1}, 2},                          /* reserved 30 */
        {{0x78, 0, 5, 0x65, 1}, 5},              /* STAP-A length past the end */
        {{0x78, 0, 0, 0, 1, 0x65}, 6},           /* STAP-A zero-length unit */
        {{0x78, 0, 1, 0x65, 0}, 5},              /* STAP-A trailing single byte */
        {{0x78, 0, 1}, 3},                       /* STAP-A too short */
        {{0x78, 0, 2, 0x78, 1}, 5},              /* STAP-A inside STAP-A */
        {{0x7C, 0x85}, 2},                       /* FU-A without data */
        {{0x7C, 0xC5, 1}, 3},                    /* FU-A with S and E */
        {{0x7C, 0x05, 1}, 3},                    /* FU-A middle without start */
        {{0x7C, 0x98, 1}, 3},                    /* FU-A of type 24 */
    };
    uint16_t seq = 1;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(agora_video_depacketizer_push(&d, seq++, (uint32_t)i * 10, 1, bad[i].b, bad[i].n) ==
                  AGORA_VIDEO_DEPACK_FRAME_LOST, "bad %zu", i);
    /* FU-A started, then the marker without an E: incomplete */
    const uint8_t fs[] = {0x7C, 0x85, 0x81, 2}, fm[] = {0x7C, 0x05, 3}, fe[] = {0x7C, 0x45, 4};
    const uint8_t other[] = {0x7C, 0x01, 3}, single[] = {0x65, 9};
    CHECK(agora_video_depacketizer_push(&d, seq++, 500, 0, fs, 4) == 0, "fs");
    CHECK(agora_video_depacketizer_push(&d, seq++, 500, 1, fm, 3) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "no E");
    /* FU-A interrupted by a single NAL / by another NAL type's fragment */
    CHECK(agora_video_depacketizer_push(&d, seq++, 600, 0, fs, 4) == 0, "fs");
    CHECK(agora_video_depacketizer_push(&d, seq++, 600, 1, single, 2) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "single in FU");
    CHECK(agora_video_depacketizer_push(&d, seq++, 700, 0, fs, 4) == 0, "fs");
    CHECK(agora_video_depacketizer_push(&d, seq++, 700, 1, other, 3) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "other type");
    /* a good one: 1 + 2 + 1 + 1 bytes of IDR in 3 fragments -> keyframe */
    CHECK(agora_video_depacketizer_push(&d, seq++, 800, 0, fs, 4) == 0, "fs");
    CHECK(agora_video_depacketizer_push(&d, seq++, 800, 0, fm, 3) == 0, "fm");
    CHECK(agora_video_depacketizer_push(&d, seq++, 800, 1, fe, 3) == AGORA_VIDEO_DEPACK_FRAME_READY,
          "fe");
    agora_video_rtp_frame fr;
    agora_video_depacketizer_frame(&d, &fr);
    const uint8_t want[] = {0, 0, 0, 1, 0x65, 0x81, 2, 3, 4};
    CHECK(fr.len == sizeof(want) && memcmp(fr.data, want, sizeof(want)) == 0 && fr.keyframe &&
              fr.width == 0 && fr.height == 0,
          "reassembled, no SPS: 0x0");
    /* frame larger than the 64-byte buffer, in the STAP-A and FU-A paths */
    uint8_t big[80];
    memset(big, 0x33, sizeof(big));
    big[0] = 0x65, big[1] = big[2] = 0x88;
    CHECK(agora_video_depacketizer_push(&d, seq++, 900, 1, big, 60) == AGORA_VIDEO_DEPACK_FRAME_READY,
          "60 + 4 fits");
    CHECK(agora_video_depacketizer_push(&d, seq++, 901, 1, big, 61) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "61 + 4 does not");
    big[0] = 0x7C, big[1] = 0x85;
    CHECK(agora_video_depacketizer_push(&d, seq++, 902, 0, big, 40) == 0, "fu big 1");
    big[1] = 0x45;
    CHECK(agora_video_depacketizer_push(&d, seq++, 902, 1, big, 40) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "fu too big");
    agora_video_depacketizer_free(&d);
}

/* SPS of real libx264 streams (ffmpeg -f lavfi -i testsrc=size=WxH -pix_fmt
 * yuv420p -c:v libx264 [-profile:v high|baseline] [interlaced] -f h264). */
static void test_sps_dimensions(void)
{
    static const struct {
        const char *hex;
        int w, h;
    } sps[] = {
        {"67640028acd940780227e5c044000003000400000300f03c60c658", 1920, 1080}, /* high, crop 8 */
        {"6764000dacd941419f9f0110000003001000000303c0f1429960", 320, 180},     /* high, crop 12 */
        {"6742c00bd902c4ec0440000003004000000f03c50a92", 176, 144},            /* baseline */
        {"67640015acd941612d8088000003000800000301e0f8a14cb0", 352, 288},       /* interlaced */
    };
    for (size_t i = 0; i < sizeof(sps) / sizeof(sps[0]); i++) {
        uint8_t b[64];
        size_t n = strlen(sps[i].hex) / 2;
        for (size_t j = 0; j < n; j++) {
            unsigned v;
            sscanf(sps[i].hex + 2 * j, "%2x", &v);
            b[j] = (uint8_t)v;
        }
        int w = -1, h = -1;
        CHECK(agora_h264_sps_dimensions(b, n, &w, &h) == AGORA_OK && w == sps[i].w && h == sps[i].h,
              "sps %zu: %dx%d", i, w, h);
        /* every truncation fails cleanly (or still parses when the cut is past
         * the fields read) and never reports garbage */
        for (size_t cut = 0; cut < n; cut++) {
            int r = agora_h264_sps_dimensions(b, cut, &w, &h);
            CHECK((r == AGORA_OK && w == sps[i].w && h == sps[i].h) ||
                      (r == AGORA_ERR_INVALID_ARGUMENT && w == 0 && h == 0),
                  "cut %zu r=%d %dx%d", cut, r, w, h);
        }
        /* through the depacketizer: STAP-A(SPS) + IDR -> dimensions */
        agora_video_depacketizer d;
        agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_H264, 1000);
        uint8_t pkt[80] = {0x78, 0, (uint8_t)n};
        memcpy(pkt + 3, b, n);
        pkt[3 + n] = 0, pkt[4 + n] = 2, pkt[5 + n] = 0x65, pkt[6 + n] = 0x88;
        CHECK(agora_video_depacketizer_push(&d, 7, 1, 1, pkt, 7 + n) == AGORA_VIDEO_DEPACK_FRAME_READY,
              "stap");
        agora_video_rtp_frame fr;
        agora_video_depacketizer_frame(&d, &fr);
        CHECK(fr.keyframe && fr.width == sps[i].w && fr.height == sps[i].h, "frame dims %dx%d",
              fr.width, fr.height);
        agora_video_depacketizer_free(&d);
    }
    int w = 5, h = 5;
    const uint8_t pps[] = {0x68, 0xEB, 0xE3, 0xCB};
    CHECK(agora_h264_sps_dimensions(pps, 4, &w, &h) == AGORA_ERR_INVALID_ARGUMENT && w == 0 && h == 0,
          "not an SPS");
    CHECK(agora_h264_sps_dimensions(NULL, 4, NULL, NULL) == AGORA_ERR_INVALID_ARGUMENT, "NULL");
    /* VP8 frame info */
    const uint8_t key[] = {0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02};
    CHECK(agora_vp8_frame_info(key, sizeof(key), &w, &h) == 1 && w == 1280 && h == 720, "vp8 %dx%d",
          w, h);
    CHECK(agora_vp8_frame_info(key, 9, &w, &h) == 1 && w == 0 && h == 0, "short header");
    const uint8_t scaled[] = {0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x45, 0xd0, 0xC2};
    CHECK(agora_vp8_frame_info(scaled, sizeof(scaled), &w, &h) == 1 && w == 1280 && h == 720,
          "scale bits are not part of the size: %dx%d", w, h);
    const uint8_t nosc[] = {0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2b, 0x00, 0x05, 0xd0, 0x02};
    CHECK(agora_vp8_frame_info(nosc, sizeof(nosc), &w, &h) == 1 && w == 0, "bad start code");
    const uint8_t delta[] = {0x51, 0, 0};
    CHECK(agora_vp8_frame_info(delta, 3, &w, &h) == 0 && w == 0, "delta");
    CHECK(agora_vp8_frame_info(NULL, 0, &w, &h) == 0, "empty");
}

/* ------------------------------------------------------ loss and keyframes */

/* One-packet VP8 frame (key or delta) pushed at seq. */
static int vp8_push(agora_video_depacketizer *d, uint16_t seq, uint32_t ts, int key, int marker,
                    int start)
{
    uint8_t b[8] = {(uint8_t)(start ? 0x10 : 0x00), (uint8_t)(key ? 0x00 : 0x01), 7, 7};
    return agora_video_depacketizer_push(d, seq, ts, marker, b, 4);
}

static void test_loss_and_keyframe_wait(void)
{
    agora_video_depacketizer d;
    agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_VP8, 1000);
    CHECK(agora_video_depacketizer_waiting_keyframe(&d), "waiting from the start");
    CHECK(vp8_push(&d, 100, 1, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_SKIPPED, "delta before key");
    CHECK(vp8_push(&d, 101, 2, 1, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY, "key");
    CHECK(!agora_video_depacketizer_waiting_keyframe(&d), "not waiting");
    CHECK(vp8_push(&d, 102, 3, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY, "delta");
    CHECK(vp8_push(&d, 102, 3, 0, 1, 1) == AGORA_VIDEO_DEPACK_NEED_MORE, "duplicate ignored");
    CHECK(vp8_push(&d, 90, 3, 0, 1, 1) == AGORA_VIDEO_DEPACK_NEED_MORE, "late ignored");
    CHECK(d.packets_ignored == 2, "ignored count");
    /* gap between frames: a whole frame may be gone */
    CHECK(vp8_push(&d, 104, 5, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_LOST, "gap between frames");
    CHECK(agora_video_depacketizer_waiting_keyframe(&d), "waiting after loss");
    CHECK(vp8_push(&d, 105, 6, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_SKIPPED, "delta skipped");
    CHECK(vp8_push(&d, 106, 7, 1, 0, 1) == AGORA_VIDEO_DEPACK_NEED_MORE, "key part 1");
    CHECK(vp8_push(&d, 107, 7, 1, 1, 0) == AGORA_VIDEO_DEPACK_FRAME_READY, "key part 2");
    CHECK(!agora_video_depacketizer_waiting_keyframe(&d), "recovered");
    /* gap inside a frame: lost once, the rest of it is dropped quietly */
    CHECK(vp8_push(&d, 108, 8, 0, 0, 1) == AGORA_VIDEO_DEPACK_NEED_MORE, "p1");
    CHECK(vp8_push(&d, 110, 8, 0, 0, 0) == AGORA_VIDEO_DEPACK_FRAME_LOST, "gap in frame");
    CHECK(vp8_push(&d, 111, 8, 0, 1, 0) == AGORA_VIDEO_DEPACK_NEED_MORE, "rest dropped");
    /* a gap that also swallowed the next keyframe's start */
    CHECK(vp8_push(&d, 115, 9, 1, 1, 0) == AGORA_VIDEO_DEPACK_FRAME_LOST, "start missing");
    uint64_t lost = d.frames_lost;
    CHECK(lost == 3, "lost %llu", (unsigned long long)lost);
    /* gap, and the packet after it is a whole keyframe: READY, loss counted */
    CHECK(vp8_push(&d, 120, 10, 1, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY, "key after gap");
    CHECK(d.frames_lost == lost + 1 && !agora_video_depacketizer_waiting_keyframe(&d), "counted");
    /* marker lost without a seq gap (sender bug): timestamp change loses it */
    CHECK(vp8_push(&d, 121, 11, 0, 0, 1) == AGORA_VIDEO_DEPACK_NEED_MORE, "no marker");
    CHECK(vp8_push(&d, 122, 12, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_LOST, "ts change");
    /* reset: new source, waits again */
    agora_video_depacketizer_reset(&d);
    CHECK(agora_video_depacketizer_waiting_keyframe(&d), "reset waits");
    CHECK(vp8_push(&d, 5, 1, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_SKIPPED, "after reset");
    CHECK(vp8_push(&d, 6, 2, 1, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY, "key after reset");
    agora_video_rtp_frame fr;
    CHECK(agora_video_depacketizer_frame(&d, &fr) == AGORA_OK && fr.keyframe, "frame");
    CHECK(vp8_push(&d, 7, 3, 0, 0, 1) == 0 && agora_video_depacketizer_frame(&d, &fr) ==
              AGORA_ERR_NOT_READY, "frame gone after the next push");
    /* the source jumps back (restart): ignored as late until RESYNC in a row,
     * then taken as after a gap; a gap between resyncs resets the run */
    agora_video_depacketizer_reset(&d);
    CHECK(vp8_push(&d, 5000, 1, 1, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY, "before the jump");
    uint64_t ignored = d.packets_ignored;
    for (int i = 0; i < AGORA_VIDEO_RTP_RESYNC - 1; i++)
        CHECK(vp8_push(&d, (uint16_t)(100 + i), 2, 0, 1, 1) == AGORA_VIDEO_DEPACK_NEED_MORE, "late %d", i);
    CHECK(d.packets_ignored == ignored + AGORA_VIDEO_RTP_RESYNC - 1, "ignored");
    CHECK(vp8_push(&d, 100 + AGORA_VIDEO_RTP_RESYNC - 1, 3, 1, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY &&
              d.last_seq == 100 + AGORA_VIDEO_RTP_RESYNC - 1,
          "resynchronised on a keyframe");
    CHECK(vp8_push(&d, 100 + AGORA_VIDEO_RTP_RESYNC, 4, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY,
          "in sequence again");
    /* sequence wrap is not a gap */
    agora_video_depacketizer_reset(&d);
    CHECK(vp8_push(&d, 65535, 1, 1, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY, "65535");
    CHECK(vp8_push(&d, 0, 2, 0, 1, 1) == AGORA_VIDEO_DEPACK_FRAME_READY, "wrap");
    agora_video_depacketizer_free(&d);

    /* H.264: the IDR is the keyframe; a non-IDR after a loss is skipped */
    agora_video_depacketizer_init(&d, AGORA_VIDEO_RTP_H264, 1000);
    const uint8_t idr[] = {0x65, 0x81}, non[] = {0x41, 0x81};
    CHECK(agora_video_depacketizer_push(&d, 1, 1, 1, non, 2) == AGORA_VIDEO_DEPACK_FRAME_SKIPPED, "p");
    CHECK(agora_video_depacketizer_push(&d, 2, 2, 1, idr, 2) == AGORA_VIDEO_DEPACK_FRAME_READY, "idr");
    CHECK(agora_video_depacketizer_push(&d, 3, 3, 1, non, 2) == AGORA_VIDEO_DEPACK_FRAME_READY, "p ok");
    CHECK(agora_video_depacketizer_push(&d, 5, 4, 1, non, 2) == AGORA_VIDEO_DEPACK_FRAME_LOST, "gap");
    CHECK(agora_video_depacketizer_push(&d, 6, 5, 1, non, 2) == AGORA_VIDEO_DEPACK_FRAME_SKIPPED, "p");
    CHECK(agora_video_depacketizer_push(&d, 7, 6, 1, idr, 2) == AGORA_VIDEO_DEPACK_FRAME_READY, "idr");
    /* a gap that took the first slice of an IDR: the later slices alone
     * (first_mb_in_slice != 0) must not come out as a keyframe */
    const uint8_t idr_slice2[] = {0x65, 0x40, 7}, non_slice2[] = {0x41, 0x40};
    CHECK(agora_video_depacketizer_push(&d, 9, 7, 0, idr_slice2, 3) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "slice 2 after a gap");
    CHECK(agora_video_depacketizer_push(&d, 10, 7, 1, idr_slice2, 3) == AGORA_VIDEO_DEPACK_NEED_MORE,
          "slice 3 dropped");
    CHECK(agora_video_depacketizer_waiting_keyframe(&d), "still waiting");
    /* slices 1 and 2 of one picture: the second may have first_mb != 0 */
    CHECK(agora_video_depacketizer_push(&d, 11, 8, 0, idr, 2) == 0, "slice 1");
    CHECK(agora_video_depacketizer_push(&d, 12, 8, 1, idr_slice2, 3) == AGORA_VIDEO_DEPACK_FRAME_READY,
          "slice 1 + 2");
    CHECK(agora_video_depacketizer_push(&d, 13, 9, 1, non_slice2, 2) == AGORA_VIDEO_DEPACK_FRAME_LOST,
          "a non-IDR starting mid-picture");
    agora_video_depacketizer_free(&d);
}

/* Random payload sequences must never crash or read out of bounds (run it
 * under the sanitizer build); frames handed out stay within the buffer. */
static void test_random_payloads(void)
{
    uint32_t seed = 99;
    uint8_t b[300];
    for (int codec = AGORA_VIDEO_RTP_VP8; codec <= AGORA_VIDEO_RTP_H264; codec++) {
        agora_video_depacketizer d;
        agora_video_depacketizer_init(&d, codec, 2000);
        uint16_t seq = 0;
        for (int i = 0; i < 300000; i++) {
            size_t n = rnd(&seed) % 40;
            fill_random(b, n, &seed);
            if (n && (rnd(&seed) & 3) == 0) /* bias to the interesting types */
                b[0] = (uint8_t)(codec == AGORA_VIDEO_RTP_H264 ? (rnd(&seed) & 0x60) | (24 + (rnd(&seed) & 4))
                                                              : 0x90);
            seq = (uint16_t)(seq + ((rnd(&seed) & 15) == 0 ? rnd(&seed) % 5 : 1));
            int r = agora_video_depacketizer_push(&d, seq, rnd(&seed) & 3, (rnd(&seed) & 3) == 0, b, n);
            CHECK(r >= 0 && r <= 3, "r=%d", r);
            agora_video_rtp_frame fr;
            if (r == AGORA_VIDEO_DEPACK_FRAME_READY) {
                CHECK(agora_video_depacketizer_frame(&d, &fr) == AGORA_OK && fr.len <= 2000 &&
                          fr.data == d.buf,
                      "frame");
                CHECK(fr.width >= 0 && fr.height >= 0, "dims");
            }
        }
        CHECK(d.frames_ready + d.frames_lost + d.frames_skipped > 1000, "exercised");
        agora_video_depacketizer_free(&d);
    }
    for (int i = 0; i < 20000; i++) { /* SPS parser on random bodies */
        size_t n = 1 + rnd(&seed) % 60;
        fill_random(b, n, &seed);
        b[0] = 0x67;
        int w, h;
        if (agora_h264_sps_dimensions(b, n, &w, &h) == AGORA_OK)
            CHECK(w > 0 && h > 0 && w <= 16384 && h <= 16384, "%dx%d", w, h);
        else
            CHECK(w == 0 && h == 0, "0x0 on error");
    }
    for (int i = 0; i < 20000; i++) { /* H.264 packetizer on random Annex B */
        size_t n = 1 + rnd(&seed) % 200;
        fill_random(b, n, &seed);
        for (size_t j = 0; j < n; j++)
            if ((rnd(&seed) & 3) == 0)
                b[j] = (uint8_t)(rnd(&seed) & 1);
        agora_video_packetizer p;
        if (agora_h264_packetizer_start(&p, b, n, 5 + rnd(&seed) % 50) == AGORA_OK)
            CHECK(drain(&p, p.max_payload) > 0, "packets");
    }
    packets_clear();
}

/* ------------------------------------------------------------- PLI / FIR */

static void test_pli_fir(void)
{
    uint8_t buf[64];
    CHECK(agora_rtcp_build_pli(buf, 11, 1, 2) == AGORA_ERR_BUFFER_TOO_SMALL, "pli cap");
    CHECK(agora_rtcp_build_pli(NULL, 64, 1, 2) == AGORA_ERR_INVALID_ARGUMENT, "pli NULL");
    int n = agora_rtcp_build_pli(buf, sizeof(buf), 0x11223344u, 0x55667788u);
    const uint8_t want_pli[] = {0x81, 206, 0, 2, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    CHECK(n == 12 && memcmp(buf, want_pli, 12) == 0, "pli bytes");
    CHECK(agora_rtcp_build_fir(buf + 12, 19, 1, 2, 3) == AGORA_ERR_BUFFER_TOO_SMALL, "fir cap");
    int m = agora_rtcp_build_fir(buf + 12, sizeof(buf) - 12, 0x11223344u, 0x55667788u, 9);
    const uint8_t want_fir[] = {0x84, 206, 0, 4, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
                                0x55, 0x66, 0x77, 0x88, 9, 0, 0, 0};
    CHECK(m == 20 && memcmp(buf + 12, want_fir, 20) == 0, "fir bytes");
    agora_rtcp_iter it;
    agora_rtcp_packet p;
    agora_rtcp_iter_init(&it, buf, 32);
    int is_fir = -1;
    uint8_t fseq = 0;
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_PSFB && p.count == AGORA_RTCP_PSFB_PLI &&
              p.ssrc == 0x11223344u && p.media_ssrc == 0x55667788u && p.fci_len == 0,
          "pli parse");
    CHECK(agora_rtcp_is_keyframe_request(&p, 0x55667788u, &is_fir, &fseq) == 1 && is_fir == 0, "pli");
    CHECK(agora_rtcp_is_keyframe_request(&p, 0x55667789u, &is_fir, &fseq) == 0, "other ssrc");
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_PSFB && p.count == AGORA_RTCP_PSFB_FIR &&
              p.media_ssrc == 0 && p.fci_len == 8,
          "fir parse");
    CHECK(agora_rtcp_is_keyframe_request(&p, 0x55667788u, &is_fir, &fseq) == 1 && is_fir == 1 &&
              fseq == 9,
          "fir");
    CHECK(agora_rtcp_is_keyframe_request(&p, 1, NULL, NULL) == 0, "fir other ssrc");
    CHECK(agora_rtcp_next(&it, &p) == 0, "end");
    CHECK(agora_rtcp_is_keyframe_request(NULL, 1, NULL, NULL) == 0, "NULL");
    /* malformed: PSFB body of 4 bytes; FIR with a 4-byte FCI */
    uint8_t bad[] = {0x81, 206, 0, 1, 0, 0, 0, 1};
    agora_rtcp_iter_init(&it, bad, sizeof(bad));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "short psfb");
    uint8_t bad_fir[] = {0x84, 206, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2};
    agora_rtcp_iter_init(&it, bad_fir, sizeof(bad_fir));
    CHECK(agora_rtcp_next(&it, &p) == AGORA_ERR_INVALID_ARGUMENT, "short fir fci");
    /* an RR + PLI compound (what a receiver sends) */
    uint8_t comp[64];
    int k = agora_rtcp_build_rr(comp, sizeof(comp), 7, NULL, 0);
    k += agora_rtcp_build_pli(comp + k, sizeof(comp) - (size_t)k, 7, 8);
    agora_rtcp_iter_init(&it, comp, (size_t)k);
    CHECK(agora_rtcp_next(&it, &p) == 1 && p.type == AGORA_RTCP_RR, "rr");
    CHECK(agora_rtcp_next(&it, &p) == 1 && agora_rtcp_is_keyframe_request(&p, 8, NULL, NULL) == 1,
          "pli in compound");
}

int main(void)
{
    test_vp8_round_trip();
    test_vp8_descriptor_variants();
    test_vp8_malformed();
    test_h264_round_trip();
    test_h264_layouts();
    test_packetizer_bad_input();
    test_h264_malformed();
    test_sps_dimensions();
    test_loss_and_keyframe_wait();
    test_random_payloads();
    test_pli_fir();
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_video_rtp: all checks passed\n");
    return 0;
}
