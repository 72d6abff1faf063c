"""Twilio Media Streams messages: read what Twilio sends, write what it takes.

The format is Twilio's published one ("Media Streams - WebSocket Messages"):
every frame is a JSON text frame with an ``event`` field.

From Twilio: ``connected`` {protocol, version}; ``start`` {sequenceNumber,
start: {streamSid, accountSid, callSid, tracks, customParameters, mediaFormat:
{encoding "audio/x-mulaw", sampleRate 8000, channels 1}}, streamSid};
``media`` {sequenceNumber, media: {track, chunk, timestamp, payload (base64
mu-law)}, streamSid}; ``dtmf`` {streamSid, sequenceNumber, dtmf: {track,
digit}}; ``mark`` {sequenceNumber, streamSid, mark: {name}} (a mark we sent,
echoed when the audio before it has played, or dropped by ``clear``);
``stop`` {sequenceNumber, streamSid, stop: {accountSid, callSid}}.

To Twilio: ``media`` {event, streamSid, media: {payload}}, ``mark`` {event,
streamSid, mark: {name}}, ``clear`` {event, streamSid}.

A message that breaks the format raises :class:`ProtocolError` carrying the
WebSocket close code and a reason that names what was expected.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any, Dict, Tuple

__all__ = ["ProtocolError", "StreamStart", "parse_message", "read_start", "read_media_payload",
           "read_dtmf_digit", "read_mark_name", "media_message", "mark_message", "clear_message",
           "CLOSE_NORMAL", "CLOSE_UNSUPPORTED_DATA", "CLOSE_INVALID_PAYLOAD", "CLOSE_POLICY",
           "CLOSE_TOO_BIG", "CLOSE_INTERNAL_ERROR", "CLOSE_GOING_AWAY", "CLOSE_TRY_AGAIN_LATER", "MAX_MESSAGE_BYTES", "DTMF_DIGITS", "DTMF_KEYS"]

# WebSocket close codes (RFC 6455 7.4.1)
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001           # the server shuts down
CLOSE_UNSUPPORTED_DATA = 1003     # a binary frame
CLOSE_INVALID_PAYLOAD = 1007      # not JSON, bad base64
CLOSE_POLICY = 1008               # a message out of order or with wrong fields
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013      # the endpoint has max_calls calls

#: Largest message taken, in bytes of text. Twilio's are far smaller (a 20 ms media
#: message is about 300 bytes; a start message with custom parameters a few KB).
MAX_MESSAGE_BYTES = 64 * 1024
#: What a dtmf message may carry (the keys of a telephone keypad, and A-D).
DTMF_DIGITS = frozenset("0123456789*#ABCD")
#: The digits in RFC 4733 event order (event n is DTMF_KEYS[n]), as on_dtmf_received reports them.
DTMF_KEYS = "0123456789*#ABCD"
MULAW_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}


class ProtocolError(ValueError):
    """A message the endpoint cannot take: ``code`` is the WebSocket close code."""

    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class StreamStart:
    """What a ``start`` message says about the stream and the call."""
    stream_sid: str
    call_sid: str
    account_sid: str
    tracks: Tuple[str, ...]
    custom_parameters: Dict[str, str] = field(default_factory=dict)


def parse_message(text: Any) -> Tuple[str, dict]:
    """(event, message) of one text frame; ProtocolError when it is not a JSON
    object with a string ``event`` or is larger than MAX_MESSAGE_BYTES."""
    if text is None:
        raise ProtocolError(CLOSE_UNSUPPORTED_DATA, "expected JSON text frames, got a binary frame")
    if len(text) > MAX_MESSAGE_BYTES:   # characters: at least as many bytes
        raise ProtocolError(CLOSE_TOO_BIG, f"message of {len(text)} characters, at most {MAX_MESSAGE_BYTES}")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, f"not JSON ({str(exc)[:60]})") from None
    if not isinstance(message, dict):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, f"expected a JSON object, got {type(message).__name__}")
    event = message.get("event")
    if not isinstance(event, str):
        raise ProtocolError(CLOSE_POLICY, 'expected a string "event" field')
    return event, message


def _object(message: dict, name: str) -> dict:
    value = message.get(name)
    if not isinstance(value, dict):
        raise ProtocolError(CLOSE_POLICY, f'{message.get("event")}: expected an object "{name}"')
    return value


def _string(obj: dict, name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        raise ProtocolError(CLOSE_POLICY, f'{where}: expected a non-empty string "{name}"')
    return value


def read_start(message: dict) -> StreamStart:
    """The ``start`` object: sids, tracks, custom parameters; the media format must be
    8 kHz mono mu-law."""
    start = _object(message, "start")
    sids = [_string(start, key, "start") for key in ("streamSid", "callSid", "accountSid")]
    tracks = start.get("tracks", ["inbound"])
    if not isinstance(tracks, list) or not all(isinstance(t, str) for t in tracks):
        raise ProtocolError(CLOSE_POLICY, 'start: expected "tracks" to be a list of strings')
    params = start.get("customParameters", {})
    if not isinstance(params, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                               for k, v in params.items()):
        raise ProtocolError(CLOSE_POLICY, 'start: expected "customParameters" to map strings to strings')
    fmt = start.get("mediaFormat")
    if fmt != MULAW_FORMAT:
        raise ProtocolError(CLOSE_POLICY, "start: mediaFormat must be audio/x-mulaw, 8000 Hz, 1 channel")
    return StreamStart(sids[0], sids[1], sids[2], tuple(tracks), dict(params))


def read_media_payload(message: dict) -> Tuple[str, bytes]:
    """(track, mu-law bytes) of a ``media`` message."""
    media = _object(message, "media")
    track = media.get("track", "inbound")
    if not isinstance(track, str):
        raise ProtocolError(CLOSE_POLICY, 'media: expected a string "track"')
    payload = media.get("payload")
    if not isinstance(payload, str):
        raise ProtocolError(CLOSE_POLICY, 'media: expected a string "payload"')
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError(CLOSE_INVALID_PAYLOAD, "media: payload is not valid base64") from None
    return track, data


def read_dtmf_digit(message: dict) -> str:
    digit = _string(_object(message, "dtmf"), "digit", "dtmf")
    if digit not in DTMF_DIGITS:
        raise ProtocolError(CLOSE_POLICY, f"dtmf: digit must be one of 0-9 * # A-D, got {digit[:8]!r}")
    return digit


def read_mark_name(message: dict) -> str:
    return _string(_object(message, "mark"), "name", "mark")


def media_message(stream_sid: str, ulaw: bytes) -> str:
    return json.dumps({"event": "media", "streamSid": stream_sid,
                       "media": {"payload": base64.b64encode(ulaw).decode("ascii")}})


def mark_message(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})
