/* RTP / RTCP wire format and receiver statistics: see rtp.h.
 *
 * Bounds discipline: every parser keeps (pointer, remaining length) pairs
 * and checks a length against what remains BEFORE reading, with all sizes in
 * size_t so nothing can go negative or wrap. */
#include "net/rtp/rtp.h"

#include <string.h>
#include <time.h>

#include "agora_rtc/errors.h"

/* ------------------------------------------------------- byte helpers */

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static inline uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* ---------------------------------------------------------------- RTP */

int agora_rtp_parse(const uint8_t *buf, size_t len, agora_rtp_packet *out)
{
    if (!buf || !out || len < AGORA_RTP_HEADER_SIZE)
        return AGORA_ERR_INVALID_ARGUMENT;
    if ((buf[0] >> 6) != AGORA_RTP_VERSION)
        return AGORA_ERR_INVALID_ARGUMENT;

    out->version = AGORA_RTP_VERSION;
    out->padding = (buf[0] >> 5) & 1;
    out->extension = (buf[0] >> 4) & 1;
    out->csrc_count = buf[0] & 0x0F;
    out->marker = buf[1] >> 7;
    out->payload_type = buf[1] & 0x7F;
    out->seq = rd16(buf + 2);
    out->timestamp = rd32(buf + 4);
    out->ssrc = rd32(buf + 8);

    size_t pos = AGORA_RTP_HEADER_SIZE;
    size_t csrc_bytes = 4u * out->csrc_count;
    if (len - pos < csrc_bytes)
        return AGORA_ERR_INVALID_ARGUMENT;
    for (unsigned i = 0; i < out->csrc_count; i++)
        out->csrc[i] = rd32(buf + pos + 4u * i);
    pos += csrc_bytes;

    out->ext_profile = 0;
    out->ext_data = NULL;
    out->ext_len = 0;
    if (out->extension) {
        if (len - pos < 4)
            return AGORA_ERR_INVALID_ARGUMENT;
        out->ext_profile = rd16(buf + pos);
        size_t ext_len = 4u * (size_t)rd16(buf + pos + 2);
        pos += 4;
        if (len - pos < ext_len)
            return AGORA_ERR_INVALID_ARGUMENT;
        out->ext_data = buf + pos;
        out->ext_len = ext_len;
        pos += ext_len;
    }
    out->header_len = pos;

    /* pos <= len here. Padding: the last byte counts the padding bytes,
     * itself included, and may only cover what follows the header. */
    size_t pad = 0;
    if (out->padding) {
        if (len == pos)
            return AGORA_ERR_INVALID_ARGUMENT;
        pad = buf[len - 1];
        if (pad == 0 || pad > len - pos)
            return AGORA_ERR_INVALID_ARGUMENT;
    }
    out->padding_len = pad;
    out->payload = buf + pos;
    out->payload_len = len - pos - pad;
    return AGORA_OK;
}

int agora_rtp_is_rtcp(const uint8_t *buf, size_t len)
{
    if (!buf || len < 2 || (buf[0] >> 6) != AGORA_RTP_VERSION)
        return -1;
    return (buf[1] >= 192 && buf[1] <= 223) ? 1 : 0;
}

int agora_rtp_find_extension(const agora_rtp_packet *pkt, int id,
                             const uint8_t **data, size_t *len)
{
    if (!pkt || !pkt->extension || !pkt->ext_data || id <= 0)
        return 0;
    const uint8_t *e = pkt->ext_data;
    size_t n = pkt->ext_len, pos = 0;
    if (pkt->ext_profile == 0xBEDE) { /* one-byte elements */
        if (id > 14)
            return 0;
        while (pos < n) {
            uint8_t b = e[pos];
            if (b == 0) { /* padding */
                pos++;
                continue;
            }
            int eid = b >> 4;
            size_t elen = (size_t)(b & 0x0F) + 1;
            if (eid == 15) /* reserved: stop processing */
                return 0;
            if (n - pos - 1 < elen)
                return 0;
            if (eid == id) {
                if (data)
                    *data = e + pos + 1;
                if (len)
                    *len = elen;
                return 1;
            }
            pos += 1 + elen;
        }
    } else if ((pkt->ext_profile & 0xFFF0) == 0x1000) { /* two-byte elements */
        if (id > 255)
            return 0;
        while (pos < n) {
            uint8_t eid = e[pos];
            if (eid == 0) {
                pos++;
                continue;
            }
            if (n - pos < 2)
                return 0;
            size_t elen = e[pos + 1];
            if (n - pos - 2 < elen)
                return 0;
            if (eid == id) {
                if (data)
                    *data = e + pos + 2;
                if (len)
                    *len = elen;
                return 1;
            }
            pos += 2 + elen;
        }
    }
    return 0;
}

int agora_rtp_write_header(uint8_t *buf, size_t cap, int marker, int payload_type,
                           uint16_t seq, uint32_t timestamp, uint32_t ssrc)
{
    if (!buf || payload_type < 0 || payload_type > 127)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cap < AGORA_RTP_HEADER_SIZE)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    buf[0] = AGORA_RTP_VERSION << 6;
    buf[1] = (uint8_t)((marker ? 0x80 : 0) | payload_type);
    wr16(buf + 2, seq);
    wr32(buf + 4, timestamp);
    wr32(buf + 8, ssrc);
    return AGORA_RTP_HEADER_SIZE;
}

int agora_rtp_build(uint8_t *buf, size_t cap, int marker, int payload_type,
                    uint16_t seq, uint32_t timestamp, uint32_t ssrc,
                    const uint8_t *payload, size_t payload_len)
{
    if (!buf || (!payload && payload_len) || payload_type < 0 || payload_type > 127 ||
        payload_len > (size_t)(0x7FFFFFFF - AGORA_RTP_HEADER_SIZE))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cap < AGORA_RTP_HEADER_SIZE || cap - AGORA_RTP_HEADER_SIZE < payload_len)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    int r = agora_rtp_write_header(buf, cap, marker, payload_type, seq, timestamp, ssrc);
    if (r < 0)
        return r;
    if (payload_len && payload != buf + AGORA_RTP_HEADER_SIZE)
        memmove(buf + AGORA_RTP_HEADER_SIZE, payload, payload_len);
    return (int)(AGORA_RTP_HEADER_SIZE + payload_len);
}

/* ---------------------------------------------------------------- NTP */

#define NTP_UNIX_OFFSET 2208988800u /* seconds from 1900-01-01 to 1970-01-01 */

uint64_t agora_ntp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t sec = (uint64_t)ts.tv_sec + NTP_UNIX_OFFSET;
    uint64_t frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000u;
    return (sec << 32) | (frac & 0xFFFFFFFFu);
}

/* --------------------------------------------------------------- RTCP */

/* Validate the SDES chunk list of body (count chunks); returns 0 if ok. */
static int sdes_validate(const uint8_t *b, size_t n, int count)
{
    size_t pos = 0;
    for (int c = 0; c < count; c++) {
        if (n - pos < 4)
            return -1;
        size_t chunk = pos;
        pos += 4;
        for (;;) {
            if (pos >= n)
                return -1; /* no END item */
            if (b[pos] == AGORA_SDES_END) {
                pos++;
                size_t rel = pos - chunk;
                size_t padded = chunk + ((rel + 3) & ~(size_t)3);
                if (padded > n)
                    return -1;
                pos = padded;
                break;
            }
            if (n - pos < 2)
                return -1;
            size_t ilen = b[pos + 1];
            if (n - pos - 2 < ilen)
                return -1;
            pos += 2 + ilen;
        }
    }
    return 0;
}

void agora_rtcp_iter_init(agora_rtcp_iter *it, const uint8_t *buf, size_t len)
{
    if (!it)
        return;
    it->buf = buf;
    it->len = buf ? len : 0;
    it->off = 0;
}

int agora_rtcp_next(agora_rtcp_iter *it, agora_rtcp_packet *out)
{
    if (!it || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!it->buf || it->off >= it->len)
        return 0;
    const uint8_t *p = it->buf + it->off;
    size_t left = it->len - it->off;
    it->off = it->len; /* a failure below ends the iteration */

    if (left < 4 || (p[0] >> 6) != AGORA_RTP_VERSION)
        return AGORA_ERR_INVALID_ARGUMENT;
    size_t total = 4u * ((size_t)rd16(p + 2) + 1);
    if (total > left)
        return AGORA_ERR_INVALID_ARGUMENT;

    memset(out, 0, sizeof(*out));
    out->padding = (p[0] >> 5) & 1;
    out->count = p[0] & 0x1F;
    out->type = p[1];
    out->length = total;
    out->body = p + 4;
    size_t n = total - 4;
    if (out->padding) {
        size_t pad = p[total - 1];
        if (pad == 0 || pad > n)
            return AGORA_ERR_INVALID_ARGUMENT;
        n -= pad;
    }
    out->body_len = n;
    const uint8_t *b = out->body;
    size_t cnt = out->count;

    switch (out->type) {
    case AGORA_RTCP_SR:
        if (n < 24 || (n - 24) / AGORA_RTCP_REPORT_BLOCK_SIZE < cnt)
            return AGORA_ERR_INVALID_ARGUMENT;
        out->ssrc = rd32(b);
        out->sender.ntp = ((uint64_t)rd32(b + 4) << 32) | rd32(b + 8);
        out->sender.rtp_ts = rd32(b + 12);
        out->sender.packet_count = rd32(b + 16);
        out->sender.octet_count = rd32(b + 20);
        out->reports = b + 24;
        out->ext = b + 24 + cnt * AGORA_RTCP_REPORT_BLOCK_SIZE;
        out->ext_len = n - 24 - cnt * AGORA_RTCP_REPORT_BLOCK_SIZE;
        break;
    case AGORA_RTCP_RR:
        if (n < 4 || (n - 4) / AGORA_RTCP_REPORT_BLOCK_SIZE < cnt)
            return AGORA_ERR_INVALID_ARGUMENT;
        out->ssrc = rd32(b);
        out->reports = b + 4;
        out->ext = b + 4 + cnt * AGORA_RTCP_REPORT_BLOCK_SIZE;
        out->ext_len = n - 4 - cnt * AGORA_RTCP_REPORT_BLOCK_SIZE;
        break;
    case AGORA_RTCP_SDES:
        if (sdes_validate(b, n, (int)cnt) != 0)
            return AGORA_ERR_INVALID_ARGUMENT;
        out->ssrc = cnt ? rd32(b) : 0;
        break;
    case AGORA_RTCP_BYE: {
        if (n / 4 < cnt)
            return AGORA_ERR_INVALID_ARGUMENT;
        size_t pos = 4 * cnt;
        out->ssrc = cnt ? rd32(b) : 0;
        if (pos < n) {
            size_t rl = b[pos];
            if (n - pos - 1 < rl)
                return AGORA_ERR_INVALID_ARGUMENT;
            if (rl) {
                out->bye_reason = b + pos + 1;
                out->bye_reason_len = rl;
            }
        }
        break;
    }
    case AGORA_RTCP_APP:
        if (n < 8)
            return AGORA_ERR_INVALID_ARGUMENT;
        out->ssrc = rd32(b);
        memcpy(out->app_name, b + 4, 4);
        out->app_name[4] = '\0';
        out->app_data = b + 8;
        out->app_data_len = n - 8;
        break;
    case AGORA_RTCP_RTPFB:
    case AGORA_RTCP_PSFB:
        /* RFC 4585 6.1: sender SSRC, media source SSRC, then the FCI */
        if (n < 8)
            return AGORA_ERR_INVALID_ARGUMENT;
        out->ssrc = rd32(b);
        out->media_ssrc = rd32(b + 4);
        out->fci = b + 8;
        out->fci_len = n - 8;
        if (out->type == AGORA_RTCP_PSFB && cnt == AGORA_RTCP_PSFB_FIR &&
            (out->fci_len == 0 || out->fci_len % 8 != 0))
            return AGORA_ERR_INVALID_ARGUMENT; /* RFC 5104 4.3.1.1: 8-byte entries */
        break;
    default:
        out->ssrc = n >= 4 ? rd32(b) : 0;
        break;
    }
    it->off = (size_t)(p - it->buf) + total;
    return 1;
}

int agora_rtcp_get_report(const agora_rtcp_packet *pkt, int i, agora_rtcp_report_block *out)
{
    if (!pkt || !out || !pkt->reports || i < 0 || i >= pkt->count ||
        (pkt->type != AGORA_RTCP_SR && pkt->type != AGORA_RTCP_RR))
        return AGORA_ERR_INVALID_ARGUMENT;
    const uint8_t *r = pkt->reports + (size_t)i * AGORA_RTCP_REPORT_BLOCK_SIZE;
    out->ssrc = rd32(r);
    out->fraction_lost = r[4];
    uint32_t cl = ((uint32_t)r[5] << 16) | ((uint32_t)r[6] << 8) | r[7];
    /* sign-extend the 24-bit field without relying on implementation-defined shifts */
    out->cumulative_lost = (cl & 0x800000u) ? (int32_t)cl - 0x1000000 : (int32_t)cl;
    out->ext_highest_seq = rd32(r + 8);
    out->jitter = rd32(r + 12);
    out->lsr = rd32(r + 16);
    out->dlsr = rd32(r + 20);
    return AGORA_OK;
}

void agora_rtcp_sdes_iter_init(agora_rtcp_sdes_iter *it, const agora_rtcp_packet *pkt)
{
    if (!it)
        return;
    it->pkt = pkt;
    it->pos = 0;
    it->chunks_left = (pkt && pkt->type == AGORA_RTCP_SDES && pkt->body) ? pkt->count : 0;
    it->in_chunk = 0;
    it->ssrc = 0;
}

int agora_rtcp_sdes_next(agora_rtcp_sdes_iter *it, uint32_t *ssrc, uint8_t *type,
                         const uint8_t **data, size_t *len)
{
    if (!it || !it->pkt || !it->pkt->body)
        return 0;
    const uint8_t *b = it->pkt->body;
    size_t n = it->pkt->body_len;
    for (;;) {
        if (!it->in_chunk) {
            if (it->chunks_left <= 0 || it->pos > n || n - it->pos < 4) {
                it->chunks_left = 0;
                return 0;
            }
            it->ssrc = rd32(b + it->pos);
            it->pos += 4;
            it->chunks_left--;
            it->in_chunk = 1;
        }
        if (it->pos >= n) {
            it->chunks_left = 0;
            it->in_chunk = 0;
            return 0;
        }
        uint8_t t = b[it->pos];
        if (t == AGORA_SDES_END) {
            /* skip the END octet and the null padding to the next 32-bit
             * boundary (chunks begin at multiples of 4 within the body) */
            it->pos = (it->pos + 1 + 3) & ~(size_t)3;
            it->in_chunk = 0;
            continue;
        }
        if (n - it->pos < 2 || n - it->pos - 2 < b[it->pos + 1]) {
            it->chunks_left = 0;
            it->in_chunk = 0;
            return 0;
        }
        size_t l = b[it->pos + 1];
        if (ssrc)
            *ssrc = it->ssrc;
        if (type)
            *type = t;
        if (data)
            *data = b + it->pos + 2;
        if (len)
            *len = l;
        it->pos += 2 + l;
        return 1;
    }
}

uint32_t agora_rtcp_bye_ssrc(const agora_rtcp_packet *pkt, int i)
{
    if (!pkt || !pkt->body || pkt->type != AGORA_RTCP_BYE || i < 0 || i >= pkt->count ||
        (size_t)i * 4 + 4 > pkt->body_len)
        return 0;
    return rd32(pkt->body + (size_t)i * 4);
}

static void write_rtcp_header(uint8_t *p, int count, int type, size_t total)
{
    p[0] = (uint8_t)((AGORA_RTP_VERSION << 6) | (count & 0x1F));
    p[1] = (uint8_t)type;
    wr16(p + 2, (uint16_t)(total / 4 - 1));
}

static void write_report_blocks(uint8_t *p, const agora_rtcp_report_block *blocks, int n)
{
    for (int i = 0; i < n; i++, p += AGORA_RTCP_REPORT_BLOCK_SIZE) {
        const agora_rtcp_report_block *rb = &blocks[i];
        int32_t cl = rb->cumulative_lost;
        if (cl > 0x7FFFFF)
            cl = 0x7FFFFF;
        if (cl < -0x800000)
            cl = -0x800000;
        uint32_t cl24 = (uint32_t)cl & 0xFFFFFFu;
        wr32(p, rb->ssrc);
        p[4] = rb->fraction_lost;
        p[5] = (uint8_t)(cl24 >> 16);
        p[6] = (uint8_t)(cl24 >> 8);
        p[7] = (uint8_t)cl24;
        wr32(p + 8, rb->ext_highest_seq);
        wr32(p + 12, rb->jitter);
        wr32(p + 16, rb->lsr);
        wr32(p + 20, rb->dlsr);
    }
}

int agora_rtcp_build_sr(uint8_t *buf, size_t cap, uint32_t ssrc,
                        const agora_rtcp_sender_info *si,
                        const agora_rtcp_report_block *blocks, int n)
{
    if (!buf || !si || n < 0 || n > AGORA_RTCP_MAX_REPORTS || (n > 0 && !blocks))
        return AGORA_ERR_INVALID_ARGUMENT;
    size_t total = 28 + (size_t)n * AGORA_RTCP_REPORT_BLOCK_SIZE;
    if (cap < total)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    write_rtcp_header(buf, n, AGORA_RTCP_SR, total);
    wr32(buf + 4, ssrc);
    wr32(buf + 8, (uint32_t)(si->ntp >> 32));
    wr32(buf + 12, (uint32_t)si->ntp);
    wr32(buf + 16, si->rtp_ts);
    wr32(buf + 20, si->packet_count);
    wr32(buf + 24, si->octet_count);
    write_report_blocks(buf + 28, blocks, n);
    return (int)total;
}

int agora_rtcp_build_rr(uint8_t *buf, size_t cap, uint32_t ssrc,
                        const agora_rtcp_report_block *blocks, int n)
{
    if (!buf || n < 0 || n > AGORA_RTCP_MAX_REPORTS || (n > 0 && !blocks))
        return AGORA_ERR_INVALID_ARGUMENT;
    size_t total = 8 + (size_t)n * AGORA_RTCP_REPORT_BLOCK_SIZE;
    if (cap < total)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    write_rtcp_header(buf, n, AGORA_RTCP_RR, total);
    wr32(buf + 4, ssrc);
    write_report_blocks(buf + 8, blocks, n);
    return (int)total;
}

int agora_rtcp_build_bye(uint8_t *buf, size_t cap, const uint32_t *ssrcs, int n)
{
    if (!buf || n < 1 || n > AGORA_RTCP_MAX_REPORTS || !ssrcs)
        return AGORA_ERR_INVALID_ARGUMENT;
    size_t total = 4 + (size_t)n * 4;
    if (cap < total)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    write_rtcp_header(buf, n, AGORA_RTCP_BYE, total);
    for (int i = 0; i < n; i++)
        wr32(buf + 4 + 4 * (size_t)i, ssrcs[i]);
    return (int)total;
}

int agora_rtp_build_keepalive(uint8_t *buf, size_t cap, int payload_type, uint16_t seq,
                              uint32_t timestamp, uint32_t ssrc)
{
    if (cap < AGORA_RTP_KEEPALIVE_SIZE)
        return buf ? AGORA_ERR_BUFFER_TOO_SMALL : AGORA_ERR_INVALID_ARGUMENT;
    int r = agora_rtp_write_header(buf, cap, 0, payload_type, seq, timestamp, ssrc);
    if (r < 0)
        return r;
    buf[0] |= 0x20; /* P: everything after the header is padding */
    const size_t pad = AGORA_RTP_KEEPALIVE_SIZE - AGORA_RTP_HEADER_SIZE;
    memset(buf + AGORA_RTP_HEADER_SIZE, 0, pad - 1);
    buf[AGORA_RTP_KEEPALIVE_SIZE - 1] = (uint8_t)pad;
    return AGORA_RTP_KEEPALIVE_SIZE;
}

int agora_rtcp_build_pli(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc)
{
    if (!buf)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cap < AGORA_RTCP_PLI_SIZE)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    write_rtcp_header(buf, AGORA_RTCP_PSFB_PLI, AGORA_RTCP_PSFB, AGORA_RTCP_PLI_SIZE);
    wr32(buf + 4, sender_ssrc);
    wr32(buf + 8, media_ssrc);
    return AGORA_RTCP_PLI_SIZE;
}

int agora_rtcp_build_fir(uint8_t *buf, size_t cap, uint32_t sender_ssrc, uint32_t media_ssrc,
                         uint8_t seq_nr)
{
    if (!buf)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (cap < AGORA_RTCP_FIR_SIZE)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    write_rtcp_header(buf, AGORA_RTCP_PSFB_FIR, AGORA_RTCP_PSFB, AGORA_RTCP_FIR_SIZE);
    wr32(buf + 4, sender_ssrc);
    wr32(buf + 8, 0); /* RFC 5104 4.3.1.2: the media source field is unused */
    wr32(buf + 12, media_ssrc);
    buf[16] = seq_nr;
    buf[17] = buf[18] = buf[19] = 0; /* reserved */
    return AGORA_RTCP_FIR_SIZE;
}

int agora_rtcp_is_keyframe_request(const agora_rtcp_packet *pkt, uint32_t media_ssrc,
                                   int *is_fir, uint8_t *fir_seq_nr)
{
    if (!pkt || pkt->type != AGORA_RTCP_PSFB)
        return 0;
    if (pkt->count == AGORA_RTCP_PSFB_PLI && pkt->media_ssrc == media_ssrc) {
        if (is_fir)
            *is_fir = 0;
        return 1;
    }
    if (pkt->count == AGORA_RTCP_PSFB_FIR && pkt->fci) {
        for (size_t off = 0; pkt->fci_len >= 8 && off <= pkt->fci_len - 8; off += 8) {
            if (rd32(pkt->fci + off) == media_ssrc) {
                if (is_fir)
                    *is_fir = 1;
                if (fir_seq_nr)
                    *fir_seq_nr = pkt->fci[off + 4];
                return 1;
            }
        }
    }
    return 0;
}

int agora_rtcp_build_sdes_cname(uint8_t *buf, size_t cap, uint32_t ssrc,
                                const char *cname, size_t cname_len)
{
    if (!buf || !cname || cname_len == 0 || cname_len > 255)
        return AGORA_ERR_INVALID_ARGUMENT;
    /* header 4 + ssrc 4 + item (2 + len) + END, padded to 32 bits */
    size_t chunk = 4 + 2 + cname_len + 1;
    size_t total = 4 + ((chunk + 3) & ~(size_t)3);
    if (cap < total)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    write_rtcp_header(buf, 1, AGORA_RTCP_SDES, total);
    wr32(buf + 4, ssrc);
    buf[8] = AGORA_SDES_CNAME;
    buf[9] = (uint8_t)cname_len;
    memcpy(buf + 10, cname, cname_len);
    memset(buf + 10 + cname_len, 0, total - 10 - cname_len); /* END + padding */
    return (int)total;
}

/* ------------------------------------------------ receiver statistics */

#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000u
#define MAX_MISORDER 100u
#define MIN_SEQUENTIAL 2u

/* (Re)start the counters at seq: it becomes the base of the loss count. */
static void rx_init_seq(agora_rtp_rx_stats *s, uint16_t seq)
{
    s->base_seq = seq;
    s->max_seq = seq;
    s->bad_seq = RTP_SEQ_MOD + 1; /* never equal to a 16-bit seq */
    s->cycles = 0;
    s->received = 0;
    s->received_prior = 0;
    s->expected_prior = 0;
    s->have_transit = 0;
}

void agora_rtp_rx_init(agora_rtp_rx_stats *s, uint32_t ssrc, uint32_t clock_rate)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
    s->ssrc = ssrc;
    s->clock_rate = clock_rate ? clock_rate : 48000;
    s->bad_seq = RTP_SEQ_MOD + 1;
}

/* arrival time on the RTP clock, modulo 2^32 (only differences matter) */
static uint32_t rx_arrival_rtp(const agora_rtp_rx_stats *s, uint64_t us)
{
    uint64_t r = s->clock_rate;
    return (uint32_t)((us / 1000000u) * r + (us % 1000000u) * r / 1000000u);
}

/* A.1: returns 1 when the packet counts. */
static int rx_update_seq(agora_rtp_rx_stats *s, uint16_t seq)
{
    uint16_t udelta = (uint16_t)(seq - s->max_seq);
    if (s->probation) {
        if (seq == (uint16_t)(s->max_seq + 1)) {
            s->probation--;
            s->max_seq = seq;
            if (s->probation == 0) {
                rx_init_seq(s, seq);
                s->received++;
                return 1;
            }
        } else {
            s->probation = MIN_SEQUENTIAL - 1;
            s->max_seq = seq;
        }
        return 0;
    }
    if (udelta < MAX_DROPOUT) {
        /* in order, possibly with a gap */
        if (seq < s->max_seq)
            s->cycles += RTP_SEQ_MOD; /* wrapped */
        s->max_seq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
        /* a very large jump */
        if (seq == s->bad_seq) {
            /* second packet in sequence after the jump: the source restarted */
            rx_init_seq(s, seq);
        } else {
            s->bad_seq = (seq + 1u) & (RTP_SEQ_MOD - 1);
            return 0;
        }
    }
    /* else: duplicate or reordered packet, counted */
    s->received++;
    return 1;
}

int agora_rtp_rx_update(agora_rtp_rx_stats *s, uint16_t seq, uint32_t rtp_ts, uint64_t arrival_us)
{
    if (!s)
        return 0;
    if (!s->started) {
        s->started = 1;
        rx_init_seq(s, seq);
        s->max_seq = (uint16_t)(seq - 1);
        s->probation = MIN_SEQUENTIAL;
    }
    if (!rx_update_seq(s, seq))
        return 0;
    /* A.8: transit difference in RTP units, done in uint32 then read as
     * signed so a wrap of either clock is harmless */
    int32_t transit = (int32_t)(rx_arrival_rtp(s, arrival_us) - rtp_ts);
    if (s->have_transit) {
        uint32_t d = (uint32_t)transit - (uint32_t)s->transit;
        uint32_t ad = (d & 0x80000000u) ? (uint32_t)0 - d : d;
        /* J += (|D| - J) / 16 with J kept scaled by 16 */
        s->jitter_q4 += ad - ((s->jitter_q4 + 8) >> 4);
    }
    s->transit = transit;
    s->have_transit = 1;
    return 1;
}

void agora_rtp_rx_on_sr(agora_rtp_rx_stats *s, uint64_t sr_ntp, uint64_t arrival_us)
{
    if (!s)
        return;
    s->lsr = agora_ntp_compact(sr_ntp);
    s->lsr_arrival_us = arrival_us;
}

void agora_rtp_rx_report(agora_rtp_rx_stats *s, uint64_t now_us, agora_rtcp_report_block *out)
{
    if (!s || !out)
        return;
    memset(out, 0, sizeof(*out));
    out->ssrc = s->ssrc;
    if (s->lsr) {
        out->lsr = s->lsr;
        uint64_t d = now_us > s->lsr_arrival_us ? now_us - s->lsr_arrival_us : 0;
        uint64_t dlsr = (d / 1000000u) * 65536u + (d % 1000000u) * 65536u / 1000000u;
        out->dlsr = dlsr > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)dlsr;
    }
    if (!s->started || s->probation)
        return;
    uint32_t ext_max = s->cycles + s->max_seq;
    int64_t expected = (int64_t)ext_max - (int64_t)s->base_seq + 1;
    int64_t lost = expected - (int64_t)s->received;
    if (lost > 0x7FFFFF)
        lost = 0x7FFFFF;
    if (lost < -0x800000)
        lost = -0x800000;
    int64_t expected_interval = expected - (int64_t)s->expected_prior;
    int64_t received_interval = (int64_t)s->received - (int64_t)s->received_prior;
    s->expected_prior = (uint32_t)expected;
    s->received_prior = s->received;
    int64_t lost_interval = expected_interval - received_interval;
    uint8_t fraction = 0;
    if (expected_interval > 0 && lost_interval > 0) {
        int64_t f = (lost_interval << 8) / expected_interval;
        fraction = (uint8_t)(f > 255 ? 255 : f);
    }
    out->fraction_lost = fraction;
    out->cumulative_lost = (int32_t)lost;
    out->ext_highest_seq = ext_max;
    out->jitter = s->jitter_q4 >> 4;
}
