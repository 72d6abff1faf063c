/* FFmpeg's libavcodec / libavutil / libswscale, loaded at run time (dlopen)
 * so that the engine, and the wheel that carries it, need FFmpeg only when a
 * codec of it is used: AAC pushed (aac_decoder.c), raw video encoded for the
 * RTP transport (video_encoder.c). Built against the headers found at build
 * time; the libraries loaded are the ones with the same major versions (same
 * ABI). Internal to src/_native. */
#ifndef AGORA_RTC_LIBAV_H
#define AGORA_RTC_LIBAV_H

#ifdef AGORA_HAVE_AVCODEC
#include <libavcodec/avcodec.h>
#include <libavutil/channel_layout.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/mem.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>

#define AGORA_AVCODEC_SONAME "libavcodec.so." AV_STRINGIFY(LIBAVCODEC_VERSION_MAJOR)
#define AGORA_AVUTIL_SONAME "libavutil.so." AV_STRINGIFY(LIBAVUTIL_VERSION_MAJOR)
#define AGORA_SWSCALE_SONAME "libswscale.so." AV_STRINGIFY(LIBSWSCALE_VERSION_MAJOR)

/* The functions used, resolved once. */
typedef struct agora_libav {
    const AVCodec *(*find_decoder)(enum AVCodecID);
    const AVCodec *(*find_encoder_by_name)(const char *);
    AVCodecContext *(*alloc_context3)(const AVCodec *);
    int (*open2)(AVCodecContext *, const AVCodec *, AVDictionary **);
    void (*free_context)(AVCodecContext **);
    int (*send_packet)(AVCodecContext *, const AVPacket *);
    int (*receive_frame)(AVCodecContext *, AVFrame *);
    int (*send_frame)(AVCodecContext *, const AVFrame *);
    int (*receive_packet)(AVCodecContext *, AVPacket *);
    AVPacket *(*packet_alloc)(void);
    void (*packet_free)(AVPacket **);
    void (*packet_unref)(AVPacket *);
    AVFrame *(*frame_alloc)(void);
    void (*frame_free)(AVFrame **);
    void (*frame_unref)(AVFrame *);
    void *(*mallocz)(size_t);
    void (*channel_layout_default)(AVChannelLayout *, int);
    int (*opt_set)(void *, const char *, const char *, int);
    int (*log_get_level)(void);
    void (*log_set_level)(int);
} agora_libav;

typedef struct agora_libsws {
    struct SwsContext *(*get_cached_context)(struct SwsContext *, int, int, enum AVPixelFormat, int,
                                             int, enum AVPixelFormat, int, SwsFilter *, SwsFilter *,
                                             const double *);
    int (*scale)(struct SwsContext *, const uint8_t *const[], const int[], int, int,
                 uint8_t *const[], const int[]);
    void (*free_context)(struct SwsContext *);
} agora_libsws;

/* The loaded libavcodec + libavutil, NULL when they cannot be loaded.
 * Thread-safe; the libraries stay loaded for the life of the process. */
const agora_libav *agora_libav_get(void);
/* libswscale, NULL when it cannot be loaded. Thread-safe. */
const agora_libsws *agora_libsws_get(void);

/* A decoder's input: data copied into *buf (grown as needed, *cap its size,
 * with the zeroed padding libavcodec reads past the end), pkt pointed at it and
 * sent to ctx. AGORA_OK; AGORA_ERR_INVALID_ARGUMENT when the decoder refused it
 * or it is too large for a packet; AGORA_ERR_NO_MEMORY. The caller then takes
 * its frames with receive_frame. */
int agora_libav_send_copy(const agora_libav *lib, AVCodecContext *ctx, AVPacket *pkt, uint8_t **buf,
                          size_t *cap, const uint8_t *data, size_t length);
#endif

/* The file name of the libavcodec agora_rtc loads, or why there is none. */
const char *agora_libav_name(void);

#endif
