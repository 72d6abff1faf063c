/* Time-stretching by one pitch period: see time_stretch.h. */
#include "audio/dsp/time_stretch.h"

#include <math.h>
#include <string.h>

#include "agora_rtc/errors.h"

#define SEARCH_RATE 4000          /* the coarse period search runs at this rate */
#define SILENCE_RMS 30.0          /* below: near-silence, any period will do */

static int valid_rate(int rate)
{
    return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

/* Normalised correlation of a[0..len) and b[0..len) (1 for equal shapes), for
 * the float (coarse search) and the int16_t (fine search) samples alike. */
#define DEFINE_NCC(name, sample_t)                                              \
    static double name(const sample_t *a, const sample_t *b, int len)          \
    {                                                                           \
        double c = 0, ea = 0, eb = 0;                                           \
        for (int i = 0; i < len; i++) {                                         \
            c += (double)a[i] * b[i];                                           \
            ea += (double)a[i] * a[i];                                          \
            eb += (double)b[i] * b[i];                                          \
        }                                                                       \
        return ea > 0 && eb > 0 ? c / sqrt(ea * eb) : 0.0;                      \
    }
DEFINE_NCC(ncc_f, float)
DEFINE_NCC(ncc_s, int16_t)

/* The period P (in samples, pmin <= P <= limit, 2P <= n) of x whose x[0..P)
 * and x[P..2P) correlate best; 0 when no period fits. */
static int find_period(const int16_t *x, int n, int rate, int limit)
{
    const int f = rate / SEARCH_RATE;
    const int pmin = (int)ceil(AGORA_STRETCH_MIN_PERIOD_MS * rate / 1000.0);
    int pmax = AGORA_STRETCH_MAX_PERIOD_MS * rate / 1000;
    if (pmax > n / 2)
        pmax = n / 2;
    if (pmax > limit)
        pmax = limit;
    if (pmax < pmin)
        return 0;
    double energy = 0;
    for (int i = 0; i < 2 * pmax; i++)
        energy += (double)x[i] * x[i];
    if (sqrt(energy / (2 * pmax)) < SILENCE_RMS)
        return pmax; /* near-silence: the longest step */

    /* coarse search on block means at SEARCH_RATE */
    float d[AGORA_STRETCH_MAX_INPUT / 2 + 1];
    const int nd = 2 * pmax / f;
    for (int i = 0; i < nd; i++) {
        float s = 0;
        for (int k = 0; k < f; k++)
            s += x[i * f + k];
        d[i] = s / (float)f;
    }
    int lo = (pmin + f - 1) / f, hi = pmax / f, best = 0;
    double best_c = -2;
    for (int lag = lo; lag <= hi && 2 * lag <= nd; lag++) {
        double c = ncc_f(d, d + lag, lag);
        if (c > best_c)
            best_c = c, best = lag;
    }
    /* refine at the full rate around it */
    int plo = best ? best * f - f : pmin, phi = best ? best * f + f : pmax;
    if (plo < pmin)
        plo = pmin;
    if (phi > pmax)
        phi = pmax;
    int p = plo;
    best_c = -2;
    for (int lag = plo; lag <= phi; lag++) {
        double c = ncc_s(x, x + lag, lag);
        if (c > best_c)
            best_c = c, p = lag;
    }
    return p;
}

static int16_t mix(int16_t a, int16_t b, int i, int p)
{
    /* weight 1 on a at i = 0, moving linearly towards b */
    double v = ((double)a * (p - i) + (double)b * i) / p;
    long r = lrint(v);
    return (int16_t)(r > 32767 ? 32767 : (r < -32768 ? -32768 : r));
}

int agora_time_stretch_accelerate(int16_t *pcm, int n, int rate, int max_remove)
{
    if (!pcm || n < 0 || !valid_rate(rate))
        return AGORA_ERR_INVALID_ARGUMENT;
    int look = n < AGORA_STRETCH_MAX_INPUT ? n : AGORA_STRETCH_MAX_INPUT;
    int p = find_period(pcm, look, rate, max_remove);
    if (p <= 0)
        return n;
    for (int i = 0; i < p; i++)
        pcm[i] = mix(pcm[i], pcm[p + i], i, p);
    memmove(pcm + p, pcm + 2 * p, sizeof(int16_t) * (size_t)(n - 2 * p));
    return n - p;
}

int agora_time_stretch_expand(int16_t *pcm, int n, int cap, int rate, int max_add)
{
    if (!pcm || n < 0 || cap < n || !valid_rate(rate))
        return AGORA_ERR_INVALID_ARGUMENT;
    int limit = max_add < cap - n ? max_add : cap - n;
    int look = n < AGORA_STRETCH_MAX_INPUT ? n : AGORA_STRETCH_MAX_INPUT;
    int p = find_period(pcm, look, rate, limit);
    if (p <= 0)
        return n;
    /* x[P..n) moves up by P; [P..2P) becomes x[P..2P) fading into x[0..P) */
    memmove(pcm + 2 * p, pcm + p, sizeof(int16_t) * (size_t)(n - p));
    for (int i = 0; i < p; i++)
        pcm[p + i] = mix(pcm[2 * p + i], pcm[i], i, p);
    return n + p;
}
