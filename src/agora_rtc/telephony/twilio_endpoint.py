"""TwilioMediaStreams: an ASGI app that answers Twilio calls into a channel.

Two routes, relative to where the app is mounted (``/telephone`` in the
examples, as fastrtc's):

- ``incoming`` (GET or POST, Twilio's voice webhook): returns the TwiML
  ``<Response><Connect><Stream url="wss://<host>/<mount>/handler">`` with the
  webhook's ``From``, ``To`` and ``Direction`` as stream ``<Parameter>``s;
- ``handler`` (WebSocket): Twilio's bidirectional media stream; each stream
  is a :class:`~agora_rtc.telephony.twilio_call.TwilioCall`, the caller a user
  of the channel.

A plain ASGI app (no framework needed): run it with any ASGI server, or mount
it in one (``app.mount("/telephone", endpoint)`` in FastAPI / Starlette).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Dict, Optional, Union
from urllib.parse import parse_qsl
from xml.sax.saxutils import quoteattr

from agora_rtc.errors import NotSupportedError
from agora_rtc.telephony import twilio_messages as tm
from agora_rtc.telephony.twilio_call import TwilioCall, TwilioCallObserver, _valid_id
from agora_rtc.telephony.twilio_security import TOKEN_PARAMETER, StreamTokens, signature_valid

__all__ = ["TwilioMediaStreams"]

_log = logging.getLogger("agora_rtc.telephony")

#: Largest webhook body read (Twilio's voice webhook is a form of about 1-2 KB).
MAX_WEBHOOK_BODY = 64 * 1024
#: Webhook fields passed on to the stream's customParameters.
FORWARDED_FIELDS = ("From", "To", "Direction")
#: A normal close lets the sender send what it holds for at most this long.
FLUSH_TIMEOUT_S = 2.0


def _close_reason(reason: str) -> str:
    """A WebSocket close reason holds at most 123 bytes of UTF-8."""
    raw = reason.encode("utf-8")[:123]
    return raw.decode("utf-8", "ignore")


class TwilioMediaStreams:
    """Answer Twilio phone calls with the agent of a channel.

    Parameters
    ----------
    service : AgoraService
        The initialized service whose in-process network (the default
        transport) the agent uses: each caller joins it as a remote user.
    channel : str or callable
        The channel callers join, or ``channel(start) -> str`` per call
        (``start`` a :class:`~agora_rtc.telephony.twilio_messages.StreamStart`:
        ``call_sid``, ``custom_parameters``, ...), e.g. one channel per call.
    identity : callable, optional
        ``identity(start) -> str``: the user id of the person on the phone.
        Default: the ``From`` number (a custom parameter set by this endpoint's
        TwiML), or ``To`` for a call the app placed (``Direction`` outbound-*),
        when it is a valid user id, else the call SID; if that id is already in
        the channel (the same number calling twice), the call SID.
    observer : TwilioCallObserver, optional
        Told of calls starting and ending, DTMF digits and echoed marks (on the
        event loop).
    auth_token : str, optional
        The Twilio account's auth token. When given, only webhooks signed by
        Twilio are answered (403 otherwise), and a stream starts only with the
        one-time token the signed webhook's TwiML carried (twilio_security.py).
        Without it, anyone who reaches the routes can start a "call".
    max_calls : int
        Calls at once, at most (default 200): a stream starting beyond it is
        closed with 1013 (try again later), so a flood of streams cannot
        create connections without bound.
    public_url : str, optional
        The ``https://`` URL of the mount point as Twilio sees it (e.g.
        ``https://example.com/telephone``), when a proxy changes the scheme,
        host or path: the stream URL (``wss://.../handler``) and the URL the
        webhook signature covers are made from it. Default: the webhook
        request's own scheme, Host and path (the stream URL always ``wss://``).
    """

    def __init__(self, service, channel: Union[str, Callable], *, identity: Optional[Callable] = None,
                 observer: Optional[TwilioCallObserver] = None, auth_token: Optional[str] = None,
                 public_url: Optional[str] = None, max_calls: int = 200):
        if getattr(service, "interrupt_notices", None) is None or not getattr(service, "_native_alive", False):
            raise TypeError("TwilioMediaStreams: service must be an initialized AgoraService")
        transport = getattr(service, "transport", None)
        if transport is not None and transport.scheme != "local":
            raise NotSupportedError("TwilioMediaStreams: the service must use the in-process network "
                                    f"(transport local), not {transport.scheme}: callers join the channel "
                                    "of agents in this process")
        if not callable(channel) and not _valid_id(channel):
            raise ValueError(f"TwilioMediaStreams: channel must be a valid channel id or a callable, got {channel!r}")
        if identity is not None and not callable(identity):
            raise TypeError("TwilioMediaStreams: identity must be callable(start) -> str")
        if observer is not None and not isinstance(observer, TwilioCallObserver):
            raise TypeError("TwilioMediaStreams: observer must be a TwilioCallObserver")
        if public_url is not None and not (isinstance(public_url, str) and public_url.startswith("https://")):
            raise ValueError(f"TwilioMediaStreams: public_url must be an https:// URL, got {public_url!r}")
        if auth_token is not None and (not isinstance(auth_token, str) or not auth_token):
            raise ValueError("TwilioMediaStreams: auth_token must be a non-empty str")
        if isinstance(max_calls, bool) or not isinstance(max_calls, int) or max_calls < 1:
            raise ValueError(f"TwilioMediaStreams: max_calls must be a positive int, got {max_calls!r}")
        self.service = service
        self.observer = observer
        self.max_calls = max_calls
        self._admitted = 0                        # calls past _admit, not yet finished
        self._channel = channel
        self._identity = identity
        self._auth_token = auth_token
        self._public_url = public_url.rstrip("/") if public_url else None
        self._tokens = StreamTokens()
        self.calls: Dict[str, TwilioCall] = {}   # call_sid -> call in progress

    def find_call(self, user_id: str) -> Optional[TwilioCall]:
        """The call in progress whose caller is ``user_id`` in its channel."""
        return next((c for c in self.calls.values() if c.user_id == user_id), None)

    # ---- per call ----

    def _admit(self, start: tm.StreamStart) -> None:
        """A start may go on: with an auth token it carries a token a signed webhook
        issued; fewer than max_calls calls are in progress. The caller must _release."""
        if self._auth_token is not None:
            token = start.custom_parameters.pop(TOKEN_PARAMETER, "")
            if not self._tokens.redeem(token):
                raise tm.ProtocolError(tm.CLOSE_POLICY, "start: no valid stream token (not announced by a "
                                                        "signed webhook, used, or expired)")
        if self._admitted >= self.max_calls:
            raise tm.ProtocolError(tm.CLOSE_TRY_AGAIN_LATER, f"the endpoint has {self.max_calls} calls "
                                                             "(max_calls)")
        self._admitted += 1

    def _release(self) -> None:
        self._admitted -= 1

    def _channel_for(self, start: tm.StreamStart) -> str:
        channel = self._channel(start) if callable(self._channel) else self._channel
        if not _valid_id(channel):
            raise tm.ProtocolError(tm.CLOSE_INTERNAL_ERROR, "the channel function returned no valid channel id")
        return channel

    def _identity_for(self, start: tm.StreamStart) -> str:
        if self._identity is not None:
            uid = self._identity(start)
            if not _valid_id(uid):
                raise tm.ProtocolError(tm.CLOSE_INTERNAL_ERROR, "the identity function returned no valid user id")
            return uid
        params = start.custom_parameters
        # the person on the phone: the caller, or the callee of a call the app placed
        outbound = params.get("Direction", "").startswith("outbound")
        remote = params.get("To" if outbound else "From", "")
        return remote if _valid_id(remote) else start.call_sid

    def _call_started(self, call: TwilioCall) -> None:
        self.calls[call.call_sid] = call

    def _call_ended(self, call: TwilioCall) -> None:
        if self.calls.get(call.call_sid) is call:
            del self.calls[call.call_sid]

    # ---- ASGI ----

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        path = path.rstrip("/")
        if kind == "http":
            if path == "/incoming":
                await self._incoming(scope, receive, send, root)
            else:
                await _respond(send, 404, b"not found", "text/plain")
        elif kind == "websocket":
            if path == "/handler":
                await self._media_stream(receive, send)
            else:
                await receive()
                await send({"type": "websocket.close", "code": tm.CLOSE_POLICY, "reason": "no such route"})

    async def _lifespan(self, receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _incoming(self, scope, receive, send, root):
        if scope.get("method") not in ("GET", "POST"):
            await _respond(send, 405, b"GET or POST", "text/plain")
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_WEBHOOK_BODY:
                await _respond(send, 413, b"webhook body too large", "text/plain")
                return
        query = scope.get("query_string", b"").decode("latin-1")
        posted = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        fields = dict(parse_qsl(query))
        fields.update(posted)
        headers = dict(scope.get("headers", []))
        if self._public_url is not None:
            base = self._public_url
        else:
            host = headers.get(b"host", b"localhost").decode("latin-1")
            base = f"{scope.get('scheme', 'https')}://{host}{root}"
        stream = {k: fields[k] for k in FORWARDED_FIELDS if fields.get(k)}
        if self._auth_token is not None:
            signed_url = f"{base}/incoming" + (f"?{query}" if query else "")
            signature = headers.get(b"x-twilio-signature", b"").decode("latin-1")
            if not signature_valid(self._auth_token, signed_url, posted, signature):
                await _respond(send, 403, b"X-Twilio-Signature missing or wrong", "text/plain")
                return
            try:
                stream[TOKEN_PARAMETER] = self._tokens.issue()
            except OverflowError:
                await _respond(send, 503, b"too many streams announced and not started", "text/plain")
                return
        url = "wss://" + base.split("://", 1)[1] + "/handler"
        params = "".join(f"<Parameter name={quoteattr(k)} value={quoteattr(v)}/>" for k, v in stream.items())
        twiml = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url={quoteattr(url)}>'
                 f"{params}</Stream></Connect></Response>")
        await _respond(send, 200, twiml.encode("utf-8"), "application/xml")

    async def _media_stream(self, receive, send):
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        call = TwilioCall(self, send, asyncio.get_running_loop())
        reader = asyncio.ensure_future(self._read(call, receive))
        closer = asyncio.ensure_future(call.close_requested.wait())
        try:
            await asyncio.wait({reader, closer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closer.cancel()
            if not reader.done():
                reader.cancel()
            try:
                outcome = await reader
            except asyncio.CancelledError:
                outcome = None
            if outcome is None and call._closing is not None:      # the application hung up
                outcome = ("hang up",) + call._closing
            elif outcome is None:                   # the server cancelled this handler (shutdown)
                outcome = ("server shut down", tm.CLOSE_GOING_AWAY, "server shutting down")
            ended, code, reason = outcome
            call._close(tm.CLOSE_NORMAL if code is None else code, reason)   # no-op if already closing
            await call.stop_sending(FLUSH_TIMEOUT_S if code == tm.CLOSE_NORMAL else 0)
            if code is not None:
                try:
                    await send({"type": "websocket.close", "code": code, "reason": _close_reason(reason)})
                except Exception:   # the peer is already gone
                    pass
            await call.finish(ended)

    async def _read(self, call: TwilioCall, receive):
        """(why the call ended, close code or None, close reason) once it ends."""
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return "socket closed", None, ""
            try:
                event, body = tm.parse_message(message.get("text"))
                if not await call.handle(event, body):
                    return "stop", tm.CLOSE_NORMAL, "stream stopped"
            except tm.ProtocolError as exc:
                _log.warning("Twilio media stream %s closed: %s", call.stream_sid or "(not started)", exc.reason)
                call._close(exc.code, exc.reason)
                return f"protocol error: {exc.reason}", exc.code, exc.reason
            except Exception:   # a bug of ours or of a callback: end this call, keep the server
                _log.exception("Twilio media stream %s failed", call.stream_sid or "(not started)")
                call._close(tm.CLOSE_INTERNAL_ERROR, "internal error")
                return "internal error", tm.CLOSE_INTERNAL_ERROR, "internal error"


async def _respond(send, status: int, body: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
