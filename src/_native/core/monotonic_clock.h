/* The engine's clock: CLOCK_MONOTONIC (agora_monotonic_ms is public, service.h). */
#ifndef AGORA_RTC_MONOTONIC_CLOCK_H
#define AGORA_RTC_MONOTONIC_CLOCK_H

#include <stdint.h>

int64_t agora_monotonic_ns(void);

#endif
