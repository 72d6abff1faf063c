/* RTP payload formats for encoded video (pure functions over caller-owned
 * state, no engine objects; used by the RTP/Janus transport and by the Python
 * module's packetizer test hooks): VP8 (RFC 7741) and H.264 packetization-mode=1
 * (RFC 6184), in both directions, plus the keyframe / dimension parse the
 * receiver needs. Keyframe requests (PLI, FIR) are built and parsed in rtp.h.
 *
 * Sending: one encoded frame -> RTP payloads
 * ------------------------------------------
 *   agora_video_packetizer p;
 *   agora_vp8_packetizer_start(&p, frame, len, picture_id, 1200);   or
 *   agora_h264_packetizer_start(&p, annexb, len, 1200);
 *   while ((n = agora_video_packetizer_next(&p, buf + 12, cap - 12, &marker)) > 0)
 *       build the RTP header (agora_rtp_write_header, same timestamp for every
 *       packet of the frame, marker as returned) and send 12 + n bytes;
 *   n == 0: the frame is done; n < 0: the frame was refused (nothing to send).
 * The packetizer borrows `frame` (no copy): it must stay valid and unchanged
 * until next() has returned 0 or the packetizer is dropped. No allocation;
 * the state is a plain struct (one owner, any thread). Payload sizes are
 * balanced: a frame needing k packets is cut into k nearly equal pieces, so
 * no tiny tail packet follows k-1 full ones.
 *
 * VP8 (RFC 7741 section 4.2): every packet carries the 4-byte descriptor
 * X=1, N=0, PID=0, then I=1 with M=1 and the 15-bit PictureID; S=1 on the
 * frame's first packet only. The frame is sent as one run of bytes (partition
 * boundaries are not looked for, which RFC 7741 allows). Marker on the last
 * packet. The caller increments picture_id (mod 2^15) per frame.
 *
 * H.264 (RFC 6184, packetization-mode=1): the input is ONE access unit as an
 * Annex B byte stream, NAL units each preceded by a 3-byte (00 00 01) or
 * 4-byte (00 00 00 01) start code; zero bytes before a start code (trailing
 * zeros of the previous NAL unit) are dropped, as Annex B allows. A NAL unit
 * that fits in max_payload is a single-NAL packet; consecutive NAL units that
 * fit together (SPS, PPS, SEI, small slices) are aggregated into one STAP-A
 * (type 24); a larger one is fragmented into FU-A (type 28, S/E bits, F and
 * NRI kept from the NAL header). Marker on the access unit's last packet.
 *
 * Receiving: RTP payloads -> encoded frames
 * -----------------------------------------
 * The depacketizer expects the packets of ONE source (one SSRC) in sequence
 * order; it does no reordering (the transport orders packets with its own
 * small buffer first). A duplicate or late packet (sequence number at or
 * behind the last one accepted) is ignored -- unless AGORA_VIDEO_RTP_RESYNC
 * of them come in a row: then the source has jumped back (restarted its
 * sequence numbers) and the packet is taken as one after a gap, so the
 * stream resynchronises instead of stalling. Any forward gap is a loss: the
 * frame in progress (or, between frames, the frame that may have been in the
 * gap) is LOST. A frame is also lost when its start is missing, a payload is
 * malformed, or it would exceed max_frame_bytes. Padding-only packets (an
 * empty payload once the RTP padding is removed; browsers send them on the
 * media SSRC to probe bandwidth) must be pushed too, with len 0: they take
 * their sequence number and nothing else, so dropping them instead would
 * look like a loss. After a loss -- and from init, until the first
 * keyframe -- the depacketizer waits for a keyframe: complete delta frames
 * are reported as SKIPPED, not READY, so a decoder is never handed a frame
 * whose references are gone. The caller should request a keyframe (PLI,
 * rate-limited) on LOST and while waiting_keyframe says so.
 *
 * Frame boundaries: the marker bit ends a frame; a change of RTP timestamp
 * with a frame still unfinished loses that frame (the new packet starts the
 * next one). A completed frame is:
 *   VP8:   the concatenated payloads after the descriptors, i.e. the encoded
 *          frame exactly as the encoder produced it (an IVF frame body);
 *          keyframe when the first descriptor has S=1, PID=0 and the first
 *          payload byte has P (bit 0) == 0; width/height from the key frame
 *          header (RFC 6386 9.1: frame tag, 9d 01 2a, 14-bit sizes).
 *   H.264: Annex B with a 4-byte start code before every NAL unit (STAP-A
 *          split, FU-A reassembled), so a 4-byte-start-code input round-trips
 *          byte for byte (3-byte start codes come back as 4-byte ones);
 *          keyframe when it holds an IDR slice (NAL type 5); width/height
 *          from the first SPS of the frame (cropping applied), 0x0 when
 *          there is no SPS or it uses a feature the parser does not follow.
 *          The first slice of a frame must have first_mb_in_slice == 0 (no
 *          arbitrary slice order, which WebRTC encoders do not use): that is
 *          how a frame whose first packets were lost in a gap between two
 *          frames is recognised (H.264 has no start flag like VP8's S bit).
 * Parsers never read outside the payload given to them whatever its bytes.
 *
 * Errors are the negative codes of agora_rtc/errors.h. */
#ifndef AGORA_RTC_VIDEO_RTP_H
#define AGORA_RTC_VIDEO_RTP_H

#include <stddef.h>
#include <stdint.h>

/* Codec ids: the Agora VIDEO_CODEC_TYPE values. */
enum agora_video_rtp_codec {
    AGORA_VIDEO_RTP_VP8 = 1,
    AGORA_VIDEO_RTP_H264 = 2,
};

/* max_payload range accepted by the packetizers: room for the VP8
 * descriptor (4 bytes) plus one byte, up to a UDP datagram (65507 bytes)
 * minus the 12-byte RTP header. */
#define AGORA_VIDEO_RTP_MIN_PAYLOAD 5
#define AGORA_VIDEO_RTP_MAX_PAYLOAD 65495
/* Consecutive late/duplicate packets after which the sequence is resynchronised. */
#define AGORA_VIDEO_RTP_RESYNC 64
/* The VP8 payload descriptor this packetizer writes (X, I with M=1). */
#define AGORA_VP8_DESCRIPTOR_SIZE 4

/* ------------------------------------------------------------ packetizer */

/* Plain state; fields are private to video_rtp_*.c. */
typedef struct agora_video_packetizer {
    int codec;               /* enum agora_video_rtp_codec, 0 when idle */
    const uint8_t *frame;    /* borrowed input */
    size_t len;
    size_t max_payload;
    size_t pos;              /* VP8: frame bytes sent; H.264: scan position */
    uint16_t picture_id;     /* VP8 */
    int first;               /* VP8: the next packet is the frame's first */
    /* H.264: the NAL unit being sent ([nal, nal + nal_len), header included),
     * how much of it is sent (FU-A), and the packet count of its FU-A run. */
    const uint8_t *nal;
    size_t nal_len;
    size_t nal_sent;
    size_t fu_packets_left;
    int done;
} agora_video_packetizer;

/* Start packetizing one VP8 frame (borrowed, see above). picture_id is
 * taken mod 2^15. Returns AGORA_OK, or AGORA_ERR_INVALID_ARGUMENT (p or
 * frame NULL, len 0, max_payload outside the range above); on error the
 * packetizer is idle (next() returns 0). */
int agora_vp8_packetizer_start(agora_video_packetizer *p, const uint8_t *frame, size_t len,
                               uint16_t picture_id, size_t max_payload);

/* Start packetizing one H.264 access unit in Annex B form (borrowed).
 * Returns AGORA_OK, or AGORA_ERR_INVALID_ARGUMENT: p or frame NULL, len 0,
 * max_payload out of range, the buffer does not begin with a start code
 * (after optional leading zero bytes), it holds no NAL unit (only start
 * codes and zeros), an empty one, one of type 0 or 24..31, or its first slice
 * (type 1..5) does not start the picture (first_mb_in_slice != 0). The whole
 * buffer is validated here, so next() cannot fail halfway through a frame. */
int agora_h264_packetizer_start(agora_video_packetizer *p, const uint8_t *annexb, size_t len,
                                size_t max_payload);

/* Write the next payload into out (cap bytes). Returns its length (> 0, at
 * most max_payload) and sets *marker (1 on the frame's last packet, else 0);
 * 0 when the frame is done (or the packetizer is idle); a negative error:
 * AGORA_ERR_INVALID_ARGUMENT (p, out or marker NULL), AGORA_ERR_BUFFER_TOO_SMALL
 * (cap < max_payload; the packetizer state is unchanged, so it may be retried
 * with a big enough out). */
int agora_video_packetizer_next(agora_video_packetizer *p, uint8_t *out, size_t cap, int *marker);

/* ---------------------------------------------------------- depacketizer */

/* push() results (>= 0); negative values are errors.h codes. */
enum agora_video_depack_result {
    AGORA_VIDEO_DEPACK_NEED_MORE = 0,   /* packet taken, frame not finished
                                           (or ignored: duplicate / late, or
                                           part of a frame already lost) */
    AGORA_VIDEO_DEPACK_FRAME_READY = 1, /* a frame is complete: see _frame() */
    AGORA_VIDEO_DEPACK_FRAME_LOST = 2,  /* a frame was dropped (gap, missing
                                           start, malformed, too large);
                                           now waiting for a keyframe */
    AGORA_VIDEO_DEPACK_FRAME_SKIPPED = 3, /* a complete delta frame was dropped
                                             while waiting for a keyframe */
};

/* A completed frame; data points into the depacketizer's buffer and is valid
 * until the next push, reset or free. */
typedef struct agora_video_rtp_frame {
    const uint8_t *data;
    size_t len;
    uint32_t rtp_ts;
    int keyframe;
    int width, height;  /* keyframes: parsed from the bitstream, 0x0 when
                           unknown; delta frames: 0x0 */
} agora_video_rtp_frame;

/* Plain state; fields are private to video_rtp_*.c. */
typedef struct agora_video_depacketizer {
    int codec;
    uint8_t *buf;            /* max_frame_bytes, allocated by init */
    size_t cap;
    size_t len;              /* bytes of the frame in progress */
    int have_seq;
    uint16_t last_seq;       /* last sequence number accepted */
    int late_run;            /* late/duplicate packets in a row */
    int in_frame;            /* a frame is in progress (packets taken) */
    int frame_broken;        /* the frame in progress is lost: drop until it ends */
    uint32_t frame_ts;
    int frame_key;           /* the frame in progress is a keyframe */
    int in_fu;               /* H.264: inside a FU-A run */
    size_t nal_off;          /* H.264: offset in buf of the NAL being built */
    size_t sps_off, sps_len; /* H.264: first SPS of the frame (sps_len 0: none) */
    int vcl_seen;            /* H.264: the frame has a slice NAL unit */
    int waiting_keyframe;
    int ready;               /* a completed frame is available */
    agora_video_rtp_frame out;
    /* counters */
    uint64_t frames_ready, frames_lost, frames_skipped, packets_ignored;
} agora_video_depacketizer;

/* Allocate the frame buffer (max_frame_bytes, 1 .. AGORA_VIDEO_MAX_ENCODED of
 * video.h) for codec. Starts waiting for a keyframe. AGORA_OK,
 * AGORA_ERR_INVALID_ARGUMENT (d NULL, unknown codec, size out of range) or
 * AGORA_ERR_NO_MEMORY. The only allocation of the depacketizer. */
int agora_video_depacketizer_init(agora_video_depacketizer *d, int codec, size_t max_frame_bytes);
/* Release the buffer; d may be NULL or already freed (then a no-op). */
void agora_video_depacketizer_free(agora_video_depacketizer *d);
/* Forget the sequence state and any frame in progress (e.g. a new SSRC);
 * waits for a keyframe again. Counters are kept. */
void agora_video_depacketizer_reset(agora_video_depacketizer *d);

/* Feed one RTP packet's payload (padding removed), in sequence order.
 * Returns an agora_video_depack_result, or AGORA_ERR_INVALID_ARGUMENT when d
 * is NULL/not initialised or payload is NULL with len > 0 (nothing changes).
 * When one push both detects a loss and completes a keyframe it returns
 * FRAME_READY (the loss is still counted in frames_lost); when it detects a
 * loss and completes a delta frame (skipped) it returns FRAME_LOST. */
int agora_video_depacketizer_push(agora_video_depacketizer *d, uint16_t seq, uint32_t rtp_ts,
                                  int marker, const uint8_t *payload, size_t len);

/* The frame of the last FRAME_READY push. AGORA_OK, or
 * AGORA_ERR_NOT_READY when no frame is available (the last push did not
 * return FRAME_READY). */
int agora_video_depacketizer_frame(const agora_video_depacketizer *d, agora_video_rtp_frame *out);

/* 1 while no keyframe has completed since init, reset or the last loss. */
int agora_video_depacketizer_waiting_keyframe(const agora_video_depacketizer *d);

/* --------------------------------------------------- bitstream inspection */

/* VP8 frame (no descriptor): 1 for a key frame (P bit == 0), 0 otherwise
 * (or len 0); for a key frame with a valid header (start code 9d 01 2a,
 * len >= 10) *width / *height get the 14-bit sizes, else 0. */
int agora_vp8_frame_info(const uint8_t *frame, size_t len, int *width, int *height);

/* Parse an H.264 SPS NAL unit (header byte included, emulation prevention
 * bytes still in): frame width/height after cropping. Returns AGORA_OK, or
 * AGORA_ERR_INVALID_ARGUMENT when it is not an SPS, is truncated, or uses
 * what this parser does not follow (then *width = *height = 0). */
int agora_h264_sps_dimensions(const uint8_t *nal, size_t len, int *width, int *height);

#endif
