"""A fleet worker: many agent sessions in one process, jobs from a Redis stream.

Threads: the main loop (`run`) reads jobs from the stream's consumer group when
this worker has free capacity and is among the least loaded live workers (or a job
has waited `OVERDUE_S` in the stream), and
every `RECONCILE_S` looks at the pending jobs: its own that are not running
(started again) and those of workers whose heartbeat is gone (claimed: failover).
The ``fleet-heartbeat`` thread writes the heartbeat hash and renews the room
leases of live sessions; a lease that cannot be renewed (someone else holds it)
stops that session at once. Each session runs the entry on a thread of its own.

Job outcomes, recorded on the job's hash and acknowledged in the stream:
``done`` (the entry returned), ``failed`` (the entry raised, Janus did not
answer, or the agent's join of the room failed: the session stops at once), ``refused`` (malformed job, no such room on that Janus, room already
served by another live worker). A session stopped by a drain or a lost lease is
not acknowledged: its job stays pending and another worker takes it.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from typing import Any, Callable, Dict, Optional, Tuple

import redis

import agora_rtc as ar
from agora_rtc.fleet import keys as K
from agora_rtc.fleet.janus_rooms import JanusRooms, room_id
from agora_rtc.fleet.jobs import Job, JobError, parse_job
from agora_rtc.fleet.leases import Leases
from agora_rtc.fleet.session import AgentContext
from agora_rtc.janus.link import janus_id

log = logging.getLogger("agora_rtc.fleet")

RECONCILE_S = 0.25
#: A worker whose heartbeat this worker has seen missing for this long is dead
#: (longer than a Redis restart takes, so a worker reconnecting is not robbed).
DEAD_AFTER_S = 0.5
READ_BLOCK_MS = 100
#: A job that has waited this long in the stream is taken by any worker with free capacity,
#: not only by the least loaded: one that is alive but not reading (stalled, starved of
#: CPU) does not hold the fleet's jobs up. Long enough that a busy machine's slower reads
#: (100-300 ms under load) still leave each job to the least loaded worker.
OVERDUE_S = 0.5
MAX_BATCH = 8                 # most jobs read at once by a worker alone with free capacity
CLEANUP_S = 5.0
FORGET_AFTER_MS = 30_000     # a consumer silent this long, without heartbeat nor pending job

Entry = Callable[[AgentContext], Any]


class _Session:
    def __init__(self, job: Job, lease_key: str, holder: str) -> None:
        self.job, self.lease_key, self.holder = job, lease_key, holder
        self.ctx: Optional[AgentContext] = None     # once the room is known to exist
        self.ended = False             # set under Worker._lease_lock
        self.handover = False          # stopped by drain or lost lease: leave the job pending
        self.thread: Optional[threading.Thread] = None


class Worker:
    """Run agent sessions for the jobs of a fleet.

    Parameters
    ----------
    entry : callable(AgentContext)
        The agent; runs once per job on a thread of its own.
    redis_url : str
        ``redis://host:port/db``.
    capacity : int
        Most sessions at once.
    worker_id : str, optional
        Unique in the fleet (default: host-pid-random).
    namespace : str
        Prefix of every Redis key (`agora_rtc.fleet.keys`).
    drain_timeout : float
        On `drain`, seconds the sessions get to end by themselves before they are
        handed over to other workers.
    """

    def __init__(self, entry: Entry, redis_url: str, *, capacity: int = 50,
                 worker_id: Optional[str] = None, namespace: str = "fleet",
                 drain_timeout: float = 10.0) -> None:
        if not callable(entry):
            raise TypeError(f"entry must be callable, got {entry!r}")
        if int(capacity) < 1:
            raise ValueError(f"capacity must be >= 1, got {capacity!r}")
        self.entry = entry
        self.capacity = int(capacity)
        self.id = worker_id or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        if any(c.isspace() for c in self.id):
            raise ValueError(f"worker id must have no spaces, got {self.id!r}")
        self.keys = K.Keys(namespace)
        self.user_id = f"agent-{self.id}"       # of its agents in their rooms
        self.drain_timeout = float(drain_timeout)
        self.r = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=1,
                                      health_check_interval=1)
        self.leases = Leases(self.r, K.LEASE_TTL_MS)
        self.janus = JanusRooms()
        self._services: Dict[str, ar.AgoraService] = {}
        self._sessions: Dict[str, _Session] = {}        # job id -> session
        self._lock = threading.Lock()
        # renewals and the final release of a lease take turns: a renewal must never take
        # a lease again after its session released it (sessions are marked ended under it)
        self._lease_lock = threading.Lock()
        # heartbeat writes are made one at a time, each counting the sessions when it is
        # made: a write that counted before a session started must not land after the
        # write that counted it (the others would see us less loaded than we are)
        self._heartbeat_lock = threading.Lock()
        self._stop = threading.Event()
        self._draining = threading.Event()
        self._absent_since: Dict[str, float] = {}
        self._next_cleanup = 0.0
        self._cpu = (time.monotonic(), sum(os.times()[:2]), 0.0)
        self.started = 0
        self._round_ms = (0.0, 0.0)     # (last, longest) heartbeat + lease renewal round

    # ------------------------------------------------------------ control
    @property
    def sessions(self) -> int:
        with self._lock:
            return len(self._sessions)

    def drain(self) -> None:
        """Take no new job; sessions end or are handed over; `run` then returns.
        Safe to call from a signal handler."""
        self._draining.set()

    def install_signal_handlers(self) -> None:
        """SIGTERM and SIGINT drain the worker (main thread only)."""
        signal.signal(signal.SIGTERM, lambda *_: self.drain())
        signal.signal(signal.SIGINT, lambda *_: self.drain())

    # ------------------------------------------------------------ main loop
    def run(self) -> None:
        self._retry(self._write_heartbeat, seconds=30.0)    # known alive before taking any job
        hb = threading.Thread(target=self._heartbeat_loop, name="fleet-heartbeat", daemon=True)
        hb.start()
        log.info("fleet worker %s: capacity %d", self.id, self.capacity)
        next_reconcile = 0.0
        try:
            while not self._draining.is_set():
                try:
                    now = time.monotonic()
                    if now >= next_reconcile:
                        self._reconcile()
                        next_reconcile = now + RECONCILE_S
                    share = self._my_turn()
                    if share:
                        got = self.r.xreadgroup(K.GROUP, self.id, {self.keys.jobs: ">"},
                                                count=share, block=READ_BLOCK_MS)
                        for _stream, entries in got or []:
                            for eid, fields in entries:
                                self._take(_text(eid), fields, "read")
                    else:
                        time.sleep(0.02)
                except redis.ResponseError as e:
                    if "NOGROUP" in str(e):
                        self._ensure_group()
                    else:
                        log.warning("fleet worker %s: %s", self.id, e)
                        time.sleep(0.1)
                except (redis.ConnectionError, redis.TimeoutError) as e:
                    log.info("fleet worker %s: Redis unreachable (%s), retrying", self.id, e)
                    time.sleep(0.1)
            self._drain_sessions()
        finally:
            self._stop.set()
            hb.join(2)
            self._say_goodbye()
            for svc in self._services.values():
                svc.release()
            self.janus.close()
            self.r.close()

    def _ensure_group(self) -> None:
        try:
            self.r.xgroup_create(self.keys.jobs, K.GROUP, id="0", mkstream=True)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    # ------------------------------------------------------------ placement
    def _load(self, h: Dict[bytes, bytes]) -> Optional[float]:
        """Load (sessions / capacity) of a live worker with free capacity, else None."""
        try:
            sessions, capacity = int(h[b"sessions"]), int(h[b"capacity"])
        except (KeyError, ValueError):
            return None
        if h.get(b"draining") == b"1" or sessions >= capacity or capacity < 1:
            return None
        return sessions / capacity

    def _my_turn(self) -> int:
        """How many jobs to read now: none without free capacity, or while a live worker
        with free capacity is less loaded (unless the oldest job waiting in the stream is
        overdue: one); one at a time among workers with free capacity; up to `MAX_BATCH`
        when no other worker has any (a lone worker then takes a queue of jobs with one
        read, not one look at the heartbeats and one read per job)."""
        n = self.sessions
        if n >= self.capacity or self._draining.is_set():
            return 0
        mine = n / self.capacity
        ids = [_text(i) for i in self.r.smembers(self.keys.workers)]
        pipe = self.r.pipeline(transaction=False)
        for wid in ids:
            pipe.hgetall(self.keys.worker(wid))
        pipe.xinfo_groups(self.keys.jobs)
        pipe.time()
        *beats, groups, now = pipe.execute(raise_on_error=False)
        less_loaded = others_free = False
        for wid, h in zip(ids, beats):
            if isinstance(h, Exception):
                raise h
            if not h and wid != self.id:
                self.r.srem(self.keys.workers, wid)    # gone (it adds itself back if it lives)
            if wid == self.id or not h:
                continue
            load = self._load(h)
            others_free = others_free or load is not None
            if load is not None and load < mine - 1e-9:
                less_loaded = True
        if not less_loaded:
            return 1 if others_free else min(MAX_BATCH, self.capacity - n)
        return 1 if self._oldest_wait_s(groups, now) >= OVERDUE_S else 0

    def _oldest_wait_s(self, groups: Any, now: Any) -> float:
        """How long the oldest job not yet delivered to any worker has been in the stream,
        by Redis's clock (entry ids start with the time Redis added them, in ms)."""
        if isinstance(groups, Exception) or isinstance(now, Exception):
            return 0.0
        last = next((_text(g["last-delivered-id"]) for g in groups
                     if _text(g["name"]) == K.GROUP), None)
        if last is None:
            return 0.0
        first = self.r.xrange(self.keys.jobs, min="(" + last, max="+", count=1)
        if not first:
            return 0.0
        added_ms = int(_text(first[0][0]).split("-")[0])
        return (now[0] * 1000 + now[1] / 1000 - added_ms) / 1000.0

    # ------------------------------------------------------------ jobs
    def _take(self, eid: str, fields: Any, via: str) -> None:
        """Start the session of a job delivered (``via`` "read"), claimed from a dead worker
        ("claim") or pending with us ("pending")."""
        got_at = time.time()
        with self._lock:
            if eid in self._sessions:
                return
        try:
            job = parse_job(eid, fields or {})
        except JobError as e:
            self._finish(eid, "refused", f"malformed job: {e}")
            return
        lease_key = self.keys.lease(job.janus, str(room_id(job.room)))
        holder = f"{self.id} {eid}"
        if not self.leases.acquire(lease_key, holder):
            current = self.leases.holder(lease_key)
            if current is None:                 # expired meanwhile: next reconcile retries
                return
            if current != holder:
                other, other_job = (current.split(" ", 1) + [""])[:2]
                if other_job == eid and other != self.id and self.r.exists(self.keys.worker(other)):
                    # that live worker still runs this very job (it reconnected): give it back
                    self.r.xclaim(self.keys.jobs, K.GROUP, other, 0, [eid], justid=True)
                elif other == self.id or self.r.exists(self.keys.worker(other)):
                    self._finish(eid, "refused", f"room {job.room} is already served by worker "
                                                 f"{other} (job {other_job})", job)
                # else the holder is dead and its lease not yet expired: the job stays
                # pending with us and is retried at the next reconcile
                return
        self._start(job, lease_key, holder, {"via": via, "got_at": repr(got_at),
                                             "lease_at": repr(time.time())})

    def _service(self, url: str) -> ar.AgoraService:
        """The worker's service on that Janus (one per URL of a Janus that answered)."""
        with self._lock:
            svc = self._services.get(url)
            if svc is None:
                svc = ar.AgoraService(ar.AgoraServiceConfig(appid="fleet", transport_url=url))
                self._services[url] = svc
            return svc

    def _start(self, job: Job, lease_key: str, holder: str, stages: Dict[str, str]) -> None:
        sess = _Session(job, lease_key, holder)
        with self._lock:
            self._sessions[job.id] = sess
        self.started += 1
        try:
            self._write_heartbeat(lambda pipe: pipe.hset(self.keys.job(job.id), mapping={
                "state": "running", "worker": self.id, "room": job.room, "janus": job.janus,
                **stages, "started_at": repr(time.time())}))
        except redis.RedisError as e:   # the session runs anyway: its job is pending with us
            log.info("fleet worker %s: recording the start of job %s: %s", self.id, job.id, e)
        sess.thread = threading.Thread(target=self._run_session, args=(sess,), daemon=True,
                                       name=f"fleet-session-{job.room}")
        sess.thread.start()

    def _room_missing(self, job: Job) -> Optional[Tuple[str, str]]:
        """(state, reason) when the job's room cannot be joined, else None.

        A publisher with our agent's id already in the room was left by an earlier
        process with this worker id, killed while it served the room (we hold the room's
        lease, so no session of ours is in it): Janus would refuse our join with that
        id (436), and without peers that time it out (browsers) it stays for good. It
        is removed first."""
        try:
            listed = self.janus.participants_if_exists(job.janus_url, job.room)
        except Exception as e:
            return "failed", f"Janus {job.janus} did not answer: {e}"
        if listed is None:
            return "refused", f"no room {job.room} on Janus {job.janus}"
        ours = janus_id(self.user_id)
        if any(p.get("id") == ours for p in listed):
            log.info("fleet worker %s: removing our publisher left in room %s by a killed "
                     "process", self.id, job.room)
            try:
                self.janus.remove_publisher(job.janus_url, job.room, ours)
            except Exception as e:
                return "failed", (f"our publisher left in room {job.room} by a killed process "
                                  f"could not be removed: {e}")
        return None

    def _run_session(self, sess: _Session) -> None:
        """The session's thread: check the room (off the job loop), run the entry, record."""
        state, reason = "done", ""
        missing = self._room_missing(sess.job)
        checked_at = time.time()
        if missing is None:
            try:
                sess.ctx = AgentContext(sess.job, self._service(sess.job.janus_url),
                                        user_id=self.user_id, worker_id=self.id,
                                        redis_client=self.r, namespace=self.keys.ns)
            except Exception as e:      # e.g. a transport URL the SDK refuses
                missing = "failed", f"session could not start: {type(e).__name__}: {e}"
        if missing is not None:
            state, reason = missing
        else:
            try:    # the stages of the job's start (README "Running a fleet": the job hash)
                self.r.hset(self.keys.job(sess.job.id), mapping={
                    "room_checked_at": repr(checked_at), "entry_at": repr(time.time())})
            except redis.RedisError:
                pass
            if sess.handover:           # stopped while the room was being checked
                sess.ctx.stopping.set()
            try:
                self.entry(sess.ctx)
            except BaseException as e:  # SystemExit too: a session never ends the worker
                log.exception("fleet worker %s: entry raised for room %s", self.id, sess.job.room)
                state, reason = "failed", f"entry raised {type(e).__name__}: {e}"
            finally:
                sess.ctx.leave()
            if state == "done" and sess.ctx.failure is not None:
                state, reason = "failed", sess.ctx.failure
        try:
            with self._lease_lock:
                sess.ended = True
            if sess.handover:
                self.leases.release(sess.lease_key, sess.holder)
            else:
                self._retry(lambda: self.leases.release(sess.lease_key, sess.holder))
                self._finish(sess.job.id, state, reason, sess.job)
        except redis.RedisError:
            log.warning("fleet worker %s: could not record the end of job %s", self.id, sess.job.id)
        finally:
            with self._lock:
                self._sessions.pop(sess.job.id, None)
            try:
                self._write_heartbeat()
            except redis.RedisError:
                pass

    def _stop_session(self, sess: _Session, why: str) -> None:
        log.info("fleet worker %s: stopping room %s (%s)", self.id, sess.job.room, why)
        sess.handover = True
        ctx = sess.ctx
        if ctx is not None:
            ctx.stopping.set()
            threading.Thread(target=ctx.leave, daemon=True, name="fleet-leave").start()

    def _retry(self, fn: Callable[[], Any], seconds: float = 10.0) -> Any:
        deadline = time.monotonic() + seconds
        while True:
            try:
                return fn()
            except (redis.ConnectionError, redis.TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def _finish(self, eid: str, state: str, reason: str, job: Optional[Job] = None) -> None:
        """Record the job's outcome and acknowledge it."""
        if state != "done":
            log.warning("fleet worker %s: job %s %s: %s", self.id, eid, state, reason)
        fields = {"state": state, "reason": reason, "worker": self.id, "ended_at": repr(time.time())}
        if job is not None:
            fields.update(room=job.room, janus=job.janus)

        def write():
            pipe = self.r.pipeline()
            pipe.hset(self.keys.job(eid), mapping=fields)
            pipe.expire(self.keys.job(eid), K.JOB_TTL_S)
            pipe.xack(self.keys.jobs, K.GROUP, eid)
            pipe.execute()
        self._retry(write)

    # ------------------------------------------------------------ failover
    def _reconcile(self) -> None:
        """Pending jobs, consumer by consumer: ours not running are started again; those of
        a worker whose heartbeat has been gone for `DEAD_AFTER_S` are claimed."""
        try:
            consumers = self.r.xinfo_consumers(self.keys.jobs, K.GROUP)
        except redis.ResponseError as e:
            if "NOGROUP" in str(e) or "no such key" in str(e):
                self._ensure_group()
                return
            raise
        now = time.monotonic()
        names = {_text(c["name"]) for c in consumers}
        for gone in [c for c in self._absent_since if c not in names]:
            del self._absent_since[gone]
        cleanup = now >= self._next_cleanup
        if cleanup:
            self._next_cleanup = now + CLEANUP_S
        for c in consumers:
            name, pending = _text(c["name"]), int(c["pending"])
            if name == self.id:
                if pending:
                    self._restart_own(pending)
                continue
            if self.r.exists(self.keys.worker(name)):
                self._absent_since.pop(name, None)
                continue
            absent = now - self._absent_since.setdefault(name, now)
            if pending and absent >= DEAD_AFTER_S:
                self._claim_from(name, pending)
            elif not pending and cleanup and int(c["idle"]) > FORGET_AFTER_MS:
                # a dead worker with nothing pending: the group forgets it
                self.r.xgroup_delconsumer(self.keys.jobs, K.GROUP, name)

    def _restart_own(self, pending: int) -> None:
        """Jobs pending with us that no session runs (the lease was not free yet, Redis
        restarted meanwhile, ...) are taken again."""
        for p in self.r.xpending_range(self.keys.jobs, K.GROUP, min="-", max="+",
                                       count=pending, consumername=self.id):
            eid = _text(p["message_id"])
            with self._lock:
                if eid in self._sessions:
                    continue
            entries = self.r.xrange(self.keys.jobs, eid, eid)
            if entries:
                self._take(eid, entries[0][1], "pending")
            else:                                       # trimmed away: nothing to run
                self._finish(eid, "failed", "job entry no longer in the stream")

    def _claim_from(self, dead: str, pending: int) -> None:
        """Take over a dead worker's jobs, one at a time while we are the least loaded."""
        for p in self.r.xpending_range(self.keys.jobs, K.GROUP, min="-", max="+",
                                       count=pending, consumername=dead):
            if not self._my_turn():
                return
            eid = _text(p["message_id"])
            for ceid, fields in self.r.xclaim(self.keys.jobs, K.GROUP, self.id,
                                              int(RECONCILE_S * 1000), [eid]):
                log.info("fleet worker %s: took over job %s of dead worker %s", self.id,
                         _text(ceid), dead)
                self._take(_text(ceid), fields, "claim")

    # ------------------------------------------------------------ heartbeat
    def _cpu_percent(self) -> float:
        t0, c0, last = self._cpu
        t1, c1 = time.monotonic(), sum(os.times()[:2])
        if t1 - t0 >= 1.0:
            last = 100.0 * (c1 - c0) / (t1 - t0)
            self._cpu = (t1, c1, last)
        return last

    def _write_heartbeat(self, also: Optional[Callable[[Any], Any]] = None) -> None:
        """Write the heartbeat hash (with `also` adding commands to the same round trip)."""
        with self._heartbeat_lock:
            n = self.sessions
            pipe = self.r.pipeline()
            if also is not None:
                also(pipe)
            key = self.keys.worker(self.id)
            pipe.hset(key, mapping={"sessions": n, "capacity": self.capacity,
                                    "free": max(0, self.capacity - n),
                                    "cpu": f"{self._cpu_percent():.1f}",
                                    "pid": os.getpid(), "host": socket.gethostname(),
                                    "draining": int(self._draining.is_set()),
                                    "started": self.started, "updated": repr(time.time()),
                                    "round_ms": f"{self._round_ms[0]:.1f}",
                                    "round_ms_max": f"{self._round_ms[1]:.1f}"})
            pipe.pexpire(key, K.HEARTBEAT_TTL_MS)
            pipe.sadd(self.keys.workers, self.id)
            pipe.execute()

    def _renew_leases(self) -> None:
        """Renew the leases of every live session in one round trip; a session whose
        lease another worker holds is stopped."""
        with self._lock:
            sessions = [s for s in self._sessions.values() if not s.handover]
        with self._lease_lock:
            sessions = [s for s in sessions if not s.ended]
            held = self.leases.renew_all([(s.lease_key, s.holder) for s in sessions])
        for s, ok in zip(sessions, held):
            if not ok:
                self._stop_session(s, "its lease is held by another worker")

    def _heartbeat_loop(self) -> None:
        while not self._stop.wait(K.HEARTBEAT_S):
            t0 = time.monotonic()
            try:
                self._write_heartbeat()
                self._renew_leases()
            except redis.RedisError as e:
                log.debug("fleet worker %s: heartbeat: %s", self.id, e)
            took = 1000 * (time.monotonic() - t0)
            self._round_ms = (took, max(took, self._round_ms[1]))

    # ------------------------------------------------------------ drain
    def _drain_sessions(self) -> None:
        try:
            self._write_heartbeat()              # draining=1: the others stop counting on us
        except redis.RedisError:
            pass
        deadline = time.monotonic() + self.drain_timeout
        while self.sessions and time.monotonic() < deadline:
            time.sleep(0.05)
        with self._lock:
            left = list(self._sessions.values())
        for s in left:
            self._stop_session(s, "worker draining: handed over")
        for s in left:
            if s.thread is not None:
                s.thread.join(10)

    def _say_goodbye(self) -> None:
        """Remove our heartbeat so that the others take our pending jobs at once."""
        try:
            pipe = self.r.pipeline()
            pipe.delete(self.keys.worker(self.id))
            pipe.srem(self.keys.workers, self.id)
            pipe.execute()
        except redis.RedisError:
            pass


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)
