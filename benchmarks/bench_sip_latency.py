"""Mouth-to-ear through a phone call, against the local transport in the same run.

Two ``sip://`` services in this process on loopback: agent A (``dial=allow``) dials
agent B's channel; B answers (the codec both offer first: G.722, 20 ms packets). A
pushes a 100 ms 1 kHz tone after silence (its send queue empty, B heard nothing loud
for 300 ms); B's observer stamps the first loud frame from the caller. Latency = stamp
- push call, p50/p99 over ``--onsets`` tones: our pacing, the G.722 encoder, RTP over
loopback, B's jitter buffer and decoder, and the delivery to Python. Baseline: the same
tones on the local (in-process) transport (bench_janus.measure_latency): the difference
is what a call adds. B's jitter buffer target and delay at the end are reported.

Prints a table (with B's lost and concealed counts: a clean path loses nothing), saves
benchmarks/results/sip_latency.json (or --out NAME).

Run:  python benchmarks/bench_sip_latency.py [--onsets 40] [--out NAME]
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402
from _agent_call import agent_to_agent_call  # noqa: E402
from bench_janus import OnsetObserver, measure_latency, push_tones  # noqa: E402



class CallerEar(OnsetObserver):
    """B's observer: the caller is whoever joins B's channel first."""

    def __init__(self):
        super().__init__(talker="")
        self._first = threading.Lock()

    def on_user_joined(self, conn, uid):
        with self._first:
            if not self.talker:
                self.talker = uid
        super().on_user_joined(conn, uid)


def measure_call(onsets: int) -> dict:
    ear = CallerEar()
    with agent_to_agent_call(ear) as (a, b, call):
        time.sleep(0.5)
        lat = push_tones(a, ear, onsets)
        st = b._rtp_stats()
        jb = {k: st[k] for k in ("target_delay_ms", "current_delay_ms", "plc_frames", "lost", "late",
                                 "keepalives_received")}
        remotes, _ = b._remote_audio_stats()
        played = sum(r["packets_played"] for r in remotes)
        jb["mean_wait_ms"] = (sum(r["jitter_buffer_delay_sum_ms"] for r in remotes) / played
                              if played else float("nan"))
        codec = call.codec
        a.phone.hangup()
    return {"codec": codec, "onsets": onsets, "detected": len(lat), "p50_ms": _report.percentile(lat, 50),
            "p99_ms": _report.percentile(lat, 99), "max_ms": max(lat) if lat else float("nan"),
            "jitter_buffer": jb}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--onsets", type=int, default=40)
    p.add_argument("--out", default="sip_latency", help="results file name (benchmarks/results/NAME.json)")
    args = p.parse_args(argv)
    local = measure_latency("", args.onsets, "bench-sip-latency-local")
    call = measure_call(args.onsets)
    load = os.getloadavg()[0]
    rows = [["local (baseline)", "-", local["onsets"], local["detected"], local["p50_ms"], local["p99_ms"],
             local["max_ms"], "-", "-", "-", "-"],
            ["SIP call", call["codec"], call["onsets"], call["detected"], call["p50_ms"], call["p99_ms"],
             call["max_ms"], call["jitter_buffer"]["target_delay_ms"], call["jitter_buffer"]["current_delay_ms"],
             call["jitter_buffer"]["lost"], call["jitter_buffer"]["plc_frames"]]]
    _report.print_table(f"mouth-to-ear (push call -> first loud frame in the callee's observer; "
                        f"load average {load:.1f})",
                        ["path", "codec", "tones", "detected", "p50 ms", "p99 ms", "max ms", "jb target ms",
                         "jb delay ms", "lost", "plc"], rows)
    _report.save(args.out, {"local": local, "call": call, "load_average_1min": load,
                                 "added_p50_ms": call["p50_ms"] - local["p50_ms"],
                                 "ratio_p50": call["p50_ms"] / local["p50_ms"] if local["p50_ms"] else None})
    return 0


if __name__ == "__main__":
    sys.exit(main())
