/* libFuzzer harness: the video RTP depacketizers (src/_native/video_rtp*.c,
 * VP8 and H.264) on arbitrary payload sequences, and the packetizers on the
 * input taken as one frame, whose packets must depacketize back.
 *
 * Input layout: byte 0 picks the codec (bit 0), the frame buffer size (bits
 * 1..3) and max_payload (bits 4..7); then records of
 *   [flags: bit 0 marker, bits 1-2 sequence step - 1 (gaps), bit 3 new
 *    timestamp] [length] [payload of that length (cut at the input's end)].
 * AddressSanitizer/UBSan catch any read outside a payload. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/video_rtp.h"

static volatile uint32_t sink;

static void depacketize_records(int codec, size_t cap, const uint8_t *data, size_t size)
{
    agora_video_depacketizer d;
    if (agora_video_depacketizer_init(&d, codec, cap) != 0)
        abort();
    uint16_t seq = 1;
    uint32_t ts = 0;
    size_t pos = 0;
    while (pos + 2 <= size) {
        uint8_t flags = data[pos], len = data[pos + 1];
        pos += 2;
        size_t n = size - pos < len ? size - pos : len;
        seq = (uint16_t)(seq + 1 + ((flags >> 1) & 3));
        ts += (flags & 8) ? 3000 : 0;
        int r = agora_video_depacketizer_push(&d, seq, ts, flags & 1, data + pos, n);
        if (r < 0 || r > 3)
            abort();
        agora_video_rtp_frame f;
        if (r == AGORA_VIDEO_DEPACK_FRAME_READY) {
            if (agora_video_depacketizer_frame(&d, &f) != 0 || f.len > cap || f.data != d.buf)
                abort();
            for (size_t i = 0; i < f.len; i++)
                sink += f.data[i];
            sink += (uint32_t)(f.width + f.height + f.keyframe);
        } else if (agora_video_depacketizer_frame(&d, &f) == 0) {
            abort(); /* a frame is only available right after FRAME_READY */
        }
        pos += n;
    }
    agora_video_depacketizer_free(&d);
}

/* The input as one frame: packetize, depacketize, compare (VP8 byte-exact;
 * H.264 must at least come back as one complete frame). */
static void round_trip(int codec, size_t max_payload, const uint8_t *data, size_t size)
{
    agora_video_packetizer p;
    int ok = codec == AGORA_VIDEO_RTP_VP8
                 ? agora_vp8_packetizer_start(&p, data, size, 77, max_payload)
                 : agora_h264_packetizer_start(&p, data, size, max_payload);
    if (ok != 0)
        return;
    agora_video_depacketizer d;
    if (agora_video_depacketizer_init(&d, codec, 4 * size + 16) != 0)
        abort();
    d.waiting_keyframe = 0; /* accept a delta frame: this is about the bytes */
    uint8_t *out = malloc(max_payload);
    int n, marker, last = -1;
    uint16_t seq = 0;
    while ((n = agora_video_packetizer_next(&p, out, max_payload, &marker)) > 0) {
        if ((size_t)n > max_payload)
            abort();
        last = agora_video_depacketizer_push(&d, seq++, 1, marker, out, (size_t)n);
        if (!marker && last != AGORA_VIDEO_DEPACK_NEED_MORE)
            abort();
    }
    if (n < 0 || last != AGORA_VIDEO_DEPACK_FRAME_READY)
        abort();
    agora_video_rtp_frame f;
    if (agora_video_depacketizer_frame(&d, &f) != 0)
        abort();
    if (codec == AGORA_VIDEO_RTP_VP8 && (f.len != size || memcmp(f.data, data, size) != 0))
        abort();
    free(out);
    agora_video_depacketizer_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int codec = (data[0] & 1) ? AGORA_VIDEO_RTP_H264 : AGORA_VIDEO_RTP_VP8;
    size_t cap = (size_t)16 << ((data[0] >> 1) & 7); /* 16 .. 2048 bytes */
    size_t max_payload = AGORA_VIDEO_RTP_MIN_PAYLOAD + ((size_t)(data[0] >> 4) * 7);
    depacketize_records(codec, cap, data + 1, size - 1);
    round_trip(codec, max_payload, data + 1, size - 1);
    int w, h;
    agora_h264_sps_dimensions(data + 1, size - 1, &w, &h);
    agora_vp8_frame_info(data + 1, size - 1, &w, &h);
    return 0;
}
