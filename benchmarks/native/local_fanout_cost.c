/* Instruction-count driver for the engine's whole audio path on the local
 * network, for callgrind: USERS senders push SECONDS of speech-like PCM into one
 * channel, one listener with VAD gets every frame through the delivery thread
 * (the "direct" path: media clock -> work queue -> I/O loop -> receive pool ->
 * direct frame queue -> delivery thread -> observer). Prints the frames
 * delivered; callgrind's total over that count is the cost per frame, so two
 * builds (before / after a change) compare on a shared machine.
 *
 *   cmake -S . -B build/native-rel -DCMAKE_BUILD_TYPE=Release && \
 *       cmake --build build/native-rel --target agora_native
 *   gcc -std=c11 -O2 -g -Isrc/_native/include benchmarks/native/local_fanout_cost.c \
 *       build/native-rel/libagora_native.a -lopus -lsrtp2 -lspeexdsp -lpthread -lm -ldl -o /tmp/fanout
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/fanout.cg /tmp/fanout 24 2
 *
 * Arguments: senders (default 24), seconds each (default 2), and "queued" for
 * the path of dispatch="queued" instead (the receive threads push into a frame
 * queue, a consumer thread waits on it and takes its backlog). Exit status 1
 * when not every frame arrived within 10 minutes. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agora_rtc/agora_rtc.h"
#include "agora_rtc/frame_queue.h"

static atomic_int frames, speech;

static void on_frame(void *ud, const char *channel_id, const char *user_id, const agora_audio_frame *f,
                     const agora_vad_result *vad)
{
    (void)ud, (void)channel_id, (void)user_id, (void)f;
    atomic_fetch_add(&frames, 1);
    if (vad && vad->state != 0)
        atomic_fetch_add(&speech, 1);
}

static atomic_int consumer_stop;

/* dispatch="queued": take what waits, a whole backlog per wake-up */
static void *consume(void *arg)
{
    agora_frame_queue *q = arg;
    while (!atomic_load(&consumer_stop)) {
        if (agora_frame_queue_wait(q, 100) <= 0)
            continue;
        agora_queued_frame *f = agora_frame_queue_take_all(q);
        while (f) {
            agora_queued_frame *next = f->next;
            atomic_fetch_add(&frames, 1);
            if (f->vad_state > 0)
                atomic_fetch_add(&speech, 1);
            agora_queued_frame_free(f);
            f = next;
        }
    }
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static agora_rtc_conn *local_conn(agora_service *svc)
{
    agora_rtc_conn_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.auto_subscribe_audio = 1;
    cfg.client_role_type = 1;
    return agora_rtc_conn_create(svc, &cfg);
}

int main(int argc, char **argv)
{
    int users = argc > 1 ? atoi(argv[1]) : 24, seconds = argc > 2 ? atoi(argv[2]) : 2;
    int queued = argc > 3 && strcmp(argv[3], "queued") == 0;
    if (users < 1 || seconds < 1)
        return 2;
    agora_service *svc = agora_service_create();
    agora_service_config scfg;
    memset(&scfg, 0, sizeof(scfg));
    scfg.app_id = "bench";
    scfg.receive_threads = 1;
    if (!svc || agora_service_initialize(svc, &scfg) != AGORA_OK)
        return 2;
    agora_rtc_conn *listener = local_conn(svc);
    agora_audio_frame_observer obs;
    memset(&obs, 0, sizeof(obs));
    obs.on_playback_audio_frame_before_mixing = on_frame;
    agora_frame_queue *q = NULL;
    pthread_t consumer;
    if (queued) {
        q = agora_frame_queue_create(100000);
        agora_frame_queue_observer(q, &obs);
        if (!q || pthread_create(&consumer, NULL, consume, q) != 0)
            return 2;
    }
    agora_vad_config vad;
    agora_vad_config_default(&vad);
    if (agora_rtc_conn_register_audio_frame_observer(listener, &obs, &vad, AGORA_AUDIO_DELIVER_ALL) != AGORA_OK ||
        agora_rtc_conn_connect(listener, "", "room", "listener") != AGORA_OK)
        return 2;
    /* speech-like: 300 ms bursts of a harmonic tone, 200 ms of silence */
    const size_t n = (size_t)16000 * (size_t)seconds;
    int16_t *pcm = calloc(n, sizeof(int16_t));
    for (size_t i = 0; i < n; i++)
        if (i % 8000 < 4800)
            pcm[i] = (int16_t)(3000.0 * ((i * 150 % 16000) / 16000.0 - 0.5) + ((i * 37) % 200) - 100);
    agora_rtc_conn **senders = calloc((size_t)users, sizeof(*senders));
    for (int u = 0; u < users; u++) {
        char uid[16];
        snprintf(uid, sizeof(uid), "s%d", u);
        senders[u] = local_conn(svc);
        if (!senders[u] || agora_rtc_conn_connect(senders[u], "", "room", uid) != AGORA_OK ||
            agora_local_user_publish_audio(senders[u]) != AGORA_OK)
            return 2;
    }
    sleep_ms(200);
    for (int u = 0; u < users; u++)
        if (agora_rtc_conn_push_audio_pcm(senders[u], pcm, n, 16000, 1, 0) != AGORA_OK)
            return 2;
    const int want = users * seconds * 100;
    for (int t = 0; t < 600000 && atomic_load(&frames) < want; t += 20)
        sleep_ms(20);
    /* then until nothing more comes for 1 s (the gap frames that end a speaking VAD) */
    for (int last = -1, t = 0; t < 600000 && atomic_load(&frames) != last; t += 1000) {
        last = atomic_load(&frames);
        sleep_ms(1000);
    }
    printf("frames %d of %d, speech %d\n", atomic_load(&frames), want, atomic_load(&speech));
    for (int u = 0; u < users; u++)
        agora_rtc_conn_destroy(senders[u]);
    agora_rtc_conn_destroy(listener);
    agora_service_release(svc);
    if (queued) {
        atomic_store(&consumer_stop, 1);
        pthread_join(consumer, NULL);
        agora_frame_queue_destroy(q);
    }
    free(senders);
    free(pcm);
    return atomic_load(&frames) >= want ? 0 : 1;
}
