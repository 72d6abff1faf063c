"""The service's SIP user agent: one per AgoraService on a ``sip://`` transport URL.

It listens on the URL's address, and hands each incoming call to the
:class:`~agora_rtc.sip.PhoneLine` of the connection joined to the channel the
request URI's user names (``sip:support@host`` reaches the connection joined to
channel ``support``); no such connection: 404. Its dispatch thread reads the
engine's SIP events and runs the lines' handlers (and so the applications' call
filters) one at a time.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Dict, Optional

from agora_rtc._core import _engine
from agora_rtc.base.transport_url import SIP_SRTP_MODES

if TYPE_CHECKING:
    from agora_rtc.base.transport_url import TransportURL
    from agora_rtc.sip.line import PhoneLine

__all__ = ["SipEndpoint"]

_log = logging.getLogger("agora_rtc.sip")

STATUS_NOT_FOUND = 404
STATUS_BUSY_HERE = 486


def _read_pem(path: str, what: str) -> bytes:
    """The PEM text of the URL's cert= / key= file."""
    try:
        with open(path, "rb") as f:
            text = f.read(1 << 20)
    except OSError as e:
        raise ValueError(f"sip:// {what}={path!r}: cannot read the PEM file ({e.strerror})") from None
    if b"-----BEGIN " not in text:
        raise ValueError(f"sip:// {what}={path!r}: not a PEM file (expected -----BEGIN ...)")
    return text


class SipEndpoint:
    """The SIP user agent of a service (created by AgoraService.initialize).

    Attributes
    ----------
    host : str
        The IP address SIP listens on, and the default media address.
    port : int
        The bound UDP port (the URL's, or an ephemeral one for port 0).
    media_ip : str
        The address our RTP sockets bind to and the SDP announces (``media_ip`` parameter).
    allow_dial : bool
        Outbound calls are allowed (``dial=allow``): off by default, so that a bug or an
        attacker reaching the application cannot place toll calls through its trunk.
    srtp : str
        SRTP with SDES keys on calls (``srtp=``): ``"off"`` (default), ``"optional"`` or
        ``"mandatory"`` (docs/SIP.md).
    tls_port : int
        The bound port of SIP over TLS (``tls_port=``, with ``cert=`` / ``key=``), 0 without.
    """

    def __init__(self, transport: "TransportURL"):
        self.host = transport.host
        params = dict(transport.params)
        self.media_ip = params.get("media_ip", self.host)
        self.allow_dial = params.get("dial", "deny") == "allow"
        self.srtp = params.get("srtp", "off")
        user = (transport.user or "agent").encode("utf-8")
        registrar = params.get("registrar")
        self.registrar = registrar
        self.registration_status = 0     # the registrar's last final answer (200: registered)
        self._registered = threading.Condition()
        cert = key = None
        if "tls_port" in params:
            cert, key = _read_pem(params["cert"], "cert"), _read_pem(params.get("key") or params["cert"], "key")
        self._agent = _engine.SipAgent(self.host.encode("ascii"), int(transport.port or 0), user,
                                       registrar.encode("ascii") if registrar else None,
                                       params.get("password", "").encode("utf-8"),
                                       int(params.get("expires", 0)), int(params.get("keepalive", 0)),
                                       SIP_SRTP_MODES[self.srtp], cert, key,
                                       int(params.get("tls_port", 0)),
                                       params.get("registrar_transport", "udp") == "tls")
        self.port = self._agent.port
        self.tls_port = self._agent.tls_port
        self._lock = threading.Lock()
        self._lines: Dict[str, "PhoneLine"] = {}     # channel -> line
        self._calls: Dict[int, "PhoneLine"] = {}     # call id -> line
        self._thread = threading.Thread(target=self._dispatch, name="agora_rtc-sip", daemon=True)
        self._thread.start()

    def wait_registered(self, timeout: float = 10.0) -> bool:
        """Wait for the registrar's answer: True once it said 200 (registered), False when
        it refused (``registration_status`` says how: 401/403 bad credentials, 408 no
        answer) or nothing came within ``timeout``."""
        with self._registered:
            self._registered.wait_for(lambda: self.registration_status != 0, timeout)
            return self.registration_status == 200

    @property
    def agent(self):
        return self._agent

    def stats(self) -> dict:
        """The agent's counters: invites, rejected_offers, rejected_busy, options, calls;
        keepalives_sent, keepalives_answered, keepalive_status (the registrar's last answer to
        our OPTIONS keepalive, 408 when none came; 0 before any)."""
        return self._agent.stats()

    # ---- lines ----

    def attach(self, channel: str, line: "PhoneLine") -> None:
        with self._lock:
            if channel in self._lines:
                raise ValueError(f"SIP: channel {channel!r} already has a connection taking its calls "
                                 "(one connection per channel on the sip transport)")
            self._lines[channel] = line

    def detach(self, line: "PhoneLine") -> None:
        with self._lock:
            for channel in [c for c, l in self._lines.items() if l is line]:
                del self._lines[channel]

    def dial(self, line: "PhoneLine", uri: str, on_call) -> tuple:
        """Place a call for ``line``: (rc, call id). The call is the line's before any
        of its events is dispatched (the lock is held until ``on_call(call_id)`` ran)."""
        with self._lock:
            rc, call_id = self._agent.dial(uri.encode("utf-8"), self.media_ip.encode("ascii"),
                                           line.local_port)
            if rc == 0:
                self._calls[call_id] = line
                on_call(call_id)
        return rc, call_id

    # ---- events ----

    def _dispatch(self) -> None:
        agent = self._agent
        while True:
            try:
                ev = agent.next_event(-1)
            except Exception:      # closed
                return
            if ev is None:
                continue
            try:
                self._handle(ev)
            except Exception:
                _log.exception("SIP event %r not handled", ev)

    def _handle(self, ev: dict) -> None:
        call_id = ev["call"]
        if ev["kind"] == _engine.SIP_EV_REGISTERED:
            if ev["status"] != 200:
                _log.warning("SIP registration at %s: %d %s", self.registrar, ev["status"], ev["reason"])
            with self._registered:
                self.registration_status = ev["status"]
                self._registered.notify_all()
            return
        if ev["kind"] == _engine.SIP_EV_INCOMING:
            with self._lock:
                line = self._lines.get(ev["to_user"])
                if line is not None:
                    self._calls[call_id] = line
            if line is None:
                _log.info("SIP call %d for %r: no connection in that channel (404)",
                          call_id, ev["to_user"])
                self._agent.reject(call_id, STATUS_NOT_FOUND)
                return
            line._on_incoming(ev)
            return
        with self._lock:
            line = self._calls.get(call_id)
            if ev["kind"] == _engine.SIP_EV_CLOSED:
                self._calls.pop(call_id, None)
        if line is not None:
            line._on_event(ev)

    def close(self) -> None:
        """Hang up every call and stop (idempotent)."""
        self._agent.close()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
