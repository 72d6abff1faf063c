/* Unit test of src/_native/audio/dsp/volume_meter.c: the volume scale, smoothing, the
 * per-interval report (order, vad, pitch, total), forgetting silent users,
 * the active speaker, and interval scheduling. Returns 0 on success. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/dsp/volume_meter.h"

#include "native_test.h"

static agora_audio_labels lab(float dbfs, int voice_prob, int pitch)
{
    agora_audio_labels l;
    memset(&l, 0, sizeof(l));
    l.dbfs = dbfs;
    l.rms = dbfs <= -127.0f ? 0 : (int)lroundf(dbfs + 127.0f);
    l.voice_prob = voice_prob;
    l.pitch_hz = pitch;
    return l;
}

static void test_scale(void)
{
    CHECK(agora_volume_from_dbfs(-127.0f) == 0, "silence");
    CHECK(agora_volume_from_dbfs(-40.0f) == 5, "-40 dBFS -> %d", agora_volume_from_dbfs(-40.0f));
    CHECK(agora_volume_from_dbfs(-20.0f) == 51, "-20 dBFS -> %d", agora_volume_from_dbfs(-20.0f));
    CHECK(agora_volume_from_dbfs(-6.0f) == 255, "-6 dBFS saturates");
    CHECK(agora_volume_from_dbfs(0.0f) == 255, "0 dBFS");
    int prev = 0;
    for (float d = -100.0f; d <= 0.0f; d += 0.5f) {
        int v = agora_volume_from_dbfs(d);
        CHECK(v >= prev && v <= 255, "monotonic at %.1f", d);
        prev = v;
    }
}

static void test_report(void)
{
    agora_volume_meter *m = agora_volume_meter_new();
    agora_volume_report r;
    CHECK(agora_volume_meter_take_report(m, 0, &r) == 0, "off: no report");
    agora_volume_meter_configure(m, 100, 10, 1, 1000); /* smooth 10: no smoothing */
    CHECK(agora_volume_meter_take_report(m, 1099, &r) == 0, "not due yet");
    agora_audio_labels loud = lab(-20.0f, 90, 150), quiet = lab(-40.0f, 10, 0);
    for (int i = 0; i < 10; i++) {
        agora_volume_meter_feed(m, "a", &loud);
        agora_volume_meter_feed(m, "b", &quiet);
    }
    CHECK(agora_volume_meter_take_report(m, 1100, &r) == 1, "due");
    CHECK(r.count == 2, "two speakers, got %d", r.count);
    CHECK(strcmp(r.speakers[0].user_id, "a") == 0 && r.speakers[0].volume == 51, "a first at 51");
    CHECK(r.speakers[0].vad == 1 && fabsf(r.speakers[0].voice_pitch - 150.0f) < 0.01f, "a voiced");
    CHECK(strcmp(r.speakers[1].user_id, "b") == 0 && r.speakers[1].volume == 5 &&
          r.speakers[1].vad == 0, "b quiet, unvoiced");
    CHECK(r.total_volume == (int)lround(sqrt(51.0 * 51 + 5 * 5)), "total %d", r.total_volume);
    CHECK(r.active_changed && strcmp(r.active_speaker, "a") == 0, "a is the active speaker");
    free(r.speakers);

    /* next interval: only b talks (loud and voiced); a is not heard and is forgotten */
    for (int i = 0; i < 10; i++)
        agora_volume_meter_feed(m, "b", &loud);
    CHECK(agora_volume_meter_take_report(m, 1200, &r) == 1, "second interval");
    CHECK(r.count == 1 && strcmp(r.speakers[0].user_id, "b") == 0, "only b");
    CHECK(r.active_changed && strcmp(r.active_speaker, "b") == 0, "active changed to b");
    free(r.speakers);
    for (int i = 0; i < 10; i++)
        agora_volume_meter_feed(m, "b", &loud);
    CHECK(agora_volume_meter_take_report(m, 1300, &r) == 1 && !r.active_changed, "same speaker: once");
    free(r.speakers);

    /* nobody: an empty report; far behind: one report, no burst */
    CHECK(agora_volume_meter_take_report(m, 5000, &r) == 1 && r.count == 0 && r.total_volume == 0,
          "empty report");
    CHECK(agora_volume_meter_take_report(m, 5050, &r) == 0, "rescheduled from now");
    CHECK(agora_volume_meter_take_report(m, 5100, &r) == 1, "then every interval");
    free(r.speakers);
    agora_volume_meter_free(m);
}

static void test_smoothing_and_vad_off(void)
{
    agora_volume_meter *m = agora_volume_meter_new();
    agora_volume_meter_configure(m, 10, 0, 0, 0); /* smooth 0: a = 1/11; report_vad off */
    agora_audio_labels loud = lab(-20.0f, 90, 150);
    agora_volume_meter_feed(m, "a", &loud);
    agora_volume_report r;
    CHECK(agora_volume_meter_take_report(m, 10, &r) == 1, "due");
    CHECK(r.count == 1 && r.speakers[0].volume == (int)lroundf(51.0f / 11.0f), "smoothed %d",
          r.speakers[0].volume);
    CHECK(r.speakers[0].vad == 0, "vad off");
    free(r.speakers);
    agora_volume_meter_free(m);
}

int main(void)
{
    test_scale();
    test_report();
    test_smoothing_and_vad_off();
    if (failures)
        printf("%d failure(s)\n", failures);
    else
        printf("ok\n");
    return failures ? 1 : 0;
}
