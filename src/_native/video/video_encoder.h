/* Raw video encoded for the RTP transport: VP8 (libvpx) and H.264 (libx264),
 * both through FFmpeg's libavcodec loaded at run time (libav.h), scaled by
 * libswscale when the configuration asks for a smaller size. One encoder per
 * sending connection, created at the first raw push or encoder
 * configuration; it encodes in the pushing thread (never on the I/O thread
 * or the media clock), under its own lock, and hands each encoded frame to a
 * callback in push order. Internal to src/_native. */
#ifndef AGORA_RTC_VIDEO_ENCODER_H
#define AGORA_RTC_VIDEO_ENCODER_H

#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/video.h"

typedef struct agora_video_encoder agora_video_encoder;

/* 1 when raw frames can be encoded to codec (enum agora_video_rtp_codec);
 * *detail names the library (and encoder) that is needed. Thread-safe. */
int agora_video_encoder_available(int codec, const char **detail);

agora_video_encoder *agora_video_encoder_new(void);
void agora_video_encoder_free(agora_video_encoder *e);
/* Applies from the next frame on (the codec is reopened). */
void agora_video_encoder_configure(agora_video_encoder *e, const agora_video_encoder_config *cfg);
/* The next frame is encoded as a keyframe (an intra request). Any thread. */
void agora_video_encoder_request_keyframe(agora_video_encoder *e);

/* Called for every encoded frame, under the encoder's lock (in order);
 * returns AGORA_OK or an error that the push returns. */
typedef int (*agora_video_encoded_cb)(void *ud, const uint8_t *data, size_t length,
                                      const agora_encoded_video_info *info);
/* Encode one I420 frame to codec. capture_ms: the frame's time (ms, any
 * origin; made strictly increasing). AGORA_OK (the encoder may keep the frame
 * for later), AGORA_ERR_NOT_SUPPORTED when the codec's encoder is missing,
 * AGORA_ERR_FAILED when the library refuses the frame, or what cb returned. */
int agora_video_encoder_encode(agora_video_encoder *e, int codec, const agora_video_frame *f,
                               int64_t capture_ms, agora_video_encoded_cb cb, void *ud);
/* Frames encoded so far (counted by the callback's calls). */
uint64_t agora_video_encoder_frames(agora_video_encoder *e);

#endif
