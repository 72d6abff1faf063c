"""A slow, obviously-correct pure-Python model of the VAD V2 state machine.

Written from VAD.md section 2 and the semantics block at the top of
src/_native/audio/dsp/vad.c, on purpose without rings, bit windows or running sums:
the model keeps plain Python lists of what it has seen and re-derives every
decision from them with ``sum`` and slicing, so each rule can be read off the
code. It is the oracle of tests/test_vad_properties.py and the state machine
that benchmarks/bench_vad.py puts behind webrtcvad and silero-vad.

Per frame it takes the labels the decision uses -- ``dbfs`` (the frame level)
and ``voice_prob`` (0..100) -- and the frame's bytes, and returns
``(state, bytes)``:

* 0  not speaking, ``b""``;
* 1  start: every kept frame (at most P of pre-roll, then the S window frames,
     the current frame last), concatenated oldest first;
* 2  speaking: this frame's bytes;
* 3  stop: this frame's bytes.

Rules (P, S, T = pre-start, start and stop counts; A, I = active and inactive
shares):

* need_start = ceil(A * S) and need_stop = ceil(I * T), with A and I read at a
  resolution of one part per million (A is the float32 config value, rounded
  half up to a whole number of ppm), then kept within 1..S (1..T). Computed
  with exact fractions here.
* Levels and thresholds are compared as float32 values (the C stores both as
  float32): a frame level of -50.3 and a threshold of -50.3 are equal.
* Not speaking: a frame is active iff voice_prob >= start_voice_prob and
  level >= the start floor. Once at least S frames were seen since the last
  stop (or since the beginning) and at least need_start of the last S are
  active, emit 1 with the last min(seen, P + S) frames.
* Speaking: the start frame is not part of the stop window. A later frame is
  inactive iff voice_prob < stop_voice_prob or level < the stop floor. Once at
  least T frames followed the start frame and at least need_stop of the last
  T of them are inactive, emit 3 and go back to not speaking with nothing
  seen; otherwise emit 2.
* Start run (start_run_count R, 0 = off by default): a start also needs the
  last R frames seen since the last stop to be active, one after another.
* Adaptive loudness (off by default): at each stop, mean = the plain mean (in
  double, summed in frame order) of the levels of the start frame through the
  stop frame; the start and stop floors become
  float32(max(configured floor, mean - factor)) from the next frame on. The
  configured floors are lower bounds the adaptive ones never go below.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import List, Optional, Tuple

import numpy as np

FIELDS = ("pre_start_recognize_count", "start_recognize_count", "stop_recognize_count",
          "active_percent", "inactive_percent", "start_voice_prob", "stop_voice_prob",
          "start_rms_threshold", "stop_rms_threshold", "adaptive_rms", "adaptive_rms_factor",
          "start_run_count")

DEFAULTS = dict(pre_start_recognize_count=16, start_recognize_count=30, stop_recognize_count=50,
                active_percent=0.7, inactive_percent=0.5, start_voice_prob=70, stop_voice_prob=70,
                start_rms_threshold=-50.0, stop_rms_threshold=-50.0, adaptive_rms=0,
                adaptive_rms_factor=20.0, start_run_count=0)


def f32(x: float) -> float:
    """The float32 value nearest to x, as a Python float (exact)."""
    return float(np.float32(x))


def required_count(share: float, window: int) -> int:
    """ceil(share * window) with share read at 1e-6 resolution, kept in 1..window."""
    ppm = math.floor(f32(share) * 1_000_000 + 0.5)   # round half up to whole ppm
    need = math.ceil(Fraction(ppm, 1_000_000) * window)
    return max(1, min(window, need))


def config_tuple(cfg) -> tuple:
    """A config in FIELDS order from a dict (missing keys = defaults), a tuple,
    or an AudioVadConfigV2."""
    if isinstance(cfg, tuple):
        return cfg
    if isinstance(cfg, dict):
        return tuple(cfg.get(k, DEFAULTS[k]) for k in FIELDS)
    return cfg._native()


class ReferenceVadV2:
    """The V2 state machine, one instance per stream. See the module docstring."""

    def __init__(self, config=None):
        t = config_tuple({} if config is None else config)
        c = dict(zip(FIELDS, t))
        self.P = int(c["pre_start_recognize_count"])
        self.S = int(c["start_recognize_count"])
        self.T = int(c["stop_recognize_count"])
        assert self.P >= 0 and self.S >= 1 and self.T >= 1
        self.need_start = required_count(c["active_percent"], self.S)
        self.need_stop = required_count(c["inactive_percent"], self.T)
        self.start_prob = int(c["start_voice_prob"])
        self.stop_prob = int(c["stop_voice_prob"])
        self.cfg_start_floor = f32(c["start_rms_threshold"])
        self.cfg_stop_floor = f32(c["stop_rms_threshold"])
        self.adaptive = bool(c["adaptive_rms"])
        self.factor = f32(c["adaptive_rms_factor"])
        self.run = int(c["start_run_count"])
        assert 0 <= self.run <= self.S
        self.reset()

    def reset(self) -> None:
        self.speaking = False
        self.start_floor = self.cfg_start_floor
        self.stop_floor = self.cfg_stop_floor
        self._forget()

    def _forget(self) -> None:
        # Not speaking: (active, bytes) of the frames seen since the last stop.
        # Only the last P+S can ever be emitted or examined, so older ones are
        # dropped; `seen` still counts them.
        self.kept: List[Tuple[bool, bytes]] = []
        self.seen = 0
        # Speaking: inactivity of every frame after the start frame, and the
        # levels of the start frame and every later frame (adaptive loudness).
        self.after_start: List[bool] = []
        self.levels: List[float] = []

    def process(self, dbfs: float, voice_prob: int, data: bytes) -> Tuple[int, bytes]:
        level = f32(dbfs)
        data = bytes(data)
        if not self.speaking:
            active = voice_prob >= self.start_prob and level >= self.start_floor
            self.kept.append((active, data))
            self.seen += 1
            if len(self.kept) > self.P + self.S:
                self.kept.pop(0)
            window = self.kept[-self.S:]
            run_ok = self.run == 0 or (self.seen >= self.run and all(a for a, _ in self.kept[-self.run:]))
            if self.seen >= self.S and sum(a for a, _ in window) >= self.need_start and run_ok:
                out = b"".join(d for _, d in self.kept)
                self._forget()
                self.speaking = True
                self.levels = [level]
                return 1, out
            return 0, b""

        inactive = voice_prob < self.stop_prob or level < self.stop_floor
        self.after_start.append(inactive)
        self.levels.append(level)
        window = self.after_start[-self.T:]
        if len(self.after_start) >= self.T and sum(window) >= self.need_stop:
            if self.adaptive:
                total = 0.0
                for lv in self.levels:      # double, in frame order
                    total += lv
                mean = total / len(self.levels)
                self.start_floor = f32(max(self.cfg_start_floor, mean - self.factor))
                self.stop_floor = f32(max(self.cfg_stop_floor, mean - self.factor))
            self.speaking = False
            self._forget()
            return 3, data
        return 2, data


def run(config, labels, frames) -> List[Tuple[int, bytes]]:
    """Run a fresh reference machine over (dbfs, voice_prob) labels and frame bytes."""
    ref = ReferenceVadV2(config)
    return [ref.process(d, p, b) for (d, p), b in zip(labels, frames)]


def states_only(config, dbfs, voice_prob, frame: Optional[bytes] = None) -> np.ndarray:
    """States for label arrays when the bytes do not matter (benchmarks)."""
    ref = ReferenceVadV2(config)
    b = b"" if frame is None else frame
    return np.array([ref.process(float(d), int(p), b)[0] for d, p in zip(dbfs, voice_prob)],
                    dtype=np.int8)
