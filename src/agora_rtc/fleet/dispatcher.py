"""The fleet's dispatcher: Janus servers, room placement, jobs, and what is served.

Apps call `Dispatcher.dispatch(room, metadata)`; `RoomWatcher` (``watch_rooms``)
dispatches by itself when the first human joins a room on one of the fleet's Janus
servers. A room is placed on the Janus server with the fewest rooms among those
answering, and stays there while that server answers; the job then goes to the
workers' stream, where the least loaded worker with free capacity takes it.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Dict, List, Optional, Set

import redis

from agora_rtc.fleet import keys as K
from agora_rtc.fleet.janus_rooms import JanusRooms, room_id
from agora_rtc.fleet.jobs import JANUS_SCHEMES, JobError, check_metadata, check_room, new_job

log = logging.getLogger("agora_rtc.fleet")


class NoJanusError(RuntimeError):
    """No Janus server of the fleet answers: the room cannot be placed."""


def _text(v: Any) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


class Dispatcher:
    """Placement and dispatch over one fleet namespace of a Redis server."""

    def __init__(self, redis_url: str, *, namespace: str = "fleet",
                 janus_timeout: float = 2.0) -> None:
        self.r = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=1)
        self.keys = K.Keys(namespace)
        self.janus = JanusRooms(request_timeout=janus_timeout)
        self._place_lock = threading.Lock()

    def close(self) -> None:
        self.janus.close()
        self.r.close()

    def __enter__(self) -> "Dispatcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ Janus servers
    def add_janus(self, name: str, transport_url: str) -> None:
        """Register a Janus server (``janus://host:port?admin_key=...``) under `name`."""
        if not name or any(c.isspace() or c == ":" for c in name):
            raise ValueError(f"Janus name must be a word without ':', got {name!r}")
        if not transport_url.startswith(JANUS_SCHEMES):
            raise ValueError(f"not a janus:// or janus+ws:// URL: {transport_url!r}")
        self.r.hset(self.keys.janus, name, transport_url)

    def janus_servers(self) -> Dict[str, str]:
        return {_text(k): _text(v) for k, v in self.r.hgetall(self.keys.janus).items()}

    def check_janus(self) -> Dict[str, bool]:
        """Ask every Janus server whether it answers; record the down ones (new rooms
        avoid them). Returns name -> answering."""
        result = {}
        for name, url in self.janus_servers().items():
            ok = self.janus.answering(url)
            result[name] = ok
            if ok:
                self.r.srem(self.keys.janus_down, name)
            elif self.r.sadd(self.keys.janus_down, name):
                log.warning("fleet: Janus %s does not answer; its rooms: %s", name,
                            sorted(self.rooms_on(name)))
        return result

    def down_janus(self) -> Set[str]:
        return {_text(n) for n in self.r.smembers(self.keys.janus_down)}

    def rooms_on(self, name: str) -> Set[str]:
        return {_text(n) for n in self.r.smembers(self.keys.janus_rooms(name))}

    def lost_rooms(self) -> Dict[str, Set[str]]:
        """The rooms placed on each Janus server found down (as of `check_janus`)."""
        return {name: self.rooms_on(name) for name in self.down_janus()}

    # ------------------------------------------------------------ placement
    def place(self, room: str) -> str:
        """The name of the Janus server serving `room`: where it was placed if that server
        is up, else the up server with the fewest rooms."""
        check_room(room)
        rid = str(room_id(room))
        with self._place_lock:
            servers = self.janus_servers()
            down = self.down_janus()
            current = self.r.get(self.keys.room(rid))
            current = _text(current) if current is not None else None
            if current in servers and current not in down:
                return current
            up = [n for n in sorted(servers) if n not in down]
            if not up:
                raise NoJanusError(f"no Janus server answers (registered: {sorted(servers)}, "
                                   f"down: {sorted(down)})")
            pipe = self.r.pipeline(transaction=False)
            for n in up:
                pipe.scard(self.keys.janus_rooms(n))
            loads = pipe.execute()
            name = min(zip(loads, up))[1]
            pipe = self.r.pipeline()
            pipe.set(self.keys.room(rid), name)
            pipe.sadd(self.keys.janus_rooms(name), room)
            if current is not None:
                pipe.srem(self.keys.janus_rooms(current), room)
            pipe.execute()
            return name

    def forget_room(self, room: str) -> None:
        """The room is over: it no longer counts in its Janus server's load."""
        rid = str(room_id(room))
        current = self.r.get(self.keys.room(rid))
        if current is not None:
            self.r.srem(self.keys.janus_rooms(_text(current)), room)
        self.r.delete(self.keys.room(rid))

    # ------------------------------------------------------------ jobs
    def dispatch(self, room: str, metadata: Optional[dict] = None, *, janus: Optional[str] = None,
                 create_room: bool = True) -> str:
        """Queue "an agent for `room`"; returns the job id.

        The room is placed (`place`) unless `janus` names the server; with
        `create_room` it is created there if it does not exist yet (as the SDK
        creates it when a user joins). Raises `JobError` for a bad room or metadata,
        `NoJanusError` when no Janus server answers.
        """
        check_room(room)
        check_metadata(metadata)
        servers = self.janus_servers()
        name = janus if janus is not None else self.place(room)
        if name not in servers:
            raise JobError(f"unknown Janus server {name!r} (registered: {sorted(servers)})")
        url = servers[name]
        if create_room:
            self.janus.ensure(url, room)
        job = new_job(room, name, url, metadata)
        eid = _text(self.r.xadd(self.keys.jobs, job.fields(), maxlen=K.JOBS_MAXLEN,
                                approximate=True))
        pipe = self.r.pipeline()
        # a worker may have taken (or refused) the job already: never overwrite its state
        pipe.hsetnx(self.keys.job(eid), "state", "queued")
        pipe.hset(self.keys.job(eid), mapping={"room": room, "janus": name,
                                               "dispatched_at": repr(job.dispatched_at)})
        pipe.expire(self.keys.job(eid), K.JOB_TTL_S)
        pipe.execute()
        return eid

    def job(self, job_id: str) -> Dict[str, str]:
        """The job's hash: state, room, janus, worker, reason, times ({} when unknown)."""
        return {_text(k): _text(v) for k, v in self.r.hgetall(self.keys.job(job_id)).items()}

    def serving(self, room: str, janus: Optional[str] = None) -> Optional[str]:
        """The worker id holding the room's lease, or None."""
        name = janus
        if name is None:
            cur = self.r.get(self.keys.room(str(room_id(room))))
            if cur is None:
                return None
            name = _text(cur)
        holder = self.r.get(self.keys.lease(name, str(room_id(room))))
        return _text(holder).split(" ", 1)[0] if holder is not None else None

    def workers(self) -> List[Dict[str, str]]:
        """Heartbeats of the live workers (id, sessions, capacity, free, cpu, ...)."""
        ids = sorted(_text(i) for i in self.r.smembers(self.keys.workers))
        pipe = self.r.pipeline(transaction=False)
        for wid in ids:
            pipe.hgetall(self.keys.worker(wid))
        out = []
        for wid, h in zip(ids, pipe.execute()):
            if h:
                out.append({"id": wid, **{_text(k): _text(v) for k, v in h.items()}})
        return out

    def watch_rooms(self, interval: float = 0.2, agent_prefix: str = "agent-") -> "RoomWatcher":
        """Start a `RoomWatcher` (stop it with ``.stop()``)."""
        w = RoomWatcher(self, interval=interval, agent_prefix=agent_prefix)
        w.start()
        return w


class RoomWatcher(threading.Thread):
    """Automatic dispatch: every `interval` seconds, lists the rooms of each answering
    Janus server and dispatches an agent to each room where a human (a participant
    whose display name is neither an agent's nor the SDK's control handle) is present
    and no agent holds the room's lease or is queued for it."""

    #: Seconds between two `Dispatcher.check_janus` of the watcher (down servers are skipped
    #: and reported, servers that answer again are used again).
    JANUS_CHECK_S = 1.0

    def __init__(self, dispatcher: Dispatcher, *, interval: float, agent_prefix: str) -> None:
        super().__init__(name="fleet-room-watcher", daemon=True)
        self.d = dispatcher
        self.interval = float(interval)
        self.agent_prefix = agent_prefix
        self._stop_evt = threading.Event()
        self._queued: Dict[str, str] = {}      # "<janus> <room id>" -> job id
        self.dispatched: List[str] = []        # job ids, in order

    def stop(self) -> None:
        self._stop_evt.set()
        self.join(5)

    def _human(self, p: dict) -> bool:
        display = str(p.get("display") or "")
        return not display.startswith(self.agent_prefix) and not display.startswith("agora-rtc-control")

    def scan(self) -> None:
        down = self.d.down_janus()
        for name, url in self.d.janus_servers().items():
            if name in down:
                continue
            for rid, n in self.d.janus.rooms(url):
                if n == 0:
                    continue
                tag = f"{name} {rid}"
                if self.d.r.exists(self.d.keys.lease(name, str(rid))):
                    continue
                job_id = self._queued.get(tag)
                if job_id is not None and self.d.job(job_id).get("state") in ("queued", "running"):
                    continue
                if not any(self._human(p) for p in self.d.janus.participants(url, rid)):
                    continue
                self._queued[tag] = self.d.dispatch(str(rid), {"auto": True}, janus=name,
                                                    create_room=False)
                self.dispatched.append(self._queued[tag])

    def run(self) -> None:
        next_check = 0.0
        while not self._stop_evt.wait(self.interval):
            try:
                if time.monotonic() >= next_check:
                    next_check = time.monotonic() + self.JANUS_CHECK_S
                    self.d.check_janus()
                self.scan()
            except Exception as e:     # a Janus or Redis hiccup: next round
                log.info("fleet room watcher: %s", e)
