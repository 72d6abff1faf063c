/* libFuzzer harness: the network receive path of the RTP transport, the
 * way rtp_transport.c composes it: SRTP/SRTCP unprotect (a packet that is
 * garbage, or the input encrypted with the right key so the decrypted bytes
 * are attacker-chosen), RTP/RTCP demultiplex and parse, jitter buffer, then
 * Opus decode / FEC / PLC on whatever comes out. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <srtp2/srtp.h>
#include "net/rtp/jitter_buffer.h"
#include "audio/codec/opus_codec.h"
#include "net/rtp/rtp.h"
#include "net/rtp/srtp_session.h"

#define PKT_SAMPLES 960
static volatile uint32_t sink;
static const uint8_t key[30] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

/* The sending side (libsrtp directly): encrypts the fuzz input with the
 * receiver's key, so the decrypted content reaching the parsers is fuzzed too. */
static srtp_t make_sender(uint32_t ssrc)
{
    srtp_policy_t pol;
    memset(&pol, 0, sizeof(pol));
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol.rtcp);
    pol.ssrc.type = ssrc_specific;
    pol.ssrc.value = ssrc;
    pol.key = (unsigned char *)key;
    pol.window_size = 1024;
    srtp_t s = NULL;
    if (srtp_create(&s, &pol) != srtp_err_status_ok)
        return NULL;
    return s;
}

static void play(agora_jb *jb, agora_opus_decoder *dec, int64_t now, int16_t *pcm)
{
    agora_jb_frame fr;
    int kind = agora_jb_pull(jb, now, &fr);
    int n = 0;
    if (kind == AGORA_JB_PACKET) {
        if (fr.restart)
            agora_opus_decoder_reset(dec);
        n = agora_opus_decode(dec, fr.payload, (int)fr.payload_len, pcm, PKT_SAMPLES);
        if (n <= 0)
            n = agora_opus_decode_plc(dec, pcm, PKT_SAMPLES);
    } else if (kind == AGORA_JB_LOST) {
        if (fr.fec_payload && fr.fec_payload_len > 0)
            n = agora_opus_decode_fec(dec, fr.fec_payload, (int)fr.fec_payload_len, pcm, PKT_SAMPLES);
        if (n <= 0)
            n = agora_opus_decode_plc(dec, pcm, PKT_SAMPLES);
    }
    if (n > PKT_SAMPLES)
        abort();
    for (int i = 0; i < n; i++)
        sink += (uint16_t)pcm[i];
}

static void receive(uint8_t *buf, size_t len, agora_srtp_session *srtp, agora_jb *jb, int64_t now)
{
    int kind = agora_rtp_is_rtcp(buf, len);
    if (kind < 0)
        return;
    if (kind == 1) {
        if (srtp) {
            int n = agora_srtp_unprotect_rtcp(srtp, buf, len);
            if (n < 0)
                return;
            if ((size_t)n > len)
                abort();
            len = (size_t)n;
        }
        agora_rtcp_iter it;
        agora_rtcp_packet p;
        agora_rtcp_iter_init(&it, buf, len);
        while (agora_rtcp_next(&it, &p) == 1)
            for (int i = 0; i < p.count; i++) {
                agora_rtcp_report_block b;
                if (agora_rtcp_get_report(&p, i, &b) == 0)
                    sink += b.ssrc;
            }
        return;
    }
    if (len < AGORA_RTP_HEADER_SIZE)
        return;
    if (srtp) {
        int n = agora_srtp_unprotect(srtp, buf, len);
        if (n < 0)
            return;
        if ((size_t)n > len)
            abort();
        len = (size_t)n;
    }
    agora_rtp_packet p;
    if (agora_rtp_parse(buf, len, &p) != 0 || p.payload_len == 0)
        return;
    agora_jb_insert(jb, 0x1234, p.seq, p.timestamp, p.marker, p.payload, p.payload_len, now);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        if (agora_srtp_library_init() != 0)
            abort();
        inited = 1;
    }
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    agora_srtp_session *srtp = NULL;
    srtp_t sender = NULL;
    if (mode & 1) {
        srtp = agora_srtp_session_create(AGORA_SRTP_AES128_CM_SHA1_80, key, sizeof(key));
        if (!srtp)
            abort();
        if (mode & 2)
            sender = make_sender(0x1234);
    }
    agora_jb *jb = agora_jb_create(NULL);
    agora_opus_decoder *dec = agora_opus_decoder_create((mode & 4) ? 2 : 1);
    int16_t *pcm = malloc(sizeof(int16_t) * PKT_SAMPLES * 2);
    if (!jb || !dec || !pcm)
        abort();
    /* the input is a list of datagrams: 2-byte length, bytes */
    int64_t now = 1000;
    size_t off = 0;
    while (off + 2 <= size) {
        size_t n = (size_t)(data[off] << 8 | data[off + 1]) % 1600;
        off += 2;
        if (n > size - off)
            n = size - off;
        uint8_t *buf = malloc(n + SRTP_MAX_TRAILER_LEN + 1);
        if (!buf)
            abort();
        memcpy(buf, data + off, n);
        off += n;
        size_t len = n;
        if (sender && len >= 12) {
            int plen = (int)len;
            int rtcp = agora_rtp_is_rtcp(buf, len) == 1;
            if (!rtcp) { /* the sender's SSRC, so the receiver's policy matches */
                buf[8] = 0; buf[9] = 0; buf[10] = 0x12; buf[11] = 0x34;
            }
            srtp_err_status_t st = rtcp ? srtp_protect_rtcp(sender, buf, &plen)
                                        : srtp_protect(sender, buf, &plen);
            if (st == srtp_err_status_ok)
                len = (size_t)plen;
        }
        /* an exact-size copy so ASan sees reads past the datagram */
        uint8_t *pkt = malloc(len ? len : 1);
        if (!pkt)
            abort();
        memcpy(pkt, buf, len);
        free(buf);
        receive(pkt, len, srtp, jb, now);
        free(pkt);
        now += 20;
        play(jb, dec, now, pcm);
    }
    for (int i = 0; i < 8; i++)
        play(jb, dec, now += 20, pcm);
    free(pcm);
    agora_opus_decoder_destroy(dec);
    agora_jb_destroy(jb);
    if (sender)
        srtp_dealloc(sender);
    agora_srtp_session_destroy(srtp);
    return 0;
}
