/* libFuzzer harness: the RTP and RTCP parsers (src/_native/net/rtp/rtp.c) on
 * arbitrary datagrams, with every accessor walked over what they return.
 * AddressSanitizer/UBSan catch any read outside the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net/rtp/rtp.h"

static volatile uint32_t sink; /* keeps the reads from being optimised away */

static void walk_rtp(const uint8_t *buf, size_t len)
{
    agora_rtp_packet p;
    if (agora_rtp_parse(buf, len, &p) != 0)
        return;
    if (p.header_len + p.payload_len + p.padding_len != len)
        abort(); /* the three parts must tile the datagram */
    for (size_t i = 0; i < p.payload_len; i++)
        sink += p.payload[i];
    for (int id = 0; id <= 256; id++) {
        const uint8_t *d;
        size_t n;
        if (agora_rtp_find_extension(&p, id, &d, &n) == 1)
            for (size_t i = 0; i < n; i++)
                sink += d[i];
    }
}

static void walk_rtcp(const uint8_t *buf, size_t len)
{
    agora_rtcp_iter it;
    agora_rtcp_packet p;
    agora_rtcp_iter_init(&it, buf, len);
    while (agora_rtcp_next(&it, &p) == 1) {
        for (size_t i = 0; i < p.body_len; i++)
            sink += p.body[i];
        for (int i = 0; i <= p.count; i++) {
            agora_rtcp_report_block b;
            if (agora_rtcp_get_report(&p, i, &b) == 0)
                sink += b.ssrc + b.jitter;
            sink += agora_rtcp_bye_ssrc(&p, i);
        }
        for (size_t i = 0; i < p.ext_len; i++)
            sink += p.ext[i];
        for (size_t i = 0; i < p.app_data_len; i++)
            sink += p.app_data[i];
        for (size_t i = 0; i < p.bye_reason_len; i++)
            sink += p.bye_reason[i];
        for (size_t i = 0; i < p.fci_len; i++) /* RTPFB / PSFB feedback */
            sink += p.fci[i];
        int is_fir = 0;
        uint8_t fir_seq = 0;
        sink += (uint32_t)agora_rtcp_is_keyframe_request(&p, p.media_ssrc, &is_fir, &fir_seq);
        if (p.fci_len >= 8)
            sink += (uint32_t)agora_rtcp_is_keyframe_request(&p, (uint32_t)p.fci[0] << 24 | p.fci[1] << 16 |
                                                                     p.fci[2] << 8 | p.fci[3],
                                                             &is_fir, &fir_seq);
        agora_rtcp_sdes_iter si;
        uint32_t ssrc;
        uint8_t type;
        const uint8_t *d;
        size_t n;
        agora_rtcp_sdes_iter_init(&si, &p);
        while (agora_rtcp_sdes_next(&si, &ssrc, &type, &d, &n) == 1)
            for (size_t i = 0; i < n; i++)
                sink += d[i];
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy, so ASan sees the first byte past the end */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    sink += (uint32_t)agora_rtp_is_rtcp(buf, size);
    walk_rtp(buf, size);
    walk_rtcp(buf, size);
    /* the receive-statistics and report arithmetic on values from the input */
    if (size >= 12) {
        agora_rtp_rx_stats s;
        agora_rtp_rx_init(&s, 1, 48000);
        for (size_t i = 0; i + 6 <= size; i += 6) {
            uint16_t seq = (uint16_t)(buf[i] << 8 | buf[i + 1]);
            uint32_t ts = (uint32_t)buf[i + 2] << 24 | (uint32_t)buf[i + 3] << 16 |
                          (uint32_t)buf[i + 4] << 8 | buf[i + 5];
            agora_rtp_rx_update(&s, seq, ts, (uint64_t)i * 20000u);
        }
        agora_rtcp_report_block b;
        agora_rtp_rx_report(&s, (uint64_t)size * 20000u, &b);
        sink += b.cumulative_lost;
    }
    free(buf);
    return 0;
}
