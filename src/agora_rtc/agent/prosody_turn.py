"""ProsodyTurnDetector: the native, prosodic end-of-turn detector for ReplyOnPause.

At a pause it reads the labels the engine already computed for every 10 ms
frame of the turn (pitch, level, the VAD's active flag) and asks the C model
(src/_native/audio/dsp/turn_detector.c, through the engine module's ``TurnModel``) how
long a pause this turn needs: short after a falling, decaying statement end;
long after a level or rising continuation (a comma, a list item, a digit
group, a hesitation). ``decide`` answers that need minus the pause so far.

The need is computed once per pause (the first ask after the last voiced
frame) and kept for the asks of the following frames, so a waiting user
costs one dictionary look-up per frame.

Maximum wait: the detector never asks for more than ``max_wait_ms`` of pause
(default 3000 ms, counted from the last frame with voice); ReplyOnPause's
``max_turn_wait_ms`` (counted from the VAD stop) caps it again.
"""
from __future__ import annotations

import math
from typing import Optional

from agora_rtc._core._engine import TurnModel
from agora_rtc.agent.end_of_turn import TURN_OVER, TurnSoFar

__all__ = ["ProsodyTurnDetector", "TurnModel", "DEFAULT_MAX_WAIT_MS"]

DEFAULT_MAX_WAIT_MS = 3000.0
_FRAME_MS = 10.0
_KEPT_USERS = 4096


class ProsodyTurnDetector:
    """End-of-turn detector from prosody and timing, computed natively.

    Parameters
    ----------
    max_wait_ms : float, default 3000
        The longest pause (after the last frame with voice) it ever asks for;
        0..60000.
    model : TurnModel, optional
        Another native model (weights, base wait); its ``max_wait_ms`` is
        replaced by this ``max_wait_ms`` when both are given.
    """

    def __init__(self, max_wait_ms: Optional[float] = None, model: Optional[TurnModel] = None):
        if model is not None and not isinstance(model, TurnModel):
            raise TypeError(f"ProsodyTurnDetector: model must be a TurnModel, got {type(model).__name__}")
        if max_wait_ms is not None:
            if isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, (int, float)) \
                    or not math.isfinite(max_wait_ms):
                raise TypeError(f"ProsodyTurnDetector: max_wait_ms must be a number of ms, got {max_wait_ms!r}")
            if not 0 <= max_wait_ms <= 60000:
                raise ValueError(f"ProsodyTurnDetector: max_wait_ms must be in 0..60000 ms, got {max_wait_ms}")
        base = model if model is not None else TurnModel()
        wait = float(max_wait_ms) if max_wait_ms is not None else \
            (base.max_wait_ms if model is not None else DEFAULT_MAX_WAIT_MS)
        self.model = TurnModel(base.mean, base.scale, base.weights, base.base_wait_ms,
                               min(base.min_wait_ms, wait), wait)
        self._need = {}   # user_id -> (labels up to the last voice, utterances, that label, need_ms)

    @property
    def max_wait_ms(self) -> float:
        return self.model.max_wait_ms

    def need_ms(self, turn: TurnSoFar) -> float:
        """The pause this turn needs (ms after its last frame with voice)."""
        labels = turn.labels
        voiced_len = len(labels) - int(round(turn.pause_ms / _FRAME_MS))
        last = labels[voiced_len - 1] if 0 < voiced_len <= len(labels) else None
        kept = self._need.get(turn.user_id)
        # the same pause of the same turn: same length up to the last voice, the same label object there
        if kept is not None and kept[0] == voiced_len and kept[1] == turn.utterances and kept[2] is last \
                and last is not None:
            return kept[3]
        need = self.model.need_ms(labels)
        if len(self._need) >= _KEPT_USERS:   # users come and go: keep the memory bounded
            self._need.clear()
        self._need[turn.user_id] = (voiced_len, turn.utterances, last, need)
        return need

    def decide(self, turn: TurnSoFar) -> float:
        if not isinstance(turn, TurnSoFar):
            raise TypeError(f"ProsodyTurnDetector.decide: expected a TurnSoFar, got {type(turn).__name__}")
        left = self.need_ms(turn) - turn.pause_ms
        return TURN_OVER if left <= 0 else left

    def __repr__(self):
        return f"ProsodyTurnDetector(max_wait_ms={self.max_wait_ms})"
