"""BargeInFilter: is a user's speech while the agent talks a real barge-in?

Counted per user from the VAD's start of speech, in ms of frames the VAD
counts as voice (voice_prob and level at or above its stop thresholds) that
are also at least ``min_interruption_dbfs`` loud. Silence inside the VAD's
stop window does not count, so a cough followed by quiet stays short.

Verdicts, returned by :meth:`BargeInFilter.on_frame`:

- ``PAUSE`` (``resume_false_interruption=True``): the speech reached
  ``min_interruption_ms``: stop the reply's audio but keep the reply;
- ``INTERRUPT``: reached ``min_interruption_ms`` (resume off), or
  ``false_interruption_ms`` after a ``PAUSE``: a real barge-in;
- ``TOO_SHORT`` (at the VAD stop): never reached ``min_interruption_ms``;
  the reply never stopped;
- ``FALSE`` (at the VAD stop): paused, but ended before
  ``false_interruption_ms``: resume the reply.
"""
from __future__ import annotations

from typing import Dict, Optional

__all__ = ["BargeInFilter", "PAUSE", "INTERRUPT", "TOO_SHORT", "FALSE"]

PAUSE, INTERRUPT, TOO_SHORT, FALSE = "pause", "interrupt", "too_short", "false"


def _ms_param(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"ReplyOnPause: {name} must be a number of ms, got {type(value).__name__}")
    value = float(value)
    if not lo <= value <= hi:
        raise ValueError(f"ReplyOnPause: {name} must be in {lo}..{hi} ms, got {value}")
    return value


class _Candidate:
    __slots__ = ("voiced_ms", "fired")

    def __init__(self):
        self.voiced_ms = 0.0
        self.fired = None          # None, PAUSE or INTERRUPT


class BargeInFilter:
    """Per-user tracking of speech that started while a reply was active.
    Called from the engine's delivery thread only."""

    def __init__(self, min_interruption_ms, min_interruption_dbfs, resume_false_interruption,
                 false_interruption_ms, voice_prob_floor: int, dbfs_floor: float):
        self.min_interruption_ms = _ms_param("min_interruption_ms", min_interruption_ms, 0, 10000)
        if min_interruption_dbfs is None:
            self.min_interruption_dbfs = None
        elif isinstance(min_interruption_dbfs, bool) or not isinstance(min_interruption_dbfs, (int, float)):
            raise TypeError("ReplyOnPause: min_interruption_dbfs must be None or a level in dBFS, "
                            f"got {type(min_interruption_dbfs).__name__}")
        elif not -100.0 <= min_interruption_dbfs <= 0.0:
            raise ValueError("ReplyOnPause: min_interruption_dbfs must be in -100..0 dBFS, "
                             f"got {min_interruption_dbfs}")
        else:
            self.min_interruption_dbfs = float(min_interruption_dbfs)
        self.resume_false_interruption = bool(resume_false_interruption)
        self.false_interruption_ms = _ms_param("false_interruption_ms", false_interruption_ms, 0, 60000)
        if self.resume_false_interruption and self.false_interruption_ms < self.min_interruption_ms:
            raise ValueError("ReplyOnPause: false_interruption_ms must be >= min_interruption_ms "
                             f"({self.false_interruption_ms} < {self.min_interruption_ms})")
        self._voice_prob_floor = voice_prob_floor
        self._dbfs_floor = dbfs_floor if self.min_interruption_dbfs is None else max(
            dbfs_floor, self.min_interruption_dbfs)
        self._candidates: Dict[str, _Candidate] = {}

    def is_candidate(self, uid) -> bool:
        return uid in self._candidates

    def forget(self, uid=None) -> None:
        """Forget every user's speech in progress, or only ``uid``'s."""
        if uid is None:
            self._candidates.clear()
        else:
            self._candidates.pop(uid, None)

    def on_frame(self, uid, state, frame, replying: bool) -> Optional[str]:
        """Feed one frame of ``uid`` (its VAD state); returns a verdict or None.
        ``replying`` is read at the start of speech only."""
        if state == 1:
            if not replying:
                self._candidates.pop(uid, None)
                return None
            cand = self._candidates[uid] = _Candidate()
        else:
            cand = self._candidates.get(uid)
            if cand is None:
                return None
        if state == 3:
            del self._candidates[uid]
            if cand.fired is None:
                return TOO_SHORT
            return FALSE if cand.fired == PAUSE else None
        if frame.voice_prob >= self._voice_prob_floor and frame.dbfs >= self._dbfs_floor:
            cand.voiced_ms += frame.samples_per_channel * 1000.0 / frame.samples_per_sec
        if cand.fired is None and cand.voiced_ms >= self.min_interruption_ms:
            cand.fired = PAUSE if self.resume_false_interruption else INTERRUPT
            if cand.fired == PAUSE and cand.voiced_ms >= self.false_interruption_ms:
                cand.fired = INTERRUPT
            return cand.fired
        if cand.fired == PAUSE and cand.voiced_ms >= self.false_interruption_ms:
            cand.fired = INTERRUPT
            return INTERRUPT
        return None
