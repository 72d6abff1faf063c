/* Unit test of src/_native/audio/dsp/resampler.c. Returns 0 on success; prints the
 * failed check(s) and returns 1 otherwise. Build and run (from the repo root):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -fPIC -Isrc/_native/include -Isrc/_native \
 *       src/_native/audio/dsp/resampler.c tests/native/test_resampler.c -lm -o /tmp/test_resampler \
 *       && /tmp/test_resampler
 * Sanitizers (about 45 s):
 *   gcc -std=c11 -g -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra \
 *       -Werror -Isrc/_native/include -Isrc/_native src/_native/audio/dsp/resampler.c \
 *       tests/native/test_resampler.c -lm -o /tmp/test_resampler_asan && /tmp/test_resampler_asan
 * The timing lines are informational only (no assertion). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agora_rtc/errors.h"
#include "audio/dsp/resampler.h"

#include "native_test.h"

static const double PI = 3.14159265358979323846;
static const int std_rates[] = {8000, 11025, 16000, 22050, 24000, 32000, 44100, 48000};
#define N_STD_RATES (int)(sizeof(std_rates) / sizeof(std_rates[0]))

/* Deterministic PRNG (xorshift32), state owned by the caller. */

static long long gcd_ll(long long a, long long b)
{
    while (b) {
        long long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Documented in resampler.h: taps per phase and the group delay. */
static int doc_taps(int in_rate, int out_rate)
{
    long long span = in_rate <= out_rate ? 32 : (32LL * in_rate + out_rate - 1) / out_rate;
    return (int)((span + 7) / 8 * 8);
}

/* Run the whole signal through a fresh instance in one call. */
static int16_t *run_once(int in_rate, int in_ch, int out_rate, int out_ch,
                         const int16_t *in, int n, int *out_n)
{
    agora_resampler *r = agora_resampler_create(in_rate, in_ch, out_rate, out_ch);
    if (!r)
        return NULL;
    int cap = agora_resampler_max_output(r, n);
    int16_t *out = calloc((size_t)(cap > 0 ? cap : 1) * (size_t)out_ch, sizeof(int16_t));
    if (!out) {
        printf("out of memory\n");
        exit(2);
    }
    *out_n = agora_resampler_process(r, in, n, out, cap);
    agora_resampler_destroy(r);
    return out;
}

/* ---- argument checking ------------------------------------------------ */

static void test_create_args(void)
{
    int bad_rates[] = {0, -1, 7999, 48001, 96000, -48000};
    for (size_t i = 0; i < sizeof(bad_rates) / sizeof(bad_rates[0]); i++) {
        CHECK(agora_resampler_create(bad_rates[i], 1, 16000, 1) == NULL, "in_rate %d", bad_rates[i]);
        CHECK(agora_resampler_create(16000, 1, bad_rates[i], 1) == NULL, "out_rate %d", bad_rates[i]);
    }
    int bad_ch[] = {0, -1, 3, 8};
    for (size_t i = 0; i < sizeof(bad_ch) / sizeof(bad_ch[0]); i++) {
        CHECK(agora_resampler_create(16000, bad_ch[i], 16000, 1) == NULL, "in_ch %d", bad_ch[i]);
        CHECK(agora_resampler_create(16000, 1, 48000, bad_ch[i]) == NULL, "out_ch %d", bad_ch[i]);
    }
    int odd_rates[] = {8000, 8001, 12345, 44099, 47999, 48000};
    for (size_t i = 0; i < sizeof(odd_rates) / sizeof(odd_rates[0]); i++)
        for (size_t j = 0; j < sizeof(odd_rates) / sizeof(odd_rates[0]); j++) {
            agora_resampler *r = agora_resampler_create(odd_rates[i], 2, odd_rates[j], 1);
            CHECK(r != NULL, "%d -> %d", odd_rates[i], odd_rates[j]);
            agora_resampler_destroy(r);
        }
    agora_resampler_destroy(NULL);
    agora_resampler_reset(NULL);
}

static void test_process_args(void)
{
    int16_t in[2 * 480] = {0}, out[2 * 1440 + 8];
    agora_resampler *r = agora_resampler_create(16000, 1, 48000, 2);
    CHECK(r != NULL, "create");
    if (!r)
        return;
    CHECK(agora_resampler_max_output(NULL, 10) == AGORA_ERR_INVALID_ARGUMENT, "max_output NULL");
    CHECK(agora_resampler_max_output(r, -1) == AGORA_ERR_INVALID_ARGUMENT, "max_output -1");
    CHECK(agora_resampler_max_output(r, 0) == 0, "max_output 0");
    CHECK(agora_resampler_max_output(r, 160) == 480, "max_output 160 -> %d", agora_resampler_max_output(r, 160));
    CHECK(agora_resampler_max_output(r, 0x7fffffff) == AGORA_ERR_INVALID_ARGUMENT, "max_output overflow");

    CHECK(agora_resampler_process(NULL, in, 160, out, 480) == AGORA_ERR_INVALID_ARGUMENT, "NULL r");
    CHECK(agora_resampler_process(r, NULL, 160, out, 480) == AGORA_ERR_INVALID_ARGUMENT, "NULL in");
    CHECK(agora_resampler_process(r, in, 160, NULL, 480) == AGORA_ERR_INVALID_ARGUMENT, "NULL out");
    CHECK(agora_resampler_process(r, in, -1, out, 480) == AGORA_ERR_INVALID_ARGUMENT, "negative in_frames");
    CHECK(agora_resampler_process(r, in, 160, out, -1) == AGORA_ERR_INVALID_ARGUMENT, "negative out_cap");
    CHECK(agora_resampler_process(r, in, 160, out, 479) == AGORA_ERR_BUFFER_TOO_SMALL, "cap 479");
    CHECK(agora_resampler_process(r, in, 0x7fffffff, out, 0x7fffffff) == AGORA_ERR_INVALID_ARGUMENT, "huge");
    CHECK(agora_resampler_process(r, NULL, 0, NULL, 0) == 0, "empty call");
    CHECK(agora_resampler_process(r, in, 0, out, 0) == 0, "empty call 2");
    CHECK(agora_resampler_process(r, in, 160, out, 480) == 480, "ok call");
    agora_resampler_destroy(r);

    /* Same-rate modes check the same way. */
    r = agora_resampler_create(16000, 2, 16000, 2);
    CHECK(agora_resampler_max_output(r, 160) == 160, "copy max_output");
    CHECK(agora_resampler_process(r, in, 160, out, 159) == AGORA_ERR_BUFFER_TOO_SMALL, "copy cap");
    CHECK(agora_resampler_process(r, NULL, 160, out, 160) == AGORA_ERR_INVALID_ARGUMENT, "copy NULL in");
    agora_resampler_destroy(r);

    /* max_output is a safe bound and nothing beyond the returned frames is
     * written, for every standard pair and odd chunk sizes. */
    uint32_t seed = 12345;
    for (int a = 0; a < N_STD_RATES; a++)
        for (int b = 0; b < N_STD_RATES; b++) {
            r = agora_resampler_create(std_rates[a], 1, std_rates[b], 2);
            for (int it = 0; it < 40; it++) {
                int n = (int)(rnd(&seed) % 200);
                for (int i = 0; i < n; i++)
                    in[i] = (int16_t)rnd(&seed);
                int cap = agora_resampler_max_output(r, n);
                for (int i = 0; i < 2 * 1440 + 8; i++)
                    out[i] = 0x5a5a;
                int got = agora_resampler_process(r, in, n, out, cap);
                CHECK(got >= 0 && got <= cap, "%d->%d n=%d got=%d cap=%d", std_rates[a], std_rates[b], n, got, cap);
                int canary_ok = 1;
                for (int i = 2 * (got > 0 ? got : 0); i < 2 * 1440 + 8; i++)
                    canary_ok &= out[i] == 0x5a5a;
                CHECK(canary_ok, "%d->%d wrote past the returned count", std_rates[a], std_rates[b]);
            }
            agora_resampler_destroy(r);
        }
}

/* ---- same-rate paths ---------------------------------------------------- */

static void test_same_rate(void)
{
    enum { N = 1000 };
    int16_t in[2 * N], out[2 * N + 2];
    uint32_t seed = 777;
    for (int i = 0; i < 2 * N; i++)
        in[i] = (int16_t)rnd(&seed);
    in[0] = 32767; in[1] = 32767;   /* extremes for the averaging */
    in[2] = -32768; in[3] = -32768;
    in[4] = -32768; in[5] = 32767;
    in[6] = 3; in[7] = -4;
    in[8] = -3; in[9] = 0;

    for (int k = 0; k < N_STD_RATES; k++) {
        int rate = std_rates[k];
        for (int ch = 1; ch <= 2; ch++) {
            agora_resampler *r = agora_resampler_create(rate, ch, rate, ch);
            int got = agora_resampler_process(r, in, N, out, N);
            CHECK(got == N, "copy %d ch%d got %d", rate, ch, got);
            CHECK(memcmp(in, out, sizeof(int16_t) * N * (size_t)ch) == 0, "copy not bit exact");
            agora_resampler_destroy(r);
        }
        /* stereo -> mono: (l + r) / 2 rounded half away from zero */
        agora_resampler *r = agora_resampler_create(rate, 2, rate, 1);
        int got = agora_resampler_process(r, in, N, out, N);
        CHECK(got == N, "2->1 count");
        int ok = 1;
        for (int i = 0; i < N; i++) {
            int s = in[2 * i] + in[2 * i + 1];
            int want = (int)(s >= 0 ? (s + 1) / 2 : -((-s + 1) / 2));
            ok &= out[i] == want;
        }
        CHECK(ok, "2->1 average at %d", rate);
        CHECK(out[0] == 32767 && out[1] == -32768 && out[2] == -1 && out[3] == -1 && out[4] == -2,
              "2->1 rounding: %d %d %d %d %d", out[0], out[1], out[2], out[3], out[4]);
        agora_resampler_destroy(r);
        /* mono -> stereo: duplicate */
        r = agora_resampler_create(rate, 1, rate, 2);
        got = agora_resampler_process(r, in, N, out, N);
        CHECK(got == N, "1->2 count");
        ok = 1;
        for (int i = 0; i < N; i++)
            ok &= out[2 * i] == in[i] && out[2 * i + 1] == in[i];
        CHECK(ok, "1->2 duplicate at %d", rate);
        agora_resampler_destroy(r);
    }
}

/* ---- quality ------------------------------------------------------------ */

/* SNR of a 1 kHz sine at -6 dBFS against the ideal sine at the documented
 * output times t_k = ((k+1)M - 1)/L - T/2 (input sample periods). Skips the
 * first 2*T input samples' worth of output (start-up transient). For stereo
 * output both channels are measured (right channel carries a 1.3 kHz sine
 * when the input is stereo and the output too). */
static double sine_snr(int in_rate, int in_ch, int out_rate, int out_ch, double freq)
{
    const double amp = 32767.0 * 0.5;
    const int n = in_rate; /* 1 s */
    int16_t *in = calloc((size_t)n * (size_t)in_ch, sizeof(int16_t));
    if (!in) {
        printf("out of memory\n");
        exit(2);
    }
    double f_r = (in_ch == 2 && out_ch == 2) ? freq * 1.3 : freq;
    for (int i = 0; i < n; i++) {
        double v = amp * sin(2.0 * PI * freq * i / in_rate);
        if (in_ch == 1) {
            in[i] = (int16_t)lrint(v);
        } else {
            in[2 * i] = (int16_t)lrint(v);
            in[2 * i + 1] = (int16_t)lrint(out_ch == 2 ? amp * sin(2.0 * PI * f_r * i / in_rate) : v);
        }
    }
    int got = 0;
    int16_t *out = run_once(in_rate, in_ch, out_rate, out_ch, in, n, &got);
    long long g = gcd_ll(in_rate, out_rate);
    long long L = out_rate / g, M = in_rate / g;
    double T = in_rate == out_rate ? 0.0 : doc_taps(in_rate, out_rate);
    double sig = 0.0, err = 0.0;
    for (int k = 0; k < got; k++) {
        double t = (double)((k + 1) * M - 1) / (double)L - T / 2.0;
        if (in_rate == out_rate)
            t = k;
        if (t < 2.0 * T)
            continue;
        for (int c = 0; c < out_ch; c++) {
            double f = (c == 1) ? f_r : freq;
            double ideal = amp * sin(2.0 * PI * f * t / in_rate);
            double e = out[k * out_ch + c] - ideal;
            sig += ideal * ideal;
            err += e * e;
        }
    }
    free(in);
    free(out);
    if (err == 0.0)
        return 200.0;
    return 10.0 * log10(sig / err);
}

static void test_quality(void)
{
    static const int pairs[][2] = {
        {48000, 16000}, {16000, 48000}, {44100, 16000}, {16000, 44100},
        {8000, 48000}, {22050, 24000}, {48000, 8000}, {11025, 32000},
        {32000, 11025}, {44100, 48000}, {48000, 44100}, {24000, 16000},
        /* odd rates (large L: interpolated phase table) */
        {44100, 47999}, {8000, 47993}, {47999, 16001},
    };
    printf("SNR of a 1 kHz sine at -6 dBFS (mono):\n");
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        double snr = sine_snr(pairs[i][0], 1, pairs[i][1], 1, 1000.0);
        printf("  %5d -> %5d: %6.1f dB\n", pairs[i][0], pairs[i][1], snr);
        CHECK(snr >= 60.0, "SNR %d->%d = %.1f dB", pairs[i][0], pairs[i][1], snr);
    }
    /* Channel variants while resampling. */
    static const int chv[][2] = {{2, 2}, {2, 1}, {1, 2}};
    for (size_t i = 0; i < sizeof(chv) / sizeof(chv[0]); i++) {
        double snr = sine_snr(48000, chv[i][0], 16000, chv[i][1], 1000.0);
        double snr2 = sine_snr(16000, chv[i][0], 44100, chv[i][1], 1000.0);
        printf("  48000 -> 16000 ch %d->%d: %6.1f dB; 16000 -> 44100: %6.1f dB\n",
               chv[i][0], chv[i][1], snr, snr2);
        CHECK(snr >= 60.0 && snr2 >= 60.0, "channels %d->%d SNR %.1f %.1f", chv[i][0], chv[i][1], snr, snr2);
    }
    /* Full sweep over all standard pairs at 1 kHz. */
    double worst = 1e9;
    int wa = 0, wb = 0;
    for (int a = 0; a < N_STD_RATES; a++)
        for (int b = 0; b < N_STD_RATES; b++) {
            double snr = sine_snr(std_rates[a], 1, std_rates[b], 1, 1000.0);
            CHECK(snr >= 60.0, "SNR %d->%d = %.1f dB", std_rates[a], std_rates[b], snr);
            if (snr < worst) {
                worst = snr;
                wa = std_rates[a];
                wb = std_rates[b];
            }
        }
    printf("  worst over all 64 standard pairs: %.1f dB (%d -> %d)\n", worst, wa, wb);
}

/* Images / aliases stay out: a 3 kHz tone at 48k -> 8k (above the 8 kHz-rate
 * Nyquist is 4 kHz; 6 kHz input must be suppressed) and constant input gives
 * a constant output. */
static void test_stopband_and_dc(void)
{
    const int n = 48000;
    int16_t *in = calloc((size_t)n, sizeof(int16_t));
    if (!in) {
        printf("out of memory\n");
        exit(2);
    }
    for (int i = 0; i < n; i++)
        in[i] = (int16_t)lrint(16383.0 * sin(2.0 * PI * 6000.0 * i / 48000.0));
    int got = 0;
    int16_t *out = run_once(48000, 1, 8000, 1, in, n, &got);
    double e = 0.0;
    int cnt = 0;
    for (int k = 100; k < got; k++, cnt++)
        e += (double)out[k] * out[k];
    double rel = 10.0 * log10((e / cnt + 1e-9) / (16383.0 * 16383.0 / 2.0));
    printf("6 kHz tone at -6 dBFS, 48k -> 8k: residual %s%.1f dB re. the tone\n",
           rel < -120.0 ? "< " : "", rel < -120.0 ? -120.0 : rel);
    CHECK(rel < -70.0, "alias of 6 kHz at 48k->8k: %.1f dB", rel);
    free(out);

    for (int i = 0; i < n; i++)
        in[i] = -12345;
    static const int dc_pairs[][2] = {{48000, 16000}, {16000, 48000}, {44100, 16000}, {22050, 24000}, {44100, 47999}};
    for (size_t p = 0; p < sizeof(dc_pairs) / sizeof(dc_pairs[0]); p++) {
        out = run_once(dc_pairs[p][0], 1, dc_pairs[p][1], 1, in, n / 4, &got);
        int ok = got > 200;
        for (int k = 200; k < got; k++)
            ok &= out[k] == -12345;
        CHECK(ok, "DC not preserved %d->%d", dc_pairs[p][0], dc_pairs[p][1]);
        free(out);
    }

    /* Full-scale square wave: overshoot must saturate, not wrap. */
    for (int i = 0; i < n; i++)
        in[i] = (i / 37) % 2 ? 32767 : -32768;
    out = run_once(16000, 1, 48000, 1, in, n / 4, &got);
    int maxv = 0, minv = 0;
    for (int k = 0; k < got; k++) {
        if (out[k] > maxv) maxv = out[k];
        if (out[k] < minv) minv = out[k];
    }
    CHECK(maxv == 32767 && minv == -32768, "square wave saturation %d %d", maxv, minv);
    free(out);
    free(in);
}

/* ---- streaming ---------------------------------------------------------- */

/* Feeding in random chunks (including 0 and 1 frames) gives bit-identical
 * output to one call, and after every call the running output count is
 * floor(N * L / M). reset() makes the instance behave like a new one. */
static void test_chunking(int in_rate, int in_ch, int out_rate, int out_ch, uint32_t seed)
{
    const int n = in_rate / 2 + 333;
    int16_t *in = calloc((size_t)n * (size_t)in_ch, sizeof(int16_t));
    if (!in) {
        printf("out of memory\n");
        exit(2);
    }
    for (int i = 0; i < n * in_ch; i++) {
        /* speech-ish: sum of tones plus noise */
        double v = 9000.0 * sin(0.031 * i) + 5000.0 * sin(0.37 * i + 1.0) + (double)((int)(rnd(&seed) % 4001) - 2000);
        in[i] = (int16_t)lrint(v);
    }
    int ref_n = 0;
    int16_t *ref = run_once(in_rate, in_ch, out_rate, out_ch, in, n, &ref_n);
    long long g = gcd_ll(in_rate, out_rate);
    long long L = out_rate / g, M = in_rate / g;
    CHECK(ref_n == (int)((long long)n * L / M), "one-shot count %d->%d: %d", in_rate, out_rate, ref_n);

    agora_resampler *r = agora_resampler_create(in_rate, in_ch, out_rate, out_ch);
    int16_t *got = calloc(((size_t)ref_n + 16) * (size_t)out_ch, sizeof(int16_t));
    for (int pass = 0; pass < 2; pass++) {
        int fed = 0, total = 0, ok = 1;
        while (fed < n) {
            uint32_t kind = rnd(&seed) % 8;
            int c = kind == 0 ? 0 : kind == 1 ? 1 : kind == 2 ? 2 : (int)(rnd(&seed) % (kind < 6 ? 50u : 1300u));
            if (c > n - fed)
                c = n - fed;
            int cap = agora_resampler_max_output(r, c);
            int k = agora_resampler_process(r, in + (size_t)fed * in_ch, c,
                                            got + (size_t)total * out_ch, cap);
            if (k < 0) {
                ok = 0;
                break;
            }
            fed += c;
            total += k;
            if (total != (int)((long long)fed * L / M)) {
                ok = 0;
                break;
            }
        }
        CHECK(ok, "running count %d->%d pass %d", in_rate, out_rate, pass);
        CHECK(total == ref_n, "chunked count %d vs %d (%d->%d)", total, ref_n, in_rate, out_rate);
        CHECK(total == ref_n && memcmp(got, ref, sizeof(int16_t) * (size_t)ref_n * (size_t)out_ch) == 0,
              "chunked output differs %d/%d -> %d/%d pass %d", in_rate, in_ch, out_rate, out_ch, pass);
        agora_resampler_reset(r);
    }
    agora_resampler_destroy(r);
    free(got);
    free(ref);
    free(in);
}

static void test_streaming(void)
{
    uint32_t seed = 99;
    for (int a = 0; a < N_STD_RATES; a++)
        for (int b = 0; b < N_STD_RATES; b++)
            test_chunking(std_rates[a], 1, std_rates[b], 1, seed++);
    test_chunking(48000, 2, 16000, 2, seed++);
    test_chunking(44100, 2, 16000, 1, seed++);
    test_chunking(16000, 1, 44100, 2, seed++);
    test_chunking(16000, 2, 16000, 1, seed++);
    test_chunking(44100, 1, 47999, 1, seed++);
    test_chunking(47999, 2, 8001, 2, seed++);
}

/* Long run in 10 ms-ish chunks of varying size (10 minutes of audio for the
 * two 44.1k pairs, 2 minutes for the others): the running output total must
 * be floor(N * L / M) after every call. */
static void test_no_drift(void)
{
    static const int pairs[][3] = {
        {44100, 16000, 600}, {16000, 44100, 600}, {22050, 24000, 120},
        {48000, 16000, 120}, {11025, 32000, 120}, {44100, 47999, 120},
    };
    int16_t in[2000] = {0}, out[2000 * 6 + 8];
    uint32_t seed = 4242;
    for (int i = 0; i < 2000; i++)
        in[i] = (int16_t)((int)(rnd(&seed) % 2001) - 1000);
    for (size_t p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
        int ir = pairs[p][0], orr = pairs[p][1];
        long long g = gcd_ll(ir, orr), L = orr / g, M = ir / g;
        agora_resampler *r = agora_resampler_create(ir, 1, orr, 1);
        long long fed = 0, total = 0;
        int ok = 1;
        const long long target = (long long)ir * pairs[p][2];
        while (fed < target) {
            int c = ir / 100 + (int)(rnd(&seed) % 21) - 10;
            int k = agora_resampler_process(r, in, c, out, agora_resampler_max_output(r, c));
            fed += c;
            total += k;
            if (k < 0 || total != fed * L / M) {
                ok = 0;
                break;
            }
        }
        CHECK(ok, "drift %d->%d after %lld frames: %lld outputs, want %lld", ir, orr, fed, total, fed * L / M);
        agora_resampler_destroy(r);
    }
}

/* ---- timing (printed, not asserted) -------------------------------------- */

static double now_us(void)
{
    struct timespec ts;
    timespec_get(&ts, TIME_UTC);
    return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

static void time_pair(int in_rate, int in_ch, int out_rate, int out_ch)
{
    enum { FRAMES = 500, WINDOWS = 200 };
    int n = in_rate / 100;
    int16_t in[2 * 480], out[2 * 480 + 8];
    for (int i = 0; i < n * in_ch; i++)
        in[i] = (int16_t)lrint(10000.0 * sin(0.05 * i));
    agora_resampler *r = agora_resampler_create(in_rate, in_ch, out_rate, out_ch);
    int cap = agora_resampler_max_output(r, n);
    long long sink = 0;
    double best = 1e30;
    double start = now_us();
    int runs = 0;
    /* at most WINDOWS runs and about 0.4 s per pair (sanitizer builds are slow) */
    for (; runs < WINDOWS && (runs < 3 || now_us() - start < 4e5); runs++) {
        double t0 = now_us();
        for (int f = 0; f < FRAMES; f++)
            sink += agora_resampler_process(r, in, n, out, cap) + out[0];
        double us = (now_us() - t0) / FRAMES;
        if (us < best)
            best = us;
    }
    printf("  %5d/%d -> %5d/%d: %.3f us per 10 ms frame (best of %d runs of %d frames)%s\n",
           in_rate, in_ch, out_rate, out_ch, best, runs, FRAMES, sink == 42 ? " " : "");
    agora_resampler_destroy(r);
}

int main(void)
{
    test_create_args();
    test_process_args();
    test_same_rate();
    test_quality();
    test_stopband_and_dc();
    test_streaming();
    test_no_drift();
    printf("timing:\n");
    time_pair(48000, 1, 16000, 1);
    time_pair(16000, 1, 48000, 1);
    time_pair(44100, 1, 16000, 1);
    time_pair(16000, 1, 16000, 1);
    time_pair(48000, 2, 16000, 1);
    time_pair(48000, 2, 48000, 2);
    if (failures) {
        printf("test_resampler: %d check(s) FAILED\n", failures);
        return 1;
    }
    printf("test_resampler: all checks passed\n");
    return 0;
}
