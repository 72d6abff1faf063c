#define _POSIX_C_SOURCE 200809L
#include <time.h>
#include "agora_rtc/service.h"
#include "core/monotonic_clock.h"

int64_t agora_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t agora_monotonic_ms(void)
{
    return agora_monotonic_ns() / 1000000LL;
}
