/* Streaming PCM resampler and channel converter. See resampler.h for the
 * behaviour contract (delay, output count rule, error codes).
 *
 * Design
 * ------
 * out_rate/in_rate is reduced to L/M (gcd). Conceptually the input is
 * upsampled by L, low-pass filtered by one windowed-sinc prototype and
 * decimated by M; the polyphase form only evaluates the taps that land on real
 * input samples, so every output sample is one dot product of T input samples
 * with one of L coefficient rows ("phases").
 *
 *   Output k sits on the upsampled grid at u_k = (k + 1) * M - 1.
 *   Its newest input sample is b_k = floor(u_k / L), its phase p_k = u_k mod L,
 *   and   y[k] = sum_{i=0..T-1} x[b_k - i] * K(p_k / L + i - T/2)
 *   where K is the continuous kernel (in input-sample units)
 *         K(t) = 2 fc sinc(2 fc t) * kaiser(t / (T/2)),  |t| <= T/2,
 *   fc = AGORA_RS_CUTOFF * 0.5 * min(1, out_rate / in_rate) cycles/input sample.
 *   Each row is renormalised to a sum of exactly 1 (unit DC gain in every
 *   phase, so a constant input gives a constant output).
 *
 * Output k therefore estimates the band-limited input at time
 * u_k / L - T/2 input samples, it can be computed as soon as x[b_k] has
 * arrived, and after N input frames exactly floor(N * L / M) outputs exist
 * (u_k < N * L  <=>  (k + 1) * M <= N * L). There is no rounding of time
 * anywhere (integer phase arithmetic), so nothing drifts.
 *
 * T (taps per phase) spans AGORA_RS_WIDTH samples of the lower of the two
 * rates, rounded up to a multiple of 8 input samples: 32 for upsampling,
 * 96 for 48k->16k, 96 for 44.1k->16k.
 *
 * When L * T would exceed AGORA_RS_MAX_EXACT_COEFS (only odd rate pairs such
 * as 44100 -> 47999 where L is huge; every pair of the standard rates fits),
 * the rows are instead tabulated at AGORA_RS_INTERP_PHASES evenly spaced
 * fractional positions and the output is linearly interpolated between the two
 * neighbouring rows' dot products. Timing is still tracked exactly with the
 * integer phase, so the output count rule is unchanged.
 *
 * Arithmetic is float (deterministic: a fixed summation order that does not
 * depend on how the input was split into calls), the result is rounded half
 * away from zero and saturated to int16. Mono outputs are computed two at a
 * time (two independent accumulator chains, same per-output order) and both
 * channels of stereo share one coefficient row pass; the 32-tap case is
 * compiled with a constant tap count so the inner loop is fully unrolled.
 *
 * Streaming: the last T - 1 (channel-converted) input samples are kept as
 * history in front of a fixed-size work buffer; input is consumed in chunks of
 * AGORA_RS_CHUNK frames, so process() never allocates and supports any
 * in_frames. */
#include "audio/dsp/resampler.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"

#define AGORA_RS_MIN_RATE 8000
#define AGORA_RS_MAX_RATE 48000
#define AGORA_RS_WIDTH 32           /* kernel span, in samples of the lower rate */
#define AGORA_RS_TAP_ALIGN 8        /* taps per phase rounded up to this */
#define AGORA_RS_CUTOFF 0.90        /* -6 dB point, fraction of the lower Nyquist */
#define AGORA_RS_KAISER_BETA 8.0    /* >= ~82 dB stop band */
#define AGORA_RS_CHUNK 512          /* input frames converted per inner pass */
#define AGORA_RS_MAX_EXACT_COEFS 65536
#define AGORA_RS_INTERP_PHASES 512

enum rs_mode { RS_COPY, RS_CHANNELS, RS_RESAMPLE };

struct agora_resampler {
    int in_rate, out_rate;
    int in_ch, out_ch;
    int ch;          /* channels that are filtered: min(in_ch, out_ch) */
    enum rs_mode mode;

    /* RS_RESAMPLE only */
    int L, M;        /* out_rate / in_rate = L / M, gcd(L, M) == 1 */
    int step_int;    /* M / L */
    int step_frac;   /* M % L */
    int taps;        /* T, multiple of AGORA_RS_TAP_ALIGN */
    int interp;      /* 0: one row per phase (L rows); 1: interpolated rows */
    int nrows;       /* L, or AGORA_RS_INTERP_PHASES + 1 */
    float *coef;     /* nrows * taps; row stored reversed: y = sum w[j]*row[j] */
    float *work[2];  /* per filtered channel: taps - 1 history + CHUNK frames */

    /* stream state */
    int phase;       /* p of the next output, 0 <= phase < L */
    int pos;         /* b of the next output relative to the next input frame */
};

static int gcd_int(int a, int b)
{
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x * 0.25;
    for (int k = 1; k < 200; k++) {
        term *= q / ((double)k * (double)k);
        sum += term;
        if (term < sum * 1e-17)
            break;
    }
    return sum;
}

static const double rs_pi = 3.14159265358979323846;

/* Windowed-sinc kernel at t input samples from the centre. */
static double kernel(double t, double fc, double half, double inv_i0_beta)
{
    double r = t / half;
    if (r <= -1.0 || r >= 1.0)
        return 0.0;
    double x = 2.0 * fc * t;
    double s = (fabs(x) < 1e-12) ? 1.0 : sin(rs_pi * x) / (rs_pi * x);
    double w = bessel_i0(AGORA_RS_KAISER_BETA * sqrt(1.0 - r * r)) * inv_i0_beta;
    return 2.0 * fc * s * w;
}

/* Row for fractional position frac in [0, 1]: taps for x[b - i] are
 * K(frac + i - T/2); stored reversed (row[j] multiplies x[b - (T-1) + j])
 * and normalised to sum 1. */
static void build_row(float *row, int taps, double frac, double fc,
                      double inv_i0_beta)
{
    double tmp[AGORA_RS_WIDTH * (AGORA_RS_MAX_RATE / AGORA_RS_MIN_RATE) + AGORA_RS_TAP_ALIGN];
    double half = 0.5 * taps, sum = 0.0;
    for (int i = 0; i < taps; i++) {
        tmp[i] = kernel(frac + i - half, fc, half, inv_i0_beta);
        sum += tmp[i];
    }
    for (int i = 0; i < taps; i++)
        row[taps - 1 - i] = (float)(tmp[i] / sum);
}

static int valid_rate(int rate)
{
    return rate >= AGORA_RS_MIN_RATE && rate <= AGORA_RS_MAX_RATE;
}

static int valid_channels(int ch)
{
    return ch == 1 || ch == 2;
}

agora_resampler *agora_resampler_create(int in_rate, int in_channels,
                                        int out_rate, int out_channels)
{
    if (!valid_rate(in_rate) || !valid_rate(out_rate) ||
        !valid_channels(in_channels) || !valid_channels(out_channels))
        return NULL;

    agora_resampler *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->in_rate = in_rate;
    r->out_rate = out_rate;
    r->in_ch = in_channels;
    r->out_ch = out_channels;
    r->ch = in_channels < out_channels ? in_channels : out_channels;

    if (in_rate == out_rate) {
        r->mode = (in_channels == out_channels) ? RS_COPY : RS_CHANNELS;
        r->L = r->M = 1;
        return r;
    }

    r->mode = RS_RESAMPLE;
    int g = gcd_int(out_rate, in_rate);
    r->L = out_rate / g;
    r->M = in_rate / g;
    r->step_int = r->M / r->L;
    r->step_frac = r->M % r->L;

    /* Kernel span: AGORA_RS_WIDTH samples of the lower rate, in input samples. */
    long long span = (in_rate > out_rate)
        ? ((long long)AGORA_RS_WIDTH * in_rate + out_rate - 1) / out_rate
        : AGORA_RS_WIDTH;
    int taps = (int)((span + AGORA_RS_TAP_ALIGN - 1) / AGORA_RS_TAP_ALIGN) * AGORA_RS_TAP_ALIGN;
    r->taps = taps;

    double fc = AGORA_RS_CUTOFF * 0.5;
    if (out_rate < in_rate)
        fc *= (double)out_rate / (double)in_rate;
    double inv_i0_beta = 1.0 / bessel_i0(AGORA_RS_KAISER_BETA);

    if ((long long)r->L * taps <= AGORA_RS_MAX_EXACT_COEFS) {
        r->interp = 0;
        r->nrows = r->L;
    } else {
        r->interp = 1;
        r->nrows = AGORA_RS_INTERP_PHASES + 1;
    }

    r->coef = malloc(sizeof(float) * (size_t)r->nrows * (size_t)taps);
    for (int c = 0; c < r->ch; c++)
        r->work[c] = malloc(sizeof(float) * (size_t)(taps - 1 + AGORA_RS_CHUNK));
    if (r->coef == NULL || r->work[0] == NULL || (r->ch == 2 && r->work[1] == NULL)) {
        agora_resampler_destroy(r);
        return NULL;
    }

    /* Row p sits at fractional position p / D. K is even, so the row at
     * 1 - p/D is the row at p/D reversed: only the first half is evaluated. */
    const int D = r->interp ? AGORA_RS_INTERP_PHASES : r->L;
    for (int p = 0; p < r->nrows; p++) {
        float *row = r->coef + (size_t)p * (size_t)taps;
        if (2 * p > D) {
            const float *mirror = r->coef + (size_t)(D - p) * (size_t)taps;
            for (int j = 0; j < taps; j++)
                row[j] = mirror[taps - 1 - j];
        } else {
            build_row(row, taps, (double)p / D, fc, inv_i0_beta);
        }
    }

    agora_resampler_reset(r);
    return r;
}

void agora_resampler_destroy(agora_resampler *r)
{
    if (r == NULL)
        return;
    free(r->coef);
    free(r->work[0]);
    free(r->work[1]);
    free(r);
}

void agora_resampler_reset(agora_resampler *r)
{
    if (r == NULL || r->mode != RS_RESAMPLE)
        return;
    for (int c = 0; c < r->ch; c++)
        memset(r->work[c], 0, sizeof(float) * (size_t)(r->taps - 1));
    /* first output: u_0 = M - 1 */
    r->pos = (r->M - 1) / r->L;
    r->phase = (r->M - 1) % r->L;
}

int agora_resampler_max_output(const agora_resampler *r, int in_frames)
{
    if (r == NULL || in_frames < 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    /* Over a call the running total goes from floor(N0*L/M) to
     * floor((N0+n)*L/M): never more than ceil(n*L/M) new frames. */
    long long n = ((long long)in_frames * r->L + r->M - 1) / r->M;
    if (n > INT_MAX)
        return AGORA_ERR_INVALID_ARGUMENT;
    return (int)n;
}

static inline int16_t sat16(float v)
{
    if (v >= 32767.0f)
        return 32767;
    if (v <= -32768.0f)
        return -32768;
    return (int16_t)(v >= 0.0f ? v + 0.5f : v - 0.5f);
}

/* Stereo -> mono: mean, rounded half away from zero (exact, no overflow). */
static inline int16_t avg16(int16_t a, int16_t b)
{
    int s = (int)a + (int)b;
    return (int16_t)((s + (s >= 0 ? 1 : -1)) / 2);
}

#if defined(__GNUC__) || defined(__clang__)
#define RS_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define RS_ALWAYS_INLINE inline
#endif

/* Dot product with a fixed summation order (8 partial sums, i.e. two SIMD
 * vectors of 4, then a pairwise horizontal sum) that the compiler maps onto
 * SIMD lanes. taps is a multiple of 8. */
static RS_ALWAYS_INLINE float dot(const float *x, const float *h, int taps)
{
    float a[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < taps; i += 8)
        for (int j = 0; j < 8; j++)
            a[j] += x[i + j] * h[i + j];
    float s[4];
    for (int j = 0; j < 4; j++)
        s[j] = a[j] + a[j + 4];
    return (s[0] + s[2]) + (s[1] + s[3]);
}

/* Two independent dot products in one loop (same per-output summation order
 * as dot(), so results are bit-identical); gives the CPU two dependency
 * chains to overlap. */
static RS_ALWAYS_INLINE void dot2(const float *x0, const float *h0,
                                  const float *x1, const float *h1, int taps,
                                  float *y0, float *y1)
{
    float a[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    float b[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    for (int i = 0; i < taps; i += 8) {
        for (int j = 0; j < 8; j++)
            a[j] += x0[i + j] * h0[i + j];
        for (int j = 0; j < 8; j++)
            b[j] += x1[i + j] * h1[i + j];
    }
    float s[4], t[4];
    for (int j = 0; j < 4; j++) {
        s[j] = a[j] + a[j + 4];
        t[j] = b[j] + b[j + 4];
    }
    *y0 = (s[0] + s[2]) + (s[1] + s[3]);
    *y1 = (t[0] + t[2]) + (t[1] + t[3]);
}

static void convert_channels(const agora_resampler *r, const int16_t *in, int n,
                             int16_t *out)
{
    if (r->in_ch == 2) { /* -> mono */
        for (int i = 0; i < n; i++)
            out[i] = avg16(in[2 * i], in[2 * i + 1]);
    } else { /* mono -> stereo */
        for (int i = 0; i < n; i++) {
            out[2 * i] = in[i];
            out[2 * i + 1] = in[i];
        }
    }
}

/* Filter one chunk of n frames already placed after the history in work[].
 * Returns the number of frames written to out. Inlined once with a constant
 * taps for the common 32-tap case (all upsampling) so the dot product is
 * fully unrolled, once with the run-time value. */
static RS_ALWAYS_INLINE int resample_loop(agora_resampler *r, int n, int16_t *out,
                                          const int taps)
{
    const int L = r->L;
    const int step_int = r->step_int, step_frac = r->step_frac;
    const float *coef = r->coef;
    const float *w0 = r->work[0];
    const float *w1 = r->work[r->ch == 2 ? 1 : 0];
    const int stereo_in = r->ch == 2, stereo_out = r->out_ch == 2;
    int pos = r->pos, phase = r->phase, produced = 0;

    if (!r->interp && !stereo_out) {
        while (pos < n) {
            int pos1 = pos + step_int, phase1 = phase + step_frac;
            if (phase1 >= L) {
                phase1 -= L;
                pos1++;
            }
            const float *row0 = coef + (size_t)phase * (size_t)taps;
            if (pos1 >= n) {
                out[produced++] = sat16(dot(w0 + pos, row0, taps));
                pos = pos1;
                phase = phase1;
                break;
            }
            const float *row1 = coef + (size_t)phase1 * (size_t)taps;
            float y0, y1;
            dot2(w0 + pos, row0, w0 + pos1, row1, taps, &y0, &y1);
            out[produced] = sat16(y0);
            out[produced + 1] = sat16(y1);
            produced += 2;
            pos = pos1 + step_int;
            phase = phase1 + step_frac;
            if (phase >= L) {
                phase -= L;
                pos++;
            }
        }
    } else if (!r->interp) {
        while (pos < n) {
            /* stereo output: one or two filtered channels */
            const float *row = coef + (size_t)phase * (size_t)taps;
            float y0, y1;
            if (stereo_in) {
                dot2(w0 + pos, row, w1 + pos, row, taps, &y0, &y1);
            } else {
                y0 = dot(w0 + pos, row, taps);
                y1 = y0;
            }
            out[2 * produced] = sat16(y0);
            out[2 * produced + 1] = sat16(y1);
            produced++;
            pos += step_int;
            phase += step_frac;
            if (phase >= L) {
                phase -= L;
                pos++;
            }
        }
    } else {
        while (pos < n) {
            long long q = (long long)phase * AGORA_RS_INTERP_PHASES;
            int j = (int)(q / L);
            float a = (float)(q - (long long)j * L) / (float)L;
            const float *ra = coef + (size_t)j * (size_t)taps;
            const float *rb = ra + taps;
            float lo, hi;
            dot2(w0 + pos, ra, w0 + pos, rb, taps, &lo, &hi);
            float y0 = lo + a * (hi - lo), y1 = y0;
            if (stereo_in) {
                dot2(w1 + pos, ra, w1 + pos, rb, taps, &lo, &hi);
                y1 = lo + a * (hi - lo);
            }
            if (stereo_out) {
                out[2 * produced] = sat16(y0);
                out[2 * produced + 1] = sat16(y1);
            } else {
                out[produced] = sat16(y0);
            }
            produced++;
            pos += step_int;
            phase += step_frac;
            if (phase >= L) {
                phase -= L;
                pos++;
            }
        }
    }
    r->pos = pos - n;
    r->phase = phase;
    return produced;
}

static int resample_chunk(agora_resampler *r, int n, int16_t *out)
{
    if (r->taps == 32)
        return resample_loop(r, n, out, 32);
    return resample_loop(r, n, out, r->taps);
}

int agora_resampler_process(agora_resampler *r, const int16_t *in, int in_frames,
                            int16_t *out, int out_cap)
{
    if (r == NULL || in_frames < 0 || out_cap < 0)
        return AGORA_ERR_INVALID_ARGUMENT;
    int need = agora_resampler_max_output(r, in_frames);
    if (need < 0)
        return need;
    if ((in_frames > 0 && in == NULL) || (out_cap > 0 && out == NULL))
        return AGORA_ERR_INVALID_ARGUMENT;
    if (out_cap < need)
        return AGORA_ERR_BUFFER_TOO_SMALL;
    if (in_frames == 0)
        return 0;

    if (r->mode == RS_COPY) {
        memmove(out, in, sizeof(int16_t) * (size_t)in_frames * (size_t)r->in_ch);
        return in_frames;
    }
    if (r->mode == RS_CHANNELS) {
        convert_channels(r, in, in_frames, out);
        return in_frames;
    }

    const int hist = r->taps - 1;
    int total = 0;
    while (in_frames > 0) {
        int n = in_frames < AGORA_RS_CHUNK ? in_frames : AGORA_RS_CHUNK;
        float *w0 = r->work[0] + hist;
        if (r->in_ch == 1) {
            for (int i = 0; i < n; i++)
                w0[i] = (float)in[i];
        } else if (r->ch == 1) { /* stereo in, mono out: average before filtering */
            for (int i = 0; i < n; i++)
                w0[i] = ((float)in[2 * i] + (float)in[2 * i + 1]) * 0.5f;
        } else {
            float *w1 = r->work[1] + hist;
            for (int i = 0; i < n; i++) {
                w0[i] = (float)in[2 * i];
                w1[i] = (float)in[2 * i + 1];
            }
        }

        total += resample_chunk(r, n, out + (size_t)total * (size_t)r->out_ch);

        for (int c = 0; c < r->ch; c++)
            memmove(r->work[c], r->work[c] + n, sizeof(float) * (size_t)hist);
        in += (size_t)n * (size_t)r->in_ch;
        in_frames -= n;
    }
    return total;
}
