"""On-device speech models with fastrtc's shapes: ``get_stt_model()`` / ``get_tts_model()``.

Speech to text: PocketSphinx (PyPI ``pocketsphinx`` 5.x, whose wheel carries
its US English acoustic model, dictionary and language model: nothing is
downloaded at run time). Extra ``agora_rtc[speech]``.

- ``stt((rate, array)) -> str``: the transcript of one utterance (any rate,
  resampled to 16 kHz; int16 or float audio, shape (n,) or (channels, n)).
- :class:`KeyphraseSpotter`: PocketSphinx's keyphrase search, for stop words.

Text to speech: a subprocess per sentence writing WAV, from Debian packages
(``flite``, ``espeak-ng``); no Python dependency.

- ``tts(text) -> (rate, int16 array of shape (1, n))``;
- ``stream_tts_sync(text)`` / ``async stream_tts(text)`` yield the same per
  sentence, so the first sentence plays while the next is synthesised.

Models by name: ``get_stt_model("pocketsphinx")`` (alias
``"pocketsphinx/en-us"``); ``get_tts_model("flite")`` (CMU Flite, voices
slt, rms, awb, kal16, kal; default) or ``"espeak-ng"``. An unknown name
raises ValueError listing the known ones.

Each model object is safe to share between threads (PocketSphinx decoders
are used under a lock; one decoder per model object).
"""
from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import wave
from typing import AsyncIterator, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

__all__ = ["get_stt_model", "get_tts_model", "STT_MODELS", "TTS_MODELS", "PocketSphinxSTT",
           "KeyphraseSpotter", "KeyphraseHit", "TTSOptions", "FliteTTS", "EspeakTTS",
           "resample", "word_error_rate"]

STT_MODELS = ("pocketsphinx", "pocketsphinx/en-us")
TTS_MODELS = ("flite", "espeak-ng")
STT_RATE = 16000
_EXTRA_HINT = "pip install 'agora_rtc[speech]'"


def _pocketsphinx():
    try:
        import pocketsphinx
    except ImportError as exc:
        raise ImportError("agora_rtc speech to text needs PocketSphinx, the optional extra "
                          f"agora_rtc[speech]: {_EXTRA_HINT}") from exc
    return pocketsphinx


# ---- audio helpers ----

def _mono_float(audio) -> Tuple[int, np.ndarray]:
    """(rate, float32 mono samples in int16 scale) from fastrtc's (rate, array)."""
    if not isinstance(audio, tuple) or len(audio) not in (2, 3):
        raise TypeError(f"expected audio as (sample_rate, numpy array), got {type(audio).__name__}")
    rate, arr = audio[0], audio[1]
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or not 4000 <= int(rate) <= 192000:
        raise ValueError(f"sample_rate must be an int in 4000..192000, got {rate!r}")
    if isinstance(arr, (bytes, bytearray, memoryview)):
        arr = np.frombuffer(bytes(arr)[:len(arr) - len(arr) % 2], np.int16)
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"expected a numpy array of audio, got {type(arr).__name__}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"audio must have shape (n,) or (channels, n), got {arr.shape}")
    if arr.dtype == np.int16:
        x = arr.astype(np.float32)
    elif np.issubdtype(arr.dtype, np.floating):
        x = np.nan_to_num(arr.astype(np.float32)) * 32767.0
    else:
        raise TypeError(f"audio must be int16 or float, got dtype {arr.dtype}")
    if x.ndim == 2:     # channels first (fastrtc), or samples first when that is the short axis
        x = x.mean(axis=0) if x.shape[0] <= x.shape[1] else x.mean(axis=1)
    return int(rate), x


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Resample float samples from ``src`` to ``dst`` Hz: a windowed-sinc
    low-pass (when going down) then linear interpolation."""
    if src == dst or x.size == 0:
        return x.astype(np.float32, copy=False)
    if dst < src:
        cutoff = 0.45 * dst / src                  # of the source rate
        n = np.arange(-32, 33)
        taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(n.size)
        x = np.convolve(x, taps / taps.sum(), mode="same")
    out_n = int(round(x.size * dst / src))
    pos = np.arange(out_n) * (src / dst)
    return np.interp(pos, np.arange(x.size), x).astype(np.float32)


def _pcm16(audio) -> bytes:
    """16 kHz mono int16 bytes for PocketSphinx."""
    rate, x = _mono_float(audio)
    y = resample(x, rate, STT_RATE)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16).tobytes()


_FEED_BYTES = STT_RATE // 10 * 2    # 100 ms of 16 kHz int16


def _decode(decoder, pcm: bytes, whole: bool) -> None:
    """One utterance through ``decoder``. PocketSphinx holds the GIL while it
    decodes. ``whole``: in one call, so the cepstral mean is the utterance's
    own (batch CMN, as the acoustic model was trained; best accuracy), and
    every other Python thread waits for the whole decode. Otherwise 100 ms at
    a time (live CMN): other threads (the engine's frame delivery among them)
    get their turn between pieces; the keyphrase search uses this."""
    decoder.start_utt()
    if whole:
        decoder.process_raw(pcm, full_utt=True)
    else:
        for i in range(0, len(pcm), _FEED_BYTES):
            decoder.process_raw(pcm[i:i + _FEED_BYTES], full_utt=False)
    decoder.end_utt()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level Levenshtein distance / words in ``reference`` (case and
    punctuation ignored)."""
    ref, hyp = _words(reference), _words(hypothesis)
    if not ref:
        return float(len(hyp) > 0)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1] / len(ref)


def _words(text: str) -> List[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


# ---- speech to text ----

class PocketSphinxSTT:
    """PocketSphinx with its bundled US English model (``get_stt_model("pocketsphinx")``).

    Each utterance is decoded in one call (batch CMN, as the model was
    trained): about 0.2-0.3 s of CPU per second of speech with the GIL held,
    so every other thread of the process waits that long. In a process that
    serves many connections, transcribe in worker processes."""

    name = "pocketsphinx/en-us"

    def __init__(self):
        ps = _pocketsphinx()
        self._decoder = ps.Decoder(samprate=STT_RATE, loglevel="FATAL")
        self._lock = threading.Lock()

    def stt(self, audio) -> str:
        """The transcript of ``audio`` = ``(sample_rate, array)`` (lower case, "" for none)."""
        pcm = _pcm16(audio)
        with self._lock:
            d = self._decoder
            _decode(d, pcm, whole=True)
            hyp = d.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def words(self, audio) -> List[Tuple[str, float, float]]:
        """The transcript of ``audio`` as (word, start s, end s), fillers and silences left out."""
        pcm = _pcm16(audio)
        with self._lock:
            d = self._decoder
            _decode(d, pcm, whole=True)
            segs = list(d.seg() or [])
        out = []
        for seg in segs:
            w = seg.word.split("(", 1)[0]
            if w.startswith("<") or w.startswith("[") or w == "" or w.startswith("++"):
                continue
            out.append((w, seg.start_frame / 100.0, (seg.end_frame + 1) / 100.0))
        return out

    def __repr__(self):
        return f"PocketSphinxSTT({self.name!r})"


class KeyphraseHit(NamedTuple):
    """A spotted phrase: which one, and where (seconds from the start of the audio)."""
    phrase: str
    start_s: float
    end_s: float


class KeyphraseSpotter:
    """PocketSphinx keyphrase search over a set of phrases (stop words).

    ``phrases``: single words or word pairs (any length), each of whose words
    must be in the model's dictionary; ``threshold``: the detection threshold
    (smaller finds more and false-alarms more; 1e-30 found every wake phrase
    in our synthesised tests without hits on other speech).
    :meth:`known` tells which words the dictionary has."""

    def __init__(self, phrases: Sequence[str], threshold: float = 1e-30):
        ps = _pocketsphinx()
        if isinstance(phrases, str):
            phrases = [phrases]
        clean = []
        for p in phrases:
            if not isinstance(p, str) or not _words(p):
                raise ValueError(f"KeyphraseSpotter: each phrase must be a non-empty str, got {p!r}")
            clean.append(" ".join(_words(p)))
        if not clean:
            raise ValueError("KeyphraseSpotter: give at least one phrase")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold < 1:
            raise ValueError(f"KeyphraseSpotter: threshold must be a number in (0, 1), got {threshold!r}")
        self.phrases = list(dict.fromkeys(clean))
        self.threshold = float(threshold)
        self._dict = _dictionary_words(ps)
        missing = sorted({w for p in self.phrases for w in p.split() if w not in self._dict})
        if missing:
            raise ValueError(f"KeyphraseSpotter: not in the PocketSphinx dictionary: {missing}")
        fd, self._kws_path = tempfile.mkstemp(prefix="agora_rtc_kws_", suffix=".txt")
        with os.fdopen(fd, "w") as f:
            for p in self.phrases:
                f.write(f"{p} /{self.threshold:g}/\n")
        try:
            self._decoder = ps.Decoder(kws=self._kws_path, samprate=STT_RATE, loglevel="FATAL")
        finally:
            os.unlink(self._kws_path)
        self._lock = threading.Lock()

    @staticmethod
    def known(word: str) -> bool:
        """True when ``word`` is in the PocketSphinx US English dictionary."""
        return word.lower() in _dictionary_words(_pocketsphinx())

    def spot(self, audio) -> List[KeyphraseHit]:
        """The phrases found in ``audio`` = ``(sample_rate, array)``, in order."""
        pcm = _pcm16(audio)
        with self._lock:
            d = self._decoder
            _decode(d, pcm, whole=False)
            fps = 100.0
            hits = [KeyphraseHit(s.word.strip(), s.start_frame / fps, (s.end_frame + 1) / fps)
                    for s in (d.seg() or []) if s.word.strip() in self.phrases]
        return hits

    def __repr__(self):
        return f"KeyphraseSpotter({self.phrases!r}, threshold={self.threshold:g})"


_DICT_CACHE: Dict[str, frozenset] = {}


def _dictionary_words(ps) -> frozenset:
    path = os.path.join(ps.get_model_path(), "en-us", "cmudict-en-us.dict")
    words = _DICT_CACHE.get(path)
    if words is None:
        with open(path, encoding="utf-8", errors="replace") as f:
            words = frozenset(line.split(" ", 1)[0].split("(", 1)[0] for line in f if line.strip())
        _DICT_CACHE[path] = words
    return words


def get_stt_model(model: str = "pocketsphinx") -> PocketSphinxSTT:
    """A speech-to-text model by name (see :data:`STT_MODELS`)."""
    if model not in STT_MODELS:
        raise ValueError(f"get_stt_model: unknown model {model!r}; known: {', '.join(STT_MODELS)}")
    return PocketSphinxSTT()


# ---- text to speech ----

@dataclasses.dataclass
class TTSOptions:
    """Per-call options (fastrtc's KokoroTTSOptions shape): ``voice`` (engine's
    name; None: the model's default), ``speed`` (1.0 normal, 0.5..2.0)."""
    voice: Optional[str] = None
    speed: float = 1.0
    lang: Optional[str] = None      # accepted for fastrtc code; both engines here speak English


_SENTENCE = re.compile(r"(?<=[.!?;:])\s+")


def _sentences(text: str) -> List[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


class _SubprocessTTS:
    """A Debian TTS program run once per sentence, WAV read back."""

    program = ""
    package = ""
    default_voice = ""

    def __init__(self):
        self._exe = shutil.which(self.program)
        if self._exe is None:
            raise RuntimeError(f"{self.program} is not installed: apt-get install {self.package}")

    def _command(self, text: str, voice: str, speed: float, out: str) -> List[str]:
        raise NotImplementedError

    def _options(self, options: Optional[TTSOptions]) -> Tuple[str, float]:
        if options is None:
            options = TTSOptions()
        if not isinstance(options, TTSOptions):
            raise TypeError(f"options must be a TTSOptions, got {type(options).__name__}")
        speed = options.speed
        if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.5 <= speed <= 2.0:
            raise ValueError(f"TTSOptions.speed must be in 0.5..2.0, got {speed!r}")
        voice = options.voice or self.default_voice
        if not isinstance(voice, str) or not re.fullmatch(r"[A-Za-z0-9_+\-/.]+", voice):
            raise ValueError(f"TTSOptions.voice must be a voice name, got {voice!r}")
        return voice, float(speed)

    def _synth(self, text: str, voice: str, speed: float) -> Tuple[int, np.ndarray]:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        with tempfile.TemporaryDirectory(prefix="agora_rtc_tts_") as tmp:
            out = os.path.join(tmp, "out.wav")
            proc = subprocess.run(self._command(text, voice, speed, out), capture_output=True,
                                  timeout=120, stdin=subprocess.DEVNULL)
            if proc.returncode != 0 or not os.path.exists(out):
                raise RuntimeError(f"{self.program} failed ({proc.returncode}): "
                                   f"{proc.stderr.decode(errors='replace').strip()[:300]}")
            with open(out, "rb") as f:
                data = f.read()
        with wave.open(io.BytesIO(data), "rb") as w:
            if w.getsampwidth() != 2:
                raise RuntimeError(f"{self.program}: expected 16-bit WAV, got {8 * w.getsampwidth()}-bit")
            pcm = np.frombuffer(w.readframes(w.getnframes()), np.int16)
            ch = w.getnchannels()
            rate = w.getframerate()
        if ch > 1:
            pcm = pcm.reshape(-1, ch)[:, 0].copy()
        return rate, pcm[np.newaxis, :]

    def tts(self, text: str, options: Optional[TTSOptions] = None) -> Tuple[int, np.ndarray]:
        """``text`` spoken: ``(rate, int16 array of shape (1, n))`` (n = 0 for blank text)."""
        voice, speed = self._options(options)
        parts = [self._synth(s, voice, speed) for s in _sentences(text)]
        if not parts:
            return self.sample_rate(voice), np.zeros((1, 0), np.int16)
        return parts[0][0], np.concatenate([p[1] for p in parts], axis=1)

    def stream_tts_sync(self, text: str, options: Optional[TTSOptions] = None) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(rate, array)`` per sentence of ``text``."""
        voice, speed = self._options(options)
        for sentence in _sentences(text):
            yield self._synth(sentence, voice, speed)

    async def stream_tts(self, text: str, options: Optional[TTSOptions] = None) -> AsyncIterator[Tuple[int, np.ndarray]]:
        """``stream_tts_sync`` for asyncio: each sentence synthesised off the loop."""
        voice, speed = self._options(options)
        loop = asyncio.get_running_loop()
        for sentence in _sentences(text):
            yield await loop.run_in_executor(None, self._synth, sentence, voice, speed)

    def sample_rate(self, voice: Optional[str] = None) -> int:
        return self._synth("a", voice or self.default_voice, 1.0)[0]

    def __repr__(self):
        return f"{type(self).__name__}()"


class FliteTTS(_SubprocessTTS):
    """CMU Flite (Debian ``flite``): voices slt (default), rms, awb, kal16, kal;
    16 kHz (kal: 8 kHz)."""
    program, package, default_voice = "flite", "flite", "slt"

    _voices: Optional[List[str]] = None

    def _options(self, options):
        voice, speed = super()._options(options)
        if FliteTTS._voices is None:
            listed = subprocess.run([self._exe, "-lv"], capture_output=True, text=True, timeout=30).stdout
            FliteTTS._voices = listed.split(":", 1)[-1].split()
        if voice not in FliteTTS._voices and not (voice.endswith(".flitevox") and os.path.exists(voice)):
            # flite itself falls back to its default voice without a word
            raise ValueError(f"unknown voice {voice!r}; flite voices: {', '.join(FliteTTS._voices)} "
                             "(or a .flitevox file)")
        return voice, speed

    def _command(self, text, voice, speed, out):
        return [self._exe, "-voice", voice, "--setf", f"duration_stretch={1.0 / speed:.3f}",
                "-t", text, "-o", out]


class EspeakTTS(_SubprocessTTS):
    """espeak-ng (Debian ``espeak-ng``): any of its voices (default en-us), 22.05 kHz."""
    program, package, default_voice = "espeak-ng", "espeak-ng", "en-us"

    def _command(self, text, voice, speed, out):
        return [self._exe, "-v", voice, "-s", str(int(round(175 * speed))), "-w", out, "--", text]


def get_tts_model(model: str = "flite"):
    """A text-to-speech model by name (see :data:`TTS_MODELS`)."""
    if model == "flite":
        return FliteTTS()
    if model == "espeak-ng":
        return EspeakTTS()
    raise ValueError(f"get_tts_model: unknown model {model!r}; known: {', '.join(TTS_MODELS)}")
