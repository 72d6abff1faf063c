"""Fleet dispatch: time from dispatch to the agent joined and hearing its room (p50/p99),
jobs started per second, sessions and CPU per worker, for the same rooms on 1, 2 and 3
worker processes (a private redis-server and two private Janus servers on loopback).

Baseline in the same run: the same agent started directly in this process (no Redis, no
worker): connect call to joined / to hearing the room.

    python benchmarks/bench_fleet.py            # 200 rooms on 1, 2, 3 workers
    python benchmarks/bench_fleet.py --quick    # 20 rooms on 1 and 2 workers
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import numpy as np

import agora_rtc as ar
from agora_rtc.fleet import Dispatcher, RedisServer
from agora_rtc.janus import JanusServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


class Joined(ar.IRTCConnectionObserver):
    def __init__(self):
        self.connected = threading.Event()

    def on_connected(self, conn, info, reason):
        self.connected.set()


def humans(services, d, rooms, seconds):
    """One talking human per room, on the Janus server the room is placed on."""
    out = []
    for room in rooms:
        svc = services[d.place(room)]
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        obs = Joined()
        conn.register_observer(obs)
        conn.connect("", room, "human-" + room)
        out.append((conn, obs))
    for conn, obs in out:
        if not obs.connected.wait(60):
            raise RuntimeError("a human could not join")
        conn.publish_audio()
        conn.push_audio_pcm_data(tone(seconds), 16000, 1)
    return [c for c, _ in out]


def leave(conns):
    for c in conns:
        c.disconnect()
        c.release()


def fleet_run(rs, urls, services, rooms_n, n_workers, timeout):
    ns = "b" + uuid.uuid4().hex[:8]
    d = Dispatcher(rs.url, namespace=ns)
    for name, url in urls.items():
        d.add_janus(name, url)
    procs = [subprocess.Popen(
        [sys.executable, "-m", "agora_rtc.fleet", "--redis", rs.url, "--namespace", ns,
         "--log-level", "WARNING", "worker", "fleet_bench_agent:entry", "--capacity",
         str(rooms_n), "--id", f"w{i}", "--drain-timeout", "0"], cwd=HERE) for i in range(n_workers)]
    try:
        while len(d.workers()) < n_workers:
            time.sleep(0.05)
        rooms = [f"{ns}-{i}" for i in range(rooms_n)]
        conns = humans(services, d, rooms, timeout + 30)
        jobs = [d.dispatch(room) for room in rooms]
        deadline = time.monotonic() + timeout
        got = {}
        while len(got) < rooms_n and time.monotonic() < deadline:
            for room in rooms:
                if room not in got:
                    h = d.r.hgetall(f"{ns}:bench:{room}")
                    if b"heard" in h:
                        got[room] = {k.decode(): v.decode() for k, v in h.items()}
            time.sleep(0.05)
        infos = [d.job(j) for j in jobs]
        workers = d.workers()
        leave(conns)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        d.close()
    disp = {i["room"]: float(i["dispatched_at"]) for i in infos}
    joined = [1000 * (float(g["joined"]) - disp[r]) for r, g in got.items()]
    heard = [1000 * (float(g["heard"]) - disp[r]) for r, g in got.items()]
    started = [float(i["started_at"]) for i in infos if "started_at" in i]
    span = (max(started) - min(disp.values())) if started else float("nan")
    return {"workers": n_workers, "rooms": rooms_n, "heard_rooms": len(got),
            "joined_ms": joined, "heard_ms": heard,
            "jobs_started_per_s": len(started) / span if span > 0 else float("nan"),
            "sessions_per_worker": sorted(int(w["sessions"]) for w in workers),
            "cpu_per_worker": sorted(float(w["cpu"]) for w in workers)}


def baseline_run(services, d, rooms_n, timeout):
    """The same agent joined directly from this process: connect call to joined / heard."""
    ns = "base" + uuid.uuid4().hex[:6]
    rooms = [f"{ns}-{i}" for i in range(rooms_n)]
    conns = humans(services, d, rooms, timeout + 30)
    agents, joined, heard = [], [], []

    class Agent(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
        def __init__(self, t0):
            self.t0, self.heard = t0, False

        def on_connected(self, conn, info, reason):
            joined.append(1000 * (time.time() - self.t0))

        def on_playback_audio_frame_before_mixing(self, lu, ch, uid, frame, st, vb):
            if not self.heard and uid.startswith("human") and frame.rms > 50:
                self.heard = True
                heard.append(1000 * (time.time() - self.t0))

    for room in rooms:
        svc = services[d.place(room)]
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        a = Agent(time.time())
        conn.register_observer(a)
        conn.register_audio_frame_observer(a)
        conn.connect("", room, "agent-direct")
        agents.append((conn, a))
    deadline = time.monotonic() + timeout
    while len(heard) < rooms_n and time.monotonic() < deadline:
        time.sleep(0.05)
    leave([c for c, _ in agents])
    leave(conns)
    return {"rooms": rooms_n, "heard_rooms": len(heard), "joined_ms": joined, "heard_ms": heard}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20 rooms on 1 and 2 workers")
    ap.add_argument("--rooms", type=int, default=None)
    ap.add_argument("--workers", default=None, help="comma-separated worker counts")
    ap.add_argument("--timeout", type=float, default=120.0)
    a = ap.parse_args(argv)
    rooms_n = a.rooms or (20 if a.quick else 200)
    counts = [int(x) for x in (a.workers or ("1,2" if a.quick else "1,2,3")).split(",")]
    data = {"rooms": rooms_n, "fleet": [], "baseline": None}
    with RedisServer() as rs, JanusServer() as j1, JanusServer() as j2:
        urls = {"j1": f"{j1.transport_url}?admin_key={j1.admin_key}",
                "j2": f"{j2.transport_url}?admin_key={j2.admin_key}"}
        services = {n: ar.AgoraService(ar.AgoraServiceConfig(appid="bench", transport_url=u))
                    for n, u in urls.items()}
        try:
            for n in counts:
                data["fleet"].append(fleet_run(rs, urls, services, rooms_n, n, a.timeout))
            d = Dispatcher(rs.url, namespace="base" + uuid.uuid4().hex[:6])
            for name, url in urls.items():
                d.add_janus(name, url)
            data["baseline"] = baseline_run(services, d, rooms_n, a.timeout)
            d.close()
        finally:
            for s in services.values():
                s.release()
    p = _report.percentile
    rows = []
    for r in data["fleet"]:
        rows.append([f"fleet, {r['workers']} worker(s)", f"{r['heard_rooms']}/{r['rooms']}",
                     p(r["joined_ms"], 50), p(r["joined_ms"], 99), p(r["heard_ms"], 50),
                     p(r["heard_ms"], 99), r["jobs_started_per_s"],
                     " ".join(map(str, r["sessions_per_worker"])),
                     " ".join(f"{c:.0f}" for c in r["cpu_per_worker"])])
    b = data["baseline"]
    rows.append(["direct (baseline)", f"{b['heard_rooms']}/{b['rooms']}", p(b["joined_ms"], 50),
                 p(b["joined_ms"], 99), p(b["heard_ms"], 50), p(b["heard_ms"], 99), "", "", ""])
    _report.print_table(f"dispatch to agent joined / hearing its room, {rooms_n} rooms on two Janus servers",
                        ["run", "heard", "joined p50 ms", "joined p99 ms", "heard p50 ms",
                         "heard p99 ms", "jobs started/s", "sessions per worker", "CPU % per worker"],
                        rows)
    _report.save("fleet_quick" if a.quick else "fleet", data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
