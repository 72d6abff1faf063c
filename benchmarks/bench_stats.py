"""Cost of the statistics ticks (on_transport_stats + audio track statistics).

N connections in channels of two on the local network, every sender pushing a
continuous tone, observers registered on all of them. Three phases in the same
run, each measuring process CPU over the same wall-clock window:

* ``off``: stats interval 60 s (no tick in the window): the baseline.
* ``tick only``: 100 ms interval, observers that do not override the stats
  callbacks (the engine ticks, the connection gathers nothing).
* ``stats``: 100 ms interval, observers overriding on_transport_stats,
  on_local_audio_track_statistics and on_remote_audio_track_statistics
  (counters gathered on the I/O thread, /proc read, dataclasses built).

Reported: process CPU (ms per second of wall time) and the extra CPU per
connection-tick against ``off``. The machine is shared (2 cores, several
agents): expect noise; compare the ratios within one run.

    python benchmarks/bench_stats.py [--quick]
"""
import argparse
import os
import sys
import threading
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import agora_rtc as ar  # noqa: E402
from _report import print_table, save  # noqa: E402


class Plain(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    def __init__(self):
        self.ticks = 0
        self.connected = threading.Event()

    def on_connected(self, conn, info, reason):
        self.connected.set()


class Counting(Plain):
    def on_transport_stats(self, conn, stats):
        self.ticks += 1

    def on_local_audio_track_statistics(self, lu, stats):
        pass

    def on_remote_audio_track_statistics(self, lu, track, stats):
        pass


def run(n, window):
    tone = (3000 * np.sin(np.arange(16000 * 60) * 2 * np.pi * 300 / 16000)).astype(np.int16)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="bench")) as svc:
        params = svc.get_agora_parameter()
        conns, observers = [], []
        for i in range(n):
            conn = svc.create_rtc_connection(ar.RTCConnConfig())
            obs = Plain()
            conn.register_observer(obs)
            conn.register_local_user_observer(obs)
            conn.register_audio_frame_observer(obs)
            assert conn.connect("", f"room{i // 2}", f"u{i}") == 0
            conns.append(conn)
            observers.append(obs)
        for obs in observers:
            assert obs.connected.wait(20)
        for conn in conns:
            conn.publish_audio()
            conn.push_audio_pcm_data(tone, 16000)

        def measure(interval_ms, observer_cls):
            assert params.set_int("agora_rtc.stats_interval_ms", interval_ms) == 0
            obs_list = []
            for conn in conns:
                obs = observer_cls()
                conn.register_observer(obs)
                conn.register_local_user_observer(obs)
                obs_list.append(obs)
            time.sleep(0.5)  # settle
            ticks0 = sum(o.ticks for o in obs_list)
            c0, w0 = time.process_time(), time.monotonic()
            time.sleep(window)
            c1, w1 = time.process_time(), time.monotonic()
            ticks = sum(o.ticks for o in obs_list) - ticks0
            return (c1 - c0) * 1000 / (w1 - w0), ticks, w1 - w0

        off = measure(60000, Counting)
        tick_only = measure(100, Plain)
        stats = measure(100, Counting)
        for conn in conns:
            conn.release()
    return off, tick_only, stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="40 connections, 2 s windows")
    args = ap.parse_args()
    n, window = (40, 2.0) if args.quick else (200, 5.0)
    off, tick_only, stats = run(n, window)
    expected_ticks = n * window / 0.1
    rows = []
    for name, (cpu, ticks, wall) in (("off (baseline)", off), ("tick only", tick_only), ("stats", stats)):
        per_tick = (cpu - off[0]) * wall / 1000 / (n * wall / 0.1) * 1e6 if name != "off (baseline)" else 0.0
        rows.append([name, cpu, cpu / off[0] if off[0] else float("nan"), ticks, per_tick])
    print_table(f"statistics ticks, {n} connections, 100 ms interval, {window:.0f} s windows",
                ["phase", "process CPU ms/s", "ratio vs off", "on_transport_stats calls",
                 "extra CPU us per connection-tick"], rows)
    save("bench_stats" + ("_quick" if args.quick else ""), {
        "connections": n, "window_s": window, "interval_ms": 100,
        "expected_ticks_per_phase": expected_ticks,
        "phases": {r[0]: {"cpu_ms_per_s": r[1], "ratio_vs_off": r[2], "transport_stats_calls": r[3],
                          "extra_us_per_connection_tick": r[4]} for r in rows}})


if __name__ == "__main__":
    main()
