/* Unit test of src/_native/net/rtp/srtp_session.c: packets protected by libsrtp
 * itself (the sender role Janus plays) are unprotected by the wrapper.
 * Returns 0 on success. Build and run (from the repo root):
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -Isrc/_native/include \
 *       -Isrc/_native src/_native/net/rtp/srtp_session.c src/_native/net/rtp/rtp.c \
 *       tests/native/test_srtp_session.c $(pkg-config --libs libsrtp2) -lm \
 *       -o /tmp/test_srtp_session && /tmp/test_srtp_session
 * Sanitizers: add -g -fsanitize=address,undefined -fno-sanitize-recover=all. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "agora_rtc/errors.h"
#include "net/rtp/rtp.h"
#include "net/rtp/srtp_session.h"

#include "native_test.h"

/* The sending side, straight on libsrtp (what Janus does for rtp_forward). */
static srtp_t make_sender(int suite, const uint8_t *master)
{
    uint8_t key[AGORA_SRTP_MASTER_LEN];
    memcpy(key, master, sizeof(key));
    srtp_policy_t p;
    memset(&p, 0, sizeof(p));
    if (suite == 32)
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
    else
        srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
    p.ssrc.type = ssrc_any_outbound;
    p.key = key;
    p.window_size = 128;
    srtp_t s = NULL;
    CHECK(srtp_create(&s, &p) == srtp_err_status_ok, "sender create");
    return s;
}

static void run_suite(int suite)
{
    uint8_t master[AGORA_SRTP_MASTER_LEN];
    for (int i = 0; i < AGORA_SRTP_MASTER_LEN; i++)
        master[i] = (uint8_t)(i * 37 + suite);
    srtp_t tx = make_sender(suite, master);
    agora_srtp_session *rx = agora_srtp_session_create(suite, master, sizeof(master));
    CHECK(rx != NULL, "create %d", suite);
    if (!tx || !rx)
        return;
    const int tag = suite == 32 ? 4 : 10;

    /* 100 packets from two interleaved SSRCs, across the 16-bit seq wrap */
    _Alignas(4) uint8_t plain[2][256], wire[2][256 + SRTP_MAX_TRAILER_LEN];
    int wire_len[2] = {0, 0}, plain_len[2] = {0, 0};
    for (int i = 0; i < 100; i++) {
        uint8_t pay[160];
        for (int k = 0; k < 160; k++)
            pay[k] = (uint8_t)(i + k);
        uint32_t ssrc = (i & 1) ? 5555 : 7777;
        int slot = i & 1;
        plain_len[slot] = agora_rtp_build(plain[slot], 256, i == 0, 111, (uint16_t)(65500 + i / 2),
                                          (uint32_t)i * 960u, ssrc, pay, 40 + (size_t)i);
        memcpy(wire[slot], plain[slot], (size_t)plain_len[slot]);
        wire_len[slot] = plain_len[slot];
        CHECK(srtp_protect(tx, wire[slot], &wire_len[slot]) == srtp_err_status_ok, "protect");
        CHECK(wire_len[slot] == plain_len[slot] + tag, "tag %d", wire_len[slot] - plain_len[slot]);
        CHECK(memcmp(wire[slot] + 12, plain[slot] + 12, 16) != 0, "payload encrypted");
        if (i % 10 == 3) {
            /* tampered copy first: rejected, and it must not burn the index */
            _Alignas(4) uint8_t bad[256 + SRTP_MAX_TRAILER_LEN];
            memcpy(bad, wire[slot], (size_t)wire_len[slot]);
            bad[20] ^= 1;
            CHECK(agora_srtp_unprotect(rx, bad, (size_t)wire_len[slot]) == AGORA_ERR_REFUSED,
                  "tampered payload");
            memcpy(bad, wire[slot], (size_t)wire_len[slot]);
            bad[wire_len[slot] - 1] ^= 0x80;
            CHECK(agora_srtp_unprotect(rx, bad, (size_t)wire_len[slot]) == AGORA_ERR_REFUSED,
                  "tampered tag");
        }
        _Alignas(4) uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
        memcpy(buf, wire[slot], (size_t)wire_len[slot]);
        int n = agora_srtp_unprotect(rx, buf, (size_t)wire_len[slot]);
        CHECK(n == plain_len[slot], "unprotect %d -> %d", i, n);
        CHECK(n > 0 && memcmp(buf, plain[slot], (size_t)n) == 0, "plaintext %d", i);
        agora_rtp_packet pk;
        CHECK(n > 0 && agora_rtp_parse(buf, (size_t)n, &pk) == AGORA_OK && pk.ssrc == ssrc &&
                  pk.payload_len == 40 + (size_t)i && pk.payload[0] == (uint8_t)i,
              "parse after unprotect %d", i);
        /* replay of the same packet is refused */
        if (i % 25 == 7) {
            memcpy(buf, wire[slot], (size_t)wire_len[slot]);
            CHECK(agora_srtp_unprotect(rx, buf, (size_t)wire_len[slot]) == AGORA_ERR_REFUSED,
                  "replay %d", i);
        }
    }

    /* out-of-order delivery inside the replay window */
    {
        _Alignas(4) uint8_t a[256 + SRTP_MAX_TRAILER_LEN], b[256 + SRTP_MAX_TRAILER_LEN];
        uint8_t pay[8] = {1, 2, 3, 4, 5, 6, 7, 8};
        int la = agora_rtp_build(a, 256, 0, 111, 20, 0, 9999, pay, 8);
        int lb = agora_rtp_build(b, 256, 0, 111, 21, 960, 9999, pay, 8);
        CHECK(srtp_protect(tx, a, &la) == 0 && srtp_protect(tx, b, &lb) == 0, "protect pair");
        CHECK(agora_srtp_unprotect(rx, b, (size_t)lb) == 20, "newer first");
        CHECK(agora_srtp_unprotect(rx, a, (size_t)la) == 20, "older second");
    }

    /* SRTCP: an RR protected by the sender, unprotected by the wrapper */
    {
        _Alignas(4) uint8_t rr[64 + SRTP_MAX_TRAILER_LEN], orig[64];
        agora_rtcp_report_block blk = {7777, 3, 12, 70000, 240, 0, 0};
        int l = agora_rtcp_build_rr(rr, 64, 7777, &blk, 1);
        memcpy(orig, rr, (size_t)l);
        int lp = l;
        CHECK(srtp_protect_rtcp(tx, rr, &lp) == srtp_err_status_ok, "protect rtcp");
        CHECK(lp == l + 4 + 10, "srtcp trailer %d", lp - l);
        int n = agora_srtp_unprotect_rtcp(rx, rr, (size_t)lp);
        CHECK(n == l && memcmp(rr, orig, (size_t)l) == 0, "unprotect rtcp %d", n);
    }

    /* a session with another key refuses everything */
    uint8_t other[AGORA_SRTP_MASTER_LEN];
    memcpy(other, master, sizeof(other));
    other[0] ^= 1;
    agora_srtp_session *rx2 = agora_srtp_session_create(suite, other, sizeof(other));
    {
        _Alignas(4) uint8_t a[256 + SRTP_MAX_TRAILER_LEN];
        uint8_t pay[8] = {0};
        int la = agora_rtp_build(a, 256, 0, 111, 30, 0, 9999, pay, 8);
        CHECK(srtp_protect(tx, a, &la) == 0, "protect");
        CHECK(agora_srtp_unprotect(rx2, a, (size_t)la) == AGORA_ERR_REFUSED, "wrong key");
    }
    /* malformed input */
    _Alignas(4) uint8_t junk[64] = {0x80, 111};
    CHECK(agora_srtp_unprotect(rx, junk, 11) == AGORA_ERR_INVALID_ARGUMENT, "short");
    CHECK(agora_srtp_unprotect(rx, NULL, 40) == AGORA_ERR_INVALID_ARGUMENT, "null");
    CHECK(agora_srtp_unprotect(rx, junk, 64) < 0, "garbage");
    agora_srtp_session_destroy(rx2);
    agora_srtp_session_destroy(rx);
    srtp_dealloc(tx);
    printf("suite %d: ok (tag %d bytes)\n", suite, tag);
}

int main(void)
{
    uint8_t k0[AGORA_SRTP_MASTER_LEN] = {0};
    CHECK(agora_srtp_session_create(80, k0, sizeof(k0)) == NULL, "no session before init");
    CHECK(agora_srtp_library_init() == AGORA_OK, "init");
    CHECK(agora_srtp_library_init() == AGORA_OK, "init twice");
    uint8_t k[AGORA_SRTP_MASTER_LEN] = {0};
    CHECK(agora_srtp_session_create(81, k, sizeof(k)) == NULL, "bad suite");
    CHECK(agora_srtp_session_create(80, k, 16) == NULL, "bad key length");
    CHECK(agora_srtp_session_create(80, NULL, 30) == NULL, "null key");
    agora_srtp_session_destroy(NULL);
    run_suite(80);
    run_suite(32);
    srtp_shutdown();
    if (failures) {
        printf("test_srtp_session: %d FAILED\n", failures);
        return 1;
    }
    printf("test_srtp_session: all passed\n");
    return 0;
}
