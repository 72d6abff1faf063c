/* Pixel-format conversion to I420 for pushed raw frames (pure functions).
 * RGB -> YUV is BT.601 limited range in 8-bit fixed point:
 *   Y = ((66 R + 129 G +  25 B + 128) >> 8) + 16
 *   U = ((-38 R - 74 G + 112 B + 128) >> 8) + 128
 *   V = ((112 R - 94 G -  18 B + 128) >> 8) + 128
 * with U and V computed from the rounded average of each 2x2 block. */
#include <string.h>
#include "agora_rtc/errors.h"
#include "agora_rtc/video.h"

size_t agora_video_buffer_size(int format, int stride, int height)
{
    if (stride <= 0 || height <= 0)
        return 0;
    size_t s = (size_t)stride, h = (size_t)height;
    switch (format) {
    case AGORA_VIDEO_PIXEL_I420: return s * h + 2 * (s / 2) * (h / 2);
    case AGORA_VIDEO_PIXEL_NV12:
    case AGORA_VIDEO_PIXEL_NV21: return s * h + s * (h / 2);
    case AGORA_VIDEO_PIXEL_RGBA:
    case AGORA_VIDEO_PIXEL_BGRA: return s * 4 * h;
    default: return 0;
    }
}

static void copy_plane(const uint8_t *src, int src_stride, uint8_t *dst, int dst_stride, int w, int h)
{
    for (int y = 0; y < h; y++)
        memcpy(dst + (size_t)y * dst_stride, src + (size_t)y * src_stride, (size_t)w);
}

static void split_uv(const uint8_t *src, int src_stride, uint8_t *a, int a_stride, uint8_t *b,
                     int b_stride, int cw, int ch)
{
    for (int y = 0; y < ch; y++) {
        const uint8_t *s = src + (size_t)y * src_stride;
        uint8_t *pa = a + (size_t)y * a_stride, *pb = b + (size_t)y * b_stride;
        for (int x = 0; x < cw; x++) {
            pa[x] = s[2 * x];
            pb[x] = s[2 * x + 1];
        }
    }
}

/* r, g, b: byte offsets of the channels in a 4-byte pixel. Always inlined
 * with constant offsets (one copy per channel order), so the compiler sees
 * fixed-stride loads and vectorises the loops. */
static inline __attribute__((always_inline)) void rgb_row_to_y(const uint8_t *s, uint8_t *d, int w,
                                                                int r, int g, int b)
{
    for (int x = 0; x < w; x++)
        d[x] = (uint8_t)(((66 * s[4 * x + r] + 129 * s[4 * x + g] + 25 * s[4 * x + b] + 128) >> 8) + 16);
}

static inline __attribute__((always_inline)) void rgb_rows_to_uv(const uint8_t *s0, const uint8_t *s1,
                                                                  uint8_t *pu, uint8_t *pv, int cw,
                                                                  int r, int g, int b)
{
    for (int x = 0; x < cw; x++) {
        const uint8_t *p = s0 + 8 * x, *q = s1 + 8 * x;
        int ar = (p[r] + p[r + 4] + q[r] + q[r + 4] + 2) >> 2;
        int ag = (p[g] + p[g + 4] + q[g] + q[g + 4] + 2) >> 2;
        int ab = (p[b] + p[b + 4] + q[b] + q[b + 4] + 2) >> 2;
        /* arithmetic shift of a negative sum: the ranges keep U, V in 16..240 */
        pu[x] = (uint8_t)(((-38 * ar - 74 * ag + 112 * ab + 128) >> 8) + 128);
        pv[x] = (uint8_t)(((112 * ar - 94 * ag - 18 * ab + 128) >> 8) + 128);
    }
}

static inline __attribute__((always_inline)) void rgb_to_i420(const uint8_t *src, int src_stride,
                                                               int r, int g, int b, uint8_t *dy,
                                                               int dys, uint8_t *du, int dus,
                                                               uint8_t *dv, int dvs, int w, int h)
{
    for (int y = 0; y < h; y += 2) {
        const uint8_t *s0 = src + (size_t)y * src_stride, *s1 = s0 + src_stride;
        rgb_row_to_y(s0, dy + (size_t)y * dys, w, r, g, b);
        rgb_row_to_y(s1, dy + (size_t)(y + 1) * dys, w, r, g, b);
        rgb_rows_to_uv(s0, s1, du + (size_t)(y / 2) * dus, dv + (size_t)(y / 2) * dvs, w / 2, r, g, b);
    }
}

static void rgba_to_i420(const uint8_t *src, int ss, uint8_t *dy, int dys, uint8_t *du, int dus,
                         uint8_t *dv, int dvs, int w, int h)
{
    rgb_to_i420(src, ss, 0, 1, 2, dy, dys, du, dus, dv, dvs, w, h);
}

static void bgra_to_i420(const uint8_t *src, int ss, uint8_t *dy, int dys, uint8_t *du, int dus,
                         uint8_t *dv, int dvs, int w, int h)
{
    rgb_to_i420(src, ss, 2, 1, 0, dy, dys, du, dus, dv, dvs, w, h);
}

int agora_video_to_i420(const agora_external_video_frame *f, uint8_t *dy, int dys, uint8_t *du,
                        int dus, uint8_t *dv, int dvs)
{
    if (!f || !f->buffer || !dy || !du || !dv)
        return AGORA_ERR_INVALID_ARGUMENT;
    size_t need = agora_video_buffer_size(f->format, f->stride, f->height);
    if (need == 0 || f->length != need)
        return AGORA_ERR_INVALID_ARGUMENT;
    int w = f->stride - f->crop_left - f->crop_right;
    int h = f->height - f->crop_top - f->crop_bottom;
    if (f->crop_left < 0 || f->crop_top < 0 || f->crop_right < 0 || f->crop_bottom < 0 ||
        w <= 0 || h <= 0 || (w | h | f->stride | f->height | f->crop_left | f->crop_top) & 1)
        return AGORA_ERR_INVALID_ARGUMENT;
    const uint8_t *buf = f->buffer;
    int s = f->stride, cl = f->crop_left, ct = f->crop_top;
    switch (f->format) {
    case AGORA_VIDEO_PIXEL_I420: {
        const uint8_t *u = buf + (size_t)s * f->height;
        const uint8_t *v = u + (size_t)(s / 2) * (f->height / 2);
        copy_plane(buf + (size_t)ct * s + cl, s, dy, dys, w, h);
        copy_plane(u + (size_t)(ct / 2) * (s / 2) + cl / 2, s / 2, du, dus, w / 2, h / 2);
        copy_plane(v + (size_t)(ct / 2) * (s / 2) + cl / 2, s / 2, dv, dvs, w / 2, h / 2);
        return AGORA_OK;
    }
    case AGORA_VIDEO_PIXEL_NV12:
    case AGORA_VIDEO_PIXEL_NV21: {
        const uint8_t *uv = buf + (size_t)s * f->height + (size_t)(ct / 2) * s + cl;
        copy_plane(buf + (size_t)ct * s + cl, s, dy, dys, w, h);
        if (f->format == AGORA_VIDEO_PIXEL_NV12)
            split_uv(uv, s, du, dus, dv, dvs, w / 2, h / 2);
        else
            split_uv(uv, s, dv, dvs, du, dus, w / 2, h / 2);
        return AGORA_OK;
    }
    case AGORA_VIDEO_PIXEL_RGBA:
    case AGORA_VIDEO_PIXEL_BGRA: {
        const uint8_t *p = buf + (size_t)ct * s * 4 + (size_t)cl * 4;
        if (f->format == AGORA_VIDEO_PIXEL_RGBA)
            rgba_to_i420(p, s * 4, dy, dys, du, dus, dv, dvs, w, h);
        else
            bgra_to_i420(p, s * 4, dy, dys, du, dus, dv, dvs, w, h);
        return AGORA_OK;
    }
    default:
        return AGORA_ERR_INVALID_ARGUMENT;
    }
}
