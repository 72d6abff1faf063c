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
 *     context summaries of these, the level dynamics over 320 ms and ~1 s (one talker
 *     pauses and swings by 10 dB and more; overlapped babble keeps a steady level), a memory
 *     of recent speech (voicing held with a fast and a slow decay, the decaying SNR peak,
 *     frames since the last voiced one) and the frame level over its floor.
 *  6. A small network (16 tanh units, weights fitted offline, see MODEL below) gives the
 *     per-frame speech probability; a resume rule lifts it to 0.9 on the first 3 frames of a
 *     word onset within 500 ms of voicing (a word after a short pause); then an
 *     attack/release smoother so short pauses inside an utterance do not drop the
 *     probability at once. voice_prob = round(100 * p).
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
#define AN_NFEAT 33
#define AN_NHID 16 /* hidden units of the network (MODEL below) */
#define AN_SINCE_MAX 200 /* frames since voicing: counted up to 2 s */
/* resume rule (after the network): the first AN_RESUME_ONSET frames of a word onset (the
 * level from under AN_RESUME_QUIET_DB to AN_RESUME_DB or more over its floor) within
 * AN_RESUME_FRAMES of a voiced frame, which the network gives at least AN_RESUME_MIN_P, are
 * speech with probability AN_RESUME_P (benchmarks/fit_vad_model.py mirrors these) */
#define AN_RESUME_FRAMES 50
#define AN_RESUME_QUIET_DB 10.0f
#define AN_RESUME_DB 20.0f
#define AN_RESUME_ONSET 3
#define AN_RESUME_MIN_P 0.05f
#define AN_RESUME_P 0.9f

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
    /* memory of recent speech: voicing held with a fast and a slow decay, the frame SNR's
     * decaying peak and the frames since the last voiced one (a pause inside an utterance
     * remembers the words before it) */
    float voiced_fast, voiced_slow, snr_peak;
    int since_voiced;
    float level_floor; /* the frame level's floor (dBFS): follows dips at once, rises 5 dB/s */
    float level_over_floor; /* the last frame's f[32] */
    int onset_left;         /* frames of the last word onset still to lift (resume rule) */
    int onset_resumes;      /* that onset came within AN_RESUME_FRAMES of voicing */
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
 * tanhf for the hidden units; the fit uses the exact tanh, the difference is far below the
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
    a->voiced_fast = a->voiced_slow = a->snr_peak = 0.0f;
    a->since_voiced = AN_SINCE_MAX;
    a->level_floor = 0.0f;
    a->level_over_floor = 0.0f;
    a->onset_left = 0;
    a->onset_resumes = 0;
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
 * dynamics and the 1 s swing crossed with SNR, harmonicity and dBFS, the memory of recent
 * speech and the level over its floor): features standardised with k_mean/k_scale (means and
 * standard deviations of the training frames), one hidden layer of AN_NHID tanh units (k_w1,
 * k_b1), a logistic output (k_w2, k_b2). About 550 multiply-adds and 16 tanh per frame; a
 * linear model could not separate one talker from babble as well.
 * The numbers are written by `benchmarks/fit_vad_model.py --corpus --write` (numpy, offline,
 * seeded, reproducible): weighted cross-entropy + L2, Adam, on every frame of the call corpus
 * of benchmarks/vad_corpus.py (21 speech sources: recorded prompts and 3 TTS engines, 7 noise
 * kinds, room, telephone band and G.711, Opus, clipping, level changes; clean clips too) with
 * the clean-speech truth (gaps < 500 ms merged) as target and silero-vad's probability as a
 * softer target on non-speech frames, plus non-speech negatives through the same channel
 * effects (the 7 noise kinds, music-like chords, call-progress and keypad tones); onsets and
 * words after a pause weighted 3x, babble 4x. benchmarks/bench_vad_loso.py refits the same
 * recipe without each source and scores it there (README "VAD for agents"). */
static const float k_mean[AN_NFEAT] = {12.60886f, 0.5068859f, -4.229752f, 0.6276954f, 0.8369722f, 12.56986f, 2.135123f, 0.8772657f, 0.8715412f, 0.1615073f, 7.078529f, 0.8057519f, 0.6723638f, -46.24089f, 9.00974f, 0.2603501f, 3.591649f, 0.2759444f, 7.321524f, 2.699263f, 1.376247f, 1.711213f, 8.647719f, 29.76722f, 79.70183f, 40.94285f, 2.26102f, -124.8247f, 0.4909169f, 0.565779f, 17.19128f, 2.547482f, 15.24751f};
static const float k_scale[AN_NFEAT] = {12.36914f, 0.3950898f, 3.259151f, 0.3203527f, 0.2724355f, 11.11731f, 2.022121f, 1.376257f, 0.5924989f, 0.2633849f, 21.49361f, 0.2391896f, 0.3142422f, 29.20965f, 10.00787f, 0.2628722f, 4.10698f, 0.36531f, 5.108535f, 1.114499f, 0.8794317f, 1.172162f, 15.24123f, 64.61643f, 90.19694f, 48.99802f, 1.225659f, 114.7402f, 0.329612f, 0.3199622f, 12.69116f, 3.123036f, 19.50292f};
static const float k_w1[AN_NHID][AN_NFEAT] = {
    {0.6536189f, -0.5709483f, 0.6024011f, 0.02839818f, -0.1730348f, -2.238842f, -0.204106f, 0.05625934f, -1.164643f, -0.2287207f, -0.6926543f, -0.07476568f, -0.04261583f, -0.3347348f, 0.2741115f, 0.1531871f, -0.4394855f, -0.04714817f, -1.073986f, 0.3170554f, 0.3017998f, 0.08085388f, -0.07503597f, -0.1868427f, -0.862773f, 0.4879586f, -0.1440973f, -0.2662019f, 0.02830604f, 0.6482424f, -0.1038352f, 0.02152195f, 0.7920766f},
    {-0.2551162f, -0.000445173f, -0.1633065f, 0.1079606f, -0.2586219f, 0.2693749f, 0.4141172f, 0.1143575f, 0.08592401f, 0.1650254f, -0.8477008f, -0.02038196f, -0.01792137f, 0.02217716f, 0.2064745f, -0.1020256f, -0.105516f, 0.1881008f, 0.327051f, 0.5519772f, 0.524898f, -0.01558746f, 0.1068078f, -0.4121533f, -0.2108804f, 0.5040396f, 0.1343021f, -0.440754f, 0.07850066f, 0.7341938f, -0.4278275f, -0.3656955f, 0.4201769f},
    {-0.3244155f, 0.3132062f, 0.5174431f, 0.07525446f, 0.01954375f, 0.1534013f, -0.2949349f, -0.05872705f, 1.319487f, -0.3261693f, 0.2033967f, -0.01012182f, -0.3618451f, 0.3063129f, 0.2684722f, 0.409216f, -0.2815356f, -0.2827084f, 0.06794348f, 1.076792f, -0.1037575f, 0.2456024f, -0.2302424f, 0.1258161f, -0.2502197f, -0.5650766f, 0.8777823f, -0.2748071f, -0.08262077f, -0.4860561f, 0.1099147f, 0.06038506f, -0.3113026f},
    {0.3297198f, -0.006439271f, 0.3650001f, -0.1268052f, 0.09321778f, -0.523662f, -0.1815026f, 0.2227069f, -0.3763241f, -0.06777414f, 1.048836f, 0.01538953f, -0.06351936f, -0.1439356f, -0.226622f, 0.3157337f, -0.01778863f, 0.2978591f, -0.6582534f, 0.4088202f, 0.5500305f, -0.2151905f, -0.2825335f, 0.1624126f, -0.1801422f, 0.9240057f, -0.08923929f, 0.6880609f, 0.1825045f, 0.2798048f, 0.1267607f, -0.005779795f, -0.4583969f},
    {-0.4819835f, 0.3802131f, -0.09748956f, -0.05561713f, 0.2410137f, -0.7473502f, -0.1482024f, 0.0836171f, 0.4577858f, -0.1858381f, -0.09967583f, -0.04054155f, -0.3829868f, -0.985167f, -0.08221538f, -0.05568611f, -0.009480015f, 0.7882719f, 0.08005273f, -0.04972766f, -0.9523672f, -0.4994126f, 0.4344919f, 0.1613651f, -0.8705557f, -0.1063704f, 0.5415089f, -0.2500343f, 0.2563745f, -0.5721408f, 0.506431f, -0.3941773f, -0.03053313f},
    {-1.018878f, 0.8077819f, 0.4752764f, 0.2660761f, 0.5669151f, 0.3321124f, 0.3309568f, -0.2506055f, 0.2947312f, -0.2336628f, 0.08802369f, 0.2089275f, -0.36289f, 0.01499302f, -0.7516169f, 0.09920204f, -0.1645382f, 0.1458261f, -0.2394923f, 0.06648754f, 0.424434f, 0.398245f, 0.07687959f, 0.06267035f, -0.2261854f, -0.1040043f, 0.1589023f, 0.7153613f, -0.5853941f, 0.05771842f, -0.5045923f, -0.2567646f, 1.352093f},
    {0.2186025f, 0.07730089f, -0.2384994f, -0.175966f, -0.439794f, 0.02939544f, -0.3275768f, 0.1380886f, 0.261365f, -0.623462f, -0.8600055f, 0.1552202f, 0.4466398f, -0.09379922f, 0.06556779f, 0.4614572f, -0.3926715f, -0.2384957f, 0.06752742f, 0.43835f, 0.3243509f, 0.6186547f, -0.3235176f, 0.03402905f, 0.3355701f, -0.0982887f, 0.3211718f, -0.1617576f, -0.1802224f, 0.3080621f, -0.2426219f, -0.6961121f, -0.0123867f},
    {0.2383471f, 0.2889974f, 0.1709401f, 0.323732f, 0.1569017f, -0.9208419f, -0.4081292f, 0.09653533f, 0.0887072f, 0.1871032f, -0.1341255f, -0.1196694f, -0.1139206f, 0.1202863f, -0.09007182f, -0.1482058f, -0.6403476f, 0.2498977f, -0.05680672f, -0.04236077f, -0.1056153f, 0.1024519f, -0.04355559f, -0.2220576f, -0.1546517f, 0.6963004f, -0.1273333f, 0.9475418f, -0.04447779f, -0.5453591f, 0.3025314f, -0.03055153f, 0.1503309f},
    {0.20882f, 0.3775559f, -0.4465969f, -0.07571978f, -0.01132388f, -0.6187467f, -0.2440896f, 0.2511812f, -0.2416113f, -0.1337918f, -0.5176406f, -0.1388379f, 0.4356043f, -0.3237182f, 0.1533399f, -0.3692973f, -0.07176832f, 0.9286048f, -0.1520187f, -0.02306987f, -0.5231889f, -0.1913453f, -0.3499373f, 0.007734055f, -0.2206748f, -0.1523285f, 0.3542891f, -0.2946908f, -0.06840604f, -0.2115752f, 0.4341622f, 0.2771841f, 0.3934558f},
    {0.4845987f, -0.2955126f, -0.09959917f, 0.01789219f, -0.3430875f, -0.07175149f, 0.1412862f, 0.08464757f, 0.2656511f, -0.08612465f, 1.013728f, 0.09310861f, -0.07973812f, 0.05233129f, 0.3455486f, 0.6173487f, 0.1261577f, -0.03376266f, 0.1845192f, 0.3693965f, 0.2728148f, 0.090786f, 0.1195458f, -0.2886997f, -0.3128812f, 0.4289277f, 0.5535243f, 0.01445508f, 0.03630409f, 0.526106f, 0.401337f, 0.0348029f, 0.8381905f},
    {0.2743702f, 0.3378615f, -0.65722f, -0.01571632f, -0.2092391f, -0.6072572f, -0.1745364f, 0.1605212f, -0.3632569f, 0.3159324f, 0.2480047f, 0.09360985f, -0.2272353f, -0.2834972f, -0.08667375f, -0.4335043f, -0.006809882f, -1.124014f, -0.3925614f, -0.6089184f, 0.04994347f, 0.08612882f, -0.03286419f, -0.1322648f, 0.1340502f, -0.001846349f, 0.3006053f, -0.1482104f, 0.454395f, -1.151573f, 0.5744721f, -0.1003201f, -0.3666723f},
    {-0.001130189f, -0.10998f, -0.122264f, 0.08168779f, 0.06528291f, -0.2234363f, -0.2465569f, -0.1577096f, 0.5334148f, -0.2480429f, -0.4935545f, 0.2299152f, 0.6606588f, -0.01728977f, -0.1299108f, -0.08624248f, -0.4272245f, -0.01456786f, -0.2852906f, -0.5348221f, -0.6671329f, -0.3699264f, -0.3007878f, -0.1518518f, -0.2259404f, -0.2130333f, -0.3890313f, 0.1917704f, 0.009381813f, -0.06811582f, -0.2780309f, 0.09924214f, 0.3864225f},
    {0.4839516f, 0.02633101f, 0.3808961f, -0.1074889f, -0.03391521f, -0.147689f, 0.2510252f, 0.03900777f, 1.504344f, -0.07297586f, -0.4818155f, 0.08007298f, -0.1960565f, 0.6451647f, 0.2633295f, 0.1288987f, 0.1346113f, -0.08871264f, 0.2377458f, -0.4497937f, 0.4272897f, -0.1705059f, -0.2627467f, -0.1725904f, 0.2932262f, -0.6617362f, 0.009141776f, 0.07661842f, -0.2353063f, -0.05581256f, -0.6905547f, -0.374177f, -1.982147f},
    {-0.0794816f, -0.1103353f, 1.836511f, 0.06355819f, -0.06146519f, -0.01620153f, 0.08923614f, -0.04338619f, -0.6721124f, -0.2733538f, -0.06832679f, -0.08015534f, -0.1522107f, -0.1482979f, -0.00202052f, 0.06452748f, 0.1240159f, -0.3251091f, 0.1000694f, -0.1510674f, 0.2344642f, 0.2095193f, -0.3159397f, -0.2550892f, -0.1017513f, -0.5144082f, 0.4241408f, -0.5754219f, -0.2232705f, 0.2379681f, -0.2159144f, -0.07674224f, 0.07847879f},
    {-0.5721495f, -0.1148304f, 0.01769201f, -0.1331521f, 0.005071694f, 0.8329736f, 0.163062f, -0.2737675f, -0.7371515f, 0.1824318f, 0.03054926f, -0.147846f, 0.188295f, -0.00944189f, -0.2396073f, -0.07748361f, 0.08820093f, -0.4725147f, 0.395897f, 0.5126236f, 0.5631963f, 0.2853262f, -0.1743771f, -0.2927477f, 0.07441261f, 0.1199083f, 0.6170165f, 0.1576045f, -0.4791585f, 0.07847451f, 0.02803055f, 0.2213781f, 0.4288505f},
    {0.09985992f, 0.3216493f, 0.08100492f, -0.09469302f, -0.346054f, -0.7770634f, -0.2251193f, 0.09480465f, 1.400025f, -0.0270995f, 0.4299905f, 0.02781607f, -0.03154058f, -0.1480948f, 0.2818726f, -0.2265037f, -0.4518514f, -0.5506588f, -0.7254817f, 0.9342082f, -0.2793084f, 0.2734155f, 0.2149852f, -0.2745252f, 0.1119488f, 0.3165709f, 0.3512864f, -0.02972022f, 0.1355808f, 0.04573709f, 0.1360892f, -0.1917811f, -0.6161484f}};
static const float k_b1[AN_NHID] = {-2.11294f, -1.06536f, 0.647217f, 0.2602769f, -0.7126331f, 0.4388095f, 0.8664298f, -1.136399f, 0.9391289f, 0.6686961f, 0.5647515f, 0.5279844f, -1.106313f, 0.1706425f, 0.1037506f, 0.3444218f};
static const float k_w2[AN_NHID] = {1.848344f, 1.34801f, 1.67881f, 1.64852f, -1.082886f, 1.304169f, 1.057468f, 1.191524f, -1.048173f, -1.233382f, -1.392934f, -0.6950991f, -1.68157f, -1.022716f, 0.8056319f, 1.75211f};
static const float k_b2 = -0.30338f;
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
    /* memory of recent speech (see the analyser): a soft word after a short pause follows
     * voiced frames, a noise burst after a long silence does not */
    float voiced = harm * clampf(snr_mean * (1.0f / 12.0f), 0.0f, 1.0f);
    a->voiced_fast = fmaxf(a->voiced_fast * 0.93f, voiced);
    a->voiced_slow = fmaxf(a->voiced_slow * 0.98f, voiced);
    a->snr_peak = fmaxf(a->snr_peak - 0.25f, snr_mean);
    int since_voiced_before = a->since_voiced; /* the resume rule looks at voicing before this frame */
    a->since_voiced = voiced > 0.3f ? 0 : (a->since_voiced < AN_SINCE_MAX ? a->since_voiced + 1 : AN_SINCE_MAX);
    f[28] = a->voiced_fast;
    f[29] = a->voiced_slow;
    f[30] = a->snr_peak;
    f[31] = fast_log2(1.0f + (float)a->since_voiced);
    /* this frame's level over the level floor: unlike the band SNRs (a 32 ms window whose
     * taper hides the newest 10 ms), it sees a word's first frame */
    a->level_floor = (float)dbfs < a->level_floor ? (float)dbfs : a->level_floor + 0.05f;
    f[32] = clampf((float)dbfs - a->level_floor, 0.0f, 60.0f);

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
    /* a word resuming after a short pause: the network needs a few frames of it (the band
     * SNRs lag the level), and under Agora's timings those frames would end the utterance */
    if (a->level_over_floor < AN_RESUME_QUIET_DB && f[32] >= AN_RESUME_DB) {
        a->onset_left = AN_RESUME_ONSET;
        a->onset_resumes = since_voiced_before < AN_RESUME_FRAMES;
    }
    a->level_over_floor = f[32];
    if (a->onset_left > 0) {
        a->onset_left--;
        if (a->onset_resumes && p >= AN_RESUME_MIN_P && p < AN_RESUME_P)
            p = AN_RESUME_P;
    }
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
