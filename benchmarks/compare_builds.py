"""Two builds of agora_rtc, the same benchmarks, in one run: is B as fast as A?

For a change that must not change speed (a refactor), run the dispatch, scale and
Janus benchmarks from two source trees, each with the virtual environment it is
installed in, in turn (A B, B A, A B ...), and report for every figure B's value over A's,
pair by pair, with the median of the pairs. Each tree's benchmark writes its own
results/*.json, which is read back after each run.

    python benchmarks/compare_builds.py --a /path/to/tree-A --b /path/to/tree-B [--repeat 3]
        [--benches dispatch,scale,janus,janus-latency,sip-calls] [--name compare_builds]

Each tree needs a virtual environment in TREE/.venv with the package and its test
extras installed from that tree (pip install 'TREE[test]'). Printed as a table and
saved to results/NAME.json (default compare_builds.json, of the tree this script runs from).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# bench name -> (script, arguments, results file)
BENCHES = {
    "dispatch": ("bench_dispatch.py", ["--streams", "200", "--window", "6", "--warm", "2"], "dispatch.json"),
    "scale": ("bench_scale.py", ["--scenarios", "vad-events,all-frames", "--ramp", "500,1000",
                                 "--window", "6", "--warm", "2"], "scale.json"),
    "janus": ("bench_janus.py", ["--quick"], "janus.json"),
    "janus-latency": ("bench_janus.py", ["--no-scale", "--onsets", "30"], "janus_latency.json"),
    "sip-calls": ("bench_sip_calls.py", ["--calls", "200,500", "--rate", "100", "--plays", "2"], "sip_calls.json"),
}


def figures(bench: str, data: dict) -> dict:
    """The figures of one run that say how fast the build is (lower is better
    unless the name says otherwise)."""
    out = {}
    if bench == "dispatch":
        for row in data["rows"]:
            if not row["config"].startswith("ours"):
                continue
            out[f"{row['config']}: process us/frame"] = row["process_us_per_frame"]
            out[f"{row['config']}: dispatch us/frame"] = row["dispatch_us_per_frame"]
            out[f"{row['config']}: p99 ms"] = row["p99_ms"]
    elif bench == "scale":
        for scenario, rows in data["results"].items():
            for row in rows:
                if "p99_ms" not in row or scenario.startswith("ctypes"):
                    continue
                out[f"{scenario} {row['n']}: CPU %"] = row["cpu_pct"]
                out[f"{scenario} {row['n']}: p99 ms"] = row["p99_ms"]
    elif bench == "janus-latency":
        for k in ("p50_ms", "p99_ms"):
            out[f"mouth-to-ear via Janus {k[:3]} ms"] = data["latency"]["janus"][k]
            out[f"mouth-to-ear local {k[:3]} ms"] = data["latency"]["local"][k]
        out["listener jitter buffer target ms"] = data["latency"]["janus"]["jitter_buffer"]["target_delay_ms"]
    elif bench == "sip-calls":
        for row in data["rows"]:
            n = row["calls"]
            out[f"{n} calls: late frames"] = row["late"]
            out[f"{n} calls: late p99 ms"] = row["late_p99_ms"]
            out[f"{n} calls: late max ms"] = row["late_max_ms"]
            out[f"{n} calls: missing frames"] = row["missing"]
            out[f"{n} calls: process CPU %"] = row["cpu_pct"]
            out[f"{n} calls: set-up mean ms"] = row["setup_mean_ms"]
            for key, name in (("pull_late_p99_ms", "playout pull lateness p99 ms"),
                              ("delay_p99_ms", "pull -> observer delay p99 ms")):
                if key in row:          # (bench_sip_calls.py before these columns: no figure)
                    out[f"{n} calls: {name}"] = row[key]
        out["load average (1 min, at the end)"] = data["load_average_1min"]
    elif bench == "janus":
        out["mouth-to-ear via Janus p50 ms"] = data["latency"]["janus"]["p50_ms"]
        out["mouth-to-ear local p50 ms"] = data["latency"]["local"]["p50_ms"]
        for point in data["scale"]["points"]:
            out[f"{point['n']} publishers: listener CPU %"] = point["cpu_listener_pct"]
            out[f"{point['n']} publishers: p99 ms"] = point["lat"]["p99_ms"]
    return out


def run_once(tree: str, bench: str) -> dict:
    script, args, result = BENCHES[bench]
    python = os.path.join(tree, ".venv", "bin", "python")
    path = os.path.join(tree, "benchmarks", "results", result)
    if os.path.exists(path):
        os.remove(path)
    proc = subprocess.run([python, os.path.join(tree, "benchmarks", script), *args], cwd=tree,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0 or not os.path.exists(path):
        raise SystemExit(f"{bench} failed in {tree} (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n"
                         f"{proc.stderr[-2000:]}")
    with open(path) as fh:
        return figures(bench, json.load(fh))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", required=True, help="source tree of build A (the baseline)")
    ap.add_argument("--b", required=True, help="source tree of build B")
    ap.add_argument("--repeat", type=int, default=3, help="A B pairs per benchmark")
    ap.add_argument("--benches", default=",".join(b for b in BENCHES if b != "sip-calls"),
                    help="comma-separated, of: " + ", ".join(BENCHES) + " (sip-calls: needs SIPp)")
    ap.add_argument("--name", default="compare_builds", help="results/NAME.json")
    args = ap.parse_args()
    for tree in (args.a, args.b):
        if not os.path.exists(os.path.join(tree, ".venv", "bin", "python")):
            raise SystemExit(f"{tree}: no .venv with the package installed from it")
    report = {"a": os.path.abspath(args.a), "b": os.path.abspath(args.b), "repeat": args.repeat,
              "time": time.strftime("%Y-%m-%dT%H:%M:%S"), "load_average_at_start": os.getloadavg(),
              "benches": {}}
    for bench in args.benches.split(","):
        if bench not in BENCHES:
            raise SystemExit(f"unknown bench {bench!r}; one of {', '.join(BENCHES)}")
        pairs = []
        for i in range(args.repeat):
            if i % 2 == 0:   # A B, then B A: neither build always runs second
                a = run_once(args.a, bench)
                b = run_once(args.b, bench)
            else:
                b = run_once(args.b, bench)
                a = run_once(args.a, bench)
            pairs.append((a, b))
            print(f"{bench}: pair {i + 1}/{args.repeat} done", file=sys.stderr, flush=True)
        rows = {}
        for name in pairs[0][0]:
            vals = [(a[name], b[name]) for a, b in pairs if name in a and name in b]
            ratios = [b / a for a, b in vals if a]
            rows[name] = {"a": [a for a, _ in vals], "b": [b for _, b in vals],
                          "ratio_b_over_a": ratios,
                          "median_ratio": statistics.median(ratios) if ratios else None}
        report["benches"][bench] = rows
    print(f"{'figure':58s} {'A median':>10s} {'B median':>10s} {'B/A pairs (median)':>28s}")
    for bench, rows in report["benches"].items():
        for name, r in rows.items():
            pairs_txt = " ".join(f"{x:.2f}" for x in r["ratio_b_over_a"])
            med = r["median_ratio"]
            print(f"{bench + ': ' + name:58s} {statistics.median(r['a']):10.2f} "
                  f"{statistics.median(r['b']):10.2f} {pairs_txt:>20s} ({med:.2f})" if med else
                  f"{bench + ': ' + name:58s} (no value)")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"{args.name}.json"), "w") as fh:
        json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
