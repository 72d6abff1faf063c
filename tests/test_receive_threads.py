"""Receive work split over threads (AgoraServiceConfig.receive_threads): the
frames of a batch are resampled, labelled and run through VAD on several
threads, and observers must see exactly what a single thread produces: per
remote user the same frames, in the same order, with the same VAD results."""
import os
import resource
import threading
import wave

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, join, thread_names, wait_until

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


def engine_thread_nices():
    """{thread name: nice} of the engine's threads in this process (nice is per thread on Linux)."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
            if name.startswith("agora-"):
                out.setdefault(name, []).append(os.getpriority(os.PRIO_PROCESS, int(tid)))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def may_lower_nice(base):
    """Whether a thread of this process may go below nice `base`, and how far (the
    engine's receive threads ask for base - 10: CAP_SYS_NICE, or RLIMIT_NICE)."""
    result = []

    def probe():
        tid = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, tid, max(-20, base - 10))
            result.append(max(-20, base - 10))
        except PermissionError:
            soft = resource.getrlimit(resource.RLIMIT_NICE)[0]
            floor = -20 if soft == resource.RLIM_INFINITY or soft > 40 else 20 - soft
            result.append(floor if base - 10 <= floor < base else base)

    t = threading.Thread(target=probe)
    t.start()
    t.join()
    return result[0]


def test_receive_threads_are_preferred_over_python():
    """The threads that keep the 10 ms receive tick (the I/O thread, the receive
    helpers, the local media clock) run at a lower nice than the process's Python
    threads where the system allows it, so a dispatcher busy with observers does not
    make the tick late; the Python threads keep their nice."""
    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    want = may_lower_nice(base)
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="t", receive_threads=3))
    try:
        names = ("agora-io", "agora-clock", "agora-rx-1", "agora-rx-2")

        def preferred():
            nices = engine_thread_nices()
            return all(name in nices and all(n == want for n in nices[name]) for name in names)

        wait_until(preferred, timeout=10, what=f"receive threads at nice {want}: {engine_thread_nices()}")
        nices = engine_thread_nices()
        assert all(n == base for n in nices.get("agora-delivery", [base])), nices  # the Python side
        assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == base
        started = []
        t = threading.Thread(target=lambda: started.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        t.start()
        t.join()
        assert started == [base]          # new Python threads keep the process's nice
    finally:
        svc.release()
