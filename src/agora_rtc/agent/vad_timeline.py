"""A picture of what the VAD decided: waveform, voice_prob and states over time.

Reads a :class:`agora_rtc.VadDump` directory (``source_<uid>.pcm`` and
``labels_<uid>.txt``) and draws three stacked panels into a PNG, with numpy
and zlib only (no plotting library needed):

1. the waveform (min/max envelope per pixel column, grey; blue where the
   audio was handed to ASR, pre-roll included);
2. voice_prob 0..100 per frame (green line) with the start / stop voice_prob
   thresholds as dashed lines (when a config is given);
3. the VAD state per frame as a colour band: 0 silent (light grey),
   1 start (orange), 2 speaking (blue), 3 stop (red).

Time runs left to right over the whole dump; a tick every second along the
bottom edge.
"""
from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass
from typing import Optional

import numpy as np

__all__ = ["VadTimeline", "load_vad_dump", "render_vad_timeline", "write_png", "STATE_COLORS"]

STATE_COLORS = {0: (225, 225, 225), 1: (245, 150, 30), 2: (40, 110, 220), 3: (215, 40, 40)}
_BG = (255, 255, 255)
_AXIS = (90, 90, 90)
_WAVE = (150, 150, 150)
_WAVE_SPEECH = (40, 110, 220)
_PROB = (30, 150, 60)
_THRESH = (200, 120, 0)


@dataclass
class VadTimeline:
    """One user's dump: ``pcm`` int16 samples (mono mix), per-frame arrays
    (``state``, ``rms``, ``voice_prob``, ``vad_bytes`` as VadDump labelled them)."""
    user_id: str
    sample_rate: int
    channels: int
    pcm: np.ndarray
    state: np.ndarray
    rms: np.ndarray
    voice_prob: np.ndarray
    vad_bytes: np.ndarray

    @property
    def frames(self) -> int:
        return int(self.state.size)

    @property
    def seconds(self) -> float:
        return self.frames / 100.0

    def asr_frames(self) -> np.ndarray:
        """Per frame: True when its audio was handed to ASR. A start frame
        returns the pre-roll and the start window, so its bytes cover the
        frames before it too."""
        out = np.zeros(self.frames, bool)
        per_frame = self.sample_rate // 100 * 2 * self.channels
        for i in np.flatnonzero(self.vad_bytes > 0):
            k = -(-int(self.vad_bytes[i]) // per_frame)
            out[max(0, i - k + 1):i + 1] = True
        return out

    def utterances(self):
        """(start_frame, stop_frame) of every start..stop segment."""
        out, start = [], None
        for i, s in enumerate(self.state.tolist()):
            if s == 1:
                start = i
            elif s == 3 and start is not None:
                out.append((start, i))
                start = None
        return out


def _safe(uid: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in uid)


def load_vad_dump(path, user_id: str, sample_rate: int = 16000, channels: int = 1) -> VadTimeline:
    """Load what VadDump wrote for ``user_id`` in ``path``. ``sample_rate`` and
    ``channels`` are those of the frames that were dumped (the playback format)."""
    if sample_rate not in (8000, 16000, 24000, 32000, 44100, 48000):
        raise ValueError(f"load_vad_dump: sample_rate must be a 10 ms frame rate, got {sample_rate!r}")
    if channels not in (1, 2):
        raise ValueError(f"load_vad_dump: channels must be 1 or 2, got {channels!r}")
    safe = _safe(str(user_id))
    src = os.path.join(os.fspath(path), f"source_{safe}.pcm")
    labels = os.path.join(os.fspath(path), f"labels_{safe}.txt")
    for f in (src, labels):
        if not os.path.exists(f):
            raise FileNotFoundError(f"load_vad_dump: {f} not found (is {path!r} a VadDump directory "
                                    f"with user {user_id!r}?)")
    with open(src, "rb") as fh:
        raw = fh.read()
    raw = raw[:len(raw) - len(raw) % (2 * channels)]
    pcm = np.frombuffer(raw, dtype=np.int16).reshape(-1, channels).mean(axis=1).astype(np.int16)
    rows = []
    with open(labels, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            parts = line.split()
            if len(parts) != 6:
                raise ValueError(f"load_vad_dump: {labels}:{n}: expected 6 fields "
                                 f"(index state rms voice_prob pitch bytes), got {line!r}")
            rows.append([float(p) for p in parts])
    arr = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return VadTimeline(str(user_id), sample_rate, channels, pcm, arr[:, 1].astype(np.int64), arr[:, 2],
                       arr[:, 3], arr[:, 5].astype(np.int64))


def write_png(path, rgb: np.ndarray) -> None:
    """Write an (h, w, 3) uint8 image as an 8-bit RGB PNG (filter 0 rows, zlib)."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or 0 in rgb.shape[:2]:
        raise ValueError(f"write_png: expected a non-empty (h, w, 3) uint8 array, got {rgb.dtype} {rgb.shape}")
    h, w, _ = rgb.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1)

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
           + chunk(b"IEND", b""))
    with open(path, "wb") as fh:
        fh.write(png)


def _hline(img, y, x0, x1, color, dashed=False):
    xs = np.arange(x0, x1)
    if dashed:
        xs = xs[(xs // 6) % 2 == 0]
    img[y, xs] = color


def _polyline(img, ys, x0, color):
    """Connect (x0 + i, ys[i]) with vertical runs so steep changes stay visible."""
    for i in range(len(ys)):
        a = ys[i]
        b = ys[i - 1] if i else a
        lo, hi = min(a, b), max(a, b)
        img[lo:hi + 1, x0 + i] = color


def render_vad_timeline(timeline: VadTimeline, png_path, *, width: int = 1200, height: int = 420,
                        start_voice_prob: Optional[int] = None,
                        stop_voice_prob: Optional[int] = None) -> np.ndarray:
    """Draw ``timeline`` into ``png_path``; returns the (height, width, 3) image.

    Panel heights: waveform 45 %, voice_prob 35 %, states the rest (minus margins)."""
    if not isinstance(timeline, VadTimeline):
        raise TypeError(f"render_vad_timeline: expected a VadTimeline (load_vad_dump), got {type(timeline).__name__}")
    for name, v, lo in (("width", width, 100), ("height", height, 90)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= 20000:
            raise ValueError(f"render_vad_timeline: {name} must be an int in {lo}..20000, got {v!r}")
    if timeline.frames == 0:
        raise ValueError("render_vad_timeline: the dump has no frames")
    m = 6
    pw = width - 2 * m                     # plot width in pixels
    inner = height - 4 * m
    h_wave, h_prob = int(inner * 0.45), int(inner * 0.35)
    h_state = inner - h_wave - h_prob
    y_wave, y_prob = m, 2 * m + h_wave
    y_state = y_prob + h_prob + m
    img = np.empty((height, width, 3), np.uint8)
    img[:] = _BG

    # columns -> frames and samples
    n = timeline.frames
    col_frame = np.minimum((np.arange(pw) * n) // pw, n - 1)
    spf = timeline.sample_rate // 100
    pcm = timeline.pcm
    edges = np.linspace(0, min(pcm.size, n * spf), pw + 1).astype(np.int64)

    # 1. waveform envelope
    mid = y_wave + h_wave // 2
    speech = timeline.asr_frames()[col_frame]
    _hline(img, mid, m, m + pw, _AXIS)          # under the envelope: quiet speech stays visible
    for x in range(pw):
        seg = pcm[edges[x]:max(edges[x + 1], edges[x] + 1)]
        if seg.size == 0:
            continue
        top = mid - int(int(seg.max()) * (h_wave // 2 - 1) / 32768)
        bot = mid - int(int(seg.min()) * (h_wave // 2 - 1) / 32768)
        img[min(top, bot):max(top, bot) + 1, m + x] = _WAVE_SPEECH if speech[x] else _WAVE

    # 2. voice_prob 0..100
    def prob_y(p):
        return y_prob + h_prob - 1 - (np.clip(p, 0, 100) * (h_prob - 1) / 100).astype(np.int64)
    _hline(img, y_prob + h_prob - 1, m, m + pw, _AXIS)
    for thr in (start_voice_prob, stop_voice_prob):
        if thr is not None:
            _hline(img, int(prob_y(np.array([thr]))[0]), m, m + pw, _THRESH, dashed=True)
    _polyline(img, prob_y(timeline.voice_prob[col_frame]), m, _PROB)

    # 3. states
    colors = np.array([STATE_COLORS.get(int(s), _AXIS) for s in range(4)], np.uint8)
    st = np.clip(timeline.state[col_frame], 0, 3)
    img[y_state:y_state + h_state, m:m + pw] = colors[st][np.newaxis, :, :]
    # one-second ticks under the state band
    for sec in range(0, int(timeline.seconds) + 1):
        x = m + int(sec * 100 * pw / n)
        if x < m + pw:
            img[y_state + h_state:y_state + h_state + m // 2 + 1, x] = _AXIS
    write_png(png_path, img)
    return img
