"""Receive work split over threads (AgoraServiceConfig.receive_threads): the
frames of a batch are resampled, labelled and run through VAD on several
threads, and observers must see exactly what a single thread produces: per
remote user the same frames, in the same order, with the same VAD results."""
import os
import wave

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, join, thread_names

ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")
SENDERS = 24          # above the engine's 16-job threshold for going parallel
SECONDS = 1.5


def speech():
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        assert w.getframerate() == 16000
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def sender_audio(k, base):
    """Sender k: a distinct slice of speech (+ noise), at 16 kHz or, for every
    third sender, upsampled to 48 kHz so its receive path resamples."""
    n = int(SECONDS * 16000)
    start = (k * 2357) % max(1, base.size - n)
    x = base[start:start + n].astype(np.int32)
    x = x + np.random.default_rng(k).integers(-200, 200, x.size)
    x = np.clip(x, -32768, 32767).astype(np.int16)
    if k % 3 == 0:
        return np.repeat(x, 3), 48000
    return x, 16000


def run(threads):
    base = speech()
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="t", receive_threads=threads))
    try:
        agent, rec = join(svc, "rx-threads", "agent", vad=ar.AudioVadConfigV2(), publish=False)
        senders = []
        for k in range(SENDERS):
            conn, _ = join(svc, "rx-threads", f"user{k}", record=False)
            senders.append(conn)
        want = int(SECONDS * 100) - 2   # frames every user surely delivers
        for k, conn in enumerate(senders):
            pcm, rate = sender_audio(k, base)
            assert conn.push_audio_pcm_data(pcm, rate, 1) == 0
        rec.wait_for(lambda: all(len(rec.frames.get(f"user{k}", [])) >= want for k in range(SENDERS)),
                     timeout=30)
        with rec.cond:
            out = {}
            for k in range(SENDERS):
                uid = f"user{k}"
                frames = rec.frames[uid][:want]
                out[uid] = (b"".join(bytes(f.buffer) for f in frames),
                            [(s, bytes(b) if b is not None else None) for s, b in rec.vad[uid][:want]],
                            [(f.rms, f.voice_prob, f.pitch) for f in frames])
        return out
    finally:
        svc.release()


def test_threads_deliver_exactly_what_one_thread_delivers():
    one = run(1)
    speaking = sum(any(s in (1, 2) for s, _ in v[1]) for v in one.values())
    assert speaking >= SENDERS // 2          # the comparison covers real VAD activity
    for threads in (2, 4):
        many = run(threads)
        for uid in one:
            assert many[uid][0] == one[uid][0], f"{threads} threads: {uid} pcm differs"
            assert many[uid][1] == one[uid][1], f"{threads} threads: {uid} VAD differs"
            assert many[uid][2] == one[uid][2], f"{threads} threads: {uid} labels differ"


@pytest.mark.parametrize("bad", [-1, 17, 2.0, "2", None])
def test_receive_threads_is_validated(bad):
    with pytest.raises((TypeError, ValueError), match="receive_threads"):
        ar.AgoraService().initialize(ar.AgoraServiceConfig(appid="t", receive_threads=bad))


def rx_threads():
    return sorted(n for n in thread_names() if n.startswith("agora-rx-"))


@pytest.mark.parametrize("threads, helpers", [(1, 0), (3, 2), (0, min(os.cpu_count() or 1, 4) - 1)])
def test_receive_threads_start_and_stop_with_the_service(threads, helpers):
    before = rx_threads()
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="t", receive_threads=threads))
    assert len(rx_threads()) - len(before) == helpers   # 0 = auto: one per CPU, at most 4
    svc.release()
    assert rx_threads() == before
