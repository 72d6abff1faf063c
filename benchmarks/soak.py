"""Soak: resources stay flat under a constant load ("Callback dispatch at scale"
part c, and the hardening soak).

200 remote users (``--streams``; sender connections of the same service, local
network) talk into one agent that listens with VAD on and gets every frame in
Python (dispatch="queued") for ``--minutes`` (default 30). A feeder thread tops every sender up with one
second of speech per second (so the pushed audio in flight stays constant),
and the observer keeps only fixed-size counters (a delay histogram), so any
growth of RSS is the SDK's. RSS, open fds and threads are sampled every
``--interval`` seconds (default 10); the table shows them with frames
delivered, drops and delay per interval.

Baseline and verdict: the first 20 % of the samples are warm-up (allocator,
queues reaching their steady depth); the sample that ends the warm-up is the
baseline. The run is "flat" when, over the rest, RSS stays within
max(4 MB, 2 %) of the baseline (median of the last three samples, so one
feeder second's chunks in flight do not decide), the fd count and the thread
count never differ from the baseline, and frames kept being delivered. The
slope of RSS (KB/min, least squares) is reported too. Saved as
benchmarks/results/soak.json. The machine may be shared: delays and CPU are
noisy, the resource counts are not.

Run: python benchmarks/soak.py [--minutes 30] [--streams 200] [--interval 10] [--quick]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402
import bench_dispatch as bd  # noqa: E402

import agora_rtc as ar  # noqa: E402

RATE = 16000
BUCKET_US = 500
BUCKETS = 400          # 0 .. 200 ms in 0.5 ms steps; the last bucket takes the rest


class SoakObserver(ar.IAudioFrameObserver):
    """Constant memory: a frame count and a delay histogram, swapped per interval."""

    def __init__(self):
        self.count = 0
        self.hist = [0] * BUCKETS

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad,
                                              _now=time.monotonic_ns):
        d = _now() // 1000 - frame.send_time_us
        self.count += 1
        self.hist[min(d // BUCKET_US, BUCKETS - 1)] += 1

    def take(self):
        h, self.hist = self.hist, [0] * BUCKETS
        return h


def hist_percentile(h, q) -> float:
    total = sum(h)
    if not total:
        return float("nan")
    want = q / 100.0 * total
    acc = 0
    for i, c in enumerate(h):
        acc += c
        if acc >= want:
            return (i + 1) * BUCKET_US / 1000.0
    return BUCKETS * BUCKET_US / 1000.0


def fd_count() -> int:
    return len(os.listdir("/proc/self/fd"))


def thread_count() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return -1


def verdict(samples, skip):
    """samples: (t_s, rss_kb, fds, threads, frames); see the module docstring."""
    base = samples[skip - 1]
    tail = samples[skip:]
    if not tail:
        return {"flat": None, "reason": "too few samples for a verdict"}
    end_rss = float(np.median([s[1] for s in tail[-3:]]))
    allowed_kb = max(4096.0, 0.02 * base[1])
    rss_ok = abs(end_rss - base[1]) <= allowed_kb
    fds = sorted({s[2] for s in tail})
    threads = sorted({s[3] for s in tail})
    fds_ok = fds == [base[2]]
    threads_ok = threads == [base[3]]
    delivering = all(s[4] > 0 for s in tail)
    reasons = []
    if not rss_ok:
        reasons.append(f"RSS moved {(end_rss - base[1]) / 1024:+.1f} MB (allowed +-{allowed_kb / 1024:.1f} MB)")
    if not fds_ok:
        reasons.append(f"fd count {base[2]} -> {fds}")
    if not threads_ok:
        reasons.append(f"thread count {base[3]} -> {threads}")
    if not delivering:
        reasons.append("an interval delivered no frames")
    return {"flat": rss_ok and fds_ok and threads_ok and delivering,
            "baseline_rss_kb": base[1], "end_rss_kb": end_rss,
            "rss_ratio_end_to_baseline": end_rss / base[1], "allowed_rss_kb": allowed_kb,
            "baseline_fds": base[2], "fds_seen": fds, "baseline_threads": base[3],
            "threads_seen": threads, "reason": "; ".join(reasons) or "flat"}


def slope_kb_per_min(ts_s, rss_kb) -> float:
    if len(ts_s) < 2:
        return float("nan")
    return float(np.polyfit(np.asarray(ts_s) / 60.0, np.asarray(rss_kb, dtype=float), 1)[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--streams", type=int, default=200)
    ap.add_argument("--interval", type=float, default=10.0)
    ap.add_argument("--quick", action="store_true", help="1 minute, a sample every 5 s")
    args = ap.parse_args()
    if args.quick:
        args.minutes, args.interval = 1.0, 5.0
    n = args.streams

    rss_start = bd.rss_kb()
    rig = bd.LocalRig(n, channel="soak")
    obs = SoakObserver()
    assert rig.listen(obs, enable_vad=1, vad_configure=ar.AudioVadConfigV2(), dispatch="queued",
                      max_queued_frames=max(3000, 100 * n)) == 0
    feeder = bd.LiveFeeder(rig.senders, bd.speech_signal(60.0))
    feeder.start()
    t_start = time.monotonic()
    print(f"soak: {n} streams, queued, VAD on, every frame to Python; {args.minutes:g} min, "
          f"RSS/fds/threads every {args.interval:g} s (RSS before the service: {rss_start / 1024:.1f} MB)", flush=True)

    rows, samples = [], []
    last_count, last_sent, last_cpu = 0, rig.sent_frames(), time.process_time()
    last_t = t_start
    k = 1
    end = t_start + args.minutes * 60.0
    while True:
        t_next = t_start + k * args.interval
        if t_next > end + 1e-6:
            break
        # RSS moves by a few MB within each feeder second (pushed chunks
        # allocated, then freed as they are sent): take the median of five
        # reads over the interval's last second
        reads = []
        for j in range(5):
            bd._sleep_until(t_next - 0.8 + 0.2 * j)
            reads.append(bd.rss_kb())
        now = time.monotonic()
        rss = int(np.median(reads))
        count, sent, cpu = obs.count, rig.sent_frames(), time.process_time()
        h = obs.take()
        qs = rig.agent.get_audio_queue_stats()
        el = now - t_start
        fds, threads = fd_count(), thread_count()
        row = {"t_s": el, "rss_kb": rss, "fds": fds, "threads": threads,
               "frames": count - last_count, "sent": sent - last_sent,
               "dropped_total": qs["dropped"], "waiting": qs["waiting"],
               "p50_ms": hist_percentile(h, 50), "p99_ms": hist_percentile(h, 99),
               "cpu_pct": 100.0 * (cpu - last_cpu) / (now - last_t), "feeder_errors": feeder.errors}
        rows.append(row)
        samples.append((el, rss, fds, threads, row["frames"]))
        print(f"  t={el:6.0f}s rss={rss / 1024:8.1f} MB fds={fds} threads={threads} frames={row['frames']:7d} sent={row['sent']:7d} "
              f"dropped={qs['dropped']} p99={row['p99_ms']:.1f} ms cpu={row['cpu_pct']:.0f}%", flush=True)
        last_count, last_sent, last_cpu, last_t = count, sent, cpu, now
        k += 1

    feeder.finish()
    rig.release()

    skip = max(1, int(round(0.2 * len(samples))))
    tail = samples[skip:] if len(samples) - skip >= 2 else samples
    slope = slope_kb_per_min([s[0] for s in tail], [s[1] for s in tail])
    slope_all = slope_kb_per_min([s[0] for s in samples], [s[1] for s in samples])
    v = verdict(samples, skip)
    _report.print_table(
        f"Soak: {n} streams, queued, VAD on, all frames to Python, {args.minutes:g} min",
        ["t s", "RSS MB", "fds", "threads", "frames", "sent", "dropped (total)", "waiting",
         "p50 ms", "p99 ms", "CPU %"],
        [[round(r["t_s"]), r["rss_kb"] / 1024, r["fds"], r["threads"], r["frames"], r["sent"],
          r["dropped_total"], r["waiting"], r["p50_ms"], r["p99_ms"], r["cpu_pct"]] for r in rows])
    growth = (samples[-1][1] - samples[skip - 1][1]) if len(samples) > skip else float("nan")
    print(f"\nRSS slope after the first {skip} samples: {slope:.1f} KB/min "
          f"({slope / n * 1024:.1f} B/min per stream); over all samples: {slope_all:.1f} KB/min; "
          f"growth over the tail: {growth / 1024:.2f} MB")
    print(f"verdict: {'FLAT' if v['flat'] else 'NOT FLAT' if v['flat'] is False else 'none'} ({v['reason']}); "
          f"RSS end/baseline = {v.get('rss_ratio_end_to_baseline', float('nan')):.3f}")
    _report.save("soak", {"streams": n, "minutes": args.minutes, "interval_s": args.interval,
                          "slope_kb_per_min": slope, "slope_all_kb_per_min": slope_all,
                          "skipped_samples": skip, "verdict": v, "rows": rows})


if __name__ == "__main__":
    main()
