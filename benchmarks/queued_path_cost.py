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
* parts: the Python side of the path split by what it does, instructions per frame (callgrind's
  call tree of one run over the frames drained in it, VAD on so the VAD labels are built too): what
  the drain calls (the observer, str for channel and uid, the AudioFrame, the VAD labels,
  freeing them, the native queue, GIL hand-offs) and the dispatcher thread's own loop around
  it (waiting for ready queues, locks, one drain call per ready queue). Needs builds with their
  symbols: ``pip install --config-settings=install.strip=false .`` (the default install strips).

    python benchmarks/queued_path_cost.py --a TREE_A --b TREE_B [--measures instructions,cpu,parts]
        [--repeat 3] [--streams 200] [--layout one|calls] [--name queued_path_cost]

Each tree needs its own virtual environment in TREE/.venv with agora_rtc installed from it.
Saved to results/NAME.json (default queued_path_cost.json).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _probe  # noqa: E402
import _report  # noqa: E402
from _probe import frame_counter  # noqa: E402


def probe(n: int, window: float, listen: bool, vad: bool = False, layout: str = "one") -> dict:
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

    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="queued-path", prefill_ms=0))
    counter = frame_counter()
    # "one": n senders in one channel, one listening connection (one queue, n users);
    # "calls": n channels of one sender and one listener each (n queues of one user: phone calls)
    agents = []
    for i in range(1 if layout == "one" else n):
        agent = svc.create_rtc_connection(ar.RTCConnConfig())
        agent.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 16000)
        if listen:
            rc = agent.register_audio_frame_observer(counter, dispatch="queued", enable_vad=int(vad),
                                                     max_queued_frames=max(3000, 100 * n))
            assert rc == 0, rc
        assert agent.connect("", "ch" if layout == "one" else f"ch{i}", "agent") == 0
        agents.append(agent)
    t = np.arange(16000 * int(window + 30)) / 16000
    pcm = (6000 * np.sin(2 * np.pi * 170 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.int16)
    senders = []
    for i in range(n):
        cfg = ar.RTCConnConfig()
        cfg.auto_subscribe_audio = 0
        c = svc.create_rtc_connection(cfg)
        assert c.connect("", "ch" if layout == "one" else f"ch{i}", f"u{i}") == 0 and c.publish_audio() == 0
        senders.append(c)
    time.sleep(1.0)
    for i, c in enumerate(senders):
        off = (i * 8171) % 16000
        assert c.push_audio_pcm_data(pcm[off:].tobytes(), 16000, 1) == 0
    time.sleep(1.5)
    cpu0, n0 = thread_cpu_ns(), counter.n
    time.sleep(window)
    cpu1, n1 = thread_cpu_ns(), counter.n
    dropped = sum((a.get_audio_queue_stats() or {}).get("dropped", 0) for a in agents)
    for c in senders + agents:
        c.release()
    svc.release()
    return {"frames": n1 - n0, "cpu_s": (cpu1 - cpu0) / 1e9, "wall_s": window, "dropped": dropped}


def run_probe(tree: str, args: list, valgrind_out: str | None = None) -> dict:
    return _probe.run_probe(tree, __file__, args, valgrind_out)


def instructions_per_frame(tree: str, streams: int, layout: str = "one") -> float:
    with tempfile.TemporaryDirectory() as d:
        short = run_probe(tree, [streams, 3, "listen", layout], os.path.join(d, "short.out"))
        long = run_probe(tree, [streams, 9, "listen", layout], os.path.join(d, "long.out"))
    return (long["instructions"] - short["instructions"]) / max(1, long["frames"] - short["frames"])


# parts: callee (regex on the function name) -> what it is, for the calls the drain makes
DRAIN_PARTS = [
    ("str for channel / uid", r"PyUnicode_Decode|strlen|IdStrings"),
    ("AudioFrame", r"adopt_frame|tp_new.*AudioFrame|PyType_GenericAlloc"),
    ("VAD labels (state int, bytearray)", r"ByteArray|PyLong_From"),
    ("freeing the objects", r"_Py_Dealloc|tp_dealloc"),
    ("native queue (pop, batch)", r"agora_frame_queue_|agora_queued_frame"),
    ("GIL hand-offs", r"PyEval_(Save|Restore)Thread|take_gil|drop_gil"),
    ("observer call", r"FastCall|Vectorcall|PyObject_Call|method_vectorcall"),
]
DRAIN_FN = r"FrameQueue_\d+drain$|FrameQueue__drain|_drain_ready"     # (not stop_draining)
LOOP_FN = r"_DispatchThread_\d+_run$|_DispatchThread__loop"


def call_tree(out_file: str) -> dict:
    """{function: (inclusive, [(callee, inclusive, calls)])} from callgrind_annotate's calling tree."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=calling", "--threshold=100",
                           out_file], capture_output=True, text=True, check=True).stdout
    line_re = re.compile(r"^\s*([\d,]+) \([^)]*\)\s+([*>])\s+(\S+)(?: \(([\d,]+)x\))?")
    tree, current = {}, None
    for line in text.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        cost, kind, fn = int(m.group(1).replace(",", "")), m.group(2), m.group(3).split(":")[-1]
        if kind == "*":
            current = tree.setdefault(fn, [0, []])
            current[0] = max(current[0], cost)
        elif current is not None:
            current[1].append((fn, cost, int((m.group(4) or "0").replace(",", ""))))
    return tree


def parts_of(tree: dict) -> tuple:
    """Instructions by part over the whole run, how many frames were drained, in how many passes."""
    drains = [(f, v) for f, v in tree.items() if re.search(DRAIN_FN, f)]
    loops = [(f, v) for f, v in tree.items() if re.search(LOOP_FN, f)]
    if not drains or not loops:
        raise SystemExit("no symbols for the drain / dispatcher loop in this build: install it with "
                         "pip install --config-settings=install.strip=false .")
    parts = {name: 0 for name, _ in DRAIN_PARTS}
    parts["other (the drain's own code)"] = 0
    drain_total = 0                           # inclusive, a drain called by a drain counted once
    frames = 0                                # queue pops: one per frame drained
    passes = 0                                # batches begun: one per drain pass over a queue
    for _, (total, callees) in drains:
        drain_total += total
        own = total
        for callee, cost, calls in callees:
            own -= cost
            if re.search(r"agora_frame_queue_pop$", callee):
                frames += calls
            elif re.search(r"agora_frame_queue_begin_batch$", callee):
                passes += calls
            if re.search(DRAIN_FN, callee):     # (a def wrapper calling the cdef drain)
                drain_total -= cost
                continue
            for name, rx in DRAIN_PARTS:
                if re.search(rx, callee):
                    parts[name] += cost
                    break
            else:
                parts["other (the drain's own code)"] += cost
        parts["other (the drain's own code)"] += own
    loop_total = max(total for _, (total, _) in loops)
    parts["dispatcher loop (wait, locks, per ready queue)"] = loop_total - drain_total
    return parts, frames, passes


def parts_per_frame(tree: str, streams: int, layout: str = "one") -> dict:
    """One run: the drain and dispatcher-loop functions only run while frames flow, so
    their whole-run cost over the frames they drained (the native queue pops) is per frame."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "parts.out")
        cmd = [os.path.join(tree, ".venv", "bin", "python"), os.path.abspath(__file__), "--probe",
               str(streams), "6", "listen", "vad", layout]
        res = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + cmd,
                             cwd=tempfile.gettempdir(), capture_output=True, text=True, timeout=1800)
        if res.returncode != 0:
            raise SystemExit(f"probe failed in {tree}:\n{res.stderr[-2000:]}")
        parts, frames, passes = parts_of(call_tree(out))
    per = {k: v / max(1, frames) for k, v in parts.items()}
    per["total"] = sum(per.values())
    # the loop's cost comes per pass: per frame it depends on how many frames a pass finds
    # (under callgrind's slowdown more than in real time), so both are kept
    per["frames per pass (not in total)"] = frames / max(1, passes)
    per["dispatcher loop per pass (not in total)"] = parts["dispatcher loop (wait, locks, per ready queue)"] / max(1, passes)
    per["drain per frame, loop excluded (not in total)"] = per["total"] - per["dispatcher loop (wait, locks, per ready queue)"]
    return per


def cpu_us_per_frame(tree: str, streams: int, layout: str = "one") -> float:
    idle = run_probe(tree, [streams, 6, "idle", layout])
    busy = run_probe(tree, [streams, 6, "listen", layout])
    return 1e6 * (busy["cpu_s"] - idle["cpu_s"]) / max(1, busy["frames"])


def measure_parts(args, rows: list) -> dict:
    """A and B alternated; the median of each part over the runs, B/A per part."""
    runs = {"a": [], "b": []}
    for i in range(args.repeat):
        for which in (("a", "b") if i % 2 == 0 else ("b", "a")):
            per = parts_per_frame(args.a if which == "a" else args.b, min(args.streams, 16), args.layout)
            runs[which].append(per)
            print(f"parts pair {i + 1} {which}: total {per['total']:.0f}", flush=True)
    med = {w: {k: statistics.median(r[k] for r in runs[w]) for k in runs[w][0]} for w in runs}
    def fmt(v: float) -> str:
        return f"{v:.1f}" if abs(v) < 100 else f"{v:.0f}"

    table = [[k, fmt(med['a'][k]), fmt(med['b'].get(k, 0)),
              f"{med['b'].get(k, 0) / med['a'][k]:.2f}" if med["a"][k] > 0 else "n/a"] for k in med["a"]]
    rows.append(["parts total (instructions/frame, Python side)", f"{med['a']['total']:.0f}",
                 f"{med['b']['total']:.0f}", f"{med['b']['total'] / med['a']['total']:.3f}"])
    return {"unit": "instructions/frame", "a": runs["a"], "b": runs["b"], "median_a": med["a"],
            "median_b": med["b"], "table": table}


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        n, window, mode = int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
        flags = sys.argv[5:]
        print(json.dumps(probe(n, window, mode == "listen", "vad" in flags, "calls" if "calls" in flags else "one")))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="source tree of build A (the baseline)")
    ap.add_argument("--b", required=True, help="source tree of build B")
    ap.add_argument("--measures", default="instructions,cpu")
    ap.add_argument("--repeat", type=int, default=3, help="A B pairs per measure")
    ap.add_argument("--streams", type=int, default=200, help="senders (instructions, parts: 16, valgrind is slow)")
    ap.add_argument("--name", default="queued_path_cost", help="results/NAME.json")
    ap.add_argument("--layout", choices=("one", "calls"), default="one",
                    help="one: the senders in one channel, one listener (one queue of many users); "
                         "calls: a channel per sender with its own listener (a queue per user, "
                         "like phone calls)")
    args = ap.parse_args()
    measures = {"instructions": (lambda t: instructions_per_frame(t, min(args.streams, 16), args.layout),
                                 "instructions/frame"),
                "cpu": (lambda t: cpu_us_per_frame(t, args.streams, args.layout), "CPU us/frame")}
    results, rows = {}, []
    for name in args.measures.split(","):
        if name == "parts":
            results["parts"] = measure_parts(args, rows)
            continue
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
    if "parts" in results:
        _report.print_table("queued dispatch path by part, instructions per frame (median of the runs)",
                            ["part", "A", "B", "B/A"], results["parts"]["table"])
    _report.save(args.name, {"a": os.path.abspath(args.a), "b": os.path.abspath(args.b),
                             "streams": args.streams, "layout": args.layout, "results": results})


if __name__ == "__main__":
    main()
