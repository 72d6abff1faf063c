"""ReplyAudio: what a reply pushed, so the part an interrupt dropped can be pushed again.

``RTCConnection.interrupt_audio()`` drops everything still queued and reports
``dropped_ms`` (floored to whole ms). The queue holds the newest pushes, so
the unheard part of a reply is the last ``dropped_ms`` of what it pushed:
:meth:`ReplyAudio.tail` cuts that (per segment, at its own rate) to re-push
it; when the engine's exact count of dropped samples is known and the reply
kept one rate, it cuts sample-exact.
"""
from __future__ import annotations

from typing import List, Optional, Tuple

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

    def tail(self, ms: float, samples: Optional[int] = None) -> List[Tuple[bytes, int, int]]:
        """The last ``ms`` of what was added (or the last ``samples`` per
        channel, when given and every segment has one rate), as (data, rate,
        channels) segments in play order (everything when it is longer)."""
        if samples is not None and len({rate for _, rate, _ in self._segments}) <= 1:
            left_samples = int(samples)
        else:
            left_samples = None
        out = []
        left = float(ms)
        for data, rate, ch in reversed(self._segments):
            frame_bytes = 2 * ch
            n = len(data) // frame_bytes
            if left_samples is not None:
                take = min(n, left_samples)
                left_samples -= take
            else:
                take = min(n, max(0, round(left * rate / 1000.0)))
                left -= n / rate * 1000.0
            if take <= 0:
                break
            out.append((data[(n - take) * frame_bytes:], rate, ch))
        out.reverse()
        return out
