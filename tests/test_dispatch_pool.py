"""dispatch="queued" on many connections: the service's small pool of dispatcher threads."""
import threading
import time

import pytest

import agora_rtc as ar
from conftest import Recorder, join, tone


def pool_threads():
    return [t for t in threading.enumerate() if t.name.startswith("agora_rtc-dispatch")]


@pytest.fixture
def pool_service(request):
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="test", dispatch_threads=request.param))
    yield svc
    svc.release()


def queued_listener(service, channel, uid, recorder=None):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder() if recorder is None else recorder
    conn.register_observer(rec)
    conn.register_audio_frame_observer(rec, dispatch="queued")
    assert conn.connect("", channel, uid) == 0
    rec.wait_event("connected")
    return conn, rec


def wait_until(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("pool_service", [3], indirect=True)
def test_200_queued_connections_get_every_frame_in_order_from_3_threads(pool_service):
    before = len(pool_threads())
    a, _ = join(pool_service, "pool1", "alice", record=False)
    listeners = [queued_listener(pool_service, "pool1", f"u{i}") for i in range(200)]
    x = tone(0.5, seed=11)
    a.push_audio_pcm_data(x, 16000, 1)
    for conn, rec in listeners:
        rec.wait_samples("alice", x.nbytes, timeout=60)
        assert rec.pcm("alice")[:x.nbytes] == x.tobytes()
        st = conn.get_audio_queue_stats()
        assert st["dropped"] == 0 and st["dispatch"] == "queued"
    assert len(pool_threads()) - before == 3


def test_default_pool_is_small(service):
    a, _ = join(service, "pool0", "alice", record=False)
    for i in range(20):
        queued_listener(service, "pool0", f"u{i}")
    assert 1 <= len(pool_threads()) <= 4


@pytest.mark.parametrize("pool_service", [2], indirect=True)
def test_released_connections_stop_while_the_others_keep_receiving(pool_service):
    a, _ = join(pool_service, "pool2", "alice", record=False)
    listeners = [queued_listener(pool_service, "pool2", f"u{i}") for i in range(20)]
    x = tone(2.0, seed=12)
    a.push_audio_pcm_data(x, 16000, 1)
    wait_until(lambda: all(len(rec.frames.get("alice", [])) >= 20 for _, rec in listeners))
    gone, kept = listeners[::2], listeners[1::2]
    counts = []
    for conn, rec in gone:
        conn.release()
        counts.append(len(rec.frames.get("alice", [])))   # no observer call after release returns
    for conn, rec in kept:
        rec.wait_samples("alice", x.nbytes, timeout=60)
        assert rec.pcm("alice")[:x.nbytes] == x.tobytes()
    assert [len(rec.frames.get("alice", [])) for _, rec in gone] == counts
    assert all(n < 200 for n in counts)


@pytest.mark.parametrize("pool_service", [1], indirect=True)
def test_a_raising_and_a_slow_observer_do_not_stop_the_others_of_their_thread(pool_service):
    seen = []
    prev = ar.set_observer_exception_handler(lambda ev, obs, exc: seen.append(type(exc)))

    class Raises(Recorder):
        def on_playback_audio_frame_before_mixing(self, *args):
            raise KeyError("boom")

    class Slow(Recorder):
        def on_playback_audio_frame_before_mixing(self, *args):
            time.sleep(0.05)    # 5 frames' worth of time per frame
            super().on_playback_audio_frame_before_mixing(*args)

    try:
        a, _ = join(pool_service, "pool3", "alice", record=False)
        queued_listener(pool_service, "pool3", "bad", Raises())
        _, slow = queued_listener(pool_service, "pool3", "slow", Slow())
        _, fine = queued_listener(pool_service, "pool3", "fine")
        assert len(pool_threads()) >= 1
        x = tone(1.0, seed=13)
        a.push_audio_pcm_data(x, 16000, 1)
        fine.wait_samples("alice", x.nbytes, timeout=30)
        assert fine.pcm("alice")[:x.nbytes] == x.tobytes()
        assert len(slow.frames.get("alice", [])) < 100    # still behind: it had turns, not the thread
        assert len(seen) >= 50 and set(seen) == {KeyError}
        slow.wait_samples("alice", x.nbytes, timeout=30)
        assert slow.pcm("alice")[:x.nbytes] == x.tobytes()
    finally:
        ar.set_observer_exception_handler(prev)


@pytest.mark.parametrize("pool_service", [1], indirect=True)
def test_an_observer_may_release_its_own_connection(pool_service):
    done = threading.Event()

    class ReleasesItself(ar.IAudioFrameObserver):
        conn = None
        calls = 0

        def on_playback_audio_frame_before_mixing(self, *args):
            self.calls += 1
            if self.calls == 5:
                self.conn.release()
                done.set()

    a, _ = join(pool_service, "pool4", "alice", record=False)
    obs = ReleasesItself()
    obs.conn = pool_service.create_rtc_connection(ar.RTCConnConfig())
    obs.conn.register_audio_frame_observer(obs, dispatch="queued")
    assert obs.conn.connect("", "pool4", "self") == 0
    _, other = queued_listener(pool_service, "pool4", "other")
    x = tone(1.0, seed=14)
    a.push_audio_pcm_data(x, 16000, 1)
    assert done.wait(30)
    other.wait_samples("alice", x.nbytes, timeout=30)   # the pool thread lives on
    assert obs.calls == 5


def test_dispatch_threads_is_checked():
    with pytest.raises(ValueError, match="dispatch_threads"):
        ar.AgoraService().initialize(ar.AgoraServiceConfig(dispatch_threads=-1))
    with pytest.raises(TypeError, match="dispatch_threads"):
        ar.AgoraService().initialize(ar.AgoraServiceConfig(dispatch_threads="2"))
