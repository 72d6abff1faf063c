"""agora_rtc.fleet against real components: a private redis-server and two private
Janus servers on loopback, worker processes running tests/fleet_agent.py, and
humans (SDK connections in this process) talking in the rooms. Every process is
started here and stopped by PID. Each test has its own Redis namespace and rooms."""
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

import agora_rtc as ar
from agora_rtc.fleet import Dispatcher, JobError, RedisServer, redis_server_available, REDIS_MISSING_REASON
from agora_rtc.fleet.janus_rooms import JanusRooms, room_id
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from conftest import Recorder, tone, wait_until

pytestmark = [pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON),
              pytest.mark.skipif(not redis_server_available(), reason=REDIS_MISSING_REASON)]
TESTS = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def infra():
    with RedisServer() as rs, JanusServer() as j1, JanusServer() as j2:
        urls = {"j1": f"{j1.transport_url}?admin_key={j1.admin_key}",
                "j2": f"{j2.transport_url}?admin_key={j2.admin_key}"}
        services = {n: ar.AgoraService(ar.AgoraServiceConfig(appid="humans", transport_url=u))
                    for n, u in urls.items()}
        yield rs, urls, services
        for s in services.values():
            s.release()


def talk_in_room(service, room):
    """A human joins `room` on `service`'s Janus and talks (a long tone): (conn, Recorder)."""
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    conn.register_observer(rec)
    assert conn.connect("", room, "human-" + room) == 0
    rec.wait_event("connected", timeout=30)
    conn.publish_audio()
    conn.push_audio_pcm_data(tone(40.0, amp=8000), 16000, 1)
    return conn, rec


class Fleet:
    """One test's fleet: its namespace, dispatcher, worker processes and humans."""

    def __init__(self, infra, tmp):
        self.redis_server, self.urls, self.services = infra
        self.tmp = str(tmp)
        self.ns = "t" + uuid.uuid4().hex[:8]
        self.d = Dispatcher(self.redis_server.url, namespace=self.ns)
        for name, url in self.urls.items():
            self.d.add_janus(name, url)
        self.workers = {}
        self.humans = {}
        self.janus = JanusRooms()

    def start_worker(self, wid, capacity=8):
        """A worker process; its output goes to a file (a pipe nobody reads could fill up)."""
        with open(self.log_path(wid), "w") as log:
            self.workers[wid] = subprocess.Popen(
                [sys.executable, "-m", "agora_rtc.fleet", "--redis", self.redis_server.url,
                 "--namespace", self.ns, "--log-level", "WARNING", "worker", "fleet_agent:entry",
                 "--capacity", str(capacity), "--id", wid, "--drain-timeout", "1"],
                cwd=TESTS, stdout=log, stderr=subprocess.STDOUT)
        return self.workers[wid]

    def log_path(self, wid):
        return os.path.join(self.tmp, f"{wid}.log")

    def output(self, wid):
        with open(self.log_path(wid)) as f:
            return f.read()

    def wait_workers(self, n):
        wait_until(lambda: len(self.d.workers()) >= n, timeout=60, interval=0.05,
                   what=f"{n} workers' heartbeats")

    def human(self, room):
        """A human joins `room` on the Janus it was placed on and talks (a long tone)."""
        janus = self.d.place(room)
        conn, rec = talk_in_room(self.services[janus], room)
        self.humans[room] = (janus, conn, rec)
        return janus

    def heard(self, room):
        """[(worker id, time)] of each agent that heard the human of `room`."""
        out = []
        for v in self.d.r.lrange(f"{self.ns}:test:heard:{room}", 0, -1):
            wid, t = v.decode().split(" ")
            out.append((wid, float(t)))
        return out

    def agents_in(self, room, dead=()):
        """User ids of the agents Janus lists in the room (those of dead workers left out:
        Janus keeps a killed process's publisher until the peer timeout)."""
        janus = self.humans[room][0]
        names = [str(p.get("display")) for p in self.janus.participants(self.urls[janus], room_id(room))]
        return sorted(n for n in names if n.startswith("agent-") and n[6:] not in dead)

    def close(self):
        for wid, p in self.workers.items():
            if p.poll() is None:
                p.kill()
            p.wait()
        for _, conn, _ in self.humans.values():
            conn.disconnect()
            conn.release()
        self.janus.close()
        self.d.close()


@pytest.fixture
def fleet(infra, tmp_path):
    f = Fleet(infra, tmp_path)
    yield f
    f.close()


def rooms_served_once(fleet, rooms, dead=(), timeout=30):
    """Every room: exactly one live agent listed by Janus, and it holds the lease."""
    def ok():
        for room in rooms:
            agents = fleet.agents_in(room, dead)
            holder = fleet.d.serving(room)
            if len(agents) != 1 or holder is None or agents[0] != f"agent-{holder}":
                return False
        return True
    wait_until(ok, timeout=timeout, interval=0.1, what="one agent per room")


def test_every_room_gets_one_agent_spread_over_janus_servers_and_workers(fleet):
    for w in ("w0", "w1", "w2"):
        fleet.start_worker(w)
    fleet.wait_workers(3)
    rooms = [f"spread-{i}" for i in range(6)]
    placed = {room: fleet.human(room) for room in rooms}
    assert sorted(placed.values()).count("j1") == 3 == sorted(placed.values()).count("j2")
    t0 = time.time()
    jobs = {room: fleet.d.dispatch(room, {"topic": room}) for room in rooms}
    wait_until(lambda: all(fleet.heard(r) for r in rooms), timeout=60, interval=0.05,
               what="every agent hearing its human")
    lat = sorted(fleet.heard(r)[0][1] - t0 for r in rooms)
    print(f"dispatch to heard: max {lat[-1] * 1000:.0f} ms over {len(rooms)} rooms")
    rooms_served_once(fleet, rooms)
    for room, job in jobs.items():
        info = fleet.d.job(job)
        assert info["state"] == "running" and info["room"] == room
        assert info["janus"] == placed[room]
        assert len(fleet.heard(room)) == 1
    sessions = {w["id"]: int(w["sessions"]) for w in fleet.d.workers()}
    assert sum(sessions.values()) == 6 and max(sessions.values()) - min(sessions.values()) <= 1, sessions
    # a second dispatch for a served room is refused, the room keeps its agent
    again = fleet.d.dispatch(rooms[0])
    wait_until(lambda: fleet.d.job(again).get("state") == "refused", timeout=20)
    assert "already served" in fleet.d.job(again)["reason"]
    rooms_served_once(fleet, rooms)


def test_a_killed_worker_rooms_are_taken_over_and_redis_restart_serves_nothing_twice(fleet):
    for w in ("k0", "k1", "k2"):
        fleet.start_worker(w)
    fleet.wait_workers(3)
    rooms = [f"kill-{i}" for i in range(6)]
    for room in rooms:
        fleet.human(room)
        fleet.d.dispatch(room)
    wait_until(lambda: all(fleet.heard(r) for r in rooms), timeout=60, interval=0.05)
    victim = fleet.d.serving(rooms[0])
    theirs = [r for r in rooms if fleet.d.serving(r) == victim]
    fleet.workers[victim].send_signal(signal.SIGKILL)
    t_kill = time.time()
    wait_until(lambda: all(any(w != victim for w, _ in fleet.heard(r)) for r in theirs),
               timeout=30, interval=0.02, what="the killed worker's rooms heard again")
    failover = max(next(t for w, t in fleet.heard(r) if w != victim) - t_kill for r in theirs)
    print(f"failover of {len(theirs)} rooms (kill -9 to the new agent hearing the human): "
          f"{failover * 1000:.0f} ms")
    rooms_served_once(fleet, rooms, dead=(victim,))

    # Redis killed and restarted (append-only file): workers reconnect, no session restarts
    started = {w["id"]: w["started"] for w in fleet.d.workers()}
    heard_before = {r: len(fleet.heard(r)) for r in rooms}
    fleet.redis_server.kill()
    time.sleep(0.3)
    fleet.redis_server.start()
    wait_until(lambda: len(fleet.d.workers()) == 2, timeout=30, interval=0.1)
    time.sleep(2 * 1.5)          # two lease lifetimes: a lost lease would show by now
    rooms_served_once(fleet, rooms, dead=(victim,))
    assert {w["id"]: w["started"] for w in fleet.d.workers()} == started
    assert {r: len(fleet.heard(r)) for r in rooms} == heard_before


def test_a_worker_restarted_with_its_id_serves_again_the_room_its_killed_process_held(fleet):
    """The killed process's publisher (the same agent user id) stays in the room: Janus
    refused the new agent's join with that id (436), and with no peer that times it out
    (the human here has peer_timeout=0, as a browser) it stayed for good. The worker
    removes it before the entry runs."""
    room = "same-id-0"
    service = ar.AgoraService(ar.AgoraServiceConfig(
        appid="humans", transport_url=fleet.urls["j1"] + "&peer_timeout=0"))
    conn, _rec = talk_in_room(service, room)
    try:
        fleet.start_worker("same")
        fleet.wait_workers(1)
        job = fleet.d.dispatch(room, janus="j1")
        wait_until(lambda: len(fleet.heard(room)) == 1, timeout=60, interval=0.05)
        fleet.workers["same"].kill()
        fleet.workers["same"].wait()
        fleet.start_worker("same")          # its job is pending with "same": taken again
        wait_until(lambda: len(fleet.heard(room)) == 2, timeout=60, interval=0.05,
                   what="the restarted worker's agent hearing the room")
        assert [w for w, _ in fleet.heard(room)] == ["same", "same"]
        assert fleet.d.job(job)["via"] == "pending" and fleet.d.serving(room, "j1") == "same"
        listed = fleet.janus.participants(fleet.urls["j1"], room_id(room))
        assert sorted(str(p.get("display")) for p in listed
                      if str(p.get("display")).startswith("agent-")) == ["agent-same"]
    finally:
        conn.disconnect()
        conn.release()
        service.release()


def test_sigterm_drains_a_worker_its_rooms_handed_over(fleet):
    fleet.start_worker("d0")
    fleet.wait_workers(1)
    rooms = [f"drain-{i}" for i in range(3)]
    for room in rooms:
        fleet.human(room)
        fleet.d.dispatch(room)
    wait_until(lambda: all(fleet.heard(r) for r in rooms), timeout=60, interval=0.05)
    fleet.start_worker("d1")
    fleet.wait_workers(2)
    fleet.workers["d0"].send_signal(signal.SIGTERM)
    assert fleet.workers["d0"].wait(60) == 0, fleet.output("d0")
    # the other worker took every room over and hears its human
    wait_until(lambda: all([w for w, _ in fleet.heard(r)] == ["d0", "d1"] for r in rooms),
               timeout=30, interval=0.05, what="the drained worker's rooms heard by d1")
    # the drained agent left its rooms cleanly (no peer timeout needed): one agent each
    rooms_served_once(fleet, rooms)
    assert all(fleet.d.serving(r) == "d1" for r in rooms)


def test_bad_jobs_are_refused_or_failed_with_a_reason_and_the_worker_goes_on(fleet):
    fleet.start_worker("b0")
    fleet.wait_workers(1)
    r = fleet.d.r
    garbage = [{"nonsense": "1"},
               {"room": "x y", "janus": "j1", "janus_url": fleet.urls["j1"], "metadata": "{}",
                "dispatched_at": "0"},
               {"room": "ok", "janus": "j1", "janus_url": "http://elsewhere", "metadata": "{}",
                "dispatched_at": "0"},
               {"room": "ok", "janus": "j1", "janus_url": fleet.urls["j1"], "metadata": "{not json",
                "dispatched_at": "0"},
               {"room": b"\xff\xfe", "janus": "j1", "janus_url": fleet.urls["j1"], "metadata": "{}",
                "dispatched_at": "0"}]
    ids = [r.xadd(f"{fleet.ns}:jobs", g).decode() for g in garbage]
    missing = fleet.d.dispatch("no-such-room", create_room=False)
    nobody = r.xadd(f"{fleet.ns}:jobs", {"room": "r", "janus": "j0", "janus_url": "janus://127.0.0.1:9/janus",
                                         "metadata": "{}", "dispatched_at": "0"}).decode()
    fleet.human("bad-raise")
    raising = fleet.d.dispatch("bad-raise", {"raise": "boom"})
    for job in ids + [missing, nobody, raising]:
        wait_until(lambda: fleet.d.job(job).get("state") in ("refused", "failed"), timeout=30,
                   interval=0.05, what=f"job {job} rejected")
    reasons = [fleet.d.job(j)["reason"] for j in ids]
    assert "missing field 'room'" in reasons[0]
    assert "spaces" in reasons[1]
    assert "janus://" in reasons[2]
    assert "not JSON" in reasons[3]
    assert "UTF-8" in reasons[4]
    assert all(fleet.d.job(j)["state"] == "refused" for j in ids)
    assert fleet.d.job(missing)["state"] == "refused"
    assert "no room no-such-room" in fleet.d.job(missing)["reason"]
    assert fleet.d.job(nobody)["state"] == "failed"
    assert fleet.d.job(nobody)["reason"].startswith("Janus j0 did not answer")
    assert fleet.d.job(raising)["state"] == "failed"
    assert fleet.d.job(raising)["reason"] == "entry raised RuntimeError: boom"
    assert fleet.d.serving("bad-raise") is None                     # its lease was released
    # nothing is left pending, and the same worker still serves a good job
    assert r.xpending(f"{fleet.ns}:jobs", "workers")["pending"] == 0
    fleet.human("bad-good")
    good = fleet.d.dispatch("bad-good")
    wait_until(lambda: fleet.heard("bad-good"), timeout=30, interval=0.05)
    assert fleet.d.job(good)["worker"] == "b0" and fleet.workers["b0"].poll() is None
    # the dispatcher refuses bad input itself
    with pytest.raises(JobError):
        fleet.d.dispatch("a:b")
    with pytest.raises(JobError):
        fleet.d.dispatch("fine", metadata=["not", "a", "dict"])
    with pytest.raises(JobError):
        fleet.d.dispatch("fine", janus="j9")


def test_the_first_human_in_a_room_gets_an_agent_without_a_dispatch_call(fleet):
    fleet.start_worker("a0")
    fleet.wait_workers(1)
    watcher = fleet.d.watch_rooms(interval=0.1)
    try:
        fleet.janus.ensure(fleet.urls["j2"], "auto-empty")       # a room nobody is in
        janus = fleet.human("auto-1")
        rid = str(room_id("auto-1"))
        wait_until(lambda: fleet.heard(rid), timeout=30, interval=0.05, what="the agent hearing")
        assert fleet.heard(rid)[0][0] == "a0"
        rooms_served_once(fleet, ["auto-1"])
        job = fleet.d.job(watcher.dispatched[0])
        assert job["janus"] == janus and job["room"] == rid and job["state"] == "running"
        time.sleep(1.0)                  # ten more scans: the served room is not dispatched again
        assert len(watcher.dispatched) == 1
        assert fleet.d.serving(str(room_id("auto-empty")), janus="j2") is None
    finally:
        watcher.stop()


def test_a_lost_janus_server_is_reported_and_new_rooms_go_elsewhere(fleet):
    with JanusServer() as j3:
        fleet.d.add_janus("j3", f"{j3.transport_url}?admin_key={j3.admin_key}")
        rooms = [f"lost-{i}" for i in range(6)]
        placed = {room: fleet.d.place(room) for room in rooms}
        on_j3 = {r for r, j in placed.items() if j == "j3"}
        assert len(on_j3) == 2                                    # 6 rooms over 3 servers
        assert fleet.d.check_janus() == {"j1": True, "j2": True, "j3": True}
        j3.kill()
        assert fleet.d.check_janus() == {"j1": True, "j2": True, "j3": False}
        assert fleet.d.lost_rooms() == {"j3": on_j3}
        for i in range(4):
            assert fleet.d.place(f"lost-new-{i}") in ("j1", "j2")
        moved = sorted(on_j3)[0]
        assert fleet.d.place(moved) in ("j1", "j2")               # a lost room is placed again
        assert fleet.d.lost_rooms() == {"j3": on_j3 - {moved}}
        ended = sorted(on_j3 - {moved})[0]
        fleet.d.forget_room(ended)                                 # the room is over
        assert fleet.d.lost_rooms() == {"j3": on_j3 - {moved, ended}}
        j3.start()
        assert fleet.d.check_janus()["j3"] is True and fleet.d.lost_rooms() == {}


def test_command_line_dispatches_and_reports_the_fleet(fleet):
    fleet.start_worker("c0", capacity=3)
    fleet.wait_workers(1)
    fleet.human("cli-1")

    def cli(*args):
        out = subprocess.run([sys.executable, "-m", "agora_rtc.fleet", "--redis",
                              fleet.redis_server.url, "--namespace", fleet.ns, *args],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout

    job = cli("dispatch", "cli-1", "--metadata", '{"from": "cli"}').strip()
    wait_until(lambda: fleet.heard("cli-1"), timeout=30, interval=0.05)
    assert fleet.d.job(job)["worker"] == "c0"
    status = json.loads(cli("status"))
    assert [(w["id"], w["sessions"], w["capacity"]) for w in status["workers"]] == [("c0", "1", "3")]
    assert status["janus"] == ["j1", "j2"] and status["janus_down"] == []
    assert status["answering"] == {"j1": True, "j2": True}
    assert "admin_key" not in json.dumps(status)                  # no secret printed
    # the watcher command dispatches to the room a human joins, and stops at SIGTERM
    watch = subprocess.Popen([sys.executable, "-m", "agora_rtc.fleet", "--redis",
                              fleet.redis_server.url, "--namespace", fleet.ns, "watch",
                              "--interval", "0.1"], stdout=subprocess.PIPE, text=True)
    try:
        assert watch.stdout.readline().strip() == "watching"
        fleet.human("cli-2")
        rid = str(room_id("cli-2"))
        wait_until(lambda: fleet.heard(rid), timeout=30, interval=0.05)
        assert fleet.heard(rid)[0][0] == "c0"
        rooms_served_once(fleet, ["cli-1", "cli-2"])       # the dispatched room got no second agent
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(30) == 0
    finally:
        if watch.poll() is None:
            watch.kill()
        watch.communicate()
