"""Mix the 10 ms frames of users who talk at once into one stream (event loop only).

The engine delivers each remote user's frames separately and in order per
user, but not interleaved tick by tick. Each user gets a queue; a mixed frame
is made as soon as every user heard lately (ACTIVE_SPEAKER_S) has a frame
queued, by taking one from each queue, so a lone talker's frames leave at once
and two talkers' frames are summed pairwise. A talker who fell silent holds the
others back at most MIX_WAIT_S per frame until it is forgotten. A mixer cannot
know who is about to talk: when two start in the same instant, the burst the
engine sends at the start of a push (prefill, about 100 ms) of the first one
heard leaves alone, and the second one's follows it; from then on they are mixed.
"""
from __future__ import annotations

import asyncio
import collections
import time
from typing import Callable, Deque, Dict, Optional

import numpy as np

__all__ = ["FrameMixer"]

#: A user whose frame came within this long is expected in the next mix.
ACTIVE_SPEAKER_S = 0.05
#: How long a mix waits for a recent talker's frame.
MIX_WAIT_S = 0.015
#: Frames a user may have queued (1 s); more means the others stalled: the oldest go.
MAX_QUEUED_FRAMES = 100


class FrameMixer:
    def __init__(self, loop: asyncio.AbstractEventLoop, emit: Callable[[np.ndarray], None]):
        self._loop = loop
        self._emit = emit                                   # emit(int16 frame)
        self._queues: Dict[str, Deque[np.ndarray]] = {}
        self._last_heard: Dict[str, float] = {}
        self._timer: Optional[asyncio.TimerHandle] = None

    def add(self, uid: str, frame: np.ndarray) -> None:
        queue = self._queues.setdefault(uid, collections.deque())
        if len(queue) >= MAX_QUEUED_FRAMES:
            queue.popleft()
        queue.append(frame)
        now = time.monotonic()
        self._last_heard[uid] = now
        self._last_heard = {u: t for u, t in self._last_heard.items() if now - t < ACTIVE_SPEAKER_S}
        self._mix_ready()

    def flush(self) -> None:
        """Mix and emit everything queued (before a mark: it follows all heard audio)."""
        self._cancel_timer()
        while self._mix_one():
            pass

    def drop(self, uid: Optional[str] = None) -> None:
        """Forget the queued frames of ``uid`` (None: of everyone)."""
        if uid is None:
            self._queues.clear()
            self._cancel_timer()
        else:
            self._queues.pop(uid, None)

    def close(self) -> None:
        self.drop()

    def _mix_ready(self) -> None:
        while any(self._queues.values()) and all(self._queues.get(u) for u in self._last_heard):
            self._mix_one()
        if any(self._queues.values()):
            if self._timer is None:
                self._timer = self._loop.call_later(MIX_WAIT_S, self._waited)
        else:
            self._cancel_timer()

    def _waited(self) -> None:
        self._timer = None
        self._mix_one()
        self._mix_ready()

    def _mix_one(self) -> bool:
        frames = [q.popleft() for q in self._queues.values() if q]
        self._queues = {u: q for u, q in self._queues.items() if q}
        if not frames:
            return False
        if len(frames) == 1:
            self._emit(frames[0])
        else:
            self._emit(np.clip(np.sum(frames, axis=0, dtype=np.int32), -32768, 32767).astype(np.int16))
        return True

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
