"""Janus JSON API client over HTTP long-poll (stdlib only) and VideoRoom helpers.

This is the control plane of the ``janus`` transport (see JANUS.md): the C
engine exchanges plain RTP/Opus with Janus over UDP, and this module asks
Janus, through its JSON API, to create rooms, to accept our audio as a
*remote publisher* and to *RTP-forward* every remote user's audio to our UDP
socket.

Threads
-------
A connected `JanusClient` runs three daemon threads:

* ``janus-poll``: the HTTP long poll (``GET /janus/<session>?maxev=N``). It
  completes the asynchronous requests (``ack`` now, ``event`` with the same
  transaction later) and queues every plugin/handle event for dispatch;
* ``janus-keepalive``: a ``keepalive`` every `keepalive_interval` seconds
  (25 s, or a third of the server's ``session-timeout`` when that is shorter;
  Janus drops a session after ``session_timeout``, 60 s by default);
* ``janus-dispatch``: runs user callbacks (handle events, VideoRoomControl's
  publisher callbacks, ``on_session_lost``, ``on_resumed``) one at a time, in
  order. Callbacks may block and may issue requests (a request waiting for
  its event never waits on the dispatch thread). An exception in a callback
  is logged and never stops the client.

and shares with every other client of the process talking to the same server
one ``janus-liveness-<host>:<port>`` thread (`agora_rtc.janus.liveness`).

Liveness
--------
A frozen Janus (SIGSTOP, a stuck core) keeps its sockets open and resets
nothing, so the long poll and the keepalive would notice only after tens of
seconds. The shared prober pings the server (``{"janus": "ping"}``, on a
connection of its own) every `probe_interval` seconds; when it got no answer
for `stall_timeout` seconds the client calls ``on_stalled(reason)`` on the
prober's thread (the session is kept: Janus answers everything when it
resumes), and when the server answers again it sends a ``keepalive`` on the
session (dispatch thread): answered, it calls ``on_resumed(stalled_seconds)``;
"No such session" (Janus dropped it meanwhile) declares the session lost as
below.

Session loss
------------
The session is declared lost, once, when Janus says so (HTTP 404 on the long
poll, error 458 "No such session", a ``timeout`` event) or when the long poll,
the keepalive or any request fails at the transport level (refused, reset,
timed out) and a quick ``info`` probe (1 s) fails too; a transport failure
while the server still answers is retried (long poll) or raised to the caller.
With liveness on, an ``info`` probe that times out (the server accepted the
connection but does not answer) means stalled, not lost: the request raises
`JanusTimeoutError` and the prober reports the stall and its end. After
``on_stalled`` and until the server answers a ping again, session requests
raise `JanusTimeoutError` at once without being sent.
A SIGKILLed Janus on loopback is detected in a few milliseconds (the long
poll's connection is reset).
Then every waiting request fails with `JanusSessionLost`, the threads stop and
``on_session_lost(reason, error)`` is called on the dispatch thread. The
engine maps that to ``on_connection_lost`` / ``on_reconnecting``; `reconnect`
creates a new session (handles, rooms joined and remote publishers of the old
session are gone; a restarted Janus has forgotten its rooms too).

Mapping of SDK concepts (JANUS.md)
----------------------------------
channel_id -> VideoRoom room id (numeric); user_id -> participant id;
token -> the room ``secret`` (needed by add/remove_remote_publisher,
rtp_forward and destroy) and, when the room has one, its ``pin``;
publish_audio -> `VideoRoom.add_remote_publisher`; a remote user's audio ->
`VideoRoom.rtp_forward`; on_user_joined/left -> `VideoRoomControl` callbacks.
"""
from __future__ import annotations

import http.client
import ipaddress
import itertools
import json
import logging
import queue
import secrets
import socket
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from agora_rtc.errors import AgoraError
from agora_rtc.janus import liveness

__all__ = [
    "JanusClient", "JanusHandle", "VideoRoom", "VideoRoomControl",
    "RemotePublisher", "RtpForwarder",
    "JanusError", "JanusPluginError", "JanusTransportError", "JanusTimeoutError",
    "JanusSessionLost",
    "VIDEOROOM_PLUGIN", "ERR_NO_SUCH_ROOM", "ERR_ROOM_EXISTS", "ERR_NO_SUCH_FEED",
    "ERR_UNAUTHORIZED", "ERR_ID_EXISTS", "ERR_SESSION_NOT_FOUND", "ERR_HANDLE_NOT_FOUND",
    "REMOTE_PUBLISHER_BASE_SSRC", "REMOTE_PUBLISHER_SSRC_STEP", "OPUS_PT", "VP8_PT", "H264_PT",
    "VIDEO_PT",
]

log = logging.getLogger("agora_rtc.janus")

VIDEOROOM_PLUGIN = "janus.plugin.videoroom"
#: Seconds between keepalives when the server's session-timeout allows it.
DEFAULT_KEEPALIVE = 25.0

# Janus core error codes (apierror.h) and VideoRoom plugin error codes.
ERR_SESSION_NOT_FOUND = 458
ERR_HANDLE_NOT_FOUND = 459
ERR_NO_SUCH_ROOM = 426
ERR_ROOM_EXISTS = 427
ERR_NO_SUCH_FEED = 428
ERR_UNAUTHORIZED = 433
ERR_ID_EXISTS = 436

#: A remote publisher's stream at mindex m must be sent with SSRC 1000 + 10*m
#: (Janus drops every other SSRC).
REMOTE_PUBLISHER_BASE_SSRC = 1000
REMOTE_PUBLISHER_SSRC_STEP = 10
#: Opus payload type used on both legs.
OPUS_PT = 111
#: Video payload types: the ones Janus 1.1.2 gives a remote publisher's video
#: stream (janus_videocodec_pt in rtp.c: VP8 96, H.264 107), so our packets
#: need no rewriting; the forwards to us use the same ones.
VP8_PT = 96
H264_PT = 107
#: Janus codec name -> payload type, for the codecs the SDK carries.
VIDEO_PT = {"vp8": VP8_PT, "h264": H264_PT}


# --------------------------------------------------------------------------- errors
class JanusError(AgoraError, RuntimeError):
    """A request to Janus failed.

    Attributes
    ----------
    code : int
        The *Janus* error code (positive: e.g. 458 no such session, 426 no such
        room, 428 no such feed), or 0 when the failure has no Janus code.
    reason : str
        Janus's (or the transport's) explanation.
    request : str or None
        The request that failed (``"create"``, ``"rtp_forward"``, ...).
    """

    def __init__(self, code: int, reason: str, request: Optional[str] = None) -> None:
        self.reason = reason
        self.request = request
        where = f"{request}: " if request else ""
        super().__init__(f"{where}Janus error {code}: {reason}" if code else f"{where}{reason}", code)


class JanusPluginError(JanusError):
    """The plugin (VideoRoom) refused the request (``error_code`` in plugindata)."""


class JanusTransportError(JanusError):
    """The HTTP exchange itself failed (refused, reset, bad status, bad JSON).

    ``code`` is the HTTP status when there was one, else 0.
    """


class JanusTimeoutError(JanusError, TimeoutError):
    """No answer (or no asynchronous event) within the request timeout."""


class JanusSessionLost(JanusError):
    """The Janus session is gone (server stopped or crashed, session timed out)."""


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class RemotePublisher:
    """Where the engine must send our RTP for a remote publisher.

    Send stream ``mindex`` with SSRC ``1000 + 10*mindex`` (PT 111 for Opus,
    96 VP8 / 107 H.264 for video) to ``(ip, port)`` from the socket the engine
    also receives on; RTCP goes to ``rtcp_port``. Janus 1.1.2 uses that RTCP
    socket only to latch our address (the source of any RTP/RTCP packet it
    gets there) and to send us keyframe requests: a PLI (sender SSRC 1, media
    SSRC ``1000 + 10*mindex``) whenever a subscriber needs a keyframe (a new
    subscriber, a browser's own PLI), at most one per second per stream
    (janus_videoroom_rtcp_pli_send).
    """

    room: int
    id: int
    ip: str
    port: int
    rtcp_port: int
    streams: Tuple[dict, ...] = ()

    def ssrc(self, mindex: int = 0) -> int:
        return REMOTE_PUBLISHER_BASE_SSRC + REMOTE_PUBLISHER_SSRC_STEP * mindex


@dataclass(frozen=True)
class RtpForwarder:
    """One RTP forwarder: Janus sends publisher ``publisher_id``'s stream ``mid``
    to ``host:port`` with SSRC ``ssrc`` and payload type ``pt``."""

    room: int
    publisher_id: int
    stream_id: int
    host: str
    port: int
    ssrc: int
    pt: int
    mid: str
    srtp: bool = False
    #: Janus's own port for RTCP feedback on this forward (PLI/FIR sent there
    #: make Janus ask the publisher for a keyframe); 0 unless rtcp_port was given.
    local_rtcp_port: int = 0
    raw: dict = field(default_factory=dict, compare=False, repr=False)


class _Pending:
    __slots__ = ("done", "response", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.response: Optional[dict] = None
        self.error: Optional[BaseException] = None


def _http_base(url: str) -> Tuple[str, str, int, str]:
    """Split a Janus URL into (scheme, host, port, path); ``janus://h:p`` -> http://h:p/janus."""
    u = urllib.parse.urlsplit(url)
    scheme = u.scheme.lower()
    if scheme == "janus":
        scheme, path = "http", (u.path if u.path not in ("", "/") else "/janus")
        default_port = 8088
    elif scheme in ("http", "https"):
        path = u.path.rstrip("/") or "/janus"
        default_port = 80 if scheme == "http" else 443
    elif scheme in ("janus+ws", "ws", "wss"):
        raise JanusError(0, f"{url!r}: a WebSocket URL: use JanusWsClient (agora_rtc.janus.ws_client) "
                            "or the HTTP API (janus://host:port or http://host:port/janus)")
    else:
        raise ValueError(f"unsupported Janus URL {url!r}")
    if not u.hostname:
        raise ValueError(f"no host in Janus URL {url!r}")
    return scheme, u.hostname, u.port or default_port, path.rstrip("/")


# --------------------------------------------------------------------------- client
class JanusClient:
    """One Janus session over the HTTP long-poll transport.

    Parameters
    ----------
    url : str
        ``http://host:port/janus`` (or the SDK's ``janus://host:port``).
    api_secret, token : str, optional
        Janus core ``apisecret`` / auth ``token`` added to every request.
    request_timeout : float
        Default seconds to wait for a reply (and for the event of an async request).
    keepalive_interval : float or None
        Seconds between keepalives. None (default): 25 s, or a third of the
        server's ``session-timeout`` (read with ``info`` at `connect`) when that
        is shorter, so that a server set to drop idle sessions sooner than
        Janus's default 60 s keeps ours.
    long_poll_max_events : int
        ``maxev`` of the long poll (events returned per poll).
    on_session_lost : callable(reason: str, error: BaseException | None), optional
        Called once on the dispatch thread when the session is lost.
    on_event : callable(event: dict), optional
        Every event received by the long poll (raw JSON, after dispatch bookkeeping).
    probe_interval : float
        Seconds between the liveness pings of the server (shared by the clients
        of the process talking to it).
    stall_timeout : float or None
        The server is stalled when it answered no ping for this long (must be
        more than `probe_interval`); None turns liveness off (a timeout is then
        a lost session, as a refused connection).
    on_stalled : callable(reason: str), optional
        Called once when the server stops answering while the session is
        connected, on the liveness thread (shared by every client of that
        server: it must return at once; the dispatch thread may itself be
        blocked in a request to the frozen server).
    on_resumed : callable(stalled_seconds: float), optional
        Called once on the dispatch thread after `on_stalled`, when the server
        answers again and still knows the session.

    Examples
    --------
    >>> with JanusClient("http://127.0.0.1:8088/janus") as c:      # doctest: +SKIP
    ...     vr = c.videoroom(admin_key="k")
    ...     vr.create(1234, secret="s")
    """

    def __init__(self, url: str, *, api_secret: Optional[str] = None, token: Optional[str] = None,
                 request_timeout: float = 10.0, keepalive_interval: Optional[float] = None,
                 long_poll_max_events: int = 10,
                 on_session_lost: Optional[Callable[[str, Optional[BaseException]], Any]] = None,
                 on_event: Optional[Callable[[dict], Any]] = None,
                 probe_interval: float = 0.5, stall_timeout: Optional[float] = 2.0,
                 on_stalled: Optional[Callable[[str], Any]] = None,
                 on_resumed: Optional[Callable[[float], Any]] = None) -> None:
        if stall_timeout is not None and not 0 < float(probe_interval) < float(stall_timeout):
            raise ValueError(f"need 0 < probe_interval < stall_timeout (seconds), got "
                             f"probe_interval={probe_interval!r}, stall_timeout={stall_timeout!r}")
        self._scheme, self.host, self.port, self._path = self._split_url(url)
        self.url = f"{self._scheme}://{self._host_for_url()}:{self.port}{self._path}"
        self.api_secret = api_secret
        self.token = token
        self.request_timeout = float(request_timeout)
        self._keepalive_from_server = keepalive_interval is None
        self.keepalive_interval = DEFAULT_KEEPALIVE if keepalive_interval is None else float(keepalive_interval)
        self.long_poll_max_events = max(1, int(long_poll_max_events))
        self.on_session_lost = on_session_lost
        self.on_event = on_event
        self.probe_interval = float(probe_interval)
        self.stall_timeout = None if stall_timeout is None else float(stall_timeout)
        self.on_stalled = on_stalled
        self.on_resumed = on_resumed
        self._prober: Optional[liveness.JanusProber] = None   # while a session exists
        self._stalled_since: Optional[float] = None          # monotonic time of on_stalled

        self._lock = threading.RLock()
        self._pending: Dict[str, _Pending] = {}
        self._pending_lock = threading.Lock()
        self._handles: Dict[int, "JanusHandle"] = {}
        self._tx_counter = itertools.count(1)
        self._tx_prefix = secrets.token_hex(4)
        self.session_id: Optional[int] = None
        self._gen = 0                      # bumps at each connect/reconnect/loss/close
        self._stop = threading.Event()     # of the current generation's threads
        self._poll_conn: Optional[http.client.HTTPConnection] = None
        self._threads: List[threading.Thread] = []
        self._lost_reason: Optional[str] = None
        self._closed = False
        self._tearing_down = False         # close()/reconnect() in progress: failures are not losses
        self.last_keepalive: Optional[float] = None   # monotonic time of the last acked keepalive
        self.keepalives_sent = 0
        self._dispatch_q: "queue.Queue[Optional[Callable[[], Any]]]" = queue.Queue()
        self._dispatcher: Optional[threading.Thread] = None

    @staticmethod
    def _split_url(url: str) -> Tuple[str, str, int, str]:
        """(scheme, host, port, path) of the API URL (the WebSocket client overrides it)."""
        return _http_base(url)

    def _host_for_url(self) -> str:
        return f"[{self.host}]" if ":" in self.host else self.host

    # ------------------------------------------------------------- state
    @property
    def connected(self) -> bool:
        """True while a session exists and has not been lost or closed."""
        return self.session_id is not None and self._lost_reason is None and not self._closed

    @property
    def lost(self) -> bool:
        return self._lost_reason is not None

    @property
    def lost_reason(self) -> Optional[str]:
        return self._lost_reason

    @property
    def stalled(self) -> bool:
        """True from ``on_stalled`` until ``on_resumed`` (or the session's end)."""
        return self._stalled_since is not None and self.connected

    # ------------------------------------------------------------- HTTP
    def _new_conn(self, timeout: float) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
        return cls(self.host, self.port, timeout=timeout)

    def _http(self, method: str, path: str, payload: Optional[dict], timeout: float,
              request: Optional[str] = None,
              long_poll: Optional[threading.Event] = None) -> Union[dict, list]:
        """One HTTP exchange (a fresh connection: no proxy, no shared state between threads).

        `long_poll` is the poll thread's stop event: the connection is published in
        ``_poll_conn`` so that teardown can shut its socket down to wake the thread.
        """
        conn = self._new_conn(timeout)
        try:
            if long_poll is not None:
                # Publish, connect, THEN check stop; teardown sets stop THEN shuts the
                # published socket down: one of the two always sees the other.
                self._poll_conn = conn
                conn.connect()
                if long_poll.is_set():
                    raise JanusTransportError(0, "client stopping", request)
            body = None if payload is None else json.dumps(payload).encode()
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, self._path + path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise JanusTransportError(resp.status, f"HTTP {resp.status} {resp.reason} for "
                                          f"{method} {self._path + path}", request)
            return json.loads(data.decode("utf-8"))
        except socket.timeout as e:
            raise JanusTimeoutError(0, f"no HTTP answer from {self.url} within {timeout} s",
                                    request) from e
        except (OSError, http.client.HTTPException) as e:
            raise JanusTransportError(0, f"{type(e).__name__}: {e} ({self.url})", request) from e
        except ValueError as e:
            raise JanusTransportError(0, f"invalid JSON from Janus: {e}", request) from e
        finally:
            if long_poll is not None:
                self._poll_conn = None
            conn.close()

    def _new_tx(self) -> str:
        return f"{self._tx_prefix}-{next(self._tx_counter)}"

    def _stamp(self, payload: dict) -> dict:
        if self.api_secret is not None:
            payload.setdefault("apisecret", self.api_secret)
        if self.token is not None:
            payload.setdefault("token", self.token)
        return payload

    # ------------------------------------------------------------- requests
    def request(self, payload: dict, *, handle_id: Optional[int] = None,
                timeout: Optional[float] = None, session: bool = True) -> dict:
        """Send one Janus API request and return the final reply.

        A transaction id is added. ``error`` replies raise `JanusError`; for a
        plugin ``message`` answered by ``ack``, this waits for the ``event``
        with the same transaction (delivered by the long poll) and returns it.

        Parameters
        ----------
        payload : dict
            The request (``{"janus": "attach", ...}``); modified in place.
        handle_id : int, optional
            Post to ``/session/handle``.
        session : bool
            False for session-less requests (``create``, ``info``).
        """
        timeout = self.request_timeout if timeout is None else float(timeout)
        kind = payload.get("janus", "?")
        what = (payload.get("body") or {}).get("request") if kind == "message" else kind
        path = ""
        gen = self._gen
        if session:
            if self.session_id is None or self._closed:
                raise JanusSessionLost(0, "not connected (call connect())", what)
            if self._lost_reason is not None:
                raise JanusSessionLost(0, f"session lost: {self._lost_reason}", what)
            self._raise_if_stalled(what)
            path = f"/{self.session_id}" + (f"/{handle_id}" if handle_id is not None else "")
        tx = self._new_tx()
        payload["transaction"] = tx
        self._stamp(payload)
        pending = None
        if kind == "message" and session:
            pending = _Pending()   # registered BEFORE posting: the event can beat the reply
            with self._pending_lock:
                self._pending[tx] = pending
        deadline = time.monotonic() + timeout
        try:
            try:
                reply = self._http("POST", path, payload, timeout, request=what)
            except (JanusTransportError, JanusTimeoutError) as e:
                if session and gen == self._gen:
                    self._check_alive(gen, f"{what} failed: {e.reason}", e)
                if self._lost_reason is not None and session:
                    raise JanusSessionLost(e.code, f"session lost: {self._lost_reason}", what) from e
                raise
            if not isinstance(reply, dict):
                raise JanusTransportError(0, f"unexpected reply {reply!r}", what)
            self._raise_for_error(reply, what, gen if session else None)
            if reply.get("janus") == "ack" and pending is not None:
                left = deadline - time.monotonic()
                if not pending.done.wait(max(0.0, left)):
                    raise JanusTimeoutError(0, f"no event for transaction {tx} within {timeout} s", what)
                if pending.error is not None:
                    raise pending.error
                reply = pending.response
                self._raise_for_error(reply, what, gen)
            return reply
        finally:
            if pending is not None:
                with self._pending_lock:
                    self._pending.pop(tx, None)

    def _raise_for_error(self, reply: dict, what: Optional[str], gen: Optional[int]) -> None:
        if reply.get("janus") == "error":
            err = reply.get("error") or {}
            code = int(err.get("code") or 0)
            reason = str(err.get("reason") or "unknown error")
            if code == ERR_SESSION_NOT_FOUND and gen is not None:
                self._declare_lost(gen, f"Janus says: {reason}", None)
                raise JanusSessionLost(code, reason, what)
            raise JanusError(code, reason, what)
        data = ((reply.get("plugindata") or {}).get("data")) or {}
        if isinstance(data, dict) and data.get("error_code"):
            raise JanusPluginError(int(data["error_code"]), str(data.get("error", "")), what)

    def info(self, timeout: Optional[float] = None) -> dict:
        """``{"janus": "info"}``: the server's description (works without a session)."""
        return self.request({"janus": "info"}, session=False, timeout=timeout)

    # ------------------------------------------------------------- session
    def connect(self) -> int:
        """Create the session and start the long-poll, keepalive and dispatch threads.

        Returns the session id. Idempotent while connected.
        """
        with self._lock:
            if self._closed:
                raise JanusError(0, "client is closed", "create")
            if self.connected:
                return self.session_id
            if self._keepalive_from_server:
                self.keepalive_interval = self._keepalive_for(self.info())
            reply = self.request({"janus": "create"}, session=False)
            sid = int(reply["data"]["id"])
            self._gen += 1
            gen = self._gen
            self.session_id = sid
            self._lost_reason = None
            self._stalled_since = None
            self._stop = threading.Event()
            self.last_keepalive = time.monotonic()
            self._start_dispatcher()
            self._start_liveness()
            poll = threading.Thread(target=self._poll_loop, args=(gen, self._stop),
                                    name=f"janus-poll-{sid}", daemon=True)
            ka = threading.Thread(target=self._keepalive_loop, args=(gen, self._stop),
                                  name=f"janus-keepalive-{sid}", daemon=True)
            self._threads = [poll, ka]
            poll.start()
            ka.start()
            log.debug("janus session %s created on %s", sid, self.url)
            return sid

    @staticmethod
    def _keepalive_for(server_info: dict) -> float:
        """Keepalive interval for a server whose ``info`` is `server_info`."""
        timeout = server_info.get("session-timeout")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
            return max(0.5, min(DEFAULT_KEEPALIVE, timeout / 3))
        return DEFAULT_KEEPALIVE   # 0: Janus never drops idle sessions

    def reconnect(self) -> int:
        """Drop the current session (if any) and create a new one.

        Handles of the old session become invalid: attach again (and re-create
        rooms, remote publishers and forwarders) after this.
        """
        with self._lock:
            if self._closed:
                raise JanusError(0, "client is closed", "create")
            self._teardown_session(destroy=not self.lost)
            return self.connect()

    def close(self, destroy: bool = True) -> None:
        """Destroy the session (best effort) and stop every thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._teardown_session(destroy=destroy and self.connected)
            self._closed = True
        self._stop_dispatcher()

    def _teardown_session(self, destroy: bool) -> None:
        self._tearing_down = True
        try:
            self._teardown_session_locked(destroy)
        finally:
            self._tearing_down = False

    def _teardown_session_locked(self, destroy: bool) -> None:
        sid = self.session_id
        # First retire the session's threads (a stale generation ignores what it sees):
        # destroying the session ends the long poll, which must not look like a loss.
        self._gen += 1
        self._stop.set()
        if destroy and sid is not None:
            try:   # not sent while the server is stalled (Janus times the session out)
                self.request({"janus": "destroy"}, timeout=min(2.0, self.request_timeout))
            except JanusError as e:
                log.debug("destroying janus session %s: %s", sid, e)
        self._stop_liveness()
        conn = self._poll_conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)   # wakes the blocked long poll
            except OSError:
                pass
        me = threading.current_thread()
        for t in self._threads:
            if t is not me:
                t.join(5.0)
        self._threads = []
        self._fail_pending(JanusSessionLost(0, "session closed"))
        for h in list(self._handles.values()):
            h._dead = True
        self._handles.clear()
        self.session_id = None

    def __enter__(self) -> "JanusClient":
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = ("stalled" if self.stalled else "connected") if self.connected else \
            ("lost" if self.lost else "idle")
        return f"<JanusClient {self.url} session={self.session_id} {state}>"

    # ------------------------------------------------------------- handles
    def attach(self, plugin: str = VIDEOROOM_PLUGIN,
               on_event: Optional[Callable[["JanusHandle", dict, Optional[dict], dict], Any]] = None
               ) -> "JanusHandle":
        """Attach a plugin handle to the session (``{"janus": "attach"}``)."""
        reply = self.request({"janus": "attach", "plugin": plugin})
        h = JanusHandle(self, int(reply["data"]["id"]), plugin, self._gen)
        if on_event is not None:
            h.add_listener(on_event)
        self._handles[h.id] = h
        return h

    def videoroom(self, *, admin_key: Optional[str] = None, iface: Optional[str] = None) -> "VideoRoom":
        """Attach a VideoRoom handle for management requests (see `VideoRoom`)."""
        return VideoRoom(self.attach(VIDEOROOM_PLUGIN), admin_key=admin_key, iface=iface)

    def keepalive(self, timeout: Optional[float] = None) -> None:
        """Send one ``keepalive`` now (the keepalive thread does this periodically)."""
        self.request({"janus": "keepalive"}, timeout=timeout)
        self.keepalives_sent += 1
        self.last_keepalive = time.monotonic()

    # ------------------------------------------------------------- threads
    def _start_dispatcher(self) -> None:
        if self._dispatcher is None or not self._dispatcher.is_alive():
            self._dispatcher = threading.Thread(target=self._dispatch_loop, name="janus-dispatch",
                                                daemon=True)
            self._dispatcher.start()

    def _stop_dispatcher(self) -> None:
        d = self._dispatcher
        if d is None:
            return
        self._dispatch_q.put(None)
        if d is not threading.current_thread():
            d.join(5.0)
        self._dispatcher = None

    def _dispatch(self, fn: Callable[[], Any]) -> None:
        self._dispatch_q.put(fn)

    def _dispatch_loop(self) -> None:
        while True:
            fn = self._dispatch_q.get()
            if fn is None:
                return
            try:
                fn()
            except Exception:  # a callback must never stop the client
                log.exception("exception in a Janus event callback")

    def _poll_loop(self, gen: int, stop: threading.Event) -> None:
        sid = self.session_id
        failures = 0
        while not stop.is_set() and gen == self._gen:
            path = f"/{sid}?maxev={self.long_poll_max_events}&rid={int(time.time() * 1000)}"
            try:
                # Janus answers an idle long poll with a keepalive after 30 s.
                events = self._http("GET", path, None, timeout=45.0, request="long-poll",
                                    long_poll=stop)
                failures = 0
            except JanusError as e:
                if stop.is_set() or gen != self._gen:
                    return
                if e.code == 404:
                    self._declare_lost(gen, "Janus no longer knows the session (HTTP 404)", e)
                    return
                if isinstance(e, JanusTimeoutError) and self._prober is not None:
                    continue   # no answer for 45 s: a stalled server (the prober reports it)
                failures += 1
                if not self._check_alive(gen, f"long poll failed: {e.reason}", e) or failures >= 3:
                    if failures >= 3:
                        self._declare_lost(gen, f"long poll failed {failures} times: {e.reason}", e)
                    return
                stop.wait(0.2)
                continue
            if gen != self._gen:
                return
            for ev in events if isinstance(events, list) else [events]:
                if isinstance(ev, dict):
                    self._on_incoming(gen, ev)

    def _keepalive_loop(self, gen: int, stop: threading.Event) -> None:
        while not stop.wait(self.keepalive_interval):
            if gen != self._gen:
                return
            try:
                self.keepalive(timeout=min(5.0, self.request_timeout))
            except JanusSessionLost:
                return
            except JanusError as e:
                if gen != self._gen or stop.is_set():
                    return
                self._check_alive(gen, f"keepalive failed: {e.reason}", e)

    def _check_alive(self, gen: int, reason: str, error: Optional[BaseException]) -> bool:
        """After a transport failure: probe the server; declare the session lost if it is down.

        Returns True when the server still answers.
        """
        if gen != self._gen or self._lost_reason is not None:
            return False
        try:
            self._http("POST", "", self._stamp({"janus": "info", "transaction": self._new_tx()}),
                       timeout=1.0, request="info")
            return True
        except JanusTimeoutError:
            if self._prober is not None:
                return True   # connected but unanswered: stalled, not gone (the prober reports it)
            self._declare_lost(gen, reason, error)
            return False
        except JanusError:
            self._declare_lost(gen, reason, error)
            return False

    # ------------------------------------------------------------- liveness
    def _liveness_key(self) -> Tuple[str, str, str, int, str]:
        """(transport, scheme, host, port, path) of the server, for the shared prober."""
        return ("http", self._scheme, self.host, self.port, self._path)

    def _start_liveness(self) -> None:
        if self.stall_timeout is None or self._prober is not None:
            return
        self._prober = liveness.subscribe(self._liveness_key(), self._on_liveness,
                                          interval=self.probe_interval,
                                          stall_timeout=self.stall_timeout)

    def _stop_liveness(self) -> None:
        prober, self._prober = self._prober, None
        if prober is not None:
            liveness.unsubscribe(prober, self._on_liveness)

    def _raise_if_stalled(self, what: Optional[str]) -> None:
        """Between ``on_stalled`` and the server's next answer, session requests fail at
        once (nothing is sent) instead of each waiting `request_timeout` for a frozen
        server: a disconnect during a freeze returns in milliseconds."""
        since, prober = self._stalled_since, self._prober
        if since is not None and prober is not None and not prober.answering:
            raise JanusTimeoutError(0, f"not sent: the server has not answered for "
                                       f"{time.monotonic() - since + prober.stall_timeout:.1f} s "
                                       f"(stalled)", what)

    def _on_liveness(self, answering: bool, reason: str) -> None:
        """The prober's news (prober thread: returns at once; the rest runs on dispatch)."""
        with self._pending_lock:
            if not self.connected or self._tearing_down:
                return
            gen = self._gen
            if answering == (self._stalled_since is None):
                return   # no change for this session
            if not answering:
                self._stalled_since = time.monotonic()
        if answering:
            self._dispatch(lambda: self._confirm_session(gen))
            return
        log.debug("janus session %s: the server does not answer (%s)", self.session_id, reason)
        # Called here, not on the dispatch thread: that one may be blocked in a request
        # to the frozen server (a callback's rtp_forward), and the stall must be told now.
        cb = self.on_stalled
        if cb is not None:
            try:
                cb(reason)
            except Exception:
                log.exception("exception in on_stalled")

    def _confirm_session(self, gen: int) -> None:
        """Dispatch thread, after a stall: the server answers again; does it still know
        our session? Yes: ``on_resumed``. No: the keepalive's 458 declares it lost."""
        while gen == self._gen and self.connected and self._stalled_since is not None:
            prober = self._prober
            if prober is not None and not prober.answering:
                return   # stalled again: its next answer brings us back here
            try:
                self.keepalive(timeout=self.request_timeout)
            except JanusSessionLost:
                return   # on_session_lost follows
            except JanusError as e:
                log.info("janus session %s: keepalive after a stall failed: %s", self.session_id, e)
                if self._stop.wait(self.probe_interval):
                    return
                continue
            with self._pending_lock:
                since, self._stalled_since = self._stalled_since, None
                if gen != self._gen or since is None:
                    return
            stalled_for = time.monotonic() - since
            log.debug("janus session %s: the server answers again after %.1f s",
                      self.session_id, stalled_for)
            cb = self.on_resumed
            if cb is not None:
                cb(stalled_for)
            return

    def _declare_lost(self, gen: int, reason: str, error: Optional[BaseException]) -> None:
        with self._pending_lock:
            if (gen != self._gen or self._lost_reason is not None or self._closed
                    or self._tearing_down):
                return
            self._lost_reason = reason
        log.warning("janus session %s lost: %s", self.session_id, reason)
        self._stop.set()
        self._fail_pending(JanusSessionLost(0, f"session lost: {reason}"))
        for h in list(self._handles.values()):
            h._dead = True
        cb = self.on_session_lost
        if cb is not None:
            self._dispatch(lambda: cb(reason, error))
        self._stop_liveness()

    def _fail_pending(self, error: BaseException) -> None:
        with self._pending_lock:
            items = list(self._pending.values())
        for p in items:
            if not p.done.is_set():
                p.error = error
                p.done.set()

    def _on_incoming(self, gen: int, ev: dict) -> None:
        kind = ev.get("janus")
        if kind == "keepalive":
            return
        if kind == "timeout":
            self._declare_lost(gen, "Janus timed the session out (no keepalive)", None)
            return
        tx = ev.get("transaction")
        if tx is not None and kind in ("event", "success", "error"):
            with self._pending_lock:
                p = self._pending.get(tx)
            if p is not None and not p.done.is_set():
                p.response = ev
                p.done.set()
        sender = ev.get("sender")
        handle = self._handles.get(int(sender)) if sender is not None else None
        if handle is not None:
            if kind == "detached":
                handle._dead = True
                self._handles.pop(handle.id, None)
            self._dispatch(lambda: handle._deliver(ev))
        cb = self.on_event
        if cb is not None:
            self._dispatch(lambda: cb(ev))


class JanusHandle:
    """A plugin handle of a `JanusClient` session.

    Listeners ``cb(handle, data, jsep, raw)`` receive every event of the handle
    (``data`` is ``plugindata.data`` for plugin events, else the raw event), on
    the client's dispatch thread.
    """

    def __init__(self, client: JanusClient, handle_id: int, plugin: str, gen: int) -> None:
        self.client = client
        self.id = handle_id
        self.plugin = plugin
        self._gen = gen
        self._dead = False
        self._listeners: List[Callable[["JanusHandle", dict, Optional[dict], dict], Any]] = []

    @property
    def alive(self) -> bool:
        return not self._dead and self._gen == self.client._gen and self.client.connected

    def add_listener(self, cb: Callable[["JanusHandle", dict, Optional[dict], dict], Any]) -> None:
        self._listeners.append(cb)

    def remove_listener(self, cb) -> None:
        try:
            self._listeners.remove(cb)
        except ValueError:
            pass

    def _deliver(self, ev: dict) -> None:
        data = (ev.get("plugindata") or {}).get("data")
        for cb in list(self._listeners):
            try:
                cb(self, data if isinstance(data, dict) else ev, ev.get("jsep"), ev)
            except Exception:
                log.exception("exception in Janus handle listener %r", cb)

    def _check(self, what: str) -> None:
        if not self.alive:
            raise JanusSessionLost(0, "handle is no longer valid (session lost, closed or detached)", what)

    def message(self, body: dict, *, jsep: Optional[dict] = None,
                timeout: Optional[float] = None) -> dict:
        """Send a plugin message and return ``plugindata.data``.

        Synchronous plugin requests answer at once (``success``); asynchronous ones
        (``join``, ``configure``, ``leave``...) answer ``ack`` and the result comes as
        an ``event`` with the same transaction, which this waits for.

        Raises
        ------
        JanusPluginError
            The plugin answered with ``error_code`` / ``error``.
        """
        what = body.get("request")
        self._check(what)
        payload: Dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            payload["jsep"] = jsep
        reply = self.client.request(payload, handle_id=self.id, timeout=timeout)
        data = (reply.get("plugindata") or {}).get("data")
        if not isinstance(data, dict):
            raise JanusError(0, f"reply without plugindata: {reply!r}", what)
        return data

    def detach(self, timeout: Optional[float] = None) -> None:
        """Detach the handle (best effort when the session is already gone)."""
        if not self.alive:
            self._dead = True
            return
        try:
            self.client.request({"janus": "detach"}, handle_id=self.id, timeout=timeout)
        finally:
            self._dead = True
            self.client._handles.pop(self.id, None)

    def __repr__(self) -> str:
        return f"<JanusHandle {self.plugin} id={self.id} {'alive' if self.alive else 'dead'}>"


# --------------------------------------------------------------------------- VideoRoom
def _maybe(d: dict, **kv: Any) -> dict:
    for k, v in kv.items():
        if v is not None:
            d[k] = v
    return d


def _default_iface(host: str) -> Optional[str]:
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return None


class VideoRoom:
    """VideoRoom management requests on one handle (rooms, remote publishers, forwarders).

    Parameters
    ----------
    handle : JanusHandle
        A handle attached to ``janus.plugin.videoroom``.
    admin_key : str, optional
        The plugin's ``admin_key``: sent with ``create`` and, because the server
        sets ``lock_rtp_forward``, with ``rtp_forward``/``stop_rtp_forward``.
    iface : str, optional
        Address Janus binds remote-publisher sockets to (default: the API host
        when it is an IP literal, e.g. 127.0.0.1).
    """

    def __init__(self, handle: JanusHandle, *, admin_key: Optional[str] = None,
                 iface: Optional[str] = None) -> None:
        self.handle = handle
        self.admin_key = admin_key
        self.iface = iface if iface is not None else _default_iface(handle.client.host)

    # rooms -------------------------------------------------------------
    def exists(self, room: int) -> bool:
        """``exists``: whether the room is on this Janus."""
        return bool(self.handle.message({"request": "exists", "room": room}).get("exists"))

    def create(self, room: int, *, secret: Optional[str] = None, pin: Optional[str] = None,
               publishers: int = 16, audiocodec: str = "opus", description: Optional[str] = None,
               is_private: bool = True, admin_key: Optional[str] = None, **extra: Any) -> int:
        """``create`` a room (never permanent); returns its id.

        Raises `JanusPluginError` with code 427 when it exists already.
        """
        body = _maybe({"request": "create", "room": room, "publishers": int(publishers),
                       "audiocodec": audiocodec, "is_private": bool(is_private)},
                      admin_key=admin_key or self.admin_key, secret=secret, pin=pin,
                      description=description)
        body.update(extra)
        return int(self.handle.message(body)["room"])

    def ensure(self, room: int, **create_kwargs: Any) -> bool:
        """Create the room unless it exists. Returns True when this call created it."""
        if self.exists(room):
            return False
        try:
            self.create(room, **create_kwargs)
            return True
        except JanusPluginError as e:
            if e.code == ERR_ROOM_EXISTS:   # lost a race with another creator
                return False
            raise

    def destroy(self, room: int, *, secret: Optional[str] = None) -> None:
        """``destroy`` a room.

        In 1.1.2 destroying a room leaks a thread and two UDP ports per remote
        publisher still in it: call `remove_remote_publisher` for ours first
        (`close_room` does both in the right order).
        """
        self.handle.message(_maybe({"request": "destroy", "room": room}, secret=secret))

    def close_room(self, room: int, remote_publishers: Sequence[int] = (), *,
                   secret: Optional[str] = None) -> None:
        """Remove our remote publishers, THEN destroy the room (safe order for 1.1.2)."""
        for pid in remote_publishers:
            try:
                self.remove_remote_publisher(room, pid, secret=secret)
            except JanusPluginError as e:
                if e.code not in (ERR_NO_SUCH_FEED, ERR_NO_SUCH_ROOM):
                    raise
        self.destroy(room, secret=secret)

    def listparticipants(self, room: int) -> List[dict]:
        """``listparticipants``: ``[{"id", "display", "publisher", "remote"?, "talking"?}, ...]``."""
        return list(self.handle.message({"request": "listparticipants", "room": room})
                    .get("participants") or [])

    def wait_for_participant(self, room: int, participant_id: int, timeout: float = 5.0,
                             interval: float = 0.01) -> dict:
        """Poll ``listparticipants`` until `participant_id` is listed (remote publishers
        register asynchronously). Returns its entry; raises `JanusTimeoutError`."""
        deadline = time.monotonic() + timeout
        while True:
            for p in self.listparticipants(room):
                if p.get("id") == participant_id:
                    return p
            if time.monotonic() >= deadline:
                raise JanusTimeoutError(0, f"participant {participant_id} not in room {room} "
                                           f"after {timeout} s", "listparticipants")
            time.sleep(interval)
            interval = min(interval * 2, 0.1)

    def listforwarders(self, room: int, *, secret: Optional[str] = None) -> List[dict]:
        """``listforwarders``: the room's publishers with their forwarders."""
        data = self.handle.message(_maybe({"request": "listforwarders", "room": room}, secret=secret))
        return list(data.get("publishers") or [])

    # remote publishers ----------------------------------------------------
    def add_remote_publisher(self, room: int, *, id: Optional[int] = None,
                             display: Optional[str] = None, secret: Optional[str] = None,
                             iface: Optional[str] = None, streams: Optional[List[dict]] = None,
                             fec: bool = True, port: Optional[int] = None,
                             rtcp_port: Optional[int] = None, wait: Optional[float] = None
                             ) -> RemotePublisher:
        """``add_remote_publisher``: our audio enters the room as a normal publisher.

        Parameters
        ----------
        id : int, optional
            Participant id (the SDK's user_id); Janus picks one when omitted.
        streams : list of dict, optional
            Default: one Opus audio stream, mid "0", mindex 0 (send it with SSRC 1000).
        iface : str, optional
            Address Janus binds the publisher's sockets to (default: `self.iface`).
        port, rtcp_port : int, optional
            Fixed ports; by default Janus 1.1.2 picks them from its own 10000-60000
            slider (NOT media.rtp_port_range).
        wait : float, optional
            If given, also wait up to that many seconds until the publisher is listed
            by ``listparticipants`` (registration is asynchronous in 1.1.2).

        Returns
        -------
        RemotePublisher
            ``ip``/``port``/``rtcp_port`` to send RTP/RTCP to.
        """
        if streams is None:
            streams = [{"type": "audio", "mid": "0", "mindex": 0, "codec": "opus", "fec": bool(fec)}]
        iface = iface if iface is not None else self.iface
        body = _maybe({"request": "add_remote_publisher", "room": room, "streams": streams},
                      id=id, display=display, secret=secret, iface=iface, port=port,
                      rtcp_port=rtcp_port)
        data = self.handle.message(body)
        ip = data.get("ip") or iface or self.handle.client.host
        pub = RemotePublisher(room=int(data.get("room", room)), id=int(data["id"]), ip=str(ip),
                              port=int(data["port"]), rtcp_port=int(data["rtcp_port"]),
                              streams=tuple(streams))
        if wait:
            self.wait_for_participant(room, pub.id, timeout=wait)
        return pub

    def update_remote_publisher(self, room: int, publisher_id: int, streams: List[dict], *,
                                secret: Optional[str] = None) -> None:
        """``update_remote_publisher``: the publisher's streams become `streams` (same
        ports; Janus tells the room's participants the new list)."""
        self.handle.message(_maybe({"request": "update_remote_publisher", "room": room,
                                    "id": publisher_id, "streams": streams}, secret=secret))

    def remove_remote_publisher(self, room: int, publisher_id: int, *,
                                secret: Optional[str] = None) -> None:
        """``remove_remote_publisher`` (its thread and sockets are freed asynchronously)."""
        self.handle.message(_maybe({"request": "remove_remote_publisher", "room": room,
                                    "id": publisher_id}, secret=secret))

    # forwarders -----------------------------------------------------------
    def rtp_forward(self, room: int, publisher_id: int, *, host: str, port: int, ssrc: int,
                    pt: int = OPUS_PT, mid: str = "0", rtcp_port: Optional[int] = None,
                    secret: Optional[str] = None, admin_key: Optional[str] = None,
                    srtp_suite: Optional[int] = None, srtp_crypto: Optional[str] = None,
                    host_family: str = "ipv4", wait: float = 5.0) -> RtpForwarder:
        """``rtp_forward`` one stream (audio mid "0" by default) of a publisher to ``host:port``.

        Janus rewrites the SSRC to `ssrc` (choose one per forward and demultiplex by
        it) and the payload type to `pt`; sequence numbers, timestamps and header
        extensions are the publisher's.

        A publisher that just joined (a remote publisher registers asynchronously)
        can answer 428 "No such feed": this retries with a short backoff for up to
        `wait` seconds before raising.

        Parameters
        ----------
        srtp_suite, srtp_crypto : optional
            32 or 80, and base64 of the 30-byte SRTP master key+salt: encrypt the leg.
        rtcp_port : int, optional
            Ask for RTCP feedback: Janus binds a socket of its own (its port is
            `RtpForwarder.local_rtcp_port`), sends two empty 12-byte RTP packets
            from it to ``host:rtcp_port`` (latching), and turns every PLI or FIR
            received on it into a keyframe request to the publisher (a browser:
            an RTCP PLI on its PeerConnection; at most one per second).
        """
        if (srtp_suite is None) != (srtp_crypto is None):
            raise ValueError("srtp_suite and srtp_crypto go together")
        if srtp_suite is not None and srtp_suite not in (32, 80):
            raise ValueError("srtp_suite must be 32 or 80")
        stream = _maybe({"mid": str(mid), "port": int(port), "pt": int(pt), "ssrc": int(ssrc)},
                        rtcp_port=rtcp_port)
        body = _maybe({"request": "rtp_forward", "room": room, "publisher_id": publisher_id,
                       "host": host, "host_family": host_family, "streams": [stream]},
                      secret=secret, admin_key=admin_key or self.admin_key,
                      srtp_suite=srtp_suite, srtp_crypto=srtp_crypto)
        deadline = time.monotonic() + wait
        delay = 0.005
        while True:
            try:
                data = self.handle.message(dict(body, streams=[dict(stream)]))
                break
            except JanusPluginError as e:
                if e.code != ERR_NO_SUCH_FEED or time.monotonic() + delay > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
        fwd = [f for f in (data.get("forwarders") or []) if isinstance(f, dict)]
        if not fwd:
            raise JanusPluginError(0, f"publisher {publisher_id} has no stream with mid {mid!r}",
                                   "rtp_forward")
        f = fwd[0]
        return RtpForwarder(room=room, publisher_id=publisher_id, stream_id=int(f["stream_id"]),
                            host=str(f.get("host", host)), port=int(f.get("port", port)),
                            ssrc=int(f.get("ssrc", ssrc)), pt=int(f.get("pt", pt)), mid=str(mid),
                            srtp=bool(f.get("srtp", False)),
                            local_rtcp_port=int(f.get("local_rtcp_port") or 0), raw=f)

    def stop_rtp_forward(self, room_or_forwarder: Union[int, RtpForwarder],
                         publisher_id: Optional[int] = None, stream_id: Optional[int] = None, *,
                         secret: Optional[str] = None, admin_key: Optional[str] = None) -> None:
        """``stop_rtp_forward``: accepts an `RtpForwarder` or (room, publisher_id, stream_id)."""
        if isinstance(room_or_forwarder, RtpForwarder):
            f = room_or_forwarder
            room, publisher_id, stream_id = f.room, f.publisher_id, f.stream_id
        else:
            room = room_or_forwarder
        if publisher_id is None or stream_id is None:
            raise ValueError("publisher_id and stream_id are required")
        self.handle.message(_maybe({"request": "stop_rtp_forward", "room": room,
                                    "publisher_id": publisher_id, "stream_id": stream_id},
                                   secret=secret, admin_key=admin_key or self.admin_key))


class VideoRoomControl:
    """A handle that joins a room as a publisher and never publishes, to hear
    who comes and goes (JANUS.md: on_user_joined / on_user_left).

    Callbacks run on the client's dispatch thread:

    * ``on_publisher_joined(id, display, streams)``: once per publisher (also for
      those already publishing when we join), and again whenever Janus lists it
      with other streams (a data channel or a camera added later);
    * ``on_publisher_left(id)``: once, on ``unpublished``, ``leaving`` or
      ``kicked`` of a known publisher, and for every known publisher when the
      room is destroyed;
    * ``on_room_destroyed(room)``.

    Parameters
    ----------
    client : JanusClient
        A connected client; the control attaches its own handle.
    """

    def __init__(self, client: JanusClient, *,
                 on_publisher_joined: Optional[Callable[[int, Optional[str], List[dict]], Any]] = None,
                 on_publisher_left: Optional[Callable[[int], Any]] = None,
                 on_room_destroyed: Optional[Callable[[int], Any]] = None) -> None:
        self.client = client
        self.on_publisher_joined = on_publisher_joined
        self.on_publisher_left = on_publisher_left
        self.on_room_destroyed = on_room_destroyed
        self.handle: Optional[JanusHandle] = None
        self.room: Optional[int] = None
        self.participant_id: Optional[int] = None
        self._lock = threading.Lock()
        #: publishers currently known: id -> {"display": ..., "streams": [...]}
        self.publishers: Dict[int, dict] = {}

    def join(self, room: int, *, display: str = "agora-rtc-control", pin: Optional[str] = None,
             id: Optional[int] = None, timeout: Optional[float] = None) -> List[dict]:
        """Attach (if needed) and ``join`` as a publisher; returns the publishers already
        in the room (they are also reported through ``on_publisher_joined``)."""
        if self.handle is None or not self.handle.alive:
            self.handle = self.client.attach(VIDEOROOM_PLUGIN, on_event=self._on_event)
        body = _maybe({"request": "join", "ptype": "publisher", "room": room, "display": display},
                      pin=pin, id=id)
        data = self.handle.message(body, timeout=timeout)
        self.room = room
        self.participant_id = data.get("id")
        return list(data.get("publishers") or [])

    def leave(self, timeout: Optional[float] = None) -> None:
        """``leave`` the room and detach (best effort when the session is gone)."""
        h = self.handle
        if h is None:
            return
        try:
            if h.alive and self.room is not None:
                try:
                    h.message({"request": "leave"}, timeout=timeout)
                except JanusPluginError:
                    pass
            h.detach(timeout=timeout)
        except JanusSessionLost:
            pass
        finally:
            self.room = None

    # events (dispatch thread) ------------------------------------------------
    def _on_event(self, handle: JanusHandle, data: dict, jsep: Optional[dict], raw: dict) -> None:
        vr = data.get("videoroom")
        if vr in ("joined", "event"):
            for p in data.get("publishers") or []:
                self._joined(p)
            for key in ("unpublished", "leaving", "kicked"):
                if key in data:
                    self._left(data[key])
        elif vr == "destroyed":
            with self._lock:
                ids = list(self.publishers)
            for pid in ids:
                self._left(pid)
            cb = self.on_room_destroyed
            if cb is not None:
                cb(data.get("room"))

    def _joined(self, p: dict) -> None:
        pid = p.get("id")
        if not isinstance(pid, int) or isinstance(pid, bool):
            return
        streams = list(p.get("streams") or [])
        with self._lock:
            old = self.publishers.get(pid)
            changed = old is None or old["streams"] != streams
            self.publishers[pid] = {"display": p.get("display"), "streams": streams}
        # again when its streams change (Janus lists it anew: a data channel or a camera
        # added by a renegotiation or update_remote_publisher)
        if changed and self.on_publisher_joined is not None:
            self.on_publisher_joined(pid, p.get("display"), streams)

    def _left(self, pid: Any) -> None:
        # "ok" is the answer to our own leave/unpublish, not another participant.
        if not isinstance(pid, int) or isinstance(pid, bool):
            return
        with self._lock:
            known = self.publishers.pop(pid, None) is not None
        if known and self.on_publisher_left is not None:
            self.on_publisher_left(pid)
