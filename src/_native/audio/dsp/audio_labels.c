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
 *  6. A small network (8 tanh units, weights fitted offline, see MODEL below) gives the
 *     per-frame speech probability, followed by an attack/release smoother so short pauses
 *     inside an utterance do not drop the probability at once. voice_prob = round(100 * p).
 *
 * pitch_hz is reported for frames whose harmonicity is high and whose SNR is above the
 * floor, 0 otherwise. music_prob and far_field are left 0: no estimator exists here.
 */
#include "agora_rtc/audio_labels.h"
#include "agora_rtc/errors.h"
#include "audio/dsp/label_prefetch.h"

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
#define AN_NHID 8 /* hidden units of the network (MODEL below) */

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
    float w1t[AN_NFEAT][AN_NHID];   /* the network's k_w1 transposed (8 hidden units side by side) */
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
 * tanhf for the 8 hidden units; the fit uses the exact tanh, the difference is far below the
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
 * of AN_NHID tanh units (k_w1, k_b1), a logistic output (k_w2, k_b2). About 250 multiply-adds
 * and 8 tanh per frame; a linear model could not separate one talker from babble as well.
 * The numbers are written by benchmarks/fit_vad_model.py (numpy, offline, seeded, reproducible):
 * weighted cross-entropy + L2, Adam, on every frame of benchmarks/vad_devset.py dev sets seed 1
 * and 2 at 16 kHz and seed 3 at 8 kHz (target: clean-speech truth with gaps < 500 ms merged)
 * plus noise-only sets seed 5 (16 kHz) and 6 (8 kHz) as negatives, babble frames weighted 4x.
 * The output bias and the release of the smoother were then chosen on those training sets:
 * the highest frame F1 of the default-config V2 state machine with at most 0.6 noise-only
 * false starts per minute. Held out for reporting: dev seeds 7..10 and 4 (48 kHz), noise-only
 * seeds 1, 2, 8. */
static const float k_mean[AN_NFEAT] = {9.160633f, 0.3938308f, -3.817053f, 0.5746386f, 0.8223714f, 9.138008f, 2.03457f, 0.8785792f, 0.8753366f, 0.1001093f, 10.47989f, 0.7503703f, 0.5833255f, -46.55151f, 6.228508f, 0.2356484f, 3.716874f, 0.2992392f, 5.411521f, 2.239139f, 1.277848f, 1.70595f, 8.817054f, 33.84805f, 52.32675f, 25.75827f, 1.799776f, -115.5215f};
static const float k_scale[AN_NFEAT] = {9.706172f, 0.3620283f, 3.40871f, 0.3257728f, 0.269715f, 7.774155f, 2.162773f, 1.93082f, 0.780784f, 0.2160921f, 32.84212f, 0.2368081f, 0.312783f, 28.37066f, 7.88434f, 0.2610978f, 4.475813f, 0.3482187f, 4.800229f, 1.179449f, 0.9476681f, 1.208573f, 16.65737f, 75.73538f, 79.53486f, 36.67185f, 1.162669f, 126.8512f};
static const float k_w1[AN_NHID][AN_NFEAT] = {
    {0.7178276f, -0.9159877f, 0.2332649f, -0.1392963f, -0.1585663f, -1.955074f, 0.05445536f, -0.1173689f, -1.613668f, -0.4242624f, -1.429269f, 0.05665856f, -0.4946114f, 0.02293819f, 1.149386f, -0.1506039f, -0.6715805f, 0.2196474f, -0.1850063f, -0.2044325f, 0.2476756f, -0.8638808f, -0.585184f, -0.8631784f, -0.4885977f, -0.09021882f, -0.1549612f, 0.03361615f},
    {0.05095071f, -0.4544071f, 0.1041804f, 0.04335329f, 0.3934051f, -0.6944449f, 0.2836808f, 0.110267f, -0.7385646f, 0.1779064f, 0.8490227f, -0.2099421f, -0.4350079f, 0.09211696f, 0.1495784f, 0.2966257f, -0.1001814f, 0.635796f, -0.4391835f, -0.3178872f, 0.6919494f, 1.094384f, 0.2467858f, 0.1860036f, 0.2806077f, -0.132158f, -0.02691522f, 0.2929634f},
    {0.08256861f, -0.3128044f, -0.5957134f, -0.1009028f, -0.2343068f, 1.926296f, 0.5421511f, -0.04043434f, 0.7543229f, -0.08864434f, -0.06072328f, -0.08037032f, 0.3512968f, 0.1037639f, 0.004310563f, -0.03501293f, 0.7703864f, 0.2230544f, 0.2487036f, 1.122125f, 0.09246088f, 0.8569169f, -0.4162199f, -0.8342974f, -0.2351549f, -0.05297705f, 0.2718105f, 0.2121905f},
    {-0.2528572f, 0.3241753f, 2.210587f, 0.1374991f, -0.2677824f, -0.1872553f, 0.3655384f, 0.05967682f, -0.4154446f, 0.4251669f, -0.1296533f, -0.105624f, 0.1802635f, -0.3821579f, -0.7394191f, -0.1318857f, -0.2037636f, -0.704365f, -0.1669945f, 0.1801887f, 0.5807074f, -0.1266326f, 0.09724241f, -0.3181354f, -0.8320457f, 0.08958673f, 0.2412232f, 0.4506178f},
    {-0.3152939f, -0.6979665f, -0.1584658f, -0.00161587f, -0.2339891f, -0.1455873f, 0.6223953f, 0.1651091f, -0.1834751f, 0.4129123f, 0.5105227f, -0.04271037f, -0.04687339f, -0.1922423f, 0.1457612f, -0.1197439f, 0.7785616f, 0.1200714f, 0.756972f, 0.095264f, -0.7461599f, -0.5831161f, 0.3444506f, 0.3659769f, -0.6710134f, 0.2359909f, -0.03214097f, -0.2636127f},
    {0.4223404f, 0.03624742f, -0.1392814f, 0.02200981f, 0.5153578f, 0.886706f, 0.6553541f, 0.1127048f, -0.6859856f, 0.2865259f, 0.08891262f, -0.0233066f, 0.001418363f, 0.2118829f, -0.2778794f, 0.1379738f, 0.527449f, 0.5690787f, -0.8220525f, -2.299706f, 1.048867f, 0.1441061f, -0.5632963f, -0.3044483f, 0.602053f, -0.3693687f, -1.021808f, -0.4393632f},
    {-0.6854635f, 0.8804116f, 0.3730395f, 0.0987865f, -0.4989013f, -0.07965074f, 0.006334346f, -0.3751005f, 0.3195258f, -1.137374f, -1.466558f, 0.1695701f, 0.3689663f, 0.02525741f, -1.360134f, -0.5943844f, 0.07425884f, -0.2796002f, 0.180167f, 0.0414062f, 0.288827f, -0.05639335f, -0.5728962f, -0.4366004f, -0.610132f, -0.3793719f, 0.5137943f, -0.5472632f},
    {0.3366748f, 0.1926899f, -0.3979261f, 0.02936609f, 0.3985038f, 0.3651277f, -0.0422631f, 0.1217717f, -0.02453859f, 0.1737085f, -0.06570184f, -0.1801599f, -0.2230587f, -0.1063744f, 0.2298734f, -0.2307071f, 0.3889586f, 0.008506746f, -0.3493552f, -1.293619f, -0.4743923f, 0.0229679f, -0.2161202f, -0.1464071f, 0.388952f, -0.6192517f, -0.869798f, -0.3892686f}};
static const float k_b1[AN_NHID] = {-0.09963663f, 0.3938731f, -1.540853f, -2.326574f, 0.5175429f, -0.8892509f, -0.6702106f, 0.09997201f};
static const float k_w2[AN_NHID] = {2.163719f, 2.028768f, 2.649961f, 1.856528f, -2.968333f, -2.977181f, -2.393064f, -1.723357f};
static const float k_b2 = 0.3005713f;
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
