/* Unit test of src/_native/audio/dsp/time_stretch.c. Returns 0 on success; prints the
 * failed check(s) and returns 1 otherwise. Build and run (from the repo root):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -Isrc/_native/include -Isrc/_native \
 *       -Itests/native src/_native/audio/dsp/time_stretch.c tests/native/test_time_stretch.c \
 *       -lm -o /tmp/test_time_stretch && /tmp/test_time_stretch */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* M_PI */
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agora_rtc/errors.h"
#include "audio/dsp/time_stretch.h"
#include "native_test.h"

#define CAP 6000

static const int rates[] = {8000, 12000, 16000, 24000, 48000};

/* A voiced-speech-like periodic signal: 200 Hz with two harmonics. */
static void voiced(int16_t *x, int n, int rate, double f0, double phase)
{
    for (int i = 0; i < n; i++) {
        double t = (double)i / rate;
        x[i] = (int16_t)lrint(6000 * sin(2 * M_PI * f0 * t + phase) +
                              3000 * sin(2 * M_PI * 2 * f0 * t + 2 * phase) +
                              1500 * sin(2 * M_PI * 3 * f0 * t + 3 * phase));
    }
}

static int max_abs(const int16_t *x, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (abs(x[i]) > m)
            m = abs(x[i]);
    return m;
}

/* A periodic input loses / gains whole periods: the output is the same signal. */
static void test_periodic(void)
{
    for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
        int rate = rates[r], n = rate / 25; /* 40 ms */
        static int16_t x[CAP], y[CAP], ref[CAP];
        voiced(x, n, rate, 200, 0.3);
        voiced(ref, CAP, rate, 200, 0.3);
        memcpy(y, x, sizeof(int16_t) * (size_t)n);
        int m = agora_time_stretch_accelerate(y, n, rate, n);
        int p = n - m, period = rate / 200;
        CHECK(p > 0 && p % period <= 1 + rate / 8000 && p <= rate * 15 / 1000,
              "rate %d: removed %d, period %d", rate, p, period);
        int err = 0;
        for (int i = 0; i < m; i++)
            if (abs(y[i] - ref[i]) > err)
                err = abs(y[i] - ref[i]);
        CHECK(err < 300, "rate %d: accelerated differs from the signal by %d", rate, err);

        memcpy(y, x, sizeof(int16_t) * (size_t)n);
        m = agora_time_stretch_expand(y, n, CAP, rate, n);
        p = m - n;
        CHECK(p > 0 && p % period <= 1 + rate / 8000, "rate %d: added %d, period %d", rate, p,
              period);
        err = 0;
        for (int i = 0; i < m; i++)
            if (abs(y[i] - ref[i]) > err)
                err = abs(y[i] - ref[i]);
        CHECK(err < 300, "rate %d: expanded differs from the signal by %d", rate, err);
    }
}

/* Any input (noise, a chirp, a click train): the output's steps stay within
 * the input's steps plus the cross-fade bound (no discontinuity), the length
 * changes by at most the allowed amount, and the first sample stays. */
static void test_no_discontinuity(void)
{
    uint32_t seed = 77;
    for (int trial = 0; trial < 300; trial++) {
        int rate = rates[trial % 5];
        int n = rate / 100 + (int)(rnd(&seed) % (unsigned)(rate / 20)); /* 10..60 ms */
        static int16_t x[CAP], y[CAP];
        int kind = trial % 3;
        double f0 = 80 + rnd(&seed) % 300;
        for (int i = 0; i < n; i++) {
            double t = (double)i / rate;
            if (kind == 0)
                x[i] = (int16_t)((int)(rnd(&seed) % 20001) - 10000);
            else if (kind == 1)
                x[i] = (int16_t)lrint(8000 * sin(2 * M_PI * (f0 + 3000 * t) * t));
            else
                x[i] = (int16_t)(i % (rate / 150) == 0 ? 20000 : 0);
        }
        int limit = 1 + (int)(rnd(&seed) % (unsigned)n);
        int bound = max_step(x, n) + 2 * max_abs(x, n) / (int)ceil(2.5 * rate / 1000) + 2;
        memcpy(y, x, sizeof(int16_t) * (size_t)n);
        int m = agora_time_stretch_accelerate(y, n, rate, limit);
        CHECK(m <= n && n - m <= limit && y[0] == x[0], "accelerate %d -> %d (limit %d)", n, m,
              limit);
        CHECK(max_step(y, m) <= bound, "accelerate step %d > %d (kind %d)", max_step(y, m), bound,
              kind);
        memcpy(y, x, sizeof(int16_t) * (size_t)n);
        m = agora_time_stretch_expand(y, n, CAP, rate, limit);
        CHECK(m >= n && m - n <= limit && y[0] == x[0], "expand %d -> %d (limit %d)", n, m, limit);
        CHECK(max_step(y, m) <= bound, "expand step %d > %d (kind %d)", max_step(y, m), bound,
              kind);
    }
}

static void test_edges(void)
{
    int16_t x[CAP];
    memset(x, 0, sizeof(x));
    CHECK(agora_time_stretch_accelerate(NULL, 10, 48000, 10) == AGORA_ERR_INVALID_ARGUMENT, "NULL");
    CHECK(agora_time_stretch_accelerate(x, -1, 48000, 10) == AGORA_ERR_INVALID_ARGUMENT, "n < 0");
    CHECK(agora_time_stretch_accelerate(x, 960, 44100, 960) == AGORA_ERR_INVALID_ARGUMENT, "rate");
    CHECK(agora_time_stretch_expand(x, 960, 959, 48000, 960) == AGORA_ERR_INVALID_ARGUMENT, "cap");
    /* too short for two minimum periods, or nothing allowed: unchanged */
    CHECK(agora_time_stretch_accelerate(x, 200, 48000, 200) == 200, "short input");
    CHECK(agora_time_stretch_accelerate(x, 960, 48000, 0) == 960, "nothing to remove");
    CHECK(agora_time_stretch_expand(x, 960, 960, 48000, 960) == 960, "no room");
    CHECK(agora_time_stretch_expand(x, 0, 10, 48000, 10) == 0, "empty");
    /* near-silence takes the longest period allowed */
    CHECK(agora_time_stretch_accelerate(x, 1920, 48000, 1920) == 1920 - 720, "silence: 15 ms");
    CHECK(agora_time_stretch_accelerate(x, 1920, 48000, 300) == 1920 - 300, "silence: the limit");
    CHECK(agora_time_stretch_expand(x, 960, CAP, 16000, 1000) == 960 + 240, "silence: expand");
}

int main(void)
{
    test_periodic();
    test_no_discontinuity();
    test_edges();
    if (failures) {
        printf("test_time_stretch: %d FAILED\n", failures);
        return 1;
    }
    printf("test_time_stretch: all passed\n");
    return 0;
}
