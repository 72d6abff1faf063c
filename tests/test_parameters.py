"""AgoraParameter (AgoraService.get_agora_parameter / RTCConnection.get_agora_parameter):
the keys agora_rtc honours change real engine behaviour, unknown keys and bad
values are refused with an error code and change nothing."""
import logging
import os
import threading
import wave

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_INVALID_ARGUMENT, ERR_NOT_SUPPORTED
from conftest import Recorder, join, wait_until

ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")
SPF = 160  # samples per 10 ms frame at 16 kHz


def speech16k():
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def first_tick_burst(service, rx_rec, channel, uid, seconds=0.6):
    """Frames that left on the first tick of a round: a sender publishes
    before connecting, queues ``seconds`` of audio, then goes on the air."""
    tx = service.create_rtc_connection(ar.RTCConnConfig())
    trec = Recorder()
    tx.register_observer(trec)
    assert tx.publish_audio() == 0
    assert tx.push_audio_pcm_data(np.full(int(seconds * 16000), 1000, np.int16), 16000) == 0
    assert tx.connect("", channel, uid) == 0
    trec.wait_event("connected")
    frames = int(seconds * 100)
    rx_rec.wait_samples(uid, frames * SPF * 2, timeout=20)
    return tx, _burst(rx_rec, uid, 0)


def _burst(rec, uid, first_index):
    with rec.cond:
        frames = rec.frames[uid][first_index:]
    t0 = frames[0].send_time_us
    return sum(1 for f in frames if f.send_time_us == t0)


def test_prefill_parameter_sets_the_burst_of_connections_created_afterwards(service):
    params = service.get_agora_parameter()
    assert params is service.get_agora_parameter()
    assert params.get_int("agora_rtc.prefill_ms") == ar.AgoraServiceConfig().prefill_ms
    rx, rrec = join(service, "prefill", "rx", publish=False)

    assert params.set_int("agora_rtc.prefill_ms", 200) == 0
    assert params.get_int("agora_rtc.prefill_ms") == 200
    tx200, burst = first_tick_burst(service, rrec, "prefill", "tx200")
    assert burst == 1 + 20

    assert params.set_parameters('{"agora_rtc.prefill_ms": 0}') == 0
    tx0, burst = first_tick_burst(service, rrec, "prefill", "tx0")
    assert burst == 1

    # the connection created under 200 ms keeps its prefill for its next round
    assert tx200.wait_push_completed(timeout=20)
    with rrec.cond:
        before = len(rrec.frames["tx200"])
    assert tx200.push_audio_pcm_data(np.full(16000 // 2, 500, np.int16), 16000) == 0
    rrec.wait_samples("tx200", (before + 50) * SPF * 2, timeout=20)
    assert _burst(rrec, "tx200", before) == 1 + 20


def _start_bytes(service, channel, conn_params=None, vad_configure=None):
    rx = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    rx.register_observer(rec)
    if conn_params is not None:
        assert rx.get_agora_parameter().set_parameters(conn_params) == 0
    rx.register_audio_frame_observer(rec, 1, vad_configure)
    assert rx.connect("", channel, "rx") == 0
    rec.wait_event("connected")
    tx, _ = join(service, channel, "tx", record=False)
    pcm = np.concatenate([np.zeros(16000, np.int16), speech16k()])  # 1 s silence: the ring is full
    assert tx.push_audio_pcm_data(pcm, 16000) == 0
    rec.wait_for(lambda: any(s == 1 for s, _ in rec.vad.get("tx", [])), timeout=30)
    with rec.cond:
        return next(len(b) for s, b in rec.vad["tx"] if s == 1)


def test_vad_parameters_are_the_default_vad_config(service):
    # service-wide keys, nested JSON
    assert service.get_agora_parameter().set_parameters(
        '{"agora_rtc": {"vad": {"preStartRecognizeCount": 4, "startRecognizeCount": 10}}}') == 0
    assert _start_bytes(service, "vad-svc") == (4 + 10) * SPF * 2
    # a connection-level key overrides the service's for that connection only
    assert _start_bytes(service, "vad-conn", '{"agora_rtc.vad.preStartRecognizeCount": 7}') == (7 + 10) * SPF * 2
    # an explicit vad_configure still wins
    assert _start_bytes(service, "vad-explicit", vad_configure=ar.AudioVadConfigV2(2, 10)) == (2 + 10) * SPF * 2


def test_connection_parameters_fall_back_to_the_service(service):
    sp = service.get_agora_parameter()
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    other = service.create_rtc_connection(ar.RTCConnConfig())
    cp = conn.get_agora_parameter()
    assert cp.get_int("agora_rtc.vad.stopRecognizeCount") == 50
    assert sp.set_int("agora_rtc.vad.stopRecognizeCount", 40) == 0
    assert cp.get_int("agora_rtc.vad.stopRecognizeCount") == 40
    assert cp.set_int("agora_rtc.vad.stopRecognizeCount", 25) == 0
    assert cp.get_int("agora_rtc.vad.stopRecognizeCount") == 25
    assert other.get_agora_parameter().get_int("agora_rtc.vad.stopRecognizeCount") == 40
    assert sp.get_int("agora_rtc.vad.stopRecognizeCount") == 40
    # the service-wide prefill is not a connection key
    assert cp.set_int("agora_rtc.prefill_ms", 100) == ERR_NOT_SUPPORTED
    assert cp.get_int("agora_rtc.prefill_ms") is None


def test_dispatch_parameters_are_the_defaults_of_register_audio_frame_observer(service):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    conn.register_audio_frame_observer(Recorder())
    assert conn.get_audio_queue_stats() is None            # direct
    params = conn.get_agora_parameter()
    assert params.set_string("agora_rtc.audio_frame_dispatch", "queued") == 0
    assert params.get_string("agora_rtc.audio_frame_dispatch") == "queued"
    conn.register_audio_frame_observer(Recorder())
    assert conn.get_audio_queue_stats() is not None        # queued
    conn.register_audio_frame_observer(Recorder(), dispatch="direct")
    assert conn.get_audio_queue_stats() is None            # an explicit argument wins


class _Blocking(ar.IAudioFrameObserver):
    def __init__(self):
        self.entered = threading.Event()
        self.go = threading.Event()

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        self.entered.set()
        self.go.wait(20)


def test_max_queued_frames_parameter_bounds_the_queue(service):
    rx = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    rx.register_observer(rec)
    p = rx.get_agora_parameter()
    assert p.set_parameters('{"agora_rtc.audio_frame_dispatch": "queued", "agora_rtc.max_queued_frames": 2}') == 0
    obs = _Blocking()
    rx.register_audio_frame_observer(obs)
    assert rx.connect("", "bound", "rx") == 0
    rec.wait_event("connected")
    tx, _ = join(service, "bound", "tx", record=False)
    assert tx.push_audio_pcm_data(np.full(16000, 100, np.int16), 16000) == 0
    assert obs.entered.wait(20)
    try:
        wait_until(lambda: rx.get_audio_queue_stats()["dropped"] > 0, timeout=20, what="drops")
        assert rx.get_audio_queue_stats()["waiting"] <= 2
    finally:
        obs.go.set()


def test_unknown_keys_and_bad_values_are_refused_and_change_nothing(service, caplog):
    p = service.get_agora_parameter()
    with caplog.at_level(logging.WARNING, logger="agora_rtc"):
        assert p.set_int("che.audio.enable.aec", 1) == ERR_NOT_SUPPORTED
    assert "unknown key 'che.audio.enable.aec'" in caplog.text
    assert p.get_int("che.audio.enable.aec") is None
    assert p.set_parameters('{"rtc.enable_dual_stream": true}') == ERR_NOT_SUPPORTED
    assert p.set_array("agora_rtc.vad", "[1]") == ERR_NOT_SUPPORTED
    # a known key through the setter of another type, or out of range
    assert p.set_string("agora_rtc.prefill_ms", "100") == ERR_INVALID_ARGUMENT
    assert p.set_int("agora_rtc.prefill_ms", 501) == ERR_INVALID_ARGUMENT
    assert p.set_int("agora_rtc.max_queued_frames", 0) == ERR_INVALID_ARGUMENT
    assert p.set_string("agora_rtc.audio_frame_dispatch", "asyncio") == ERR_INVALID_ARGUMENT
    assert p.set_int("agora_rtc.vad.startVoiceProb", 101) == ERR_INVALID_ARGUMENT
    assert p.set_number("agora_rtc.vad.activePercent", 0.0) == ERR_INVALID_ARGUMENT
    assert p.set_parameters("{not json") == ERR_INVALID_ARGUMENT
    assert p.set_parameters("[1, 2]") == ERR_INVALID_ARGUMENT
    assert p.set_parameters('{"agora_rtc.prefill_ms": true}') == ERR_INVALID_ARGUMENT
    # all or nothing: one bad key, nothing applied
    assert p.set_parameters('{"agora_rtc.vad.stopRecognizeCount": 20, "nope": 1}') == ERR_NOT_SUPPORTED
    assert p.get_int("agora_rtc.vad.stopRecognizeCount") == 50
    assert p.get_int("agora_rtc.prefill_ms") == ar.AgoraServiceConfig().prefill_ms
    assert p.get_string("agora_rtc.audio_frame_dispatch") == "direct"
    # typed getters: None for a getter of another type; numbers read ints too
    assert p.get_string("agora_rtc.prefill_ms") is None
    assert p.get_bool("agora_rtc.vad.adaptiveRms") is False
    assert p.set_bool("agora_rtc.vad.adaptiveRms", True) == 0 and p.get_bool("agora_rtc.vad.adaptiveRms") is True
    assert p.get_number("agora_rtc.vad.activePercent") == 0.7
    assert p.get_number("agora_rtc.vad.stopRecognizeCount") == 50.0
    assert p.set_number("agora_rtc.vad.startRmsThreshold", -40) == 0
    assert p.get_number("agora_rtc.vad.startRmsThreshold") == -40.0
    assert '"startRmsThreshold": -40.0' in p.get_object("agora_rtc.vad")
    assert p.get_object("che.audio") is None


def test_vad_start_run_count_through_parameters(service):
    p = service.get_agora_parameter()
    assert p.get_int("agora_rtc.vad.startRunCount") == 0          # off: Agora's behaviour
    assert p.set_int("agora_rtc.vad.startRunCount", 31) == ERR_INVALID_ARGUMENT  # > startRecognizeCount
    assert p.set_int("agora_rtc.vad.startRunCount", -1) == ERR_INVALID_ARGUMENT
    assert p.get_int("agora_rtc.vad.startRunCount") == 0
    assert p.set_int("agora_rtc.vad.startRunCount", 8) == 0 and p.get_int("agora_rtc.vad.startRunCount") == 8


def test_extreme_values_are_refused_not_crashes(service):
    p = service.get_agora_parameter()
    from agora_rtc.agora_parameter import SERVICE_KEYS
    for key, typ in SERVICE_KEYS.items():
        if typ is int:
            for v in (2 ** 70, -(2 ** 70), -1):
                assert p.set_int(key, v) == ERR_INVALID_ARGUMENT, (key, v)
        elif typ is float:
            for v in (float("nan"), float("inf"), 1e308):
                assert p.set_number(key, v) == ERR_INVALID_ARGUMENT, (key, v)
        elif typ is str:
            assert p.set_string(key, "\x00" * 10000) == ERR_INVALID_ARGUMENT
    assert p.set_parameters('{"agora_rtc": {"vad": {"startRecognizeCount": 1e400}}}') == ERR_INVALID_ARGUMENT
    assert p.set_parameters("{" * 100000) == ERR_INVALID_ARGUMENT
    deep = '{"a":' * 100000 + "1" + "}" * 100000                     # too deep for json: refused
    assert p.set_parameters(deep) == ERR_INVALID_ARGUMENT
    for depth in (100, 900, 990):                                     # json accepts, keys are unknown or too deep
        assert p.set_parameters('{"a":' * depth + "1" + "}" * depth) in (ERR_NOT_SUPPORTED, ERR_INVALID_ARGUMENT)
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    conn.register_audio_frame_observer(Recorder())                      # defaults still valid


def test_parameter_bad_input_raises(service):
    p = service.get_agora_parameter()
    for call in (lambda: p.set_int(5, 1), lambda: p.set_int("agora_rtc.prefill_ms", "5"),
                 lambda: p.set_int("agora_rtc.prefill_ms", True), lambda: p.set_number("k", None),
                 lambda: p.set_string("k", 3), lambda: p.set_parameters(None),
                 lambda: p.set_parameters({"a": 1}), lambda: p.get_int(None),
                 lambda: p.set_array("k", None), lambda: p.set_bool("k", "yes")):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(ValueError):
        p.set_uint("agora_rtc.prefill_ms", -1)


def test_parameters_after_release_raise(service):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    cp = conn.get_agora_parameter()
    conn.release()
    with pytest.raises(ar.ReleasedError):
        conn.get_agora_parameter()
    with pytest.raises(ar.ReleasedError):
        cp.set_int("agora_rtc.vad.stopRecognizeCount", 20)
    sp = service.get_agora_parameter()
    service.release()
    with pytest.raises(ar.ReleasedError):
        service.get_agora_parameter()
    with pytest.raises(ar.ReleasedError):
        sp.get_int("agora_rtc.prefill_ms")
