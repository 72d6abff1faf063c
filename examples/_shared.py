"""Helpers shared by the examples: load a recording, and a listener that
records what it hears (so each example can print measured outcomes)."""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import threading
import time
import wave

import numpy as np

import agora_rtc as ar

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")


def load_audio(path: str, sample_rate: int = 16000, channels: int = 1) -> np.ndarray:
    """int16 PCM from a .wav (format checked) or a raw .pcm file (format as given).
    A bare name is looked up in examples/assets."""
    if not os.path.exists(path) and os.path.exists(os.path.join(ASSETS, path)):
        path = os.path.join(ASSETS, path)
    if path.endswith(".wav"):
        with wave.open(path, "rb") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (sample_rate, channels, 2):
                raise ValueError(f"{path}: expected {sample_rate} Hz, {channels} channel(s), int16; got "
                                 f"{w.getframerate()} Hz, {w.getnchannels()} channel(s), {8 * w.getsampwidth()} bit")
            return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    with open(path, "rb") as fh:
        raw = fh.read()
    return np.frombuffer(raw[:len(raw) - len(raw) % 2], dtype=np.int16)


def espeak(text: str, voice: str = "en-gb", speed: int = 165):
    """(sample_rate, int16 samples) of ``text`` spoken by espeak-ng, or None when
    espeak-ng is not installed. The child runs without LD_PRELOAD: under the
    sanitizer test run (ASan preloaded into Python) espeak-ng would inherit it
    and hang."""
    if not shutil.which("espeak-ng"):
        return None
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text],
                         check=True, capture_output=True, timeout=30, env=env).stdout
    with wave.open(io.BytesIO(wav), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError("espeak-ng: expected 16-bit mono WAV output")
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


class Listener(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    """Counts what a connection receives: frames and bytes per user, messages, events."""

    def __init__(self):
        self.cond = threading.Condition()
        self.frames = {}
        self.pcm = {}
        self.messages = []
        self.joined = []
        self.connected = threading.Event()

    def on_connected(self, conn, info, reason):
        self.connected.set()

    def on_user_joined(self, conn, user_id):
        with self.cond:
            self.joined.append(user_id)
            self.cond.notify_all()

    def on_stream_message(self, local_user, user_id, stream_id, data, length):
        with self.cond:
            self.messages.append((user_id, bytes(data)))
            self.cond.notify_all()

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        with self.cond:
            self.frames[uid] = self.frames.get(uid, 0) + 1
            self.pcm.setdefault(uid, bytearray()).extend(frame.buffer)
            self.cond.notify_all()

    def wait(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


def sync_point(sender, listener: Listener, timeout: float = 5.0) -> bool:
    """Send a stream message and wait for it: the engine delivers one service's
    events in order, so every frame sent before it has been received too."""
    sync_point.n += 1
    tag = f"sync-{sync_point.n}".encode()
    sender.send_stream_message(tag)
    return listener.wait(lambda: any(m == tag for _, m in listener.messages), timeout)


sync_point.n = 0
