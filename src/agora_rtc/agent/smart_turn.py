"""SmartTurnDetector: Smart Turn v3.2 (an open audio end-of-turn model, BSD-2)
as an end-of-turn detector for ReplyOnPause. Optional: ``pip install agora_rtc[turn]``.

The ONNX file is the one the installed pipecat-ai wheel ships
(``pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx``); nothing is
downloaded at run time, and pipecat itself is not imported. The model runs
only at pauses (the first ask after the last voiced frame), on one worker
thread of this detector, never on the engine's media threads: until its
answer is there ``decide`` says ``WAIT``. With the answer: "complete"
(probability >= ``threshold``) is ``TURN_OVER``; otherwise the turn waits
until ``max_wait_ms`` of pause.

Input: the last 8 s of the turn at 16 kHz (resampled linearly from other
rates, channels averaged), Whisper log-mel features (80 bands, 10 ms hop),
written here from Whisper's published front end.
"""
from __future__ import annotations

import collections
import importlib.util
import math
import os
import queue
import threading
import time
from typing import Optional

import numpy as np

from agora_rtc.agent.end_of_turn import TURN_OVER, WAIT, TurnSoFar

__all__ = ["SmartTurnDetector", "smart_turn_model_path", "whisper_log_mel"]

MODEL_FILE = ("audio", "turn", "smart_turn", "data", "smart-turn-v3.2-cpu.onnx")
RATE = 16000
SECONDS = 8
N_FFT, HOP, N_MELS = 400, 160, 80
_FRAME_MS = 10.0
_KEPT_USERS = 4096


def smart_turn_model_path() -> str:
    """The Smart Turn v3.2 ONNX file of the installed pipecat-ai package."""
    spec = importlib.util.find_spec("pipecat")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("SmartTurnDetector needs the pipecat-ai package (pip install agora_rtc[turn]): "
                          "its wheel ships the Smart Turn v3.2 ONNX file")
    for root in spec.submodule_search_locations:
        path = os.path.join(root, *MODEL_FILE)
        if os.path.isfile(path):
            return path
    raise ImportError(f"pipecat-ai is installed but has no {'/'.join(MODEL_FILE)} (Smart Turn v3.2 needs "
                      "a pipecat-ai release that ships it)")


def _hz_to_mel(f):
    # Slaney's mel scale: linear below 1 kHz, logarithmic above
    f = np.asarray(f, dtype=np.float64)
    lin = f / (200.0 / 3)
    return np.where(f < 1000.0, lin, 15.0 + np.log(np.maximum(f, 1e-9) / 1000.0) / (np.log(6.4) / 27.0))


def _mel_to_hz(m):
    m = np.asarray(m, dtype=np.float64)
    return np.where(m < 15.0, m * (200.0 / 3), 1000.0 * np.exp((m - 15.0) * (np.log(6.4) / 27.0)))


def _mel_bank():
    """(N_MELS, N_FFT//2+1) triangular filters, area-normalised (Slaney)."""
    bins = np.linspace(0, RATE / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(0.0), _hz_to_mel(RATE / 2), N_MELS + 2))
    bank = np.zeros((N_MELS, len(bins)))
    for m in range(N_MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - lo) / (mid - lo)
        falling = (hi - bins) / (hi - mid)
        bank[m] = np.maximum(0.0, np.minimum(rising, falling)) * (2.0 / (hi - lo))
    return bank


_BANK = _mel_bank()
_WINDOW = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)   # periodic Hann


def whisper_log_mel(audio: np.ndarray) -> np.ndarray:
    """(80, 800) float32 log-mel features of 8 s of 16 kHz float audio in [-1, 1]
    (the last 8 s are kept; shorter audio is padded with silence in front)."""
    x = np.asarray(audio, dtype=np.float64)[-RATE * SECONDS:]
    x = np.concatenate([np.zeros(RATE * SECONDS - len(x)), x])
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)                    # zero mean, unit variance
    padded = np.pad(x, N_FFT // 2, mode="reflect")                    # centred frames
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:RATE * SECONDS // HOP]
    power = np.abs(np.fft.rfft(frames * _WINDOW, axis=1)) ** 2
    logmel = np.log10(np.maximum(power @ _BANK.T, 1e-10)).T
    logmel = np.maximum(logmel, logmel.max() - 8.0)
    return ((logmel + 4.0) / 4.0).astype(np.float32)


def _to_16k_mono(turn: TurnSoFar) -> np.ndarray:
    keep = int(turn.sample_rate * (SECONDS + 0.1)) * turn.channels
    pcm = np.frombuffer(bytes(turn.pcm[-keep * 2:]), dtype=np.int16).astype(np.float32) / 32768.0
    if turn.channels > 1:
        pcm = pcm[:len(pcm) - len(pcm) % turn.channels].reshape(-1, turn.channels).mean(axis=1)
    if turn.sample_rate != RATE and len(pcm):
        n = int(len(pcm) * RATE / turn.sample_rate)
        pcm = np.interp(np.arange(n) * (turn.sample_rate / RATE), np.arange(len(pcm)), pcm).astype(np.float32)
    return pcm


class SmartTurnDetector:
    """Smart Turn v3.2 through onnxruntime, at pauses, off the media threads.

    Parameters
    ----------
    threshold : float, default 0.5
        Probability of "complete" at or above which the turn is over.
    max_wait_ms : float, default 3000
        After an "incomplete" answer, the pause (after the last voiced frame)
        at which the turn is over anyway; 0..60000.
    model_path : str, optional
        Another Smart Turn ONNX file (default: the installed pipecat-ai's).

    ``inference_ms`` holds the durations of the last 10000 model runs (for cost reports).
    """

    def __init__(self, threshold: float = 0.5, max_wait_ms: float = 3000.0, model_path: Optional[str] = None):
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ValueError(f"SmartTurnDetector: threshold must be a probability in 0..1, got {threshold!r}")
        if isinstance(max_wait_ms, bool) or not isinstance(max_wait_ms, (int, float)) \
                or not math.isfinite(max_wait_ms) or not 0 <= max_wait_ms <= 60000:
            raise ValueError(f"SmartTurnDetector: max_wait_ms must be a number of ms in 0..60000, got {max_wait_ms!r}")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ImportError("SmartTurnDetector needs onnxruntime (pip install agora_rtc[turn])") from exc
        self.threshold = float(threshold)
        self.max_wait_ms = float(max_wait_ms)
        self.model_path = model_path or smart_turn_model_path()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self._session = ort.InferenceSession(self.model_path, sess_options=opts,
                                             providers=["CPUExecutionProvider"])
        self.inference_ms = collections.deque(maxlen=10000)
        self._lock = threading.Lock()
        self._answers = {}      # user_id -> (pause key, probability or None while running)
        self._jobs: "queue.Queue" = queue.Queue()
        self._worker = threading.Thread(target=self._run, name="agora_rtc-smart-turn", daemon=True)
        self._worker.start()

    def probability(self, audio_16k: np.ndarray) -> float:
        """P(turn complete) of 16 kHz float audio (the last 8 s count); runs the model here."""
        t0 = time.perf_counter()
        feats = whisper_log_mel(audio_16k)[None]
        out = self._session.run(None, {"input_features": feats})[0]
        self.inference_ms.append((time.perf_counter() - t0) * 1000.0)
        return float(np.asarray(out).reshape(-1)[0])

    def decide(self, turn: TurnSoFar) -> float:
        if not isinstance(turn, TurnSoFar):
            raise TypeError(f"SmartTurnDetector.decide: expected a TurnSoFar, got {type(turn).__name__}")
        voiced_len = len(turn.labels) - int(round(turn.pause_ms / _FRAME_MS))
        key = (voiced_len, turn.utterances)
        with self._lock:
            kept = self._answers.get(turn.user_id)
            if kept is None or kept[0] != key:
                if len(self._answers) >= _KEPT_USERS:   # users come and go: keep the memory bounded
                    self._answers.clear()
                self._answers[turn.user_id] = (key, None)
                self._jobs.put((turn.user_id, key, _to_16k_mono(turn)))   # a copy: the turn's buffers move on
                return WAIT
            p = kept[1]
        if p is None:
            return WAIT
        if p >= self.threshold:
            return TURN_OVER
        left = self.max_wait_ms - turn.pause_ms
        return TURN_OVER if left <= 0 else left

    def _run(self):
        while True:
            job = self._jobs.get()
            if job is None:
                return
            uid, key, audio = job
            try:
                p = self.probability(audio)
            except Exception:   # an unusable answer: the turn waits for max_wait_ms
                p = -1.0
            with self._lock:
                if self._answers.get(uid, (None,))[0] == key:
                    self._answers[uid] = (key, p)

    def close(self):
        """Stop the worker thread."""
        self._jobs.put(None)
        self._worker.join(5)

    def __repr__(self):
        return f"SmartTurnDetector(threshold={self.threshold}, max_wait_ms={self.max_wait_ms})"
