/* Encoded VP8 / H.264 decoded to I420 for receivers that subscribed to raw
 * video (libavcodec's vp8 and h264 decoders, loaded at run time: libav.h).
 * A connection keeps one decoder per sender, used by the delivery thread
 * only (where the frame observer is called). Internal to src/_native. */
#ifndef AGORA_RTC_VIDEO_DECODER_H
#define AGORA_RTC_VIDEO_DECODER_H

#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/video.h"

typedef struct agora_video_decoder agora_video_decoder;

/* 1 when frames of codec (1 VP8, 2 H.264) can be decoded. Thread-safe. */
int agora_video_decoder_available(int codec);
agora_video_decoder *agora_video_decoder_new(int codec);
void agora_video_decoder_free(agora_video_decoder *d);
int agora_video_decoder_codec(const agora_video_decoder *d);

/* Called for each picture the frame gives (planes valid during the call). */
typedef void (*agora_video_decoded_cb)(void *ud, const agora_video_frame *frame);
/* Decode one encoded frame; returns the pictures delivered (0: kept for
 * later or nothing to show), or AGORA_ERR_INVALID_ARGUMENT when the decoder
 * refused it. */
int agora_video_decoder_decode(agora_video_decoder *d, const uint8_t *data, size_t length,
                               int64_t render_time_ms, agora_video_decoded_cb cb, void *ud);

#endif
