"""VAD V2: config, the standalone detector, a per-user manager, and a dump helper.

The decision logic and the labels are compiled C (the same code the engine
runs on every received stream); this module is the Python surface. See VAD.md.
"""
from __future__ import annotations

import copy
import math
import os
import struct
import threading
import time
from typing import Dict, Optional, Tuple

from agora_rtc._core import _engine
from agora_rtc.base.sample_rates import PLAYBACK_SAMPLE_RATES

__all__ = ["AudioVadConfigV2", "AudioVadV2", "AudioVadManager", "VadDump"]

# 10 ms frames need a whole number of samples, so 22050 Hz is not an analysis rate.
_RATES = PLAYBACK_SAMPLE_RATES


def _int_field(name, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"AudioVadConfigV2.{name} must be an int, got {type(value).__name__}")
    if value < lo or (hi is not None and value > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ValueError(f"AudioVadConfigV2.{name} must be {rng}, got {value}")
    return value


def _float_field(name, value, lo, hi, lo_open=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"AudioVadConfigV2.{name} must be a number, got {type(value).__name__}")
    value = float(value)
    # The engine stores the value as float32: a positive double that rounds to 0.0f
    # (below ~7e-46) is 0 there, so it is rejected here rather than by the engine.
    as_f32 = struct.unpack("f", struct.pack("f", value))[0] if lo < value <= hi else value
    if not math.isfinite(value) or value > hi or value < lo or (lo_open and as_f32 <= lo):
        rng = f"({lo}, {hi}]" if lo_open else f"[{lo}, {hi}]"
        raise ValueError(f"AudioVadConfigV2.{name} must be in {rng}, got {value}")
    return value


class AudioVadConfigV2:
    """VAD V2 configuration (positional order of the original SDK kept).

    Parameters
    ----------
    preStartRecognizeCount : int, default 16
        P, frames of pre-roll kept before the start window (>= 0).
    startRecognizeCount : int, default 30
        S, window (frames) examined to decide "start" (>= 1).
    stopRecognizeCount : int, default 50
        T, window (frames) examined to decide "stop" (>= 1).
    activePercent : float, default 0.7
        Share of active frames in the start window that starts speech, (0, 1].
    inactivePercent : float, default 0.5
        Share of inactive frames in the stop window that stops speech, (0, 1].
    startVoiceProb, stopVoiceProb : int, default 70
        voice_prob thresholds (0..100).
    rmsThreshold : float, default -50
        Loudness floor in dBFS (-100..0) for both start and stop, unless
        ``startRmsThreshold`` / ``stopRmsThreshold`` are given by keyword.
    adaptiveRms : bool, default False
        When on, after each utterance the rms floor follows the utterance's
        mean level minus ``adaptiveRmsFactor`` dB (never below the configured floor).
    startRunCount : int, default 0
        Not in Agora's SDK (0 = off, Agora's behaviour): a start also needs the last
        ``startRunCount`` frames to be active one after another (0..startRecognizeCount), so
        scattered bursts such as keyboard clicks that fill the start window do not start an
        utterance. ``for_agents()`` sets it.

    Configs are copied wherever they are used, never shared or mutated (the
    original added 127 to the threshold of a shared config per instance).
    """

    __slots__ = ("preStartRecognizeCount", "startRecognizeCount", "stopRecognizeCount",
                 "activePercent", "inactivePercent", "startVoiceProb", "stopVoiceProb",
                 "startRmsThreshold", "stopRmsThreshold", "adaptiveRms", "adaptiveRmsFactor",
                 "startRunCount")

    def __init__(self, preStartRecognizeCount=16, startRecognizeCount=30, stopRecognizeCount=50,
                 activePercent=0.7, inactivePercent=0.5, startVoiceProb=70, stopVoiceProb=70,
                 rmsThreshold=-50.0, *, startRmsThreshold=None, stopRmsThreshold=None,
                 adaptiveRms=False, adaptiveRmsFactor=20.0, startRunCount=0):
        self.preStartRecognizeCount = preStartRecognizeCount
        self.startRecognizeCount = startRecognizeCount
        self.stopRecognizeCount = stopRecognizeCount
        self.activePercent = activePercent
        self.inactivePercent = inactivePercent
        self.startVoiceProb = startVoiceProb
        self.stopVoiceProb = stopVoiceProb
        self.startRmsThreshold = rmsThreshold if startRmsThreshold is None else startRmsThreshold
        self.stopRmsThreshold = rmsThreshold if stopRmsThreshold is None else stopRmsThreshold
        self.adaptiveRms = adaptiveRms
        self.adaptiveRmsFactor = adaptiveRmsFactor
        self.startRunCount = startRunCount
        self._native()  # validate now: a bad config fails where it is written

    @classmethod
    def for_agents(cls):
        """A preset for voice agents (the plain constructor keeps Agora's defaults).

        Agora's defaults stop once 25 of the last 50 frames are not voice, so a 300-500 ms pause
        inside a sentence ends the utterance and an agent answers into it. This preset starts
        once 6 of the last 10 frames are voice at voice_prob 80 AND the last 10 frames are voice
        one after another (``startRunCount``: about 100 ms of unbroken voice, so keyboard clicks
        and other scattered bursts do not start an utterance; Agora's defaults have no such
        rule), stops once 45 of the last 50 are not voice (about 450 ms of non-speech), counts a
        frame as still voice down to voice_prob 50, keeps 300 ms of pre-roll for ASR and a -55
        dBFS floor: ``AudioVadConfigV2(30, 10, 50, 0.6, 0.9, 80, 50, -55.0, startRunCount=10)``.
        Chosen by ``benchmarks/bench_vad_loso.py --select`` on leave-one-source-out labels
        (README, "VAD for agents").
        """
        return cls(30, 10, 50, 0.6, 0.9, 80, 50, -55.0, startRunCount=10)

    @property
    def rmsThreshold(self):
        return self.startRmsThreshold

    @rmsThreshold.setter
    def rmsThreshold(self, value):
        self.startRmsThreshold = value
        self.stopRmsThreshold = value

    def _native(self) -> tuple:
        """Validated tuple in the engine's field order (raises ValueError/TypeError)."""
        return (
            _int_field("preStartRecognizeCount", self.preStartRecognizeCount, 0, 100000),
            _int_field("startRecognizeCount", self.startRecognizeCount, 1, 100000),
            _int_field("stopRecognizeCount", self.stopRecognizeCount, 1, 100000),
            _float_field("activePercent", self.activePercent, 0.0, 1.0, lo_open=True),
            _float_field("inactivePercent", self.inactivePercent, 0.0, 1.0, lo_open=True),
            _int_field("startVoiceProb", self.startVoiceProb, 0, 100),
            _int_field("stopVoiceProb", self.stopVoiceProb, 0, 100),
            _float_field("startRmsThreshold", self.startRmsThreshold, -100.0, 0.0),
            _float_field("stopRmsThreshold", self.stopRmsThreshold, -100.0, 0.0),
            1 if self.adaptiveRms else 0,
            _float_field("adaptiveRmsFactor", self.adaptiveRmsFactor, 0.0, 100.0),
            # (startRecognizeCount is validated above, before it bounds startRunCount)
            _int_field("startRunCount", self.startRunCount, 0, self.startRecognizeCount),
        )

    def __repr__(self):
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"AudioVadConfigV2({fields})"

    def __eq__(self, other):
        return isinstance(other, AudioVadConfigV2) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __copy__(self):
        new = AudioVadConfigV2.__new__(AudioVadConfigV2)
        for k in self.__slots__:
            setattr(new, k, getattr(self, k))
        return new


class AudioVadV2:
    """The V2 VAD on any 10 ms PCM, without a connection.

    ``process(frame)`` takes an AudioFrame, or bytes / bytearray / memoryview /
    numpy int16 with ``sample_rate`` and ``channels``, and returns
    ``(state, bytearray)``: 0 not speaking (empty bytes), 1 start (pre-roll +
    window), 2 speaking (this frame), 3 stop (this frame). Feed the returned
    bytes, not the raw frame, to ASR. Every frame must have the first frame's
    format (a change raises ValueError).
    """

    _vad_state_nonspeaking = 0
    _vad_state_startspeaking = 1
    _vad_state_speaking = 2
    _vad_state_stopspeaking = 3

    def __init__(self, config: Optional[AudioVadConfigV2] = None):
        if config is None:
            config = AudioVadConfigV2()
        if not isinstance(config, AudioVadConfigV2):
            raise TypeError(f"config must be an AudioVadConfigV2, got {type(config).__name__}")
        self._config = copy.copy(config)
        self._engine = _engine.VadEngine(self._config._native())
        self.last_voice_prob = 0
        self.last_rms = 0

    @property
    def config(self) -> AudioVadConfigV2:
        """A copy of the config this detector uses."""
        return copy.copy(self._config)

    def process(self, frame, sample_rate: Optional[int] = None, channels: Optional[int] = None
                ) -> Tuple[int, bytearray]:
        if isinstance(frame, _engine.AudioFrame):
            data, rate, ch = frame, frame.samples_per_sec, frame.channels
        else:
            if sample_rate is None:
                raise TypeError("AudioVadV2.process: pass sample_rate (and channels) with raw PCM, "
                                "or pass an AudioFrame")
            data, rate, ch = frame, sample_rate, 1 if channels is None else channels
        if rate not in _RATES:
            raise ValueError(f"sample_rate must be one of {', '.join(map(str, _RATES))}, got {rate}")
        if ch not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, got {ch}")
        state, out, self.last_voice_prob, self.last_rms = self._engine.process(data, rate, ch)
        return state, out

    def reset(self) -> None:
        """Forget all history (the next frame may have a new format)."""
        self._engine = _engine.VadEngine(self._config._native())

    def release(self) -> None:
        self._engine = None


class AudioVadManager:
    """One AudioVadV2 per (channel, user), created on the user's first frame
    (which is analysed), removed with :meth:`del_vad` / :meth:`release`.
    Keys are (channel_id, user_id) tuples, so ("a1", "2") and ("a", "12")
    never collide. Thread-safe."""

    def __init__(self, config: Optional[AudioVadConfigV2] = None):
        self._config = copy.copy(config) if config is not None else AudioVadConfigV2()
        self._vads: Dict[Tuple[str, str], AudioVadV2] = {}
        self._lock = threading.Lock()

    def add_vad(self, channel_id: str, user_id: str) -> AudioVadV2:
        with self._lock:
            key = (str(channel_id), str(user_id))
            vad = self._vads.get(key)
            if vad is None:
                vad = self._vads[key] = AudioVadV2(self._config)
            return vad

    def del_vad(self, channel_id: str, user_id: str) -> None:
        with self._lock:
            self._vads.pop((str(channel_id), str(user_id)), None)

    def process(self, channel_id: str, user_id: str, frame, sample_rate=None, channels=None):
        return self.add_vad(channel_id, user_id).process(frame, sample_rate, channels)

    def __len__(self):
        with self._lock:
            return len(self._vads)

    def release(self) -> None:
        with self._lock:
            self._vads.clear()


class VadDump:
    """Debug dump of a stream and its VAD decisions (not for production).

    Writes into ``path``: ``source_<uid>.pcm`` (every frame), one
    ``vad_<uid>_<n>.pcm`` per utterance (the bytes of states 1, 2 and 3), and
    ``labels_<uid>.txt`` (one line per frame: index, state, rms, voice_prob,
    pitch, bytes returned)."""

    def __init__(self, path: str):
        self._dir = os.fspath(path)
        os.makedirs(self._dir, exist_ok=True)
        self._files: Dict[str, dict] = {}
        self._lock = threading.Lock()

    def _user(self, uid: str) -> dict:
        u = self._files.get(uid)
        if u is None:
            safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in uid)
            u = {"safe": safe, "n": 0, "frame": 0, "utt": None,
                 "src": open(os.path.join(self._dir, f"source_{safe}.pcm"), "ab"),
                 "labels": open(os.path.join(self._dir, f"labels_{safe}.txt"), "a", encoding="utf-8")}
            self._files[uid] = u
        return u

    def write(self, user_id, frame, vad_result_state: int, vad_result_bytes) -> None:
        with self._lock:
            u = self._user(str(user_id))
            u["src"].write(frame)
            rms = getattr(frame, "rms", 0)
            vp = getattr(frame, "voice_prob", 0)
            pitch = getattr(frame, "pitch", 0)
            nbytes = len(vad_result_bytes) if vad_result_bytes else 0
            u["labels"].write(f"{u['frame']} {vad_result_state} {rms} {vp} {pitch} {nbytes}\n")
            u["frame"] += 1
            if vad_result_state == 1:
                u["n"] += 1
                u["utt"] = open(os.path.join(self._dir, f"vad_{u['safe']}_{u['n']}.pcm"), "wb")
            if vad_result_state in (1, 2, 3) and u["utt"] is not None and vad_result_bytes:
                u["utt"].write(vad_result_bytes)
            if vad_result_state == 3 and u["utt"] is not None:
                u["utt"].close()
                u["utt"] = None

    def close(self) -> None:
        with self._lock:
            for u in self._files.values():
                for k in ("src", "labels", "utt"):
                    if u[k] is not None:
                        u[k].close()
            self._files.clear()

    release = close
