/* Video in and out: raw frames pushed in common pixel formats and converted
 * to I420 natively, encoded frames passed through as-is, per-user video
 * subscriptions (raw or encoded-only), and the observers that receive them.
 *
 * A raw frame reaches subscribers that asked for raw video; an encoded frame
 * reaches subscribers that asked for encoded video (encoded_only). An encoded
 * VP8 / H.264 frame reaching a raw subscription is decoded (libavcodec,
 * loaded at run time) on the delivery thread and handed to the frame
 * observer as I420; other encoded frames are not, nor is a raw frame of the
 * local network encoded for an encoded-only subscription: both are counted
 * (agora_video_stats).
 * Video is not paced: a frame leaves when it is pushed. The RTP transport
 * carries encoded VP8 / H.264 (rtp_transport.h): raw frames pushed there are
 * encoded in the pushing thread to its video stream's codec (libavcodec's
 * libvpx / libx264, loaded at run time) as agora_rtc_conn_set_video_encoder
 * configures, and sent like pushed encoded frames.
 *
 * Threading: observer functions run on the service's delivery thread, like
 * every other observer (connection.h). Unregistering waits for calls in
 * flight, except from inside that observer's own call. */
#ifndef AGORA_RTC_VIDEO_H
#define AGORA_RTC_VIDEO_H

#include <stddef.h>
#include <stdint.h>
#include "agora_rtc/connection.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Agora VIDEO_PIXEL_FORMAT values accepted by push (output is always I420). */
enum agora_video_pixel_format {
    AGORA_VIDEO_PIXEL_I420 = 1,
    AGORA_VIDEO_PIXEL_BGRA = 2,
    AGORA_VIDEO_PIXEL_NV21 = 3,
    AGORA_VIDEO_PIXEL_RGBA = 4,
    AGORA_VIDEO_PIXEL_NV12 = 8,
};

#define AGORA_VIDEO_MAX_DIMENSION 8192      /* pixels, width and height */
#define AGORA_VIDEO_MAX_METADATA 1024       /* bytes of per-frame metadata */
#define AGORA_VIDEO_MAX_ENCODED (16u << 20) /* bytes per encoded frame */
/* Video events waiting for the delivery thread per receiving connection;
 * beyond it frames are dropped and counted (a slow observer never grows
 * memory without bound). */
#define AGORA_VIDEO_MAX_PENDING 64

/* A raw frame to push. `stride` is the line stride in PIXELS (Agora's
 * ExternalVideoFrame); the sizes of the planes follow from it:
 *   I420: Y stride*height, U and V (stride/2)*(height/2), contiguous;
 *   NV12/NV21: Y stride*height, then interleaved UV (NV21: VU) stride*(height/2);
 *   RGBA/BGRA: stride*4*height.
 * `length` must be exactly that size. The crop values select the visible
 * rectangle; the delivered width is stride - crop_left - crop_right and the
 * height height - crop_top - crop_bottom. stride, height, the crop values and
 * the result must be even (4:2:0 output). */
typedef struct agora_external_video_frame {
    int format;                 /* enum agora_video_pixel_format */
    const uint8_t *buffer;
    size_t length;
    int stride;
    int height;
    int crop_left, crop_top, crop_right, crop_bottom;
    int rotation;               /* 0, 90, 180, 270: carried, not applied */
    int64_t timestamp;          /* ms, delivered as render_time_ms */
    const uint8_t *metadata;    /* may be NULL */
    size_t metadata_length;     /* <= AGORA_VIDEO_MAX_METADATA */
} agora_external_video_frame;

/* A received raw frame: always I420, planes borrowed for the callback only. */
typedef struct agora_video_frame {
    int type;                   /* AGORA_VIDEO_PIXEL_I420 */
    int width, height;
    int y_stride, u_stride, v_stride;
    const uint8_t *y_buffer, *u_buffer, *v_buffer;
    int rotation;
    int64_t render_time_ms;     /* the sender's timestamp */
    const uint8_t *metadata;
    size_t metadata_length;
} agora_video_frame;

/* EncodedVideoFrameInfo (Agora field names and values). */
typedef struct agora_encoded_video_info {
    int codec_type;
    int width, height;
    int frames_per_second;
    int frame_type;
    int rotation;
    int track_id;
    int64_t capture_time_ms;
    int64_t decode_time_ms;
    uint32_t uid;               /* on delivery: the sender's internal uid */
    int stream_type;
    int64_t presentation_ms;
} agora_encoded_video_info;

typedef struct agora_video_frame_observer {
    void *user_data;
    void (*on_frame)(void *ud, const char *channel_id, const char *user_id,
                     const agora_video_frame *frame);
} agora_video_frame_observer;

typedef struct agora_video_encoded_frame_observer {
    void *user_data;
    void (*on_encoded_video_frame)(void *ud, const char *user_id, const uint8_t *data,
                                   size_t length, const agora_encoded_video_info *info);
} agora_video_encoded_frame_observer;

/* Local-user video events. */
typedef struct agora_video_user_observer {
    void *user_data;
    void (*on_video_track_publish_success)(void *ud);
    void (*on_video_track_unpublished)(void *ud);
    /* A user this connection subscribes to asked for a key frame. */
    void (*on_intra_request_received)(void *ud, const char *from_user_id);
    /* The first frame of user_id since this connection subscribed to it (again),
     * or since that user published video again; elapsed_ms since the
     * subscription. width/height: the frame's, or the encoded info's. */
    void (*on_first_remote_video_frame)(void *ud, const char *user_id, int width, int height,
                                        int elapsed_ms);
    /* This connection now receives user_id's video: it subscribed (or changed
     * the mode) while user_id publishes, user_id published while subscribed,
     * or one of them joined the channel. owner_uid: user_id's internal uid. */
    void (*on_user_video_track_subscribed)(void *ud, const char *channel_id, const char *user_id,
                                           uint32_t owner_uid, int encoded_only);
} agora_video_user_observer;

typedef struct agora_video_stats {
    /* sending */
    uint64_t pushed_frames;          /* raw frames accepted by push */
    uint64_t pushed_encoded;         /* encoded frames accepted by push */
    uint64_t sent_frames;            /* raw + encoded frames handed to the channel */
    /* receiving */
    uint64_t received_frames;        /* raw frames handed to the frame observer */
    uint64_t received_encoded;       /* encoded frames handed to the encoded observer */
    uint64_t raw_not_encoded;        /* raw frames for an encoded-only subscription */
    uint64_t encoded_not_decoded;    /* encoded frames for a raw subscription that could not be
                                      * decoded (not VP8 / H.264, no libavcodec, refused) */
    uint64_t dropped_backlog;        /* dropped: AGORA_VIDEO_MAX_PENDING waiting */
    uint64_t intra_requests;         /* intra requests received */
    uint64_t encoded_frames;         /* raw frames encoded by the SDK (RTP transport) */
    uint64_t decoded_frames;         /* pictures decoded for the frame observer (of received
                                      * encoded frames, raw subscription) */
} agora_video_stats;

/* VideoEncoderConfiguration: how raw frames are encoded where the transport
 * encodes them (RTP). */
typedef struct agora_video_encoder_config {
    int codec_type;          /* asked for (VIDEO_CODEC_TYPE); RTP encodes to its video stream's */
    int width, height;       /* frames larger than this are scaled down to fit (aspect ratio
                              * kept); 0 x 0 = the pushed size */
    int frame_rate;          /* the rate control's frames per second (1..120), 0 = 15 */
    int bitrate_kbps;        /* target (constant) bitrate, 0 = 0.1 bit per pixel per frame */
    int min_bitrate_kbps;    /* -1 = default */
    int orientation_mode;    /* 0 adaptive (a portrait frame fits the portrait box), 1 fixed
                              * landscape, 2 fixed portrait */
} agora_video_encoder_config;

/* Size in bytes a push buffer of this format must have; 0 for an unknown format. */
size_t agora_video_buffer_size(int format, int stride, int height);
/* Convert (a crop of) a frame to I420 planes of width x height; RGB -> YUV
 * uses BT.601 limited range (Y 16..235, UV 16..240), chroma from the
 * average of each 2x2 block. Returns AGORA_OK or AGORA_ERR_INVALID_ARGUMENT. */
int agora_video_to_i420(const agora_external_video_frame *src, uint8_t *dst_y, int dst_y_stride,
                        uint8_t *dst_u, int dst_u_stride, uint8_t *dst_v, int dst_v_stride);

/* Called once after create: whether remote video is subscribed automatically
 * (raw, not encoded-only). Default 0, as RTCConnConfig.auto_subscribe_video. */
int agora_rtc_conn_set_auto_subscribe_video(agora_rtc_conn *conn, int on);

int agora_rtc_conn_register_video_frame_observer(agora_rtc_conn *conn,
                                                 const agora_video_frame_observer *obs);
int agora_rtc_conn_unregister_video_frame_observer(agora_rtc_conn *conn);
int agora_rtc_conn_register_video_encoded_frame_observer(
    agora_rtc_conn *conn, const agora_video_encoded_frame_observer *obs);
int agora_rtc_conn_unregister_video_encoded_frame_observer(agora_rtc_conn *conn);
int agora_rtc_conn_register_video_user_observer(agora_rtc_conn *conn,
                                                const agora_video_user_observer *obs);
int agora_rtc_conn_unregister_video_user_observer(agora_rtc_conn *conn);

int agora_local_user_publish_video(agora_rtc_conn *conn);
int agora_local_user_unpublish_video(agora_rtc_conn *conn);
/* encoded_only: 1 = encoded frames to the encoded observer, 0 = raw frames. */
int agora_local_user_subscribe_video(agora_rtc_conn *conn, const char *user_id, int encoded_only);
int agora_local_user_unsubscribe_video(agora_rtc_conn *conn, const char *user_id);
int agora_local_user_subscribe_all_video(agora_rtc_conn *conn, int encoded_only);
int agora_local_user_unsubscribe_all_video(agora_rtc_conn *conn);
/* Ask user_id (a member of the channel) for a key frame: it gets
 * on_intra_request_received. AGORA_ERR_INVALID_ARGUMENT when no such user is
 * in the channel, AGORA_ERR_NOT_READY when not connected. Synchronous. RTP
 * transport: an RTCP PLI for user_id's forwarded video (INVALID_ARGUMENT when
 * it is not forwarded, i.e. not subscribed). */
int agora_local_user_send_intra_request(agora_rtc_conn *conn, const char *user_id);

/* Push a raw frame: validated, converted to I420 in the calling thread, and
 * handed to the channel. AGORA_ERR_NOT_READY unless connected and publishing
 * video. RTP transport: encoded in the calling thread first;
 * AGORA_ERR_NOT_SUPPORTED when the connection has no video stream (video=none)
 * or the encoder cannot be loaded (agora_video_encoder_supported says why). */
int agora_rtc_conn_push_video_frame(agora_rtc_conn *conn, const agora_external_video_frame *frame);
/* Push an encoded frame (copied, delivered byte-exact with its info). RTP
 * transport: codec_type must be the video stream's (else
 * AGORA_ERR_NOT_SUPPORTED), H.264 one Annex B access unit (else
 * AGORA_ERR_INVALID_ARGUMENT). */
int agora_rtc_conn_push_video_encoded(agora_rtc_conn *conn, const uint8_t *data, size_t length,
                                      const agora_encoded_video_info *info);
int agora_rtc_conn_get_video_stats(agora_rtc_conn *conn, agora_video_stats *out);
/* Configure the encoding of raw frames (from the next frame on; any transport,
 * used where frames are encoded). AGORA_ERR_INVALID_ARGUMENT for a size
 * outside 0..AGORA_VIDEO_MAX_DIMENSION (both 0 or both set), a frame rate
 * outside 0..120, a negative bitrate or an orientation mode outside 0..2. */
int agora_rtc_conn_set_video_encoder(agora_rtc_conn *conn, const agora_video_encoder_config *cfg);
/* 1 when raw frames can be encoded to codec (1 VP8, 2 H.264); *detail (if
 * given) names the encoder that is needed. */
int agora_video_encoder_supported(int codec, const char **detail);

#ifdef __cplusplus
}
#endif
#endif
