"""Shared fixtures: a service on the local network and observers that record
what they receive so tests can wait for it (never for a fixed time)."""
import os
import threading
import time
import wave

import numpy as np
import pytest

import agora_rtc as ar


class Recorder(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    """Records every event as (name, args) and every frame per user."""

    def __init__(self):
        self.events = []
        self.frames = {}
        self.vad = {}
        self.cond = threading.Condition()

    def _add(self, name, *args):
        with self.cond:
            self.events.append((name, args))
            self.cond.notify_all()

    def on_connected(self, conn, info, reason): self._add("connected", info, reason)
    def on_disconnected(self, conn, info, reason): self._add("disconnected", info, reason)
    def on_connection_failure(self, conn, info, reason): self._add("failure", info, reason)
    def on_connection_lost(self, conn, info): self._add("lost", info)
    def on_reconnecting(self, conn, info, reason): self._add("reconnecting", info, reason)
    def on_reconnected(self, conn, info, reason): self._add("reconnected", info, reason)
    def on_user_joined(self, conn, uid): self._add("joined", uid)
    def on_user_left(self, conn, uid, reason): self._add("left", uid, reason)
    def on_audio_track_publish_success(self, lu, track): self._add("published")
    def on_audio_track_unpublished(self, lu, track): self._add("unpublished")
    def on_user_audio_track_subscribed(self, lu, uid, track): self._add("subscribed", uid)
    def on_stream_message(self, lu, uid, stream_id, data, length): self._add("message", uid, data, length)
    def on_audio_meta_data_received(self, lu, uid, data): self._add("metadata", uid, data)
    def on_dtmf_received(self, lu, uid, key, duration_ms): self._add("dtmf", uid, key, duration_ms)

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        with self.cond:
            self.frames.setdefault(uid, []).append(frame)
            self.vad.setdefault(uid, []).append((state, vad_bytes))
            self.cond.notify_all()

    def names(self):
        with self.cond:
            return [e[0] for e in self.events]

    def wait_for(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out; events so far: {self.events[-20:]}")
                self.cond.wait(left)

    def wait_event(self, name, *args, timeout=5.0):
        def seen():
            return any(e[0] == name and e[1][:len(args)] == args for e in self.events)
        self.wait_for(seen, timeout)

    def pcm(self, uid):
        with self.cond:
            return b"".join(bytes(f.buffer) for f in self.frames.get(uid, []))

    def wait_samples(self, uid, nbytes, timeout=10.0):
        self.wait_for(lambda: sum(len(f) for f in self.frames.get(uid, [])) >= nbytes, timeout)


@pytest.fixture
def service():
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="test"))
    yield svc
    svc.release()


def join(service, channel, uid, *, record=True, rate=16000, channels=1, vad=None, publish=True,
         con_config=None, recorder=None):
    """Create a connection, attach a Recorder to everything, connect, wait for on_connected.

    ``con_config`` replaces the default RTCConnConfig; ``recorder`` replaces the
    Recorder (any Recorder subclass)."""
    cfg = ar.RTCConnConfig() if con_config is None else con_config
    conn = service.create_rtc_connection(cfg)
    rec = Recorder() if recorder is None else recorder
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    if record:
        conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(channels, rate)
        if vad is None:
            conn.register_audio_frame_observer(rec)
        else:
            conn.register_audio_frame_observer(rec, 1, vad)
    assert conn.connect("", channel, uid) == 0
    rec.wait_event("connected")
    if publish:
        assert conn.publish_audio() == 0
    return conn, rec


ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "assets")


def asset_pcm(name):
    """A 16 kHz mono int16 recording from examples/assets."""
    with wave.open(os.path.join(ASSETS, name), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2), name
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def tone(seconds, rate=16000, freq=440.0, channels=1, amp=8000, seed=None):
    t = np.arange(int(seconds * rate)) / rate
    x = (amp * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    if seed is not None:
        x = (x + np.random.default_rng(seed).integers(-300, 300, x.size)).astype(np.int16)
    if channels == 2:
        x = np.stack([x, (x // 2).astype(np.int16)], axis=1).reshape(-1)
    return x


def thread_names():
    """Names of this process's threads (/proc/self/task/*/comm): engine threads are
    named agora-clock, agora-io, agora-rx-N, agora-delivery (service.c)."""
    names = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass
    return names


def wait_until(predicate, timeout=5.0, interval=0.002, what="condition"):
    """Poll ``predicate`` until it is true (never a fixed sleep used as an assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def barrier(sender, *recorders, timeout=5.0):
    """Send a unique stream message from ``sender`` and wait until every recorder
    has it. Callbacks of one service are delivered in event order by a single
    delivery thread, so anything ``sender``'s side emitted before (audio frames
    already handed to the transport, events) has been delivered too."""
    barrier.counter += 1
    tag = f"barrier-{barrier.counter}".encode()
    assert sender.send_stream_message(tag) == 0
    for rec in recorders:
        rec.wait_for(lambda: any(e[0] == "message" and e[1][1] == tag for e in rec.events), timeout)
    return tag


barrier.counter = 0


def received_pts(rec, uid):
    with rec.cond:
        return [f.presentation_ms for f in rec.frames.get(uid, [])]


def frame_count(rec, uid):
    with rec.cond:
        return len(rec.frames.get(uid, []))
