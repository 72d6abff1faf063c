/* Per-frame audio labels: loudness, voice probability and pitch (VAD.md section 1).
 *
 * Pipeline for each 10 ms frame (all state lives in the analyser, no globals):
 *
 *  1. Loudness on the raw int16 frame (all channels): dBFS = 10 log10(mean(x^2) / 32768^2),
 *     -127 for digital silence and clamped to [-127, 0]; rms = round(dBFS + 127) in 0..127.
 *     A full-scale square wave is 0 dBFS -> 127.
 *  2. Downmix to mono and resample to an internal 8 kHz analysis rate (windowed-sinc
 *     polyphase table, 3.6 kHz cutoff; 8 kHz input is used as is). Every input rate therefore
 *     yields the same features, and one model serves 8..48 kHz.
 *  3. A 256-point real FFT (own radix-2 code) of the last 32 ms, Hann windowed.
 *  4. Per-bin noise floor by minimum statistics: the minimum of the smoothed periodogram
 *     over 8 sub-windows of 24 frames (about 1.9 s). Stationary noises (white, pink, brown,
 *     mains hum and its harmonics, steady tones) sink into the floor within that time.
 *  5. Features: band SNRs against the floor, spectral flatness, harmonicity and pitch from
 *     the normalised autocorrelation of the noise-subtracted spectrum (a second FFT of the
 *     power spectrum; lag range 62.5..400 Hz, Boersma window correction, parabolic peak),
 *     a pitch-steadiness penalty (a held musical note has a frozen pitch, speech glides),
 *     spectral flux, 2..8 Hz modulation of the frame SNR (syllable rhythm), an impulsiveness
 *     measure (peak/mean energy of 1.25 ms sub-blocks, for keyboard-like clicks), short
 *     context summaries of these, and the level dynamics over 320 ms and ~1 s (one talker
 *     pauses and swings by 10 dB and more; overlapped babble keeps a steady level).
 *  6. A small network (16 tanh units, weights fitted offline, see MODEL below) gives the
 *     per-frame speech probability, followed by an attack/release smoother so short pauses
 *     inside an utterance do not drop the probability at once. voice_prob = round(100 * p).
 *
 * pitch_hz is reported for frames whose harmonicity is high and whose SNR is above the
 * floor, 0 otherwise. music_prob and far_field are left 0: no estimator exists here.
 */
#include "agora_rtc/audio_labels.h"
#include "agora_rtc/errors.h"
#include "label_prefetch.h"

#include <math.h>
#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define AN_RATE 8000
#define AN_HOP 80
#define AN_WIN 256
#define AN_NBIN 129
#define AN_NBANDS 16
#define AN_SUBWIN 24   /* frames per minimum-statistics sub-window */
#define AN_NSUB 8      /* sub-windows in the minimum search */
#define AN_RS_PHASES 64
#define AN_RS_MAX_STEP 6  /* 48 kHz */
#define AN_RS_MAX_TAPS 40 /* 2 * ceil(3 * 6) + 2 = 38 at 48 kHz */
#define AN_MAX_IN 480     /* samples per channel of a 10 ms frame at 48 kHz */
#define AN_TAU_MIN 20  /* 400 Hz */
#define AN_TAU_MAX 128 /* 62.5 Hz */
#define AN_CTX 32      /* frames of feature context */
#define AN_NFEAT 28
#define AN_NHID 16 /* hidden units of the network (MODEL below) */

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* band edges in FFT bins (31.25 Hz each), roughly mel spaced over 94..4000 Hz */
static const int k_band_edges[AN_NBANDS + 1] = {3,  5,  7,  9,  12, 15, 19, 23, 28,
                                                 34, 41, 49, 59, 71, 86, 104, 128};

struct agora_label_analyzer {
    int sample_rate;
    int channels;
    int in_len; /* samples per channel per frame */

    /* resampler to 8 kHz (unused when sample_rate == 8000) */
    int rs_taps;       /* taps per phase */
    int rs_hist;       /* history samples kept before the frame */
    double rs_step;    /* input samples per output sample */
    float *rs_kernel;  /* (AN_RS_PHASES + 1) * rs_taps */
    float rs_histbuf[AN_RS_MAX_TAPS + 2]; /* the last rs_hist input samples (the frame itself is
                                          * converted on the stack: less state per stream) */
    /* output j of every frame reads taps rs_kernel[rs_phase[j]] at cur + rs_first[j]
     * (the positions only depend on the rates, so they are computed once) */
    int rs_phase[AN_HOP];
    int rs_first[AN_HOP];
    /* > 0 when the rate is a multiple of 8 kHz: every output uses phase 0 and output j reads
     * at rs_first[0] + rs_int_step * j (the common case, run over all outputs at once) */
    int rs_int_step;

    /* the frame-by-frame state comes first and the once-per-sub-window ring last, so the
     * bytes every frame touches are contiguous (thousands of analysers share the caches) */
    float x8[AN_WIN]; /* last 32 ms at 8 kHz, oldest first */

    /* noise floor (per bin) */
    float psmooth[AN_NBIN];
    float sub_min[AN_NBIN];
    float win_min[AN_NBIN];
    int sub_count;
    int sub_index;
    int sub_filled;
    long long frames;

    /* context */
    float band_db_prev[3][AN_NBANDS];
    float snr_hist[AN_CTX];
    float harm_hist[AN_CTX];
    float imp_hist[AN_CTX];
    int hist_pos;
    float last_pitch;
    float steady_acc;
    float glide_acc;
    float mod_fast, mod_slow, mod_env;
    float lvl_mean, lvl_var; /* ~1 s running mean / variance of the frame SNR */
    float prev_sub_e[8];
    float p_smooth;
    float feat[AN_NFEAT];
    float sub_ring[AN_NSUB][AN_NBIN]; /* touched once per sub-window */
};

/* Constant tables, the same for every analyser: computed once per process and shared (they
 * used to be per analyser, 3.6 KB each that every frame of every stream pulled into the cache). */
typedef struct label_tables {
    float hann[AN_WIN];
    float tw_re[127], tw_im[127];   /* 128-point complex FFT twiddles, per pass */
    float cos_sp[129], sin_sp[129]; /* real-split twiddles e^{-2 pi i k / 256} */
    unsigned char bitrev[128];
    /* rfft256_even input: re[i] = e[even_src_re[i]], im[i] = e[even_src_im[i]] (the even
     * extension and the FFT's bit-reversed order in one gather) */
    unsigned char even_src_re[128], even_src_im[128];
    float win_ac[AN_TAU_MAX + 2]; /* normalised autocorrelation of the window */
    float w1t[AN_NFEAT][AN_NHID];   /* the network's k_w1 transposed (the hidden units side by side) */
} label_tables;

static label_tables g_tables;
static pthread_once_t g_tables_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ small math */

/* log2 approximation (max error ~0.005), x > 0: exponent plus a quadratic on the mantissa. */
static inline float fast_log2(float x)
{
    union { float f; unsigned u; } v;
    v.f = x;
    float e = (float)(int)((v.u >> 23) & 255u) - 128.0f;
    v.u = (v.u & 0x007FFFFFu) | 0x3F800000u;
    float m = v.f;
    return e + (-0.34484843f * m + 2.02466578f) * m - 0.67487759f;
}

static inline float db10(float power) /* 10 log10(power), power >= 0 */
{
    return 3.01029996f * fast_log2(power + 1e-12f);
}

/* tanh by its 7th-order continued fraction, |error| < 1e-4 (saves about 0.25 us per frame over
 * tanhf for 8 hidden units; the fit uses the exact tanh, the difference is far below the
 * 1 % steps of voice_prob) */
static inline float fast_tanh(float x)
{
    x = x < -4.97f ? -4.97f : (x > 4.97f ? 4.97f : x);
    float x2 = x * x;
    return x * (135135.0f + x2 * (17325.0f + x2 * (378.0f + x2))) /
           (135135.0f + x2 * (62370.0f + x2 * (3150.0f + 28.0f * x2)));
}

static inline float clampf(float x, float lo, float hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

/* ------------------------------------------------------------------ 4-wide SIMD
 * GCC/Clang vector extensions (SSE on x86-64, NEON on arm64, plain code elsewhere). Every
 * lane does exactly the scalar code's IEEE single-precision operations in the same order (C11
 * mode: no FMA contraction), so vectorised loops give bit-identical results. */
typedef float v4f __attribute__((vector_size(16)));

static inline v4f ld4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void st4(float *p, v4f v)
{
    memcpy(p, &v, sizeof v);
}

static inline v4f splat4(float x)
{
    return (v4f){x, x, x, x};
}

typedef int v4i __attribute__((vector_size(16)));

/* lanes i0..i3 of the 8 lanes of a then b */
#if defined(__clang__)
#define SHUF2(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
#define SHUF2(a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, (v4i){i0, i1, i2, i3})
#endif

/* p[3], p[2], p[1], p[0] */
static inline v4f ld4_reversed(const float *p)
{
    v4f v = ld4(p);
    return SHUF2(v, v, 3, 2, 1, 0);
}

/* fast_log2 on four values (the same operations lane by lane) */
static inline v4f fast_log2_4(v4f x)
{
    v4i u;
    memcpy(&u, &x, sizeof u);
    v4f e = __builtin_convertvector((u >> 23) & 255, v4f) - splat4(128.0f);
    u = (u & 0x007FFFFF) | 0x3F800000;
    v4f m;
    memcpy(&m, &u, sizeof m);
    return e + (splat4(-0.34484843f) * m + splat4(2.02466578f)) * m - splat4(0.67487759f);
}

/* ------------------------------------------------------------------ FFT */

/* One radix-2 pass block: butterflies k = 0..half-1 between p and q = p + half. The
 * restrict pointers let the compiler run several k at once (SIMD); each k's arithmetic and its
 * order are unchanged, so the results are bit-identical to the scalar loop. */
static inline void butterflies(float *restrict pr, float *restrict pi, float *restrict qr,
                               float *restrict qi, const float *restrict wr,
                               const float *restrict wi, int half)
{
    for (int k = 0; k < half; k += 4) { /* half is a multiple of 4 */
        v4f vqr = ld4(qr + k), vqi = ld4(qi + k), vwr = ld4(wr + k), vwi = ld4(wi + k);
        v4f vpr = ld4(pr + k), vpi = ld4(pi + k);
        v4f tr = vqr * vwr - vqi * vwi;
        v4f ti = vqr * vwi + vqi * vwr;
        st4(qr + k, vpr - tr); st4(qi + k, vpi - ti);
        st4(pr + k, vpr + tr); st4(pi + k, vpi + ti);
    }
}

/* One butterfly of butterflies() on four k at once, in registers. */
static inline void bf4(v4f *pr, v4f *pi, v4f *qr, v4f *qi, v4f wr, v4f wi)
{
    v4f tr = *qr * wr - *qi * wi;
    v4f ti = *qr * wi + *qi * wr;
    *qr = *pr - tr; *qi = *pi - ti;
    *pr = *pr + tr; *pi = *pi + ti;
}

/* Two radix-2 passes, half sizes h and 2h, over one block of 4h values (groups A B C D of h):
 * pass h pairs A-B and C-D with twiddles w1[k], pass 2h pairs A-C with w2[k] and B-D with
 * w2[h + k]. Every value meets the same butterflies in the same order as with two calls of
 * butterflies(), only without the store and reload in between. */
static inline void butterflies_2pass(float *restrict re, float *restrict im,
                                     const float *restrict w1r, const float *restrict w1i,
                                     const float *restrict w2r, const float *restrict w2i, int h)
{
    for (int k = 0; k < h; k += 4) {
        v4f ar = ld4(re + k), ai = ld4(im + k), br = ld4(re + h + k), bi = ld4(im + h + k);
        v4f cr = ld4(re + 2 * h + k), ci = ld4(im + 2 * h + k);
        v4f dr = ld4(re + 3 * h + k), di = ld4(im + 3 * h + k);
        v4f w1r4 = ld4(w1r + k), w1i4 = ld4(w1i + k);
        bf4(&ar, &ai, &br, &bi, w1r4, w1i4);
        bf4(&cr, &ci, &dr, &di, w1r4, w1i4);
        bf4(&ar, &ai, &cr, &ci, ld4(w2r + k), ld4(w2i + k));
        bf4(&br, &bi, &dr, &di, ld4(w2r + h + k), ld4(w2i + h + k));
        st4(re + k, ar); st4(im + k, ai); st4(re + h + k, br); st4(im + h + k, bi);
        st4(re + 2 * h + k, cr); st4(im + 2 * h + k, ci);
        st4(re + 3 * h + k, dr); st4(im + 3 * h + k, di);
    }
}

/* In-place 128-point complex FFT (forward), iterative decimation in time over input the
 * caller stored in bit-reversed order (g_tables.bitrev; the loads do the permutation), a
 * multiply-free radix-4 first pass, then radix-2 passes with per-pass contiguous
 * twiddles (tw_re/tw_im[h - 1 + k] = e^{-2 pi i k / (2h)} for a pass of half size h). */
static void fft128(float *re, float *im)
{
    const label_tables *tb = &g_tables;
    for (int i = 0; i < 128; i += 4) { /* passes h = 1 and h = 2 fused */
        float r0 = re[i] + re[i + 1], i0 = im[i] + im[i + 1];
        float r1 = re[i] - re[i + 1], i1 = im[i] - im[i + 1];
        float r2 = re[i + 2] + re[i + 3], i2 = im[i + 2] + im[i + 3];
        float r3 = re[i + 2] - re[i + 3], i3 = im[i + 2] - im[i + 3];
        re[i] = r0 + r2; im[i] = i0 + i2;
        re[i + 2] = r0 - r2; im[i + 2] = i0 - i2;
        /* (r3 + i i3) * (-i) = i3 - i r3 */
        re[i + 1] = r1 + i3; im[i + 1] = i1 - r3;
        re[i + 3] = r1 - i3; im[i + 3] = i1 + r3;
    }
    /* passes 4+8 and 16+32 fused (a value goes through both in registers), then 64 */
    for (int half = 4; half <= 16; half *= 4)
        for (int i = 0; i < 128; i += 4 * half)
            butterflies_2pass(re + i, im + i, tb->tw_re + half - 1, tb->tw_im + half - 1,
                              tb->tw_re + 2 * half - 1, tb->tw_im + 2 * half - 1, half);
    butterflies(re, im, re + 64, im + 64, tb->tw_re + 63, tb->tw_im + 63, 64);
}

/* Power spectrum |X[k]|^2, k = 0..128, of a 256-point real signal. */
static void rfft256_power(const float *x, float *pw)
{
    const label_tables *tb = &g_tables;
    float re[128], im[128];
    for (int n = 0; n < 128; n++) {
        re[tb->bitrev[n]] = x[2 * n];
        im[tb->bitrev[n]] = x[2 * n + 1];
    }
    fft128(re, im);
    /* k = 1..124 four at a time (Z[128-k] read backwards), the rest one by one; every k does
     * the same operations in the same order either way */
    const v4f half = splat4(0.5f), mhalf = splat4(-0.5f);
    for (int k = 1; k + 3 <= 124; k += 4) {
        v4f ar = ld4(re + k), ai = ld4(im + k);
        v4f br = ld4_reversed(re + 125 - k), bi = -ld4_reversed(im + 125 - k);
        v4f er = half * (ar + br), ei = half * (ai + bi);
        v4f or_ = half * (ai - bi), oi = mhalf * (ar - br);
        v4f c = ld4(tb->cos_sp + k), s = -ld4(tb->sin_sp + k);
        v4f xr = er + (or_ * c - oi * s);
        v4f xi = ei + (or_ * s + oi * c);
        st4(pw + k, xr * xr + xi * xi);
    }
    for (int k = 0; k <= 128; k = k == 0 ? 125 : k + 1) {
        int k1 = k & 127, k2 = (128 - k) & 127;
        float ar = re[k1], ai = im[k1], br = re[k2], bi = -im[k2]; /* b = conj(Z[128-k]) */
        float er = 0.5f * (ar + br), ei = 0.5f * (ai + bi);         /* even part */
        float or_ = 0.5f * (ai - bi), oi = -0.5f * (ar - br);       /* odd part = (a-b)/(2i) */
        float c = tb->cos_sp[k], s = -tb->sin_sp[k];
        float xr = er + (or_ * c - oi * s);
        float xi = ei + (or_ * s + oi * c);
        pw[k] = xr * xr + xi * xi;
    }
}

/* Real part of the 256-point DFT of a real even sequence given by its first 129 values:
 * out[t] = sum_k e[k] cos(2 pi k t / 256) over the full symmetric extension, t = 0..128. */
static void rfft256_even(const float *e, float *out)
{
    const label_tables *tb = &g_tables;
    float re[128], im[128];
    for (int i = 0; i < 128; i++) {
        re[i] = e[tb->even_src_re[i]];
        im[i] = e[tb->even_src_im[i]];
    }
    fft128(re, im);
    const v4f half = splat4(0.5f), mhalf = splat4(-0.5f);
    for (int k = 1; k + 3 <= 124; k += 4) { /* as in rfft256_power */
        v4f ar = ld4(re + k), ai = ld4(im + k);
        v4f br = ld4_reversed(re + 125 - k), bi = -ld4_reversed(im + 125 - k);
        v4f er = half * (ar + br);
        v4f or_ = half * (ai - bi), oi = mhalf * (ar - br);
        v4f c = ld4(tb->cos_sp + k), s = -ld4(tb->sin_sp + k);
        st4(out + k, er + (or_ * c - oi * s));
    }
    for (int k = 0; k <= 128; k = k == 0 ? 125 : k + 1) {
        int k1 = k & 127, k2 = (128 - k) & 127;
        float ar = re[k1], ai = im[k1], br = re[k2], bi = -im[k2];
        float er = 0.5f * (ar + br);
        float or_ = 0.5f * (ai - bi), oi = -0.5f * (ar - br);
        float c = tb->cos_sp[k], s = -tb->sin_sp[k];
        out[k] = er + (or_ * c - oi * s);
    }
}

/* ------------------------------------------------------------------ lifecycle */

static void init_tables(void); /* below the MODEL: it transposes k_w1 */

static int setup_resampler(agora_label_analyzer *a)
{
    if (a->sample_rate == AN_RATE)
        return 0;
    double step = (double)a->sample_rate / AN_RATE;
    int hw = (int)ceil(3.0 * step); /* half width in input samples */
    a->rs_step = step;
    a->rs_taps = 2 * hw + 2;
    a->rs_hist = a->rs_taps + 2;
    a->rs_kernel = calloc((size_t)(AN_RS_PHASES + 1) * (size_t)a->rs_taps, sizeof(float));
    if (a->rs_hist > AN_RS_MAX_TAPS + 2)
        return -1; /* cannot happen for 8..48 kHz */
    if (!a->rs_kernel)
        return -1;
    double fc = 3600.0 / a->sample_rate; /* cycles per input sample */
    double half = hw + 1.0;
    for (int q = 0; q <= AN_RS_PHASES; q++) {
        double frac = (double)q / AN_RS_PHASES;
        float *h = a->rs_kernel + (size_t)q * (size_t)a->rs_taps;
        double sum = 0.0;
        for (int j = 0; j < a->rs_taps; j++) {
            double t = (double)(j - hw) - frac; /* tap position relative to the output point */
            double u = t / half;
            double w = fabs(u) >= 1.0 ? 0.0 : 0.42 + 0.5 * cos(M_PI * u) + 0.08 * cos(2 * M_PI * u);
            double s = t == 0.0 ? 2.0 * fc : sin(2.0 * M_PI * fc * t) / (M_PI * t);
            h[j] = (float)(s * w);
            sum += s * w;
        }
        for (int j = 0; j < a->rs_taps; j++)
            h[j] = (float)(h[j] / sum);
    }
    /* output j sits at input position j*step - (hw + 1) relative to the frame start */
    for (int j = 0; j < AN_HOP; j++) {
        double pos = j * step - (double)(hw + 1);
        double fl = floor(pos);
        a->rs_phase[j] = (int)((pos - fl) * AN_RS_PHASES + 0.5);
        a->rs_first[j] = (int)fl - hw;
    }
    int s = a->sample_rate / AN_RATE;
    a->rs_int_step = a->sample_rate % AN_RATE == 0 ? s : 0;
    for (int j = 0; j < AN_HOP && a->rs_int_step; j++)
        if (a->rs_phase[j] != 0 || a->rs_first[j] != a->rs_first[0] + s * j)
            a->rs_int_step = 0;
    return 0;
}

agora_label_analyzer *agora_label_analyzer_create(int sample_rate, int channels)
{
    if (sample_rate < 8000 || sample_rate > 48000 || sample_rate % 100 != 0)
        return NULL;
    if (channels != 1 && channels != 2)
        return NULL;
    if (pthread_once(&g_tables_once, init_tables) != 0)
        return NULL;
    agora_label_analyzer *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->sample_rate = sample_rate;
    a->channels = channels;
    a->in_len = sample_rate / 100;
    if (setup_resampler(a) != 0) {
        agora_label_analyzer_destroy(a);
        return NULL;
    }
    agora_label_analyzer_reset(a);
    return a;
}

void agora_label_analyzer_prefetch(const agora_label_analyzer *a)
{
    if (!a)
        return;
    /* everything a frame touches: the struct up to the once-per-sub-window ring */
    const char *p = (const char *)a;
    for (size_t off = 0; off < offsetof(agora_label_analyzer, sub_ring); off += 64)
        __builtin_prefetch(p + off);
}

void agora_label_analyzer_destroy(agora_label_analyzer *a)
{
    if (!a)
        return;
    free(a->rs_kernel);
    free(a);
}

void agora_label_analyzer_reset(agora_label_analyzer *a)
{
    if (!a)
        return;
    memset(a->rs_histbuf, 0, sizeof a->rs_histbuf);
    memset(a->x8, 0, sizeof a->x8);
    memset(a->psmooth, 0, sizeof a->psmooth);
    memset(a->sub_ring, 0, sizeof a->sub_ring);
    for (int k = 0; k < AN_NBIN; k++) {
        a->sub_min[k] = 1e30f;
        a->win_min[k] = 1e30f;
    }
    a->sub_count = 0;
    a->sub_index = 0;
    a->sub_filled = 0;
    a->frames = 0;
    memset(a->band_db_prev, 0, sizeof a->band_db_prev);
    memset(a->snr_hist, 0, sizeof a->snr_hist);
    memset(a->harm_hist, 0, sizeof a->harm_hist);
    memset(a->imp_hist, 0, sizeof a->imp_hist);
    a->hist_pos = 0;
    a->last_pitch = 0.0f;
    a->steady_acc = 0.0f;
    a->glide_acc = 0.0f;
    a->mod_fast = a->mod_slow = a->mod_env = 0.0f;
    a->lvl_mean = a->lvl_var = 0.0f;
    memset(a->prev_sub_e, 0, sizeof a->prev_sub_e);
    a->p_smooth = 0.0f;
    memset(a->feat, 0, sizeof a->feat);
}

/* ------------------------------------------------------------------ stages */

/* The resampler for a rate of s x 8 kHz: out[j] = sum_t h[t] x[s j + t] with the even taps
 * summed in acc0 and the odd ones in acc1, in t order, exactly as the per-output loop of to_8k
 * does, but computed for all 80 outputs at once over a polyphase copy of x (xp[r][m] =
 * x[s m + r]), so the inner loops run over contiguous outputs (SIMD, bit-identical results). */
static void resample_int_step(const float *restrict h, const float *restrict x, int s, int T,
                              float *restrict out)
{
    enum { M = AN_HOP + AN_RS_MAX_TAPS };
    float xp[AN_RS_MAX_STEP][M];
    float acc0[AN_HOP], acc1[AN_HOP];
    int m0 = 0;
    if (s == 2 && T >= 2) { /* 16 kHz: de-interleave four pairs at a time */
        for (; m0 + 4 <= AN_HOP + (T - 2) / 2; m0 += 4) {
            v4f a = ld4(x + 2 * m0), b = ld4(x + 2 * m0 + 4);
            st4(xp[0] + m0, SHUF2(a, b, 0, 2, 4, 6));
            st4(xp[1] + m0, SHUF2(a, b, 1, 3, 5, 7));
        }
    }
    for (int r = 0; r < s && r < T; r++) {
        /* phase r is read by the taps t = r + s i < T, up to m = 79 + (T - 1 - r) / s */
        const int m_len = AN_HOP + (T - 1 - r) / s;
        for (int m = m0; m < m_len; m++)
            xp[r][m] = x[s * m + r];
    }
    for (int j = 0; j < AN_HOP; j++)
        acc0[j] = acc1[j] = 0.0f;
    int t = 0;
    for (; t + 1 < T; t += 2) {
        const v4f h0 = splat4(h[t]), h1 = splat4(h[t + 1]);
        const float *x0 = xp[t % s] + t / s, *x1 = xp[(t + 1) % s] + (t + 1) / s;
        for (int j = 0; j < AN_HOP; j += 4) { /* AN_HOP is a multiple of 4 */
            st4(acc0 + j, ld4(acc0 + j) + h0 * ld4(x0 + j));
            st4(acc1 + j, ld4(acc1 + j) + h1 * ld4(x1 + j));
        }
    }
    for (; t < T; t++) {
        const float h0 = h[t];
        const float *x0 = xp[t % s] + t / s;
        for (int j = 0; j < AN_HOP; j++)
            acc0[j] += h0 * x0[j];
    }
    for (int j = 0; j < AN_HOP; j++)
        out[j] = acc0[j] + acc1[j];
}

/* Downmix + resample the frame into 80 new samples at 8 kHz (appended to x8). */
static void to_8k(agora_label_analyzer *a, const int16_t *pcm, float *out80)
{
    const int n = a->in_len;
    if (a->sample_rate == AN_RATE) {
        if (a->channels == 1)
            for (int i = 0; i < n; i++)
                out80[i] = (float)pcm[i];
        else
            for (int i = 0; i < n; i++)
                out80[i] = 0.5f * ((float)pcm[2 * i] + (float)pcm[2 * i + 1]);
        return;
    }
    float buf[AN_RS_MAX_TAPS + 2 + AN_MAX_IN]; /* history, then this frame */
    const int H = a->rs_hist;
    memcpy(buf, a->rs_histbuf, (size_t)H * sizeof(float));
    float *cur = buf + H;
    if (a->channels == 1)
        for (int i = 0; i < n; i++)
            cur[i] = (float)pcm[i];
    else
        for (int i = 0; i < n; i++)
            cur[i] = 0.5f * ((float)pcm[2 * i] + (float)pcm[2 * i + 1]);
    memcpy(a->rs_histbuf, buf + n, (size_t)H * sizeof(float)); /* the next frame's history */
    /* output j sits at input position j*step - (taps/2) relative to the frame start, so every
     * tap lies inside [history, frame); the constant delay is irrelevant for labels. */
    const int T = a->rs_taps;
    if (a->rs_int_step) {
        resample_int_step(a->rs_kernel, cur + a->rs_first[0], a->rs_int_step, T, out80);
        return;
    }
    for (int j = 0; j < AN_HOP; j++) {
        const float *h = a->rs_kernel + (size_t)a->rs_phase[j] * (size_t)T;
        const float *x = cur + a->rs_first[j];
        float acc0 = 0.0f, acc1 = 0.0f;
        int t = 0;
        for (; t + 1 < T; t += 2) {
            acc0 += h[t] * x[t];
            acc1 += h[t + 1] * x[t + 1];
        }
        for (; t < T; t++)
            acc0 += h[t] * x[t];
        out80[j] = acc0 + acc1;
    }
}

static double frame_dbfs(const int16_t *pcm, int count)
{
    long long acc = 0;
    for (int i = 0; i < count; i++)
        acc += (long long)pcm[i] * pcm[i];
    if (acc == 0)
        return -127.0;
    double ms = (double)acc / count;
    double db = 10.0 * log10(ms / (32768.0 * 32768.0));
    return db < -127.0 ? -127.0 : (db > 0.0 ? 0.0 : db);
}

/* ------------------------------------------------------------------ MODEL
 * A small network over the AN_NFEAT features f[] assembled below (band SNR mean, share of bands
 * > 6 dB, flatness, harmonicity, 150 ms max harmonicity, 320 ms mean SNR, 2..8 Hz modulation,
 * impulsiveness and its context, pitch steadiness, spectral flux, 250..3400 Hz share of the
 * excess energy, voiced share of the context, dBFS, harmonicity x SNR, pitch glide, 320 ms SNR
 * deviation, share of near-floor frames, 1 s SNR swing, then log / squared forms of the
 * dynamics and the 1 s swing crossed with SNR, harmonicity and dBFS): features standardised
 * with k_mean/k_scale (means and standard deviations of the training frames), one hidden layer
 * of AN_NHID tanh units (k_w1, k_b1), a logistic output (k_w2, k_b2). About 500 multiply-adds
 * and 16 tanh per frame; a linear model could not separate one talker from babble as well.
 * The numbers are written by benchmarks/fit_vad_model.py (numpy, offline, seeded, reproducible):
 * weighted cross-entropy + L2, Adam, on every frame of the corpus of benchmarks/vad_corpus.py
 * (21 recorded and synthetic speech sources, corpus seed 1, with call augmentations: noise,
 * reverberation, level ramps, 8 kHz G.711, Opus 6..16 kbit/s, clipping) plus non-speech through
 * the same channel effects (noise-only seeds 1, 4, 5 of 7 kinds; music-like chords and
 * call-progress / keypad tones, seeds 4, 5). Target: 1 on the clean-speech truth (gaps < 500 ms
 * merged), on other frames half silero-vad's probability on the augmented audio (a teacher of
 * what sounds speech-like); babble frames weighted 4x. Numbers on speakers the fit never heard come from
 * benchmarks/bench_vad_loso.py, which refits this recipe without each source in turn. */
static const float k_mean[AN_NFEAT] = {11.37536f, 0.4853323f, -4.28688f, 0.6379514f, 0.8544798f, 11.3324f, 2.052296f, 0.8915659f, 0.8855497f, 0.1616798f, 7.355902f, 0.8009561f, 0.6798641f, -44.90711f, 8.124195f, 0.2457062f, 3.568031f, 0.267404f, 6.444509f, 2.542225f, 1.347631f, 1.741979f, 8.04868f, 28.68911f, 63.86648f, 34.71721f, 2.164993f, -116.4343f};
static const float k_scale[AN_NFEAT] = {11.00268f, 0.3812199f, 3.358945f, 0.3061487f, 0.240672f, 9.62783f, 1.958766f, 1.458f, 0.6128844f, 0.2684482f, 23.04614f, 0.236949f, 0.3026057f, 26.18829f, 9.001258f, 0.2566102f, 3.99478f, 0.3510167f, 4.72597f, 1.087503f, 0.8576945f, 1.116367f, 14.74389f, 63.70397f, 79.38294f, 42.31311f, 1.145883f, 108.1383f};
static const float k_w1[AN_NHID][AN_NFEAT] = {
    {-0.8315926f, -0.07093521f, 0.4295302f, -0.2514071f, 0.2001456f, 0.7883103f, 0.06230367f, -0.1903427f, 0.6658079f, 0.2492254f, -0.5458074f, -0.1919317f, -0.02491807f, 0.3363246f, 0.2143533f, 0.3580673f, 0.007926591f, 0.1317966f, 0.1625654f, 0.5407762f, 0.1860446f, 0.5187074f, -0.1671899f, -0.1713043f, -0.1215401f, 0.3162353f, -0.01108447f, -0.06643392f},
    {-0.4865051f, 0.3456964f, 0.4229189f, -0.0492389f, -0.5983251f, -0.5479015f, -0.2892664f, -0.1155973f, 1.598819f, 0.1401438f, 0.1580101f, 0.1230162f, -0.1803287f, 0.1994789f, 0.01511217f, 0.1691711f, -0.3698706f, -0.4780657f, 0.3840165f, 1.627078f, -0.390197f, -0.2725205f, 0.05295641f, 0.322069f, -0.4739901f, -0.4214727f, 0.7088239f, -0.4280827f},
    {0.6785384f, -0.01698637f, 0.7134053f, -0.179759f, 0.1741481f, 0.02739042f, 0.03775161f, 0.1548619f, -0.219529f, -0.2899138f, -0.1215338f, -0.1419613f, 0.1846709f, 0.03475873f, 0.3689952f, 0.08690229f, -0.1113459f, -0.06131332f, -0.6376907f, -0.0978258f, 0.3442823f, 0.1018034f, -0.08071734f, -0.06512039f, -0.5804383f, 0.3637733f, -0.2527864f, 0.2399f},
    {0.2270405f, 0.3470532f, 0.09953146f, -0.08143956f, -0.413172f, -0.06902057f, -0.2560241f, 0.1086174f, 0.392103f, -0.2364017f, -0.1943445f, -0.02487353f, -0.2535731f, 0.7161678f, -0.4516773f, -0.2438861f, 0.4487353f, -0.06389555f, 0.5521379f, 0.2790416f, -0.4232402f, -0.4103818f, 0.1347499f, 0.4858131f, 0.8179318f, -0.1375754f, 0.1651823f, 0.3967606f},
    {0.2648631f, -0.03644265f, -0.5249741f, 0.1010282f, 0.2244791f, 0.09412312f, 0.4563455f, 0.1711283f, 0.1432252f, 0.2983332f, 0.4200598f, -0.1213562f, -0.05764134f, -0.4979442f, 0.06710757f, 0.2102537f, 0.4554797f, -0.1732853f, 0.0604608f, 0.3873841f, 0.4704771f, 0.5035015f, 0.3161749f, 0.1643081f, -0.5556751f, 0.2793384f, 0.2981643f, -0.4211401f},
    {0.442617f, -0.5097292f, 0.02087379f, 0.0851346f, -0.03964234f, -1.920659f, -0.4882866f, 0.277605f, -0.6409733f, -0.2974599f, -0.7511483f, -0.03476676f, -0.6839069f, -0.152345f, 0.8981495f, 0.4060267f, -0.3152362f, 0.5336952f, -0.2317537f, -0.09406654f, 0.3710486f, 0.6452108f, -0.3724527f, 0.1011991f, 0.05945909f, 1.011505f, -0.1778909f, 0.5507401f},
    {-0.1818721f, -0.04080897f, 0.3125078f, -0.4030117f, -0.2874176f, -0.516985f, 0.1285812f, 0.2158371f, 0.2459358f, -0.1709699f, -0.1248929f, -0.08971982f, -0.3071693f, -0.4242028f, -0.02883238f, -0.9143901f, -0.1912281f, 0.2680843f, -0.5327836f, -0.5927723f, 0.3694733f, 0.06610709f, -0.157588f, -0.2978965f, -0.2335939f, -0.4185825f, -0.4432716f, -0.1852242f},
    {0.4307652f, -0.005783864f, 0.4322581f, 0.1822075f, 0.3083462f, -0.5321778f, -0.3499837f, -0.04195202f, 0.4385694f, -0.3311549f, -0.134879f, -0.2494357f, 0.2288537f, -0.1178851f, 0.05737927f, 0.01088004f, -0.3371654f, 0.8143951f, -0.324432f, -0.5169334f, -0.3336945f, -0.2996943f, 0.1053527f, -0.1264707f, -0.2992395f, -0.1328608f, -0.3935223f, -0.05927092f},
    {0.4930283f, 0.2618759f, -0.2135043f, -0.3078182f, -0.03783592f, -0.4949822f, -0.1635325f, 0.1334136f, -0.1670053f, -0.2363754f, 0.1469354f, -0.2085542f, -0.4130432f, -0.1669462f, 0.3625773f, -0.4757679f, -0.2567543f, 0.2689511f, -0.5716786f, -0.3114773f, -0.4278003f, -0.4971846f, 0.1458541f, 0.12836f, -0.4527148f, -0.0896226f, -0.149305f, 0.1710808f},
    {-0.05255163f, 0.1734525f, 0.03721163f, -0.1333137f, 0.2143544f, 0.7199552f, 0.05053289f, 0.1327741f, 0.8931442f, -0.1914221f, 0.3255015f, 0.3387101f, 0.04306338f, 0.00621028f, 0.1790918f, 0.2562582f, 0.5801865f, -0.8708494f, 0.2500501f, 0.1619982f, 0.1453887f, 0.3710818f, 0.3739755f, 0.3025594f, -0.1137348f, 0.1536319f, 0.3848694f, 0.1152928f},
    {0.9797458f, -0.4584487f, -0.9133025f, -0.1256405f, -0.8359643f, 0.01492533f, -0.0463225f, 0.0750053f, -1.129123f, 0.6865915f, -0.5700733f, -0.3207559f, 1.16089f, -0.08926694f, 0.3078365f, 0.04986153f, 0.3245364f, -0.07732443f, -0.1120465f, -0.03376647f, -0.05054121f, 0.01663825f, -0.304923f, -0.2189306f, 0.1318821f, -0.582624f, -0.2682142f, -0.4395879f},
    {-0.09596387f, -0.2556469f, 0.3291241f, 0.04842131f, -0.03812521f, 0.5666371f, 0.3782614f, -0.2009607f, -0.4643939f, 0.02056086f, -0.06741148f, 0.1296539f, 0.1036175f, 1.352773f, -0.03769295f, 0.3699426f, 0.4620267f, -1.043019f, -0.03527189f, 0.07109503f, 0.5698699f, 0.7740734f, -0.5314884f, 0.2187041f, -0.02696491f, -0.455842f, -0.1807086f, 0.2852292f},
    {-0.0585526f, -0.747407f, 0.4937013f, -0.2099859f, -0.0530669f, 0.2179101f, -0.3494163f, -0.3328868f, 1.458915f, -0.01130801f, -1.767545f, 0.1748567f, 0.07410828f, 0.1351764f, 0.1741716f, 0.1144467f, -0.1217884f, -0.2510056f, -0.1001311f, -0.6248109f, 0.06113973f, -0.03130973f, -0.08304116f, 0.2499028f, 0.218789f, -0.4629153f, -0.2702297f, -0.1508392f},
    {0.6853676f, -0.07834984f, -0.1125955f, -0.06282214f, 0.03555874f, -0.07096658f, -0.1146535f, -0.006832484f, 0.8091309f, 0.07001289f, -0.0002414207f, 0.1198237f, -0.09448437f, 0.0540554f, 0.03379611f, 0.05031611f, 0.6053798f, -0.1235767f, -0.8003463f, -0.8880297f, -0.6966574f, -0.2056297f, 0.2340113f, 0.9559468f, -0.7083844f, -0.5717315f, -0.749354f, 0.03945927f},
    {0.2944449f, -0.2619046f, 1.146875f, -0.09951937f, -0.339958f, 0.09865914f, -0.03897123f, 0.02151316f, -0.5562765f, -0.3043415f, -0.1787661f, -0.1023017f, -0.003262431f, -0.4792575f, -0.0865328f, -0.04660566f, 0.5450263f, 0.07665343f, 0.07682847f, -0.1691297f, 0.04632834f, -0.2267744f, -0.4619789f, -0.3443208f, -0.1500617f, -0.5397725f, 0.24478f, -0.1729741f},
    {0.1147617f, 0.1690057f, 0.09516936f, 0.004387505f, -0.3438879f, 0.1011616f, -0.01727228f, 0.09106431f, 0.5392553f, -0.2002834f, -0.2692881f, 0.07042418f, 0.4351978f, 0.08035181f, 0.03846906f, 0.778061f, -0.6840261f, -0.1205943f, -0.5227516f, 0.6858935f, 0.4915213f, 0.5082769f, 0.05244849f, -0.6382543f, -0.3026f, -0.05567022f, 0.2466219f, -0.1715907f}};
static const float k_b1[AN_NHID] = {-1.329645f, 0.9849392f, -0.1719603f, 1.098882f, 0.4319316f, -1.155249f, -0.1675881f, 0.6945753f, 1.064934f, -0.3719194f, -1.425269f, -0.4920841f, 0.4981644f, -0.2920468f, 0.8109686f, 0.6624575f};
static const float k_w2[AN_NHID] = {1.518243f, 2.085554f, 1.559069f, -1.406808f, -1.00746f, 1.489117f, 0.669422f, -0.7079853f, -0.7028147f, -0.7009739f, -1.902333f, 1.396743f, -1.402418f, -1.109258f, -1.516282f, 1.640311f};
static const float k_b2 = -0.6519711f;
_Static_assert(AN_NHID % 4 == 0, "the hidden layer runs 4 units at a time");

static void init_tables(void)
{
    label_tables *t = &g_tables;
    for (int i = 0; i < AN_NFEAT; i++)
        for (int j = 0; j < AN_NHID; j++)
            t->w1t[i][j] = k_w1[j][i];
    for (int i = 0; i < AN_WIN; i++)
        t->hann[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (i + 0.5) / AN_WIN));
    for (int half = 1; half < 128; half <<= 1)
        for (int k = 0; k < half; k++) {
            t->tw_re[half - 1 + k] = (float)cos(M_PI * k / half);
            t->tw_im[half - 1 + k] = (float)-sin(M_PI * k / half);
        }
    for (int k = 0; k <= 128; k++) {
        t->cos_sp[k] = (float)cos(2.0 * M_PI * k / 256);
        t->sin_sp[k] = (float)sin(2.0 * M_PI * k / 256);
    }
    for (int i = 0; i < 128; i++) {
        int r = 0;
        for (int b = 0; b < 7; b++)
            if (i & (1 << b))
                r |= 1 << (6 - b);
        t->bitrev[i] = (unsigned char)r;
    }
    for (int n = 0; n < 128; n++) { /* bit reversal is its own inverse */
        int i0 = 2 * n, i1 = 2 * n + 1;
        t->even_src_re[t->bitrev[n]] = (unsigned char)(i0 <= 128 ? i0 : 256 - i0);
        t->even_src_im[t->bitrev[n]] = (unsigned char)(i1 <= 128 ? i1 : 256 - i1);
    }
    /* circular autocorrelation of the window, normalised (Boersma correction) */
    double w0 = 0.0;
    for (int i = 0; i < AN_WIN; i++)
        w0 += (double)t->hann[i] * t->hann[i];
    for (int tau = 0; tau <= AN_TAU_MAX + 1; tau++) {
        double s = 0.0;
        for (int i = 0; i < AN_WIN; i++)
            s += (double)t->hann[i] * t->hann[(i + tau) % AN_WIN];
        t->win_ac[tau] = (float)(s / w0);
    }
}

/* attack / release of the probability smoother (per frame) */
#define AN_ATTACK 1.0f
#define AN_RELEASE 0.2f

int agora_label_analyzer_process(agora_label_analyzer *a, const int16_t *pcm,
                                 int samples_per_channel, agora_audio_labels *out)
{
    if (!a || !pcm || !out)
        return AGORA_ERR_INVALID_ARGUMENT;
    if (samples_per_channel != a->in_len)
        return AGORA_ERR_INVALID_ARGUMENT;

    /* 1. loudness */
    double dbfs = frame_dbfs(pcm, samples_per_channel * a->channels);
    int rms = (int)floor(dbfs + 127.0 + 0.5);
    out->rms = rms < 0 ? 0 : (rms > 127 ? 127 : rms);
    out->dbfs = (float)dbfs;
    out->music_prob = 0;
    out->far_field = 0;

    /* 2. analysis-rate signal */
    float cur[AN_HOP];
    to_8k(a, pcm, cur);
    memmove(a->x8, a->x8 + AN_HOP, (AN_WIN - AN_HOP) * sizeof(float));
    memcpy(a->x8 + AN_WIN - AN_HOP, cur, AN_HOP * sizeof(float));
    a->frames++;

    /* impulsiveness: 1.25 ms sub-block energies of this frame vs the last 20 ms */
    float sub_e[8], sub_max = 0.0f, sub_sum = 0.0f;
    for (int b = 0; b < 8; b++) {
        float e = 0.0f;
        for (int i = 0; i < 10; i++)
            e += cur[b * 10 + i] * cur[b * 10 + i];
        sub_e[b] = e;
        if (e > sub_max)
            sub_max = e;
        sub_sum += e + a->prev_sub_e[b];
    }
    float imp = fast_log2((sub_max * 16.0f + 1.0f) / (sub_sum + 1.0f)); /* 0 flat .. 4 one block */
    memcpy(a->prev_sub_e, sub_e, sizeof sub_e);

    /* 3. spectrum */
    const label_tables *tb = &g_tables;
    float xw[AN_WIN], pw[AN_NBIN];
    for (int i = 0; i < AN_WIN; i++)
        xw[i] = a->x8[i] * tb->hann[i];
    rfft256_power(xw, pw);

    /* 4. noise floor by minimum statistics */
    const float alpha = a->frames == 1 ? 0.0f : 0.7f;
    float floor_[AN_NBIN]; /* this frame's noise floor */
    for (int k = 0; k < AN_NBIN; k++) {
        float ps = alpha * a->psmooth[k] + (1.0f - alpha) * pw[k];
        a->psmooth[k] = ps;
        float sm = ps < a->sub_min[k] ? ps : a->sub_min[k]; /* branch-free: SIMD */
        a->sub_min[k] = sm;
        float f = sm < a->win_min[k] ? sm : a->win_min[k];
        floor_[k] = f * 1.5f; /* minimum-of-smoothed bias compensation */
    }
    if (++a->sub_count == AN_SUBWIN || a->frames <= AN_SUBWIN / 2) {
        /* sub-window finished (and early on: commit often so the first floor is sane) */
        memcpy(a->sub_ring[a->sub_index], a->sub_min, sizeof a->sub_min);
        a->sub_index = (a->sub_index + 1) % AN_NSUB;
        if (a->sub_filled < AN_NSUB)
            a->sub_filled++;
        for (int k = 0; k < AN_NBIN; k++) {
            float m = a->sub_ring[0][k];
            for (int s = 1; s < a->sub_filled; s++)
                if (a->sub_ring[s][k] < m)
                    m = a->sub_ring[s][k];
            a->win_min[k] = m;
            a->sub_min[k] = a->psmooth[k];
        }
        a->sub_count = 0;
    }

    /* 5a. band SNRs, flatness, excess spectrum */
    float exc[AN_NBIN];
    float band_db[AN_NBANDS], snr_sum = 0.0f, n_snr6 = 0.0f;
    float e_tot = 0.0f, e_speech = 0.0f;
    for (int k = 0; k < AN_NBIN; k++) {
        float d = pw[k] - 2.0f * floor_[k];
        exc[k] = d > 0.0f ? d : 0.0f;
    }
    for (int b = 0; b < AN_NBANDS; b++) {
        float e = 0.0f, nf = 0.0f, x = 0.0f;
        for (int k = k_band_edges[b]; k < k_band_edges[b + 1]; k++) {
            e += pw[k];
            nf += floor_[k];
            x += exc[k];
        }
        band_db[b] = db10(e);
        float snr = clampf(band_db[b] - db10(nf), 0.0f, 40.0f);
        snr_sum += snr;
        n_snr6 += snr > 6.0f ? 1.0f : 0.0f;
        e_tot += x;
        if (b >= 2 && b < 14)
            e_speech += x;
    }
    float snr_mean = snr_sum / AN_NBANDS;
    float frac6 = n_snr6 / AN_NBANDS;
    float speech_ratio = (e_speech + 1.0f) / (e_tot + 1.0f);
    /* flatness of the raw spectrum over 250..3500 Hz (log2 units, <= 0) */
    float lsum = 0.0f, asum = 0.0f, lg[112];
    for (int k = 8; k < 112; k += 4) /* the logs four at a time, the sums in order */
        st4(lg + k, fast_log2_4(ld4(pw + k) + splat4(1e-3f)));
    for (int k = 8; k < 112; k++) {
        lsum += lg[k];
        asum += pw[k];
    }
    float flat = lsum / 104.0f - fast_log2(asum / 104.0f + 1e-3f);

    /* 5b. harmonicity + pitch from the autocorrelation of the excess spectrum */
    float ac[AN_NBIN];
    float harm = 0.0f, tau_best = 0.0f;
    float exc_sum = 0.0f;
    for (int k = 1; k < AN_NBIN; k++)
        exc_sum += exc[k];
    /* nothing above the noise floor: no pitch to look for (skips the second FFT) */
    if (exc_sum > 1e-3f)
        rfft256_even(exc, ac);
    else
        ac[0] = 0.0f;
    if (ac[0] > 1e-3f) {
        float inv0 = 1.0f / ac[0];
        float nr[AN_TAU_MAX + 2];
        for (int t = AN_TAU_MIN - 1; t <= AN_TAU_MAX && t <= 128; t++)
            nr[t] = ac[t] * inv0 / tb->win_ac[t];
        /* the largest positive nr[t] (0 if none): per lane, then over the lanes (a maximum
         * does not depend on the order it is taken in) */
        v4f g4 = splat4(0.0f);
        for (int t = AN_TAU_MIN; t < AN_TAU_MAX; t += 4) { /* 108 lags: 27 x 4 */
            v4f v = ld4(nr + t);
            v4i gt = v > g4;
            v4i vi, gi;
            memcpy(&vi, &v, sizeof vi);
            memcpy(&gi, &g4, sizeof gi);
            gi = (gt & vi) | (~gt & gi);
            memcpy(&g4, &gi, sizeof g4);
        }
        float gmax = 0.0f;
        for (int l = 0; l < 4; l++)
            if (g4[l] > gmax)
                gmax = g4[l];
        /* first local maximum within 85 % of the global one (avoids octave errors) */
        for (int t = AN_TAU_MIN; t < AN_TAU_MAX; t++) {
            if (nr[t] >= 0.85f * gmax && nr[t] >= nr[t - 1] && nr[t] >= nr[t + 1]) {
                float y0 = nr[t - 1], y1 = nr[t], y2 = nr[t + 1];
                float den = y0 - 2.0f * y1 + y2;
                float d = den < 0.0f ? 0.5f * (y0 - y2) / den : 0.0f;
                harm = y1;
                tau_best = (float)t + clampf(d, -0.5f, 0.5f);
                break;
            }
        }
        harm = clampf(harm, 0.0f, 1.0f);
    }
    float pitch = (harm > 0.45f && snr_mean > 2.0f && tau_best > 0.0f) ? AN_RATE / tau_best : 0.0f;

    /* pitch steadiness: a held note keeps its pitch to < 0.3 % per frame */
    if (pitch > 0.0f && a->last_pitch > 0.0f) {
        float r = logf(pitch / a->last_pitch);
        float steady = fabsf(r) < 0.003f ? 1.0f : 0.0f;
        /* continuous, moving pitch (a single talker's intonation): 0.3 %..6 % per frame */
        float glide = (fabsf(r) >= 0.003f && fabsf(r) < 0.06f) ? 1.0f : 0.0f;
        a->steady_acc = 0.9f * a->steady_acc + 0.1f * steady;
        a->glide_acc = 0.9f * a->glide_acc + 0.1f * glide;
    } else {
        a->steady_acc *= 0.97f;
        a->glide_acc *= 0.95f;
    }
    a->last_pitch = pitch;

    /* spectral flux against 30 ms ago (band log energies) */
    float flux = 0.0f;
    for (int b = 0; b < AN_NBANDS; b++)
        flux += fabsf(band_db[b] - a->band_db_prev[2][b]);
    flux /= AN_NBANDS;
    memmove(a->band_db_prev[1], a->band_db_prev[0], 2 * sizeof a->band_db_prev[0]);
    memcpy(a->band_db_prev[0], band_db, sizeof band_db);

    /* 2..8 Hz modulation of the frame SNR */
    a->mod_fast += 0.40f * (snr_mean - a->mod_fast);
    a->mod_slow += 0.12f * (snr_mean - a->mod_slow);
    float m = a->mod_fast - a->mod_slow;
    a->mod_env += 0.05f * (m * m - a->mod_env);

    /* context */
    a->snr_hist[a->hist_pos] = snr_mean;
    a->harm_hist[a->hist_pos] = harm;
    a->imp_hist[a->hist_pos] = imp;
    a->hist_pos = (a->hist_pos + 1) % AN_CTX;
    float snr_ctx = 0.0f, snr_sq_ctx = 0.0f, low_ctx = 0.0f, harm_max = 0.0f, voiced_ctx = 0.0f,
          imp_ctx = 0.0f;
    for (int i = 0; i < AN_CTX; i++) {
        snr_ctx += a->snr_hist[i];
        snr_sq_ctx += a->snr_hist[i] * a->snr_hist[i];
        low_ctx += a->snr_hist[i] < 3.0f ? 1.0f : 0.0f;
        voiced_ctx += a->harm_hist[i] > 0.5f ? 1.0f : 0.0f;
        imp_ctx += a->imp_hist[i];
    }
    for (int i = 0; i < 15; i++) {
        float h = a->harm_hist[(a->hist_pos + AN_CTX - 1 - i) % AN_CTX];
        if (h > harm_max)
            harm_max = h;
    }
    snr_ctx /= AN_CTX;
    /* level dynamics: one talker pauses between syllables and words, so the frame SNR swings
     * by 10 dB and more within 320 ms and drops near the floor often; overlapped babble
     * keeps a steady level with shallow dips */
    float snr_std_ctx = sqrtf(fmaxf(snr_sq_ctx / AN_CTX - snr_ctx * snr_ctx, 0.0f));
    low_ctx /= AN_CTX;
    a->lvl_mean += 0.01f * (snr_mean - a->lvl_mean);
    float dl = snr_mean - a->lvl_mean;
    a->lvl_var += 0.01f * (dl * dl - a->lvl_var);
    voiced_ctx /= AN_CTX;
    imp_ctx /= AN_CTX;

    float *f = a->feat;
    f[0] = snr_mean;
    f[1] = frac6;
    f[2] = flat;
    f[3] = harm;
    f[4] = harm_max;
    f[5] = snr_ctx;
    f[6] = sqrtf(a->mod_env);
    f[7] = imp;
    f[8] = imp_ctx;
    f[9] = a->steady_acc;
    f[10] = flux;
    f[11] = speech_ratio;
    f[12] = voiced_ctx;
    f[13] = (float)dbfs;
    f[14] = harm * snr_mean;
    f[15] = a->glide_acc;
    f[16] = snr_std_ctx;
    f[17] = low_ctx;
    f[18] = sqrtf(a->lvl_var);
    /* a linear model cannot bend: log-compressed and squared dynamics, and the 1 s level
     * swing crossed with SNR, harmonicity and loudness (speech vs babble is not a line) */
    float lsw = fast_log2(1.0f + f[18]);
    f[19] = lsw;
    f[20] = fast_log2(1.0f + f[6]);
    f[21] = fast_log2(1.0f + f[16]);
    f[22] = f[6] * f[6];
    f[23] = f[16] * f[16];
    f[24] = f[18] * f[18];
    f[25] = lsw * snr_mean;
    f[26] = lsw * harm_max;
    f[27] = lsw * (float)dbfs;

    float fs[AN_NFEAT];
    for (int i = 0; i < AN_NFEAT; i++)
        fs[i] = (f[i] - k_mean[i]) / k_scale[i];
    /* hidden unit j: u = k_b1[j] + sum over i in order of k_w1[j][i] * fs[i], 4 units at a time */
    float u[AN_NHID];
    for (int j = 0; j < AN_NHID; j += 4) {
        v4f uj = ld4(k_b1 + j);
        for (int i = 0; i < AN_NFEAT; i++)
            uj = uj + ld4(tb->w1t[i] + j) * splat4(fs[i]);
        st4(u + j, uj);
    }
    float z = k_b2;
    for (int j = 0; j < AN_NHID; j++)
        z += k_w2[j] * fast_tanh(u[j]);
    z = clampf(z, -30.0f, 30.0f);
    float p = 1.0f / (1.0f + expf(-z));
    if (dbfs <= -126.5) /* digital silence is never speech */
        p = 0.0f;
    a->p_smooth += (p > a->p_smooth ? AN_ATTACK : AN_RELEASE) * (p - a->p_smooth);
    int vp = (int)(a->p_smooth * 100.0f + 0.5f);
    out->voice_prob = vp < 0 ? 0 : (vp > 100 ? 100 : vp);
    out->pitch_hz = (int)(pitch + 0.5f);
    return AGORA_OK;
}

#ifdef AGORA_LABELS_EXPORT_FEATURES
/* Offline tuning hook (never compiled into the engine): the last frame's features. */
int agora_label_analyzer_features(const agora_label_analyzer *a, float *out, int n)
{
    int m = n < AN_NFEAT ? n : AN_NFEAT;
    memcpy(out, a->feat, (size_t)m * sizeof(float));
    return AN_NFEAT;
}
#endif
