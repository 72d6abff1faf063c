/* Codec-neutral half of the video RTP payload formats (video_rtp.h): the
 * packetizer dispatch and the depacketizer's frame assembly -- sequence
 * tracking, loss detection, frame boundaries and the wait for a keyframe.
 * The codec-specific parts are rtp_payload_vp8.c and rtp_payload_h264.c. */
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "agora_rtc/video.h"
#include "agora_rtc/video_rtp.h"
#include "video/rtp_payload_codec.h"

int agora_video_packetizer_next(agora_video_packetizer *p, uint8_t *out, size_t cap, int *marker)
{
    if (!p || !out || !marker)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (p->done || !p->frame) {
        *marker = 0;
        return 0;
    }
    if (cap < p->max_payload)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    switch (p->codec) {
    case AGORA_VIDEO_RTP_VP8:
        return agora_vp8_packetizer_next(p, out, marker);
    case AGORA_VIDEO_RTP_H264:
        return agora_h264_packetizer_next(p, out, marker);
    default:
        *marker = 0;
        return 0;
    }
}

int agora_video_depacketizer_init(agora_video_depacketizer *d, int codec, size_t max_frame_bytes)
{
    if (!d)
        return AGORA_ERR_INVALID_ARGUMENT;
    memset(d, 0, sizeof(*d));
    if ((codec != AGORA_VIDEO_RTP_VP8 && codec != AGORA_VIDEO_RTP_H264) || max_frame_bytes == 0 ||
        max_frame_bytes > AGORA_VIDEO_MAX_ENCODED)
        return AGORA_ERR_INVALID_ARGUMENT;
    d->buf = malloc(max_frame_bytes);
    if (!d->buf)
        return AGORA_ERR_NO_MEMORY;
    d->codec = codec;
    d->cap = max_frame_bytes;
    d->waiting_keyframe = 1;
    return AGORA_OK;
}

void agora_video_depacketizer_free(agora_video_depacketizer *d)
{
    if (!d)
        return;
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
    d->codec = 0;
}

void agora_video_depacketizer_reset(agora_video_depacketizer *d)
{
    if (!d)
        return;
    d->len = 0;
    d->have_seq = 0;
    d->late_run = 0;
    d->in_frame = 0;
    d->frame_broken = 0;
    d->in_fu = 0;
    d->ready = 0;
    d->waiting_keyframe = 1;
}

static void start_frame(agora_video_depacketizer *d, uint32_t rtp_ts)
{
    d->in_frame = 1;
    d->frame_broken = 0;
    d->frame_ts = rtp_ts;
    d->frame_key = 0;
    d->len = 0;
    d->in_fu = 0;
    d->sps_len = 0;
    d->vcl_seen = 0;
}

int agora_video_depacketizer_push(agora_video_depacketizer *d, uint16_t seq, uint32_t rtp_ts,
                                  int marker, const uint8_t *payload, size_t len)
{
    if (!d || !d->buf || (!payload && len > 0))
        return AGORA_ERR_INVALID_ARGUMENT;
    d->ready = 0;
    int lost = 0; /* this push detected a loss (reported once) */

    if (d->have_seq) {
        uint16_t ahead = (uint16_t)(seq - d->last_seq);
        int jumped_back = 0;
        if (ahead == 0 || ahead >= 0x8000) { /* duplicate or late */
            if (++d->late_run < AGORA_VIDEO_RTP_RESYNC) {
                d->packets_ignored++;
                return AGORA_VIDEO_DEPACK_NEED_MORE;
            }
            jumped_back = 1; /* the source restarted its sequence: resynchronise */
        }
        d->late_run = 0;
        if (ahead > 1 || jumped_back) {
            /* Packets are missing: the frame in progress is lost, or, between
             * frames, whatever frame(s) the gap held. A frame already lost
             * that continues after the gap is the same loss. */
            if (!(d->in_frame && d->frame_broken))
                lost = 1;
            if (d->in_frame)
                d->frame_broken = 1;
        }
    }
    d->have_seq = 1;
    d->last_seq = seq;
    if (len == 0) {
        /* a padding-only packet (bandwidth probing): it only takes its
         * sequence number, whatever its timestamp and marker */
        if (lost) {
            d->frames_lost++;
            d->waiting_keyframe = 1;
        }
        return lost ? AGORA_VIDEO_DEPACK_FRAME_LOST : AGORA_VIDEO_DEPACK_NEED_MORE;
    }

    if (d->in_frame && rtp_ts != d->frame_ts) {
        /* a new frame begins while the previous one never got its marker */
        if (!d->frame_broken)
            lost = 1;
        d->in_frame = 0;
    }
    int first = !d->in_frame;
    if (first)
        start_frame(d, rtp_ts);
    if (!d->frame_broken) {
        int r = d->codec == AGORA_VIDEO_RTP_VP8 ? agora_vp8_depacketize(d, payload, len, first)
                                                : agora_h264_depacketize(d, payload, len, first);
        if (r != 0) {
            d->frame_broken = 1;
            lost = 1;
        }
    }
    if (lost) {
        d->frames_lost++;
        d->waiting_keyframe = 1;
    }
    if (!marker)
        return lost ? AGORA_VIDEO_DEPACK_FRAME_LOST : AGORA_VIDEO_DEPACK_NEED_MORE;

    d->in_frame = 0;
    if (!d->frame_broken) {
        d->out.data = d->buf;
        d->out.len = d->len;
        d->out.rtp_ts = d->frame_ts;
        d->out.keyframe = 0;
        d->out.width = d->out.height = 0;
        int r = d->codec == AGORA_VIDEO_RTP_VP8 ? agora_vp8_finish(d) : agora_h264_finish(d);
        if (r != 0) {
            if (!lost) {
                d->frames_lost++;
                lost = 1;
            }
            d->waiting_keyframe = 1;
        } else if (d->out.keyframe || !d->waiting_keyframe) {
            d->waiting_keyframe = 0;
            d->ready = 1;
            d->frames_ready++;
            return AGORA_VIDEO_DEPACK_FRAME_READY;
        } else {
            d->frames_skipped++;
            if (!lost)
                return AGORA_VIDEO_DEPACK_FRAME_SKIPPED;
        }
    }
    return lost ? AGORA_VIDEO_DEPACK_FRAME_LOST : AGORA_VIDEO_DEPACK_NEED_MORE;
}

int agora_video_depacketizer_frame(const agora_video_depacketizer *d, agora_video_rtp_frame *out)
{
    if (!d || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (!d->ready)
        return AGORA_ERR_NOT_READY;
    *out = d->out;
    return AGORA_OK;
}

int agora_video_depacketizer_waiting_keyframe(const agora_video_depacketizer *d)
{
    return d ? d->waiting_keyframe : 1;
}
