/* C unit tests of the audio labels and the VAD V2 state machine.
 *
 * Build and run (from the repository root):
 *   gcc -std=c11 -O2 -Wall -Wextra -Werror -Isrc/_native/include \
 *       tests/native/test_vad.c src/_native/audio/dsp/vad.c src/_native/audio/dsp/audio_labels.c \
 *       -lm -pthread -o /tmp/test_vad && /tmp/test_vad
 * Add -fsanitize=address,undefined -g for the sanitizer run. Returns 0 on success.
 */
#include "agora_rtc/audio_labels.h"
#include "agora_rtc/errors.h"
#include "agora_rtc/vad.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static int g_failures; /* test-local counter (tests are not part of the library) */

#define CHECK(cond)                                                              \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            g_failures++;                                                        \
        }                                                                        \
    } while (0)

/* ------------------------------------------------------------------ PRNG */
typedef struct { unsigned long long s; } rng_t;
static unsigned rng_u32(rng_t *r)
{
    r->s = r->s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(r->s >> 33);
}
static double rng_unit(rng_t *r) { return (rng_u32(r) + 0.5) / 2147483648.0; }
static int rng_int(rng_t *r, int lo, int hi) { return lo + (int)(rng_u32(r) % (unsigned)(hi - lo + 1)); }
static double rng_gauss(rng_t *r)
{
    double u = rng_unit(r), v = rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

/* ------------------------------------------------------------------ config validation */
static void test_config_validation(void)
{
    agora_vad_config c;
    agora_vad_config_default(&c);
    CHECK(agora_vad_config_validate(&c) == AGORA_OK);
    CHECK(c.pre_start_recognize_count == 16 && c.start_recognize_count == 30 &&
          c.stop_recognize_count == 50 && c.start_voice_prob == 70 && c.stop_voice_prob == 70 &&
          c.active_percent == 0.7f && c.inactive_percent == 0.5f &&
          c.start_rms_threshold == -50.0f && c.stop_rms_threshold == -50.0f && c.adaptive_rms == 0 &&
          c.start_run_count == 0);
    CHECK(agora_vad_config_validate(NULL) == AGORA_ERR_INVALID_ARGUMENT);

#define BAD(field, value)                                                     \
    do {                                                                      \
        agora_vad_config b;                                                   \
        agora_vad_config_default(&b);                                         \
        b.field = value;                                                      \
        CHECK(agora_vad_config_validate(&b) == AGORA_ERR_INVALID_ARGUMENT);   \
        CHECK(agora_vad_create(&b, 320) == NULL);                             \
    } while (0)
#define GOOD(field, value)                                                    \
    do {                                                                      \
        agora_vad_config b;                                                   \
        agora_vad_config_default(&b);                                         \
        b.field = value;                                                      \
        CHECK(agora_vad_config_validate(&b) == AGORA_OK);                     \
    } while (0)
    BAD(pre_start_recognize_count, -1);
    GOOD(pre_start_recognize_count, 0);
    BAD(start_recognize_count, 0);
    GOOD(start_recognize_count, 1);
    BAD(stop_recognize_count, 0);
    GOOD(stop_recognize_count, 1);
    BAD(start_run_count, -1);
    BAD(start_run_count, 31); /* more than start_recognize_count (30) */
    GOOD(start_run_count, 30);
    BAD(active_percent, 0.0f);
    BAD(active_percent, -0.1f);
    BAD(active_percent, 1.0001f);
    BAD(active_percent, NAN);
    GOOD(active_percent, 1.0f);
    GOOD(active_percent, 1e-6f);
    BAD(inactive_percent, 0.0f);
    BAD(inactive_percent, 1.5f);
    BAD(inactive_percent, INFINITY);
    GOOD(inactive_percent, 1.0f);
    BAD(start_voice_prob, -1);
    BAD(start_voice_prob, 101);
    GOOD(start_voice_prob, 0);
    GOOD(start_voice_prob, 100);
    BAD(stop_voice_prob, -1);
    BAD(stop_voice_prob, 101);
    BAD(start_rms_threshold, -100.5f);
    BAD(start_rms_threshold, 0.5f);
    BAD(start_rms_threshold, NAN);
    GOOD(start_rms_threshold, -100.0f);
    GOOD(start_rms_threshold, 0.0f);
    BAD(stop_rms_threshold, -101.0f);
    BAD(stop_rms_threshold, 1.0f);
    BAD(adaptive_rms, 2);
    BAD(adaptive_rms, -1);
    BAD(adaptive_rms_factor, -1.0f);
    BAD(adaptive_rms_factor, NAN);
#undef BAD
#undef GOOD
    CHECK(agora_vad_create(&c, 0) == NULL);
}

/* ------------------------------------------------------------------ reference decisions */

/* ceil(p * n) at 1e-6 resolution, clamped to [1, n] (the documented rule). */
static int ref_need(float p, int n)
{
    long long ppm = (long long)floor((double)p * 1e6 + 0.5);
    long long need = (ppm * n + 999999) / 1000000;
    return (int)(need < 1 ? 1 : (need > n ? n : need));
}

/* A deliberately naive re-implementation of VAD.md section 2 that keeps whole histories
 * and recounts windows every frame; the real machine must agree with it frame by frame. */
typedef struct {
    agora_vad_config c;
    int speaking;
    int *act;      /* activity of frames since last stop (not speaking) */
    int n_act;
    int *inact;    /* inactivity of frames after the start frame */
    int n_inact;
    long long first_unemitted; /* index of the oldest frame that may still be emitted */
} ref_vad;

static int ref_step(ref_vad *r, int prob, float level, long long idx, long long *emit_from)
{
    const agora_vad_config *c = &r->c;
    if (!r->speaking) {
        r->act[r->n_act++] = prob >= c->start_voice_prob && level >= c->start_rms_threshold;
        int S = c->start_recognize_count;
        if (r->n_act >= S) {
            int cnt = 0;
            for (int i = r->n_act - S; i < r->n_act; i++)
                cnt += r->act[i];
            if (cnt >= ref_need(c->active_percent, S)) {
                long long ring = (long long)c->pre_start_recognize_count + S;
                long long from = idx - ring + 1;
                if (from < r->first_unemitted)
                    from = r->first_unemitted;
                *emit_from = from;
                r->speaking = 1;
                r->n_inact = 0;
                return 1;
            }
        }
        return 0;
    }
    r->inact[r->n_inact++] = prob < c->stop_voice_prob || level < c->stop_rms_threshold;
    int T = c->stop_recognize_count;
    *emit_from = idx;
    if (r->n_inact >= T) {
        int cnt = 0;
        for (int i = r->n_inact - T; i < r->n_inact; i++)
            cnt += r->inact[i];
        if (cnt >= ref_need(c->inactive_percent, T)) {
            r->speaking = 0;
            r->n_act = 0;
            r->first_unemitted = idx + 1;
            return 3;
        }
    }
    return 2;
}

static void random_config(rng_t *g, agora_vad_config *c)
{
    agora_vad_config_default(c);
    c->pre_start_recognize_count = rng_int(g, 0, 12);
    c->start_recognize_count = rng_int(g, 1, 15);
    c->stop_recognize_count = rng_int(g, 1, 15);
    static const float pcts[] = {0.1f, 0.2f, 0.3f, 0.5f, 0.7f, 0.75f, 0.9f, 1.0f, 0.33f, 0.6f};
    c->active_percent = rng_unit(g) < 0.5 ? pcts[rng_int(g, 0, 9)] : (float)(0.01 + 0.99 * rng_unit(g));
    c->inactive_percent = rng_unit(g) < 0.5 ? pcts[rng_int(g, 0, 9)] : (float)(0.01 + 0.99 * rng_unit(g));
    c->start_voice_prob = rng_int(g, 0, 100);
    c->stop_voice_prob = rng_int(g, 0, 100);
    c->start_rms_threshold = (float)rng_int(g, -80, -10);
    c->stop_rms_threshold = (float)rng_int(g, -80, -10);
}

/* Grammar, byte conservation and frame-by-frame agreement with the naive reference. */
static void test_state_machine_random(void)
{
    rng_t g = {12345};
    const size_t fb = 8; /* each frame carries its own index */
    for (int trial = 0; trial < 400; trial++) {
        agora_vad_config c;
        random_config(&g, &c);
        CHECK(agora_vad_config_validate(&c) == AGORA_OK);
        agora_vad *v = agora_vad_create(&c, fb);
        CHECK(v != NULL);
        if (!v)
            return;
        const int n = 600;
        ref_vad r = {c, 0, calloc(n, sizeof(int)), 0, calloc(n, sizeof(int)), 0, 0};
        int grammar = 0; /* 0: outside a segment, 1: inside */
        long long next_expected = -1, last_emitted = -1;
        int bursty = rng_int(&g, 0, 1);
        int mode = 0;
        for (long long i = 0; i < n; i++) {
            if (!bursty || rng_unit(&g) < 0.08)
                mode = rng_int(&g, 0, 2);
            agora_audio_labels L;
            memset(&L, 0, sizeof L);
            L.voice_prob = mode == 0 ? rng_int(&g, 0, 100) : (mode == 1 ? rng_int(&g, 60, 100) : rng_int(&g, 0, 40));
            L.dbfs = (float)(-90.0 + 90.0 * rng_unit(&g));
            uint8_t frame[8];
            for (int b = 0; b < 8; b++)
                frame[b] = (uint8_t)(i >> (8 * b));
            agora_vad_result res;
            CHECK(agora_vad_process(v, &L, frame, fb, &res) == AGORA_OK);
            long long from = -1;
            int expect = ref_step(&r, L.voice_prob, L.dbfs, i, &from);
            if (r.speaking == 0 && expect == 0)
                expect = 0;
            CHECK(res.state == expect);
            CHECK(res.bytes != NULL);
            /* grammar (0* 1 2* 3)* 0* (1 2*)? */
            if (res.state == 0) {
                CHECK(grammar == 0);
                CHECK(res.length == 0);
            } else if (res.state == 1) {
                CHECK(grammar == 0);
                grammar = 1;
            } else if (res.state == 2) {
                CHECK(grammar == 1);
            } else if (res.state == 3) {
                CHECK(grammar == 1);
                grammar = 0;
            }
            if (res.state != 0) {
                CHECK(res.length % fb == 0);
                long long k = (long long)(res.length / fb);
                /* frames must be contiguous, in order, ending at the current one */
                for (long long j = 0; j < k; j++) {
                    long long got = 0;
                    for (int b = 0; b < 8; b++)
                        got |= (long long)res.bytes[j * fb + b] << (8 * b);
                    CHECK(got == i - k + 1 + j);
                }
                long long first = i - k + 1;
                CHECK(first > last_emitted); /* never duplicated */
                if (res.state == 1) {
                    CHECK(first == from);
                    CHECK(k <= (long long)c.pre_start_recognize_count + c.start_recognize_count);
                    CHECK(k >= c.start_recognize_count);
                    next_expected = i + 1;
                } else {
                    CHECK(k == 1 && first == next_expected);
                    next_expected = i + 1;
                }
                last_emitted = i;
            }
        }
        free(r.act);
        free(r.inact);
        agora_vad_destroy(v);
    }
}

/* A stream of active frames starts after exactly ceil(A*S) active frames once S frames exist. */
static void test_exact_start(void)
{
    static const float pcts[] = {0.1f, 0.3f, 0.5f, 0.7f, 0.9f, 1.0f, 0.05f, 0.33f};
    static const int sizes[] = {1, 3, 10, 30, 7, 50};
    for (size_t pi = 0; pi < sizeof pcts / sizeof pcts[0]; pi++) {
        for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            agora_vad_config c;
            agora_vad_config_default(&c);
            c.active_percent = pcts[pi];
            c.start_recognize_count = sizes[si];
            int S = sizes[si];
            int need = (int)ceil((double)pcts[pi] * S - 1e-6); /* exact math */
            if (need < 1)
                need = 1;
            CHECK(need == ref_need(pcts[pi], S));
            agora_vad *v = agora_vad_create(&c, 2);
            uint8_t fr[2] = {0, 0};
            agora_vad_result res;
            agora_audio_labels quiet = {0, -127.0f, 0, 0, 0, 0};
            agora_audio_labels loud = {100, -20.0f, 100, 0, 0, 0};
            for (int i = 0; i < S + 5; i++) { /* the window fills with inactive frames */
                agora_vad_process(v, &quiet, fr, 2, &res);
                CHECK(res.state == 0);
            }
            int started_at = -1;
            for (int i = 1; i <= S + 1 && started_at < 0; i++) {
                agora_vad_process(v, &loud, fr, 2, &res);
                if (res.state == 1)
                    started_at = i;
            }
            CHECK(started_at == need);
            /* fresh instance: all frames active, start needs S frames to exist */
            agora_vad_reset(v);
            started_at = -1;
            for (int i = 1; i <= S + 1 && started_at < 0; i++) {
                agora_vad_process(v, &loud, fr, 2, &res);
                if (res.state == 1)
                    started_at = i;
            }
            CHECK(started_at == S);
            CHECK(res.length == (size_t)S * 2); /* ring held S frames only */
            agora_vad_destroy(v);
        }
    }
    /* float traps: 0.1f*10 and 0.7f*30 are not exactly 1 and 21 */
    CHECK(ref_need(0.1f, 10) == 1);
    CHECK(ref_need(0.7f, 30) == 21);
    CHECK(ref_need(0.3f, 10) == 3);
    CHECK(ref_need(0.5f, 50) == 25);
}

/* Stop timing: the T-frame window only counts frames after the start frame. */
static void test_stop_window(void)
{
    agora_vad_config c;
    agora_vad_config_default(&c);
    c.start_recognize_count = 4;
    c.pre_start_recognize_count = 2;
    c.active_percent = 1.0f;
    c.stop_recognize_count = 5;
    c.inactive_percent = 0.2f; /* one inactive frame in the window is enough */
    agora_vad *v = agora_vad_create(&c, 1);
    agora_audio_labels quiet = {0, -127.0f, 0, 0, 0, 0};
    agora_audio_labels loud = {100, -20.0f, 100, 0, 0, 0};
    uint8_t fr = 0;
    agora_vad_result res;
    for (int i = 0; i < 4; i++)
        agora_vad_process(v, &loud, &fr, 1, &res);
    CHECK(res.state == 1);
    /* inactive right away: still no stop before the 5th frame after the start */
    for (int i = 1; i <= 5; i++) {
        agora_vad_process(v, &quiet, &fr, 1, &res);
        CHECK(res.state == (i < 5 ? 2 : 3));
    }
    /* after a stop, S new frames are required before the next start */
    for (int i = 1; i <= 4; i++) {
        agora_vad_process(v, &loud, &fr, 1, &res);
        CHECK(res.state == (i < 4 ? 0 : 1));
        CHECK(res.state != 1 || res.length == 4);
    }
    /* length mismatch is refused */
    uint8_t two[2] = {0, 0};
    CHECK(agora_vad_process(v, &loud, two, 2, &res) == AGORA_ERR_INVALID_ARGUMENT);
    CHECK(agora_vad_process(v, NULL, &fr, 1, &res) == AGORA_ERR_INVALID_ARGUMENT);
    agora_vad_destroy(v);
}

/* Adaptive loudness: after an utterance at -20 dBFS with factor 10, the floor is -30 dBFS. */
static void test_adaptive_rms(void)
{
    agora_vad_config c;
    agora_vad_config_default(&c);
    c.adaptive_rms = 1;
    c.adaptive_rms_factor = 10.0f;
    c.start_recognize_count = 5;
    c.stop_recognize_count = 5;
    c.active_percent = 1.0f;
    c.inactive_percent = 1.0f;
    agora_vad *v = agora_vad_create(&c, 1);
    agora_audio_labels loud = {107, -20.0f, 100, 0, 0, 0};
    agora_audio_labels soft = {87, -40.0f, 100, 0, 0, 0};
    agora_audio_labels mid = {102, -25.0f, 100, 0, 0, 0};
    agora_audio_labels loud_novoice = {107, -20.0f, 0, 0, 0, 0};
    uint8_t fr = 0;
    agora_vad_result res;
    int starts = 0, stops = 0;
    for (int i = 0; i < 10; i++) { /* start frame + 5 more frames at -20 dBFS */
        agora_vad_process(v, &loud, &fr, 1, &res);
        starts += res.state == 1;
    }
    for (int i = 0; i < 5; i++) { /* loud but not voice: stops; the mean level stays -20 */
        agora_vad_process(v, &loud_novoice, &fr, 1, &res);
        stops += res.state == 3;
    }
    CHECK(starts == 1 && stops == 1);
    /* floor = max(-50, -20 - 10) = -30: a -40 dBFS voice no longer counts as active */
    for (int i = 0; i < 40; i++) {
        agora_vad_process(v, &soft, &fr, 1, &res);
        CHECK(res.state == 0);
    }
    /* -25 dBFS is above the adapted floor */
    int started = 0;
    for (int i = 0; i < 5; i++) {
        agora_vad_process(v, &mid, &fr, 1, &res);
        started |= res.state == 1;
    }
    CHECK(started);
    agora_vad_reset(v); /* reset restores the configured floor: -40 is active again */
    started = 0;
    for (int i = 0; i < 5; i++) {
        agora_vad_process(v, &soft, &fr, 1, &res);
        started |= res.state == 1;
    }
    CHECK(started);
    agora_vad_destroy(v);
}

/* ------------------------------------------------------------------ labels */
static void test_labels_levels(void)
{
    static const int rates[] = {8000, 16000, 24000, 32000, 44100, 48000};
    for (size_t ri = 0; ri < sizeof rates / sizeof rates[0]; ri++) {
        for (int ch = 1; ch <= 2; ch++) {
            int rate = rates[ri], n = rate / 100;
            agora_label_analyzer *a = agora_label_analyzer_create(rate, ch);
            CHECK(a != NULL);
            int16_t *pcm = calloc((size_t)n * ch, sizeof(int16_t));
            agora_audio_labels L;
            /* digital silence: rms 0, dbfs -127, never voice */
            for (int f = 0; f < 300; f++) {
                CHECK(agora_label_analyzer_process(a, pcm, n, &L) == AGORA_OK);
                CHECK(L.rms == 0 && L.dbfs == -127.0f && L.voice_prob == 0 && L.pitch_hz == 0);
                CHECK(L.music_prob == 0 && L.far_field == 0);
            }
            /* full-scale square wave: 0 dBFS -> 127 */
            for (int i = 0; i < n * ch; i++)
                pcm[i] = ((i / ch) / 10) % 2 ? 32767 : -32768;
            CHECK(agora_label_analyzer_process(a, pcm, n, &L) == AGORA_OK);
            CHECK(L.rms == 127 && fabsf(L.dbfs) < 0.01f);
            /* -20 dBFS 500 Hz sine (5 whole cycles; peak 0.1 * sqrt 2 of full scale) -> 107 */
            for (int i = 0; i < n; i++)
                for (int c = 0; c < ch; c++)
                    pcm[i * ch + c] = (int16_t)lrint(32768.0 * 0.1 * sqrt(2.0) * sin(2 * M_PI * 500.0 * i / rate));
            CHECK(agora_label_analyzer_process(a, pcm, n, &L) == AGORA_OK);
            CHECK(L.rms == 107 && fabsf(L.dbfs + 20.0f) < 0.05f);
            CHECK(agora_label_analyzer_process(a, pcm, n + 1, &L) == AGORA_ERR_INVALID_ARGUMENT);
            free(pcm);
            agora_label_analyzer_destroy(a);
        }
    }
    CHECK(agora_label_analyzer_create(7999, 1) == NULL);
    CHECK(agora_label_analyzer_create(48100, 1) == NULL);
    CHECK(agora_label_analyzer_create(16000, 3) == NULL);
    CHECK(agora_label_analyzer_create(16050, 1) == NULL);
}

/* Synthetic "speech": a glottal pulse train through two moving formant resonators, pitch
 * gliding 100..180 Hz, 4 Hz syllabic amplitude modulation with short pauses. */
static void synth_voice(rng_t *g, int16_t *out, int n, int rate, double level, double *state, double t0)
{
    double *phase = &state[0], *y1 = &state[1], *y2 = &state[2], *z1 = &state[3], *z2 = &state[4];
    for (int i = 0; i < n; i++) {
        double t = t0 + (double)i / rate;
        double f0 = 140.0 + 40.0 * sin(2 * M_PI * 0.7 * t) + 10.0 * sin(2 * M_PI * 3.1 * t);
        *phase += f0 / rate;
        double src = 0.0;
        if (*phase >= 1.0) {
            *phase -= 1.0;
            src = 1.0;
        }
        src += 0.02 * rng_gauss(g);
        double f1 = 500.0 + 250.0 * sin(2 * M_PI * 2.3 * t), f2 = 1500.0 + 600.0 * sin(2 * M_PI * 1.7 * t);
        double r = 0.97;
        double a1 = 2 * r * cos(2 * M_PI * f1 / rate), a2 = 2 * r * cos(2 * M_PI * f2 / rate);
        double s1 = src + a1 * *y1 - r * r * *y2;
        *y2 = *y1;
        *y1 = s1;
        double s2 = s1 + a2 * *z1 - r * r * *z2;
        *z2 = *z1;
        *z1 = s2;
        double env = 0.5 + 0.5 * sin(2 * M_PI * 4.0 * t);
        if (fmod(t, 2.0) > 1.6)
            env = 0.0;
        out[i] = (int16_t)lrint(fmax(-32768.0, fmin(32767.0, level * env * s2)));
    }
}

static void test_labels_behaviour(void)
{
    const int rate = 16000, n = 160;
    rng_t g = {777};
    agora_label_analyzer *a = agora_label_analyzer_create(rate, 1);
    int16_t pcm[160];
    agora_audio_labels L;
    /* 6 s of white noise at -30 dBFS: after the floor settles, voice_prob stays low */
    int high = 0, counted = 0;
    for (int f = 0; f < 600; f++) {
        for (int i = 0; i < n; i++)
            pcm[i] = (int16_t)lrint(32768.0 * 0.0316 * rng_gauss(&g));
        agora_label_analyzer_process(a, pcm, n, &L);
        if (f >= 200) {
            counted++;
            high += L.voice_prob >= 70;
        }
        CHECK(L.rms >= 94 && L.rms <= 99);
    }
    printf("white noise: %d/%d frames with voice_prob >= 70\n", high, counted);
    CHECK(high * 20 <= counted);
    /* a steady 440 Hz tone with harmonics, 6 s: no sustained voice */
    agora_label_analyzer_reset(a);
    high = counted = 0;
    for (int f = 0; f < 600; f++) {
        for (int i = 0; i < n; i++) {
            double t = (double)(f * n + i) / rate;
            pcm[i] = (int16_t)lrint(3000.0 * (sin(2 * M_PI * 220 * t) + 0.5 * sin(2 * M_PI * 440 * t)));
        }
        agora_label_analyzer_process(a, pcm, n, &L);
        if (f >= 200) {
            counted++;
            high += L.voice_prob >= 70;
        }
    }
    printf("steady tone: %d/%d frames with voice_prob >= 70\n", high, counted);
    CHECK(high * 20 <= counted);
    /* synthetic voice over light noise: mostly detected, pitch in range */
    agora_label_analyzer_reset(a);
    double st[5] = {0};
    int voiced = 0, pitched = 0, speechy = 0;
    for (int f = 0; f < 600; f++) {
        synth_voice(&g, pcm, n, rate, 800.0, st, (double)f / 100.0);
        for (int i = 0; i < n; i++)
            pcm[i] = (int16_t)(pcm[i] + (int16_t)lrint(30.0 * rng_gauss(&g)));
        agora_label_analyzer_process(a, pcm, n, &L);
        double t = f / 100.0;
        if (fmod(t, 2.0) < 1.5 && f >= 100) {
            speechy++;
            voiced += L.voice_prob >= 70;
            pitched += L.pitch_hz >= 80 && L.pitch_hz <= 200;
        }
    }
    printf("synthetic voice: %d/%d frames voice_prob >= 70, %d with pitch in 80..200 Hz\n",
           voiced, speechy, pitched);
    CHECK(voiced * 2 >= speechy);
    CHECK(pitched * 3 >= speechy);
    agora_label_analyzer_destroy(a);
}

/* Digital silence through labels + VAD never starts, whatever the config. */
static void test_silence_never_starts(void)
{
    rng_t g = {99};
    for (int trial = 0; trial < 50; trial++) {
        agora_vad_config c;
        random_config(&g, &c);
        c.start_voice_prob = rng_int(&g, 0, 100);
        agora_label_analyzer *a = agora_label_analyzer_create(16000, 1);
        agora_vad *v = agora_vad_create(&c, 320);
        int16_t pcm[160] = {0};
        for (int f = 0; f < 300; f++) {
            agora_audio_labels L;
            agora_vad_result r;
            agora_label_analyzer_process(a, pcm, 160, &L);
            CHECK(agora_vad_process(v, &L, (const uint8_t *)pcm, 320, &r) == AGORA_OK);
            CHECK(r.state == 0 && r.length == 0 && r.bytes != NULL);
        }
        agora_vad_destroy(v);
        agora_label_analyzer_destroy(a);
    }
}

static void timing(void)
{
    const int rate = 16000, n = 160, frames = 20000;
    rng_t g = {4242};
    int16_t *pcm = malloc(sizeof(int16_t) * (size_t)n * frames);
    double st[5] = {0};
    for (int f = 0; f < frames; f++) {
        synth_voice(&g, pcm + (size_t)f * n, n, rate, 2000.0, st, f / 100.0);
        for (int i = 0; i < n; i++)
            pcm[(size_t)f * n + i] = (int16_t)(pcm[(size_t)f * n + i] + (int16_t)lrint(100.0 * rng_gauss(&g)));
    }
    agora_label_analyzer *a = agora_label_analyzer_create(rate, 1);
    agora_vad_config c;
    agora_vad_config_default(&c);
    agora_vad *v = agora_vad_create(&c, (size_t)n * 2);
    long sink = 0;
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) { /* best of 3 passes (the machine may be busy) */
        struct timespec t0, t1;
        agora_label_analyzer_reset(a);
        agora_vad_reset(v);
        timespec_get(&t0, TIME_UTC);
        for (int f = 0; f < frames; f++) {
            agora_audio_labels L;
            agora_vad_result r;
            agora_label_analyzer_process(a, pcm + (size_t)f * n, n, &L);
            agora_vad_process(v, &L, (const uint8_t *)(pcm + (size_t)f * n), (size_t)n * 2, &r);
            sink += r.state + L.voice_prob;
        }
        timespec_get(&t1, TIME_UTC);
        double us = ((t1.tv_sec - t0.tv_sec) * 1e6 + (t1.tv_nsec - t0.tv_nsec) / 1e3) / frames;
        if (us < best)
            best = us;
    }
    printf("labels + VAD: %.2f us per 10 ms frame at 16 kHz, best of 3 (checksum %ld)\n", best, sink);
    agora_vad_destroy(v);
    agora_label_analyzer_destroy(a);
    free(pcm);
}

int main(void)
{
    test_config_validation();
    test_exact_start();
    test_stop_window();
    test_adaptive_rms();
    test_state_machine_random();
    test_labels_levels();
    test_silence_never_starts();
    test_labels_behaviour();
    timing();
    if (g_failures) {
        fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    printf("all VAD tests passed\n");
    return 0;
}
