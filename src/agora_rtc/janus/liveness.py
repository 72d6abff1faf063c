"""Control-plane liveness: is a Janus server still answering?

A Janus that is frozen (SIGSTOP, a stuck event loop, a paused VM) keeps its
TCP sockets open: the kernel still accepts connections and nothing is reset,
so neither the long poll (45 s) nor the keepalive (25 s) notices for a long
time. A `JanusProber` asks the server a Janus ``ping`` (answered ``pong`` by
the Janus core, no session needed) every `interval` seconds on a connection
of its own, and tells its listeners ``listener(False, reason)`` when the
server has answered nothing for `stall_timeout` seconds although it was
asked, and ``listener(True, reason)`` as soon as it answers again.

Sharing. Probers live in a process-wide registry keyed by the server's API
endpoint (transport, host, port, path) and timings: every `JanusClient` of the
process talking to the same Janus subscribes to the same prober (one thread,
one socket, two small requests a second per server, whatever the number of
connections). The prober stops when its last listener unsubscribes.

Threads: one ``janus-liveness-<host>:<port>`` daemon thread per prober. It
calls listeners itself, so a listener must return at once (JanusClient hands
the news to its dispatch thread). Listeners are called without the
registry's or the prober's lock held, so they may subscribe/unsubscribe.
"""
from __future__ import annotations

import http.client
import itertools
import json
import logging
import secrets
import select
import socket
import threading
import time
from typing import Callable, Dict, Optional, Tuple

from agora_rtc.janus.websocket import WebSocket, WebSocketError

__all__ = ["JanusProber", "subscribe", "unsubscribe", "active_probers"]

log = logging.getLogger("agora_rtc.janus")

#: listener(answering: bool, reason: str)
Listener = Callable[[bool, str], None]

#: Seconds a ping may stay unanswered before its connection is dropped and a
#: new one is opened (a half-open TCP connection never answers).
REOPEN_AFTER = 30.0
#: Longest time the prober thread blocks without looking at its stop flag.
_SLICE = 0.2
#: Seconds to read the rest of an answer whose first bytes arrived.
_READ_TIMEOUT = 5.0


class _ProbeFailed(Exception):
    """The probe connection broke or got a wrong answer (not a timeout)."""


class _HttpPing:
    """``{"janus": "ping"}`` POSTed to the HTTP API on a kept-alive connection."""

    def __init__(self, scheme: str, host: str, port: int, path: str) -> None:
        self._scheme, self._host, self._port, self._path = scheme, host, port, path
        self._conn: Optional[http.client.HTTPConnection] = None
        self._tx = ""

    def send(self, connect_timeout: float, tx: str) -> None:
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=connect_timeout)
        self._tx = tx
        body = json.dumps({"janus": "ping", "transaction": tx}).encode()
        try:
            self._conn.request("POST", self._path or "/", body=body,
                               headers={"Content-Type": "application/json"})
            self._conn.sock.settimeout(_READ_TIMEOUT)
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise _ProbeFailed(f"{type(e).__name__}: {e}") from e

    def wait(self, timeout: float) -> bool:
        """True when the answer is in; False when `timeout` passed first."""
        sock = self._conn.sock if self._conn is not None else None
        if sock is None:
            raise _ProbeFailed("no probe connection")
        pending = sock.pending() if hasattr(sock, "pending") else 0   # TLS: bytes already decrypted
        if not pending and not select.select([sock], [], [], max(0.0, timeout))[0]:
            return False
        try:
            resp = self._conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            raise _ProbeFailed(f"{type(e).__name__}: {e}") from e
        if resp.will_close:
            self.close()
        if resp.status != 200 or b'"pong"' not in data:
            self.close()
            raise _ProbeFailed(f"HTTP {resp.status}: {data[:120]!r} is not a pong")
        return True

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


class _WsPing:
    """``{"janus": "ping"}`` on a WebSocket of the prober's own (no session on it)."""

    def __init__(self, host: str, port: int, path: str, subprotocol: str) -> None:
        self._host, self._port, self._path, self._subprotocol = host, port, path, subprotocol
        self._ws: Optional[WebSocket] = None
        self._tx = ""

    def send(self, connect_timeout: float, tx: str) -> None:
        try:
            if self._ws is None:
                self._ws = WebSocket.connect(self._host, self._port, self._path,
                                             subprotocol=self._subprotocol, timeout=connect_timeout)
            self._tx = tx
            self._ws.send_text(json.dumps({"janus": "ping", "transaction": tx}))
        except OSError as e:   # WebSocketError is an OSError; socket.timeout too
            self.close()
            raise _ProbeFailed(f"{type(e).__name__}: {e}") from e

    def wait(self, timeout: float) -> bool:
        ws = self._ws
        if ws is None:
            raise _ProbeFailed("no probe connection")
        deadline = time.monotonic() + timeout
        while True:
            if not ws.wait_readable(max(0.0, deadline - time.monotonic())):
                return False
            try:
                text = ws.recv()
            except WebSocketError as e:
                self.close()
                raise _ProbeFailed(str(e)) from e
            try:
                msg = json.loads(text)
            except ValueError:
                continue
            if isinstance(msg, dict) and msg.get("transaction") == self._tx:
                if msg.get("janus") != "pong":
                    self.close()
                    raise _ProbeFailed(f"{text[:120]!r} is not a pong")
                return True

    def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            ws.close()


class JanusProber:
    """Pings one Janus server and reports when it stops and starts answering.

    Use `subscribe` / `unsubscribe` (they share one prober per server) rather
    than creating one directly.

    Parameters
    ----------
    key : tuple
        ``(transport, scheme, host, port, path)``; transport is ``"http"`` or ``"ws"``.
    interval : float
        Seconds between pings while the server answers.
    stall_timeout : float
        The server is stalled when it answered nothing for this long although a
        ping was outstanding (so each ping has at least ``stall_timeout -
        interval`` seconds to answer, and a freeze is reported at most
        ``stall_timeout`` seconds after the last answer).
    ws_subprotocol : str
        The WebSocket subprotocol (``janus-protocol``) for the ``"ws"`` transport.
    """

    def __init__(self, key: Tuple[str, str, str, int, str], *, interval: float,
                 stall_timeout: float, ws_subprotocol: str = "janus-protocol") -> None:
        transport, scheme, host, port, path = key
        if interval <= 0 or stall_timeout <= interval:
            raise ValueError(f"need 0 < interval < stall_timeout, got interval={interval!r}, "
                             f"stall_timeout={stall_timeout!r}")
        self.key = key
        self.interval = float(interval)
        self.stall_timeout = float(stall_timeout)
        self._probe = (_WsPing(host, port, path, ws_subprotocol) if transport == "ws"
                       else _HttpPing(scheme, host, port, path))
        self._lock = threading.Lock()
        self._listeners: Dict[Listener, None] = {}     # insertion-ordered set
        self._stop = threading.Event()
        self._started = False
        self._answering = True
        self._tx = itertools.count(1)
        self._tx_prefix = "probe-" + secrets.token_hex(4)
        self.pings_sent = 0
        self.stalls = 0
        self._thread = threading.Thread(target=self._run, name=f"janus-liveness-{host}:{port}",
                                        daemon=True)

    # ------------------------------------------------------------- state
    @property
    def answering(self) -> bool:
        """False while the server is stalled (from the report until it answers again)."""
        return self._answering

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _add(self, listener: Listener) -> None:
        with self._lock:
            self._listeners[listener] = None
            start, self._started = not self._started, True
        if start:
            self._thread.start()

    def _remove(self, listener: Listener) -> bool:
        """Returns True when no listener is left (the prober then stops)."""
        with self._lock:
            self._listeners.pop(listener, None)
            empty = not self._listeners
        if empty:
            self._stop.set()
        return empty

    def _tell(self, answering: bool, reason: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for cb in listeners:
            try:
                cb(answering, reason)
            except Exception:   # one listener must not starve the others
                log.exception("exception in a Janus liveness listener")

    # ------------------------------------------------------------- the thread
    def _set_answering(self, answering: bool, reason: str) -> None:
        if answering == self._answering:
            return
        self._answering = answering
        if answering:
            log.warning("janus %s:%s answers again (%s)", self.key[2], self.key[3], reason)
        else:
            self.stalls += 1
            log.warning("janus %s:%s stalled: %s", self.key[2], self.key[3], reason)
        self._tell(answering, reason)

    def _run(self) -> None:
        last_answer = time.monotonic()
        try:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    self._probe.send(self.stall_timeout, f"{self._tx_prefix}-{next(self._tx)}")
                    self.pings_sent += 1
                    answered = self._await_answer(last_answer, sent)
                except Exception as e:
                    # refused, reset, wrong answer: not answering either; retry after a pause
                    if not isinstance(e, _ProbeFailed):   # a bug: keep probing all the same
                        log.exception("janus liveness probe of %s:%s", self.key[2], self.key[3])
                        self._probe.close()
                    if time.monotonic() - last_answer >= self.stall_timeout:
                        self._set_answering(False, f"ping failed: {e}")
                    self._stop.wait(self.interval)
                    continue
                if answered is None:      # stopping
                    return
                if answered:
                    last_answer = time.monotonic()
                    self._set_answering(True, f"pong after {last_answer - sent:.3f} s")
                    self._stop.wait(max(0.0, sent + self.interval - time.monotonic()))
                else:                     # unanswered for REOPEN_AFTER: try a new connection
                    self._probe.close()
        finally:
            self._probe.close()

    def _await_answer(self, last_answer: float, sent: float) -> Optional[bool]:
        """Wait for the outstanding ping's answer, in slices (to see `_stop`); report
        the stall when `stall_timeout` passed since the last answer, and keep waiting
        for the same ping (a frozen Janus answers it when it resumes).

        Returns True when answered, False to reopen the connection, None when stopping.
        """
        while not self._stop.is_set():
            now = time.monotonic()
            if now - last_answer >= self.stall_timeout:
                self._set_answering(False, f"no answer to a ping for {now - sent:.1f} s "
                                           f"(nothing for {now - last_answer:.1f} s)")
            if now - sent >= REOPEN_AFTER:
                return False
            stall_at = last_answer + self.stall_timeout
            slice_ = min(_SLICE, stall_at - now) if stall_at > now else _SLICE
            if self._probe.wait(max(0.001, slice_)):
                return True
        return None


# ------------------------------------------------------------------ registry
_registry_lock = threading.Lock()
_probers: Dict[tuple, JanusProber] = {}


def subscribe(key: Tuple[str, str, str, int, str], listener: Listener, *, interval: float,
              stall_timeout: float) -> JanusProber:
    """Add `listener` to the prober of `key` (created and started if there is none)."""
    full_key = (*key, float(interval), float(stall_timeout))
    with _registry_lock:
        prober = _probers.get(full_key)
        if prober is None:
            prober = JanusProber(key, interval=interval, stall_timeout=stall_timeout)
            _probers[full_key] = prober
        prober._add(listener)
    return prober


def unsubscribe(prober: JanusProber, listener: Listener, join_timeout: float = 1.0) -> None:
    """Remove `listener`; the prober stops (and leaves the registry) with its last
    listener, and this waits up to `join_timeout` s for its thread to end (it
    ends at once unless it is inside a connect to a frozen server)."""
    full_key = (*prober.key, prober.interval, prober.stall_timeout)
    with _registry_lock:
        last = prober._remove(listener)
        if last and _probers.get(full_key) is prober:
            del _probers[full_key]
    if last and prober._started and threading.current_thread() is not prober._thread:
        prober._thread.join(join_timeout)


def active_probers() -> Tuple[JanusProber, ...]:
    """The probers in use in this process (one per Janus server and timing)."""
    with _registry_lock:
        return tuple(_probers.values())
