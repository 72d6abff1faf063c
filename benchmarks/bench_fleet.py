"""Fleet dispatch: time from dispatch to the agent joined and hearing its room (p50/p99),
jobs started per second, sessions and CPU per worker, for the same rooms on 1, 2 and 3
worker processes (a private redis-server and two private Janus servers on loopback).

Baseline in the same run: the same agent started directly in this process (no Redis, no
worker): connect call to joined / to hearing the room.

Each worker count runs twice: dispatches paced at ``--rate`` rooms per second (20: people
arriving, what a fleet sees; the dispatch latency itself) and all at once (a burst: the
queueing of N jobs behind each other). While every room talks (``--hold`` s, in the paced
run) the CPU and threads of every process are sampled from /proc: this process (the humans
and the dispatcher), each worker, each Janus, redis-server; printed per room as well.

The humans are the load generator, not the fleet under test, so they should cost what
remote humans cost the agents' machine: their packets. One human per room, an agora_rtc
connection, pushes a 440 Hz tone that was Opus-encoded once (libopus, 1 s of 20 ms packets,
looped) with ``push_audio_encoded_data``: the engine paces the packets out and sends each as
it is, with no encoder per human. Measured at 40 rooms on one worker (session 10, 30 s of
talk): pushing PCM made every human an Opus encoder, 1.43 % of a core per human at
libopus's default complexity 10 (75 % of the humans' process was libopus, on the I/O
thread), 0.5 % at complexity 0: 200 humans alone needed 2.9 cores, more than this machine
has, so the agents could not keep up. Pre-encoded they cost 0.23-0.43 % per room here (20
to 200 rooms; mostly the feeder's Python calls and a decode per packet, which the engine
makes to keep the PCM); the agents receive exactly what they would from real people.

    python benchmarks/bench_fleet.py            # 200 rooms on 1, 2, 3 workers
    python benchmarks/bench_fleet.py --quick    # 20 rooms on 1 and 2 workers
    python benchmarks/bench_fleet.py --rooms 100 --chaos 0   # a size a busy machine holds
    python benchmarks/bench_fleet.py --skip-latency --failover 5 --chaos 1000 --save fleet_faults

With ``--failover N`` (quick: 2, else 5) it kills (SIGKILL) the worker serving a room of 12
talking rooms on 3 workers, N times, and measures from the kill to each of that worker's rooms
heard again by another worker's agent. The stages of each job's start (from the job hash and
the agent's records: wait in the stream, lease, room check, connect, joined, heard) are
printed and saved per run (``stages``), with each worker's longest heartbeat round.

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
from agora_rtc.fleet import keys as K
from agora_rtc.janus import JanusServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _report  # noqa: E402
from bench_opus_complexity import Opus, resample, to_int16  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def tone(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)


_TICKS = os.sysconf("SC_CLK_TCK")


def proc_cpu(pid: int) -> tuple:
    """(CPU seconds used so far, threads) of a process, from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS, int(fields[17])


def measure_cpu(pids: dict, seconds: float) -> dict:
    """CPU % (100 = one core) and threads of each named process over ``seconds``."""
    t0, before = time.monotonic(), {n: proc_cpu(p)[0] for n, p in pids.items()}
    time.sleep(seconds)
    span = time.monotonic() - t0
    out = {}
    for n, p in pids.items():
        used, threads = proc_cpu(p)
        out[n] = {"cpu_pct": 100 * (used - before[n]) / span, "threads": threads}
    return out


class Joined(ar.IRTCConnectionObserver):
    def __init__(self):
        self.connected = threading.Event()

    def on_connected(self, conn, info, reason):
        self.connected.set()


def encoded_tone(complexity: int) -> list:
    """1 s of the 440 Hz tone (a whole number of periods, so it loops without a click) as
    fifty 20 ms Opus packets, encoded once with libopus like the engine's sender would."""
    opus = Opus()
    enc = opus.encoder(complexity)
    tone48 = to_int16(resample(tone(1.0).astype(np.float64), 3))
    packets = opus.encode_all(enc, np.tile(tone48, 2))[50:]     # the second second: warmed up
    opus.lib.opus_encoder_destroy(enc)
    return packets


class Humans:
    """One talking human per room, on the Janus server the room is placed on.

    They push the tone pre-encoded (``push_audio_encoded_data``: the engine paces the
    packets out and sends each as it is), topped up by one feeder thread to LEAD_S
    ahead, so that on this machine a human costs about what a remote one costs the
    fleet: its packets (plus a decode per packet at push, which the engine does to
    keep the PCM), not an Opus encoder each."""

    LEAD_S = 2.0
    PACKET_S = 0.02

    def __init__(self, services, d, rooms, packets):
        self.packets, self.conns = packets, []
        self.info = ar.EncodedAudioFrameInfo(codec=ar.AudioCodecType.AUDIO_CODEC_OPUS,
                                             sample_rate=48000, samples_per_channel=960)
        joining = []
        for room in rooms:
            conn = services[d.place(room)].create_rtc_connection(ar.RTCConnConfig())
            obs = Joined()
            conn.register_observer(obs)
            conn.connect("", room, "human-" + room)
            joining.append((conn, obs))
        for conn, obs in joining:
            if not obs.connected.wait(60):
                raise RuntimeError("a human could not join")
            conn.publish_audio()
            self.conns.append(conn)
        self._stop = threading.Event()
        self._feeder = threading.Thread(target=self._feed, name="humans-feeder", daemon=True)
        self._feeder.start()

    def _feed(self):
        t0, sent = time.monotonic(), 0
        while not self._stop.is_set():
            due = int((time.monotonic() - t0 + self.LEAD_S) / self.PACKET_S)
            while sent < due:
                p = self.packets[sent % len(self.packets)]
                for c in self.conns:
                    if c.push_audio_encoded_data(p, self.info) != 0:
                        raise RuntimeError("push_audio_encoded_data refused a packet")
                sent += 1
            self._stop.wait(0.25)

    def leave(self):
        self._stop.set()
        self._feeder.join()
        leave(self.conns)


def leave(conns):
    for c in conns:
        c.disconnect()
        c.release()


def dispatch_all(d, rooms, rate):
    """Dispatch a job per room: all at once (rate None) or ``rate`` rooms per second."""
    jobs, t0 = [], time.monotonic()
    for i, room in enumerate(rooms):
        if rate:
            time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
        jobs.append(d.dispatch(room))
    return jobs


def wait_heard(d, ns, rooms, timeout):
    """The agents' own records (joined / heard times) of the rooms that heard their human."""
    deadline, got = time.monotonic() + timeout, {}
    while len(got) < len(rooms) and time.monotonic() < deadline:
        left = [r for r in rooms if r not in got]
        pipe = d.r.pipeline(transaction=False)
        for room in left:
            pipe.hgetall(f"{ns}:bench:{room}")
        for room, h in zip(left, pipe.execute()):
            if b"heard" in h and b"joined" in h:     # (first audio may come before on_connected)
                got[room] = {k.decode(): v.decode() for k, v in h.items()}
        time.sleep(0.1)
    return got


def fleet_run(rs, urls, services, packets, rooms_n, n_workers, rate, timeout, hold, server_pids):
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
        people = Humans(services, d, rooms, packets)
        jobs = dispatch_all(d, rooms, rate)
        got = wait_heard(d, ns, rooms, timeout)
        infos = [d.job(j) for j in jobs]
        workers = d.workers()
        cpu = {}
        if hold > 0:    # every room talking and heard: what each process costs
            cpu = measure_cpu({"bench (humans)": os.getpid(), **server_pids,
                               **{f"worker w{i}": p.pid for i, p in enumerate(procs)}}, hold)
        people.leave()
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
    stages = job_stages(jobs, infos, got)
    disp = {i["room"]: float(i["dispatched_at"]) for i in infos}
    joined = [1000 * (float(g["joined"]) - disp[r]) for r, g in got.items()]
    heard = [1000 * (float(g["heard"]) - disp[r]) for r, g in got.items()]
    started = [float(i["started_at"]) for i in infos if "started_at" in i]
    span = (max(started) - min(disp.values())) if started else float("nan")
    return {"workers": n_workers, "rooms": rooms_n, "heard_rooms": len(got),
            "dispatch": f"{rate:g}/s" if rate else "burst",
            "joined_ms": joined, "heard_ms": heard,
            "jobs_started_per_s": len(started) / span if span > 0 else float("nan"),
            "sessions_per_worker": sorted(int(w["sessions"]) for w in workers),
            "cpu_per_worker": sorted(float(w["cpu"]) for w in workers),
            "heartbeat_round_ms_max": sorted(float(w.get("round_ms_max", "nan")) for w in workers),
            "hold_s": hold, "process_cpu": cpu, "stages": stages}


#: The stages of a job's start, each the time of the mark it ends at minus the previous
#: mark's: (name, mark). Marks: dispatched_at (the dispatcher), the stream entry's id (the
#: time Redis added it, ms), got_at (XREADGROUP/claim returned it to the worker), lease_at,
#: started_at (job recorded running), room_checked_at (session thread: the room exists on
#: its Janus), entry_at (the worker's service on that Janus ready, entry called), then the
#: agent's own: connect_at, joined (on_connected), heard (first loud frame of its human).
STAGES = [("to stream", "stream_at"), ("wait in stream", "got_at"), ("lease", "lease_at"),
          ("record start", "started_at"), ("room check", "room_checked_at"),
          ("service + context", "entry_at"), ("entry to connect", "connect_at"),
          ("connect to joined", "joined"), ("joined to heard", "heard")]


def job_stages(jobs, infos, got):
    """Per job: its worker, how it got there (read / pending / claim) and the ms spent in
    each of `STAGES`."""
    out = []
    for eid, info in zip(jobs, infos):
        marks = {k: float(v) for k, v in info.items() if k.endswith("_at")}
        marks["stream_at"] = int(eid.split("-")[0]) / 1000.0
        agent = got.get(info.get("room"), {})
        marks.update({k: float(agent[k]) for k in ("connect_at", "joined", "heard") if k in agent})
        row = {"job": eid, "worker": info.get("worker"), "via": info.get("via")}
        prev = marks.get("dispatched_at")
        for name, mark in STAGES:
            at = marks.get(mark)
            row[name] = 1000 * (at - prev) if at is not None and prev is not None else None
            prev = at if at is not None else prev
        out.append(row)
    return out


def stage_rows(label, stages):
    """p50 / p99 / max of each stage, and the stage that took longest in the jobs whose
    join took over 100 ms (``slow``)."""
    rows = []
    slow = [s for s in stages if sum(s[n] or 0 for n, _ in STAGES[:-1]) > 100]
    for name, _mark in STAGES:
        v = [s[name] for s in stages if s[name] is not None]
        worst = sum(1 for s in slow if max(STAGES[:-1], key=lambda st: s[st[0]] or 0)[0] == name)
        rows.append([label, name, _report.percentile(v, 50), _report.percentile(v, 99),
                     max(v) if v else float("nan"), f"{worst}/{len(slow)}"])
    return rows


def stage_summary(stages):
    """`stage_rows` as a dict for the results file: stage -> p50, p99, max, slowest."""
    return {row[1]: {"p50_ms": row[2], "p99_ms": row[3], "max_ms": row[4], "slowest_of_slow_jobs": row[5]}
            for row in stage_rows("", stages)}


def baseline_run(services, packets, d, rooms_n, rate, timeout):
    """The same agent joined directly from this process: connect call to joined / heard
    (the connect calls all at once, or ``rate`` per second)."""
    ns = "base" + uuid.uuid4().hex[:6]
    rooms = [f"{ns}-{i}" for i in range(rooms_n)]
    people = Humans(services, d, rooms, packets)
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

    t0 = time.monotonic()
    for i, room in enumerate(rooms):
        if rate:
            time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
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
    people.leave()
    return {"rooms": rooms_n, "dispatch": f"{rate:g}/s" if rate else "burst",
            "heard_rooms": len(heard), "joined_ms": joined, "heard_ms": heard}


def failover_run(rs, urls, services, packets, rounds, timeout, n_workers=3, n_rooms=12):
    """kill -9 the worker serving a room while every room talks, ``rounds`` times (the killed
    worker is started again once its rooms are served): seconds from the kill to each of its
    rooms heard again by another worker's agent (the agents' own records)."""
    ns = "f" + uuid.uuid4().hex[:8]
    d = Dispatcher(rs.url, namespace=ns)
    for name, url in urls.items():
        d.add_janus(name, url)
    procs = {}

    def start_worker(wid):
        procs[wid] = subprocess.Popen(
            [sys.executable, "-m", "agora_rtc.fleet", "--redis", rs.url, "--namespace", ns,
             "--log-level", "ERROR", "worker", "fleet_bench_agent:entry", "--capacity",
             str(n_rooms), "--id", wid, "--drain-timeout", "0"], cwd=HERE, stdout=subprocess.DEVNULL)

    def wait_workers(n):
        deadline = time.monotonic() + timeout
        while len(d.workers()) < n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{n} workers did not come up")
            time.sleep(0.05)
    for i in range(n_workers):
        start_worker(f"w{i}")
    people, out = None, []
    try:
        wait_workers(n_workers)
        rooms = [f"{ns}-{i}" for i in range(n_rooms)]
        people = Humans(services, d, rooms, packets)
        jobs = {room: d.dispatch(room) for room in rooms}
        if len(wait_heard(d, ns, rooms, timeout)) < n_rooms:
            raise RuntimeError("not every room heard its human before the kills")
        for k in range(rounds):
            victim = d.serving(rooms[k % n_rooms])
            theirs = [r for r in rooms if d.serving(r) == victim]
            procs[victim].kill()
            t_kill = time.time()
            procs[victim].wait()
            again, deadline = {}, time.monotonic() + timeout
            while len(again) < len(theirs) and time.monotonic() < deadline:
                for room in theirs:
                    h = d.r.hgetall(f"{ns}:bench:{room}")
                    if h.get(b"worker", b"").decode() not in ("", victim) and \
                            float(h.get(b"heard", 0)) > t_kill:
                        again[room] = float(h[b"heard"]) - t_kill
                time.sleep(0.02)
            out.append({"killed": victim, "rooms": len(theirs), "served_again": len(again),
                        "failover_s": sorted(again.values()),
                        "not_served_again": [{"room": r, "lease": d.serving(r),
                                              "agent": {k.decode(): v.decode() for k, v in
                                                        d.r.hgetall(f"{ns}:bench:{r}").items()},
                                              "job": d.job(jobs[r])}
                                             for r in theirs if r not in again]})
            start_worker(victim)
            wait_workers(n_workers)
    finally:
        if people is not None:
            people.leave()
        for p in procs.values():
            if p.poll() is None:
                p.kill()
            p.wait()
        d.close()
    return out


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
    ap.add_argument("--failover", type=int, default=None,
                    help="rounds of kill -9 of a worker serving talking rooms (default 5, quick 2)")
    ap.add_argument("--rate", type=float, default=20.0,
                    help="rooms dispatched per second in the paced runs (0: burst runs only)")
    ap.add_argument("--no-burst", action="store_true", help="paced runs only")
    ap.add_argument("--no-baseline", action="store_true", help="skip the direct baseline")
    ap.add_argument("--hold", type=float, default=10.0,
                    help="seconds of every room talking over which each process's CPU is "
                         "measured (in the paced runs, or the burst ones without --rate)")
    ap.add_argument("--save", default=None,
                    help="name of the results file (results/NAME.json; default fleet / fleet_quick)")
    a = ap.parse_args(argv)
    rooms_n = a.rooms or (20 if a.quick else 200)
    counts = [int(x) for x in (a.workers or ("1,2" if a.quick else "1,2,3")).split(",")]
    chaos_n = a.chaos if a.chaos is not None else (100 if a.quick else 1000)
    failover_n = a.failover if a.failover is not None else (2 if a.quick else 5)
    rates = ([a.rate] if a.rate else []) + ([] if a.no_burst else [None])
    if not rates:
        raise SystemExit("--rate 0 with --no-burst: nothing to run")
    data = {"rooms": rooms_n, "fleet": [], "baseline": [], "chaos": None, "failover": []}
    with RedisServer() as rs, JanusServer() as j1, JanusServer() as j2:
        urls = {"j1": f"{j1.transport_url}?admin_key={j1.admin_key}",
                "j2": f"{j2.transport_url}?admin_key={j2.admin_key}"}
        server_pids = {"janus j1": j1.pid, "janus j2": j2.pid, "redis": rs.pid}
        services = {n: ar.AgoraService(ar.AgoraServiceConfig(appid="bench", transport_url=u))
                    for n, u in urls.items()}
        packets = encoded_tone(9)
        try:
            if not a.skip_latency:
                for n in counts:
                    for rate in rates:
                        hold = a.hold if rate == rates[0] else 0.0
                        data["fleet"].append(fleet_run(rs, urls, services, packets, rooms_n, n,
                                                       rate, a.timeout, hold, server_pids))
                d = Dispatcher(rs.url, namespace="base" + uuid.uuid4().hex[:6])
                for name, url in urls.items():
                    d.add_janus(name, url)
                for rate in ([] if a.no_baseline else rates):
                    data["baseline"].append(baseline_run(services, packets, d, rooms_n, rate,
                                                         a.timeout))
                d.close()
            if failover_n:
                data["failover"] = failover_run(rs, urls, services, packets, failover_n, a.timeout)
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
    if data["failover"]:
        f = data["failover"]
        times = [t for r in f for t in r["failover_s"]]
        _report.print_table("kill -9 of a worker serving talking rooms (3 workers, 12 rooms): "
                            "kill to each of its rooms heard again by another worker's agent "
                            f"(for scale: a dead worker's leases expire after {K.LEASE_TTL_MS / 1000:g} s)",
                            ["kills", "rooms taken over", "rooms served again", "p50 s", "max s"],
                            [[len(f), sum(r["rooms"] for r in f), sum(r["served_again"] for r in f),
                              _report.percentile(times, 50), max(times) if times else float("nan")]])
    if a.skip_latency:
        _report.save(a.save or "fleet_chaos", data)
        return 0
    p = _report.percentile
    rows = []
    for r in data["fleet"]:
        rows.append([f"fleet, {r['workers']} worker(s)", r["dispatch"], f"{r['heard_rooms']}/{r['rooms']}",
                     p(r["joined_ms"], 50), p(r["joined_ms"], 99), p(r["heard_ms"], 50),
                     p(r["heard_ms"], 99), r["jobs_started_per_s"],
                     " ".join(map(str, r["sessions_per_worker"])),
                     " ".join(f"{c:.0f}" for c in r["cpu_per_worker"])])
    cpu_rows = []
    for r in data["fleet"]:
        for name, v in r["process_cpu"].items():
            cpu_rows.append([f"{r['workers']} worker(s), {r['dispatch']}", name, v["cpu_pct"],
                             v["cpu_pct"] / r["rooms"], v["threads"]])
    if cpu_rows:
        _report.print_table(f"CPU of each process while all {rooms_n} rooms talk "
                            f"({a.hold:.0f} s; 100 % = one core)",
                            ["run", "process", "CPU %", "CPU % per room", "threads"], cpu_rows)
    _report.print_table("stages of a job's start (ms)",
                        ["run", "stage", "p50", "p99", "max", "slowest stage of the jobs joined > 100 ms"],
                        [row for r in data["fleet"] for row in
                         stage_rows(f"{r['workers']} worker(s), {r['dispatch']}", r["stages"])])
    for b in data["baseline"]:
        rows.append(["direct (baseline)", b["dispatch"], f"{b['heard_rooms']}/{b['rooms']}",
                     p(b["joined_ms"], 50), p(b["joined_ms"], 99), p(b["heard_ms"], 50),
                     p(b["heard_ms"], 99), "", "", ""])
    _report.print_table(f"dispatch to agent joined / hearing its room, {rooms_n} rooms on two Janus servers",
                        ["run", "dispatch", "heard", "joined p50 ms", "joined p99 ms", "heard p50 ms",
                         "heard p99 ms", "jobs started/s", "sessions per worker", "CPU % per worker"],
                        rows)
    for r in data["fleet"]:     # the file keeps each stage's summary, not every job's row
        r["stages"] = stage_summary(r["stages"])
    _report.save(a.save or ("fleet_quick" if a.quick else "fleet"), data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
