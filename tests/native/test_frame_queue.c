/* The frame queue's overflow policy (agora_rtc/frame_queue.h), frame by frame:
 * the freshest audio stays, VAD start/stop frames are never dropped, and the
 * VAD bytes of dropped speaking frames reach the consumer complete and in
 * order; the counters add up. */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include "agora_rtc/agora_rtc.h"
#include "agora_rtc/frame_queue.h"
#include "native_test.h"

static agora_audio_frame_observer obs;

/* One 10 ms 16 kHz frame of user uid whose samples are all `tag`, with VAD
 * state `state` and VAD bytes "tag" repeated (none for state 0). */
static void push(const char *uid, int16_t tag, int state)
{
    int16_t pcm[160];
    for (int i = 0; i < 160; i++)
        pcm[i] = tag;
    agora_audio_frame f;
    memset(&f, 0, sizeof(f));
    f.samples_per_channel = 160;
    f.channels = 1;
    f.bytes_per_sample = 2;
    f.samples_per_sec = 16000;
    f.buffer = pcm;
    uint8_t bytes[4] = {(uint8_t)tag, (uint8_t)tag, (uint8_t)tag, (uint8_t)tag};
    agora_vad_result vad = {.state = state, .bytes = bytes, .length = state == 0 ? 0 : 4};
    obs.on_playback_audio_frame_before_mixing(obs.user_data, "ch", uid, &f, state < 0 ? NULL : &vad);
}

static int readable(agora_frame_queue *q)
{
    struct pollfd p = {.fd = agora_frame_queue_fd(q), .events = POLLIN};
    return poll(&p, 1, 0) == 1;
}

typedef struct waiter {
    agora_frame_queue *q;
    long n;           /* what agora_frame_queue_wait returned */
    int timed_out;    /* it ran into its 30 s timeout (a lost wake-up) */
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    w->n = agora_frame_queue_wait(w->q, 30000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    w->timed_out = t1.tv_sec - t0.tv_sec >= 29;
    return NULL;
}

typedef struct pusher {
    int frames;
} pusher;

/* A receive thread: runs of one to three frames, each ended by frames_done. */
static void *push_thread(void *arg)
{
    pusher *p = arg;
    for (int i = 0; i < p->frames;) {
        int run = 1 + i % 3;
        for (int k = 0; k < run && i < p->frames; k++, i++)
            push("a", (int16_t)i, -1);
        obs.on_frames_done(obs.user_data);
        if (i % 64 == 0)
            sched_yield();
    }
    return NULL;
}

/* A consumer that takes exactly begin_batch's count (never pops an empty
 * queue) is still woken by the next push: an event loop's eventfd goes quiet
 * once nothing waits (no busy loop), and a waiting dispatcher thread wakes
 * (not only at its timeout). */
static void check_rearm_after_a_full_pass(void)
{
    agora_frame_queue *q = agora_frame_queue_create(1000);
    agora_frame_queue_observer(q, &obs);
    for (int16_t i = 1; i <= 3; i++)
        push("a", i, -1);
    obs.on_frames_done(obs.user_data);
    CHECK(readable(q), "woken by the run");
    long n = agora_frame_queue_begin_batch(q);
    CHECK(n == 3, "pass of %ld", n);
    while (n-- > 0)
        agora_queued_frame_free(agora_frame_queue_pop(q));
    /* the pass that took the last frame leaves the eventfd quiet: no empty pass follows */
    CHECK(!readable(q), "eventfd quiet once the pass emptied the queue (an empty pass would follow)");
    CHECK(agora_frame_queue_begin_batch(q) == 0, "empty");
    CHECK(!readable(q), "eventfd quiet once nothing waits (an event loop would spin)");
    push("a", 4, -1);
    obs.on_frames_done(obs.user_data);
    CHECK(readable(q), "the next run wakes the event loop");
    n = agora_frame_queue_begin_batch(q);
    while (n-- > 0)
        agora_queued_frame_free(agora_frame_queue_pop(q));
    /* a dispatcher thread waiting on the now empty queue */
    waiter w = {q, -2, 0};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, wait_thread, &w) == 0, "thread");
    sleep_ms(20); /* (most likely in its wait by now; either order must pass) */
    push("a", 5, -1);
    obs.on_frames_done(obs.user_data);
    pthread_join(t, NULL);
    CHECK(w.n == 1 && !w.timed_out, "the waiting thread was woken by the push (wait returned %ld%s)",
          w.n, w.timed_out ? " at its timeout" : "");
    agora_frame_queue_destroy(q);
}

/* The race of a pass that empties the queue: a frame pushed while the pass
 * runs (after its begin_batch, before or after its last pop) must still wake
 * the consumer, whichever order the two threads take; a pass that leaves
 * frames keeps the eventfd readable. */
enum { RACE_FRAMES = 20000 };

static void check_push_during_a_pass(void)
{
    /* room for every frame of the threaded part below: nothing dropped, every frame counts */
    agora_frame_queue *q = agora_frame_queue_create(2 * RACE_FRAMES);
    agora_frame_queue_set_backlog_limit(q, 1000 * RACE_FRAMES);
    agora_frame_queue_observer(q, &obs);
    /* pushed before the pass's last pop: the queue never empties, stays readable */
    push("a", 1, -1);
    push("a", 2, -1);
    obs.on_frames_done(obs.user_data);
    long n = agora_frame_queue_begin_batch(q);
    CHECK(n == 2, "pass of %ld", n);
    agora_queued_frame_free(agora_frame_queue_pop(q));
    push("a", 3, -1);
    obs.on_frames_done(obs.user_data);
    agora_queued_frame_free(agora_frame_queue_pop(q));
    CHECK(readable(q), "a frame pushed during the pass keeps the consumer woken");
    n = agora_frame_queue_begin_batch(q);
    CHECK(n == 1, "the next pass takes it (%ld)", n);
    agora_queued_frame *f = agora_frame_queue_pop(q);
    CHECK(f && f->frame.buffer[0] == 3, "frame 3");
    agora_queued_frame_free(f);
    CHECK(!readable(q), "quiet after it");
    /* pushed right after the pass's last pop (the queue was just emptied and rearmed) */
    push("a", 4, -1);
    CHECK(!readable(q), "one frame of a run: the wake-up waits for the run's end");
    obs.on_frames_done(obs.user_data);
    CHECK(readable(q), "a frame pushed after the emptying pop wakes the consumer");
    /* many times, from another thread, racing the consumer's passes: every frame
     * is taken and the consumer never waits for a wake-up that does not come */
    agora_queued_frame_free(agora_frame_queue_pop(q));
    pusher pu = {RACE_FRAMES};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, push_thread, &pu) == 0, "thread");
    long taken = 0, empty_passes = 0;
    while (taken < RACE_FRAMES) {
        struct pollfd p = {.fd = agora_frame_queue_fd(q), .events = POLLIN};
        if (poll(&p, 1, 10000) != 1)
            break; /* a lost wake-up */
        n = agora_frame_queue_begin_batch(q);
        if (n == 0)
            empty_passes++;
        while (n-- > 0) {
            agora_queued_frame *g = agora_frame_queue_pop(q);
            taken += g != NULL;
            agora_queued_frame_free(g);
        }
    }
    pthread_join(t, NULL);
    CHECK(taken == RACE_FRAMES, "took %ld of %d frames (a wake-up was lost)", taken, (int)RACE_FRAMES);
    CHECK(empty_passes == 0, "%ld empty passes", empty_passes);
    agora_frame_queue_destroy(q);
}

int main(void)
{
    /* 1. no VAD, one user, limit 50 ms: the five freshest frames stay */
    agora_frame_queue *q = agora_frame_queue_create(1000);
    CHECK(agora_frame_queue_set_backlog_limit(q, 50) == AGORA_OK, "limit");
    CHECK(agora_frame_queue_set_backlog_limit(q, 5) == AGORA_ERR_INVALID_ARGUMENT, "limit too small");
    agora_frame_queue_observer(q, &obs);
    for (int16_t i = 1; i <= 20; i++)
        push("a", i, -1);
    agora_frame_queue_stats st;
    agora_frame_queue_get_stats(q, &st);
    CHECK(st.waiting == 5 && st.dropped == 15 && st.pushed == 5, "waiting %llu dropped %llu",
          (unsigned long long)st.waiting, (unsigned long long)st.dropped);
    CHECK(st.user_backlog_ms == 50 && st.backlog_limit_ms == 50, "backlog %lld", (long long)st.user_backlog_ms);
    int16_t expect = 16, warned = 0;
    agora_queued_frame *f;
    while ((f = agora_frame_queue_pop(q)) != NULL) {
        CHECK(f->frame.buffer[0] == expect, "frame %d, expected %d", f->frame.buffer[0], expect);
        CHECK(f->vad_state == -1, "no VAD");
        warned += f->warn;
        expect++;
        agora_queued_frame_free(f);
    }
    CHECK(expect == 21, "the freshest frames arrive");
    CHECK(warned == 1, "one warning for the drops, got %d", warned);
    agora_frame_queue_get_stats(q, &st);
    CHECK(st.taken == 5 && st.pushed == st.taken && st.pushed + st.dropped == 20, "counters add up");

    /* 2. VAD: silence, start, 30 speaking, stop, silence; limit 50 ms. Start and
     * stop arrive, and the concatenated bytes of 1/2/3 frames are exactly the
     * bytes of every speaking frame, in order. */
    agora_frame_queue_destroy(q);
    q = agora_frame_queue_create(1000);
    agora_frame_queue_set_backlog_limit(q, 50);
    agora_frame_queue_observer(q, &obs);
    push("a", 1, 0);
    push("a", 2, 0);
    push("a", 3, 1);
    for (int16_t i = 4; i < 34; i++)
        push("a", i, 2);
    push("a", 34, 3);
    push("a", 35, 0);
    uint8_t asr[256];
    size_t asr_len = 0;
    int starts = 0, stops = 0, frames = 0;
    while ((f = agora_frame_queue_pop(q)) != NULL) {
        if (f->vad_state >= 1) {
            CHECK(asr_len + f->vad_length <= sizeof(asr), "bytes fit");
            memcpy(asr + asr_len, f->vad_bytes, f->vad_length);
            asr_len += f->vad_length;
        }
        starts += f->vad_state == 1;
        stops += f->vad_state == 3;
        frames++;
        agora_queued_frame_free(f);
    }
    CHECK(starts == 1 && stops == 1, "start %d stop %d", starts, stops);
    CHECK(frames <= 8, "bounded: %d frames delivered", frames);
    CHECK(asr_len == 32 * 4, "every byte handed to ASR: %zu", asr_len);
    for (size_t i = 0; i < asr_len && i < sizeof(asr); i++)
        CHECK(asr[i] == 3 + i / 4, "byte %zu is %d", i, asr[i]);
    agora_frame_queue_get_stats(q, &st);
    CHECK(st.merged > 0 && st.merged <= st.dropped, "merged %llu", (unsigned long long)st.merged);

    /* 3. users are bounded separately; the frame cap of the queue drops the
     * oldest droppable frame whoever it belongs to */
    agora_frame_queue_destroy(q);
    q = agora_frame_queue_create(10);
    agora_frame_queue_observer(q, &obs);
    for (int16_t i = 1; i <= 10; i++)
        push(i % 2 ? "a" : "b", i, -1);
    push("b", 11, -1);
    agora_frame_queue_get_stats(q, &st);
    CHECK(st.waiting == 10 && st.dropped == 1, "capped");
    f = agora_frame_queue_pop(q);
    CHECK(f && f->frame.buffer[0] == 2, "the oldest frame went");
    agora_queued_frame_free(f);

    /* 4. frames pushed after close are refused and counted; take_all frees the rest */
    agora_frame_queue_close(q);
    push("a", 99, -1);
    agora_frame_queue_get_stats(q, &st);
    CHECK(st.dropped == 2, "refused after close");
    f = agora_frame_queue_take_all(q);
    int n = 0;
    while (f) {
        agora_queued_frame *next = f->next;
        agora_queued_frame_free(f);
        f = next;
        n++;
    }
    CHECK(n == 9, "take_all: %d", n);
    agora_frame_queue_destroy(q);

    /* 5. encoded packets (20 ms each, bytes "tag tag tag"), limit 50 ms: the
     * two freshest stay, bytes and info intact, every push counted */
    q = agora_frame_queue_create(1000);
    agora_frame_queue_set_backlog_limit(q, 50);
    for (uint8_t i = 1; i <= 10; i++) {
        uint8_t bytes[3] = {i, i, i};
        agora_encoded_audio_info info = {.codec = AGORA_AUDIO_CODEC_OPUS, .sample_rate = 48000,
                                         .channels = 1, .samples_per_channel = 960, .speech = 1,
                                         .capture_time_ms = i};
        agora_frame_queue_push_packet(q, "a", bytes, i % 2 ? 3 : 2, &info);
    }
    agora_frame_queue_get_stats(q, &st);
    CHECK(st.waiting == 2 && st.dropped == 8 && st.user_backlog_ms == 40, "packets: waiting %llu",
          (unsigned long long)st.waiting);
    uint8_t tag = 9;
    while ((f = agora_frame_queue_pop(q)) != NULL) {
        size_t len = tag % 2 ? 3 : 2;
        CHECK(f->packet_length == len && f->packet[0] == tag && f->packet[len - 1] == tag, "packet %d", tag);
        CHECK(f->packet_info.capture_time_ms == tag && f->packet_info.samples_per_channel == 960, "info");
        CHECK(f->vad_state == -1 && f->vad_length == 0 && strcmp(f->user_id, "a") == 0, "no VAD");
        tag++;
        agora_queued_frame_free(f);
    }
    CHECK(tag == 11, "the freshest packets arrive");
    agora_frame_queue_get_stats(q, &st);
    CHECK(st.pushed == 2 && st.taken == 2 && st.pushed + st.dropped == 10, "counters add up");
    agora_frame_queue_destroy(q);

    check_rearm_after_a_full_pass();
    check_push_during_a_pass();

    if (failures)
        printf("%d failure(s)\n", failures);
    else
        printf("ok\n");
    return failures != 0;
}
