"""SIP call set-up time: INVITE sent -> 200 OK received, measured by SIPp (Debian
``sip-tester``) over loopback for N sequential calls answered by the agent (a
``sip://`` service, the connection of the called channel answering with its RTP
socket), against SIPp's built-in UAS answering the same scenario in the same run
(the baseline: a SIP answerer doing nothing else). Each call is INVITE with a G.711
offer, 180, 200, ACK, a short pause, BYE. Prints a table, saves
benchmarks/results/sip_call_setup.json.

Run:  python benchmarks/bench_sip.py [--calls N] [--rate R]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _sipp import call_scenario, free_udp_port, run_calls  # noqa: E402

import agora_rtc as ar  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")

SCENARIO = call_scenario("call-setup", repartition="1, 2, 5, 10, 20, 50, 100")


def run_uac(target_port: int, calls: int, rate: int, workdir: str, name: str) -> list:
    """SIPp as the caller: `calls` calls one at a time (-l 1) at most `rate` per second;
    returns the set-up times in ms (from SIPp's per-call rtd trace)."""
    return run_calls(target_port, SCENARIO, os.path.join(workdir, name), name, calls,
                     ["-s", "agent", "-l", "1", "-r", str(rate), "-timeout", "300s"], timeout=400)


def summary(times: list) -> dict:
    x = np.asarray(times)
    return {"calls": int(x.size), "p50_ms": float(np.percentile(x, 50)),
            "p99_ms": float(np.percentile(x, 99)), "max_ms": float(x.max()),
            "mean_ms": float(x.mean())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rate", type=int, default=20, help="calls started per second at most")
    args = parser.parse_args(argv)
    if shutil.which("sipp") is None:
        print("SIPp (Debian sip-tester) is not installed", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="bench_sip_")
    rows = {}
    # the baseline: SIPp's built-in UAS
    port = free_udp_port()
    uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(port), "-nostdin"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.0)
        rows["sipp_uas"] = summary(run_uac(port, args.calls, args.rate, work, "uas"))
    finally:
        uas.send_signal(signal.SIGTERM)
        try:
            uas.wait(timeout=10)
        except subprocess.TimeoutExpired:
            uas.kill()
            uas.wait()
    # ours: the agent answering every call on its connection (RTP socket, codec, stream)
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="bench-sip", transport_url="sip://127.0.0.1:0"))
    try:
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        conn.connect("", "agent", "bot")
        conn.publish_audio()
        rows["agora_rtc"] = summary(run_uac(svc.sip.port, args.calls, args.rate, work, "agent"))
        conn.release()
    finally:
        svc.release()
    shutil.rmtree(work, ignore_errors=True)
    # SIPp times in whole milliseconds: the mean carries the resolution the ratio needs
    base = rows["sipp_uas"]
    for r in rows.values():
        r["mean_ratio_to_baseline"] = r["mean_ms"] / base["mean_ms"] if base["mean_ms"] > 0 else None
    rows_load = os.getloadavg()[0]
    print(f"SIP call set-up (INVITE sent -> 200 OK received), {args.calls} sequential calls on loopback"
          f" (load average {rows_load:.1f}; SIPp measures whole ms)")
    print(f"{'answerer':<12}{'calls':>7}{'mean ms':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'mean / baseline':>17}")
    for name, r in rows.items():
        ratio = r["mean_ratio_to_baseline"]
        shown = "n/a" if ratio is None else f"{ratio:.2f}"
        print(f"{name:<12}{r['calls']:>7}{r['mean_ms']:>9.2f}{r['p50_ms']:>9.2f}{r['p99_ms']:>9.2f}"
              f"{r['max_ms']:>9.2f}{shown:>17}")
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "sip_call_setup.json"), "w") as f:
        json.dump({"calls": args.calls, "rate": args.rate, "load_average_1min": rows_load,
                   "rows": rows}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
