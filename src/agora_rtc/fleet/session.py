"""What an agent entry receives: `AgentContext`, one per job (one room)."""
from __future__ import annotations

import logging
import threading
from typing import Any, Dict, List, Optional

import agora_rtc as ar
from agora_rtc.fleet.jobs import Job

log = logging.getLogger("agora_rtc.fleet")


class AgentContext:
    """One agent session: the job, the service of its Janus, and when to stop.

    The entry (``entry(ctx)``) runs on a thread of its own and the session lasts
    until it returns. It must return soon after `stopping` is set (the worker drains,
    or the room's lease was lost); the connections made with `connect` are
    disconnected by the worker at that point anyway.

    Attributes: ``job`` (`Job`), ``room``, ``janus`` (the Janus server's name),
    ``metadata`` (dict given to ``dispatch``), ``user_id`` (the agent's user id in
    the room), ``worker_id``, ``service`` (an `AgoraService` on that Janus, shared by
    the worker's sessions there), ``redis`` (the worker's Redis client), ``namespace``
    (the fleet's key prefix), ``stopping``
    (`threading.Event`).
    """

    def __init__(self, job: Job, service: ar.AgoraService, *, user_id: str, worker_id: str,
                 redis_client: Any, namespace: str = "fleet") -> None:
        self.job = job
        self.room = job.room
        self.janus = job.janus
        self.metadata: Dict[str, Any] = dict(job.metadata)
        self.user_id = user_id
        self.worker_id = worker_id
        self.service = service
        self.redis = redis_client
        self.namespace = namespace
        self.stopping = threading.Event()
        #: why a connection of the session failed to join (None while none did): the
        #: session then stops (`stopping` is set) and the job is recorded failed
        self.failure: Optional[str] = None
        self._conns: List[ar.RTCConnection] = []
        self._lock = threading.Lock()
        self._left = False

    def connect(self, observer: Optional[ar.IRTCConnectionObserver] = None, *,
                audio_frame_observer: Optional[ar.IAudioFrameObserver] = None,
                vad: Optional[ar.AudioVadConfigV2] = None, token: str = "",
                publish: bool = True) -> ar.RTCConnection:
        """Join the job's room as `user_id` (connect is asynchronous: on_connected follows;
        when the join fails instead, on_connection_failure goes to `observer` and the
        session stops: `failure` says why, `stopping` is set)."""
        conn = self.service.create_rtc_connection(ar.RTCConnConfig())
        conn._add_connection_failure_listener(self._connection_failed)
        if observer is not None:
            conn.register_observer(observer)
        if audio_frame_observer is not None:
            if vad is None:
                conn.register_audio_frame_observer(audio_frame_observer)
            else:
                conn.register_audio_frame_observer(audio_frame_observer, 1, vad)
        with self._lock:
            if self._left:
                conn.release()
                raise ar.InvalidStateError("the session is stopping")
            self._conns.append(conn)
        rc = conn.connect(token, self.room, self.user_id)
        if rc != 0:
            raise RuntimeError(f"connect to room {self.room!r} returned {rc}")
        if publish:
            conn.publish_audio()
        return conn

    def _connection_failed(self, reason: int) -> None:
        """A connection's join was refused or never answered (the engine's thread): the
        session is not in its room, so it must not keep the room's lease."""
        log.warning("fleet: the agent's join of room %s failed (reason %d)", self.room, reason)
        if self.failure is None:
            self.failure = f"the agent's join of room {self.room!r} failed (reason {reason})"
        self.stopping.set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until the session must stop (True) or `timeout` seconds passed (False)."""
        return self.stopping.wait(timeout)

    def leave(self) -> None:
        """Disconnect and release every connection of the session (idempotent)."""
        with self._lock:
            self._left = True
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.disconnect()
                conn.release()
            except Exception:  # a connection already gone must not stop the others' release
                log.exception("fleet: leaving room %s", self.room)
