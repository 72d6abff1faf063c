"""TwilioMediaStreams: an ASGI app that answers Twilio calls into a channel.

Two routes, relative to where the app is mounted (``/telephone`` in the
examples, as fastrtc's):

- ``incoming`` (GET or POST, Twilio's voice webhook): returns the TwiML
  ``<Response><Connect><Stream url="wss://<host>/<mount>/handler">`` with the
  caller's ``From`` and ``To`` as stream ``<Parameter>``s;
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

from agora_rtc.telephony import twilio_messages as tm
from agora_rtc.telephony.twilio_call import TwilioCall, TwilioCallObserver, _valid_id

__all__ = ["TwilioMediaStreams"]

_log = logging.getLogger("agora_rtc.telephony")

#: Largest webhook body read (Twilio's voice webhook is a form of about 1-2 KB).
MAX_WEBHOOK_BODY = 64 * 1024
#: Webhook fields passed on to the stream's customParameters.
FORWARDED_FIELDS = ("From", "To")
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
        The initialized service whose in-process network the agent uses:
        each caller joins it as a remote user.
    channel : str or callable
        The channel callers join, or ``channel(start) -> str`` per call
        (``start`` a :class:`~agora_rtc.telephony.twilio_messages.StreamStart`:
        ``call_sid``, ``custom_parameters``, ...), e.g. one channel per call.
    identity : callable, optional
        ``identity(start) -> str``: the caller's user id. Default: the ``From``
        number (custom parameter, set by this endpoint's TwiML) when it is a
        valid user id, else the call SID; if that id is already in the channel
        (the same number calling twice), the call SID.
    observer : TwilioCallObserver, optional
        Told of calls starting and ending, DTMF digits and echoed marks (on the
        event loop).
    stream_url : str, optional
        The ``wss://`` URL Twilio is told to stream to. Default: ``wss://`` +
        the webhook request's Host + the mount path + ``/handler`` (set it when
        a proxy rewrites the host or path).
    """

    def __init__(self, service, channel: Union[str, Callable], *, identity: Optional[Callable] = None,
                 observer: Optional[TwilioCallObserver] = None, stream_url: Optional[str] = None):
        if getattr(service, "interrupt_notices", None) is None or not getattr(service, "_native_alive", False):
            raise TypeError("TwilioMediaStreams: service must be an initialized AgoraService")
        if not callable(channel) and not _valid_id(channel):
            raise ValueError(f"TwilioMediaStreams: channel must be a valid channel id or a callable, got {channel!r}")
        if identity is not None and not callable(identity):
            raise TypeError("TwilioMediaStreams: identity must be callable(start) -> str")
        if observer is not None and not isinstance(observer, TwilioCallObserver):
            raise TypeError("TwilioMediaStreams: observer must be a TwilioCallObserver")
        if stream_url is not None and not (isinstance(stream_url, str) and stream_url.startswith(("wss://", "ws://"))):
            raise ValueError(f"TwilioMediaStreams: stream_url must be a wss:// URL, got {stream_url!r}")
        self.service = service
        self.observer = observer
        self._channel = channel
        self._identity = identity
        self._stream_url = stream_url
        self.calls: Dict[str, TwilioCall] = {}   # call_sid -> call in progress

    def find_call(self, user_id: str) -> Optional[TwilioCall]:
        """The call in progress whose caller is ``user_id`` in its channel."""
        return next((c for c in self.calls.values() if c.user_id == user_id), None)

    # ---- per call ----

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
        caller = start.custom_parameters.get("From", "")
        return caller if _valid_id(caller) else start.call_sid

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
        fields = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        fields.update(parse_qsl(body.decode("utf-8", "replace")))
        url = self._stream_url
        if url is None:
            headers = dict(scope.get("headers", []))
            host = headers.get(b"host", b"localhost").decode("latin-1")
            url = f"wss://{host}{root}/handler"
        params = "".join(f"<Parameter name={quoteattr(k)} value={quoteattr(fields[k])}/>"
                         for k in FORWARDED_FIELDS if fields.get(k))
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
            if outcome is None:                     # the application hung up
                code, reason = call._closing
                outcome = ("hang up", code, reason)
            ended, code, reason = outcome
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
