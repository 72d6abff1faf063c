/* A queue's wake-up of its consumer (wakeup.h). */
#include <errno.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "core/wakeup.h"

int agora_wakeup_init(agora_wakeup *w, int with_fd)
{
    w->signalled = 0;
    w->efd = -1;
    if (pthread_cond_init(&w->cv, NULL) != 0)
        return -1;
    if (with_fd) {
        w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (w->efd < 0) {
            pthread_cond_destroy(&w->cv);
            return -1;
        }
    }
    return 0;
}

void agora_wakeup_destroy(agora_wakeup *w)
{
    if (w->efd >= 0)
        close(w->efd);
    w->efd = -1;
    pthread_cond_destroy(&w->cv);
}

int agora_wakeup_fd(const agora_wakeup *w)
{
    return w->efd;
}

/* An eventfd write fails only on EINTR (retried): the count never nears its
 * limit, as it is written once until cleared. */
static void write_fd(agora_wakeup *w)
{
    if (w->efd < 0 || w->signalled)
        return;
    uint64_t one = 1;
    ssize_t n;
    while ((n = write(w->efd, &one, sizeof(one))) < 0 && errno == EINTR) {
    }
    if (n == (ssize_t)sizeof(one))
        w->signalled = 1;
}

void agora_wakeup_signal(agora_wakeup *w)
{
    pthread_cond_signal(&w->cv);
    write_fd(w);
}

void agora_wakeup_broadcast(agora_wakeup *w)
{
    pthread_cond_broadcast(&w->cv);
    write_fd(w);
}

void agora_wakeup_clear(agora_wakeup *w)
{
    if (w->efd < 0 || !w->signalled)
        return;
    uint64_t v;
    ssize_t n;
    while ((n = read(w->efd, &v, sizeof(v))) < 0 && errno == EINTR) {
    }
    if (n == (ssize_t)sizeof(v) || errno == EAGAIN)
        w->signalled = 0;
}
