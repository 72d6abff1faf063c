/* Shared by the C unit tests: a non-fatal CHECK that counts failures, and a
 * small deterministic PRNG (xorshift32) for random-input loops. */
#ifndef AGORA_RTC_NATIVE_TEST_H
#define AGORA_RTC_NATIVE_TEST_H

#include <stdint.h>
#include <stdio.h>

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
