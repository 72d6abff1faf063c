"""The Janus JSON API over the WebSocket transport (``janus+ws://host:port``).

`JanusWsClient` is a `JanusClient` whose requests travel on one WebSocket
(subprotocol ``janus-protocol``) instead of HTTP POSTs, and whose events
arrive on the same socket instead of an HTTP long poll. Everything above the
exchange (transactions, ack/event pairing, keepalives, handles, the
VideoRoom helpers, the dispatch thread, session-loss semantics) is the HTTP
client's.

Differences from HTTP
---------------------
* The session lives on the socket: Janus destroys a session whose WebSocket
  closed, so the socket closing (server stopped or killed, network error)
  declares the session lost at once; `reconnect` opens a new socket.
* Session and handle ids travel as ``session_id`` / ``handle_id`` fields of
  each message rather than in the URL path.

Liveness is the base client's (see `agora_rtc.janus.client`): the shared
prober pings over a WebSocket of its own, so a frozen Janus, whose session
socket stays open, is reported stalled within ``stall_timeout``.

Threads: the base client's keepalive, dispatch and liveness threads, plus
``janus-ws-reader`` (per socket), which routes every incoming message: the
first non-event message carrying a request's transaction is that request's reply;
every ``event`` (also one that overtakes its request's ``ack``) and everything
else goes through the base client's event handling.
"""
from __future__ import annotations

import json
import logging
import threading
import urllib.parse
from typing import Dict, Optional, Tuple

from agora_rtc.janus.client import (JanusClient, JanusSessionLost, JanusTimeoutError,
                                    JanusTransportError, _Pending)
from agora_rtc.janus.websocket import WebSocket, WebSocketError

__all__ = ["JanusWsClient", "JANUS_WS_SUBPROTOCOL"]

log = logging.getLogger("agora_rtc.janus")

#: The subprotocol Janus's WebSocket transport requires.
JANUS_WS_SUBPROTOCOL = "janus-protocol"


def _ws_base(url: str) -> Tuple[str, str, int, str]:
    u = urllib.parse.urlsplit(url)
    scheme = u.scheme.lower()
    if scheme not in ("janus+ws", "ws"):
        raise ValueError(f"JanusWsClient needs a janus+ws:// or ws:// URL, got {url!r}"
                         + (" (wss:// is not supported: keep Janus on loopback or a private network)"
                            if scheme == "wss" else ""))
    if not u.hostname:
        raise ValueError(f"no host in Janus URL {url!r}")
    return "ws", u.hostname, u.port or 8188, u.path or "/"


class JanusWsClient(JanusClient):
    """One Janus session over the WebSocket transport.

    Parameters
    ----------
    url : str
        ``ws://host:port[/path]`` or the SDK's ``janus+ws://host:port`` (default port 8188).
    **kwargs
        As `JanusClient` (``long_poll_max_events`` is unused).
    """

    def __init__(self, url: str, **kwargs) -> None:
        super().__init__(url, **kwargs)
        self._ws: Optional[WebSocket] = None
        self._ws_lock = threading.Lock()
        self._replies: Dict[str, _Pending] = {}     # transaction -> first reply wanted
        self._replies_lock = threading.Lock()

    @staticmethod
    def _split_url(url: str) -> Tuple[str, str, int, str]:
        return _ws_base(url)

    def _liveness_key(self) -> Tuple[str, str, str, int, str]:
        # the prober pings on a WebSocket of its own (a session-less one)
        return ("ws", "ws", self.host, self.port, self._path)

    # ------------------------------------------------------------- the socket
    def _socket(self, timeout: float, may_open: bool) -> WebSocket:
        with self._ws_lock:
            ws = self._ws
            if ws is not None and not ws.closed:
                return ws
            if not may_open:
                raise JanusSessionLost(0, "the WebSocket connection of the session is closed")
            ws = WebSocket.connect(self.host, self.port, self._path,
                                   subprotocol=JANUS_WS_SUBPROTOCOL, timeout=timeout)
            self._ws = ws
        threading.Thread(target=self._read_loop, args=(ws,), name="janus-ws-reader",
                         daemon=True).start()
        return ws

    def _close_socket(self) -> None:
        with self._ws_lock:
            ws, self._ws = self._ws, None   # not current any more: its reader ends quietly
        if ws is not None:
            ws.close()

    def _read_loop(self, ws: WebSocket) -> None:
        error: Optional[BaseException] = None
        while True:
            try:
                text = ws.recv()
            except WebSocketError as e:
                error = e
                break
            try:
                msg = json.loads(text)
            except ValueError:
                log.warning("janus websocket: ignoring a message that is not JSON")
                continue
            if not isinstance(msg, dict):
                continue
            tx = msg.get("transaction")
            waiter = None
            # A plugin's asynchronous "event" can overtake the core's "ack" of the same
            # request on the socket: events always take the event path (which completes
            # the request too); the reply slot waits for the ack/success/error itself.
            if isinstance(tx, str) and msg.get("janus") != "event":
                with self._replies_lock:
                    waiter = self._replies.pop(tx, None)
            if waiter is not None:
                waiter.response = msg
                waiter.done.set()
                continue
            sid = msg.get("session_id")
            if self.session_id is not None and sid in (None, self.session_id):
                self._on_incoming(self._gen, msg)
        # the socket ended: fail the requests waiting on it; if it was the session's, the session is gone
        with self._replies_lock:
            waiting, self._replies = list(self._replies.values()), {}
        for w in waiting:
            w.error = error
            w.done.set()
        with self._ws_lock:
            current = self._ws is ws
            if current:
                self._ws = None
        if current and self.session_id is not None:
            self._declare_lost(self._gen, f"the WebSocket connection closed ({error})", error)

    # ------------------------------------------------------------- exchange
    def _http(self, method: str, path: str, payload: Optional[dict], timeout: float,
              request: Optional[str] = None, long_poll: Optional[threading.Event] = None):
        """One request on the WebSocket (the base class's HTTP exchange, same contract):
        ``path`` ``/<session>[/<handle>]`` becomes ``session_id``/``handle_id`` fields."""
        if payload is None:
            raise JanusTransportError(0, "the WebSocket transport has no long poll", request)
        ids = [p for p in path.split("/") if p]
        msg = dict(payload)
        if ids:
            msg["session_id"] = int(ids[0])
        if len(ids) > 1:
            msg["handle_id"] = int(ids[1])
        tx = msg.get("transaction") or self._new_tx()
        msg["transaction"] = tx
        waiter = _Pending()
        with self._replies_lock:
            self._replies[tx] = waiter
        try:
            try:
                # a session's requests only travel on the session's socket
                ws = self._socket(timeout, may_open=not ids)
                ws.send_text(json.dumps(msg))
            except WebSocketError as e:
                raise JanusTransportError(0, f"{e} ({self.url})", request) from e
            except OSError as e:
                raise JanusTransportError(0, f"{type(e).__name__}: {e} ({self.url})", request) from e
            if not waiter.done.wait(timeout):
                raise JanusTimeoutError(0, f"no answer from {self.url} within {timeout} s", request)
            if waiter.response is None:
                raise JanusTransportError(0, f"the WebSocket connection closed ({waiter.error})", request)
            return waiter.response
        finally:
            with self._replies_lock:
                self._replies.pop(tx, None)

    def _poll_loop(self, gen: int, stop: threading.Event) -> None:
        """Events arrive on the socket (``janus-ws-reader``): nothing to poll."""
        stop.wait()

    def _check_alive(self, gen: int, reason: str, error: Optional[BaseException]) -> bool:
        with self._ws_lock:
            ws = self._ws
        if ws is None or ws.closed:   # the session died with its socket
            self._declare_lost(gen, reason, error)
            return False
        return super()._check_alive(gen, reason, error)

    def _teardown_session_locked(self, destroy: bool) -> None:
        super()._teardown_session_locked(destroy)
        self._close_socket()

    def close(self, destroy: bool = True) -> None:
        super().close(destroy)
        self._close_socket()
