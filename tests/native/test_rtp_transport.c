/* Integration test of the RTP transport through the public C API (meant to
 * run under ASan/UBSan): two RTP connections of one service exchange Opus
 * over loopback UDP; garbage datagrams, an SRTP stream with the wrong key,
 * connection events, remove_remote, and teardown with streams still live.
 * Returns 0 on success. Build and run with the sanitizers (from the repo root):
 *   cmake -S . -B build/native-asan -G Ninja -DAGORA_RTC_NATIVE_TESTS=ON \
 *         -DAGORA_RTC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
 *   cmake --build build/native-asan && build/native-asan/test_rtp_transport */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agora_rtc/agora_rtc.h"

#include "native_test.h"

typedef struct counts {
    atomic_int frames, connected, disconnected, lost, reconnecting, reconnected, joined, left;
    atomic_llong energy; /* sum of |sample| */
} counts;

static void on_frame(void *ud, const char *channel_id, const char *user_id, const agora_audio_frame *f,
                     const agora_vad_result *vad)
{
    counts *c = ud;
    (void)vad;
    if (strcmp(user_id, "alice") != 0 || strcmp(channel_id, "room") != 0)
        return;
    long long e = 0;
    for (int i = 0; i < f->samples_per_channel * f->channels; i++)
        e += f->buffer[i] < 0 ? -f->buffer[i] : f->buffer[i];
    atomic_fetch_add(&c->energy, e);
    atomic_fetch_add(&c->frames, 1);
}

static void on_connected(void *ud, const agora_rtc_conn_info *i, int r) { (void)i; (void)r; atomic_fetch_add(&((counts *)ud)->connected, 1); }
static void on_disconnected(void *ud, const agora_rtc_conn_info *i, int r) { (void)i; (void)r; atomic_fetch_add(&((counts *)ud)->disconnected, 1); }
static void on_lost(void *ud, const agora_rtc_conn_info *i) { (void)i; atomic_fetch_add(&((counts *)ud)->lost, 1); }
static void on_reconnecting(void *ud, const agora_rtc_conn_info *i, int r) { (void)i; (void)r; atomic_fetch_add(&((counts *)ud)->reconnecting, 1); }
static void on_reconnected(void *ud, const agora_rtc_conn_info *i, int r) { (void)i; (void)r; atomic_fetch_add(&((counts *)ud)->reconnected, 1); }
static void on_joined(void *ud, const char *u) { (void)u; atomic_fetch_add(&((counts *)ud)->joined, 1); }
static void on_left(void *ud, const char *u, int r) { (void)u; (void)r; atomic_fetch_add(&((counts *)ud)->left, 1); }

/* Poll *v until >= want (or timeout); returns the last value. */
static int wait_at_least(atomic_int *v, int want, int timeout_ms)
{
    for (int t = 0; t < timeout_ms && atomic_load(v) < want; t += 5)
        sleep_ms(5);
    return atomic_load(v);
}

static agora_rtc_conn *rtp_conn(agora_service *svc, counts *c)
{
    agora_rtc_conn_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.auto_subscribe_audio = 1;
    cfg.client_role_type = 1;
    cfg.transport = AGORA_TRANSPORT_RTP;
    agora_rtc_conn *conn = agora_rtc_conn_create(svc, &cfg);
    CHECK(conn != NULL, "create");
    agora_rtc_conn_observer o;
    memset(&o, 0, sizeof(o));
    o.user_data = c;
    o.on_connected = on_connected;
    o.on_disconnected = on_disconnected;
    o.on_connection_lost = on_lost;
    o.on_reconnecting = on_reconnecting;
    o.on_reconnected = on_reconnected;
    o.on_user_joined = on_joined;
    o.on_user_left = on_left;
    CHECK(agora_rtc_conn_register_observer(conn, &o) == AGORA_OK, "observer");
    agora_audio_frame_observer a = {c, on_frame};
    agora_vad_config vad;
    agora_vad_config_default(&vad);
    CHECK(agora_rtc_conn_register_audio_frame_observer(conn, &a, &vad, AGORA_AUDIO_DELIVER_ALL) == AGORA_OK, "audio observer");
    return conn;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void send_garbage(uint16_t port, int n, uint32_t seed)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in dst;
    memset(&dst, 0, sizeof(dst));
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    uint8_t buf[1600];
    for (int i = 0; i < n; i++) {
        size_t len = lcg(&seed) % sizeof(buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = (uint8_t)lcg(&seed);
        if (i % 3 == 0 && len >= 12) { /* an RTP-looking header with alice's SSRC */
            buf[0] = (uint8_t)(0x80 | (lcg(&seed) & 0x3F));
            buf[1] = 111;
            buf[8] = 0; buf[9] = 0; buf[10] = 0x03; buf[11] = 0xE8;
        } else if (i % 3 == 1 && len >= 2) { /* RTCP-looking */
            buf[0] = (uint8_t)(0x80 | (lcg(&seed) & 0x3F));
            buf[1] = (uint8_t)(192 + lcg(&seed) % 32);
        }
        sendto(fd, buf, len, 0, (struct sockaddr *)&dst, sizeof(dst));
        if (i % 64 == 0)
            sleep_ms(1);
    }
    close(fd);
}

int main(void)
{
    agora_service *svc = agora_service_create();
    agora_service_config scfg;
    memset(&scfg, 0, sizeof(scfg));
    scfg.app_id = "test";
    scfg.prefill_ms = 40;
    CHECK(agora_service_initialize(svc, &scfg) == AGORA_OK, "init");

    counts ca, cb;
    memset(&ca, 0, sizeof(ca));
    memset(&cb, 0, sizeof(cb));
    agora_rtc_conn *a = rtp_conn(svc, &ca), *b = rtp_conn(svc, &cb);
    uint16_t pa = 0, pb = 0;
    CHECK(agora_rtc_conn_rtp_open(a, "127.0.0.1", &pa) == AGORA_OK && pa, "open a");
    CHECK(agora_rtc_conn_rtp_open(b, NULL, &pb) == AGORA_OK && pb, "open b");
    CHECK(agora_rtc_conn_connect(a, "", "room", "alice") == AGORA_OK, "connect a");
    CHECK(agora_rtc_conn_connect(b, "", "room", "bob") == AGORA_OK, "connect b");
    CHECK(agora_rtc_conn_rtp_set_publish_target(a, "127.0.0.1", pb, pb, 1000) == AGORA_OK, "target");
    CHECK(agora_rtc_conn_rtp_add_remote(b, 1000, "alice", 0, NULL) == AGORA_OK, "add remote");
    CHECK(agora_local_user_publish_audio(a) == AGORA_OK, "publish");
    CHECK(agora_rtc_conn_post_event(a, AGORA_CONN_EVENT_CONNECTED, NULL, 1) == AGORA_OK, "connected a");
    CHECK(agora_rtc_conn_post_event(b, AGORA_CONN_EVENT_CONNECTED, NULL, 1) == AGORA_OK, "connected b");
    CHECK(agora_rtc_conn_post_event(b, AGORA_CONN_EVENT_USER_JOINED, "alice", 0) == AGORA_OK, "joined");

    /* 1.5 s of a 440 Hz tone at 22050 Hz stereo (resampled and downmixed to 48 kHz mono) */
    enum { RATE = 22050, N = RATE * 3 / 2 };
    static int16_t tone[N * 2];
    for (int i = 0; i < N; i++)
        tone[2 * i] = tone[2 * i + 1] = (int16_t)(8000 * sin(2 * M_PI * 440 * i / RATE));
    CHECK(agora_rtc_conn_push_audio_pcm(a, tone, N, RATE, 2, 0) == AGORA_OK, "push");
    send_garbage(pb, 1500, 42); /* while the stream runs */
    int frames = wait_at_least(&cb.frames, 140, 5000);
    CHECK(frames >= 140, "frames %d", frames);
    long long energy = atomic_load(&cb.energy);
    CHECK(energy / (frames * 160 + 1) > 2000, "mean |x| %lld", energy / (frames * 160 + 1));

    agora_rtp_transport_stats st;
    CHECK(agora_rtc_conn_rtp_get_stats(b, &st) == AGORA_OK, "stats");
    CHECK(st.malformed > 0 && st.rtp_received >= 70 && st.frames_decoded >= 50, "malformed %llu rtp %llu dec %llu",
          (unsigned long long)st.malformed, (unsigned long long)st.rtp_received,
          (unsigned long long)st.frames_decoded);
    CHECK(st.local_port == pb && st.remotes == 1, "port %u remotes %d", st.local_port, st.remotes);
    sleep_ms(1200); /* the first RTCP SR (to B's socket: counted there as RTCP) */
    CHECK(agora_rtc_conn_rtp_get_stats(a, &st) == AGORA_OK && st.packets_sent >= 70 && st.rtcp_sent >= 1,
          "sent %llu rtcp %llu", (unsigned long long)st.packets_sent, (unsigned long long)st.rtcp_sent);
    CHECK(agora_rtc_conn_rtp_get_stats(b, &st) == AGORA_OK && st.rtcp_received >= 1, "rtcp received %llu",
          (unsigned long long)st.rtcp_received);

    /* reconnect cycle */
    CHECK(agora_rtc_conn_post_event(b, AGORA_CONN_EVENT_RECONNECTING, NULL, 2) == AGORA_OK, "reconnecting");
    CHECK(agora_rtc_conn_post_event(b, AGORA_CONN_EVENT_LOST, NULL, 0) == AGORA_OK, "lost");
    CHECK(agora_rtc_conn_post_event(b, AGORA_CONN_EVENT_RECONNECTED, NULL, 0) == AGORA_OK, "reconnected");
    CHECK(agora_rtc_conn_post_event(b, AGORA_CONN_EVENT_RECONNECTED, NULL, 0) == AGORA_ERR_INVALID_STATE, "twice");
    CHECK(wait_at_least(&cb.reconnected, 1, 2000) == 1 && cb.lost == 1 && cb.reconnecting == 1, "reconnect events");

    /* an SRTP stream keyed differently from what arrives: refused, nothing heard */
    uint8_t key[AGORA_RTP_SRTP_KEY_LEN] = {1, 2, 3};
    CHECK(agora_rtc_conn_rtp_remove_remote(b, 1000) == AGORA_OK, "remove");
    CHECK(agora_rtc_conn_rtp_add_remote(b, 1000, "alice", 32, key) == AGORA_OK, "add srtp");
    int before = atomic_load(&cb.frames);
    CHECK(agora_rtc_conn_push_audio_pcm(a, tone, RATE / 2, RATE, 2, 0) == AGORA_OK, "push 2");
    sleep_ms(700);
    CHECK(agora_rtc_conn_rtp_get_stats(b, &st) == AGORA_OK && st.srtp_errors >= 20, "srtp errors %llu",
          (unsigned long long)st.srtp_errors);
    CHECK(atomic_load(&cb.frames) <= before + 2, "frames after srtp %d vs %d", atomic_load(&cb.frames), before);

    /* plain again, stream running, then tear everything down mid-stream */
    CHECK(agora_rtc_conn_rtp_remove_remote(b, 1000) == AGORA_OK, "remove 2");
    CHECK(agora_rtc_conn_rtp_add_remote(b, 1000, "alice", 0, NULL) == AGORA_OK, "add 3");
    CHECK(agora_rtc_conn_push_audio_pcm(a, tone, N, RATE, 2, 0) == AGORA_OK, "push 3");
    before = atomic_load(&cb.frames);
    CHECK(wait_at_least(&cb.frames, before + 20, 3000) >= before + 20, "frames again");

    /* liveness: once a has nothing to say it sends keepalives, b hears them
     * (no audio, no loss); then a says BYE and falls silent */
    uint64_t lost_before = 0, ka = 0;
    CHECK(agora_rtc_conn_rtp_get_stats(b, &st) == AGORA_OK, "stats before keepalives");
    for (int t = 0; t < 6000 && ka < 2; t += 20) {
        sleep_ms(20);
        agora_rtc_conn_rtp_get_stats(b, &st);
        ka = st.keepalives_received;
        if (ka == 0)
            lost_before = st.lost;
    }
    CHECK(ka >= 2 && st.lost == lost_before, "keepalives received %llu, lost %llu -> %llu",
          (unsigned long long)ka, (unsigned long long)lost_before, (unsigned long long)st.lost);
    agora_rtp_remote_activity act[2];
    memset(act, 0, sizeof(act));
    CHECK(agora_rtc_conn_rtp_remote_activity(b, act, 2) == 1 && act[0].ssrc == 1000 &&
              act[0].idle_ms >= 0 && act[0].idle_ms < 1500 && act[0].bye == 0,
          "activity idle %lld bye %d", (long long)act[0].idle_ms, act[0].bye);
    CHECK(agora_rtc_conn_rtp_remote_activity(b, NULL, 0) == 1, "count only");
    CHECK(agora_rtc_conn_rtp_remote_activity(b, NULL, 1) == AGORA_ERR_INVALID_ARGUMENT, "null");
    CHECK(agora_rtc_conn_rtp_send_bye(a) == AGORA_OK, "bye");
    for (int t = 0; t < 2000 && act[0].bye != 1; t += 10) {
        sleep_ms(10);
        agora_rtc_conn_rtp_remote_activity(b, act, 1);
    }
    CHECK(act[0].bye == 1, "bye received");
    CHECK(agora_rtc_conn_rtp_get_stats(a, &st) == AGORA_OK && st.byes_sent == 1, "byes sent %llu",
          (unsigned long long)st.byes_sent);
    uint64_t sent = st.packets_sent;
    sleep_ms(1300);
    CHECK(agora_rtc_conn_rtp_get_stats(a, &st) == AGORA_OK && st.packets_sent == sent,
          "nothing sent after BYE: %llu -> %llu", (unsigned long long)sent,
          (unsigned long long)st.packets_sent);
    CHECK(agora_rtc_conn_rtp_get_stats(b, &st) == AGORA_OK && st.byes_received == 1, "byes received");
    CHECK(agora_rtc_conn_disconnect(a) == AGORA_OK, "disconnect a");
    CHECK(agora_rtc_conn_rtp_get_stats(a, &st) == AGORA_OK && st.local_port == 0, "a closed");
    CHECK(wait_at_least(&ca.disconnected, 1, 2000) == 1, "a disconnected");
    CHECK(agora_rtc_conn_destroy(a) == AGORA_OK, "destroy a");
    /* b keeps its socket, remote and receive path: the service release frees them */
    CHECK(agora_service_release(svc) == AGORA_OK, "release");

    if (failures)
        printf("%d failure(s)\n", failures);
    else
        printf("ok\n");
    return failures ? 1 : 0;
}
