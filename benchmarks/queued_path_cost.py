"""What the queued dispatch path costs per frame, whole process, for two builds in one run.

N sender connections push speech-like PCM to one listening connection of the same process
(local network, ``dispatch="queued"``: the receive threads fill the observer's native queue,
a Python thread drains it and calls the observer). Two measures, each for builds A and B in
turns (A B A B ...), B/A pair by pair:

* instructions: the probe under ``valgrind --tool=callgrind`` with a short and a long window;
  (instructions of the long run - of the short run) / (frames of the long - of the short) is
  what one more delivered frame costs, Python interpreter, Cython module and engine together,
  start-up and shut-down cancelled out. Counts do not depend on what else the machine does.
* cpu: the CPU time of every thread of the process (``/proc/self/task/*/schedstat``) over a
  window, listening minus the same set-up with no observer, per frame delivered. Timing: on
  a shared machine the pairs spread.

    python benchmarks/queued_path_cost.py --a TREE_A --b TREE_B [--measures instructions,cpu]
        [--repeat 3] [--streams 200]

Each tree needs its own virtual environment in TREE/.venv with agora_rtc installed from it.
Saved to results/queued_path_cost.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _report  # noqa: E402


def probe(n: int, window: float, listen: bool) -> dict:
    """Runs in the build's own interpreter (``--probe``): one measured window."""
    import numpy as np

    import agora_rtc as ar

    def thread_cpu_ns() -> int:
        total = 0
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:   # a thread that ended meanwhile
                pass
        return total

    class Counter(ar.IAudioFrameObserver):
        def __init__(self):
            self.n = 0

        def on_playback_audio_frame_before_mixing(self, lu, channel, uid, frame, state, vad):
            self.n += 1
            return 1

    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="queued-path", prefill_ms=0))
    agent = svc.create_rtc_connection(ar.RTCConnConfig())
    agent.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 16000)
    counter = Counter()
    if listen:
        rc = agent.register_audio_frame_observer(counter, dispatch="queued",
                                                 max_queued_frames=max(3000, 100 * n))
        assert rc == 0, rc
    assert agent.connect("", "ch", "agent") == 0
    t = np.arange(16000 * int(window + 30)) / 16000
    pcm = (6000 * np.sin(2 * np.pi * 170 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.int16)
    senders = []
    for i in range(n):
        cfg = ar.RTCConnConfig()
        cfg.auto_subscribe_audio = 0
        c = svc.create_rtc_connection(cfg)
        assert c.connect("", "ch", f"u{i}") == 0 and c.publish_audio() == 0
        senders.append(c)
    time.sleep(1.0)
    for i, c in enumerate(senders):
        off = (i * 8171) % 16000
        assert c.push_audio_pcm_data(pcm[off:].tobytes(), 16000, 1) == 0
    time.sleep(1.5)
    cpu0, n0 = thread_cpu_ns(), counter.n
    time.sleep(window)
    cpu1, n1 = thread_cpu_ns(), counter.n
    stats = agent.get_audio_queue_stats() or {}
    for c in senders:
        c.release()
    agent.release()
    svc.release()
    return {"frames": n1 - n0, "cpu_s": (cpu1 - cpu0) / 1e9, "wall_s": window,
            "dropped": stats.get("dropped", 0)}


def run_probe(tree: str, args: list, valgrind_out: str | None = None) -> dict:
    python = os.path.join(tree, ".venv", "bin", "python")
    cmd = [python, os.path.abspath(__file__), "--probe", *map(str, args)]
    if valgrind_out:
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={valgrind_out}"] + cmd
    out = subprocess.run(cmd, cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=1800)
    if out.returncode != 0:
        raise SystemExit(f"probe failed in {tree}:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if valgrind_out:
        with open(valgrind_out) as f:
            result["instructions"] = next(int(line.split()[1]) for line in f if line.startswith("totals:"))
        os.unlink(valgrind_out)
    return result


def instructions_per_frame(tree: str, streams: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        short = run_probe(tree, [streams, 3, "listen"], os.path.join(d, "short.out"))
        long = run_probe(tree, [streams, 9, "listen"], os.path.join(d, "long.out"))
    return (long["instructions"] - short["instructions"]) / max(1, long["frames"] - short["frames"])


def cpu_us_per_frame(tree: str, streams: int) -> float:
    idle = run_probe(tree, [streams, 6, "idle"])
    busy = run_probe(tree, [streams, 6, "listen"])
    return 1e6 * (busy["cpu_s"] - idle["cpu_s"]) / max(1, busy["frames"])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        n, window, mode = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
        print(json.dumps(probe(n, window, mode == "listen")))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="source tree of build A (the baseline)")
    ap.add_argument("--b", required=True, help="source tree of build B")
    ap.add_argument("--measures", default="instructions,cpu")
    ap.add_argument("--repeat", type=int, default=3, help="A B pairs per measure")
    ap.add_argument("--streams", type=int, default=200, help="senders (instructions: 16, valgrind is slow)")
    args = ap.parse_args()
    measures = {"instructions": (lambda t: instructions_per_frame(t, min(args.streams, 16)), "instructions/frame"),
                "cpu": (lambda t: cpu_us_per_frame(t, args.streams), "CPU us/frame")}
    results, rows = {}, []
    for name in args.measures.split(","):
        fn, unit = measures[name]
        a_vals, b_vals = [], []
        for i in range(args.repeat):
            order = ("a", "b") if i % 2 == 0 else ("b", "a")   # alternate which runs first
            for which in order:
                v = fn(args.a if which == "a" else args.b)
                (a_vals if which == "a" else b_vals).append(v)
                print(f"{name} pair {i + 1} {which}: {v:.3f}", flush=True)
        ratios = [b / a for a, b in zip(a_vals, b_vals)]
        results[name] = {"unit": unit, "a": a_vals, "b": b_vals, "ratio_b_over_a": ratios,
                         "median_ratio": statistics.median(ratios)}
        rows.append([f"{name} ({unit})", ", ".join(f"{v:.2f}" for v in a_vals),
                     ", ".join(f"{v:.2f}" for v in b_vals), ", ".join(f"{r:.3f}" for r in ratios)])
    _report.print_table("queued dispatch path, B vs A", ["measure", "A", "B", "B/A pairs"], rows)
    _report.save("queued_path_cost", {"a": os.path.abspath(args.a), "b": os.path.abspath(args.b),
                                      "streams": args.streams, "results": results})


if __name__ == "__main__":
    main()
