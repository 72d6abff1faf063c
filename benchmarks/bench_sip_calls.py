"""Concurrent G.711 phone calls in one process, driven by SIPp with real RTP.

SIPp (Debian ``sip-tester``) places N calls at ``--rate`` calls a second, at most N at a
time; each call is INVITE with a PCMA offer, 200, ACK, then SIPp plays the RTP of the
PCMA recording it ships (``g711a.pcap``: 236 packets of 30 ms, 7.05 s) with
``play_pcap_audio`` (``--plays`` times in a row, 7.08 s apart: with 2, a call lasts 14.7 s,
so at 100 calls a second 500 calls really overlap), pauses until the audio is over plus
half a second, and sends BYE.
Ours: one ``sip://`` service, N agent connections in N channels (one call per connection:
the request-URI user names the channel), each listening with VAD on and every 10 ms frame
to Python (``dispatch="queued"``). Per call the benchmark counts
  * missing frames: 708 per play expected (236 x 30 ms) minus the frames the observer received,
  * late frames: frame k received more than ``--late-ms`` after its slot, where the slots
    are 10 ms apart from the earliest anchor the call's frames allow (the best cadence
    that call had),
  * where the lateness comes from: the same measure on the times the playout pulled each
    frame (``frame.send_time_us``, stamped by the C receive side: pull_late, pull_late_p99_ms),
    and the delay from that pull to the observer call (the native queue, the dispatcher thread,
    the GIL: delay_p50/p99/max_ms), and of that the longest wait in each call's native queue
    (its ``peak_backlog_ms``: p50 over the calls and the max),
and SIPp measures each call's set-up time (INVITE sent -> 200 OK received). To tell a start-up
cost from a busy machine it also prints the late frames and late pulls per second of the run and
this process's page faults while the calls ran (major: read from disk, minor: memory touched first).
The baseline, in the same run: SIPp's built-in answerer (``-sn uas``) taking the same N
calls with the same RTP played at it (a SIP answerer that does nothing with the media):
set-up times side by side, the ratio of the means.

Prints a table, saves benchmarks/results/NAME.json (default sip_calls.json).

Run:  python benchmarks/bench_sip_calls.py [--calls 50,100] [--rate 50] [--late-ms 20] [--plays 1] [--name sip_calls]
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import print_table, save  # noqa: E402
from _sipp import call_scenario, free_udp_port, run_calls  # noqa: E402
from bench_sip import summary  # noqa: E402

import agora_rtc as ar  # noqa: E402

SIPP_PCAP = "/usr/share/sip-tester/g711a.pcap"
PACKET_MS = 30                      # g711a.pcap: 30 ms packets, played as they are
RATE = 16000

class CallFrames(ar.IAudioFrameObserver):
    """One observer for every connection: receipt times (monotonic ns), VAD states and
    the loudest frame (the engine's rms label) per channel (one call per channel).

    It does as little as an app that hands each frame on would: a channel's frames
    come from one dispatcher thread, so its record needs no lock, and the level is the
    label the engine computed, not numpy over the samples (np.frombuffer + abs().max()
    per 10 ms frame cost ~25 us: at 500 calls, 50,000 frames a second, more than a core
    of the benchmark's own work on top of what it measures)."""

    def __init__(self):
        self.calls = {}            # channel -> [times, {state: frames}, loudest rms, pull times]

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad,
                                              _now=time.monotonic_ns):
        now = _now()
        rec = self.calls.get(channel_id)
        if rec is None:
            rec = self.calls[channel_id] = [[], {}, 0, []]
        rec[0].append(now)
        rec[3].append(frame.send_time_us)     # when the playout pulled it (the same clock, us)
        rec[1][state] = rec[1].get(state, 0) + 1
        if frame.rms > rec[2]:
            rec[2] = frame.rms
        return 1

    def summary(self):
        """(times per channel, speech frames per channel, frames per VAD state, loudest rms,
        playout pull times per channel in ns)."""
        calls = dict(self.calls)
        times = {ch: list(r[0]) for ch, r in calls.items()}
        pulls = {ch: [us * 1000 for us in r[3]] for ch, r in calls.items()}
        speech = {ch: sum(n for st, n in r[1].items() if st in (1, 2, 3)) for ch, r in calls.items()}
        states = {}
        for r in calls.values():
            for st, n in list(r[1].items()):
                states[st] = states.get(st, 0) + n
        return times, speech, states, max((r[2] for r in calls.values()), default=0), pulls


def pcap_packets(path: str) -> int:
    """The number of packets in a pcap (its records after the 24-byte file header)."""
    with open(path, "rb") as f:
        data = f.read()
    off, n = 24, 0
    while off + 16 <= len(data):
        off += 16 + struct.unpack_from("<I", data, off + 8)[0]
        n += 1
    return n


def lateness_ms(times_ns: list) -> np.ndarray:
    """How long after its 10 ms slot each frame arrived; the slots start at the
    earliest anchor the frames allow (min over k of t_k - k x 10 ms)."""
    t = np.asarray(times_ns, dtype=np.float64) / 1e6
    late = t - np.arange(t.size) * 10.0
    return late - float(np.min(late))


def pull_lateness_ms(pulls_ns: list) -> np.ndarray:
    """lateness_ms on the playout's pull stamps; a frame stamped 0 (no stamp) is left out."""
    t = np.asarray(pulls_ns, dtype=np.float64) / 1e6
    late = t - np.arange(t.size) * 10.0
    late = late[t > 0]
    return late - float(np.min(late)) if late.size else late


def late_by_second(times: dict, pulls: dict, late_ms: float, n: int, which: str) -> list:
    """Late frames per second of the run (from the first frame received): when in the run
    the lateness happened (a start-up cost shows at the start, a busy machine anywhere).
    which: "receipt" (the observer call) or "pull" (the playout's pull)."""
    starts = [v[0] for v in times.values() if v]
    if not starts:
        return []
    t0 = min(starts)
    counts = {}
    for i in range(n):
        t = times.get(f"ch{i}", [])
        if not t:
            continue
        if which == "pull":
            p = np.asarray(pulls.get(f"ch{i}", []), dtype=np.float64)
            stamped = p > 0
            late = pull_lateness_ms(list(p)) > late_ms
            at = np.asarray(t, dtype=np.float64)[stamped][late]
        else:
            at = np.asarray(t, dtype=np.float64)[lateness_ms(t) > late_ms]
        for sec in ((at - t0) // 1e9).astype(int):
            counts[int(sec)] = counts.get(int(sec), 0) + 1
    return [counts.get(k, 0) for k in range(max(counts) + 1)] if counts else []


def max_concurrent(spans: list) -> int:
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    cur = best = 0
    for _, d in edges:
        cur += d
        best = max(best, cur)
    return best


def run_uac(target_port: int, n: int, rate: int, workdir: str, name: str, pcap: str,
            packets: int, plays: int) -> list:
    """SIPp places n calls (channels ch0..ch<n-1>) at `rate` a second, all at once at
    most; returns the set-up times in ms."""
    run_dir = os.path.join(workdir, name)
    os.makedirs(run_dir, exist_ok=True)
    channels = os.path.join(run_dir, "channels.csv")
    with open(channels, "w") as f:
        f.write("SEQUENTIAL\n" + "".join(f"ch{i}\n" for i in range(n)))
    scenario = call_scenario("g711-call", callee="[field0]", payload_type=8, encoding="PCMA/8000",
                             play_pcap=pcap, plays=plays, play_ms=packets * PACKET_MS,
                             pause_ms=packets * PACKET_MS + 500)
    return run_calls(target_port, scenario, run_dir, name, n,
                     ["-inf", channels, "-mi", "127.0.0.1", "-l", str(n), "-r", str(rate),
                      "-timeout", "120s"], timeout=180)


def baseline(n: int, rate: int, work: str, pcap: str, packets: int, plays: int) -> dict:
    port = free_udp_port()
    uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-mi", "127.0.0.1",
                            "-p", str(port), "-nostdin"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        return summary(run_uac(port, n, rate, work, f"uas{n}", pcap, packets, plays))
    finally:
        uas.send_signal(signal.SIGTERM)
        try:
            uas.wait(timeout=10)
        except subprocess.TimeoutExpired:
            uas.kill()
            uas.wait()


def ours(n: int, rate: int, work: str, late_ms: float, pcap: str, packets: int, plays: int,
         dispatch_threads: int = 0) -> dict:
    expected = plays * packets * PACKET_MS // 10
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="bench-sip-calls", transport_url="sip://127.0.0.1:0",
                                                dispatch_threads=dispatch_threads))
    obs = CallFrames()
    conns = []
    try:
        for i in range(n):
            c = svc.create_rtc_connection(ar.RTCConnConfig())
            c.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, RATE)
            if c.register_audio_frame_observer(obs, enable_vad=1, vad_configure=ar.AudioVadConfigV2(),
                                               dispatch="queued") != 0:
                raise RuntimeError("register_audio_frame_observer failed")
            if c.connect("", f"ch{i}", "bot") != 0:
                raise RuntimeError(f"connect ch{i} failed")
            c.publish_audio()
            conns.append(c)
        cpu0, t0 = time.process_time(), time.monotonic()
        ru0 = resource.getrusage(resource.RUSAGE_SELF)
        setup = summary(run_uac(svc.sip.port, n, rate, work, f"agent{n}", pcap, packets, plays))
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu_pct = 100.0 * (time.process_time() - cpu0) / (time.monotonic() - t0)
        # page faults of this process while the calls ran: major ones read from disk
        # (code or files evicted from the page cache), minor ones map memory first touched
        faults = {"major": ru1.ru_majflt - ru0.ru_majflt, "minor": ru1.ru_minflt - ru0.ru_minflt,
                  "involuntary_switches": ru1.ru_nivcsw - ru0.ru_nivcsw}
        time.sleep(0.5)  # the dispatcher's last backlog
        times, speech, states, peak, pulls = obs.summary()
        # the longest any frame waited in each call's native queue (taken minus queued)
        queue_waits = [(c.get_audio_queue_stats() or {}).get("peak_backlog_ms", 0) for c in conns]
    finally:
        t_release = time.monotonic()
        for c in conns:
            c.release()
        svc.release()
        release_s = time.monotonic() - t_release
    per_call = []
    for i in range(n):
        t = times.get(f"ch{i}", [])
        p = pulls.get(f"ch{i}", [])
        per_call.append({"received": len(t), "missing": max(0, expected - len(t)),
                         "lateness": lateness_ms(t) if t else np.zeros(0),
                         # the same measure on the playout's pull times: how late the C side was
                         "pull_lateness": pull_lateness_ms(p),
                         "unstamped": sum(1 for x in p if x == 0),
                         # pull -> observer call: the receive threads, the native queue, the
                         # dispatcher, the GIL
                         "dispatch_delay": ((np.asarray(t, dtype=np.float64) - np.asarray(p, dtype=np.float64)) / 1e6)[
                             np.asarray(p, dtype=np.float64) > 0] if t else np.zeros(0),
                         "speech_frames": speech.get(f"ch{i}", 0),
                         "span": (t[0], t[-1]) if t else None})
    for c in per_call:
        c["late"] = int(np.count_nonzero(c["lateness"] > late_ms))
    lateness = np.concatenate([c["lateness"] for c in per_call])
    pull_lateness = np.concatenate([c["pull_lateness"] for c in per_call])
    delay = np.concatenate([c["dispatch_delay"] for c in per_call])
    spans = [c["span"] for c in per_call if c["span"]]
    return {"setup": setup, "faults": faults,
            "late_by_second": late_by_second(times, pulls, late_ms, n, "receipt"),
            "pull_late_by_second": late_by_second(times, pulls, late_ms, n, "pull"), "cpu_pct": cpu_pct, "release_s": release_s,
            "calls_with_audio": len(spans), "max_concurrent": max_concurrent(spans),
            "frames_expected": n * expected,
            "frames_received": sum(c["received"] for c in per_call),
            "missing": sum(c["missing"] for c in per_call),
            "late": sum(c["late"] for c in per_call),
            "lateness_p99_ms": float(np.percentile(lateness, 99)) if lateness.size else None,
            "lateness_max_ms": float(lateness.max()) if lateness.size else None,
            "pull_late": int(np.count_nonzero(pull_lateness > late_ms)),
            "pull_unstamped": sum(c["unstamped"] for c in per_call),
            "queue_wait_peak_p50_ms": float(np.percentile(queue_waits, 50)) if queue_waits else None,
            "queue_wait_peak_max_ms": float(max(queue_waits)) if queue_waits else None,
            "pull_lateness_p99_ms": float(np.percentile(pull_lateness, 99)) if pull_lateness.size else None,
            "dispatch_delay_p50_ms": float(np.percentile(delay, 50)) if delay.size else None,
            "dispatch_delay_p99_ms": float(np.percentile(delay, 99)) if delay.size else None,
            "dispatch_delay_max_ms": float(delay.max()) if delay.size else None,
            "calls_missing_frames": sum(1 for c in per_call if c["missing"]),
            "calls_late_frames": sum(1 for c in per_call if c["late"]),
            "speech_frames": sum(c["speech_frames"] for c in per_call), "vad_states": states,
            "peak_rms": peak}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", default="50,100", help="comma-separated call counts")
    parser.add_argument("--rate", type=int, default=50, help="calls started per second at most")
    parser.add_argument("--late-ms", type=float, default=20.0)
    parser.add_argument("--plays", type=int, default=1, help="times each call plays the pcap in a row")
    parser.add_argument("--name", default="sip_calls", help="results/NAME.json")
    parser.add_argument("--dispatch-threads", type=int, default=0,
                        help="AgoraServiceConfig.dispatch_threads (0: the default)")
    args = parser.parse_args(argv)
    if shutil.which("sipp") is None or not os.path.exists(SIPP_PCAP):
        print("SIPp (Debian sip-tester, with its g711a.pcap) is not installed", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="bench_sip_calls_")
    pcap = SIPP_PCAP
    packets = pcap_packets(pcap)
    rows = []
    try:
        for n in [int(x) for x in args.calls.split(",")]:
            base = baseline(n, args.rate, work, pcap, packets, args.plays)
            r = ours(n, args.rate, work, args.late_ms, pcap, packets, args.plays, args.dispatch_threads)
            s = r["setup"]
            rows.append({
                "calls": n, "concurrent": r["max_concurrent"], "with_audio": r["calls_with_audio"],
                "frames": f"{r['frames_received']}/{r['frames_expected']}",
                "missing": r["missing"], "late": r["late"],
                "late_p99_ms": round(r["lateness_p99_ms"], 1), "late_max_ms": round(r["lateness_max_ms"], 1),
                "calls_missing": r["calls_missing_frames"], "calls_late": r["calls_late_frames"],
                "pull_late": r["pull_late"], "pull_late_p99_ms": round(r["pull_lateness_p99_ms"], 1),
                "delay_p50_ms": round(r["dispatch_delay_p50_ms"], 2),
                "delay_p99_ms": round(r["dispatch_delay_p99_ms"], 1),
                "delay_max_ms": round(r["dispatch_delay_max_ms"], 1),
                "queue_peak_p50_ms": r["queue_wait_peak_p50_ms"], "queue_peak_max_ms": r["queue_wait_peak_max_ms"],
                "vad_speech_frames": r["speech_frames"], "cpu_pct": round(r["cpu_pct"], 1),
                "setup_mean_ms": round(s["mean_ms"], 2), "setup_p99_ms": round(s["p99_ms"], 2),
                "sipp_uas_mean_ms": round(base["mean_ms"], 2), "sipp_uas_p99_ms": round(base["p99_ms"], 2),
                "setup_ratio": round(s["mean_ms"] / base["mean_ms"], 2) if base["mean_ms"] > 0 else "n/a",
                "release_s": round(r["release_s"], 2),
                "major_faults": r["faults"]["major"], "minor_faults": r["faults"]["minor"],
                "detail": r, "baseline": base})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()[0]
    title = (f"Concurrent G.711 (PCMA) calls from SIPp with RTP, {args.plays * packets * PACKET_MS // 10} "
             f"frames per call, "
             f"every frame to Python with VAD; late = > {args.late_ms:.0f} ms after its slot "
             f"(load average {load:.1f}; SIPp measures whole ms)")
    cols = ["calls", "concurrent", "frames", "missing", "late", "late_p99_ms", "late_max_ms",
            "calls_missing", "calls_late", "pull_late", "pull_late_p99_ms", "delay_p50_ms", "delay_p99_ms",
            "delay_max_ms", "queue_peak_p50_ms", "queue_peak_max_ms",
            "cpu_pct", "setup_mean_ms", "setup_p99_ms", "sipp_uas_mean_ms", "sipp_uas_p99_ms",
            "setup_ratio", "release_s", "major_faults", "minor_faults"]
    print_table(title, cols, [[r[c] for c in cols] for r in rows])
    for r in rows:
        print(f"{r['calls']} calls, late frames per second of the run (receipt): {r['detail']['late_by_second']}")
        print(f"{r['calls']} calls, late pulls per second of the run: {r['detail']['pull_late_by_second']}")
    save(args.name, {"rate": args.rate, "late_ms": args.late_ms, "plays": args.plays,
                       "dispatch_threads": args.dispatch_threads, "load_average_1min": load,
                            "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
