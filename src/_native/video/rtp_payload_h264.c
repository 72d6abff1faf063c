/* H.264 RTP payload format (RFC 6184, packetization-mode=1: single NAL unit,
 * STAP-A, FU-A): Annex B scanning, packetizer, depacketizer back to Annex B,
 * and the SPS parse that gives a keyframe's dimensions. See video_rtp.h. */
#include <string.h>

#include "agora_rtc/errors.h"
#include "agora_rtc/video.h"
#include "agora_rtc/video_rtp.h"
#include "video/rtp_payload_codec.h"

#define NAL_TYPE(b) ((b) & 0x1F)
#define NAL_IDR 5
#define NAL_SPS 7
#define NAL_STAP_A 24
#define NAL_FU_A 28
#define FU_S 0x80
#define FU_E 0x40

static const uint8_t START_CODE[4] = {0, 0, 0, 1};

/* ------------------------------------------------------- Annex B scanning */

/* Offset of the first "00 00 01" at or after from, or len when none. */
static size_t find_start_code(const uint8_t *b, size_t len, size_t from)
{
    size_t i = from + 2;
    while (i < len) {
        const uint8_t *one = memchr(b + i, 1, len - i);
        if (!one)
            return len;
        i = (size_t)(one - b);
        if (b[i - 1] == 0 && b[i - 2] == 0)
            return i - 2;
        i++;
    }
    return len;
}

/* At pos: zero bytes then 01 (a start code, at least two zeros). Returns the
 * offset just after the 01, or 0 when there is no start code there. */
static size_t skip_start_code(const uint8_t *b, size_t len, size_t pos)
{
    size_t i = pos;
    while (i < len && b[i] == 0)
        i++;
    if (i - pos < 2 || i >= len || b[i] != 1)
        return 0;
    return i + 1;
}

/* The NAL unit whose start code is at *pos: [*nal, *nal + *nal_len) with the
 * trailing zero bytes dropped; *pos moves to the next start code (or len).
 * Returns 0, or -1 when there is no start code at *pos. */
static int next_nal(const uint8_t *b, size_t len, size_t *pos, const uint8_t **nal,
                    size_t *nal_len)
{
    size_t begin = skip_start_code(b, len, *pos);
    if (begin == 0)
        return -1;
    size_t end = find_start_code(b, len, begin);
    *pos = end;
    while (end > begin && b[end - 1] == 0)
        end--;
    *nal = b + begin;
    *nal_len = end - begin;
    return 0;
}

/* NAL unit types a single-time access unit may carry: 1..23 (0 and 24..31
 * are unspecified in H.264 and are the RTP aggregation/fragment types). */
static int nal_type_ok(uint8_t header) { return NAL_TYPE(header) >= 1 && NAL_TYPE(header) <= 23; }

/* ------------------------------------------------------------ packetizer */

/* Load the next NAL unit into p->nal (NULL when the access unit is done). */
static void load_nal(agora_video_packetizer *p)
{
    p->nal = NULL;
    p->nal_len = p->nal_sent = p->fu_packets_left = 0;
    if (p->pos < p->len)
        next_nal(p->frame, p->len, &p->pos, &p->nal, &p->nal_len); /* validated by start */
}

int agora_h264_packetizer_start(agora_video_packetizer *p, const uint8_t *annexb, size_t len,
                                size_t max_payload)
{
    if (!p)
        return AGORA_ERR_INVALID_ARGUMENT;
    memset(p, 0, sizeof(*p));
    p->done = 1;
    if (!annexb || len == 0 || max_payload < AGORA_VIDEO_RTP_MIN_PAYLOAD ||
        max_payload > AGORA_VIDEO_RTP_MAX_PAYLOAD)
        return AGORA_ERR_INVALID_ARGUMENT;
    /* validate every NAL unit now, so next() cannot fail halfway */
    size_t pos = 0;
    int vcl_seen = 0;
    while (pos < len) {
        const uint8_t *nal;
        size_t nal_len;
        if (next_nal(annexb, len, &pos, &nal, &nal_len) != 0 || nal_len == 0 ||
            !nal_type_ok(nal[0]))
            return AGORA_ERR_INVALID_ARGUMENT;
        if (NAL_TYPE(nal[0]) <= 5 && !vcl_seen) {
            /* the first slice must start the picture, as the receiver checks */
            if (nal_len < 2 || !(nal[1] & 0x80))
                return AGORA_ERR_INVALID_ARGUMENT;
            vcl_seen = 1;
        }
    }
    p->codec = AGORA_VIDEO_RTP_H264;
    p->frame = annexb;
    p->len = len;
    p->max_payload = max_payload;
    p->done = 0;
    load_nal(p);
    return AGORA_OK;
}

static size_t fu_packet(agora_video_packetizer *p, uint8_t *out)
{
    const uint8_t hdr = p->nal[0];
    if (p->nal_sent == 0) {
        size_t room = p->max_payload - 2, body = p->nal_len - 1;
        p->fu_packets_left = body / room + (body % room != 0);
        p->nal_sent = 1; /* the NAL header travels in the FU indicator/header */
    }
    size_t left = p->nal_len - p->nal_sent;
    size_t n = left / p->fu_packets_left + (left % p->fu_packets_left != 0);
    out[0] = (uint8_t)((hdr & 0xE0) | NAL_FU_A); /* F and NRI of the NAL */
    out[1] = (uint8_t)((p->nal_sent == 1 ? FU_S : 0) | (n == left ? FU_E : 0) | NAL_TYPE(hdr));
    memcpy(out + 2, p->nal + p->nal_sent, n);
    p->nal_sent += n;
    p->fu_packets_left--;
    if (p->nal_sent == p->nal_len)
        load_nal(p);
    return 2 + n;
}

int agora_h264_packetizer_next(agora_video_packetizer *p, uint8_t *out, int *marker)
{
    if (!p->nal) {
        p->done = 1;
        *marker = 0;
        return 0;
    }
    size_t n;
    if (p->nal_len > p->max_payload) {
        n = fu_packet(p, out);
    } else {
        /* The NAL fits. Aggregate the following ones into a STAP-A while they
         * fit with it: 1 STAP-A header byte + (2-byte size + NAL) each. */
        memcpy(out, p->nal, p->nal_len);
        n = p->nal_len;
        size_t count = 1;
        for (;;) {
            load_nal(p);
            size_t stap = count == 1 ? 1 + 2 + n : n; /* the STAP-A so far */
            if (!p->nal || stap + 2 + p->nal_len > p->max_payload)
                break;
            if (count == 1) { /* turn the single NAL into the STAP-A's first unit */
                memmove(out + 3, out, n);
                out[1] = (uint8_t)(n >> 8);
                out[2] = (uint8_t)n;
                out[0] = 0; /* set below from the units' F and NRI */
                n += 3;
            }
            out[n] = (uint8_t)(p->nal_len >> 8);
            out[n + 1] = (uint8_t)p->nal_len;
            memcpy(out + n + 2, p->nal, p->nal_len);
            n += 2 + p->nal_len;
            count++;
        }
        if (count > 1) {
            /* STAP-A header: F = OR of the units' F bits, NRI = their maximum */
            uint8_t f = 0, nri = 0;
            for (size_t off = 1; off < n;) {
                size_t l = ((size_t)out[off] << 8) | out[off + 1];
                uint8_t h = out[off + 2];
                f |= h & 0x80;
                if ((h & 0x60) > nri)
                    nri = h & 0x60;
                off += 2 + l;
            }
            out[0] = (uint8_t)(f | nri | NAL_STAP_A);
        }
    }
    *marker = p->nal == NULL;
    if (*marker)
        p->done = 1;
    return (int)n;
}

/* ---------------------------------------------------------- depacketizer */

/* Append a start code and a NAL unit (header byte given separately, body may
 * be empty; for a FU-A, the first fragment's body) to the frame. -1 when it
 * does not fit, or when it is the frame's first slice and does not start the
 * picture (first_mb_in_slice, ue(v) == 0 is a single 1 bit, != 0): the
 * frame's beginning was lost. */
static int append_nal(agora_video_depacketizer *d, uint8_t header, const uint8_t *body,
                      size_t body_len)
{
    uint8_t t = NAL_TYPE(header);
    if (t >= 1 && t <= 5 && !d->vcl_seen) {
        if (body_len == 0 || !(body[0] & 0x80))
            return -1;
        d->vcl_seen = 1;
    }
    if (d->cap - d->len < 5 || body_len > d->cap - d->len - 5)
        return -1;
    memcpy(d->buf + d->len, START_CODE, 4);
    d->nal_off = d->len + 4;
    d->buf[d->len + 4] = header;
    memcpy(d->buf + d->len + 5, body, body_len);
    d->len += 5 + body_len;
    return 0;
}

/* A NAL unit ended at d->len: keyframe / SPS bookkeeping. */
static void nal_done(agora_video_depacketizer *d)
{
    uint8_t t = NAL_TYPE(d->buf[d->nal_off]);
    if (t == NAL_IDR)
        d->frame_key = 1;
    else if (t == NAL_SPS && d->sps_len == 0) {
        d->sps_off = d->nal_off;
        d->sps_len = d->len - d->nal_off;
    }
}

int agora_h264_depacketize(agora_video_depacketizer *d, const uint8_t *payload, size_t len,
                           int first)
{
    if (len < 1)
        return -1;
    uint8_t t = NAL_TYPE(payload[0]);
    if (t >= 1 && t <= 23) { /* single NAL unit */
        if (d->in_fu || append_nal(d, payload[0], payload + 1, len - 1) != 0)
            return -1;
        nal_done(d);
        return 0;
    }
    if (t == NAL_STAP_A) {
        if (d->in_fu || len < 4)
            return -1;
        /* validate the whole aggregate before taking any of it */
        size_t off = 1;
        while (off < len) {
            if (len - off < 2)
                return -1;
            size_t l = ((size_t)payload[off] << 8) | payload[off + 1];
            if (l == 0 || l > len - off - 2 || !nal_type_ok(payload[off + 2]))
                return -1;
            off += 2 + l;
        }
        for (off = 1; off < len;) {
            size_t l = ((size_t)payload[off] << 8) | payload[off + 1];
            if (append_nal(d, payload[off + 2], payload + off + 3, l - 1) != 0)
                return -1;
            nal_done(d);
            off += 2 + l;
        }
        return 0;
    }
    if (t == NAL_FU_A) {
        if (len < 3)
            return -1;
        uint8_t fu = payload[1];
        uint8_t header = (uint8_t)((payload[0] & 0xE0) | NAL_TYPE(fu));
        if ((fu & FU_S) && (fu & FU_E))
            return -1; /* RFC 6184 5.8: not both in one FU */
        if (!nal_type_ok(fu))
            return -1;
        if (fu & FU_S) {
            if (d->in_fu || append_nal(d, header, payload + 2, len - 2) != 0)
                return -1;
            d->in_fu = 1;
        } else {
            if (!d->in_fu || first)
                return -1; /* the fragment's start is missing */
            if (d->buf[d->nal_off] != header)
                return -1; /* not the NAL unit being reassembled */
            size_t n = len - 2;
            if (n > d->cap - d->len)
                return -1;
            memcpy(d->buf + d->len, payload + 2, n);
            d->len += n;
        }
        if (fu & FU_E) {
            d->in_fu = 0;
            nal_done(d);
        }
        return 0;
    }
    return -1; /* STAP-B, MTAP, FU-B (interleaved mode only), or reserved */
}

int agora_h264_finish(agora_video_depacketizer *d)
{
    if (d->in_fu || d->len == 0)
        return -1;
    d->out.keyframe = d->frame_key;
    if (d->frame_key && d->sps_len)
        agora_h264_sps_dimensions(d->buf + d->sps_off, d->sps_len, &d->out.width,
                                  &d->out.height);
    return 0;
}

/* -------------------------------------------------------------- SPS parse */

/* Bit reader over an RBSP (emulation prevention bytes already removed). */
typedef struct bits {
    const uint8_t *b;
    size_t len_bits, pos;
    int error;
} bits;

static uint32_t read_bits(bits *r, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        if (r->pos >= r->len_bits) {
            r->error = 1;
            return 0;
        }
        v = (v << 1) | ((r->b[r->pos >> 3] >> (7 - (r->pos & 7))) & 1);
        r->pos++;
    }
    return v;
}

/* ue(v), Exp-Golomb; values needing more than 31 bits are an error. */
static uint32_t read_ue(bits *r)
{
    int zeros = 0;
    while (read_bits(r, 1) == 0) {
        if (r->error || ++zeros > 31) {
            r->error = 1;
            return 0;
        }
    }
    if (zeros == 0)
        return 0;
    uint64_t v = ((uint64_t)1 << zeros) - 1 + read_bits(r, zeros);
    if (v > 0xFFFFFFFEu) {
        r->error = 1;
        return 0;
    }
    return (uint32_t)v;
}

static int32_t read_se(bits *r)
{
    uint32_t k = read_ue(r);
    return (k & 1) ? (int32_t)((k + 1) / 2) : -(int32_t)(k / 2);
}

static void skip_scaling_list(bits *r, int size)
{
    int last = 8, next = 8;
    for (int j = 0; j < size && !r->error; j++) {
        if (next != 0) {
            int32_t delta = read_se(r);
            if (delta < -128 || delta > 127) {
                r->error = 1;
                return;
            }
            next = (last + delta + 256) % 256;
        }
        last = next == 0 ? last : next;
    }
}

static int high_profile(uint32_t profile)
{
    switch (profile) {
    case 100: case 110: case 122: case 244: case 44: case 83:
    case 86: case 118: case 128: case 138: case 139: case 134: case 135:
        return 1;
    default:
        return 0;
    }
}

#define SPS_MAX_RBSP 1024

int agora_h264_sps_dimensions(const uint8_t *nal, size_t len, int *width, int *height)
{
    int dummy_w, dummy_h;
    if (!width)
        width = &dummy_w;
    if (!height)
        height = &dummy_h;
    *width = *height = 0;
    if (!nal || len < 4 || NAL_TYPE(nal[0]) != NAL_SPS)
        return AGORA_ERR_INVALID_ARGUMENT;
    /* unescape: drop the 03 of every 00 00 03 (the SPS fields come first;
     * anything past SPS_MAX_RBSP is not needed by a sane SPS) */
    uint8_t rbsp[SPS_MAX_RBSP];
    size_t n = 0;
    int zeros = 0;
    for (size_t i = 1; i < len && n < sizeof(rbsp); i++) {
        if (zeros >= 2 && nal[i] == 3) {
            zeros = 0;
            continue;
        }
        zeros = nal[i] == 0 ? zeros + 1 : 0;
        rbsp[n++] = nal[i];
    }
    bits r = {rbsp, n * 8, 0, 0};
    uint32_t profile = read_bits(&r, 8);
    read_bits(&r, 16); /* constraint flags, level_idc */
    if (read_ue(&r) > 31) /* seq_parameter_set_id */
        return AGORA_ERR_INVALID_ARGUMENT;
    uint32_t chroma_format = 1, separate_planes = 0;
    if (high_profile(profile)) {
        chroma_format = read_ue(&r);
        if (chroma_format > 3)
            return AGORA_ERR_INVALID_ARGUMENT;
        if (chroma_format == 3)
            separate_planes = read_bits(&r, 1);
        if (read_ue(&r) > 6 || read_ue(&r) > 6) /* bit depths - 8 */
            return AGORA_ERR_INVALID_ARGUMENT;
        read_bits(&r, 1); /* qpprime_y_zero_transform_bypass_flag */
        if (read_bits(&r, 1)) { /* seq_scaling_matrix_present_flag */
            int lists = chroma_format != 3 ? 8 : 12;
            for (int i = 0; i < lists && !r.error; i++)
                if (read_bits(&r, 1))
                    skip_scaling_list(&r, i < 6 ? 16 : 64);
        }
    }
    if (read_ue(&r) > 12) /* log2_max_frame_num_minus4 */
        return AGORA_ERR_INVALID_ARGUMENT;
    uint32_t poc_type = read_ue(&r);
    if (poc_type == 0) {
        if (read_ue(&r) > 12) /* log2_max_pic_order_cnt_lsb_minus4 */
            return AGORA_ERR_INVALID_ARGUMENT;
    } else if (poc_type == 1) {
        read_bits(&r, 1); /* delta_pic_order_always_zero_flag */
        read_se(&r);      /* offset_for_non_ref_pic */
        read_se(&r);      /* offset_for_top_to_bottom_field */
        uint32_t cycle = read_ue(&r);
        if (cycle > 255)
            return AGORA_ERR_INVALID_ARGUMENT;
        for (uint32_t i = 0; i < cycle && !r.error; i++)
            read_se(&r);
    } else if (poc_type != 2) {
        return AGORA_ERR_INVALID_ARGUMENT;
    }
    read_ue(&r);       /* max_num_ref_frames */
    read_bits(&r, 1);  /* gaps_in_frame_num_value_allowed_flag */
    uint32_t w_mbs = read_ue(&r) + 1;
    uint32_t h_units = read_ue(&r) + 1;
    uint32_t frame_mbs_only = read_bits(&r, 1);
    if (!frame_mbs_only)
        read_bits(&r, 1); /* mb_adaptive_frame_field_flag */
    read_bits(&r, 1);     /* direct_8x8_inference_flag */
    uint32_t crop[4] = {0, 0, 0, 0}; /* left, right, top, bottom */
    if (read_bits(&r, 1))
        for (int i = 0; i < 4; i++)
            crop[i] = read_ue(&r);
    if (r.error || w_mbs > 1024 || h_units > 1024)
        return AGORA_ERR_INVALID_ARGUMENT;
    /* H.264 7.4.2.1.1: crop units follow ChromaArrayType */
    uint32_t chroma_array = separate_planes ? 0 : chroma_format;
    uint32_t sub_w = (chroma_array == 1 || chroma_array == 2) ? 2 : 1;
    uint32_t sub_h = chroma_array == 1 ? 2 : 1;
    uint32_t crop_x = chroma_array == 0 ? 1 : sub_w;
    uint32_t crop_y = (chroma_array == 0 ? 1 : sub_h) * (2 - frame_mbs_only);
    uint64_t w = (uint64_t)w_mbs * 16, h = (uint64_t)h_units * 16 * (2 - frame_mbs_only);
    uint64_t cw = ((uint64_t)crop[0] + crop[1]) * crop_x, ch = ((uint64_t)crop[2] + crop[3]) * crop_y;
    if (cw >= w || ch >= h)
        return AGORA_ERR_INVALID_ARGUMENT;
    w -= cw;
    h -= ch;
    if (w > AGORA_VIDEO_MAX_DIMENSION * 2u || h > AGORA_VIDEO_MAX_DIMENSION * 2u)
        return AGORA_ERR_INVALID_ARGUMENT;
    *width = (int)w;
    *height = (int)h;
    return AGORA_OK;
}
