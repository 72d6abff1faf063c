"""Incremental send (RtcConnectionPublishConfig.send_external_audio_parameters,
the original's 2.4.2 option): the first send_ms of each new round of pushed
audio leave send_speed frames per media-clock tick, then one per tick.

Checked through the receiver's frames only: AudioFrame.send_time_us is the
engine clock at the tick that cut the frame, and every frame cut by one tick
carries the same value, so grouping received frames by it gives the number
of frames each tick sent. That count is exact (no timing threshold); content
and order are compared sample for sample with what was pushed."""
import itertools

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, join, wait_until


def _noise(seconds, seed):
    return np.random.default_rng(seed).integers(-32768, 32767, int(16000 * seconds), dtype=np.int16,
                                                endpoint=True)


def _service(prefill_ms):
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="t", prefill_ms=prefill_ms))
    return svc


def _sender(svc, channel, params):
    pub = ar.RtcConnectionPublishConfig(send_external_audio_parameters=params)
    conn = svc.create_rtc_connection(ar.RTCConnConfig(), pub)
    rec = Recorder()
    conn.register_observer(rec)
    conn.publish_audio()       # before connect: pushed audio stays queued until on the air
    return conn, rec


def _ticks(rec, uid, start=0, end=None):
    """Frames per media-clock tick, in order, from the receiver's frames[start:end]."""
    with rec.cond:
        frames = rec.frames.get(uid, [])[start:end]
    return [len(list(g)) for _, g in itertools.groupby(f.send_time_us for f in frames)]


def _run_round(sender, rec_rx, pcm, start):
    assert sender.push_audio_pcm_data(pcm, 16000, 1) == 0
    n = pcm.size // 160
    rec_rx.wait_for(lambda: len(rec_rx.frames.get("tts", [])) >= start + n, timeout=30)
    return start + n


@pytest.mark.parametrize("prefill, send_ms, speed, expect_head", [
    (0, 1000, 3, [1] + [3] * 33),               # 10 + 33 * 30 = 1000 ms
    (100, 1000, 3, [11] + [3] * 29 + [2]),      # the prefill counts towards send_ms
    (0, 500, 5, [1] + [5] * 9 + [4]),           # never overshoots send_ms
    (0, 300, 2, [1] + [2] * 14 + [1]),
])
def test_burst_then_real_time_every_round(prefill, send_ms, speed, expect_head):
    svc = _service(prefill)
    try:
        params = ar.SendExternalAudioParameters(enabled=True, send_ms=send_ms, send_speed=speed)
        tts, _ = _sender(svc, "inc", params)
        _, rx = join(svc, "inc", "listener", publish=False)
        pcm1, pcm2 = _noise(2.5, 1), _noise(1.7, 2)
        assert tts.connect("", "inc", "tts") == 0
        end1 = _run_round(tts, rx, pcm1, 0)
        assert tts.wait_push_completed(10)
        wait_until(lambda: tts.get_send_stats()["queued_samples"] == 0)
        end2 = _run_round(tts, rx, pcm2, end1)    # a new round: the queue had drained
        for start, end in ((0, end1), (end1, end2)):
            ticks = _ticks(rx, "tts", start, end)
            assert sum(ticks) == end - start
            assert ticks[:len(expect_head)] == expect_head
            assert set(ticks[len(expect_head):]) == {1}, ticks
        assert rx.pcm("tts") == pcm1.tobytes() + pcm2.tobytes()   # content and order kept
        assert [f.presentation_ms for f in rx.frames["tts"][:3]] == [0, 10, 20]
    finally:
        svc.release()


def test_interrupt_starts_a_new_round():
    svc = _service(0)
    try:
        params = ar.SendExternalAudioParameters(enabled=True, send_ms=200, send_speed=4)
        tts, _ = _sender(svc, "inc-2", params)
        _, rx = join(svc, "inc-2", "listener", publish=False)
        assert tts.connect("", "inc-2", "tts") == 0
        tts.push_audio_pcm_data(_noise(60, 3), 16000, 1)
        rx.wait_for(lambda: len(rx.frames.get("tts", [])) >= 40, timeout=10)
        tts.interrupt_audio()
        with rx.cond:
            rx.frames.clear()
        new = _noise(1.0, 4)
        # whatever of the old round was already handed over arrives first; then the new round
        tts.push_audio_pcm_data(new, 16000, 1)
        rx.wait_for(lambda: rx.pcm("tts").endswith(new.tobytes()), timeout=10)
        with rx.cond:
            frames = list(rx.frames["tts"])
        first_new = len(frames) - 100
        ticks = _ticks(rx, "tts", first_new)
        assert ticks[:6] == [1, 4, 4, 4, 4, 3] and set(ticks[6:]) == {1}
    finally:
        svc.release()


def test_disabled_or_speed_one_is_real_time(service):
    for params in (None, ar.SendExternalAudioParameters(enabled=False, send_ms=1000, send_speed=4),
                   ar.SendExternalAudioParameters(enabled=True, send_ms=1000, send_speed=1),
                   ar.SendExternalAudioParameters(enabled=True, send_ms=0, send_speed=5)):
        pub = ar.RtcConnectionPublishConfig(send_external_audio_parameters=params)
        conn = service.create_rtc_connection(ar.RTCConnConfig(), pub)
        conn.release()
    svc = _service(0)
    try:
        tts, _ = _sender(svc, "inc-3", ar.SendExternalAudioParameters(enabled=False, send_ms=1000,
                                                                      send_speed=4))
        _, rx = join(svc, "inc-3", "listener", publish=False)
        tts.connect("", "inc-3", "tts")
        _run_round(tts, rx, _noise(0.5, 5), 0)
        assert set(_ticks(rx, "tts")) == {1}
    finally:
        svc.release()


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(enabled=True, send_ms=-1, send_speed=2), ValueError, "send_ms"),
    (dict(enabled=True, send_ms=60001, send_speed=2), ValueError, "send_ms"),
    (dict(enabled=True, send_ms=1000, send_speed=6), ValueError, "send_speed"),
    (dict(enabled=True, send_ms=1000, send_speed=-1), ValueError, "send_speed"),
    (dict(enabled=True, send_ms="1000", send_speed=2), TypeError, "send_ms"),
    (dict(enabled=True, send_ms=1000, send_speed=2.0), TypeError, "send_speed"),
    (dict(enabled="yes", send_ms=1000, send_speed=2), TypeError, "enabled"),
    (dict(enabled=True, send_ms=1000, send_speed=2, deliver_mute_data_for_fake_adm=True),
     ValueError, "deliver_mute_data_for_fake_adm"),
])
def test_bad_parameters(service, kwargs, exc, match):
    pub = ar.RtcConnectionPublishConfig(send_external_audio_parameters=ar.SendExternalAudioParameters(**kwargs))
    with pytest.raises(exc, match=match):
        service.create_rtc_connection(ar.RTCConnConfig(), pub)
    pub = ar.RtcConnectionPublishConfig(send_external_audio_parameters={"enabled": True})
    with pytest.raises(TypeError, match="send_external_audio_parameters"):
        service.create_rtc_connection(ar.RTCConnConfig(), pub)
