/* C unit tests of the prosodic end-of-turn detector (turn_detector.c). */
#include "agora_rtc/errors.h"
#include "agora_rtc/turn_detector.h"
#include "native_test.h"

#include <math.h>
#include <string.h>

#define N 300

/* speech_frames of voiced speech whose pitch goes linearly from f0 to f1 Hz
 * (level falling by decay_db over the last 20 frames), then pause_frames of silence */
static int make_turn(agora_turn_frame *fr, int speech_frames, float f0, float f1, float decay_db,
                     int pause_frames)
{
    int n = 0;
    for (int i = 0; i < speech_frames; i++, n++) {
        float t = (float)i / (float)(speech_frames - 1);
        fr[n].active = 1;
        fr[n].pitch_hz = (i % 12) < 9 ? (int)(f0 + (f1 - f0) * t) : 0; /* syllables */
        fr[n].dbfs = -20.0f - (i >= speech_frames - 20 ? decay_db * (float)(i - (speech_frames - 20)) / 20.0f : 0.0f);
    }
    for (int i = 0; i < pause_frames; i++, n++) {
        fr[n].active = 0;
        fr[n].pitch_hz = 0;
        fr[n].dbfs = -70.0f;
    }
    return n;
}

static void test_features_see_the_contour(void)
{
    agora_turn_frame fr[N];
    agora_turn_features fall, rise;
    int n = make_turn(fr, 150, 160.0f, 100.0f, 12.0f, 30);
    agora_turn_features_compute(fr, n, &fall);
    n = make_turn(fr, 150, 110.0f, 170.0f, 0.0f, 30);
    agora_turn_features_compute(fr, n, &rise);
    CHECK(fall.has_speech && rise.has_speech, "speech found");
    CHECK(fall.pause_frames == 30, "pause frames %d", fall.pause_frames);
    CHECK(fall.v[0] < -1.0f && rise.v[0] > 1.0f, "end pitch %f %f", fall.v[0], rise.v[0]);
    CHECK(fall.v[1] < 0.0f && rise.v[1] > 0.0f, "end slope %f %f", fall.v[1], rise.v[1]);
    CHECK(fall.v[3] > 3.0f && fabsf(rise.v[3]) < 0.5f, "energy drop %f %f", fall.v[3], rise.v[3]);
    CHECK(fabsf(fall.v[7] - 1.5f) < 0.011f, "utterance %f s", fall.v[7]);
}

static void test_model_waits_longer_for_a_rise(void)
{
    agora_turn_model m;
    agora_turn_model_default(&m);
    CHECK(agora_turn_model_validate(&m) == 0, "default model valid");
    agora_turn_frame fr[N];
    int n = make_turn(fr, 150, 160.0f, 100.0f, 12.0f, 30);
    float fall = agora_turn_decide(&m, fr, n, 300.0f, NULL);
    n = make_turn(fr, 150, 110.0f, 170.0f, 0.0f, 30);
    float rise = agora_turn_decide(&m, fr, n, 300.0f, NULL);
    CHECK(rise > fall, "default model: rise waits %f, fall %f", rise, fall);
    CHECK(fall + 300.0f >= m.min_wait_ms && rise + 300.0f <= m.max_wait_ms, "within waits");
}

static void test_waits_are_clamped(void)
{
    agora_turn_model m;
    agora_turn_model_default(&m);
    for (int i = 0; i < AGORA_TURN_NFEATURES; i++) {
        m.mean[i] = 0.0f; m.scale[i] = 0.001f; m.w[i] = -1.0f;
    }
    m.min_wait_ms = 100.0f;
    m.max_wait_ms = 1500.0f;
    CHECK(agora_turn_model_validate(&m) == 0, "valid");
    agora_turn_frame fr[N];
    int n = make_turn(fr, 150, 110.0f, 170.0f, 0.0f, 30);
    CHECK(agora_turn_decide(&m, fr, n, 0.0f, NULL) == 1500.0f, "max wait");
    for (int i = 0; i < AGORA_TURN_NFEATURES; i++)
        m.w[i] = 1.0f;
    CHECK(agora_turn_decide(&m, fr, n, 0.0f, NULL) == 100.0f, "min wait");
    CHECK(agora_turn_decide(&m, fr, n, 400.0f, NULL) == -300.0f, "pause counted");
}

static void test_no_speech_is_over(void)
{
    agora_turn_model m;
    agora_turn_model_default(&m);
    agora_turn_frame fr[N];
    int n = make_turn(fr, 0, 0, 0, 0, 50);
    agora_turn_features f;
    CHECK(agora_turn_decide(&m, fr, n, 500.0f, &f) <= 0.0f, "silence only: over");
    CHECK(!f.has_speech && f.pause_frames == 50, "no speech");
    CHECK(agora_turn_decide(&m, NULL, 0, 0.0f, NULL) <= 0.0f, "empty: over");
}

static void test_validate_rejects(void)
{
    agora_turn_model m;
    agora_turn_model_default(&m);
    m.scale[3] = 0.0f;
    CHECK(agora_turn_model_validate(&m) == AGORA_ERR_INVALID_ARGUMENT, "scale 0");
    agora_turn_model_default(&m);
    m.w[0] = NAN;
    CHECK(agora_turn_model_validate(&m) == AGORA_ERR_INVALID_ARGUMENT, "nan weight");
    agora_turn_model_default(&m);
    m.min_wait_ms = m.max_wait_ms + 1.0f;
    CHECK(agora_turn_model_validate(&m) == AGORA_ERR_INVALID_ARGUMENT, "min > max");
    agora_turn_model_default(&m);
    m.max_wait_ms = 70000.0f;
    CHECK(agora_turn_model_validate(&m) == AGORA_ERR_INVALID_ARGUMENT, "max too large");
    CHECK(agora_turn_model_validate(NULL) == AGORA_ERR_INVALID_ARGUMENT, "NULL");
}

static void test_random_labels_give_finite_answers(void)
{
    agora_turn_model m;
    agora_turn_model_default(&m);
    agora_turn_frame fr[N];
    uint32_t seed = 12345;
    for (int round = 0; round < 2000; round++) {
        int n = (int)(rnd(&seed) % N);
        for (int i = 0; i < n; i++) {
            fr[i].active = (int)(rnd(&seed) % 3 != 0);
            fr[i].pitch_hz = rnd(&seed) % 2 ? (int)(50 + rnd(&seed) % 450) : 0;
            fr[i].dbfs = -127.0f + (float)(rnd(&seed) % 127);
        }
        agora_turn_features f;
        float r = agora_turn_decide(&m, fr, n, (float)(rnd(&seed) % 3000), &f);
        CHECK(isfinite(r) && r <= m.max_wait_ms, "answer %f", r);
        for (int i = 0; i < AGORA_TURN_NFEATURES; i++)
            CHECK(isfinite(f.v[i]), "feature %d = %f", i, f.v[i]);
    }
}

int main(void)
{
    test_features_see_the_contour();
    test_model_waits_longer_for_a_rise();
    test_waits_are_clamped();
    test_no_speech_is_over();
    test_validate_rejects();
    test_random_labels_give_finite_answers();
    printf("test_turn_detector: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
