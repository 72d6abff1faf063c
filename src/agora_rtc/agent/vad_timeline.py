"""A picture of what the VAD decided: waveform, voice_prob and states over time.

Reads a :class:`agora_rtc.VadDump` directory (``source_<uid>.pcm`` and
``labels_<uid>.txt``) and draws three stacked panels sharing a time axis in
seconds into a PNG, with matplotlib (the optional extra ``agora_rtc[plot]``):

1. the waveform (min/max envelope per pixel column, grey; blue where the
   audio was handed to ASR, pre-roll included);
2. voice_prob 0..100 per frame (green line) with the start / stop voice_prob
   thresholds as dashed lines (when they are given);
3. the VAD state per frame as a colour band: 0 silent (light grey),
   1 start (orange), 2 speaking (blue), 3 stop (red).

Every panel has its axis labels and a legend, and the title names the user,
the length and the number of utterances, so the picture reads without docs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import numpy as np

from agora_rtc.base.sample_rates import PLAYBACK_SAMPLE_RATES

__all__ = ["VadTimeline", "load_vad_dump", "render_vad_timeline", "write_png", "STATE_COLORS",
           "STATE_NAMES"]

#: Colour (RGB 0..255) of each VAD state in the state band.
STATE_COLORS = {0: (225, 225, 225), 1: (245, 150, 30), 2: (40, 110, 220), 3: (215, 40, 40)}
#: What each VAD state means (the legend of the state band).
STATE_NAMES = {0: "0 silent", 1: "1 start", 2: "2 speaking", 3: "3 stop"}
_WAVE = (150, 150, 150)
_WAVE_SPEECH = STATE_COLORS[2]
_PROB = (30, 150, 60)
_THRESH = (200, 120, 0)
_PLOT_EXTRA = "pip install 'agora_rtc[plot]'"
_DPI = 100


def _mpl_color(rgb):
    return tuple(c / 255 for c in rgb)


def _matplotlib(what: str):
    """matplotlib's Figure and Agg canvas (no pyplot: no global state, no display)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(f"{what} needs matplotlib, the optional plotting extra of agora_rtc: "
                          f"{_PLOT_EXTRA}") from e
    return Figure, FigureCanvasAgg


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
    if sample_rate not in PLAYBACK_SAMPLE_RATES:
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
    """Write an (h, w, 3) uint8 image as an RGB PNG (with matplotlib, ``agora_rtc[plot]``)."""
    rgb = np.asarray(rgb)
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3 or 0 in rgb.shape[:2]:
        raise ValueError(f"write_png: expected a non-empty (h, w, 3) uint8 array, got {rgb.dtype} {rgb.shape}")
    _matplotlib("write_png")
    from matplotlib.image import imsave
    imsave(path, rgb, format="png")


#: Smallest picture with room for the labels (pixels).
MIN_WIDTH, MIN_HEIGHT = 400, 240


def render_vad_timeline(timeline: VadTimeline, png_path, *, width: int = 1200, height: int = 420,
                        start_voice_prob: Optional[int] = None,
                        stop_voice_prob: Optional[int] = None) -> np.ndarray:
    """Draw ``timeline`` into the PNG ``png_path`` of ``width`` x ``height`` pixels;
    returns the picture as an (height, width, 3) uint8 array.

    ``start_voice_prob`` / ``stop_voice_prob``: the VAD config's thresholds
    (``AudioVadConfigV2.startVoiceProb`` / ``stopVoiceProb``), drawn as dashed lines.
    Needs matplotlib: ``pip install 'agora_rtc[plot]'`` (ImportError naming it otherwise).
    """
    if not isinstance(timeline, VadTimeline):
        raise TypeError(f"render_vad_timeline: expected a VadTimeline (load_vad_dump), got {type(timeline).__name__}")
    for name, v, lo in (("width", width, MIN_WIDTH), ("height", height, MIN_HEIGHT)):
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= 20000:
            raise ValueError(f"render_vad_timeline: {name} must be an int in {lo}..20000, got {v!r}")
    for name, v in (("start_voice_prob", start_voice_prob), ("stop_voice_prob", stop_voice_prob)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 100):
            raise ValueError(f"render_vad_timeline: {name} must be None or a number in 0..100, got {v!r}")
    if timeline.frames == 0:
        raise ValueError("render_vad_timeline: the dump has no frames")
    Figure, FigureCanvasAgg = _matplotlib("render_vad_timeline")
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    n, seconds = timeline.frames, timeline.seconds
    fig = Figure(figsize=(width / _DPI, height / _DPI), dpi=_DPI, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    ax_wave, ax_prob, ax_state = fig.subplots(3, 1, sharex=True, height_ratios=[4.5, 3.5, 1.2])
    utterances = timeline.utterances()
    fig.suptitle(f"VAD timeline of user {timeline.user_id!r}: {seconds:.2f} s, "
                 f"{len(utterances)} utterance{'s' if len(utterances) != 1 else ''} "
                 f"({timeline.sample_rate} Hz)", fontsize="medium")

    # 1. waveform: the min/max envelope of the samples under each pixel column
    cols = max(1, min(width, timeline.pcm.size))
    spf = timeline.sample_rate // 100
    pcm = timeline.pcm[:n * spf]
    edges = np.linspace(0, pcm.size, cols + 1).astype(np.int64)
    starts = edges[:-1][edges[:-1] < pcm.size]
    lo = np.minimum.reduceat(pcm, starts) if pcm.size else np.zeros(0, np.int16)
    hi = np.maximum.reduceat(pcm, starts) if pcm.size else np.zeros(0, np.int16)
    t_cols = starts / timeline.sample_rate
    col_frame = np.minimum(starts // spf, n - 1)
    asr = timeline.asr_frames()[col_frame]
    ax_wave.fill_between(t_cols, lo, hi, step="post", color=_mpl_color(_WAVE), linewidth=0,
                         label="audio")
    ax_wave.fill_between(t_cols, np.where(asr, lo, 0), np.where(asr, hi, 0), step="post",
                         color=_mpl_color(_WAVE_SPEECH), linewidth=0, label="handed to ASR")
    ax_wave.set_ylim(-32768, 32767)
    ax_wave.set_ylabel("waveform\n(int16)")
    ax_wave.legend(loc="upper left", bbox_to_anchor=(1.005, 1), fontsize="small")

    # 2. voice_prob per frame and the thresholds
    t_frames = np.arange(n) / 100.0
    ax_prob.step(t_frames, timeline.voice_prob, where="post", color=_mpl_color(_PROB),
                 linewidth=1, label="voice_prob")
    for thr, what, style in ((start_voice_prob, "start", (0, (6, 3))),
                             (stop_voice_prob, "stop", (0, (2, 2)))):
        if thr is not None:
            ax_prob.axhline(thr, color=_mpl_color(_THRESH), linestyle=style, linewidth=1,
                            label=f"{what} threshold ({thr:g})")
    ax_prob.set_ylim(-3, 103)   # 0 and 100 stay visible off the frame
    ax_prob.set_ylabel("voice_prob\n(0..100)")
    ax_prob.legend(loc="upper left", bbox_to_anchor=(1.005, 1), fontsize="small")

    # 3. the VAD state of each frame as a colour band
    cmap = ListedColormap([_mpl_color(STATE_COLORS[s]) for s in range(4)])
    states = np.clip(timeline.state, 0, 3).reshape(1, -1)
    ax_state.imshow(states, cmap=cmap, vmin=-0.5, vmax=3.5, aspect="auto", interpolation="nearest",
                    extent=(0, seconds, 0, 1))
    ax_state.set_yticks([])
    ax_state.set_ylabel("VAD\nstate")
    ax_state.set_xlabel("time (s)")
    ax_state.set_xlim(0, seconds)
    fig.legend(handles=[Patch(color=_mpl_color(STATE_COLORS[s]), label=f"VAD state {STATE_NAMES[s]}")
                        for s in range(4)],
               loc="outside lower center", ncols=4, fontsize="small", frameon=False)
    for ax in (ax_wave, ax_prob):
        ax.grid(axis="x", color="0.9", linewidth=0.8)

    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())[:, :, :3].copy()
    write_png(png_path, image)
    return image
