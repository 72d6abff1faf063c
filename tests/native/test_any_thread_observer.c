/* The any_thread audio-observer contract (connection.h) on the local network,
 * through the public C API: 24 users talk into one listener whose observer is
 * any_thread with on_frames_done. Checks that every frame arrives, in order per
 * user, on the engine's receive threads (never the delivery thread); that
 * on_frames_done follows the frames of each run; and that after unregister
 * returns the observer is never called again (the run's hold). Meant to run
 * under ASan/UBSan too (see test_rtp_transport.c for the build lines). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agora_rtc/agora_rtc.h"

#include "native_test.h"

#define USERS 24
#define SECONDS 2

typedef struct sink {
    atomic_int frames, done_calls, frames_at_last_done, wrong_thread, out_of_order;
    atomic_int after_unregister; /* calls that started once `closed` was set */
    atomic_int closed;
    int64_t last_pts[USERS];     /* per user; each user's frames come from one thread at a time */
    atomic_int per_user[USERS];
} sink;

static int user_index(const char *uid)
{
    return uid[0] == 's' ? atoi(uid + 1) : -1;
}

static int on_engine_receive_thread(void)
{
    char name[16] = {0};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    return strcmp(name, "agora-io") == 0 || strncmp(name, "agora-rx-", 9) == 0;
}

static void on_frame(void *ud, const char *channel_id, const char *user_id, const agora_audio_frame *f,
                     const agora_vad_result *vad)
{
    sink *s = ud;
    (void)vad;
    if (atomic_load(&s->closed))
        atomic_fetch_add(&s->after_unregister, 1);
    if (!on_engine_receive_thread())
        atomic_fetch_add(&s->wrong_thread, 1);
    int u = user_index(user_id);
    if (u < 0 || u >= USERS || strcmp(channel_id, "room") != 0)
        return;
    if (f->presentation_ms <= s->last_pts[u] && s->last_pts[u] >= 0)
        atomic_fetch_add(&s->out_of_order, 1);
    s->last_pts[u] = f->presentation_ms;
    atomic_fetch_add(&s->per_user[u], 1);
    atomic_fetch_add(&s->frames, 1);
}

static void on_frames_done(void *ud)
{
    sink *s = ud;
    if (atomic_load(&s->closed))
        atomic_fetch_add(&s->after_unregister, 1);
    if (!on_engine_receive_thread())
        atomic_fetch_add(&s->wrong_thread, 1);
    atomic_fetch_add(&s->done_calls, 1);
    atomic_store(&s->frames_at_last_done, atomic_load(&s->frames));
}

static agora_rtc_conn *local_conn(agora_service *svc)
{
    agora_rtc_conn_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.auto_subscribe_audio = 1;
    cfg.client_role_type = 1;
    agora_rtc_conn *c = agora_rtc_conn_create(svc, &cfg);
    CHECK(c != NULL, "create");
    return c;
}

int main(void)
{
    agora_service *svc = agora_service_create();
    agora_service_config scfg;
    memset(&scfg, 0, sizeof(scfg));
    scfg.app_id = "test";
    scfg.receive_threads = 2;
    CHECK(agora_service_initialize(svc, &scfg) == AGORA_OK, "init");

    sink *s = calloc(1, sizeof(*s));
    for (int u = 0; u < USERS; u++)
        s->last_pts[u] = -1;
    agora_rtc_conn *bob = local_conn(svc);
    agora_audio_frame_observer obs;
    memset(&obs, 0, sizeof(obs));
    obs.user_data = s;
    obs.on_playback_audio_frame_before_mixing = on_frame;
    obs.any_thread = 1;
    obs.on_frames_done = on_frames_done;
    CHECK(agora_rtc_conn_register_audio_frame_observer(bob, &obs, NULL, AGORA_AUDIO_DELIVER_ALL) == AGORA_OK,
          "register");
    CHECK(agora_rtc_conn_connect(bob, "", "room", "bob") == AGORA_OK, "connect bob");

    const size_t n = 16000 * SECONDS;
    int16_t *pcm = malloc(sizeof(int16_t) * n);
    for (size_t i = 0; i < n; i++)
        pcm[i] = (int16_t)((i * 37) % 2000 - 1000);
    agora_rtc_conn *senders[USERS];
    for (int u = 0; u < USERS; u++) {
        char uid[16];
        snprintf(uid, sizeof(uid), "s%d", u);
        senders[u] = local_conn(svc);
        CHECK(agora_rtc_conn_connect(senders[u], "", "room", uid) == AGORA_OK, "connect %s", uid);
        CHECK(agora_local_user_publish_audio(senders[u]) == AGORA_OK, "publish");
    }
    sleep_ms(100);
    for (int u = 0; u < USERS; u++)
        CHECK(agora_rtc_conn_push_audio_pcm(senders[u], pcm, n, 16000, 1, 0) == AGORA_OK, "push");

    const int want = USERS * SECONDS * 100;
    for (int t = 0; t < 10000 && atomic_load(&s->frames) < want; t += 10)
        sleep_ms(10);
    sleep_ms(50);
    CHECK(atomic_load(&s->frames) == want, "frames %d of %d", atomic_load(&s->frames), want);
    for (int u = 0; u < USERS; u++)
        CHECK(atomic_load(&s->per_user[u]) == SECONDS * 100, "user s%d got %d", u, atomic_load(&s->per_user[u]));
    CHECK(atomic_load(&s->out_of_order) == 0, "%d frames out of order", atomic_load(&s->out_of_order));
    CHECK(atomic_load(&s->wrong_thread) == 0, "%d calls off the receive threads", atomic_load(&s->wrong_thread));
    /* one call per receive run: at least one per 10 ms tick heard, far fewer than frames */
    int done = atomic_load(&s->done_calls);
    CHECK(done >= SECONDS * 50 && done < want / 2, "on_frames_done %d times for %d frames", done, want);
    CHECK(atomic_load(&s->frames_at_last_done) == want, "frames after the last on_frames_done");

    /* unregister while everyone talks: no call may start after it returned */
    for (int u = 0; u < USERS; u++)
        CHECK(agora_rtc_conn_push_audio_pcm(senders[u], pcm, n, 16000, 1, 0) == AGORA_OK, "push 2");
    int before = atomic_load(&s->frames);
    for (int t = 0; t < 5000 && atomic_load(&s->frames) < before + USERS * 10; t += 5)
        sleep_ms(5);
    CHECK(agora_rtc_conn_unregister_audio_frame_observer(bob) == AGORA_OK, "unregister");
    atomic_store(&s->closed, 1);
    sleep_ms(200);
    CHECK(atomic_load(&s->after_unregister) == 0, "%d calls after unregister returned",
          atomic_load(&s->after_unregister));

    for (int u = 0; u < USERS; u++)
        agora_rtc_conn_destroy(senders[u]);
    agora_rtc_conn_destroy(bob);
    agora_service_release(svc);
    free(pcm);
    free(s);
    if (failures == 0)
        printf("ok\n");
    return failures != 0;
}
