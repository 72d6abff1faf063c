"""End-of-turn detection: the interface ReplyOnPause asks "turn over, or wait?".

The connection's VAD says when a user *paused*; whether they *finished* is a
separate question. People pause in mid-sentence ("my number is ... 555 ...
0134"); an agent that answers at every pause cuts them off.

At every VAD stop (and then at every further 10 ms frame of that user while
it waits), :class:`ReplyOnPause` calls ``detector.decide(turn)`` with a
:class:`TurnSoFar` and gets back how many more milliseconds of pause the
detector wants before the turn is over:

- ``TURN_OVER`` (0, or any number <= 0): answer now;
- a positive number of ms: answer after that much more time unless asked
  again first (each new frame asks again, and the newest answer counts);
- ``WAIT`` (infinity): not over; ask again on the next frame.

ReplyOnPause caps every wait with its ``max_turn_wait_ms``: after that long
past the VAD stop it answers whatever the detector says. If the user speaks
again before the turn is over, the new speech joins the same turn, and the
reply function gets the whole turn in one piece.

:class:`AnswerAtVadStop`, the default, always says ``TURN_OVER``: replies
start at the VAD stop, as before this hook existed.

A detector may be used on its own too: feed it :class:`TurnSoFar` objects
built from your own frames (``TurnSoFar(...)`` is a plain constructor).
``decide`` runs on the engine's delivery thread, once per 10 ms frame of a
waiting user: keep it quick (a native detector, or hand heavy models to a
thread of your own and answer ``WAIT`` until they are done).
"""
from __future__ import annotations

import math
from typing import List, NamedTuple, Optional, Protocol, runtime_checkable

import numpy as np

__all__ = ["TURN_OVER", "WAIT", "FrameLabels", "TurnSoFar", "EndOfTurnDetector", "AnswerAtVadStop"]

TURN_OVER = 0.0
WAIT = math.inf


class FrameLabels(NamedTuple):
    """The engine's labels of one 10 ms frame of the turn (see VAD.md).

    state: the VAD state of that frame (0 not speaking, 1 start, 2 speaking,
    3 stop; the pre-roll frames handed over with a start are labelled 0);
    rms: 0..127 (dBFS + 127); dbfs: the same as a float; voice_prob: 0..100;
    pitch: Hz, 0 when unvoiced; active: the VAD counted the frame as voice
    (voice_prob and level at or above its stop thresholds)."""
    state: int
    rms: int
    dbfs: float
    voice_prob: int
    pitch: int
    active: bool


class TurnSoFar:
    """What a detector sees of one user's turn at a pause.

    Attributes
    ----------
    user_id : str
    sample_rate, channels : int
        The format of ``pcm`` (the connection's playback-before-mixing format).
    pcm : bytes-like
        int16 interleaved: the turn's audio from the first utterance's
        pre-roll to now, pauses included, contiguous as the user sent it.
    labels : list of FrameLabels
        One per 10 ms frame of ``pcm``, in order.
    utterances : int
        VAD utterances in this turn so far (1 at the first stop).
    pause_ms : float
        Audio since the last frame the VAD counted as voice: the pause so far.
    since_stop_ms : float
        Audio since the VAD's stop frame (the VAD stops only after its own
        stop window of silence, so ``pause_ms`` is usually the longer one;
        it restarts at 0 when voice comes back before a new VAD start).

    ReplyOnPause hands over its own buffers: read them during ``decide`` and
    copy what you keep (the turn grows, and is trimmed when it continues).
    """

    __slots__ = ("user_id", "sample_rate", "channels", "pcm", "labels", "utterances",
                 "pause_ms", "since_stop_ms")

    def __init__(self, user_id: Optional[str], sample_rate: int, channels: int, pcm,
                 labels: List[FrameLabels], utterances: int, pause_ms: float, since_stop_ms: float):
        self.user_id = user_id
        self.sample_rate = sample_rate
        self.channels = channels
        self.pcm = pcm
        self.labels = labels
        self.utterances = utterances
        self.pause_ms = pause_ms
        self.since_stop_ms = since_stop_ms

    @property
    def audio(self) -> np.ndarray:
        """``pcm`` as an int16 array of shape (channels, n) (a copy)."""
        return np.frombuffer(bytes(self.pcm), dtype=np.int16).reshape(-1, self.channels).T.copy()

    def __repr__(self):
        return (f"TurnSoFar(user_id={self.user_id!r}, {len(self.labels)} frames, "
                f"utterances={self.utterances}, pause_ms={self.pause_ms}, "
                f"since_stop_ms={self.since_stop_ms})")


@runtime_checkable
class EndOfTurnDetector(Protocol):
    """Anything with ``decide(turn: TurnSoFar) -> float`` (ms still to wait:
    ``TURN_OVER``, a positive number, or ``WAIT``)."""

    def decide(self, turn: TurnSoFar) -> float: ...


class AnswerAtVadStop:
    """The default detector: the turn is over at every VAD stop.

    ReplyOnPause recognises it and skips collecting labels, so it costs nothing."""

    def decide(self, turn: TurnSoFar) -> float:
        return TURN_OVER

    def __repr__(self):
        return "AnswerAtVadStop()"
