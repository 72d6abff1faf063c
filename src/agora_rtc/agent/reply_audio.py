"""ReplyAudio: what a reply pushed, so the part an interrupt dropped can be pushed again.

``RTCConnection.interrupt_audio()`` drops everything still queued and reports
``dropped_ms``. The queue holds the newest pushes, so the unheard part of a
reply is the last ``dropped_ms`` of what it pushed: :meth:`ReplyAudio.tail`
cuts exactly that (per segment, at its own rate) to re-push it.
"""
from __future__ import annotations

from typing import List, Tuple

__all__ = ["ReplyAudio"]


class ReplyAudio:
    """The PCM segments one reply pushed, oldest first."""

    __slots__ = ("_segments", "_ms")

    def __init__(self):
        self._segments: List[Tuple[bytes, int, int]] = []   # (int16 interleaved, rate, channels)
        self._ms = 0.0

    def clear(self) -> None:
        self._segments = []
        self._ms = 0.0

    @property
    def ms(self) -> float:
        """Duration of everything added."""
        return self._ms

    def add(self, data: bytes, rate: int, channels: int) -> None:
        self._segments.append((data, rate, channels))
        self._ms += len(data) / (2 * channels) / rate * 1000.0

    def tail(self, ms: float) -> List[Tuple[bytes, int, int]]:
        """The last ``ms`` of what was added, as (data, rate, channels) segments
        in play order (everything when ``ms`` is longer)."""
        out = []
        left = float(ms)
        for data, rate, ch in reversed(self._segments):
            if left <= 0:
                break
            frame_bytes = 2 * ch
            n = len(data) // frame_bytes
            take = min(n, round(left * rate / 1000.0))
            if take > 0:
                out.append((data[(n - take) * frame_bytes:], rate, ch))
            left -= n / rate * 1000.0
        out.reverse()
        return out
