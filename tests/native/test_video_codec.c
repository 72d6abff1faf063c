/* Unit test of the video encoder and decoder (src/_native/video/video_encoder.c,
 * video_decoder.c: libvpx / libx264 / libavcodec's decoders, loaded at run
 * time): a moving gradient encoded to VP8 and H.264 and decoded back (size,
 * keyframe first, pixels close to the input), the configured size (scaled to
 * fit, aspect ratio kept, portrait boxes when adaptive), keyframe requests,
 * and garbage into the decoder. Skips (passes) when libavcodec cannot be
 * loaded. The Python tests compare against the ffmpeg command line. Build:
 *   cmake -S . -B build/native -DAGORA_RTC_NATIVE_TESTS=ON && cmake --build build/native
 *   build/native/test_video_codec */
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "agora_rtc/video_rtp.h"
#include "video/video_decoder.h"
#include "video/video_encoder.h"

#include "native_test.h"

typedef struct encoded {
    uint8_t *data[64];
    size_t len[64];
    int key[64], width[64], height[64];
    int n;
} encoded;

static int collect(void *ud, const uint8_t *data, size_t length, const agora_encoded_video_info *info)
{
    encoded *e = ud;
    if (e->n >= 64)
        return AGORA_ERR_FAILED;
    e->data[e->n] = malloc(length);
    memcpy(e->data[e->n], data, length);
    e->len[e->n] = length;
    e->key[e->n] = info->frame_type == 3;
    e->width[e->n] = info->width;
    e->height[e->n] = info->height;
    e->n++;
    return AGORA_OK;
}

static void clear(encoded *e)
{
    for (int i = 0; i < e->n; i++)
        free(e->data[i]);
    e->n = 0;
}

/* A w x h I420 frame: a gradient moving with t. */
static uint8_t *gradient(int w, int h, int t, agora_video_frame *f)
{
    uint8_t *buf = malloc((size_t)w * h * 3 / 2);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            buf[y * w + x] = (uint8_t)(16 + ((x + y + 4 * t) * 200 / (w + h)) % 200);
    memset(buf + w * h, 100, (size_t)w * h / 2);
    memset(f, 0, sizeof(*f));
    f->type = AGORA_VIDEO_PIXEL_I420;
    f->width = w;
    f->height = h;
    f->y_buffer = buf;
    f->u_buffer = buf + w * h;
    f->v_buffer = buf + w * h + (w / 2) * (h / 2);
    f->y_stride = w;
    f->u_stride = f->v_stride = w / 2;
    return buf;
}

typedef struct picture {
    int n, width, height;
    double mad;              /* mean absolute difference of Y against `ref` */
    const uint8_t *ref;
} picture;

static void on_picture(void *ud, const agora_video_frame *f)
{
    picture *p = ud;
    p->n++;
    p->width = f->width;
    p->height = f->height;
    if (p->ref) {
        double sum = 0;
        for (int y = 0; y < f->height; y++)
            for (int x = 0; x < f->width; x++)
                sum += abs(f->y_buffer[y * f->y_stride + x] - p->ref[y * f->width + x]);
        p->mad = sum / (f->width * f->height);
    }
}

static void round_trip(int codec)
{
    agora_video_encoder *enc = agora_video_encoder_new();
    agora_video_decoder *dec = agora_video_decoder_new(codec);
    CHECK(enc && dec, "codec %d", codec);
    if (!enc || !dec)
        return;
    agora_video_encoder_config cfg = {.frame_rate = 15, .bitrate_kbps = 800};
    agora_video_encoder_configure(enc, &cfg);
    encoded e = {0};
    for (int t = 0; t < 10; t++) {
        agora_video_frame f;
        uint8_t *buf = gradient(64, 48, t, &f);
        if (t == 6)
            agora_video_encoder_request_keyframe(enc);
        CHECK(agora_video_encoder_encode(enc, codec, &f, 1000 + t * 66, collect, &e) == AGORA_OK, "t=%d", t);
        CHECK(e.n == t + 1, "one encoded frame per frame (codec %d, t=%d: %d)", codec, t, e.n);
        picture p = {.ref = buf};
        if (e.n == t + 1)
            CHECK(agora_video_decoder_decode(dec, e.data[t], e.len[t], 0, on_picture, &p) == 1, "t=%d", t);
        CHECK(p.n == 1 && p.width == 64 && p.height == 48, "codec %d t=%d: %dx%d", codec, t, p.width, p.height);
        CHECK(p.mad < 4.0, "codec %d t=%d: mean difference %.2f", codec, t, p.mad);
        free(buf);
    }
    CHECK(e.n == 10 && e.key[0] && !e.key[1] && e.key[6] && !e.key[7], "keyframes first and on request");
    CHECK(agora_video_encoder_frames(enc) == 10, "counted");
    clear(&e);

    /* the configured box: 64x48 into 32x32 -> 32x24; portrait 48x64 into 32x24 (adaptive) -> 24x32 */
    cfg.width = 32;
    cfg.height = 32;
    agora_video_encoder_configure(enc, &cfg);
    agora_video_frame f;
    uint8_t *buf = gradient(64, 48, 0, &f);
    CHECK(agora_video_encoder_encode(enc, codec, &f, 5000, collect, &e) == AGORA_OK, "scaled");
    CHECK(e.n == 1 && e.width[0] == 32 && e.height[0] == 24 && e.key[0], "32x24 keyframe: %dx%d",
          e.width[0], e.height[0]);
    free(buf);
    cfg.width = 32;
    cfg.height = 24;
    agora_video_encoder_configure(enc, &cfg);
    buf = gradient(48, 64, 0, &f);
    CHECK(agora_video_encoder_encode(enc, codec, &f, 5100, collect, &e) == AGORA_OK, "portrait");
    CHECK(e.n == 2 && e.width[1] == 24 && e.height[1] == 32, "24x32: %dx%d", e.width[1], e.height[1]);
    free(buf);
    picture p = {0};
    agora_video_decoder *dec2 = agora_video_decoder_new(codec);
    CHECK(dec2 && agora_video_decoder_decode(dec2, e.data[1], e.len[1], 0, on_picture, &p) == 1 &&
              p.width == 24 && p.height == 32, "decoded portrait %dx%d", p.width, p.height);
    agora_video_decoder_free(dec2);
    clear(&e);

    /* garbage into the decoder: refused or nothing shown, never a crash */
    uint32_t seed = 0x1234u + (uint32_t)codec;
    uint8_t junk[2000];
    for (int i = 0; i < 300; i++) {
        size_t n = 1 + rnd(&seed) % sizeof(junk);
        for (size_t k = 0; k < n; k++)
            junk[k] = (uint8_t)rnd(&seed);
        picture q = {0};
        int r = agora_video_decoder_decode(dec, junk, n, 0, on_picture, &q);
        CHECK(r >= AGORA_ERR_INVALID_ARGUMENT || r == AGORA_ERR_NO_MEMORY, "garbage: %d", r);
    }
    agora_video_decoder_free(dec);
    agora_video_encoder_free(enc);
}

int main(void)
{
    const char *detail = NULL;
    if (!agora_video_encoder_available(AGORA_VIDEO_RTP_VP8, &detail) ||
        !agora_video_decoder_available(AGORA_VIDEO_RTP_VP8)) {
        printf("SKIP: %s cannot be loaded\n", detail ? detail : "libavcodec");
        return 0;
    }
    round_trip(AGORA_VIDEO_RTP_VP8);
    if (agora_video_encoder_available(AGORA_VIDEO_RTP_H264, NULL))
        round_trip(AGORA_VIDEO_RTP_H264);
    CHECK(agora_video_decoder_new(99) == NULL, "no such codec");
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures != 0;
}
