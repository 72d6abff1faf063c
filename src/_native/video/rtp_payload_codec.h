/* The per-codec halves of video_rtp.h, called by the codec-neutral core in
 * rtp_payload.c (frame boundaries, sequence/loss tracking, keyframe wait).
 * Internal to video_rtp*.c. */
#ifndef AGORA_RTC_VIDEO_RTP_CODEC_H
#define AGORA_RTC_VIDEO_RTP_CODEC_H

#include "agora_rtc/video_rtp.h"

/* Next payload of a started packetizer of that codec (p, out, marker are
 * valid and cap >= max_payload, checked by the caller). */
int agora_vp8_packetizer_next(agora_video_packetizer *p, uint8_t *out, int *marker);
int agora_h264_packetizer_next(agora_video_packetizer *p, uint8_t *out, int *marker);

/* Append one payload to d's frame in progress (first: it is the frame's
 * first packet). 0 on success, -1 when the frame is lost (malformed payload,
 * missing start, or the frame would not fit in d->cap). */
int agora_vp8_depacketize(agora_video_depacketizer *d, const uint8_t *payload, size_t len,
                          int first);
int agora_h264_depacketize(agora_video_depacketizer *d, const uint8_t *payload, size_t len,
                           int first);

/* The frame in d->buf[0 .. d->len) got its marker: 0 when it is complete
 * (fills d->out keyframe/width/height), -1 when it is not (H.264: a FU-A
 * run left open). */
int agora_vp8_finish(agora_video_depacketizer *d);
int agora_h264_finish(agora_video_depacketizer *d);

#endif
