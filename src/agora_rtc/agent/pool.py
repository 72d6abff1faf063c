"""ConnectionPool: reuse RTCConnections in a long-running multi-user process.

The Agora README's advice for one process serving many users: create the
service and a pool of connections once; when a user arrives take a
connection, register its observers and connect; when the user leaves,
disconnect and unregister (but do not release) and put the connection back;
release everything when the process ends. The pool does exactly that, and
makes sure a returned connection carries nothing of its previous user
(observers, queued audio) into the next session.
"""
from __future__ import annotations

import threading
import time
from typing import List, Optional

from agora_rtc.agora_base import RTCConnConfig
from agora_rtc.observers import (IAudioFrameObserver, IRTCConnectionObserver, IRTCLocalUserObserver,
                                 forward_events)
from agora_rtc.voice_detection import AudioVadConfigV2

__all__ = ["ConnectionPool", "PoolExhaustedError"]


class PoolExhaustedError(RuntimeError):
    """Every connection of the pool is in use and none came back in time."""


class _Joined(IRTCConnectionObserver):
    """Waits for this session's on_connected / on_connection_failure, then
    forwards every event to the caller's observer."""

    def __init__(self, user_observer):
        self.user_observer = user_observer
        self.done = threading.Event()
        self.failed_reason = None

    def on_connected(self, conn, info, reason):
        self.done.set()
        if self.user_observer is not None:
            self.user_observer.on_connected(conn, info, reason)

    def on_connection_failure(self, conn, info, reason):
        self.failed_reason = reason
        self.done.set()
        if self.user_observer is not None:
            self.user_observer.on_connection_failure(conn, info, reason)


forward_events(_Joined, IRTCConnectionObserver, skip=("on_connected", "on_connection_failure"))


class ConnectionPool:
    """A bounded pool of connections of one service.

    Parameters
    ----------
    service : AgoraService
        An initialized service (one per process).
    size : int
        Connections created up front (created, not connected).
    max_size : int, optional
        Upper bound; when every connection is in use and fewer than
        ``max_size`` exist, :meth:`acquire` creates one more. Default ``size``.
    con_config : RTCConnConfig, optional
        Config of every connection of the pool.
    """

    def __init__(self, service, size: int, *, max_size: Optional[int] = None,
                 con_config: Optional[RTCConnConfig] = None):
        if not hasattr(service, "create_rtc_connection"):
            raise TypeError(f"ConnectionPool: service must be an AgoraService, got {type(service).__name__}")
        for name, v in (("size", size), ("max_size", max_size if max_size is not None else size)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"ConnectionPool: {name} must be an int, got {type(v).__name__}")
        if size < 0:
            raise ValueError(f"ConnectionPool: size must be >= 0, got {size}")
        max_size = size if max_size is None else max_size
        if max_size < max(size, 1):
            raise ValueError(f"ConnectionPool: max_size must be >= max(size, 1), got {max_size}")
        if con_config is not None and not isinstance(con_config, RTCConnConfig):
            raise TypeError(f"ConnectionPool: con_config must be an RTCConnConfig, got {type(con_config).__name__}")
        self._service = service
        self._config = con_config if con_config is not None else RTCConnConfig()
        self.max_size = max_size
        self._cond = threading.Condition()
        self._idle: List = [service.create_rtc_connection(self._config) for _ in range(size)]
        self._in_use = {}    # id(conn) -> conn
        self._all = list(self._idle)
        self._closed = False
        self.sessions = 0    # completed acquire() calls, for monitoring

    # ---- counts ----

    @property
    def idle(self) -> int:
        with self._cond:
            return len(self._idle)

    @property
    def in_use(self) -> int:
        with self._cond:
            return len(self._in_use)

    @property
    def created(self) -> int:
        with self._cond:
            return len(self._all)

    # ---- sessions ----

    def _take(self, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("ConnectionPool: the pool is closed")
                if self._idle:
                    conn = self._idle.pop()
                    break
                if len(self._all) < self.max_size:
                    conn = self._service.create_rtc_connection(self._config)
                    self._all.append(conn)
                    break
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise PoolExhaustedError(f"ConnectionPool: all {len(self._all)} connections are in use")
                self._cond.wait(left)
            self._in_use[id(conn)] = conn
            return conn

    def _give_back(self, conn):
        with self._cond:
            self._in_use.pop(id(conn), None)
            if self._closed:
                conn.release()
            else:
                self._idle.append(conn)
            self._cond.notify()

    def acquire(self, channel_id: str, user_id: str, token: str = "", *,
                observer: Optional[IRTCConnectionObserver] = None,
                local_user_observer: Optional[IRTCLocalUserObserver] = None,
                audio_frame_observer: Optional[IAudioFrameObserver] = None,
                enable_vad: bool = False, vad_configure: Optional[AudioVadConfigV2] = None,
                publish: bool = True, timeout: Optional[float] = 5.0, **frame_observer_options):
        """Take a connection, register the observers, connect and wait for
        on_connected (up to ``timeout`` seconds, which also bounds the wait for
        a free connection). Returns the connected RTCConnection; give it back
        with :meth:`release`. Raises PoolExhaustedError when none is free,
        ConnectionError when joining fails (the connection goes back)."""
        for what, obs, base in (("observer", observer, IRTCConnectionObserver),
                                ("local_user_observer", local_user_observer, IRTCLocalUserObserver),
                                ("audio_frame_observer", audio_frame_observer, IAudioFrameObserver)):
            if obs is not None and not isinstance(obs, base):
                raise TypeError(f"ConnectionPool.acquire: {what} must be an instance of a "
                                f"{base.__name__} subclass, got {type(obs).__name__}")
        conn = self._take(timeout)
        try:
            joined = _Joined(observer)
            conn.register_observer(joined)
            if local_user_observer is not None:
                conn.register_local_user_observer(local_user_observer)
            if audio_frame_observer is not None:
                conn.register_audio_frame_observer(audio_frame_observer, 1 if enable_vad else 0,
                                                   vad_configure, **frame_observer_options)
            rc = conn.connect(token, channel_id, user_id)
            if rc != 0:
                raise ConnectionError(f"ConnectionPool.acquire: connect returned {rc}")
            if not joined.done.wait(timeout):
                raise ConnectionError(f"ConnectionPool.acquire: not connected after {timeout} s")
            if joined.failed_reason is not None:
                raise ConnectionError(f"ConnectionPool.acquire: connection failure (reason {joined.failed_reason})")
            if publish:
                rc = conn.publish_audio()
                if rc != 0:
                    raise ConnectionError(f"ConnectionPool.acquire: publish_audio returned {rc}")
        except BaseException:
            self._reset(conn)
            self._give_back(conn)
            raise
        with self._cond:
            self.sessions += 1
        return conn

    def _reset(self, conn):
        """Leave the channel and drop everything of the session, keep the native connection."""
        conn.interrupt_audio()
        conn.unregister_audio_frame_observer()
        conn.disconnect()
        conn.unregister_local_user_observer()
        conn.unregister_observer()

    def release(self, conn) -> None:
        """The user left: stop its audio, disconnect, unregister its observers
        and put the connection back (not released)."""
        with self._cond:
            if id(conn) not in self._in_use:
                raise ValueError("ConnectionPool.release: this connection is not in use from this pool")
        try:
            self._reset(conn)
        finally:
            self._give_back(conn)

    def session(self, channel_id: str, user_id: str, token: str = "", **kwargs):
        """``with pool.session(channel, uid, ...) as conn:`` acquire / release."""
        return _Session(self, channel_id, user_id, token, kwargs)

    def close(self) -> None:
        """Release every idle connection now and every busy one when it comes back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for conn in idle:
            conn.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class _Session:
    def __init__(self, pool, channel_id, user_id, token, kwargs):
        self._args = (pool, channel_id, user_id, token, kwargs)
        self.conn = None

    def __enter__(self):
        pool, channel_id, user_id, token, kwargs = self._args
        self.conn = pool.acquire(channel_id, user_id, token, **kwargs)
        return self.conn

    def __exit__(self, *exc):
        self._args[0].release(self.conn)
        return False
