"""A connection's phone line (``RTCConnection.phone`` on a ``sip://`` transport).

The connection joined to channel ``C`` takes the calls to ``sip:C@<agent>``, one at a
time (a second caller hears 486 Busy Here). A call is a remote user of the channel:
on_user_joined(caller) when it is answered, the caller's audio as 10 ms frames with
VAD through the connection's observers, the agent's pushed PCM sent to the phone
(G.711 at 8 kHz, resampled by the engine), on_user_left(caller) on hang-up from
either side. The media plane is the connection's RTP transport; this class only
hands it the address and codec SIP agreed on.

Threads: the handlers run on the endpoint's dispatch thread; the public methods may
be called from any thread except observer callbacks of this connection.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
from typing import TYPE_CHECKING, Callable, Optional, Union

from agora_rtc._core import _engine
from agora_rtc.errors import InvalidStateError
from agora_rtc.sip.call import CODEC_NAMES, SRTP_SUITE_NAMES, PhoneCall

if TYPE_CHECKING:
    from agora_rtc.sip.endpoint import SipEndpoint

__all__ = ["PhoneLine", "CallFilter"]

_log = logging.getLogger("agora_rtc.sip")

# agora_rtc/rtp_transport.h
EV_CONNECTED, EV_USER_JOINED, EV_USER_LEFT = 0, 3, 4
REASON_JOIN_SUCCESS = 1
USER_OFFLINE_QUIT = 0
SSRC_ANY = 0

STATUS_DECLINE = 603
STATUS_BUSY_HERE = 486

#: A call filter: called with the ringing :class:`PhoneCall`; True answers, False
#: declines (603), an int 300..699 rejects with that status.
CallFilter = Callable[[PhoneCall], Union[bool, int]]

_DTMF_KEYS = "0123456789*#ABCD"
_UID_UNSAFE = re.compile(r"[^A-Za-z0-9+_.\-]")


def _packet_ms(ev: dict) -> int:
    """The length of the packets we send: the phone's a=ptime for G.711 / G.722 when it
    asks for 10..60 ms (RFC 4566: what it prefers to receive; the SIP agent checked it
    and our SDP answer repeats it), else 20."""
    return ev.get("ptime_ms", 0) or 20


def _codec_key(ev: dict) -> tuple:
    """What a re-INVITE must change for our stream to switch codec."""
    return (CODEC_NAMES.get(ev["codec"], ""), ev["payload_type"], ev["dtmf_payload_type"],
            _packet_ms(ev))


_ssrc_source = random.Random(os.urandom(16))   # seeded once: random.Random never gives up the GIL


def _random_ssrc() -> int:
    """A random non-zero SSRC for our stream of a call (RFC 3550 8.1)."""
    return _ssrc_source.getrandbits(32) or 1


def _user_id_of(sip_user: str, call_id: int) -> str:
    """The remote user id of a SIP user part: its safe characters, <= 64 bytes."""
    uid = _UID_UNSAFE.sub("", sip_user)[:64]
    return uid or f"caller-{call_id}"


class PhoneLine:
    """The SIP side of one connection (created by RTCConnection.connect)."""

    def __init__(self, conn, endpoint: "SipEndpoint"):
        self.conn = conn
        self.endpoint = endpoint
        self.channel = ""
        self.local_port = 0
        self.call: Optional[PhoneCall] = None
        self.call_filter: Optional[CallFilter] = None
        #: called with the PhoneCall when it ends (on the dispatch thread; on the
        #: releasing thread when the connection's release or disconnect ended it)
        self.on_call_ended: Optional[Callable[[PhoneCall], None]] = None
        self._ringing: Optional[tuple] = None   # (PhoneCall, INCOMING event) in the call filter
        self._target = ("", 0)   # the phone's RTP address we send to
        self._codec = ("", -1, -1, 0)   # the call's codec, its payload type, telephone-event's,
                                        # our packet length (_codec_key)
        self._srtp = (0, None)          # the call's SRTP suite and the phone's key (SDES)
        self._send_key = None           # our SDES key the phone decrypts with (its last answer)
        self._lock = threading.Lock()
        self._ended = threading.Condition(self._lock)

    # ---- lifecycle ----

    def start(self, channel: str) -> None:
        """Open the media socket, take the channel's calls, post CONNECTED."""
        rc, port = self.conn._rtp_open(self.endpoint.media_ip.encode("ascii"))
        if rc != 0:
            raise InvalidStateError(f"SIP: the RTP socket on {self.endpoint.media_ip} did not open ({rc})")
        self.local_port = port
        self.channel = channel
        self.endpoint.attach(channel, self)
        self.conn._post_event(EV_CONNECTED, None, REASON_JOIN_SUCCESS)

    def stop(self) -> None:
        """Hang up the call (BYE) and stop taking calls. The call ends here at once
        (on_user_left, state "ended"): the CLOSED event that follows from the SIP
        agent's thread finds it over, so releasing many connections never waits
        for that thread."""
        self.endpoint.detach(self)
        call = self.call
        if call is not None and call.state != "ended":
            self.endpoint.agent.hangup(call.call_id)   # BYE / CANCEL / 486; no wait
            self._close_call(call, 0, "hung up")

    def refresh_video(self) -> None:
        """The connection's video subscriptions changed: phone calls carry no video."""

    # ---- application calls ----

    def hangup(self, timeout: float = 5.0) -> bool:
        """End the current call: BYE when it is up, CANCEL while an outbound call
        rings, 486 while an inbound call rings. The caller has left the channel
        (on_user_left) when it returns True; False: there was no call."""
        call = self.call
        if call is None or call.state == "ended":
            return False
        self.endpoint.agent.hangup(call.call_id)
        with self._ended:
            self._ended.wait_for(lambda: call.state == "ended", timeout)
        return True

    def dial(self, uri: str, *, timeout: float = 30.0) -> PhoneCall:
        """Call ``uri`` (``sip:user@host:port``; over TLS ``sip:user@host:port;transport=tls``
        or ``sips:user@host:port``, with ``tls_port=`` on the URL) and return the :class:`PhoneCall`
        (state ``"ringing"``; ``"up"`` once answered: the callee joins the channel
        as user ``user``; ``"ended"`` with its status when refused).

        Raises
        ------
        PermissionError
            The transport URL does not allow outbound calls (``dial=allow``).
        InvalidStateError
            A call is going on already.
        ValueError
            ``uri`` is not a SIP URI.
        """
        if not self.endpoint.allow_dial:
            raise PermissionError("SIP dial: outbound calls are off; allow them with dial=allow in "
                                  "the sip:// transport URL (toll fraud: see SECURITY.md)")
        if not isinstance(uri, str) or not uri.startswith(("sip:", "sips:")) or "@" not in uri:
            raise ValueError(f"SIP dial: expected a URI sip:user@host[:port] (or sips:), got {uri!r}")
        with self._lock:
            if self.call is not None and self.call.state != "ended":
                raise InvalidStateError("SIP dial: this connection has a call already")
            user = uri.split(":", 1)[1].split("@", 1)[0]

            def placed(call_id: int) -> None:
                self.call = PhoneCall(call_id, "outbound", _user_id_of(user, call_id))
            rc, _ = self.endpoint.dial(self, uri, placed)
            if rc != 0:
                raise ValueError(f"SIP dial: {uri!r} refused by the SIP agent ({rc})")
        return self.call

    def transfer(self, uri: str, timeout: float = 10.0) -> int:
        """Hand the call over to ``uri`` (``sip:user@host[:port]``: a human, another
        agent): the phone is asked (REFER) to call it instead, then hangs up on us
        (on_user_left). Returns the phone's answer: 202 (accepted), an error status, or
        0 when none came within ``timeout``.

        Raises
        ------
        ValueError
            ``uri`` is not a SIP URI.
        InvalidStateError
            No call is up, or a transfer of it is under way.
        """
        if not isinstance(uri, str) or not uri.startswith("sip:") or "@" not in uri:
            raise ValueError(f"SIP transfer: expected a URI sip:user@host[:port], got {uri!r}")
        call = self.call
        if call is None or call.state != "up":
            raise InvalidStateError("SIP transfer: no call is up on this connection")
        with self._ended:
            call.transfer_status = 0
        rc = self.endpoint.agent.transfer(call.call_id, uri.encode("utf-8"))
        if rc == -8:     # AGORA_ERR_INVALID_STATE
            raise InvalidStateError("SIP transfer: the call is not up, or is being transferred")
        if rc != 0:
            raise ValueError(f"SIP transfer: {uri!r} refused by the SIP agent ({rc})")
        with self._ended:
            self._ended.wait_for(lambda: call.transfer_status != 0, timeout)
            return call.transfer_status

    def start_early_media(self) -> None:
        """From the call filter, before answering: send the caller 183 Session Progress with
        our media (early media), so that it hears what the agent pushes (an announcement,
        a ringback) while the call still rings; the caller joins the channel now
        (on_user_joined, its audio through the observers). The filter's verdict then
        answers (200 OK) or rejects the call as usual. A second call does nothing.

        Raises
        ------
        InvalidStateError
            No inbound call rings on this connection (call it inside the call filter), or
            the SIP agent refused.
        """
        ringing = self._ringing
        if ringing is None:
            raise InvalidStateError("start_early_media: no inbound call rings on this connection "
                                    "(call it from the call filter, before answering)")
        call, ev = ringing
        if call.early_media:
            return
        with self._lock:
            self.call = call
        call.early_media = True          # before on_user_joined can run
        try:
            self._start_media(call, ev)
        except Exception as e:
            call.early_media = False
            raise InvalidStateError(f"start_early_media: media setup failed ({e})") from None
        rc = self.endpoint.agent.progress(call.call_id, self.endpoint.media_ip.encode("ascii"),
                                          self.local_port)
        if rc != 0:
            raise InvalidStateError(f"start_early_media: the SIP agent refused the 183 ({rc}): "
                                    "the call stopped ringing")

    def send_dtmf(self, keys: str, duration_ms: int = 100) -> None:
        """Press ``keys`` (``0-9 * # A-D``) on the call, as RFC 4733 telephone-events,
        each held ``duration_ms`` (40..5000), 60 ms apart; at most 32 waiting at once.

        Raises
        ------
        ValueError
            A key outside ``0-9 * # A-D``, or a bad duration.
        InvalidStateError
            No call is up, or the phone did not offer telephone-events.
        """
        if not isinstance(keys, str) or not keys or any(k not in _DTMF_KEYS for k in keys.upper()):
            raise ValueError(f"send_dtmf: keys must be a non-empty str of 0-9 * # A-D, got {keys!r}")
        if not isinstance(duration_ms, int) or not 40 <= duration_ms <= 5000:
            raise ValueError(f"send_dtmf: duration_ms must be an int 40..5000, got {duration_ms!r}")
        call = self.call
        if call is None or call.state != "up":
            raise InvalidStateError("send_dtmf: no call is up on this connection")
        for key in keys.upper():
            rc = self.conn._rtp_send_dtmf(_DTMF_KEYS.index(key), duration_ms)
            if rc == -4:   # AGORA_ERR_NOT_SUPPORTED
                raise InvalidStateError("send_dtmf: the phone did not offer telephone-event (RFC 4733)")
            if rc != 0:
                raise InvalidStateError(f"send_dtmf: key {key!r} not queued ({rc}: 32 keys wait at most)")

    def wait(self, state: str, timeout: float = 10.0) -> bool:
        """Wait until the current call reaches ``state`` (``"up"`` or ``"ended"``)."""
        with self._ended:
            return self._ended.wait_for(
                lambda: self.call is not None and (self.call.state == state or self.call.state == "ended"),
                timeout) and self.call.state == state

    # ---- dispatch thread ----

    def _on_incoming(self, ev: dict) -> None:
        agent = self.endpoint.agent
        call_id = ev["call"]
        with self._lock:
            busy = self.call is not None and self.call.state != "ended"
            if not busy:
                call = PhoneCall(call_id, "inbound", _user_id_of(ev["from_user"], call_id),
                                 called_user=ev["to_user"], codec=CODEC_NAMES.get(ev["codec"], ""))
        if busy:
            agent.reject(call_id, STATUS_BUSY_HERE)
            return
        verdict = True
        if self.call_filter is not None:
            self._ringing = (call, ev)
            try:
                verdict = self.call_filter(call)
            except Exception:
                _log.exception("SIP call filter raised: call %d declined", call_id)
                verdict = False
            finally:
                self._ringing = None
        if verdict is not True:
            status = verdict if isinstance(verdict, int) and not isinstance(verdict, bool) \
                and 300 <= verdict <= 699 else STATUS_DECLINE
            agent.reject(call_id, status)    # early media: its CLOSED event ends the media
            return
        with self._lock:
            self.call = call
        try:
            if not call.early_media:
                self._start_media(call, ev)
        except Exception:
            _log.exception("SIP call %d: media setup failed", call_id)
            agent.reject(call_id, 500)
            return
        if agent.answer(call_id, self.endpoint.media_ip.encode("ascii"), self.local_port) != 0:
            if call.early_media:
                agent.reject(call_id, 500)   # the call's CLOSED event ends its early media
            else:
                self._end_media(call)
            return
        with self._ended:
            call.state = "up"
            self._ended.notify_all()

    def _start_media(self, call: PhoneCall, ev: dict) -> None:
        """Codec, our stream's target, the caller as a remote user, on_user_joined: one
        native step (see RTCConnection._rtp_start_call)."""
        call.codec = CODEC_NAMES.get(ev["codec"], "")
        suite = ev["srtp_suite"]
        call.srtp = SRTP_SUITE_NAMES.get(suite, "")
        self._srtp = (suite, ev["srtp_remote_key"] if suite else None)
        self._send_key = ev["srtp_local_key"] if suite else None
        rc, what = self.conn._rtp_start_call(ev["codec"], ev["payload_type"], ev["dtmf_payload_type"],
                                             _packet_ms(ev), ev["remote_ip"].encode("ascii"),
                                             ev["remote_port"], ev["remote_rtcp_port"],
                                             _random_ssrc(), call.remote_user.encode("utf-8"),
                                             suite, ev["srtp_local_key"] if suite else None,
                                             ev["srtp_remote_key"] if suite else None)
        if rc != 0:
            raise RuntimeError(f"RTP {what} refused ({rc})")
        self._target = (ev["remote_ip"], ev["remote_port"])
        self._codec = _codec_key(ev)

    def _change_media(self, call: PhoneCall, ev: dict) -> None:
        """A re-INVITE changed the codec or the SRTP keys (the phone re-keyed: RFC 4568
        7.1.4): our stream switches to the new codec / our key of the answer, and the
        phone's stream is heard again in the new codec under its new key (the first
        packet that authenticates under it is the caller's; same user: no leave / join).
        Packets still in flight under the old key fail and are counted in srtp_errors."""
        conn = self.conn
        suite = ev["srtp_suite"]
        keys = (suite, ev["srtp_remote_key"] if suite else None)
        send_key = ev["srtp_local_key"] if suite else None
        try:
            if _codec_key(ev) != self._codec:
                conn._rtp_set_audio_codec(ev["codec"], ev["payload_type"], ev["dtmf_payload_type"],
                                          _packet_ms(ev))
            if suite and (suite, send_key) != (self._srtp[0], self._send_key):
                conn._rtp_set_send_srtp(suite, send_key)
            for ssrc in conn._rtp_remote_activity():
                conn._rtp_remove_remote(ssrc)
            conn._rtp_add_remote(SSRC_ANY, call.remote_user.encode("utf-8"), *keys)
        except Exception:
            _log.exception("SIP call %d: media change failed", call.call_id)
            return
        call.codec = CODEC_NAMES.get(ev["codec"], "")
        call.srtp = SRTP_SUITE_NAMES.get(suite, "")
        self._codec = _codec_key(ev)
        self._srtp, self._send_key = keys, send_key

    def _end_media(self, call: PhoneCall) -> None:
        conn = self.conn
        try:
            for ssrc in conn._rtp_remote_activity():
                conn._rtp_remove_remote(ssrc)
            conn._rtp_send_bye()       # and nothing more is sent to the phone
            conn._post_event(EV_USER_LEFT, call.remote_user.encode("utf-8"), USER_OFFLINE_QUIT)
        except Exception:               # the connection was released meanwhile
            _log.debug("SIP call %d: connection gone at hang-up", call.call_id)

    def _on_event(self, ev: dict) -> None:
        call = self.call
        if call is None or call.call_id != ev["call"]:
            return
        kind = ev["kind"]
        if kind == _engine.SIP_EV_PROGRESS and call.direction == "outbound" and ev["remote_port"] \
                and not call.early_media and call.state == "ringing":
            # 183 with SDP: the callee's early media (ringback, announcements) is heard
            # from now on: the callee joins the channel before answering
            call.early_media = True          # before on_user_joined can run
            try:
                self._start_media(call, ev)
            except Exception:
                call.early_media = False
                _log.exception("SIP call %d: early media setup failed", call.call_id)
        elif kind == _engine.SIP_EV_ESTABLISHED and call.direction == "outbound" and call.state != "up":
            try:
                if not call.early_media:
                    self._start_media(call, ev)
                elif (ev["remote_ip"], ev["remote_port"]) != self._target:
                    self._target = (ev["remote_ip"], ev["remote_port"])
                    self.conn._rtp_set_publish_target(ev["remote_ip"].encode("ascii"),
                                                      ev["remote_port"], ev["remote_rtcp_port"],
                                                      _random_ssrc())
            except Exception:
                _log.exception("SIP call %d: media setup failed", call.call_id)
                self.endpoint.agent.hangup(call.call_id)
                return
            with self._ended:
                call.state = "up"
                self._ended.notify_all()
        elif kind == _engine.SIP_EV_TRANSFER:
            with self._ended:
                call.transfer_status = ev["status"]
                self._ended.notify_all()
        elif kind == _engine.SIP_EV_MEDIA and call.state == "up":
            # a re-INVITE: hold / unhold, a codec change, or the phone's media moved
            call.on_hold = ev["hold"]
            suite = ev["srtp_suite"]
            if _codec_key(ev) != self._codec or \
                    (suite, ev["srtp_remote_key"] if suite else None) != self._srtp:
                self._change_media(call, ev)
            if not ev["hold"] and ev["remote_port"] and \
                    (ev["remote_ip"], ev["remote_port"]) != self._target:
                self._target = (ev["remote_ip"], ev["remote_port"])
                self.conn._rtp_set_publish_target(ev["remote_ip"].encode("ascii"), ev["remote_port"],
                                                  ev["remote_rtcp_port"],
                                                  _random_ssrc())
        elif kind == _engine.SIP_EV_CLOSED:
            self._close_call(call, ev["status"], ev["reason"])

    def _close_call(self, call: PhoneCall, status: int, reason: str) -> None:
        """End the call once (its CLOSED event, or stop() before it): media off,
        on_user_left, state "ended", on_call_ended. A second caller (stop() racing
        the dispatch thread's CLOSED) returns once the first has ended it."""
        with self._ended:
            if call._closing:
                self._ended.wait_for(lambda: call.state == "ended")
                return
            call._closing = True
            # why it ended is known before on_user_left goes out, so an observer can read it
            call.status = status
            call.reason = reason
        if call.state == "up" or call.early_media:
            self._end_media(call)
        with self._ended:
            call.state = "ended"
            self._ended.notify_all()
        callback = self.on_call_ended
        if callback is not None:
            try:
                callback(call)
            except Exception:
                _log.exception("SIP on_call_ended raised")
