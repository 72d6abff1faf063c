"""Client for audio-modality LLM streams, played into a connection.

An audio-modality endpoint (the Agora conversational AI engine's
``/audio/chat/completions``, OpenAI-style) answers a POST with Server-Sent
Events: first a transcript message
``{"choices": [{"delta": {"audio": {"id": ..., "transcript": ...}}}]}``, then
messages whose ``delta.audio.data`` is base64 PCM16 (16 kHz mono by default),
then ``data: [DONE]``. :class:`AudioModalityClient` parses that stream
(stdlib only: urllib); :meth:`AudioModalityClient.play` pushes each chunk to a
connection with ``push_audio_pcm_data`` as it arrives, so the engine starts
pacing the first 40 ms while the rest is still being generated.
"""
from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Callable, Iterator, List, NamedTuple, Optional, Union

import numpy as np

from agora_rtc.base.sample_rates import SUPPORTED_SAMPLE_RATES

__all__ = ["AudioModalityClient", "AudioModalityError", "TranscriptEvent", "AudioChunkEvent",
           "PlayResult", "parse_sse_events"]

_PUSH_RATES = SUPPORTED_SAMPLE_RATES


class AudioModalityError(RuntimeError):
    """The endpoint failed (HTTP status, malformed event, stream cut before [DONE])."""


class TranscriptEvent(NamedTuple):
    message_id: str
    audio_id: str
    transcript: str


class AudioChunkEvent(NamedTuple):
    message_id: str
    audio_id: str
    pcm: bytes          # int16 little-endian PCM, decoded from base64


@dataclass
class PlayResult:
    """What :meth:`AudioModalityClient.play` did."""
    transcript: str = ""
    audio_id: str = ""
    chunks: int = 0
    pushed_bytes: int = 0
    completed: bool = False      # [DONE] received
    stopped: bool = False        # should_stop() ended it early
    transcripts: List[str] = field(default_factory=list)
    sample_rate: int = 16000
    channels: int = 1

    @property
    def pushed_ms(self) -> float:
        return self.pushed_bytes / 2 / self.sample_rate / self.channels * 1000.0


def _event_from_json(payload: str) -> List[Union[TranscriptEvent, AudioChunkEvent]]:
    try:
        msg = json.loads(payload)
    except json.JSONDecodeError as exc:
        raise AudioModalityError(f"malformed SSE data (not JSON): {payload[:80]!r}") from exc
    if not isinstance(msg, dict) or not isinstance(msg.get("choices"), list):
        raise AudioModalityError(f"SSE message without a 'choices' list: {payload[:80]!r}")
    out = []
    mid = str(msg.get("id", ""))
    for choice in msg["choices"]:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        audio = delta.get("audio") if isinstance(delta, dict) else None
        if not isinstance(audio, dict):
            continue          # e.g. a text-only delta or a finish_reason message
        aid = str(audio.get("id", ""))
        if "transcript" in audio:
            out.append(TranscriptEvent(mid, aid, str(audio["transcript"])))
        if "data" in audio:
            try:
                pcm = base64.b64decode(audio["data"], validate=True)
            except (binascii.Error, TypeError, ValueError) as exc:
                raise AudioModalityError(f"audio chunk is not valid base64 (message {mid!r})") from exc
            out.append(AudioChunkEvent(mid, aid, pcm))
    return out


def parse_sse_events(lines) -> Iterator[Union[TranscriptEvent, AudioChunkEvent]]:
    """Events of an SSE byte or str line iterator, until ``data: [DONE]``.
    Raises AudioModalityError if the stream ends without [DONE]."""
    data_lines: List[str] = []
    for raw in lines:
        try:
            line = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
        except UnicodeDecodeError as exc:
            raise AudioModalityError(f"SSE line is not UTF-8: {bytes(raw[:40])!r}") from exc
        line = line.rstrip("\r\n")
        if line == "":                       # end of one event
            if data_lines:
                payload = "\n".join(data_lines)
                data_lines = []
                if payload.strip() == "[DONE]":
                    return
                yield from _event_from_json(payload)
            continue
        if line.startswith(":"):             # comment / keep-alive
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data_lines.append(value[1:] if value.startswith(" ") else value)
    if data_lines and "\n".join(data_lines).strip() == "[DONE]":
        return
    if data_lines:
        yield from _event_from_json("\n".join(data_lines))
    raise AudioModalityError("the stream ended before data: [DONE]")


class AudioModalityClient:
    """POST chat messages to an audio-modality endpoint and read its stream.

    Parameters
    ----------
    url : str
        The full endpoint, e.g. ``http://127.0.0.1:8000/audio/chat/completions``.
    api_key : str
        Sent as ``Authorization: Bearer <api_key>``.
    sample_rate, channels : int
        Format of the PCM the endpoint streams (16000, 1 by default).
    model : str, optional
        Sent as ``model`` in the request body.
    timeout : float
        Socket timeout in seconds.
    """

    def __init__(self, url: str, api_key: str = "", *, sample_rate: int = 16000, channels: int = 1,
                 model: Optional[str] = None, timeout: float = 30.0):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"AudioModalityClient: url must be an http(s) URL, got {url!r}")
        if not isinstance(api_key, str):
            raise TypeError(f"AudioModalityClient: api_key must be a str, got {type(api_key).__name__}")
        if sample_rate not in _PUSH_RATES:
            raise ValueError(f"AudioModalityClient: sample_rate must be one of {_PUSH_RATES}, got {sample_rate!r}")
        if channels not in (1, 2):
            raise ValueError(f"AudioModalityClient: channels must be 1 or 2, got {channels!r}")
        self.url, self.api_key, self.model, self.timeout = url, api_key, model, timeout
        self.sample_rate, self.channels = sample_rate, channels

    def _request(self, messages):
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            raise TypeError("AudioModalityClient: messages must be a list of dicts "
                            '({"role": ..., "content": ...})')
        body = {"messages": messages, "stream": True, "modalities": ["text", "audio"]}
        if self.model is not None:
            body["model"] = self.model
        return urllib.request.Request(
            self.url, data=json.dumps(body).encode("utf-8"), method="POST",
            headers={"Content-Type": "application/json", "Accept": "text/event-stream",
                     "Authorization": f"Bearer {self.api_key}"})

    def stream(self, messages) -> Iterator[Union[TranscriptEvent, AudioChunkEvent]]:
        """Transcript and audio-chunk events as they arrive."""
        req = self._request(messages)
        try:
            resp = urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(200).decode("utf-8", "replace")
            raise AudioModalityError(f"{self.url}: HTTP {exc.code}: {detail}") from exc
        except urllib.error.URLError as exc:
            raise AudioModalityError(f"{self.url}: {exc.reason}") from exc
        with resp:
            yield from parse_sse_events(resp)

    def play(self, conn, messages, *, should_stop: Optional[Callable[[], bool]] = None,
             on_transcript: Optional[Callable[[str], None]] = None, start_pts: int = 0) -> PlayResult:
        """Stream the reply into ``conn``: each chunk goes to
        ``push_audio_pcm_data`` as soon as it is decoded (a chunk split inside
        a sample keeps its odd byte for the next one). ``should_stop()`` is
        checked before each push (e.g. an interrupt flag); the caller owns
        ``conn.interrupt_audio()``. Returns a :class:`PlayResult`."""
        result = PlayResult(sample_rate=self.sample_rate, channels=self.channels)
        frame_bytes = 2 * self.channels
        events = self.stream(messages)
        try:
            self._play_events(conn, events, result, should_stop, on_transcript, start_pts, frame_bytes)
        finally:
            events.close()      # an early stop closes the HTTP response now, not at garbage collection
        return result

    def _play_events(self, conn, events, result, should_stop, on_transcript, start_pts, frame_bytes):
        carry = b""
        for ev in events:
            if should_stop is not None and should_stop():
                result.stopped = True
                return
            if isinstance(ev, TranscriptEvent):
                result.transcripts.append(ev.transcript)
                result.transcript = "".join(result.transcripts)
                result.audio_id = ev.audio_id
                if on_transcript is not None:
                    on_transcript(ev.transcript)
                continue
            data = carry + ev.pcm
            whole = len(data) - len(data) % frame_bytes
            carry = data[whole:]
            result.chunks += 1
            if whole:
                rc = conn.push_audio_pcm_data(data[:whole], self.sample_rate, self.channels,
                                              start_pts=start_pts + int(result.pushed_ms))
                if rc != 0:
                    raise AudioModalityError(f"push_audio_pcm_data returned {rc}")
                result.pushed_bytes += whole
        if carry:
            raise AudioModalityError(f"the stream ended inside a sample ({len(carry)} stray bytes)")
        result.completed = True

    def reply_chunks(self, messages) -> Iterator[tuple]:
        """The reply as ``(sample_rate, int16 array of shape (channels, n))``
        chunks: a ready-made ReplyOnPause reply (``yield from client.reply_chunks(msgs)``)."""
        frame_bytes = 2 * self.channels
        carry = b""
        for ev in self.stream(messages):
            if isinstance(ev, AudioChunkEvent):
                data = carry + ev.pcm
                whole = len(data) - len(data) % frame_bytes
                carry = data[whole:]
                if whole:
                    arr = np.frombuffer(data[:whole], dtype=np.int16).reshape(-1, self.channels).T
                    yield self.sample_rate, arr
