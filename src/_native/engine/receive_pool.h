/* Parallel receive work for the I/O thread.
 *
 * The I/O thread turns what arrives (a media-clock batch on the local hub, a
 * playout tick on RTP) into jobs, one per (listener, remote user, frame): the
 * receive path, the frame and a snapshot of the listener's observer settings.
 * agora_rx_pool_run() then runs every job ([RTP: Opus decode,] resample,
 * 10 ms cut, labels, VAD, event) on the I/O thread plus the pool's helper threads, fork-join:
 *
 *   - jobs of one receive path form a chain (in order) and one thread runs
 *     the whole chain, so a path still has a single user at a time; threads
 *     claim chains dynamically (a shared counter), so a helper that is not
 *     scheduled never holds up the run: the I/O thread just does more;
 *   - the I/O thread waits for the join, so nothing else touches receive
 *     paths or rx tables meanwhile (a path is never dropped under a job);
 *   - each thread collects its events in its own list, handed to the
 *     delivery queue after the join: one push per thread and run, and per
 *     remote user the frames keep their order.
 * Small runs (fewer than AGORA_RX_PARALLEL_MIN jobs) stay on the I/O thread. */
#ifndef AGORA_RTC_RECEIVE_POOL_H
#define AGORA_RTC_RECEIVE_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include "agora_rtc/connection.h"
#include "agora_rtc/vad.h"
#include "audio/receive/receive_path.h"
#include "audio/send/sent_frame.h"
#include "audio/dsp/volume_meter.h"

#define AGORA_RX_PARALLEL_MIN 16
#define AGORA_RX_MAX_THREADS 16
#define AGORA_RX_CLAIM 4

struct agora_service;
struct agora_rtc_conn;

typedef struct agora_rx_job {
    struct agora_rtc_conn *to;       /* the listener (a reference is held by the caller's work item) */
    agora_rx_path *rx;
    const agora_label_analyzer *labels_hint; /* rx->labels when the job was made (a prefetch hint) */
    const agora_sent_frame *frame;   /* alive until the run returns */
    const char *channel_id;          /* alive until the run returns */
    agora_vad_config vad_cfg;
    int vad_on;
    int rate, channels;              /* the observer's frame format */
    int speech_only;                 /* AGORA_AUDIO_DELIVER_SPEECH_ONLY */
    unsigned gen;                    /* observer generation */
    int apm_flags;                   /* audio processing before labels (audio_processing.h) */
    int deliver;                     /* an audio-frame observer wants the frames */
    /* the observer when it is any_thread (called right here, on the thread that
     * runs the job; the listener is held by agora_rx_pool_hold), else zeroed */
    agora_audio_frame_observer direct;
    agora_volume_meter *volume;      /* volume indication on (thread-safe meter), else NULL */
    /* optional: run first, by the thread that runs the job, to fill `frame`
     * (the RTP playout decodes its Opus packet here, off the I/O thread);
     * the job is skipped when it returns <= 0. NULL when the frame is ready. */
    int (*prepare)(const struct agora_rx_job *job, void *arg);
    void *prepare_arg;
    int head;                        /* first job of its path in this batch */
    int next_same;                   /* index of the path's next job, or -1 */
} agora_rx_job;

/* A listener held for the run, with the observer its jobs call. */
typedef struct agora_rx_hold {
    struct agora_rtc_conn *conn;
    agora_audio_frame_observer obs;
} agora_rx_hold;

/* Events of one thread, linked through their queue nodes. */
typedef struct agora_rx_events {
    void *first, *last;              /* agora_event * */
    size_t count;
} agora_rx_events;

typedef struct agora_rx_pool {
    struct agora_service *svc;
    int parts;                       /* threads that run jobs: the I/O thread + helpers */
    pthread_t helpers[AGORA_RX_MAX_THREADS];
    int started;                     /* helpers running */
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned run_gen;                /* bumped per parallel run (under mu) */
    int accepting;                   /* helpers may still join the current run (under mu) */
    int active;                      /* helpers working on the current run (under mu) */
    int stop;
    atomic_int claim;                /* next job index to claim (chunks of AGORA_RX_CLAIM) */
    unsigned batch;                  /* number of the batch being queued (never 0) */
    agora_rx_job *jobs;              /* the I/O thread's job list, reused */
    int njobs, cap;
    agora_rx_events events[AGORA_RX_MAX_THREADS];
    agora_rx_hold *holds;            /* listeners whose any_thread observer this batch calls */
    int nholds, holds_cap;
} agora_rx_pool;

/* threads: how many threads run jobs (1 = the I/O thread alone). */
int agora_rx_pool_init(agora_rx_pool *p, struct agora_service *svc, int threads);
void agora_rx_pool_destroy(agora_rx_pool *p);
/* A new job for rx at the end of the list, chained after rx's earlier jobs of
 * this batch (NULL when out of memory). The caller fills the rest. I/O thread only. */
agora_rx_job *agora_rx_pool_add(agora_rx_pool *p, agora_rx_path *rx);
/* Keep c's any_thread audio observer registered until the end of the next
 * run (the caller holds c->mu): raises c->audio_pool_holds and marks c with
 * this batch; -1 when out of memory (deliver through the delivery thread).
 * The run drops the hold and signals c->cv. I/O thread only. */
int agora_rx_pool_hold(agora_rx_pool *p, struct agora_rtc_conn *c);
/* Run every job added since the last run, then hand the events to the
 * delivery queue and release the holds. I/O thread only. */
void agora_rx_pool_run(agora_rx_pool *p);
/* Threads the service uses when the config asks for 0 (auto). */
int agora_rx_pool_auto_threads(void);

#endif
