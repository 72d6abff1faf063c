"""Observer contract: exceptions go to the handler and never stop the engine;
unregister waits for in-flight callbacks; calls from inside callbacks
(unregister, release, interrupt) do not deadlock; observers get the right
objects; a slow observer never holds back outgoing audio."""
import logging
import threading
import time

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, barrier, frame_count, join, tone, wait_until


@pytest.fixture
def handler_calls():
    """Install a recording observer exception handler; restore the previous one."""
    calls = []
    lock = threading.Lock()

    def handler(event, observer, exc):
        with lock:
            calls.append((event, observer, exc))

    previous = ar.set_observer_exception_handler(handler)
    yield calls
    assert ar.set_observer_exception_handler(previous) is handler


@pytest.fixture
def default_handler():
    previous = ar.set_observer_exception_handler(None)
    yield
    ar.set_observer_exception_handler(previous)


def _events(rec, name):
    with rec.cond:
        return [e[1] for e in rec.events if e[0] == name]


# ---------------------------------------------------------------------------
# exceptions in observers

class _Raising(Recorder):
    def __init__(self, frame_exc=ValueError, every=3):
        super().__init__()
        self.frame_exc = frame_exc
        self.every = every
        self.calls = 0

    def on_user_joined(self, conn, uid):
        super().on_user_joined(conn, uid)
        raise KeyError(f"joined {uid}")

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        super().on_playback_audio_frame_before_mixing(lu, channel_id, uid, frame, state, vad_bytes)
        self.calls += 1
        if self.calls % self.every == 1:
            raise self.frame_exc(f"frame {self.calls}")


def test_observer_exceptions_go_to_handler(service, handler_calls):
    count0 = ar.observer_error_count()
    a, ra = join(service, "raise", "a")
    obs = _Raising()
    b, rb = join(service, "raise", "b", recorder=obs)
    obs.wait_event("joined", "a")
    x = np.random.default_rng(1).integers(-9000, 9000, 8000, dtype=np.int16)    # 50 frames
    assert a.push_audio_pcm_data(x, 16000, 1) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    obs.wait_samples("a", x.size * 2)
    barrier(a, obs)
    # audio kept flowing, complete and intact, despite 17 raising callbacks
    np.testing.assert_array_equal(np.frombuffer(obs.pcm("a"), np.int16), x)
    joined = [c for c in handler_calls if c[0] == "on_user_joined"]
    frames = [c for c in handler_calls if c[0] == "on_playback_audio_frame_before_mixing"]
    assert len(joined) == 1
    assert joined[0][1] is obs and isinstance(joined[0][2], KeyError)
    assert "joined a" in str(joined[0][2])
    assert len(frames) == 17                                  # calls 1, 4, 7, ..., 49
    assert all(c[1] is obs and type(c[2]) is ValueError for c in frames)
    assert ar.observer_error_count() - count0 == len(handler_calls) == 18
    # and other events after the failures still arrive
    c, rc = join(service, "raise", "c")
    obs.wait_event("joined", "c")


@pytest.mark.parametrize("exc", [SystemExit, KeyboardInterrupt, GeneratorExit])
def test_base_exceptions_in_observers_are_contained(service, handler_calls, exc):
    a, ra = join(service, "base-exc", "a")
    obs = _Raising(frame_exc=exc, every=2)
    b, rb = join(service, "base-exc", "b", recorder=obs)
    assert a.push_audio_pcm_data(tone(0.1), 16000, 1) == 0
    obs.wait_samples("a", 1600 * 2)
    assert any(isinstance(c[2], exc) for c in handler_calls)
    c, rc = join(service, "base-exc", "c")       # the delivery thread is alive
    obs.wait_event("joined", "c")


def test_default_handler_logs_event_name(service, default_handler, caplog):
    caplog.set_level(logging.ERROR, logger="agora_rtc")
    a, ra = join(service, "log", "a")
    obs = _Raising()
    b, rb = join(service, "log", "b", recorder=obs)
    obs.wait_event("joined", "a")
    assert a.push_audio_pcm_data(tone(0.02), 16000, 1) == 0
    obs.wait_samples("a", 320 * 2)

    def records(event):
        return [r for r in list(caplog.records)
                if r.name == "agora_rtc" and event in r.getMessage()]

    wait_until(lambda: records("on_user_joined") and records("on_playback_audio_frame_before_mixing"),
               what="log records")
    rec = records("on_user_joined")[0]
    assert rec.levelno >= logging.ERROR
    assert repr(obs) in rec.getMessage()                 # names the observer too
    assert rec.exc_info is not None and rec.exc_info[0] is KeyError
    assert "joined a" in caplog.text                     # the traceback is in the log
    frame_rec = records("on_playback_audio_frame_before_mixing")[0]
    assert frame_rec.exc_info[0] is ValueError


def test_handler_that_raises_is_contained(service, caplog):
    caplog.set_level(logging.ERROR, logger="agora_rtc")

    def bad_handler(event, observer, exc):
        raise RuntimeError("handler broke")

    previous = ar.set_observer_exception_handler(bad_handler)
    try:
        a, ra = join(service, "bad-handler", "a")
        obs = _Raising()
        b, rb = join(service, "bad-handler", "b", recorder=obs)
        assert a.push_audio_pcm_data(tone(0.1), 16000, 1) == 0
        obs.wait_samples("a", 1600 * 2)
        wait_until(lambda: any("handler" in r.getMessage() and r.exc_info
                               and r.exc_info[0] is RuntimeError for r in list(caplog.records)),
                   what="handler failure logged")
    finally:
        ar.set_observer_exception_handler(previous)


def test_exception_in_one_connection_does_not_affect_another(service, handler_calls):
    a, ra = join(service, "iso-exc", "a")
    bad = _Raising(every=1)                      # raises on every frame
    b, rb = join(service, "iso-exc", "b", recorder=bad)
    c, rc = join(service, "iso-exc", "c")
    x = tone(0.2, seed=3)
    assert a.push_audio_pcm_data(x, 16000, 1) == 0
    rc.wait_samples("a", x.size * 2)
    bad.wait_samples("a", x.size * 2)
    np.testing.assert_array_equal(np.frombuffer(rc.pcm("a"), np.int16), x)


# ---------------------------------------------------------------------------
# unregister / release / interrupt from inside callbacks and while in flight

class _Slow(ar.IAudioFrameObserver):
    """Sleeps in the callback; logs entry/exit under a lock."""

    def __init__(self, delay=0.2):
        self.delay = delay
        self.lock = threading.Lock()
        self.log = []
        self.active = 0
        self.entered = threading.Event()

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        with self.lock:
            self.log.append("enter")
            self.active += 1
        self.entered.set()
        time.sleep(self.delay)
        with self.lock:
            self.log.append("exit")
            self.active -= 1


def test_unregister_waits_for_in_flight_callback(service):
    a, ra = join(service, "unreg", "a")
    b, rb = join(service, "unreg", "b", record=False)
    slow = _Slow(0.2)
    assert b.register_audio_frame_observer(slow) == 0
    assert a.push_audio_pcm_data(tone(0.6), 16000, 1) == 0
    assert slow.entered.wait(5)
    assert b.unregister_audio_frame_observer() == 0
    with slow.lock:
        active_at_return = slow.active
        slow.log.append("unregistered")
    assert active_at_return == 0, "unregister returned while a callback was still running"
    # let plenty of audio be sent and delivered afterwards
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    barrier(a, rb)
    with slow.lock:
        log = list(slow.log)
    cut = log.index("unregistered")
    assert "enter" not in log[cut:], log
    assert log[:cut].count("enter") == log[:cut].count("exit") >= 1


def test_unregister_conn_observer_waits_for_in_flight_callback(service):
    entered, lock, log = threading.Event(), threading.Lock(), []

    class SlowConn(ar.IRTCConnectionObserver):
        def on_user_joined(self, conn, uid):
            with lock:
                log.append("enter")
            entered.set()
            time.sleep(0.2)
            with lock:
                log.append("exit")

        def on_user_left(self, conn, uid, reason):
            with lock:
                log.append("enter-left")

    a, ra = join(service, "unreg-conn", "a")
    obs = SlowConn()
    assert a.register_observer(obs) == 0
    b, rb = join(service, "unreg-conn", "b")
    assert entered.wait(5)
    assert a.unregister_observer() == 0
    with lock:
        log.append("unregistered")
    b.disconnect()                       # would be on_user_left
    c, rc = join(service, "unreg-conn", "c")
    # a's local-user observer (the Recorder) still works: flush a's queue through it
    barrier(c, ra)
    with lock:
        assert log == ["enter", "exit", "unregistered"], log


def test_unregister_from_inside_callback_does_not_deadlock(service):
    done = threading.Event()
    result = {}

    class SelfRemoving(ar.IAudioFrameObserver):
        calls = 0

        def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
            SelfRemoving.calls += 1
            if SelfRemoving.calls == 1:
                result["rc"] = lu.connection.unregister_audio_frame_observer()
                done.set()

    a, ra = join(service, "unreg-self", "a")
    b, rb = join(service, "unreg-self", "b", record=False)
    assert b.register_audio_frame_observer(SelfRemoving()) == 0
    assert a.push_audio_pcm_data(tone(0.5), 16000, 1) == 0
    assert done.wait(5), "unregister from inside the callback deadlocked"
    assert result["rc"] == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    barrier(a, rb)
    assert SelfRemoving.calls == 1
    # and it can be registered again
    rec = Recorder()
    assert b.register_audio_frame_observer(rec) == 0
    assert a.push_audio_pcm_data(tone(0.05), 16000, 1) == 0
    rec.wait_samples("a", 800 * 2)


def test_unregister_conn_observer_from_inside_callback(service):
    done = threading.Event()

    class SelfRemoving(ar.IRTCConnectionObserver):
        joined = []

        def on_user_joined(self, conn, uid):
            self.joined.append(uid)
            assert conn.unregister_observer() == 0
            done.set()

    a, ra = join(service, "unreg-conn-self", "a")
    a.register_observer(SelfRemoving())
    b, rb = join(service, "unreg-conn-self", "b")
    assert done.wait(5)
    c, rc = join(service, "unreg-conn-self", "c")
    barrier(c, ra)
    assert SelfRemoving.joined == ["b"]


def test_release_from_inside_own_callback(service):
    done = threading.Event()
    result = {}

    class Releasing(Recorder):
        def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
            super().on_playback_audio_frame_before_mixing(lu, channel_id, uid, frame, state, vad)
            if "rc" not in result:
                conn = lu.connection
                result["rc"] = conn.release()
                result["alive_after"] = conn._native_alive
                done.set()

    a, ra = join(service, "rel-self", "a")
    rel = Releasing()
    b, rb = join(service, "rel-self", "b", recorder=rel)
    assert a.push_audio_pcm_data(tone(0.5), 16000, 1) == 0
    assert done.wait(5), "release() from inside the callback deadlocked"
    assert result["rc"] == 0
    with pytest.raises(ar.ReleasedError):
        b.get_conn_info()
    ra.wait_event("left", "b", 0)
    # no callback after the release
    n = frame_count(rel, "a")
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    c, rc = join(service, "rel-self", "c")
    barrier(a, rc)
    assert frame_count(rel, "a") == n == 1
    # the engine is fine
    assert a.push_audio_pcm_data(tone(0.01), 16000, 1) == 0
    rc.wait_samples("a", 160 * 2)


def test_release_conn_from_inside_conn_callback(service):
    done = threading.Event()

    class Releasing(Recorder):
        def on_user_joined(self, conn, uid):
            super().on_user_joined(conn, uid)
            conn.release()
            done.set()

    a, ra = join(service, "rel-conn", "a", recorder=Releasing())
    b, rb = join(service, "rel-conn", "b")
    assert done.wait(5)
    rb.wait_event("left", "a", 0)


def test_service_release_from_inside_callback_raises(service):
    done = threading.Event()
    result = {}

    class Releasing(Recorder):
        def on_user_joined(self, conn, uid):
            super().on_user_joined(conn, uid)
            try:
                service.release()
            except BaseException as e:  # noqa: BLE001 - recorded for the test
                result["exc"] = e
            done.set()

    a, ra = join(service, "svc-rel", "a", recorder=Releasing())
    b, rb = join(service, "svc-rel", "b")
    assert done.wait(5)
    assert isinstance(result.get("exc"), ar.InvalidStateError), result
    assert "callback" in str(result["exc"])
    # the service and its connections still work
    x = tone(0.05)
    assert b.push_audio_pcm_data(x, 16000, 1) == 0
    ra.wait_samples("b", x.size * 2)
    c, rc = join(service, "svc-rel", "c")


def test_release_other_connection_and_connect_new_one_inside_callback(service):
    a, ra = join(service, "cb-other", "a")
    done = threading.Event()
    result = {}

    class Busy(Recorder):
        def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
            super().on_playback_audio_frame_before_mixing(lu, channel_id, uid, frame, state, vad)
            if "rel" in result:
                return
            result["rel"] = a.release()
            c = service.create_rtc_connection(ar.RTCConnConfig())
            rec = Recorder()
            c.register_observer(rec)
            result["new"] = (c, rec, c.connect("", "cb-other", "c"))
            done.set()

    busy = Busy()
    b, rb = join(service, "cb-other", "b", recorder=busy)
    assert a.push_audio_pcm_data(tone(1), 16000, 1) == 0
    assert done.wait(5), "releasing/creating connections inside a callback deadlocked"
    assert result["rel"] == 0
    c, rec, rc = result["new"]
    assert rc == 0
    rec.wait_event("connected")
    busy.wait_event("left", "a", 0)
    busy.wait_event("joined", "c")
    with pytest.raises(ar.ReleasedError):
        a.get_conn_info()


def test_interrupt_from_inside_callback(service):
    """Barge-in: the listener's observer interrupts the speaker mid-sentence."""
    a, ra = join(service, "barge", "a")
    result = {}

    class BargeIn(Recorder):
        def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
            super().on_playback_audio_frame_before_mixing(lu, channel_id, uid, frame, state, vad)
            if frame_count(self, uid) == 12 and "rc" not in result:
                result["report_before"] = a.last_interrupt
                result["rc"] = a.interrupt_audio()
                result["report"] = a.last_interrupt
                with self.cond:
                    self.cond.notify_all()

    barge = BargeIn()
    b, rb = join(service, "barge", "b", recorder=barge)
    assert a.push_audio_pcm_data(tone(3.0), 16000, 1, start_pts=0) == 0
    barge.wait_for(lambda: "rc" in result)
    assert result["rc"] == 0
    rep = result["report"]
    assert rep.sent_ms >= 120 and rep.dropped_ms > 0 and rep.sent_ms + rep.dropped_ms == 3000
    wait_until(a.is_push_to_rtc_completed, what="completion after interrupt")
    assert a.push_audio_pcm_data(tone(0.02), 16000, 1, start_pts=100_000) == 0
    barge.wait_for(lambda: any(f.presentation_ms >= 100_000 for f in barge.frames["a"]))
    old = [f for f in barge.frames["a"] if f.presentation_ms < 100_000]
    assert len(old) * 10 == rep.sent_ms


def test_vad_arguments_on_and_off(service):
    a, ra = join(service, "vad-args", "a")
    on = Recorder()
    b, _ = join(service, "vad-args", "b", recorder=on, vad=ar.AudioVadConfigV2())
    assert a.push_audio_pcm_data(tone(0.2, seed=1), 16000, 1) == 0
    on.wait_for(lambda: len(on.vad.get("a", [])) >= 20)
    for state, data in on.vad["a"]:
        assert state in (0, 1, 2, 3)
        assert isinstance(data, bytearray)
    # switching VAD off by registering again without it
    off = Recorder()
    assert b.register_audio_frame_observer(off) == 0
    assert a.push_audio_pcm_data(tone(0.05), 16000, 1) == 0
    off.wait_for(lambda: len(off.vad.get("a", [])) >= 5)
    assert all(v == (-1, None) for v in off.vad["a"])


# ---------------------------------------------------------------------------
# the objects observers receive

class _Identity(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    def __init__(self):
        self.lock = threading.Lock()
        self.seen = []
        self.threads = set()

    def _add(self, name, *args):
        with self.lock:
            self.seen.append((name, args))
            self.threads.add(threading.get_ident())

    def on_connected(self, conn, info, reason): self._add("connected", conn, info, reason)
    def on_user_joined(self, conn, uid): self._add("joined", conn, uid)
    def on_user_left(self, conn, uid, reason): self._add("left", conn, uid, reason)
    def on_disconnected(self, conn, info, reason): self._add("disconnected", conn, info, reason)
    def on_audio_track_publish_success(self, lu, track): self._add("published", lu, track)
    def on_user_audio_track_subscribed(self, lu, uid, track): self._add("subscribed", lu, uid, track)
    def on_stream_message(self, lu, uid, sid, data, length): self._add("message", lu, uid, data)
    def on_audio_meta_data_received(self, lu, uid, data): self._add("metadata", lu, uid, data)

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
        self._add("frame", lu, channel_id, uid, frame)

    def of(self, name):
        with self.lock:
            return [args for n, args in self.seen if n == name]


def test_observers_get_the_right_objects(service):
    a, ra = join(service, "objs", "a")
    obs = _Identity()
    b = service.create_rtc_connection(ar.RTCConnConfig())
    b.register_observer(obs)
    b.register_local_user_observer(obs)
    b.register_audio_frame_observer(obs)
    assert b.connect("", "objs", "b") == 0
    assert b.publish_audio() == 0
    lu = b.get_local_user()
    assert isinstance(lu, ar.LocalUser) and lu.connection is b and b.local_user is lu
    assert a.push_audio_pcm_data(tone(0.03), 16000, 1) == 0
    assert a.send_stream_message("hello") == 0
    assert a.send_audio_meta_data(b"meta") == 0
    wait_until(lambda: obs.of("metadata") and len(obs.of("frame")) >= 3 and obs.of("published"),
               what="events")
    b.disconnect()
    wait_until(lambda: obs.of("disconnected"), what="disconnected")

    (conn, info, reason), = obs.of("connected")
    assert conn is b
    assert isinstance(info, ar.RTCConnInfo)
    assert (info.channel_id, info.local_user_id, info.state) == ("objs", "b", 3)
    assert reason == ar.ConnectionChangedReasonType.CONNECTION_CHANGED_JOIN_SUCCESS
    (conn, uid), = obs.of("joined")
    assert conn is b and uid == "a"
    (conn, info, reason), = obs.of("disconnected")
    assert conn is b and info.state == 1
    (lu_arg, track), = obs.of("published")
    assert lu_arg is lu
    assert isinstance(track, ar.LocalAudioTrack) and track.connection is b
    assert track is lu.get_local_audio_track()
    (lu_arg, uid, track), = obs.of("subscribed")
    assert lu_arg is lu and uid == "a"
    assert isinstance(track, ar.RemoteAudioTrack) and track.user_id == "a"
    (lu_arg, uid, data), = obs.of("message")
    assert lu_arg is lu and uid == "a" and data == b"hello"
    (lu_arg, uid, data), = obs.of("metadata")
    assert lu_arg is lu and uid == "a" and data == b"meta"
    for lu_arg, channel_id, uid, frame in obs.of("frame"):
        assert lu_arg is lu and channel_id == "objs" and uid == "a"
        assert isinstance(frame, ar.AudioFrame)
    # every callback ran on one thread, not the caller's
    assert len(obs.threads) == 1 and threading.get_ident() not in obs.threads
    b.release()


def test_same_observer_on_two_connections(service):
    obs = _Identity()
    conns = []
    for uid in ("x", "y"):
        c = service.create_rtc_connection(ar.RTCConnConfig())
        c.register_observer(obs)
        c.register_local_user_observer(obs)
        assert c.connect("", "shared-obs", uid) == 0
        conns.append(c)
    wait_until(lambda: len(obs.of("connected")) == 2 and len(obs.of("joined")) == 2, what="joins")
    by_conn = {args[0].get_conn_info().local_user_id: args[1] for args in obs.of("joined")}
    assert by_conn == {"x": "y", "y": "x"}
    assert {args[0] for args in obs.of("connected")} == set(conns)
    for c in conns:
        c.release()


def test_reregistering_replaces_observer(service):
    a, ra = join(service, "rereg", "a")
    first, second = Recorder(), Recorder()
    b, _ = join(service, "rereg", "b")
    assert b.register_audio_frame_observer(first) == 0
    assert b.register_observer(first) == 0
    assert b.register_audio_frame_observer(second) == 0      # no error, replaces
    assert b.register_observer(second) == 0
    assert b.register_observer(second) == 0                  # same one again: fine
    assert a.push_audio_pcm_data(tone(0.05), 16000, 1) == 0
    second.wait_samples("a", 800 * 2)
    c, rc = join(service, "rereg", "c")
    second.wait_event("joined", "c")
    assert first.frames == {} and "joined" not in first.names()


def test_slow_observer_does_not_hold_back_sending(service):
    """The media clock never waits for observers: while the delivery thread is
    blocked inside a callback, the sender still sends everything."""
    release = threading.Event()
    entered = threading.Event()

    class Blocking(Recorder):
        def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
            super().on_playback_audio_frame_before_mixing(lu, channel_id, uid, frame, state, vad)
            entered.set()
            release.wait(20)

    a, ra = join(service, "slow-obs", "a")
    blk = Blocking()
    b, rb = join(service, "slow-obs", "b", recorder=blk)
    try:
        assert a.push_audio_pcm_data(tone(0.3), 16000, 1) == 0
        assert entered.wait(5)
        # the observer is blocked on its first frame; the whole push still leaves
        wait_until(a.is_push_to_rtc_completed, timeout=10, what="sending while observer blocked")
        assert a.get_send_stats()["sent_frames"] == 30
        assert frame_count(blk, "a") == 1
    finally:
        release.set()
    blk.wait_for(lambda: frame_count(blk, "a") == 30)
