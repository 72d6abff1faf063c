"""Lifecycle torture: release and unregister in every order, from inside
callbacks and from other threads, disconnect while connecting, a thousand
connect/disconnect cycles, and fork (the child gets ForkedProcessError, the
parent keeps working). Interpreter exit is in test_process_exit.py.

Every test ends by checking that nothing leaked into the process: the engine
threads are gone and the fd count is back where it started."""
import asyncio
import itertools
import os
import random
import threading

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_NOT_READY
from conftest import Recorder, barrier, join, thread_names, tone, wait_until


def _fd_count():
    return len(os.listdir("/proc/self/fd"))


def _engine_threads():
    """Native engine threads of this process (named by the engine, see service.c)."""
    return [n for n in thread_names() if n.startswith("agora")]


@pytest.fixture
def no_leaks():
    """The engine threads and fds of what a test created are gone when it ends."""
    threads0, fds0 = len(_engine_threads()), _fd_count()
    yield
    wait_until(lambda: len(_engine_threads()) <= threads0, what="engine threads to exit")
    wait_until(lambda: _fd_count() <= fds0, what="fds to be closed")


def _new_service():
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="torture"))
    return svc


def _call_or_released(fn, *args):
    """A call on a possibly released object: 0 / a negative code, or ReleasedError."""
    try:
        rc = fn(*args)
    except ar.ReleasedError:
        return "released"
    assert rc is None or isinstance(rc, int)
    return rc


# ---------------------------------------------------------------------------
# release in any order

_STEPS = {
    "unregister_audio": lambda s, c: c.unregister_audio_frame_observer(),
    "unregister_conn": lambda s, c: c.unregister_observer(),
    "unregister_local_user": lambda s, c: c.unregister_local_user_observer(),
    "disconnect": lambda s, c: c.disconnect(),
    "release_conn": lambda s, c: c.release(),
    "release_service": lambda s, c: s.release(),
}

# every order of the five steps that matter most (120), plus random orders of all six
_ORDERS = (list(itertools.permutations(["unregister_audio", "unregister_conn", "disconnect",
                                        "release_conn", "release_service"]))
           + [tuple(random.Random(seed).sample(list(_STEPS), len(_STEPS))) for seed in range(20)])


def test_release_in_any_order(no_leaks):
    x = tone(0.3, seed=3)
    for order in _ORDERS:
        svc = _new_service()
        talker, rt = join(svc, "order", "talker")
        conn, rec = join(svc, "order", "victim", vad=ar.AudioVadConfigV2())
        assert talker.push_audio_pcm_data(x, 16000, 1) == 0
        assert conn.push_audio_pcm_data(x, 16000, 1) == 0
        rec.wait_for(lambda: "talker" in rec.frames)           # frames are flowing
        for step in order:
            _call_or_released(_STEPS[step], svc, conn)
        # whatever the order, everything ends released and further use raises
        assert svc.release() == 0
        assert not conn._native_alive and not talker._native_alive
        with pytest.raises(ar.ReleasedError):
            conn.push_audio_pcm_data(x, 16000, 1)
        with pytest.raises(ar.ReleasedError):
            svc.create_rtc_connection(ar.RTCConnConfig())
        assert conn.release() == 0 and talker.release() == 0   # idempotent


def test_no_callback_after_release_returns(service):
    """Once release() returns, the observers of that connection are never called again."""
    released = threading.Event()
    late = []

    class Watch(Recorder):
        def on_playback_audio_frame_before_mixing(self, *args):
            if released.is_set():
                late.append("frame")
            super().on_playback_audio_frame_before_mixing(*args)

        def on_user_left(self, conn, uid, reason):
            if released.is_set():
                late.append("left")

    talker, _ = join(service, "late", "talker")
    conn, rec = join(service, "late", "victim", recorder=Watch())
    witness, rw = join(service, "late", "witness")
    assert talker.push_audio_pcm_data(tone(2.0), 16000, 1) == 0
    rec.wait_samples("talker", 3200)
    conn.release()
    released.set()
    barrier(talker, rw)      # the delivery thread has run everything queued before
    rw.wait_event("left", "victim")
    assert late == []


def test_objects_outlive_their_service(no_leaks):
    """Python references to a connection, its local user and frames stay
    usable as objects after the service is gone (use raises, nothing crashes)."""
    svc = _new_service()
    a, _ = join(svc, "outlive", "a")
    b, rb = join(svc, "outlive", "b")
    lu = b.get_local_user()
    assert a.push_audio_pcm_data(tone(0.2), 16000, 1) == 0
    rb.wait_samples("a", 3200)
    frame = rb.frames["a"][0]
    svc.release()
    del svc
    assert bytes(frame.buffer)                      # the frame owns its PCM
    with pytest.raises(ar.ReleasedError):
        lu.subscribe_all_audio()
    with pytest.raises(ar.ReleasedError):
        b.get_conn_info()
    assert "released" in repr(b)


# ---------------------------------------------------------------------------
# from other threads

def test_concurrent_release_of_one_connection_from_many_threads(service, no_leaks):
    for round_ in range(20):
        talker, _ = join(service, "race", f"talker{round_}")
        conn, rec = join(service, "race", f"victim{round_}", vad=ar.AudioVadConfigV2())
        assert talker.push_audio_pcm_data(tone(0.5), 16000, 1) == 0
        assert conn.push_audio_pcm_data(tone(0.5), 16000, 1) == 0
        rec.wait_for(lambda: rec.frames)
        go = threading.Barrier(5)
        errors = []

        def release():
            try:
                go.wait()
                conn.release()
            except BaseException as e:     # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=release, daemon=True) for _ in range(4)]
        for t in threads:
            t.start()
        go.wait()
        assert _call_or_released(conn.push_audio_pcm_data, tone(0.1), 16000, 1) in (0, "released")
        for t in threads:
            t.join()
        assert errors == []
        assert not conn._native_alive
        talker.release()


def test_service_release_races_connection_calls(no_leaks):
    """One thread releases the service while others push, send, (un)register and
    release connections: every call returns a code or raises ReleasedError."""
    for seed in range(10):
        svc = _new_service()
        conns = [join(svc, "svc-race", f"u{i}", vad=ar.AudioVadConfigV2())[0] for i in range(4)]
        stop = threading.Event()
        errors = []
        done_ops = [0] * len(conns)

        def hammer(i, conn, rng):
            obs = Recorder()
            ops = [
                lambda: conn.push_audio_pcm_data(tone(0.05), 16000, 1),
                lambda: conn.send_stream_message("x"),
                lambda: conn.send_audio_meta_data(b"m"),
                lambda: conn.interrupt_audio(),
                lambda: conn.register_audio_frame_observer(obs, 1, ar.AudioVadConfigV2()),
                lambda: conn.unregister_audio_frame_observer(),
                lambda: conn.register_observer(obs),
                lambda: conn.get_local_user().unsubscribe_all_audio(),
                lambda: conn.get_local_user().subscribe_all_audio(),
                lambda: conn.disconnect(),
                lambda: conn.connect("", "svc-race", f"again{rng.random()}"),
            ]
            try:
                while not stop.is_set():
                    _call_or_released(rng.choice(ops))
                    done_ops[i] += 1
            except BaseException as e:     # pragma: no cover - reported below
                errors.append(e)

        threads = [threading.Thread(target=hammer, args=(i, c, random.Random(seed * 10 + i)), daemon=True)
                   for i, c in enumerate(conns)]
        for t in threads:
            t.start()
        wait_until(lambda: min(done_ops) >= 20 * (seed + 1), what="calls from every thread")
        svc.release()
        stop.set()
        for t in threads:
            t.join()
        assert errors == []
        assert not any(c._native_alive for c in conns)


def test_unregister_from_another_thread_while_frames_flow(service):
    talker, _ = join(service, "unreg", "talker")
    conn, rec = join(service, "unreg", "victim", vad=ar.AudioVadConfigV2())
    assert talker.push_audio_pcm_data(tone(3.0), 16000, 1) == 0
    rec.wait_samples("talker", 3200)
    stop = threading.Event()
    errors = []

    def flip(rng):
        try:
            while not stop.is_set():
                conn.unregister_audio_frame_observer()
                n = len(rec.frames["talker"])
                conn.register_audio_frame_observer(rec, 1, ar.AudioVadConfigV2(),
                                                   dispatch=rng.choice(["direct", "queued"]))
                # frames reach the new registration (each registration drops the
                # frames built for the previous one, so flipping without a pause
                # would starve the observer by design)
                rec.wait_for(lambda: len(rec.frames["talker"]) > n)
        except BaseException as e:         # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=flip, args=(random.Random(i),), daemon=True) for i in range(2)]
    for t in threads:
        t.start()
    n0 = len(rec.frames["talker"])
    rec.wait_for(lambda: len(rec.frames["talker"]) > n0 + 20)
    stop.set()
    for t in threads:
        t.join()
    assert errors == []
    conn.release()


# ---------------------------------------------------------------------------
# from inside callbacks (direct mode is in test_observers.py)

@pytest.mark.parametrize("action", ["unregister", "release", "release_other", "disconnect"])
def test_calls_from_inside_a_queued_callback(service, action):
    talker, _ = join(service, "inq", "talker")
    other, _ = join(service, "inq", "other")
    done = threading.Event()
    errors = []
    conn = service.create_rtc_connection(ar.RTCConnConfig())

    class Obs(ar.IAudioFrameObserver):
        def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
            if done.is_set():
                return
            try:
                if action == "unregister":
                    assert lu.connection.unregister_audio_frame_observer() == 0
                elif action == "release":
                    assert lu.connection.release() == 0
                elif action == "release_other":
                    assert other.release() == 0
                else:
                    assert lu.connection.disconnect() == 0
            except BaseException as e:     # pragma: no cover - reported below
                errors.append(e)
            done.set()

    conn.register_audio_frame_observer(Obs(), dispatch="queued")
    assert conn.connect("", "inq", "victim") == 0
    assert talker.push_audio_pcm_data(tone(1.0), 16000, 1) == 0
    assert done.wait(5)
    assert errors == []
    assert talker.send_stream_message("still alive") == 0
    talker.release()
    conn.release()
    other.release()


def test_unregister_and_release_from_inside_an_asyncio_callback(service):
    talker, _ = join(service, "aio", "talker")

    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        conns = []

        class Obs(ar.IAudioFrameObserver):
            def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
                if done.done():
                    return
                conn = lu.connection
                conn.unregister_audio_frame_observer()
                conn.release()
                done.set_result(True)

        for i in range(3):
            c = service.create_rtc_connection(ar.RTCConnConfig())
            c.register_audio_frame_observer(Obs(), dispatch="asyncio", loop=loop)
            assert c.connect("", "aio", f"l{i}") == 0
            conns.append(c)
        assert talker.push_audio_pcm_data(tone(1.0), 16000, 1) == 0
        await asyncio.wait_for(done, 5)
        return conns

    conns = asyncio.run(main())
    assert sum(not c._native_alive for c in conns) >= 1
    for c in conns:
        c.release()


# ---------------------------------------------------------------------------
# disconnect during connect, and many cycles

def test_disconnect_or_release_right_after_connect(service, no_leaks):
    witness, rw = join(service, "quick", "witness")
    pinger, _ = join(service, "quick", "pinger", record=False)
    for i in range(200):
        conn = service.create_rtc_connection(ar.RTCConnConfig())
        rec = Recorder()
        conn.register_observer(rec)
        conn.register_audio_frame_observer(rec, 1, ar.AudioVadConfigV2())
        assert conn.connect("", "quick", f"q{i}") == 0
        assert conn.push_audio_pcm_data(tone(0.05), 16000, 1) in (0, ERR_NOT_READY)
        if i % 2:
            assert conn.disconnect() == 0
            # the connection is reusable at once: connect again and get on_connected
            assert conn.connect("", "quick", f"q{i}") == 0
            rec.wait_event("connected")
        conn.release()
    barrier(pinger, rw)
    with rw.cond:
        joined = sum(1 for e in rw.events if e[0] == "joined" and e[1][0] != "pinger")
        left = sum(1 for e in rw.events if e[0] == "left")
    assert joined == left          # everyone who was seen joining was seen leaving
    witness.release()
    pinger.release()


def test_thousand_connect_disconnect_cycles(service, no_leaks):
    witness, rw = join(service, "cycles", "witness", publish=False)
    pinger, _ = join(service, "cycles", "pinger", record=False)
    conn, rec = join(service, "cycles", "cycler")
    fds0 = _fd_count()
    for i in range(1000):
        if i:
            assert conn.connect("", "cycles", "cycler") == 0
        if i % 100 == 0:
            # now and then with audio queued and a frame observer running
            assert conn.publish_audio() == 0
            assert conn.push_audio_pcm_data(tone(0.1), 16000, 1) == 0
        assert conn.disconnect() == 0
    barrier(pinger, rw)
    with rw.cond:
        names = [e[0] for e in rw.events if e[0] in ("joined", "left") and e[1][0] == "cycler"]
    assert names.count("joined") == names.count("left") == 1000
    # the connection still works after the cycles
    assert conn.connect("", "cycles", "cycler") == 0
    rec.wait_for(lambda: sum(1 for e in rec.events if e[0] == "connected") == 1001, timeout=10)
    assert _fd_count() <= fds0
    conn.release()
    witness.release()
    pinger.release()


# ---------------------------------------------------------------------------
# fork

def _in_forked_child(body):
    """Run body() in a forked child; returns (exit code, what it wrote)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                            # pragma: no cover - child
        os.close(r)
        code = 0
        try:
            out = body()
        except BaseException as e:
            out, code = f"{type(e).__name__}: {e}", 1
        os.write(w, str(out).encode())
        os._exit(code)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read().decode()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out


def test_fork_child_gets_clear_error_and_parent_keeps_working(service, no_leaks):
    a, ra = join(service, "fork", "a")
    b, rb = join(service, "fork", "b", vad=ar.AudioVadConfigV2(), recorder=Recorder())
    b.register_audio_frame_observer(rb, 1, ar.AudioVadConfigV2(), dispatch="queued")
    assert a.push_audio_pcm_data(tone(5.0), 16000, 1) == 0      # audio flowing during the fork
    rb.wait_samples("a", 3200)

    def child():
        seen = []
        calls = [
            lambda: a.push_audio_pcm_data(tone(0.1), 16000, 1),
            lambda: a.send_stream_message("from child"),
            lambda: b.get_audio_queue_stats(),
            lambda: b.get_local_user().subscribe_all_audio(),
            lambda: a.connect("", "fork", "c"),
            lambda: a.get_conn_info(),
            lambda: service.create_rtc_connection(ar.RTCConnConfig()),
            lambda: service.initialize(ar.AgoraServiceConfig(appid="x")),
        ]
        for call in calls:
            try:
                call()
                seen.append("no error")
            except ar.ForkedProcessError as e:
                assert "fork" in str(e)
                seen.append("forked")
        assert isinstance(ar.ForkedProcessError("x"), ar.InvalidStateError)
        # release only forgets; with-blocks exit quietly
        assert a.release() == 0 and b.release() == 0 and service.release() == 0
        with service:
            pass
        assert "fork" in repr(a)
        # the child can use the SDK with a service of its own
        with ar.AgoraService(ar.AgoraServiceConfig(appid="child")) as svc2:
            c, rc = join(svc2, "child", "c")
            d, rd = join(svc2, "child", "d")
            x = tone(0.2, seed=5)
            assert c.push_audio_pcm_data(x, 16000, 1) == 0
            rd.wait_samples("c", x.nbytes)
            assert rd.pcm("c")[:x.nbytes] == x.tobytes()
        return ",".join(seen)

    code, out = _in_forked_child(child)
    assert code == 0, out
    assert out == ",".join(["forked"] * 8)
    # the parent is untouched: audio keeps flowing, calls work, release works
    n = len(rb.frames["a"])
    rb.wait_for(lambda: len(rb.frames["a"]) > n + 20)
    assert a.send_stream_message("after fork") == 0
    rb.wait_event("message", "a", b"after fork")
    assert a.interrupt_audio() == 0
    a.release()
    b.release()


def test_fork_while_callbacks_and_pushes_are_running(service):
    """Fork repeatedly while another thread pushes and the delivery thread is
    inside Python callbacks; every child sees ForkedProcessError, exits 0."""
    a, _ = join(service, "fork2", "a")
    b, rb = join(service, "fork2", "b")
    stop = threading.Event()

    def pump():
        while not stop.is_set():
            try:
                a.push_audio_pcm_data(tone(0.05), 16000, 1)
            except ar.ReleasedError:
                return
            a.wait_push_completed(1)

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    rb.wait_samples("a", 3200)

    def child():
        try:
            b.send_stream_message("x")
        except ar.ForkedProcessError:
            return "ok"
        return "no error"

    try:
        for _ in range(10):
            assert _in_forked_child(child) == (0, "ok")
    finally:
        stop.set()
        t.join()
    n = len(rb.frames["a"])
    assert a.push_audio_pcm_data(tone(0.2), 16000, 1) == 0
    rb.wait_for(lambda: len(rb.frames["a"]) >= n + 20)


def test_objects_created_in_child_are_not_affected_by_parent_state():
    """A service created after a fork (in the parent) is ordinary: the hook only
    touches objects that existed at fork time."""
    code, out = _in_forked_child(lambda: "child")
    assert (code, out) == (0, "child")
    with ar.AgoraService(ar.AgoraServiceConfig(appid="after")) as svc:
        c = svc.create_rtc_connection(ar.RTCConnConfig())
        assert not c._forked
        assert c.connect("", "after", "u") == 0
        c.release()


# ---------------------------------------------------------------------------
# the Janus transport: disconnect and release while the link is still connecting

def test_janus_disconnect_and_release_during_connect(no_leaks):
    from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
    if not janus_available():
        pytest.skip(JANUS_MISSING_REASON)
    with JanusServer() as srv:
        url = f"{srv.transport_url}?admin_key={srv.admin_key}"
        with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
            for i in range(6):
                c = svc.create_rtc_connection(ar.RTCConnConfig())
                rec = Recorder()
                c.register_observer(rec)
                c.register_audio_frame_observer(rec)
                assert c.connect("", "janus-quick", f"q{i}") == 0     # the link starts connecting
                if i % 3 == 0:
                    assert c.disconnect() == 0
                    assert c.get_conn_info().state == 1           # DISCONNECTED
                elif i % 3 == 1:
                    t = threading.Thread(target=c.release, daemon=True)       # from another thread
                    t.start()
                    t.join()
                c.release()
            # the room is usable afterwards: two members hear each other
            a = svc.create_rtc_connection(ar.RTCConnConfig())
            b = svc.create_rtc_connection(ar.RTCConnConfig())
            ra, rb = Recorder(), Recorder()
            for conn, rec, uid in ((a, ra, "alice"), (b, rb, "bob")):
                conn.register_observer(rec)
                conn.register_audio_frame_observer(rec)
                assert conn.connect("", "janus-quick", uid) == 0
                rec.wait_event("connected", timeout=20)
                assert conn.publish_audio() == 0
            rb.wait_event("joined", "alice", timeout=20)
            assert a.push_audio_pcm_data(tone(1.0), 16000, 1) == 0
            rb.wait_for(lambda: len(rb.frames.get("alice", [])) >= 20, timeout=20)
            # nobody from the aborted connects stays in the room: Janus frees a
            # removed publisher asynchronously, so bob may still see one join,
            # but then he sees it leave
            def ghosts():
                joined = {e[1][0] for e in rb.events if e[0] == "joined"}
                left = {e[1][0] for e in rb.events if e[0] == "left"}
                return joined - left - {"alice"}
            rb.wait_for(lambda: not ghosts(), timeout=20)
