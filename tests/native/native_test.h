/* Shared by the C unit tests: a non-fatal CHECK that counts failures, a
 * small deterministic PRNG (xorshift32) for random-input loops, and the
 * largest sample step of a signal (clicks). */
#ifndef AGORA_RTC_NATIVE_TEST_H
#define AGORA_RTC_NATIVE_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int failures = 0;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);         \
            printf(__VA_ARGS__);                                           \
            printf("\n");                                                  \
            failures++;                                                    \
        }                                                                  \
    } while (0)

/* The largest sample-to-sample step of x[0..n): a click or a discontinuity shows
 * as a step larger than the signal's own (the time-stretching and playout tests). */
static inline int max_step(const int16_t *x, int n)
{
    int m = 0;
    for (int i = 1; i < n; i++)
        if (abs(x[i] - x[i - 1]) > m)
            m = abs(x[i] - x[i - 1]);
    return m;
}

static inline uint32_t rnd(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

#if defined(_GNU_SOURCE) || defined(_POSIX_C_SOURCE)
#include <time.h>

/* For the tests that run engine threads (they define _GNU_SOURCE first). */
static inline void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
#endif

#endif
