"""What a fleet worker tells the others through Redis stays true while it is busy:
its heartbeat never goes back to an older session count, and the leases of all its
sessions stay renewed however many sessions it runs and however far Redis is.

Against a private redis-server and a private Janus server on loopback; the worker
runs in this process (`Worker.run` on a thread, stopped with `drain`). Both were the
cause of the slow 2-worker fleet runs (benchmarks/README.md, "Agent fleet: why 2
workers were slow"): a stale heartbeat made both workers leave new jobs to the
other, and lease renewals one round trip each let leases lapse at 100 sessions."""
import socket
import threading
import time
import uuid

import pytest

from agora_rtc.fleet import Dispatcher, RedisServer, Worker, redis_server_available, REDIS_MISSING_REASON
from agora_rtc.fleet import keys as K
from agora_rtc.fleet.janus_rooms import room_id
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from conftest import wait_until

pytestmark = pytest.mark.skipif(not redis_server_available(), reason=REDIS_MISSING_REASON)


@pytest.fixture(scope="module")
def redis_url():
    with RedisServer() as rs:
        yield rs.url


@pytest.fixture(scope="module")
def janus_url():
    if not janus_available():
        pytest.skip(JANUS_MISSING_REASON)
    with JanusServer() as janus:
        yield f"{janus.transport_url}?admin_key={janus.admin_key}"


def test_a_heartbeat_that_counted_fewer_sessions_never_lands_after_one_that_counted_more(redis_url):
    """The heartbeat thread counts the sessions, then writes; a session started (and
    written by the job loop) in between must not be undone by that older write."""
    w = Worker(lambda ctx: None, redis_url, capacity=4, worker_id="hb",
               namespace="hb" + uuid.uuid4().hex[:6])
    counted, go = threading.Event(), threading.Event()
    cpu_percent = w._cpu_percent

    def held_after_counting():          # called between counting and writing
        if threading.current_thread().name == "older":
            counted.set()
            go.wait(10)
        return cpu_percent()
    w._cpu_percent = held_after_counting
    older = threading.Thread(target=w._write_heartbeat, name="older")
    older.start()
    assert counted.wait(10)
    with w._lock:
        w._sessions["a job"] = object()     # a session starts meanwhile ...
    newer = threading.Thread(target=w._write_heartbeat, name="newer")
    newer.start()                           # ... and the job loop writes the heartbeat
    newer.join(1.0)
    go.set()
    older.join(10)
    newer.join(10)
    assert not older.is_alive() and not newer.is_alive()
    assert w.r.hget(w.keys.worker("hb"), "sessions") == b"1"
    w.r.close()


class SlowLink(threading.Thread):
    """A TCP relay on loopback that holds every chunk `delay` seconds before passing it
    on (set `delay` at any time): Redis as far away as another data centre."""

    def __init__(self, target_port: int) -> None:
        super().__init__(name="slow-link", daemon=True)
        self.target = ("127.0.0.1", target_port)
        self.delay = 0.0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.closed = threading.Event()

    def run(self) -> None:
        while not self.closed.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.delay:
                    time.sleep(self.delay)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


def idle_agent(ctx):
    """Holds its room (no media) until the worker stops it."""
    ctx.wait()


def test_the_leases_of_many_sessions_never_lapse_behind_a_slow_link(redis_url, janus_url):
    """40 sessions, then 50 ms between the worker and Redis: renewing the leases one
    round trip each (2 s a round) let them expire; one round trip for all keeps every
    one held. Checked from a direct connection, every 50 ms for 3 s."""
    n, ns = 40, "sl" + uuid.uuid4().hex[:6]
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    link = SlowLink(port)
    link.start()
    with Dispatcher(redis_url, namespace=ns) as d:
        d.add_janus("j", janus_url)
        w = Worker(idle_agent, f"redis://127.0.0.1:{link.port}/0", capacity=n,
                   worker_id="far", namespace=ns, drain_timeout=0)
        run = threading.Thread(target=w.run, name="worker", daemon=True)
        run.start()
        try:
            rooms = [f"{ns}-{i}" for i in range(n)]
            for room in rooms:
                d.dispatch(room)
            wait_until(lambda: all(d.serving(r) == "far" for r in rooms), timeout=60,
                       interval=0.05, what=f"{n} sessions holding their leases")
            link.delay = 0.025
            lease_keys = [d.keys.lease("j", str(room_id(r))) for r in rooms]
            lapsed, deadline = set(), time.monotonic() + 3.0
            while time.monotonic() < deadline:
                lapsed.update(k for k, v in zip(lease_keys, d.r.mget(lease_keys)) if v is None)
                time.sleep(0.05)
            assert not lapsed, f"{len(lapsed)} of {n} leases lapsed"
            assert all(d.serving(r) == "far" for r in rooms)
            assert int(d.r.hget(d.keys.worker("far"), "sessions")) == n
        finally:
            link.delay = 0.0
            w.drain()
            run.join(30)
            link.close()
    assert not run.is_alive()


def test_a_least_loaded_worker_that_does_not_read_does_not_hold_the_jobs_up(redis_url, janus_url):
    """A live heartbeat with no sessions, whose worker never reads the stream (stalled):
    the job goes to the busier worker once it has waited `OVERDUE_S` (it waited for good)."""
    ns = "od" + uuid.uuid4().hex[:6]
    with Dispatcher(redis_url, namespace=ns) as d:
        d.add_janus("j", janus_url)
        w = Worker(idle_agent, redis_url, capacity=4, worker_id="busy", namespace=ns,
                   drain_timeout=0)
        run = threading.Thread(target=w.run, name="worker", daemon=True)
        run.start()
        try:
            first = d.dispatch(f"{ns}-first")
            wait_until(lambda: d.serving(f"{ns}-first") == "busy", timeout=30, interval=0.05,
                       what="the first room served")
            d.r.hset(d.keys.worker("stalled"), mapping={"sessions": 0, "capacity": 4, "free": 4,
                                                        "draining": 0})
            d.r.sadd(d.keys.workers, "stalled")
            assert {x["id"] for x in d.workers()} == {"busy", "stalled"}
            # the busy worker looks at the heartbeats (SMEMBERS) before each read of the
            # stream: two looks more and it has seen the stalled one before reading again
            looks = smembers_calls(d)
            wait_until(lambda: smembers_calls(d) >= looks + 2, timeout=30, interval=0.01,
                       what="the busy worker looking at the heartbeats")
            second = d.dispatch(f"{ns}-second")
            wait_until(lambda: d.serving(f"{ns}-second") == "busy", timeout=30, interval=0.05,
                       what="the second room served by the busy worker")
            assert d.job(second)["worker"] == "busy" and d.job(first)["state"] == "running"
            assert int(d.r.hget(d.keys.worker("busy"), "sessions")) == 2
        finally:
            w.drain()
            run.join(30)
    assert not run.is_alive()


def smembers_calls(d):
    return int(d.r.info("commandstats").get("cmdstat_smembers", {}).get("calls", 0))


def test_a_lone_worker_takes_a_queue_of_jobs_with_one_read(redis_url, janus_url):
    """8 jobs queued before the only worker starts: it reads them together (one
    XREADGROUP), not one look at the heartbeats and one read per job."""
    n, ns = 8, "lw" + uuid.uuid4().hex[:6]
    with Dispatcher(redis_url, namespace=ns) as d:
        d.add_janus("j", janus_url)
        rooms = [f"{ns}-{i}" for i in range(n)]
        for room in rooms:
            d.dispatch(room)
        reads = xreadgroup_calls(d)
        w = Worker(idle_agent, redis_url, capacity=n, worker_id="lone", namespace=ns,
                   drain_timeout=0)
        run = threading.Thread(target=w.run, name="worker", daemon=True)
        run.start()
        try:
            wait_until(lambda: all(d.serving(r) == "lone" for r in rooms), timeout=60,
                       interval=0.05, what="every room served")
            assert xreadgroup_calls(d) - reads == 1      # full: it reads no more
        finally:
            w.drain()
            run.join(30)
    assert not run.is_alive()


def xreadgroup_calls(d):
    return int(d.r.info("commandstats").get("cmdstat_xreadgroup", {}).get("calls", 0))


def test_a_session_whose_join_fails_ends_and_gives_the_room_back(redis_url, janus_url):
    """Janus refuses the agent's join (the room has a secret the agent was not given):
    the session stops at once instead of holding the room's lease while not in it; the
    job is recorded failed with why, the lease is released and the worker's count drops."""
    import agora_rtc as ar
    from agora_rtc.fleet.janus_rooms import JanusRooms
    ns = "jf" + uuid.uuid4().hex[:6]
    room = f"{ns}-locked"
    rooms = JanusRooms()
    rooms._call(janus_url, lambda vr: vr.create(room_id(room), secret="s3cret", audiocodec="opus"))
    human_service = ar.AgoraService(ar.AgoraServiceConfig(appid="human", transport_url=janus_url))
    human = human_service.create_rtc_connection(ar.RTCConnConfig())
    entered = []

    def agent(ctx):
        entered.append(ctx.connect())
        ctx.wait()                       # an entry that would wait for good
    with Dispatcher(redis_url, namespace=ns) as d:
        d.add_janus("j", janus_url)
        w = Worker(agent, redis_url, capacity=4, worker_id="jf", namespace=ns, drain_timeout=0)
        run = threading.Thread(target=w.run, name="worker", daemon=True)
        try:
            assert human.connect("s3cret", room, "human") == 0
            human.publish_audio()
            wait_until(lambda: len(rooms.participants(janus_url, room_id(room))) >= 1, timeout=30,
                       what="the human publishing")
            run.start()
            job = d.dispatch(room)
            wait_until(lambda: d.job(job).get("state") == "failed", timeout=30, interval=0.05,
                       what="the job recorded failed")
            assert entered and "join" in d.job(job)["reason"], d.job(job)
            assert d.r.get(d.keys.lease("j", str(room_id(room)))) is None
            wait_until(lambda: d.r.hget(d.keys.worker("jf"), "sessions") == b"0", timeout=10,
                       what="the worker's session count back to 0")
        finally:
            w.drain()
            run.join(30)
            human.release()
            human_service.release()
    assert not run.is_alive()
