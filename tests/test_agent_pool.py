"""ConnectionPool: sessions of many users over a few reused connections."""
import os
import threading
import wave

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.agent import ConnectionPool, PoolExhaustedError
from conftest import Recorder, barrier, join

ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")


def speech():
    with wave.open(os.path.join(ASSETS, "caller_barge_in.wav"), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def test_connections_are_reused_and_carry_nothing_into_the_next_session(service):
    pcm = speech()[:16000]
    listener, lrec = join(service, "pool-room", "listener")
    with ConnectionPool(service, 1) as pool:
        first = Recorder()
        conn = pool.acquire("pool-room", "user-1", observer=first, local_user_observer=first,
                            audio_frame_observer=first, enable_vad=True)
        first.wait_event("connected")
        lrec.wait_event("joined", "user-1")
        assert pool.in_use == 1 and pool.idle == 0
        assert listener.push_audio_pcm_data(pcm, 16000, 1) == 0     # user 1 hears the listener
        first.wait_samples("listener", len(pcm.tobytes()), timeout=10)
        assert any(state == 1 for state, _ in first.vad["listener"])  # with VAD
        assert conn.push_audio_pcm_data(pcm, 16000, 1) == 0         # and the listener hears user 1
        lrec.wait_samples("user-1", len(pcm.tobytes()), timeout=10)
        conn.push_audio_pcm_data(pcm, 16000, 1)                     # still queued when user 1 leaves
        pool.release(conn)
        lrec.wait_event("left", "user-1")
        assert pool.in_use == 0 and pool.idle == 1
        assert conn.is_push_to_rtc_completed()                      # its queued audio was dropped
        frames_of_first = {u: len(f) for u, f in first.frames.items()}
        events_of_first = len(first.events)

        second = Recorder()
        again = pool.acquire("pool-room", "user-2", observer=second, local_user_observer=second,
                             audio_frame_observer=second)
        assert again is conn and pool.sessions == 2 and pool.created == 1
        lrec.wait_event("joined", "user-2")
        listener.push_audio_pcm_data(pcm, 16000, 1)
        second.wait_samples("listener", len(pcm.tobytes()), timeout=10)
        barrier(listener, second)
        # the first session's observers got nothing of the second session
        assert {u: len(f) for u, f in first.frames.items()} == frames_of_first
        assert len(first.events) == events_of_first
        assert all(s == -1 for s, _ in second.vad["listener"])     # no VAD asked this time
        pool.release(again)


def test_exhaustion_growth_and_waiting_for_a_free_connection(service):
    pool = ConnectionPool(service, 1, max_size=2)
    a = pool.acquire("grow", "a")
    b = pool.acquire("grow", "b")                       # grows to max_size
    assert pool.created == 2 and a is not b
    with pytest.raises(PoolExhaustedError, match="all 2 connections are in use"):
        pool.acquire("grow", "c", timeout=0.05)
    got = []
    t = threading.Thread(target=lambda: got.append(pool.acquire("grow", "c", timeout=30)), daemon=True)
    t.start()
    pool.release(a)                                     # the waiter takes it
    t.join(30)
    assert got == [a] and pool.in_use == 2
    pool.release(b)
    pool.release(a)
    pool.close()
    for conn in (a, b):
        with pytest.raises(ar.ReleasedError):
            conn.get_local_user()


def test_failed_join_returns_the_connection_and_close_releases_busy_ones_later(service):
    taken, _ = join(service, "dup", "same-id")
    pool = ConnectionPool(service, 1)
    with pytest.raises(ConnectionError, match="failure"):
        pool.acquire("dup", "same-id")
    assert pool.idle == 1 and pool.in_use == 0
    with pool.session("dup", "other-id") as conn:
        assert conn.get_conn_info().local_user_id == "other-id"
        pool.close()                                    # busy: released when it comes back
        assert conn.get_local_user() is not None
    with pytest.raises(ar.ReleasedError):
        conn.get_local_user()
    with pytest.raises(RuntimeError, match="closed"):
        pool.acquire("dup", "x")


def test_bad_arguments(service):
    with pytest.raises(TypeError, match="AgoraService"):
        ConnectionPool(object(), 1)
    with pytest.raises(TypeError, match="size must be an int"):
        ConnectionPool(service, "2")
    with pytest.raises(ValueError, match="size must be >= 0"):
        ConnectionPool(service, -1)
    with pytest.raises(ValueError, match="max_size"):
        ConnectionPool(service, 2, max_size=1)
    with pytest.raises(TypeError, match="RTCConnConfig"):
        ConnectionPool(service, 1, con_config={})
    with ConnectionPool(service, 1) as pool:
        with pytest.raises(TypeError, match="IAudioFrameObserver"):
            pool.acquire("c", "u", audio_frame_observer=object())
        assert pool.idle == 1
        with pytest.raises(TypeError):
            pool.acquire("c", b"uid")                    # rejected by connect(): the connection goes back
        assert pool.idle == 1 and pool.in_use == 0
        with pool.session("c", "u") as conn:             # and is still usable
            assert conn.get_conn_info().local_user_id == "u"
        other = service.create_rtc_connection(ar.RTCConnConfig())
        with pytest.raises(ValueError, match="not in use from this pool"):
            pool.release(other)
