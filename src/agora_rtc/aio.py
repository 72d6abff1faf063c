"""asyncio helpers: iterate over received frames or whole VAD utterances with
``async for``, and await connection events.

Frames reach the loop through the native queue's eventfd (dispatch="asyncio"):
the loop thread drains the queue itself, so nothing is ever handed to asyncio
from a foreign thread except through ``loop.call_soon_threadsafe``.
"""
from __future__ import annotations

import asyncio
from typing import AsyncIterator, NamedTuple, Optional

from agora_rtc.observers import IAudioFrameObserver, IRTCConnectionObserver
from agora_rtc.voice_detection import AudioVadConfigV2

__all__ = ["ReceivedFrame", "Utterance", "AudioFrameStream", "UtteranceStream", "ConnectionEvents"]

_END = object()


class ReceivedFrame(NamedTuple):
    user_id: str
    frame: object            # AudioFrame
    vad_state: int           # -1 when VAD is off
    vad_bytes: Optional[bytearray]


class Utterance(NamedTuple):
    user_id: str
    pcm: bytes               # pre-roll + speech, as handed to ASR
    sample_rate: int
    channels: int


class _LoopObserver(IAudioFrameObserver):
    def __init__(self, sink):
        self._sink = sink

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        self._sink(uid, frame, state, vad_bytes)   # runs in the loop thread


class AudioFrameStream:
    """``async for f in AudioFrameStream(conn, loop)``: every received frame
    (optionally of one user), in order. Registers the connection's audio-frame
    observer (dispatch="asyncio"); ``close()`` unregisters it and ends iteration."""

    def __init__(self, conn, loop: Optional[asyncio.AbstractEventLoop] = None, *,
                 user_id: Optional[str] = None, enable_vad: bool = False,
                 vad_configure: Optional[AudioVadConfigV2] = None, speech_only: bool = False,
                 max_queued_frames: int = 3000):
        self._conn = conn
        self._loop = loop or asyncio.get_running_loop()
        self._user_id = user_id
        self._items: asyncio.Queue = asyncio.Queue()
        self._closed = False
        conn.register_audio_frame_observer(_LoopObserver(self._on_frame), 1 if enable_vad else 0,
                                           vad_configure, dispatch="asyncio", speech_only=speech_only,
                                           max_queued_frames=max_queued_frames, loop=self._loop)

    def _on_frame(self, uid, frame, state, vad_bytes):
        if self._user_id is None or uid == self._user_id:
            self._items.put_nowait(ReceivedFrame(uid, frame, state, vad_bytes))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._conn.unregister_audio_frame_observer()
            self._loop.call_soon_threadsafe(self._items.put_nowait, _END)

    def __aiter__(self) -> AsyncIterator[ReceivedFrame]:
        return self

    async def __anext__(self) -> ReceivedFrame:
        item = await self._items.get()
        if item is _END:
            raise StopAsyncIteration
        return item

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        return False


class UtteranceStream:
    """``async for u in UtteranceStream(conn, loop)``: one Utterance per VAD
    segment (start..stop), assembled from the VAD bytes. Only speech frames
    cross into Python (speech_only filtering in C)."""

    def __init__(self, conn, loop: Optional[asyncio.AbstractEventLoop] = None, *,
                 vad_configure: Optional[AudioVadConfigV2] = None, max_queued_frames: int = 3000):
        self._frames = AudioFrameStream(conn, loop, enable_vad=True, vad_configure=vad_configure,
                                        speech_only=True, max_queued_frames=max_queued_frames)
        self._partial = {}

    def close(self) -> None:
        self._frames.close()

    def __aiter__(self) -> AsyncIterator[Utterance]:
        return self

    async def __anext__(self) -> Utterance:
        async for uid, frame, state, vad_bytes in self._frames:
            if state == 1:
                self._partial[uid] = bytearray(vad_bytes)
            elif state in (2, 3) and uid in self._partial:
                self._partial[uid] += vad_bytes
                if state == 3:
                    pcm = bytes(self._partial.pop(uid))
                    return Utterance(uid, pcm, frame.samples_per_sec, frame.channels)
        raise StopAsyncIteration

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        self.close()
        return False


class ConnectionEvents(IRTCConnectionObserver):
    """A connection observer whose events can be awaited:
    ``events = ConnectionEvents(loop); conn.register_observer(events);
    name, args = await events.next()`` or ``await events.wait_for("on_connected")``.
    Events are handed to the loop with call_soon_threadsafe."""

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None):
        self._loop = loop or asyncio.get_running_loop()
        self._queue: asyncio.Queue = asyncio.Queue()

    def _post(self, name, *args):
        if self._loop.is_closed():  # the application's loop has ended: nobody can await this
            return
        self._loop.call_soon_threadsafe(self._queue.put_nowait, (name, args))

    def on_connected(self, conn, info, reason): self._post("on_connected", info, reason)
    def on_disconnected(self, conn, info, reason): self._post("on_disconnected", info, reason)
    def on_connection_failure(self, conn, info, reason): self._post("on_connection_failure", info, reason)
    def on_user_joined(self, conn, user_id): self._post("on_user_joined", user_id)
    def on_user_left(self, conn, user_id, reason): self._post("on_user_left", user_id, reason)

    async def next(self):
        return await self._queue.get()

    async def wait_for(self, name: str, timeout: Optional[float] = None):
        """Skip events until one called ``name``; return its arguments."""
        async def _wait():
            while True:
                ev, args = await self._queue.get()
                if ev == name:
                    return args
        return await asyncio.wait_for(_wait(), timeout)
