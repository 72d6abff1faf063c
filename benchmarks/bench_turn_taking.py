"""Barge-in reaction of ReplyOnPause, against the demo's hand-written pattern.

Each round: the agent answers with 4 s of recorded speech; once the caller has
heard 500 ms of it, the caller speaks (recorded barge-in). Measured per round,
on the local network:

- reaction: from the agent's observer receiving the frame whose VAD state is
  1 (start of speech) to interrupt_audio() having returned;
- leaked: ms of the reply the caller received after that start frame had
  been delivered (audio that left between the decision and the interrupt).

Ours: ReplyOnPause(interrupt_on="voice"), which interrupts inside the
delivery callback. Baseline in the same run: examples/demo_agent.py's
pattern: the observer posts the VAD event to a queue.Queue and the agent's
main thread, blocked on it, calls interrupt_audio(). Both use the same
engine, VAD and recordings. Timings on a shared 2-core machine are noisy.

Run: python benchmarks/bench_turn_taking.py [--rounds 10] [--quick]
"""
from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402

import agora_rtc as ar  # noqa: E402
from agora_rtc.agent import ReplyOnPause  # noqa: E402

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "assets")


def load(name):
    with wave.open(os.path.join(ASSETS, name), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


ANSWER, BARGE_IN = load("agent_answer.wav"), load("caller_barge_in.wav")


class Caller(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    def __init__(self):
        self.cond = threading.Condition()
        self.arrivals = []          # (monotonic_ns, presentation_ms) of the agent's frames
        self.connected = threading.Event()

    def on_connected(self, conn, info, reason):
        self.connected.set()

    def on_playback_audio_frame_before_mixing(self, lu, ch, uid, frame, state, vad_bytes):
        if uid == "agent":
            with self.cond:
                self.arrivals.append(time.monotonic_ns())
                self.cond.notify_all()

    def heard_since(self, t_ns):
        with self.cond:
            return sum(1 for t in self.arrivals if t > t_ns) * 10


class Timed(ReplyOnPause):
    """ReplyOnPause, timestamping the start-of-speech frame as it arrives."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.start_ns = []

    def on_playback_audio_frame_before_mixing(self, lu, ch, uid, frame, state, vad_bytes):
        if state == 1:
            self.start_ns.append(time.monotonic_ns())
        super().on_playback_audio_frame_before_mixing(lu, ch, uid, frame, state, vad_bytes)


class QueueAgent(ar.IAudioFrameObserver):
    """The demo's pattern: VAD events go through a queue to the agent's thread."""

    def __init__(self):
        self.events = queue.Queue()

    def on_playback_audio_frame_before_mixing(self, lu, ch, uid, frame, state, vad_bytes):
        if state == 1:
            self.events.put(time.monotonic_ns())


def join(service, channel, uid, observer=None):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    ev = Caller()
    conn.register_observer(ev)
    if observer is not None:
        conn.register_audio_frame_observer(observer)
    conn.connect("", channel, uid)
    ev.connected.wait(5)
    conn.publish_audio()
    return conn, ev


def wait_heard(caller_obs, ms, timeout=10):
    deadline = time.monotonic() + timeout
    with caller_obs.cond:
        while len(caller_obs.arrivals) * 10 < ms:
            caller_obs.cond.wait(max(0.0, deadline - time.monotonic()))
            if time.monotonic() > deadline:
                raise TimeoutError("the caller heard nothing")


def round_ours(service, i):
    agent, _ = join(service, f"ours-{i}", "agent")
    caller, cobs = join(service, f"ours-{i}", "caller")
    caller.register_audio_frame_observer(cobs)
    rop = Timed(lambda audio: iter(()),
                startup_fn=lambda: ((16000, ANSWER[j:j + 1600]) for j in range(0, ANSWER.size, 1600)))
    rop.start(agent)
    wait_heard(cobs, 500)
    caller.push_audio_pcm_data(BARGE_IN, 16000, 1)
    ev = rop.wait_for("interrupted", 1, timeout=15)[0]
    time.sleep(0.2)                       # let any leaked frame arrive before counting
    start = rop.start_ns[0]
    rop.stop()
    agent.release()
    caller.release()
    return (ev.at * 1e9 - start) / 1e6, cobs.heard_since(start)


def round_baseline(service, i):
    qa = QueueAgent()
    agent, _ = join(service, f"base-{i}", "agent")
    agent.register_audio_frame_observer(qa, 1, ar.AudioVadConfigV2())
    caller, cobs = join(service, f"base-{i}", "caller")
    caller.register_audio_frame_observer(cobs)
    agent.push_audio_pcm_data(ANSWER, 16000, 1)
    wait_heard(cobs, 500)
    caller.push_audio_pcm_data(BARGE_IN, 16000, 1)
    start = qa.events.get(timeout=15)    # the agent's thread, blocked on the queue
    agent.interrupt_audio()
    done = time.monotonic_ns()
    time.sleep(0.2)
    agent.release()
    caller.release()
    return (done - start) / 1e6, cobs.heard_since(start)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="3 rounds")
    args = ap.parse_args(argv)
    rounds = 3 if args.quick else args.rounds
    results = {"ours": [], "baseline": []}
    with ar.AgoraService(ar.AgoraServiceConfig(appid="bench")) as service:
        for i in range(rounds):             # interleaved, so both see the same machine load
            results["ours"].append(round_ours(service, i))
            results["baseline"].append(round_baseline(service, i))
    rows, data = [], {"rounds": rounds}
    for name in ("ours", "baseline"):
        react = [r[0] for r in results[name]]
        leak = [r[1] for r in results[name]]
        data[name] = {"reaction_ms": react, "leaked_ms": leak}
        rows.append([name, _report.percentile(react, 50), _report.percentile(react, 95), max(react),
                     _report.percentile(leak, 50), max(leak)])
    ratio = _report.percentile(data["ours"]["reaction_ms"], 50) / max(
        1e-9, _report.percentile(data["baseline"]["reaction_ms"], 50))
    data["reaction_p50_ratio_ours_over_baseline"] = ratio
    _report.print_table(f"barge-in reaction over {rounds} rounds (local network)",
                        ["agent", "react p50 ms", "react p95 ms", "react max ms", "leaked p50 ms",
                         "leaked max ms"], rows)
    print(f"reaction p50 ratio ours/baseline: {ratio:.2f}")
    _report.save("turn_taking", data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
