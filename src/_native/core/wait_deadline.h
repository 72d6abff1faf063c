/* The deadline of a timed condition-variable wait (pthread_cond_timedwait: the
 * condition variables here use the default clock, CLOCK_REALTIME). */
#ifndef AGORA_RTC_WAIT_DEADLINE_H
#define AGORA_RTC_WAIT_DEADLINE_H

#include <time.h>

/* Now plus timeout_ms (0 or less: now). */
struct timespec agora_wait_deadline(int timeout_ms);

#endif
