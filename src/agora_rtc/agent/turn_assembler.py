"""TurnAssembler: each user's turn from VAD utterances, over when the detector says so.

Fed every frame of every user (with its VAD state) from the engine's delivery
thread. A turn starts at a VAD start; at each VAD stop the end-of-turn
detector is asked (see end_of_turn.py); while it waits, every further frame
of that user joins the turn (and asks again) and a new VAD start continues
the same turn. The turn is handed to ``on_turn`` when the detector says
``TURN_OVER``, when its last answer's wait has passed, or ``max_wait_ms``
after the VAD stop, whichever comes first. A timer thread (started on the
first wait) keeps the deadlines even when the user sends no more frames.

The handed audio runs from the first utterance's pre-roll to the last VAD
stop, pauses included, byte for byte as received.
"""
from __future__ import annotations

import collections
import math
import threading
import time
from typing import Callable, Dict, List, Optional

from agora_rtc.agent.end_of_turn import TURN_OVER, AnswerAtVadStop, FrameLabels, TurnSoFar

__all__ = ["TurnAssembler"]


class _Turn:
    __slots__ = ("rate", "channels", "pcm", "labels", "utt_start", "utt_label_start", "answer_len",
                 "utterances", "speaking", "pause_ms", "since_stop_ms", "deadline", "max_deadline")

    def __init__(self, rate, channels):
        self.rate, self.channels = rate, channels
        self.pcm = bytearray()
        self.labels: List[FrameLabels] = []
        self.utt_start = 0          # where the current utterance begins in pcm / labels
        self.utt_label_start = 0
        self.answer_len = 0         # pcm up to the last VAD stop
        self.utterances = 0
        self.speaking = False
        self.pause_ms = 0.0
        self.since_stop_ms = 0.0
        self.deadline = math.inf
        self.max_deadline = math.inf


class TurnAssembler:
    """Builds turns and decides when they are over.

    ``on_turn(user_id, rate, channels, pcm_bytes, utterances)`` is called with
    each finished turn (from the delivery thread or the timer thread, never
    under a lock of this class); ``on_error(user_id, exc)`` when the detector
    raised or answered something that is not a number (the turn is then over,
    so the user's speech is never lost)."""

    def __init__(self, detector, max_wait_ms: float, voice_prob_floor: int, dbfs_floor: float,
                 preroll_frames: int, on_turn: Callable, on_error: Callable):
        self.detector = detector
        self.max_wait_ms = max_wait_ms
        self._asks = not isinstance(detector, AnswerAtVadStop)   # the default never waits
        self._voice_prob_floor = voice_prob_floor
        self._dbfs_floor = dbfs_floor
        self._preroll_frames = preroll_frames
        self._on_turn = on_turn
        self._on_error = on_error
        self._lock = threading.Condition()
        self._turns: Dict[str, _Turn] = {}
        self._recent: Dict[str, collections.deque] = {}   # labels of the last frames (pre-roll)
        self._timer: Optional[threading.Thread] = None
        self._closed = False

    # ---- frames (delivery thread) ----

    def on_frame(self, uid, frame, state, vad_bytes, keep_utterance: bool = True) -> None:
        """One frame of ``uid``. At a stop, ``keep_utterance=False`` drops the
        utterance that just ended (a burst that was not a barge-in); the rest
        of the turn, if any, stays."""
        finished = None
        earlier = None
        errors = []
        with self._lock:
            turn = self._turns.get(uid)
            if turn is not None and (turn.rate, turn.channels) != (frame.samples_per_sec, frame.channels):
                # the format changed (the engine then restarts this user's VAD):
                # what the turn holds up to its last stop is answered, in its format
                self._recent.pop(uid, None)
                earlier = self._finish(uid, turn) if turn.utterances else None
                self._turns.pop(uid, None)
                turn = None
            labels = None
            if self._asks:
                labels = self._labels(uid, frame, state)
            if labels is not None and turn is not None and state != 1:
                frame_ms = frame.samples_per_channel * 1000.0 / frame.samples_per_sec
                turn.pause_ms = 0.0 if labels.active else turn.pause_ms + frame_ms
            if state == 1:
                if turn is None:
                    turn = self._turns[uid] = _Turn(frame.samples_per_sec, frame.channels)
                self._start(turn, frame, vad_bytes, uid)
            elif state == 2 and turn is not None and turn.speaking:
                turn.pcm += vad_bytes
                if labels is not None:
                    turn.labels.append(labels)
            elif state == 3 and turn is not None and turn.speaking:
                turn.speaking = False
                if not keep_utterance:
                    del turn.pcm[turn.utt_start:]
                    del turn.labels[turn.utt_label_start:]
                    if turn.utterances == 0:
                        del self._turns[uid]
                        turn = None
                    else:
                        finished = self._ask(uid, turn, errors)
                else:
                    turn.pcm += vad_bytes
                    if labels is not None:
                        turn.labels.append(labels)
                    turn.utterances += 1
                    turn.answer_len = len(turn.pcm)
                    turn.since_stop_ms = 0.0
                    turn.max_deadline = time.monotonic() + self.max_wait_ms / 1000.0
                    finished = self._ask(uid, turn, errors)
            elif state == 0 and turn is not None and not turn.speaking:
                frame_ms = frame.samples_per_channel * 1000.0 / frame.samples_per_sec
                turn.pcm += frame.buffer
                turn.labels.append(labels)
                turn.since_stop_ms += frame_ms
                finished = self._ask(uid, turn, errors)
        self._report(uid, errors)
        if earlier is not None:
            self._on_turn(uid, *earlier)
        if finished is not None:
            self._on_turn(uid, *finished)

    def _labels(self, uid, frame, state) -> FrameLabels:
        active = frame.voice_prob >= self._voice_prob_floor and frame.dbfs >= self._dbfs_floor
        lab = FrameLabels(state, frame.rms, frame.dbfs, frame.voice_prob, frame.pitch, active)
        recent = self._recent.get(uid)
        if recent is None:
            recent = self._recent[uid] = collections.deque(maxlen=self._preroll_frames + 1)
        recent.append(lab)
        return lab

    def _start(self, turn, frame, vad_bytes, uid):
        """A VAD start: a new utterance, in a new turn or continuing a waiting one."""
        frame_bytes = len(frame.buffer)
        if turn.speaking:
            # a start without a stop (the engine restarted this user's VAD):
            # the unfinished utterance is gone from the VAD's view, drop it here too
            del turn.pcm[turn.utt_start:]
            del turn.labels[turn.utt_label_start:]
        if turn.utterances > 0:
            # the start's bytes are the pre-roll (frames this turn already holds
            # as pause) plus this frame: take the pre-roll off the pause first
            overlap = min(max(0, len(vad_bytes) - frame_bytes), len(turn.pcm) - turn.answer_len)
            overlap -= overlap % frame_bytes
            if overlap:
                del turn.pcm[len(turn.pcm) - overlap:]
                if self._asks:
                    del turn.labels[len(turn.labels) - overlap // frame_bytes:]
        turn.utt_start = len(turn.pcm)
        turn.utt_label_start = len(turn.labels)
        turn.pcm += vad_bytes
        if self._asks:
            n = len(vad_bytes) // frame_bytes if frame_bytes else 0
            recent = list(self._recent[uid])[-n:] if n else []
            # pre-roll frames the VAD handed over were labelled as not speaking
            turn.labels.extend(lab._replace(state=0) for lab in recent[:-1])
            turn.labels.append(recent[-1] if recent else None)
        turn.speaking = True
        turn.pause_ms = 0.0

    def _ask(self, uid, turn, errors):
        """Ask the detector (under the lock); the finished turn's payload, or None."""
        wait_ms = TURN_OVER
        if self._asks:
            view = TurnSoFar(uid, turn.rate, turn.channels, bytes(turn.pcm), turn.labels,
                             turn.utterances, turn.pause_ms, turn.since_stop_ms)
            try:
                wait_ms = self.detector.decide(view)
                if isinstance(wait_ms, bool) or not isinstance(wait_ms, (int, float)) or math.isnan(wait_ms):
                    raise TypeError("end-of-turn detector: decide() must return a number of ms "
                                    f"(TURN_OVER, ms to wait, or WAIT), got {wait_ms!r}")
            except Exception as exc:   # the app's detector: reported, and the turn is answered
                errors.append(exc)
                wait_ms = TURN_OVER
        now = time.monotonic()
        if wait_ms <= 0 or now >= turn.max_deadline:
            return self._finish(uid, turn)
        turn.deadline = min(now + wait_ms / 1000.0, turn.max_deadline)
        self._arm_timer()
        return None

    def _finish(self, uid, turn):
        del self._turns[uid]
        self._lock.notify_all()
        return turn.rate, turn.channels, bytes(turn.pcm[:turn.answer_len]), turn.utterances

    def _report(self, uid, errors):
        for exc in errors:
            self._on_error(uid, exc)

    # ---- deadlines (timer thread) ----

    def _arm_timer(self):
        if self._timer is None and not self._closed:
            self._timer = threading.Thread(target=self._run_timer, name="agora_rtc-turns", daemon=True)
            self._timer.start()
        self._lock.notify_all()

    def _run_timer(self):
        while True:
            due = []
            with self._lock:
                while not self._closed:
                    now = time.monotonic()
                    waiting = [(t.deadline, uid) for uid, t in self._turns.items() if not t.speaking]
                    due = [uid for d, uid in waiting if d <= now]
                    if due:
                        break
                    nxt = min((d for d, _ in waiting), default=math.inf)
                    self._lock.wait(None if nxt == math.inf else nxt - now)
                if self._closed:
                    return
                finished = [(uid, self._finish(uid, self._turns[uid])) for uid in due]
            for uid, payload in finished:
                self._on_turn(uid, *payload)

    def utterance_ms(self, uid, stop_bytes=b"") -> float:
        """ms of the utterance ``uid`` is speaking (plus ``stop_bytes``, the stop
        frame's bytes not fed yet); 0 when not speaking."""
        with self._lock:
            turn = self._turns.get(uid)
            if turn is None or not turn.speaking:
                return 0.0
            n = len(turn.pcm) - turn.utt_start + len(stop_bytes)
            return n / (2 * turn.channels) / turn.rate * 1000.0

    def forget(self, uid) -> float:
        """``uid`` left: drop their turn (waiting or not) and their recent labels;
        returns the ms of speech the dropped turn held (0: none)."""
        with self._lock:
            self._recent.pop(uid, None)
            turn = self._turns.pop(uid, None)
            self._lock.notify_all()
        if turn is None or turn.utterances == 0:
            return 0.0
        return turn.answer_len / (2 * turn.channels) / turn.rate * 1000.0

    def waiting(self) -> int:
        """Turns held by the detector right now."""
        with self._lock:
            return sum(1 for t in self._turns.values() if not t.speaking)

    def close(self) -> List[tuple]:
        """Stop the timer; returns the unfinished turns as (user_id, ms of speech)."""
        with self._lock:
            self._closed = True
            left = [(uid, t.answer_len / (2 * t.channels) / t.rate * 1000.0)
                    for uid, t in self._turns.items() if t.utterances > 0]
            self._turns.clear()
            self._lock.notify_all()
            timer, self._timer = self._timer, None
        if timer is not None and timer is not threading.current_thread():
            timer.join(5)
        return left
