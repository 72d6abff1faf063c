/* Unit test of src/_native/video/video_convert.c: every format against a scalar
 * reference (independent float BT.601 limited-range formulas, within 1),
 * exact YUV copies, crops, and argument validation. Build and run:
 *   gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Isrc/_native/include -Itests/native \
 *       src/_native/video/video_convert.c tests/native/test_video_convert.c -lm \
 *       -o /tmp/test_video_convert && /tmp/test_video_convert */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "agora_rtc/video.h"

#include "native_test.h"

static int clamp_round(double v)
{
    long r = lround(v);
    return (int)(r < 0 ? 0 : r > 255 ? 255 : r);
}

static int near(int a, int b) { return abs(a - b) <= 1; }

static void check_rgb(int format, int w, int h, uint32_t seed)
{
    size_t n = (size_t)w * h * 4;
    uint8_t *src = malloc(n), *out = malloc((size_t)w * h * 3 / 2);
    for (size_t i = 0; i < n; i++)
        src[i] = (uint8_t)rnd(&seed);
    agora_external_video_frame f = {.format = format, .buffer = src, .length = n, .stride = w, .height = h};
    uint8_t *y = out, *u = y + w * h, *v = u + (w / 2) * (h / 2);
    CHECK(agora_video_to_i420(&f, y, w, u, w / 2, v, w / 2) == AGORA_OK, "format %d", format);
    int ri = format == AGORA_VIDEO_PIXEL_RGBA ? 0 : 2, bi = 2 - ri;
    int bad = 0;
    for (int r = 0; r < h; r++) {
        for (int c = 0; c < w; c++) {
            const uint8_t *p = src + ((size_t)r * w + c) * 4;
            int want = clamp_round(16 + (65.481 * p[ri] + 128.553 * p[1] + 24.966 * p[bi]) / 255);
            bad += !near(y[r * w + c], want);
        }
    }
    for (int r = 0; r < h / 2; r++) {
        for (int c = 0; c < w / 2; c++) {
            int m[3];
            for (int k = 0; k < 3; k++) {
                const uint8_t *p = src + ((size_t)(2 * r) * w + 2 * c) * 4 + k;
                m[k] = (p[0] + p[4] + p[w * 4] + p[w * 4 + 4] + 2) >> 2;
            }
            double R = m[ri], G = m[1], B = m[bi];
            bad += !near(u[r * (w / 2) + c], clamp_round(128 + (-37.797 * R - 74.203 * G + 112.0 * B) / 255));
            bad += !near(v[r * (w / 2) + c], clamp_round(128 + (112.0 * R - 93.786 * G - 18.214 * B) / 255));
        }
    }
    CHECK(bad == 0, "format %d: %d samples off by more than 1", format, bad);
    free(src);
    free(out);
}

static void check_yuv(int format)
{
    enum { W = 16, H = 8, CL = 2, CT = 2, CR = 4, CB = 0 };
    uint8_t src[W * H * 3 / 2], out[W * H * 3 / 2];
    uint32_t seed = 99;
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)rnd(&seed);
    agora_external_video_frame f = {.format = format, .buffer = src, .length = sizeof(src), .stride = W,
                                    .height = H, .crop_left = CL, .crop_top = CT, .crop_right = CR,
                                    .crop_bottom = CB};
    int w = W - CL - CR, h = H - CT - CB;
    uint8_t *y = out, *u = y + w * h, *v = u + (w / 2) * (h / 2);
    CHECK(agora_video_to_i420(&f, y, w, u, w / 2, v, w / 2) == AGORA_OK, "format %d", format);
    int bad = 0;
    for (int r = 0; r < h; r++)
        for (int c = 0; c < w; c++)
            bad += y[r * w + c] != src[(r + CT) * W + c + CL];
    for (int r = 0; r < h / 2; r++) {
        for (int c = 0; c < w / 2; c++) {
            int sr = r + CT / 2, sc = c + CL / 2, su, sv;
            if (format == AGORA_VIDEO_PIXEL_I420) {
                su = src[W * H + sr * (W / 2) + sc];
                sv = src[W * H + (W / 2) * (H / 2) + sr * (W / 2) + sc];
            } else {
                const uint8_t *uv = src + W * H + sr * W + 2 * sc;
                su = format == AGORA_VIDEO_PIXEL_NV12 ? uv[0] : uv[1];
                sv = format == AGORA_VIDEO_PIXEL_NV12 ? uv[1] : uv[0];
            }
            bad += u[r * (w / 2) + c] != su || v[r * (w / 2) + c] != sv;
        }
    }
    CHECK(bad == 0, "format %d: %d samples differ", format, bad);
}

static void check_invalid(void)
{
    uint8_t buf[64 * 4], out[64 * 2];
    agora_external_video_frame ok = {.format = AGORA_VIDEO_PIXEL_I420, .buffer = buf, .length = 24,
                                     .stride = 4, .height = 4};
    agora_external_video_frame f = ok;
    CHECK(agora_video_to_i420(&f, out, 4, out + 16, 2, out + 20, 2) == AGORA_OK, "valid");
    f.length = 23;
    CHECK(agora_video_to_i420(&f, out, 4, out + 16, 2, out + 20, 2) == AGORA_ERR_INVALID_ARGUMENT, "size");
    f = ok;
    f.format = 5;
    CHECK(agora_video_to_i420(&f, out, 4, out + 16, 2, out + 20, 2) == AGORA_ERR_INVALID_ARGUMENT, "format");
    f = ok;
    f.crop_left = 1;
    CHECK(agora_video_to_i420(&f, out, 4, out + 16, 2, out + 20, 2) == AGORA_ERR_INVALID_ARGUMENT, "odd crop");
    f = ok;
    f.crop_left = 2;
    f.crop_right = 2;
    CHECK(agora_video_to_i420(&f, out, 4, out + 16, 2, out + 20, 2) == AGORA_ERR_INVALID_ARGUMENT, "empty");
    f = ok;
    f.stride = 3;
    f.length = agora_video_buffer_size(f.format, 3, 4);
    CHECK(agora_video_to_i420(&f, out, 4, out + 16, 2, out + 20, 2) == AGORA_ERR_INVALID_ARGUMENT, "odd");
    f = ok;
    f.buffer = NULL;
    CHECK(agora_video_to_i420(&f, out, 4, out + 16, 2, out + 20, 2) == AGORA_ERR_INVALID_ARGUMENT, "null");
    CHECK(agora_video_buffer_size(AGORA_VIDEO_PIXEL_RGBA, 4, 4) == 64, "rgba size");
    CHECK(agora_video_buffer_size(AGORA_VIDEO_PIXEL_NV21, 4, 4) == 24, "nv21 size");
    CHECK(agora_video_buffer_size(AGORA_VIDEO_PIXEL_I420, -4, 4) == 0, "negative");
}

int main(void)
{
    check_rgb(AGORA_VIDEO_PIXEL_RGBA, 64, 32, 1);
    check_rgb(AGORA_VIDEO_PIXEL_BGRA, 34, 18, 2);
    check_yuv(AGORA_VIDEO_PIXEL_I420);
    check_yuv(AGORA_VIDEO_PIXEL_NV12);
    check_yuv(AGORA_VIDEO_PIXEL_NV21);
    check_invalid();
    if (failures)
        printf("%d failure(s)\n", failures);
    else
        printf("test_video_convert: ok\n");
    return failures != 0;
}
