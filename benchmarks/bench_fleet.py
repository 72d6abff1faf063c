"""Fleet dispatch: time from dispatch to the agent joined and hearing its room (p50/p99),
jobs started per second, sessions and CPU per worker, for the same rooms on 1, 2 and 3
worker processes (a private redis-server and two private Janus servers on loopback).

Baseline in the same run: the same agent started directly in this process (no Redis, no
worker): connect call to joined / to hearing the room.

    python benchmarks/bench_fleet.py            # 200 rooms on 1, 2, 3 workers
    python benchmarks/bench_fleet.py --quick    # 20 rooms on 1 and 2 workers

With ``--chaos N`` (quick: 100, else 1000) it also makes N dispatches of short sessions
(0.3 to 1.5 s; one in five a duplicate for a room already asked for) over 20 rooms and 3
workers while a random worker is killed with SIGKILL every 2 s and replaced, and checks from
the agents' own records (start after taking the room, end after leaving it; a killed agent's
span ends at its kill) that no room ever had two agents at once, and that every job ended.
"""
from __future__ import annotations

import argparse
import os
import random
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


def chaos_run(rs, urls, n_dispatch, timeout, n_workers=3, n_rooms=20, kill_every=2.0, seed=1):
    rng = random.Random(seed)
    ns = "c" + uuid.uuid4().hex[:8]
    d = Dispatcher(rs.url, namespace=ns)
    for name, url in urls.items():
        d.add_janus(name, url)
    procs, killed_at, serial = {}, {}, [0]

    def start_worker():
        wid = f"c{serial[0]}"
        serial[0] += 1
        procs[wid] = subprocess.Popen(
            [sys.executable, "-m", "agora_rtc.fleet", "--redis", rs.url, "--namespace", ns,
             "--log-level", "ERROR", "worker", "fleet_bench_agent:short_session", "--capacity",
             str(n_rooms), "--id", wid, "--drain-timeout", "0"], cwd=HERE,
            stdout=subprocess.DEVNULL)
    for _ in range(n_workers):
        start_worker()
    rooms = [f"{ns}-{i}" for i in range(n_rooms)]
    jobs, active = [], {}
    t_end = time.monotonic() + timeout
    next_kill = time.monotonic() + kill_every
    try:
        while len(d.workers()) < n_workers:
            time.sleep(0.05)
        while time.monotonic() < t_end:
            for room in rooms:
                if len(jobs) >= n_dispatch:
                    break
                if all(d.job(j).get("state") in ("done", "failed", "refused")
                       for j in active.get(room, [])):
                    active[room] = [d.dispatch(room, {"seconds": rng.uniform(0.3, 1.5)})]
                    if rng.random() < 0.2 and len(jobs) + 1 < n_dispatch:
                        active[room].append(d.dispatch(room, {"seconds": 1.0}))   # a duplicate
                    jobs.extend(active[room])
            if time.monotonic() >= next_kill:
                next_kill += kill_every
                live = [w for w, p in procs.items() if p.poll() is None]
                victim = rng.choice(live)
                procs[victim].kill()
                procs[victim].wait()
                killed_at[victim] = time.time()
                start_worker()
            if len(jobs) >= n_dispatch and all(
                    d.job(j).get("state") in ("done", "failed", "refused") for j in jobs):
                break
            time.sleep(0.05)
        states = [d.job(j).get("state", "?") for j in jobs]
        reasons = {}
        for j in jobs:
            why = d.job(j).get("reason", "")
            if why:
                why = why.split(" (job")[0].split(" by worker")[0]
                reasons[why] = reasons.get(why, 0) + 1
        pending = {_p["message_id"].decode(): _p["consumer"].decode() for _p in
                   d.r.xpending_range(f"{ns}:jobs", "workers", "-", "+", 1000)}
        unfinished = [{"job": j, **d.job(j), "pending_with": pending.get(j)} for j in jobs
                      if d.job(j).get("state") not in ("done", "failed", "refused")]
        overlaps, spans_n = 0, 0
        for room in rooms:
            opened, intervals = {}, []
            for v in d.r.lrange(f"{ns}:bench:spans:{room}", 0, -1):
                kind, wid, job, t = v.decode().split(" ")
                if kind == "start":
                    opened[(wid, job)] = float(t)
                else:
                    intervals.append((opened.pop((wid, job)), float(t)))
            for (wid, _job), t0 in opened.items():      # killed (or still running) agents
                intervals.append((t0, killed_at.get(wid, float("inf"))))
            intervals.sort()
            spans_n += len(intervals)
            overlaps += sum(1 for a, b in zip(intervals, intervals[1:]) if b[0] < a[1])
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
            p.wait()
        d.close()
    return {"dispatches": len(jobs), "kills": len(killed_at), "sessions": spans_n,
            "overlaps": overlaps, "states": {s: states.count(s) for s in sorted(set(states))},
            "reasons": reasons, "unfinished": unfinished, "live_workers": sorted(w for w, p in procs.items() if w not in killed_at)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20 rooms on 1 and 2 workers")
    ap.add_argument("--rooms", type=int, default=None)
    ap.add_argument("--workers", default=None, help="comma-separated worker counts")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--chaos", type=int, default=None, help="dispatches with random kills")
    ap.add_argument("--skip-latency", action="store_true")
    a = ap.parse_args(argv)
    rooms_n = a.rooms or (20 if a.quick else 200)
    counts = [int(x) for x in (a.workers or ("1,2" if a.quick else "1,2,3")).split(",")]
    chaos_n = a.chaos if a.chaos is not None else (100 if a.quick else 1000)
    data = {"rooms": rooms_n, "fleet": [], "baseline": None, "chaos": None}
    with RedisServer() as rs, JanusServer() as j1, JanusServer() as j2:
        urls = {"j1": f"{j1.transport_url}?admin_key={j1.admin_key}",
                "j2": f"{j2.transport_url}?admin_key={j2.admin_key}"}
        services = {n: ar.AgoraService(ar.AgoraServiceConfig(appid="bench", transport_url=u))
                    for n, u in urls.items()}
        try:
            if not a.skip_latency:
                for n in counts:
                    data["fleet"].append(fleet_run(rs, urls, services, rooms_n, n, a.timeout))
                d = Dispatcher(rs.url, namespace="base" + uuid.uuid4().hex[:6])
                for name, url in urls.items():
                    d.add_janus(name, url)
                data["baseline"] = baseline_run(services, d, rooms_n, a.timeout)
                d.close()
            if chaos_n:
                data["chaos"] = chaos_run(rs, urls, chaos_n, max(a.timeout, chaos_n * 0.5))
        finally:
            for s in services.values():
                s.release()
    if data["chaos"]:
        c = data["chaos"]
        _report.print_table("random kills: no room served twice", ["dispatches", "kills", "sessions",
                            "rooms served twice at once", "job states"],
                            [[c["dispatches"], c["kills"], c["sessions"], c["overlaps"],
                              " ".join(f"{k} {v}" for k, v in c["states"].items())]])
    if a.skip_latency:
        _report.save("fleet_chaos", data)
        return 0
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
