"""Queued and asyncio delivery, C-side speech-only filtering."""
import asyncio
import threading
import time

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc import aio
from conftest import Recorder, join, tone

SPEECH = None


def _speech():
    import os, wave
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "assets", "caller_question.wav")
    with wave.open(path) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def listener(service, channel, uid, **kw):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    conn.register_observer(rec)
    conn.register_audio_frame_observer(rec, **kw)
    conn.connect("", channel, uid)
    rec.wait_event("connected")
    return conn, rec


def test_queued_mode_preserves_order_and_content(service):
    a, _ = join(service, "q1", "alice", record=False)
    b, rb = listener(service, "q1", "bob", dispatch="queued")
    x = tone(2.0, seed=7)
    a.push_audio_pcm_data(x, 16000, 1)
    rb.wait_samples("alice", x.nbytes)
    assert rb.pcm("alice")[:x.nbytes] == x.tobytes()
    st = b.get_audio_queue_stats()
    assert st["pushed"] == st["taken"] >= 200 and st["dropped"] == 0


def test_slow_queued_observer_does_not_stall_the_engine_and_batches(service):
    class Slow(Recorder):
        def on_playback_audio_frame_before_mixing(self, *args):
            time.sleep(0.05)  # 5 frames' worth of time per frame
            super().on_playback_audio_frame_before_mixing(*args)

    a, _ = join(service, "q2", "alice", record=False)
    slow = service.create_rtc_connection(ar.RTCConnConfig())
    rs = Slow()
    slow.register_audio_frame_observer(rs, dispatch="queued")
    slow.connect("", "q2", "slow")
    fast, rf = listener(service, "q2", "fast")  # direct mode, same service
    x = tone(1.0, seed=8)
    a.push_audio_pcm_data(x, 16000, 1)
    # the direct observer of another connection receives everything while the slow one lags
    rf.wait_samples("alice", x.nbytes)
    assert len(rs.frames.get("alice", [])) < 100
    rs.wait_samples("alice", x.nbytes, timeout=20)
    assert rs.pcm("alice")[:x.nbytes] == x.tobytes()
    assert slow.get_audio_queue_stats()["batches"] < 100  # many frames per GIL acquisition


def test_queue_overflow_is_bounded_and_counted(service):
    gate = threading.Event()

    class Blocked(Recorder):
        def on_playback_audio_frame_before_mixing(self, *args):
            gate.wait(10)
            super().on_playback_audio_frame_before_mixing(*args)

    a, _ = join(service, "q3", "alice", record=False)
    b = service.create_rtc_connection(ar.RTCConnConfig())
    rb = Blocked()
    b.register_audio_frame_observer(rb, dispatch="queued", max_queued_frames=20)
    b.connect("", "q3", "bob")
    a.push_audio_pcm_data(tone(1.0), 16000, 1)
    assert a.wait_push_completed(10)
    deadline = time.monotonic() + 5
    while b.get_audio_queue_stats()["pushed"] + b.get_audio_queue_stats()["dropped"] < 100:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    gate.set()
    st = b.get_audio_queue_stats()
    assert st["dropped"] > 0 and st["pushed"] + st["dropped"] == 100
    rb.wait_for(lambda: len(rb.frames.get("alice", [])) == st["pushed"])


def test_unregister_while_frames_are_queued_stops_delivery(service):
    gate = threading.Event()
    calls = []

    class Blocked(ar.IAudioFrameObserver):
        def on_playback_audio_frame_before_mixing(self, *args):
            calls.append(time.monotonic())
            gate.wait(0.2)

    a, _ = join(service, "q4", "alice", record=False)
    b = service.create_rtc_connection(ar.RTCConnConfig())
    b.register_audio_frame_observer(Blocked(), dispatch="queued")
    b.connect("", "q4", "bob")
    a.push_audio_pcm_data(tone(2.0), 16000, 1)
    while len(calls) < 2:
        time.sleep(0.01)
    b.unregister_audio_frame_observer()
    returned = time.monotonic()
    n = len(calls)
    time.sleep(0.3)
    assert len(calls) == n and all(t <= returned for t in calls)


def test_observer_exception_in_queued_mode_goes_to_handler(service):
    seen = []
    prev = ar.set_observer_exception_handler(lambda ev, obs, exc: seen.append((ev, type(exc))))
    try:
        class Bad(ar.IAudioFrameObserver):
            def on_playback_audio_frame_before_mixing(self, *args):
                raise KeyError("boom")

        a, _ = join(service, "q5", "alice", record=False)
        b = service.create_rtc_connection(ar.RTCConnConfig())
        b.register_audio_frame_observer(Bad(), dispatch="queued")
        b.connect("", "q5", "bob")
        a.push_audio_pcm_data(tone(0.2), 16000, 1)
        deadline = time.monotonic() + 5
        while len(seen) < 20:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert seen[0] == ("on_playback_audio_frame_before_mixing", KeyError)
    finally:
        ar.set_observer_exception_handler(prev)


def test_speech_only_filter_skips_silence_in_c(service):
    a, _ = join(service, "q6", "alice", record=False)
    b, rb = listener(service, "q6", "bob", enable_vad=1, vad_configure=ar.AudioVadConfigV2(),
                     speech_only=True, dispatch="queued")
    silence = np.zeros(16000, dtype=np.int16)
    speech = _speech()
    a.push_audio_pcm_data(np.concatenate([silence, speech, silence]), 16000, 1)
    assert a.wait_push_completed(15)
    rb.wait_for(lambda: any(s == 3 for s, _ in rb.vad.get("alice", [])), timeout=10)
    states = [s for s, _ in rb.vad["alice"]]
    assert 0 not in states and states[0] == 1
    assert len(states) < 100 + len(speech) // 160   # the silent seconds never reached Python


def test_speech_only_needs_vad(service):
    a, _ = join(service, "q7", "alice", record=False)
    with pytest.raises(ValueError, match="speech_only=True needs enable_vad=1"):
        a.register_audio_frame_observer(Recorder(), speech_only=True)
    with pytest.raises(ValueError, match="dispatch must be"):
        a.register_audio_frame_observer(Recorder(), dispatch="later")
    with pytest.raises(ValueError, match="needs loop"):
        a.register_audio_frame_observer(Recorder(), dispatch="asyncio")


def test_asyncio_frames_utterances_and_events(service):
    async def main():
        loop = asyncio.get_running_loop()
        a, _ = join(service, "q8", "alice", record=False)
        b = service.create_rtc_connection(ar.RTCConnConfig())
        events = aio.ConnectionEvents(loop)
        b.register_observer(events)
        utterances = aio.UtteranceStream(b, loop)
        b.connect("", "q8", "bob")
        await events.wait_for("on_connected", timeout=5)
        uid, = await events.wait_for("on_user_joined", timeout=5)
        assert uid == "alice"
        speech = _speech()
        a.push_audio_pcm_data(np.concatenate([np.zeros(8000, np.int16), speech,
                                              np.zeros(16000, np.int16)]), 16000, 1)
        got = await asyncio.wait_for(utterances.__anext__(), 15)
        assert got.user_id == "alice" and got.sample_rate == 16000 and len(got.pcm) > 16000
        utterances.close()
        await a.push_completed()

        c = service.create_rtc_connection(ar.RTCConnConfig())
        c.connect("", "q8", "carol")
        stream = aio.AudioFrameStream(c, loop, user_id="alice")
        x = tone(0.3, seed=9)
        a.push_audio_pcm_data(x, 16000, 1)
        got = bytearray()
        async for item in stream:
            got += item.frame.buffer
            if len(got) >= x.nbytes:
                break
        stream.close()
        assert bytes(got[:x.nbytes]) == x.tobytes()
        await a.push_completed()
        assert a.is_push_to_rtc_completed()
        for conn in (a, b, c):
            conn.release()

    asyncio.run(main())


def test_queued_observer_replaced_under_load_is_never_called_after_unregister(service):
    """Queued frames are pushed by the receive threads themselves (no delivery
    thread): unregistering and re-registering while 32 users talk must stop
    every call to the old observer and free its queue safely (run under
    ASan in CI), and each new observer must get frames."""
    class Counter(ar.IAudioFrameObserver):
        def __init__(self):
            self.n = 0

        def on_playback_audio_frame_before_mixing(self, *args):
            self.n += 1

    senders = [join(service, "q9", f"s{i}", record=False)[0] for i in range(32)]
    b = service.create_rtc_connection(ar.RTCConnConfig())
    b.connect("", "q9", "bob")
    x = tone(10.0, seed=3)
    for s in senders:
        s.push_audio_pcm_data(x, 16000, 1)
    for round_ in range(12):
        obs = Counter()
        speech_only = round_ % 2 == 1
        kw = {"enable_vad": 1, "vad_configure": ar.AudioVadConfigV2()} if speech_only else {}
        assert b.register_audio_frame_observer(obs, dispatch="queued", speech_only=speech_only, **kw) == 0
        deadline = time.monotonic() + (0.1 if speech_only else 5.0)
        while (speech_only or obs.n < 32) and time.monotonic() < deadline:
            time.sleep(0.005)
        b.unregister_audio_frame_observer()
        n = obs.n
        time.sleep(0.03)
        assert obs.n == n, "called after unregister returned"
        if not speech_only:  # a steady tone may not open the VAD within the round
            assert n >= 32
    for s in senders:
        s.disconnect()


def test_a_gil_hog_loses_no_frame_in_queued_dispatch(service):
    """Issue 22's row that held up: a Python thread that keeps the GIL for 50 ms at a time.
    Queued frames wait natively (no GIL) and are handed over in batches: every frame arrives,
    in order, byte for byte. (In "direct" dispatch the bounded backlog drops what falls more
    than max_backlog_ms behind, counted: tests/test_delivery_faults.py.)"""
    import sys
    a, _ = join(service, "hog", "alice", record=False)
    b, rb = listener(service, "hog", "bob", dispatch="queued", max_backlog_ms=5000)
    stop = threading.Event()

    def hog():
        n = 0
        while not stop.is_set():
            n += 1                                    # pure Python: holds the GIL between switches

    old = sys.getswitchinterval()
    sys.setswitchinterval(0.05)
    t = threading.Thread(target=hog, daemon=True)
    t.start()
    try:
        x = tone(3.0, seed=9)
        assert a.push_audio_pcm_data(x, 16000, 1) == 0
        rb.wait_samples("alice", x.nbytes, timeout=30)
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(old)
    assert rb.pcm("alice")[:x.nbytes] == x.tobytes()
    st = b.get_audio_queue_stats()
    assert st["dropped"] == 0 and st["pushed"] == st["taken"] >= 300
    assert st["batches"] < st["taken"]                # several frames per GIL acquisition
