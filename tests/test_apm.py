"""Server-side audio processing (APM: libspeexdsp noise suppression and AGC)
on received audio, before labels and VAD: standalone (AudioProcessor), per
connection (RTCConnection.set_audio_processing) and per service
(AgoraServiceConfig.enable_apm + APMConfig). Levels are compared between
receivers of the same audio with and without APM, in the same run."""
import os
import wave

import numpy as np
import pytest

import agora_rtc as ar
from conftest import join

ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")


def speech():
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return x[:x.size // 160 * 160]


def db(x):
    x = np.asarray(x, dtype=np.float64)
    return 20 * np.log10(np.sqrt(np.mean(x * x)) / 32768 + 1e-12)


def white(seconds, level_db, seed=0, rate=16000):
    x = np.random.default_rng(seed).normal(0, 32768 * 10 ** (level_db / 20), int(seconds * rate))
    return np.clip(x, -32768, 32767).astype(np.int16)


def test_standalone_noise_suppression_and_agc():
    noise = white(3, -40)
    ns = np.frombuffer(ar.AudioProcessor(16000, 1, True, False).process(noise), np.int16)
    assert db(ns[16000:]) < db(noise[16000:]) - 10            # the noise floor drops > 10 dB
    quiet = (speech().astype(np.float64) * 10 ** (-25 / 20)).astype(np.int16)
    agc = np.frombuffer(ar.AudioProcessor(16000, 1, False, True).process(quiet), np.int16)
    assert db(agc[32000:]) > db(quiet[32000:]) + 6              # quiet speech is brought up
    off = ar.AudioProcessor(16000, 1, False, False)
    assert off.process(noise) == noise.tobytes()                # no flags: untouched
    st = np.stack([noise, noise // 2], axis=1).reshape(-1)
    out = np.frombuffer(ar.AudioProcessor(16000, 2, True, False).process(st), np.int16)
    assert db(out[32000::2]) < db(st[32000::2]) - 10 and db(out[32001::2]) < db(st[32001::2]) - 10


@pytest.mark.parametrize("args, data, exc, match", [
    ((22050,), b"", ValueError, "multiple of 100"),
    ((16000, 3), b"", ValueError, "channels"),
    ((16000,), b"\0" * 100, ValueError, "10 ms frames"),
    ((16000,), "abc", TypeError, "str"),
    ((16000,), np.zeros(320, np.float32), TypeError, "int16"),
])
def test_standalone_bad_input(args, data, exc, match):
    with pytest.raises(exc, match=match):
        ar.AudioProcessor(*args).process(data)


def _received_db(rec, uid, last_frames=100):
    frames = rec.frames.get(uid, [])[-last_frames:]
    return db(np.frombuffer(b"".join(bytes(f.buffer) for f in frames), np.int16))


def test_per_connection_noise_suppression_and_vad_labels(service):
    plain, rp = join(service, "apm-1", "plain", publish=False)
    ns, rn = join(service, "apm-1", "ns", publish=False)
    assert ns.set_audio_processing(noise_suppression=True, agc=False) == 0
    tx, _ = join(service, "apm-1", "caller", record=False)
    noise = white(3, -35, seed=3)
    tx.push_audio_pcm_data(noise, 16000, 1)
    for r in (rp, rn):
        r.wait_samples("caller", noise.size * 2 - 640, timeout=15)
    assert _received_db(rn, "caller") < _received_db(rp, "caller") - 10
    # the labels are computed on the processed audio
    assert np.mean([f.rms for f in rn.frames["caller"][-100:]]) < \
        np.mean([f.rms for f in rp.frames["caller"][-100:]]) - 10
    assert ns.set_audio_processing(False, False) == 0          # off again: untouched audio
    with rn.cond:
        rn.frames.clear()
    tx.push_audio_pcm_data(noise, 16000, 1)
    rn.wait_samples("caller", noise.size * 2 - 640, timeout=15)
    assert abs(_received_db(rn, "caller") - db(noise)) < 1
    for c in (plain, ns, tx):
        c.release()


def test_per_connection_agc(service):
    plain, rp = join(service, "apm-2", "plain", publish=False)
    agc, ra = join(service, "apm-2", "agc", publish=False)
    agc.set_audio_processing(noise_suppression=False, agc=True)
    tx, _ = join(service, "apm-2", "caller", record=False)
    quiet = (speech().astype(np.float64) * 10 ** (-25 / 20)).astype(np.int16)
    tx.push_audio_pcm_data(quiet, 16000, 1)
    for r in (rp, ra):
        r.wait_samples("caller", quiet.size * 2 - 640, timeout=15)
    assert _received_db(ra, "caller", 200) > _received_db(rp, "caller", 200) + 6
    for c in (plain, agc, tx):
        c.release()


def test_service_level_enable_apm():
    cfg = ar.AgoraServiceConfig(appid="t", enable_apm=True)       # APMConfig(): NS on, AGC off
    assert cfg.apm_processing() == (True, False)
    cfg2 = ar.AgoraServiceConfig(enable_apm=True, apm_config=ar.APMConfig(
        ai_ns_config=ar.AiNsConfig(ns_enabled=False), agc_config=ar.AgcConfig(enabled=True)))
    assert cfg2.apm_processing() == (False, True)
    with ar.AgoraService(cfg) as svc:
        rx, rr = join(svc, "apm-3", "agent", publish=False)
        tx, _ = join(svc, "apm-3", "caller", record=False)
        noise = white(2, -35, seed=4)
        tx.push_audio_pcm_data(noise, 16000, 1)
        rr.wait_samples("caller", noise.size * 2 - 640, timeout=15)
        assert _received_db(rr, "caller") < db(noise) - 10


@pytest.mark.parametrize("kwargs, exc", [
    (dict(noise_suppression="yes"), TypeError),
    (dict(agc=2), TypeError),
    (dict(agc=None), TypeError),
])
def test_set_audio_processing_bad_input(service, kwargs, exc):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    with pytest.raises(exc):
        conn.set_audio_processing(**kwargs)
    conn.release()
