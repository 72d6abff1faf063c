"""What the fleet stores in Redis: every key, in one place (README "Running a fleet").

All keys start with a namespace (``fleet`` by default) so that several fleets
can share one Redis.

``<ns>:jobs``                stream of jobs; consumer group ``workers`` (one consumer per
                             worker id). An entry stays pending (in the group's PEL) while
                             its session lives and is acknowledged when the session ends,
                             fails or is refused, so a dead worker's rooms are its pending
                             entries. Trimmed to about `JOBS_MAXLEN` entries.
``<ns>:job:<job id>``        hash: state (queued / running / done / failed / refused),
                             room, janus, worker, reason, times (dispatched_at, then the
                             stages of the start: got_at and via, lease_at, started_at,
                             room_checked_at, entry_at; ended_at). TTL `JOB_TTL_S`.
``<ns>:lease:<janus>:<room id>`` string "<worker id> <job id>", TTL `LEASE_TTL_MS`, renewed
                             while the session lives: the one agent serving that room.
``<ns>:worker:<worker id>``  hash: sessions, capacity, cpu, pid, host, draining, updated,
                             round_ms / round_ms_max (heartbeat + lease renewal round);
                             TTL `HEARTBEAT_TTL_MS`, rewritten every `HEARTBEAT_S`.
``<ns>:workers``             set of worker ids seen (entries without a heartbeat are dead).
``<ns>:janus``               hash: Janus name -> transport URL (janus://host:port?admin_key=..).
``<ns>:janus:down``          set of Janus names found not answering (new rooms avoid them).
``<ns>:janus:rooms:<name>``  set of rooms placed on that Janus (its load).
``<ns>:room:<room id>``      string: the name of the Janus the room was placed on.
(<room id>: the numeric Janus id of the room, `agora_rtc.fleet.janus_rooms.room_id`, so
that "room-a" and the id Janus lists for it are the same room.)
"""
from __future__ import annotations

GROUP = "workers"
JOBS_MAXLEN = 100_000
JOB_TTL_S = 24 * 3600
LEASE_TTL_MS = 1500          # a dead worker's rooms are free after this long
LEASE_RENEW_S = 0.25         # leases and heartbeat are renewed this often
HEARTBEAT_TTL_MS = 1500
HEARTBEAT_S = 0.25


class Keys:
    """Key names of one fleet namespace."""

    def __init__(self, namespace: str = "fleet") -> None:
        if not namespace or any(c.isspace() for c in namespace):
            raise ValueError(f"namespace must be a non-empty word, got {namespace!r}")
        self.ns = namespace
        self.jobs = f"{namespace}:jobs"
        self.workers = f"{namespace}:workers"
        self.janus = f"{namespace}:janus"
        self.janus_down = f"{namespace}:janus:down"

    def job(self, job_id: str) -> str:
        return f"{self.ns}:job:{job_id}"

    def lease(self, janus: str, room: str) -> str:
        return f"{self.ns}:lease:{janus}:{room}"

    def worker(self, worker_id: str) -> str:
        return f"{self.ns}:worker:{worker_id}"

    def janus_rooms(self, name: str) -> str:
        return f"{self.ns}:janus:rooms:{name}"

    def room(self, room: str) -> str:
        return f"{self.ns}:room:{room}"
