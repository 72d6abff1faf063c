"""Pacing benchmark (PACING.md, "What to measure").

1. Inter-frame send interval jitter, |interval - 10 ms|, p50/p99/max over
   ``--seconds`` (default 30 s), idle and with a Python thread hogging the GIL.
   Ours: one sender pushes the whole stream in one call; the native media clock
   paces it; a receiver's observer records ``AudioFrame.send_time_us`` (the
   CLOCK_MONOTONIC microsecond at which the media clock cut the frame). Baseline
   in the same run, at the same time: Python pacer threads doing what
   timer-driven consumers do, ``loop { send one 10 ms frame; time.sleep(0.01) }``
   and the fairer variant that sleeps until absolute deadlines. Reference: a
   tiny C program (compiled at run time when a C compiler exists) that sleeps
   until absolute 10 ms deadlines with clock_nanosleep in its own process: the
   scheduling floor of this machine, which no pacer can beat.
2. Interrupt latency: push 10 s, call interrupt_audio() after ~1 s; the time
   the call takes, frames cut after it returned (must be 0), where the last old
   frame left relative to the return, CPU per call. Baseline: a Python pacer
   with a locked deque whose interrupt is ``deque.clear()``.
3. Streams per core: N connections (no receivers) each sending 16 kHz mono;
   the largest N for which every stream sent its frames on time
   (get_send_stats()['sent_frames']) while the media-clock thread used less
   than one core (its CPU read from /proc/self/task/<tid>/stat; the engine
   names the thread agora-clock).

Run: python benchmarks/bench_pacing.py [--seconds 30]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402

import agora_rtc as ar  # noqa: E402

RATE = 16000
FRAME_US = 10_000
CONNECTED = 3  # ConnectionState.CONNECTED


def now_us() -> int:
    return time.monotonic_ns() // 1000


# ---------------------------------------------------------------------------
# helpers


class _Conn(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver):
    """Counts on_connected and stream messages (shared by many connections)."""

    def __init__(self):
        self.cond = threading.Condition()
        self.connected = 0
        self.messages = set()

    def on_connected(self, conn, info, reason):
        with self.cond:
            self.connected += 1
            self.cond.notify_all()

    def on_stream_message(self, lu, uid, stream_id, data, length):
        with self.cond:
            self.messages.add(bytes(data))
            self.cond.notify_all()

    def wait(self, pred, timeout=60.0):
        with self.cond:
            if not self.cond.wait_for(pred, timeout):
                raise RuntimeError("benchmark: timed out waiting for the engine")


class _SendTimes(ar.IAudioFrameObserver):
    """Cheap observer: keeps (send_time_us, presentation_ms) of every frame."""

    def __init__(self):
        self.sends = []
        self.pts = []

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
        self.sends.append(frame.send_time_us)
        self.pts.append(frame.presentation_ms)


def _service(prefill_ms: int) -> ar.AgoraService:
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="bench", prefill_ms=prefill_ms))
    return svc


def _open(svc, obs, channel, uid, *, receiver=None, auto_subscribe=True, publish=True):
    cfg = ar.RTCConnConfig()
    cfg.auto_subscribe_audio = 1 if auto_subscribe else 0
    conn = svc.create_rtc_connection(cfg)
    conn.register_observer(obs)
    conn.register_local_user_observer(obs)
    if receiver is not None:
        conn.register_audio_frame_observer(receiver)
    assert conn.connect("", channel, uid) == 0
    if publish:
        assert conn.publish_audio() == 0
    return conn


def _pcm(seconds: float) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return (6000 * np.sin(2 * np.pi * 440.0 * t)).astype(np.int16).tobytes()


class GilHog:
    """A pure-Python busy loop in a thread: holds the GIL except at the
    interpreter's switch interval (5 ms by default)."""

    def __init__(self):
        self.stop = False
        self.loops = 0
        self.thread = threading.Thread(target=self._run, name="gil-hog", daemon=True)

    def _run(self):
        n = 0
        while not self.stop:
            x = sum(range(1000))  # noqa: F841
            n += 1
        self.loops = n

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()


def _jitter_stats(stamps_us, skip=0):
    s = np.asarray(stamps_us[skip:], dtype=np.int64)
    iv = np.diff(s)
    jit = np.abs(iv - FRAME_US)
    n = int(iv.size)
    drift_ms = float((s[-1] - s[0]) - n * FRAME_US) / 1000.0 if n else float("nan")
    jl = jit.tolist()
    return {
        "intervals": n,
        "p50_us": float(_report.percentile(jl, 50)),
        "p99_us": float(_report.percentile(jl, 99)),
        "max_us": float(max(jl)) if jl else float("nan"),
        "over_1ms_pct": float(100.0 * np.count_nonzero(jit > 1000) / n) if n else float("nan"),
        "drift_ms": drift_ms,
    }


# ---------------------------------------------------------------------------
# 1. jitter


def _python_pacer(seconds, absolute, out, start):
    """What a timer-driven consumer does: send a 10 ms frame, sleep 10 ms
    (relative), or sleep until the next absolute deadline (catching up when late)."""
    frame = bytes(320)
    n = int(seconds * 100)
    start.wait()
    deadline = time.monotonic()
    for _ in range(n):
        out.append(time.monotonic_ns() // 1000)   # the send instant
        _ = frame[:]                               # stands for the push of one frame
        if absolute:
            deadline += 0.01
            delay = deadline - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        else:
            time.sleep(0.01)


_REFERENCE_C = r"""
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}
int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100;
    int64_t next = now_ns() + 10000000LL;
    for (int i = 0; i < n; i++) {
        struct timespec ts = {(time_t)(next / 1000000000LL), (long)(next % 1000000000LL)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
        }
        printf("%lld\n", (long long)(now_ns() / 1000));
        next += 10000000LL;
    }
    return 0;
}
"""


def _build_reference():
    """Compile the C clock_nanosleep reference pacer; None without a compiler."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    d = tempfile.mkdtemp(prefix="bench_pacing_")
    src, exe = os.path.join(d, "ref.c"), os.path.join(d, "ref")
    with open(src, "w") as f:
        f.write(_REFERENCE_C)
    if subprocess.run([cc, "-O2", "-o", exe, src], capture_output=True).returncode != 0:
        return None
    return exe


def jitter_scenario(seconds: float, hog: bool, reference=None) -> dict:
    svc = _service(prefill_ms=0)      # no burst: every frame is paced
    try:
        obs = _Conn()
        times = _SendTimes()
        _open(svc, obs, "jitter", "rx", receiver=times, publish=False)
        tx = _open(svc, obs, "jitter", "tx")
        obs.wait(lambda: obs.connected == 2)
        audio = _pcm(seconds)
        frames = int(seconds * 100)
        rel, absl = [], []
        start = threading.Event()
        pacers = [threading.Thread(target=_python_pacer, args=(seconds, False, rel, start)),
                  threading.Thread(target=_python_pacer, args=(seconds, True, absl, start))]
        ref_proc = None
        with GilHog() if hog else _Null():
            for p in pacers:
                p.start()
            time.sleep(0.2)
            if reference:
                ref_proc = subprocess.Popen([reference, str(frames)], stdout=subprocess.PIPE, text=True)
            start.set()
            assert tx.push_audio_pcm_data(audio, RATE, 1) == 0
            for p in pacers:
                p.join()
            if not tx.wait_push_completed(timeout=seconds + 30):
                raise RuntimeError("jitter: our stream did not complete")
            ref_out = ref_proc.communicate(timeout=seconds + 30)[0] if ref_proc else ""
        deadline = time.monotonic() + 60
        while len(times.sends) < frames and time.monotonic() < deadline:
            time.sleep(0.01)
        if len(times.sends) < frames:
            raise RuntimeError(f"jitter: received {len(times.sends)} of {frames} frames")
        res = {"native media clock": _jitter_stats(times.sends, skip=10),
               "python sleep(0.01)": _jitter_stats(rel, skip=10),
               "python sleep-until-deadline": _jitter_stats(absl, skip=10)}
        if ref_out:
            res["C clock_nanosleep (OS floor)"] = _jitter_stats([int(x) for x in ref_out.split()], skip=10)
        res["loadavg"] = os.getloadavg()
        return res
    finally:
        svc.release()


class _Null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# ---------------------------------------------------------------------------
# 2. interrupt latency


class _DequePacer:
    """Baseline: a Python pacer thread popping 10 ms frames from a locked
    deque (pop under the lock, send outside it, as consumers do); interrupt
    is ``with lock: deque.clear()``."""

    def __init__(self):
        self.lock = threading.Lock()
        self.queue = deque()
        self.sent = []              # (round id, send instant us)
        self.stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic()
        while not self.stop:
            with self.lock:
                item = self.queue.popleft() if self.queue else None
            if item is not None:
                self.sent.append((item, now_us()))
            deadline += 0.01
            delay = deadline - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.5:
                deadline = time.monotonic()

    def push(self, round_id, frames):
        with self.lock:
            self.queue.extend([round_id] * frames)

    def interrupt(self):
        with self.lock:
            self.queue.clear()


def interrupt_bench(iters: int, parallel: int, wait_s: float) -> dict:
    svc = _service(prefill_ms=100)
    try:
        obs = _Conn()
        pairs = []
        for p in range(parallel):
            times = _SendTimes()
            rx = _open(svc, obs, f"intr{p}", "rx", receiver=times, publish=False)
            tx = _open(svc, obs, f"intr{p}", "tx")
            pairs.append((tx, rx, times, _DequePacer()))
        obs.wait(lambda: obs.connected == 2 * parallel)
        audio = _pcm(10.0)
        ours, base = [], []
        lock = threading.Lock()
        per = [iters // parallel + (1 if p < iters % parallel else 0) for p in range(parallel)]

        def worker(p):
            tx, _, _, pacer = pairs[p]
            rnd = random.Random(p)
            for k in range(per[p]):
                rid = p * 10_000 + k + 1
                assert tx.push_audio_pcm_data(audio, RATE, 1, start_pts=rid * 1_000_000) == 0
                pacer.push(rid, 1000)
                time.sleep(wait_s * rnd.uniform(0.9, 1.1))
                t0 = now_us()
                c0 = time.thread_time_ns()
                w0 = time.perf_counter_ns()
                rc = tx.interrupt_audio()
                w1 = time.perf_counter_ns()
                c1 = time.thread_time_ns()
                t1 = now_us()
                rep = tx.last_interrupt
                b0 = now_us()
                bc0 = time.thread_time_ns()
                bw0 = time.perf_counter_ns()
                pacer.interrupt()
                bw1 = time.perf_counter_ns()
                bc1 = time.thread_time_ns()
                b1 = now_us()
                with lock:
                    ours.append((p, rid, t0, t1, (w1 - w0) / 1000, (c1 - c0) / 1000, rc, rep))
                    base.append((p, rid, b0, b1, (bw1 - bw0) / 1000, (bc1 - bc0) / 1000))

        threads = [threading.Thread(target=worker, args=(p,)) for p in range(parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # let anything cut before the interrupts reach the receivers: a stream
        # message per pair goes through the same transport after the frames
        time.sleep(0.05)
        for p, (tx, _, _, _) in enumerate(pairs):
            assert tx.send_stream_message(f"end{p}".encode()) == 0
        obs.wait(lambda: all(f"end{p}".encode() in obs.messages for p in range(parallel)))
        for *_, pacer in pairs:
            pacer.stop = True
            pacer.thread.join()

        # tight loop: the call's own cost (queue holding one 10 s segment)
        tx0 = pairs[0][0]
        tight_w, tight_c = [], []
        for _ in range(2000):
            tx0.push_audio_pcm_data(audio, RATE, 1, start_pts=999_000_000)
            c0 = time.thread_time_ns()
            w0 = time.perf_counter_ns()
            tx0.interrupt_audio()
            w1 = time.perf_counter_ns()
            c1 = time.thread_time_ns()
            tight_w.append((w1 - w0) / 1000)
            tight_c.append((c1 - c0) / 1000)
    finally:
        svc.release()

    # analysis: ours
    after, rel_last, in_call, rcs = 0, [], 0, set()
    for p, rid, t0, t1, _, _, rc, rep in ours:
        times = pairs[p][2]
        rcs.add(rc)
        lo, hi = rid * 1_000_000, (rid + 1) * 1_000_000
        mine = [s for s, pts in zip(times.sends, times.pts) if lo <= pts < hi]
        after += sum(1 for s in mine if s > t1)
        in_call += sum(1 for s in mine if t0 < s <= t1)
        if mine:
            rel_last.append(max(mine) - t1)
    # baseline
    b_after, b_rel_last = 0, []
    for p, rid, b0, b1, _, _ in base:
        mine = [s for r, s in pairs[p][3].sent if r == rid]
        b_after += sum(1 for s in mine if s > b1)
        if mine:
            b_rel_last.append(max(mine) - b1)

    def dist(v):
        return {"p50": float(_report.percentile(v, 50)), "p99": float(_report.percentile(v, 99)),
                "max": float(max(v)), "mean": float(sum(v) / len(v))}

    return {
        "iterations": len(ours), "parallel_pairs": parallel, "interrupt_after_s": wait_s,
        "return_codes": sorted(rcs),
        "native": {
            "call_us": dist([o[4] for o in ours]),
            "cpu_us": dist([o[5] for o in ours]),
            "frames_after_return": after,
            "frames_cut_during_call": in_call,
            "last_old_frame_minus_return_us": dist(rel_last) if rel_last else None,
            "tight_loop_call_us": dist(tight_w),
            "tight_loop_cpu_us": dist(tight_c),
        },
        "python deque pacer": {
            "call_us": dist([b[4] for b in base]),
            "cpu_us": dist([b[5] for b in base]),
            "frames_after_return": b_after,
            "rounds_with_frame_after_return": sum(
                1 for p, rid, b0, b1, _, _ in base
                if any(r == rid and s > b1 for r, s in pairs[p][3].sent)),
            "last_old_frame_minus_return_us": dist(b_rel_last) if b_rel_last else None,
        },
    }


# ---------------------------------------------------------------------------
# 3. streams per core


def _tids():
    return {int(t) for t in os.listdir("/proc/self/task")}


def _thread_cpu_s(tid):
    try:
        with open(f"/proc/self/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


_THREAD_NAMES = {"agora-clock": "media clock", "agora-io": "io", "agora-delivery": "delivery"}


def _thread_name(tid):
    try:
        with open(f"/proc/self/task/{tid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def streams_trial(n: int, window_s: float, margin_frames: int) -> dict:
    before = _tids()
    svc = _service(prefill_ms=0)
    engine = sorted(_tids() - before)
    # the engine names its threads (agora-clock, agora-io, agora-delivery);
    # older builds did not: then use service.c's creation order
    names = {tid: _THREAD_NAMES[_thread_name(tid)] for tid in engine
             if _thread_name(tid) in _THREAD_NAMES}
    if len(names) != len(engine) and len(engine) == 3:
        names = dict(zip(engine, ("delivery", "io", "media clock")))
    try:
        obs = _Conn()
        t_setup = time.monotonic()
        conns = [_open(svc, obs, f"s{i}", "u", auto_subscribe=False) for i in range(n)]
        obs.wait(lambda: obs.connected == n, timeout=120)
        setup_s = time.monotonic() - t_setup
        chunk = _pcm(0.5)
        first = _pcm(1.5)
        cpu0 = {tid: _thread_cpu_s(tid) for tid in engine}
        proc0 = time.process_time()
        w0 = time.monotonic()
        t_push = []
        for c in conns:
            t_push.append(now_us())
            c.push_audio_pcm_data(first, RATE, 1)
        # keep 1-1.5 s queued in every stream: refill 0.5 s every 0.5 s
        next_refill = w0 + 0.5
        end = w0 + window_s
        while True:
            now = time.monotonic()
            if now >= end:
                break
            if now >= next_refill:
                for c in conns:
                    c.push_audio_pcm_data(chunk, RATE, 1)
                next_refill += 0.5
            time.sleep(max(0.0, min(next_refill, end) - time.monotonic()))
        stats, t_read = [], []
        for c in conns:
            t_read.append(now_us())
            stats.append(c.get_send_stats())
        w1 = time.monotonic()
        cpu1 = {tid: _thread_cpu_s(tid) for tid in engine}
        proc1 = time.process_time()
        for c in conns:
            c.interrupt_audio()
    finally:
        t_rel = time.monotonic()
        svc.release()
        release_s = time.monotonic() - t_rel

    wall = w1 - w0
    behind = []
    underruns = 0
    for s, tp, tr in zip(stats, t_push, t_read):
        expected = (tr - tp) // FRAME_US
        behind.append(expected - s["sent_frames"])
        underruns += s["drained_events"]
    late = sum(1 for b in behind if b > margin_frames)
    threads = {names.get(tid, str(tid)): (cpu1[tid] - cpu0[tid]) / wall for tid in engine}
    clock = threads.get("media clock", float("nan"))
    return {
        "streams": n, "window_s": wall, "setup_s": setup_s, "release_s": release_s,
        "late_streams": late, "underrun_streams": underruns,
        "max_frames_behind": max(behind), "mean_frames_behind": sum(behind) / len(behind),
        "thread_core_fraction": threads,
        "media_clock_core": clock,
        "media_clock_us_per_stream_s": clock * 1e6 / n,
        "process_core_fraction": (proc1 - proc0) / wall,
        "ok": late == 0 and underruns == 0 and clock < 1.0,
    }


# ---------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="length of each jitter scenario (>= 30 for the claim)")
    ap.add_argument("--interrupt-iters", type=int, default=200)
    ap.add_argument("--interrupt-parallel", type=int, default=10,
                    help="sender/receiver pairs interrupting concurrently (keeps the run short)")
    ap.add_argument("--interrupt-after", type=float, default=1.0, help="seconds of sending before each interrupt")
    ap.add_argument("--scale-seconds", type=float, default=10.0)
    ap.add_argument("--streams", default="100,500,1000,2000,4000")
    ap.add_argument("--margin-frames", type=int, default=3,
                    help="a stream is on time if it is at most this many frames behind real time")
    ap.add_argument("--skip", default="", help="comma list of sections to skip: jitter,interrupt,streams")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    results = {"args": vars(args), "loadavg_before": os.getloadavg(),
               "switch_interval_s": sys.getswitchinterval()}
    t_start = time.monotonic()

    if "jitter" not in skip:
        rows, jit = [], {}
        reference = _build_reference()
        for scen, hog in (("idle", False), ("GIL hog", True)):
            res = jitter_scenario(args.seconds, hog, reference)
            jit[scen] = res
            for pacer, s in res.items():
                if pacer == "loadavg":
                    continue
                rows.append([scen, pacer, s["intervals"], s["p50_us"], s["p99_us"], s["max_us"],
                             s["over_1ms_pct"], s["drift_ms"]])
        results["jitter"] = jit
        _report.print_table(f"Send interval jitter |interval - 10 ms| over {args.seconds:g} s "
                            "(us; drift = elapsed - intervals x 10 ms)",
                            ["scenario", "pacer", "intervals", "p50 us", "p99 us", "max us",
                             "% > 1 ms", "drift ms"], rows)

    if "interrupt" not in skip:
        r = interrupt_bench(args.interrupt_iters, args.interrupt_parallel, args.interrupt_after)
        results["interrupt"] = r
        n, b = r["native"], r["python deque pacer"]
        rows = []
        for name, d in (("native interrupt_audio()", n), ("python deque pacer clear()", b)):
            last = d["last_old_frame_minus_return_us"] or {"max": float("nan"), "p50": float("nan")}
            rows.append([name, r["iterations"], d["call_us"]["p50"], d["call_us"]["p99"],
                         d["call_us"]["max"], d["cpu_us"]["p50"], d["cpu_us"]["mean"],
                         d["frames_after_return"], last["p50"], last["max"]])
        rows.append(["native, tight loop (10 s queued)", 2000, n["tight_loop_call_us"]["p50"],
                     n["tight_loop_call_us"]["p99"], n["tight_loop_call_us"]["max"],
                     n["tight_loop_cpu_us"]["p50"], n["tight_loop_cpu_us"]["mean"], "-", "-", "-"])
        _report.print_table(
            f"Interrupt after ~{args.interrupt_after:g} s of a 10 s push ({r['parallel_pairs']} pairs "
            "concurrently; call = wall time of the Python call incl. GIL re-acquire; "
            "last-old = send time of the last old frame minus the return instant)",
            ["interrupt", "n", "call p50 us", "call p99 us", "call max us", "cpu p50 us",
             "cpu mean us", "frames after return", "last-old p50 us", "last-old max us"], rows)

    if "streams" not in skip:
        rows, trials = [], []
        for n in (int(x) for x in args.streams.split(",")):
            t = streams_trial(n, args.scale_seconds, args.margin_frames)
            trials.append(t)
            th = t["thread_core_fraction"]
            rows.append([n, t["window_s"], t["late_streams"], t["max_frames_behind"],
                         100 * t["media_clock_core"], 100 * th.get("io", float("nan")),
                         100 * th.get("delivery", float("nan")), 100 * t["process_core_fraction"],
                         t["media_clock_us_per_stream_s"], t["setup_s"], "yes" if t["ok"] else "NO"])
            if not t["ok"]:
                break
        results["streams"] = trials
        passed = [t["streams"] for t in trials if t["ok"]]
        results["max_realtime_streams"] = max(passed) if passed else 0
        _report.print_table(
            f"Streams paced in real time (16 kHz mono, {args.scale_seconds:g} s, no receivers; "
            f"on time = at most {args.margin_frames} frames behind; CPU in % of one core)",
            ["streams", "window s", "late", "max behind", "clock %", "io %", "delivery %",
             "process %", "clock us/stream/s", "setup s", "real time"], rows)
        print(f"\nlargest N tried that paced in real time: {results['max_realtime_streams']} "
              f"(machine: {os.cpu_count()} CPUs, load average before: {results['loadavg_before']})")

    results["loadavg_after"] = os.getloadavg()
    results["total_s"] = time.monotonic() - t_start
    _report.save("pacing", results)


if __name__ == "__main__":
    main()
