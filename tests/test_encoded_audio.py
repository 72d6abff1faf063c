"""Encoded audio (push_audio_encoded_data, register_audio_encoded_frame_observer):
Opus packets made with the system libopus (tests/opus_ctypes.py) are pushed,
paced like PCM, heard decoded by PCM observers, and reach encoded-frame
observers byte for byte: on the local network, and over a real Janus (where
the packet itself is the RTP payload, no re-encoding)."""
import logging
import os
import threading
import time
import wave

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st, HealthCheck

import agora_rtc as ar
from conftest import Recorder, barrier, join, wait_until
from opus_ctypes import encode

ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")
INFO = ar.EncodedAudioFrameInfo(codec=ar.AudioCodecType.AUDIO_CODEC_OPUS)


def speech(name="caller_question.wav"):
    with wave.open(os.path.join(ASSETS, name)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


class EncodedRecorder(Recorder, ar.IAudioEncodedFrameObserver):
    def __init__(self):
        super().__init__()
        self.packets = []

    def on_encoded_audio_frame(self, uid, frame_buffer, length, info):
        with self.cond:
            self.packets.append((uid, frame_buffer, length, info))
            self.cond.notify_all()

    def of(self, uid):
        with self.cond:
            return [p for p in self.packets if p[0] == uid]


def _rms_db(x):
    x = np.asarray(x, dtype=np.float64)
    return 20 * np.log10(np.sqrt(np.mean(x * x)) / 32768 + 1e-12)


def test_local_passthrough_and_decoded_pcm(service):
    rx_rec = EncodedRecorder()
    rx, _ = join(service, "enc-1", "agent", publish=False, recorder=rx_rec)
    assert rx.register_audio_encoded_frame_observer(rx_rec) == 0
    tx, _ = join(service, "enc-1", "caller", record=False)
    pcm = speech()
    packets = encode(pcm, 16000, 1, 20)
    for i, p in enumerate(packets):   # bytes, bytearray, memoryview, numpy uint8: all accepted
        data = (p, bytearray(p), memoryview(p), np.frombuffer(p, np.uint8))[i % 4]
        assert tx.push_audio_encoded_data(data, INFO) == 0
    assert tx.wait_push_completed(30)
    rx_rec.wait_for(lambda: len(rx_rec.of("caller")) == len(packets), timeout=10)
    got = rx_rec.of("caller")
    assert [g[1] for g in got] == packets                       # unchanged, in order
    assert all(g[2] == len(g[1]) for g in got)
    info = got[0][3]
    assert isinstance(info, ar.EncodedAudioFrameInfo)
    assert (info.codec, info.sample_rate, info.number_of_channels, info.samples_per_channel) == \
        (ar.AudioCodecType.AUDIO_CODEC_OPUS, 48000, 1, 960)
    # the PCM observer hears the decoded audio, paced 10 ms per frame
    assert tx.get_send_stats()["sent_frames"] == 2 * len(packets)
    barrier(tx, rx_rec)
    decoded = np.frombuffer(rx_rec.pcm("caller"), np.int16)
    assert abs(decoded.size - 2 * len(packets) * 160) <= 2 * 160
    assert abs(_rms_db(decoded) - _rms_db(pcm)) < 3.0
    # and it is speech: the correlation with the original (after Opus's delay) is high
    best = max(np.corrcoef(decoded[d:d + 32000], pcm[:32000])[0, 1] for d in range(0, 400, 2))
    assert best > 0.8
    for c in (rx, tx):
        c.release()


def test_interrupt_completion_and_unregister(service):
    rx_rec = EncodedRecorder()
    rx, _ = join(service, "enc-2", "agent", publish=False, recorder=rx_rec)
    rx.register_audio_encoded_frame_observer(rx_rec)
    tx, _ = join(service, "enc-2", "caller", record=False)
    packets = encode(speech(), 16000, 1, 40)                     # 40 ms packets
    for p in packets:
        tx.push_audio_encoded_data(p, INFO)
    assert not tx.is_push_to_rtc_completed()
    rx_rec.wait_for(lambda: len(rx_rec.of("caller")) >= 3)
    assert tx.interrupt_audio() == 0
    assert tx.is_push_to_rtc_completed()
    assert tx.last_interrupt.dropped_ms > 0
    barrier(tx, rx_rec)
    n = len(rx_rec.of("caller"))
    assert 3 <= n < len(packets)
    assert [g[1] for g in rx_rec.of("caller")] == packets[:n]   # a prefix: nothing reordered
    assert all(g[3].samples_per_channel == 1920 for g in rx_rec.of("caller"))
    assert rx.unregister_audio_encoded_frame_observer() == 0
    for p in packets[:10]:
        tx.push_audio_encoded_data(p, INFO)
    assert tx.wait_push_completed(10)
    rx_rec.wait_samples("caller", 1)                             # PCM still flows
    barrier(tx, rx_rec)
    assert len(rx_rec.of("caller")) == n
    for c in (rx, tx):
        c.release()


def test_pcm_senders_produce_no_encoded_frames(service):
    rx_rec = EncodedRecorder()
    rx, _ = join(service, "enc-3", "agent", publish=False, recorder=rx_rec)
    rx.register_audio_encoded_frame_observer(rx_rec)
    tx, _ = join(service, "enc-3", "caller", record=False)
    tx.push_audio_pcm_data(speech()[:16000], 16000, 1)
    tx.wait_push_completed(10)
    barrier(tx, rx_rec)
    rx_rec.wait_samples("caller", 32000)
    assert rx_rec.of("caller") == []
    for c in (rx, tx):
        c.release()


@pytest.fixture
def conn(service):
    c = service.create_rtc_connection(ar.RTCConnConfig())
    yield c
    c.release()


PKT = encode(np.zeros(320, np.int16), 16000, 1, 20)[0]


@pytest.mark.parametrize("data, info, exc, match", [
    ("abc", INFO, TypeError, "data must be bytes"),
    (None, INFO, TypeError, "data must be bytes"),
    (12, INFO, TypeError, "data must be bytes"),
    (np.zeros(10, np.int16), INFO, TypeError, "itemsize 1"),
    (np.zeros(20, np.uint8)[::2], INFO, TypeError, "C-contiguous"),
    (b"", INFO, ValueError, "1..4000 bytes"),
    (b"x" * 4001, INFO, ValueError, "1..4000 bytes"),
    (PKT, None, TypeError, "EncodedAudioFrameInfo"),
    (PKT, {"codec": 1}, TypeError, "EncodedAudioFrameInfo"),
    (PKT, ar.EncodedAudioFrameInfo(), ar.InvalidArgumentError, "not a valid AAC-LC access unit"),  # default AACLC
    (PKT, ar.EncodedAudioFrameInfo(codec=10), ValueError, "info.codec must be one of AUDIO_CODEC_OPUS"),
    (PKT, ar.EncodedAudioFrameInfo(codec=4, sample_rate=16000), ValueError, "sample_rate must be 8000"),
    (PKT, ar.EncodedAudioFrameInfo(codec=3, sample_rate=8000, number_of_channels=3), ValueError,
     "number_of_channels"),
    (b"\x01\x02\x03", ar.EncodedAudioFrameInfo(codec=4, sample_rate=8000, number_of_channels=2),
     ar.InvalidArgumentError, "whole samples"),
    (PKT, ar.EncodedAudioFrameInfo(codec=1, speech=2), ValueError, "speech"),
    (PKT, ar.EncodedAudioFrameInfo(codec=1, capture_time_ms="now"), TypeError, "capture_time_ms"),
    (b"\xff\xff\xff\xff", INFO, ar.InvalidArgumentError, "not a valid Opus packet"),
    (encode(np.zeros(480, np.int16), 48000, 1, 5)[0], INFO, ar.InvalidArgumentError,
     "multiple of 10 ms"),                                                  # a 5 ms packet
])
def test_bad_input(conn, data, info, exc, match):
    with pytest.raises(exc, match=match):
        conn.push_audio_encoded_data(data, info)
    assert conn.get_send_stats()["pushed_samples"] == 0                      # nothing queued


def test_register_bad_observer(conn):
    with pytest.raises(TypeError, match="IAudioEncodedFrameObserver"):
        conn.register_audio_encoded_frame_observer(Recorder())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=1, max_size=600))
def test_random_bytes_never_crash(conn, data):
    try:
        assert conn.push_audio_encoded_data(data, INFO) == 0
    except ar.InvalidArgumentError:
        pass
    conn.interrupt_audio()


janus_mod = pytest.importorskip("agora_rtc.janus")


@pytest.mark.skipif(not janus_mod.janus_available(), reason=janus_mod.JANUS_MISSING_REASON)
def test_opus_end_to_end_through_janus():
    """Over a real Janus: the pushed packets arrive byte for byte (the RTP
    payload is the pushed packet) and PCM observers hear the decoded speech."""
    with janus_mod.JanusServer() as srv:
        url = f"{srv.transport_url}?admin_key={srv.admin_key}"
        with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
            recs = {}
            conns = {}
            for uid in ("caller", "agent"):
                c = svc.create_rtc_connection(ar.RTCConnConfig())
                rec = EncodedRecorder()
                c.register_observer(rec)
                c.register_local_user_observer(rec)
                c.register_audio_frame_observer(rec)
                c.register_audio_encoded_frame_observer(rec)
                assert c.connect("", "janus-enc", uid) == 0
                rec.wait_event("connected", timeout=20)
                assert c.publish_audio() == 0
                recs[uid], conns[uid] = rec, c
            recs["agent"].wait_event("joined", "caller", timeout=20)
            recs["caller"].wait_event("joined", "agent", timeout=20)
            packets = encode(speech(), 16000, 1, 20)
            for p in packets:
                assert conns["caller"].push_audio_encoded_data(p, INFO) == 0
            rec = recs["agent"]
            rec.wait_for(lambda: len(rec.of("caller")) >= 0.9 * len(packets), timeout=30)
            got = [g[1] for g in rec.of("caller")]
            # every packet that arrived is a pushed packet, unchanged, in order (UDP on a
            # loaded machine may drop or delay one past the jitter buffer: a subsequence)
            index = {p: i for i, p in enumerate(packets)}
            positions = [index.get(g, -1) for g in got[:len(packets)]]
            assert -1 not in positions[:-2]        # the encoder's end-of-round tail may follow
            pushed = [x for x in positions if x >= 0]
            assert pushed == sorted(pushed) and len(pushed) >= 0.9 * len(packets)
            assert rec.of("caller")[0][3].samples_per_channel == 960
            rec.wait_for(lambda: len(rec.frames.get("caller", [])) >= 100, timeout=10)
            decoded = np.frombuffer(rec.pcm("caller"), np.int16)
            assert _rms_db(decoded) > -40
            for c in conns.values():
                c.release()


class SlowEncodedObserver(ar.IAudioEncodedFrameObserver):
    """Takes `delay` s per packet; keeps what it got per user."""

    def __init__(self, delay):
        self.delay = delay
        self.lock = threading.Lock()
        self.got = {}

    def on_encoded_audio_frame(self, uid, frame_buffer, length, info):
        with self.lock:
            self.got.setdefault(uid, []).append(frame_buffer)
        if self.delay:
            time.sleep(self.delay)

    def calls(self):
        with self.lock:
            return sum(len(v) for v in self.got.values())


def _is_subsequence(part, whole):
    it = iter(whole)
    return all(any(p == w for w in it) for p in part)


def test_slow_encoded_observer_backlog_is_bounded_and_drops_are_counted(service, caplog):
    """Issue 22: 4 users send 20 ms packets (200 a second in all) to an observer
    that takes 20 ms per packet (50 a second). The backlog stays within the
    limit per user, the oldest packets go (each user's freshest packet
    arrives, the rest in order), every packet offered is counted as delivered
    or dropped, a warning names the observer, and on_user_left is not held
    back behind the packets."""
    caplog.set_level(logging.WARNING, logger="agora_rtc")
    rx, rec = join(service, "enc-slow", "agent", record=False, publish=False)
    slow = SlowEncodedObserver(delay=0.02)
    assert rx.get_encoded_audio_delivery_stats() is None
    assert rx.register_audio_encoded_frame_observer(slow) == 0
    senders = [join(service, "enc-slow", f"t{i}", record=False)[0] for i in range(4)]
    for i in range(4):
        rec.wait_event("joined", f"t{i}")
    packets = encode(np.concatenate([speech()] * 2), 16000, 1, 20)
    for s in senders:
        for p in packets:
            assert s.push_audio_encoded_data(p, INFO) == 0
    wait_until(lambda: rx.get_encoded_audio_delivery_stats()["dropped"] > 0, timeout=10, what="first drops")
    samples = []
    while not all(s.is_push_to_rtc_completed() for s in senders[1:]):
        samples.append(rx.get_encoded_audio_delivery_stats())
        time.sleep(0.2)
    # a connection event overtakes the backlog: t0 leaves, on_user_left comes at once
    assert rx.get_encoded_audio_delivery_stats()["dropped"] > 0
    assert senders[0].disconnect() == 0
    rec.wait_event("left", "t0", timeout=2.0)
    slow.delay = 0.0                                    # catch up: what still waits arrives
    # drained, and the last packet taken has reached the observer (counted taken when popped)
    wait_until(lambda: rx.get_encoded_audio_delivery_stats()["waiting"] == 0
               and rx.get_encoded_audio_delivery_stats()["taken"] == slow.calls(), timeout=30, what="drained")
    st = rx.get_encoded_audio_delivery_stats()
    limit = st["backlog_limit_ms"]
    assert limit == 1000
    assert samples and max(s["user_backlog_ms"] for s in samples) <= limit + 20, samples[-1]
    assert max(s["waiting"] for s in samples) <= 4 * (limit // 20 + 1)
    assert st["peak_backlog_ms"] < 5 * limit
    print(f"{len(samples)} samples, last {samples[-1]}; final {st}")
    # drops are counted: every packet offered was delivered or dropped
    assert st["dropped"] > 0 and st["merged"] == 0
    assert st["pushed"] == st["taken"] == slow.calls()
    t0_sent = len(slow.got.get("t0", ()))               # t0 left early: what it sent is not known here
    assert 3 * len(packets) + t0_sent <= st["pushed"] + st["dropped"] <= 4 * len(packets)
    for uid in ("t1", "t2", "t3"):
        got = slow.got[uid]
        assert got[-1] == packets[-1], uid              # the freshest stays
        assert len(got) < len(packets) and _is_subsequence(got, packets), uid  # the oldest went, in order
    # a warning names the slow observer (rate-limited: not one per drop)
    warnings = [r.getMessage() for r in caplog.records if r.name == "agora_rtc"
                and r.levelno == logging.WARNING and "SlowEncodedObserver" in r.getMessage()]
    assert warnings and len(warnings) <= 2, warnings
    assert "encoded audio frame observer" in warnings[0] and "enc-slow/agent" in warnings[0]
    # registering again starts the counters afresh; unregistering: None
    assert rx.register_audio_encoded_frame_observer(slow, max_backlog_ms=200) == 0
    st = rx.get_encoded_audio_delivery_stats()
    assert (st["pushed"], st["dropped"], st["backlog_limit_ms"]) == (0, 0, 200)
    assert rx.unregister_audio_encoded_frame_observer() == 0
    assert rx.get_encoded_audio_delivery_stats() is None
    for c in senders + [rx]:
        c.release()


@pytest.mark.parametrize("kw, err", [({"max_backlog_ms": 5}, ValueError), ({"max_backlog_ms": "1"}, TypeError),
                                     ({"max_queued_frames": 0}, ValueError)])
def test_encoded_observer_limits_are_checked(service, kw, err):
    rx, _ = join(service, "enc-limits", "agent", record=False, publish=False)
    with pytest.raises(err, match="register_audio_encoded_frame_observer"):
        rx.register_audio_encoded_frame_observer(SlowEncodedObserver(0), **kw)
    assert rx.get_encoded_audio_delivery_stats() is None
    rx.release()
