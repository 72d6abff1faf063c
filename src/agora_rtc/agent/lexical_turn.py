"""LexicalTurnDetector: end of turn from the words heard so far.

Every voice agent has an ASR transcript at a pause. A turn whose last word
leaves the sentence open (a conjunction, a preposition, an article, a filler,
a verb still waiting for its complement: "my number is", "and", "to the",
"um") is not over, whatever its intonation says. At each pause the detector
reads the turn's transcript so far, turns it into a few cues (the last word
leaves the sentence open; it is a number; the turn opened with a subordinator
such as "if" / "when"; no words yet) and scores them with a small logistic
model; the score scales the pause the turn needs:

    need = base_wait_ms * exp(-beta * z)                                   (lexical alone)
    need = prosody.need_ms(turn) * prosody_scale * exp(-prosody_beta * z)  (with a ProsodyTurnDetector)

capped at ``max_wait_ms``. The cue words are per language, in
``turn_cues/<language>.json`` (closed word classes: en, de, fr, it, ru); the
weights and the base wait in ``turn_cues/model.json`` come from
benchmarks/bench_end_of_turn.py --fit-lexical (see its README section for
how they do held out).

The transcript comes from the app, either way:
- push: call ``detector.set_transcript(user_id, text)`` with the whole
  turn's text so far whenever the ASR has a new (partial) hypothesis, and
  ``clear(user_id)`` when a new turn starts;
- pull: ``LexicalTurnDetector(transcript=fn)``, ``fn(turn) -> str`` (turn:
  the :class:`TurnSoFar`; its ``user_id`` says whose words) is called at
  every ask of a pause (on the engine's delivery thread: keep it quick, e.g.
  read the latest partial hypothesis your ASR left).

A transcript that is not a str raises TypeError (in ReplyOnPause: reported
as the detector's error, and the turn is answered).
"""
from __future__ import annotations

import json
import math
import os
import re
import threading
from typing import Callable, Dict, List, Optional

import numpy as np

from agora_rtc.agent.end_of_turn import TURN_OVER, TurnSoFar
from agora_rtc.agent.prosody_turn import DEFAULT_MAX_WAIT_MS, ProsodyTurnDetector

__all__ = ["LexicalTurnDetector", "LexicalTurnModel", "lexical_cues", "CUE_NAMES", "LANGUAGES"]

_CUE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "turn_cues")
LANGUAGES = tuple(sorted(f[:-5] for f in os.listdir(_CUE_DIR) if re.fullmatch(r"[a-z]{2}\.json", f)))
# word classes of the cue files that leave a sentence open when they are its last word; one
# cue for all of them, so that a class the fitting data never ends a pause with (say, a
# preposition) counts as much as the ones it does
_OPEN = ("conjunction", "preposition", "article", "filler", "copula", "question_word")
# No count of words or of speech time: those measure how a corpus puts its turns together,
# not how a sentence ends (the prosodic model's speech_s did not generalise either).
CUE_NAMES = ("last_word_open", "last_word_number", "opens_with_subordinator", "no_words")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*'?|\d+")
_KEPT_USERS = 4096
_cue_sets: Dict[str, Dict[str, frozenset]] = {}


def _cues_of(language: str) -> Dict[str, frozenset]:
    if language not in _cue_sets:
        with open(os.path.join(_CUE_DIR, f"{language}.json"), encoding="utf-8") as f:
            raw = json.load(f)
        _cue_sets[language] = {k: frozenset(w.lower() for w in v) for k, v in raw.items() if isinstance(v, list)}
    return _cue_sets[language]


def _check_language(language) -> str:
    if not isinstance(language, str) or language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, got {language!r}")
    return language


def words_of(text: str) -> List[str]:
    """Lower-case words of a transcript (punctuation dropped; "l'adresse" one word)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


def lexical_cues(text: str, language: str = "en") -> np.ndarray:
    """The cue vector (CUE_NAMES) of the words heard so far."""
    if not isinstance(text, str):
        raise TypeError(f"the transcript must be a str, got {type(text).__name__}")
    cues = _cues_of(_check_language(language))
    words = words_of(text)
    if not words:
        return np.array([0.0, 0.0, 0.0, 1.0])
    last = words[-1]
    return np.array([any(last in cues[c] for c in _OPEN), last in cues["number"] or last.isdigit(),
                     words[0] in cues["subordinator"], 0.0], dtype=np.float64)


class LexicalTurnModel:
    """A logistic model of the cues: z = ((cues - mean) / scale) @ weights,
    z > 0 sounds finished, z < 0 open.

    Alone, a turn needs ``base_wait_ms * exp(-beta * z)`` of pause; with a
    prosodic detector, ``prosody_need * prosody_scale * exp(-prosody_beta * z)``.
    """

    def __init__(self, mean, scale, weights, beta: float = 1.0, base_wait_ms: float = 1000.0,
                 prosody_beta: float = 1.0, prosody_scale: float = 1.0):
        self.mean, self.scale, self.weights = (np.asarray(v, dtype=np.float64) for v in (mean, scale, weights))
        for name, v in (("mean", self.mean), ("scale", self.scale), ("weights", self.weights)):
            if v.shape != (len(CUE_NAMES),) or not np.all(np.isfinite(v)):
                raise ValueError(f"LexicalTurnModel: {name} must be {len(CUE_NAMES)} finite numbers ({CUE_NAMES})")
        if np.any(self.scale <= 0):
            raise ValueError("LexicalTurnModel: scale must be > 0")
        for name, v, hi in (("beta", beta, 100.0), ("base_wait_ms", base_wait_ms, 60000.0),
                            ("prosody_beta", prosody_beta, 100.0), ("prosody_scale", prosody_scale, 100.0)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= hi:
                raise ValueError(f"LexicalTurnModel: {name} must be a number in 0..{hi:g}, got {v!r}")
        self.beta, self.base_wait_ms = float(beta), float(base_wait_ms)
        self.prosody_beta, self.prosody_scale = float(prosody_beta), float(prosody_scale)

    @classmethod
    def load(cls, path: Optional[str] = None) -> "LexicalTurnModel":
        """The shipped model (turn_cues/model.json) or another file of the same form."""
        with open(path or os.path.join(_CUE_DIR, "model.json"), encoding="utf-8") as f:
            m = json.load(f)
        if m.get("cues") != list(CUE_NAMES):
            raise ValueError(f"LexicalTurnModel: the file's cues {m.get('cues')} are not {list(CUE_NAMES)}")
        return cls(m["mean"], m["scale"], m["weights"], m["beta"], m["base_wait_ms"],
                   m["prosody_beta"], m["prosody_scale"])

    def score(self, cues: np.ndarray) -> float:
        return float(((cues - self.mean) / self.scale) @ self.weights)


class LexicalTurnDetector:
    """End-of-turn detector from the transcript so far (optionally with prosody).

    Parameters
    ----------
    transcript : callable, optional
        ``transcript(turn: TurnSoFar) -> str``: the turn's words so far. Without
        it, the app pushes text with :meth:`set_transcript`.
    language : str, default "en"
        The cue words' language (one of ``LANGUAGES``).
    prosody : ProsodyTurnDetector, optional
        Combine: the prosodic detector's pause need, scaled by the lexical score.
    max_wait_ms : float, default 3000
        The longest pause (after the last frame with voice) it ever asks for.
    model : LexicalTurnModel, optional
        Weights; default the shipped ``turn_cues/model.json``.
    """

    def __init__(self, transcript: Optional[Callable[[TurnSoFar], str]] = None, language: str = "en",
                 prosody: Optional[ProsodyTurnDetector] = None, max_wait_ms: Optional[float] = None,
                 model: Optional[LexicalTurnModel] = None):
        if transcript is not None and not callable(transcript):
            raise TypeError(f"LexicalTurnDetector: transcript must be a callable(turn) -> str, "
                            f"got {type(transcript).__name__}")
        if prosody is not None and not isinstance(prosody, ProsodyTurnDetector):
            raise TypeError(f"LexicalTurnDetector: prosody must be a ProsodyTurnDetector, got {type(prosody).__name__}")
        if model is not None and not isinstance(model, LexicalTurnModel):
            raise TypeError(f"LexicalTurnDetector: model must be a LexicalTurnModel, got {type(model).__name__}")
        if max_wait_ms is None:
            max_wait_ms = prosody.max_wait_ms if prosody is not None else DEFAULT_MAX_WAIT_MS
        if isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, (int, float)) or not math.isfinite(max_wait_ms):
            raise TypeError(f"LexicalTurnDetector: max_wait_ms must be a number of ms, got {max_wait_ms!r}")
        if not 0 <= max_wait_ms <= 60000:
            raise ValueError(f"LexicalTurnDetector: max_wait_ms must be in 0..60000 ms, got {max_wait_ms}")
        self.language = _check_language(language)
        self.transcript = transcript
        self.prosody = prosody
        self.max_wait_ms = float(max_wait_ms)
        self.model = model if model is not None else LexicalTurnModel.load()
        self._text: Dict[Optional[str], str] = {}
        self._scores: Dict[Optional[str], tuple] = {}   # user_id -> (text, z): its last scored words
        self._lock = threading.Lock()   # set_transcript comes from the app's ASR thread

    def set_transcript(self, user_id: Optional[str], text: str) -> None:
        """The whole turn's words so far (replaces the previous text of that user)."""
        if not isinstance(text, str):
            raise TypeError(f"LexicalTurnDetector.set_transcript: text must be a str, got {type(text).__name__}")
        with self._lock:
            if user_id not in self._text and len(self._text) >= _KEPT_USERS:
                self._text.clear()   # users come and go: keep the memory bounded
            self._text[user_id] = text

    def clear(self, user_id: Optional[str]) -> None:
        """Forget a user's text (call it when their next turn starts)."""
        with self._lock:
            self._text.pop(user_id, None)

    def text_of(self, turn: TurnSoFar) -> str:
        """The turn's words so far (from ``transcript`` or :meth:`set_transcript`)."""
        if self.transcript is not None:
            text = self.transcript(turn)
            if not isinstance(text, str):
                raise TypeError(f"LexicalTurnDetector: transcript(turn) must return a str, "
                                f"got {type(text).__name__}")
            return text
        with self._lock:
            return self._text.get(turn.user_id, "")

    def need_ms(self, turn: TurnSoFar, text: Optional[str] = None) -> float:
        """The pause this turn needs (ms after its last frame with voice)."""
        m = self.model
        text = self.text_of(turn) if text is None else text
        kept = self._scores.get(turn.user_id)
        if kept is not None and kept[0] == text:   # asked again in the same pause: the same words
            z = kept[1]
        else:
            z = m.score(lexical_cues(text, self.language))
            if len(self._scores) >= _KEPT_USERS:
                self._scores.clear()
            self._scores[turn.user_id] = (text, z)
        if self.prosody is not None:
            base, z = self.prosody.need_ms(turn) * m.prosody_scale, m.prosody_beta * z
        else:
            base, z = m.base_wait_ms, m.beta * z
        return min(self.max_wait_ms, base * math.exp(-max(-20.0, min(20.0, z))))

    def decide(self, turn: TurnSoFar) -> float:
        if not isinstance(turn, TurnSoFar):
            raise TypeError(f"LexicalTurnDetector.decide: expected a TurnSoFar, got {type(turn).__name__}")
        left = self.need_ms(turn) - turn.pause_ms
        return TURN_OVER if left <= 0 else left

    def __repr__(self):
        return (f"LexicalTurnDetector(language={self.language!r}, prosody={self.prosody!r}, "
                f"max_wait_ms={self.max_wait_ms})")
