/* Per-thread scheduling preference (thread_priority.h). */
#include <errno.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "core/thread_priority.h"

int agora_thread_prefer(int steps)
{
    const id_t tid = (id_t)syscall(SYS_gettid); /* PRIO_PROCESS with a thread id: that thread only */
    errno = 0;
    int now = getpriority(PRIO_PROCESS, tid);
    if (now == -1 && errno != 0)
        return 0;
    int want = now - steps;
    if (want < -20)
        want = -20;
    if (want >= now || setpriority(PRIO_PROCESS, tid, want) == 0)
        return want < now ? want : now;
    /* not privileged: RLIMIT_NICE allows down to 20 - rlim_cur */
    struct rlimit lim;
    if (getrlimit(RLIMIT_NICE, &lim) != 0 || lim.rlim_cur == 0)
        return now;
    int floor = lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > 40 ? -20 : 20 - (int)lim.rlim_cur;
    if (floor > want && floor < now && setpriority(PRIO_PROCESS, tid, floor) == 0)
        return floor;
    return now;
}
