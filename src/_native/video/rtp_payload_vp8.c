/* VP8 RTP payload format (RFC 7741): packetizer, payload descriptor parse,
 * and the key frame header of RFC 6386 section 9.1. See video_rtp.h. */
#include <string.h>

#include "agora_rtc/errors.h"
#include "agora_rtc/video_rtp.h"
#include "video/rtp_payload_codec.h"

/* Payload descriptor bits (RFC 7741 4.2). */
#define VP8_X 0x80 /* extended control bits present */
#define VP8_S 0x10 /* start of a VP8 partition */
#define VP8_PID 0x07
#define VP8_I 0x80 /* PictureID present */
#define VP8_L 0x40 /* TL0PICIDX present */
#define VP8_T 0x20 /* TID present */
#define VP8_K 0x10 /* KEYIDX present (shares the byte with TID) */
#define VP8_M 0x80 /* 15-bit PictureID */

int agora_vp8_packetizer_start(agora_video_packetizer *p, const uint8_t *frame, size_t len,
                               uint16_t picture_id, size_t max_payload)
{
    if (!p)
        return AGORA_ERR_INVALID_ARGUMENT;
    memset(p, 0, sizeof(*p));
    p->done = 1;
    if (!frame || len == 0 || max_payload < AGORA_VIDEO_RTP_MIN_PAYLOAD ||
        max_payload > AGORA_VIDEO_RTP_MAX_PAYLOAD)
        return AGORA_ERR_INVALID_ARGUMENT;
    size_t room = max_payload - AGORA_VP8_DESCRIPTOR_SIZE;
    p->codec = AGORA_VIDEO_RTP_VP8;
    p->frame = frame;
    p->len = len;
    p->max_payload = max_payload;
    p->picture_id = (uint16_t)(picture_id & 0x7FFF);
    p->first = 1;
    p->fu_packets_left = len / room + (len % room != 0);
    p->done = 0;
    return AGORA_OK;
}

int agora_vp8_packetizer_next(agora_video_packetizer *p, uint8_t *out, int *marker)
{
    size_t left = p->len - p->pos;
    /* balanced cut: the remaining bytes over the remaining packets, rounded up */
    size_t n = left / p->fu_packets_left + (left % p->fu_packets_left != 0);
    out[0] = (uint8_t)(VP8_X | (p->first ? VP8_S : 0)); /* N=0, PID=0 */
    out[1] = VP8_I;
    out[2] = (uint8_t)(VP8_M | (p->picture_id >> 8));
    out[3] = (uint8_t)(p->picture_id & 0xFF);
    memcpy(out + AGORA_VP8_DESCRIPTOR_SIZE, p->frame + p->pos, n);
    p->pos += n;
    p->fu_packets_left--;
    p->first = 0;
    *marker = p->pos == p->len;
    if (*marker)
        p->done = 1;
    return (int)(AGORA_VP8_DESCRIPTOR_SIZE + n);
}

/* Length of the payload descriptor at the start of payload, or 0 when it is
 * truncated or leaves no VP8 data. *start: S=1 and PID=0. */
static size_t descriptor_len(const uint8_t *b, size_t len, int *start)
{
    if (len < 1)
        return 0;
    size_t off = 1;
    *start = (b[0] & VP8_S) && (b[0] & VP8_PID) == 0;
    if (b[0] & VP8_X) {
        if (len < 2)
            return 0;
        uint8_t x = b[1];
        off = 2;
        if (x & VP8_I) {
            if (off >= len)
                return 0;
            off += (b[off] & VP8_M) ? 2 : 1;
        }
        if (x & VP8_L)
            off += 1;
        if (x & (VP8_T | VP8_K))
            off += 1;
    }
    return off < len ? off : 0;
}

int agora_vp8_depacketize(agora_video_depacketizer *d, const uint8_t *payload, size_t len,
                          int first)
{
    int start = 0;
    size_t off = descriptor_len(payload, len, &start);
    if (off == 0)
        return -1;
    if (first != start)
        return -1; /* the frame's start is missing, or a second start inside it */
    size_t n = len - off;
    if (n > d->cap - d->len)
        return -1;
    if (first)
        d->frame_key = (payload[off] & 0x01) == 0;
    memcpy(d->buf + d->len, payload + off, n);
    d->len += n;
    return 0;
}

int agora_vp8_finish(agora_video_depacketizer *d)
{
    d->out.keyframe = agora_vp8_frame_info(d->buf, d->len, &d->out.width, &d->out.height);
    return 0;
}

int agora_vp8_frame_info(const uint8_t *frame, size_t len, int *width, int *height)
{
    int w = 0, h = 0, key = 0;
    if (frame && len >= 1) {
        key = (frame[0] & 0x01) == 0;
        if (key && len >= 10 && frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a) {
            w = (frame[6] | (frame[7] << 8)) & 0x3FFF;
            h = (frame[8] | (frame[9] << 8)) & 0x3FFF;
        }
    }
    if (width)
        *width = w;
    if (height)
        *height = h;
    return key;
}
