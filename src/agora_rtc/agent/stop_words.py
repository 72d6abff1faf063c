"""ReplyOnStopWords: answer only after a wake phrase ("ok computer", "hello iris").

A :class:`ReplyOnPause` whose turns first pass a :class:`StopWordDetector`
(on the handler's worker thread, never the engine's delivery thread):

- a turn that holds a stop word: when at least ``min_request_ms`` of voice
  follows the phrase in the same turn ("ok computer, what time is it?"), the
  reply function gets that part at once; otherwise ("ok computer" ... pause)
  the user's next turn is answered, whole ("stop_word" event either way);
- any other turn gets no reply ("ignored", reason "no_stop_word");
- after a reply, the wake phrase is needed again.

Everything else (barge-in, end of turn, AdditionalOutputs, startup_fn) is
ReplyOnPause's.

Detection: PocketSphinx keyphrase search over the whole turn for phrases
whose words are all in its dictionary (fast: about 0.03 s of CPU per second
of audio); phrases with a word it does not know (a misspelling such as
"lamma") are matched on the PocketSphinx transcript instead, by a fuzzy
string match (``fuzzy_ratio``), as is every phrase with ``fuzzy=True``.
"""
from __future__ import annotations

import difflib
import threading
from typing import NamedTuple, Optional, Sequence

import numpy as np

from agora_rtc.agent.speech import KeyphraseSpotter, PocketSphinxSTT, _words
from agora_rtc.agent.turn_taking import ReplyOnPause

__all__ = ["ReplyOnStopWords", "StopWordDetector", "StopWordHit"]


class StopWordHit(NamedTuple):
    """A stop word found: the phrase as given, what was heard, where it ended (s)."""
    phrase: str
    heard: str
    end_s: float
    how: str            # "keyphrase" or "transcript"


class StopWordDetector:
    """Finds stop words (single words or pairs, any count) in an utterance.

    Parameters
    ----------
    stop_words : sequence of str
        Phrases; list common misspellings too ("llama", "lamma").
    threshold : float, default 1e-30
        PocketSphinx keyphrase threshold (smaller: more hits, more false alarms).
    fuzzy : bool, default False
        Also match every phrase on the transcript (costs a full transcription
        per turn, about 10 times the keyphrase search).
    fuzzy_ratio : float, default 0.8
        How close (difflib ratio, 0..1) transcript words must be to a phrase.
    """

    def __init__(self, stop_words: Sequence[str], threshold: float = 1e-30, fuzzy: bool = False,
                 fuzzy_ratio: float = 0.8):
        if isinstance(stop_words, str):
            stop_words = [stop_words]
        phrases = []
        for p in stop_words:
            if not isinstance(p, str) or not _words(p):
                raise ValueError(f"stop_words: each must be a non-empty str of words, got {p!r}")
            phrases.append(" ".join(_words(p)))
        if not phrases:
            raise ValueError("stop_words: give at least one stop word")
        if isinstance(fuzzy_ratio, bool) or not isinstance(fuzzy_ratio, (int, float)) or not 0 < fuzzy_ratio <= 1:
            raise ValueError(f"fuzzy_ratio must be in (0, 1], got {fuzzy_ratio!r}")
        self.phrases = list(dict.fromkeys(phrases))
        spotted = [p for p in self.phrases if all(KeyphraseSpotter.known(w) for w in p.split())]
        self.transcript_phrases = self.phrases if fuzzy else [p for p in self.phrases if p not in spotted]
        self.fuzzy_ratio = float(fuzzy_ratio)
        self._spotter = KeyphraseSpotter(spotted, threshold) if spotted else None
        self._stt = PocketSphinxSTT() if self.transcript_phrases else None

    def find(self, audio) -> Optional[StopWordHit]:
        """The first stop word in ``audio`` = ``(sample_rate, array)``, or None."""
        hits = []
        if self._spotter is not None:
            hits += [StopWordHit(h.phrase, h.phrase, h.end_s, "keyphrase") for h in self._spotter.spot(audio)]
        if self._stt is not None:
            words = self._stt.words(audio)
            for phrase in self.transcript_phrases:
                n = len(phrase.split())
                for i in range(len(words) - n + 1):
                    heard = " ".join(w for w, _, _ in words[i:i + n])
                    if difflib.SequenceMatcher(None, heard, phrase).ratio() >= self.fuzzy_ratio:
                        hits.append(StopWordHit(phrase, heard, words[i + n - 1][2], "transcript"))
                        break
        return min(hits, key=lambda h: h.end_s) if hits else None


class ReplyOnStopWords(ReplyOnPause):
    """ReplyOnPause that answers only after a stop word (fastrtc's class).

    ``ReplyOnStopWords(fn, stop_words=["ok computer", "hello iris"], ...)``;
    ``threshold``, ``fuzzy``, ``fuzzy_ratio`` as :class:`StopWordDetector`;
    ``min_request_ms`` (default 300): voice after the phrase, in the same
    turn, that makes it the request; every other keyword argument is
    :class:`ReplyOnPause`'s. ``detector`` replaces the detector (anything
    with ``find(audio) -> StopWordHit or None``)."""

    def __init__(self, fn, stop_words: Sequence[str] = (), *, threshold: float = 1e-30, fuzzy: bool = False,
                 fuzzy_ratio: float = 0.8, min_request_ms: float = 300.0, detector=None, **kwargs):
        super().__init__(fn, **kwargs)
        if detector is None:
            detector = StopWordDetector(stop_words, threshold, fuzzy, fuzzy_ratio)
        elif not callable(getattr(detector, "find", None)):
            raise TypeError("ReplyOnStopWords: detector must have a find(audio) method")
        if isinstance(min_request_ms, bool) or not isinstance(min_request_ms, (int, float)) \
                or not 0 <= min_request_ms <= 60000:
            raise ValueError(f"ReplyOnStopWords: min_request_ms must be in 0..60000, got {min_request_ms!r}")
        self.detector = detector
        self.stop_words = list(getattr(detector, "phrases", stop_words))
        self.min_request_ms = float(min_request_ms)
        self._armed = set()            # users who said the wake phrase and are owed a reply
        self._armed_lock = threading.Lock()

    def armed(self, user_id) -> bool:
        """True when ``user_id`` said a stop word and their next turn gets a reply."""
        with self._armed_lock:
            return user_id in self._armed

    def _voiced_ms(self, rate, audio) -> float:
        """ms of 10 ms frames at least as loud as the VAD's start threshold."""
        x = audio.astype(np.float32).mean(axis=0)
        n = rate // 100
        frames = x[:x.size - x.size % n].reshape(-1, n)
        if frames.size == 0:
            return 0.0
        dbfs = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) / 32768.0 + 1e-12)
        return float((dbfs >= self.vad_configure.startRmsThreshold).sum() * 10)

    def _gate(self, job):
        uid = job.user_id
        with self._armed_lock:
            if uid in self._armed:
                self._armed.discard(uid)
                return job.audio
        hit = self.detector.find(job.audio)
        rate, audio = job.audio
        if hit is None:
            self._record("ignored", uid, job.reply_id, audio.shape[1] / rate * 1000.0,
                         {"reason": "no_stop_word"})
            return None
        rest = audio[:, min(audio.shape[1], int(round(hit.end_s * rate))):]
        request = rest.shape[1] > 0 and self._voiced_ms(rate, rest) >= self.min_request_ms
        if not request:
            with self._armed_lock:
                self._armed.add(uid)
        self._record("stop_word", uid, job.reply_id, hit.end_s * 1000.0, hit)
        return (rate, np.ascontiguousarray(rest)) if request else None
