"""Reproducible VAD dev set: real and synthetic speech mixed with generated noise.

Nothing is written to disk: every builder returns numpy arrays. The speech comes from
Debian packages only:

* real recorded prompts: ``asterisk-core-sounds-{fr,it,ru}-wav`` (8 kHz wav) and
  ``asterisk-prompt-{fr-armelle,es-co,it}`` (8 kHz GSM, decoded with ``sox``);
* synthetic speech: ``espeak-ng`` in several languages and voice variants (``--stdout``).

Noises are generated with numpy: white, pink (1/f), brown (1/f^2), mains hum (50/60 Hz with
harmonics), babble (eight continuous overlapped talkers, itself labelled *not speech*), keyboard-like
clicks, and -- in the noise-only set -- music-like steady tones (harmonic notes of a melody).

Truth is per 10 ms frame and comes from the clean speech: a frame is speech when the clean
speech energy of that frame is within 35 dB of the loudest frame of its source file (and
above -80 dBFS once placed). ``merge_gaps`` merges truth gaps shorter than 500 ms, as the
benchmark scores it.

Levels: the *speech level* of a clip is the RMS over its truth-active frames, drawn uniformly
in [-45, -12] dBFS; the SNR (speech level minus noise RMS) is drawn in [5, 30] dB.

Usage::

    from vad_devset import build_devset, build_noise_set, merge_gaps
    for pcm, truth, desc in build_devset(seed=1, sample_rate=16000):
        ...

Requires numpy, and the ``sox`` and ``espeak-ng`` executables for the GSM prompts and the
synthetic voices (each source family is skipped, with a warning, if its tool is missing).
"""

from __future__ import annotations

import functools
import glob
import io
import os
import shutil
import subprocess
import warnings
import wave

import numpy as np

FRAME_MS = 10
SOUNDS = "/usr/share/asterisk/sounds"

# Real speech folders (8 kHz wav) and GSM prompt folders. Symlinked duplicates are removed.
_WAV_DIRS = ["fr_CA_f_June", "it_IT_m_Carlo", "ru_RU_f_IvrvoiceRU"]
_GSM_DIRS = ["es", "fr", "it_IT_f_Menardi", "it"]
_EXCLUDE = ("silence", "beep", "tone", "dtmf", "ring", "music", "moh")

_ESPEAK = [
    ("en", "The quick brown fox jumps over the lazy dog, and then it runs away into the woods."),
    ("en-us", "Could you please tell me how long it takes to get to the station from here?"),
    ("de", "Heute ist ein schoener Tag, und wir gehen spaeter zusammen in den Park spazieren."),
    ("es", "Buenos dias, quisiera reservar una mesa para cuatro personas esta noche."),
    ("fr", "Je voudrais savoir si le train de huit heures est encore a l'heure aujourd'hui."),
    ("it", "Domani mattina andiamo al mercato a comprare frutta, verdura e un po' di pane."),
    ("pt", "Eu gostaria de saber onde fica a farmacia mais proxima daqui, por favor."),
    ("ru", "Привет, как у тебя дела? Я сегодня весь день работал и очень устал."),
    ("cmn", "今天天气很好，我们一起去公园散步吧，然后去吃晚饭。"),
    ("ja", "すみません、駅までの道を教えていただけますか。ありがとうございます。"),
    ("ar", "مرحبا، كيف حالك اليوم؟ أتمنى أن يكون يومك جميلا ومليئا بالنجاح."),
    ("hi", "नमस्ते, आप कैसे हैं? आज मौसम बहुत अच्छा है और हम बाहर जा रहे हैं।"),
    ("tr", "Merhaba, bugün hava çok güzel, birlikte parka gidelim mi?"),
    ("nl", "Goedemorgen, ik wil graag een kopje koffie en een broodje kaas bestellen."),
    ("pl", "Dzień dobry, chciałbym kupić bilet do Krakowa na jutro rano."),
    ("sv", "Hej, jag undrar om du vill följa med på bio i kväll efter jobbet."),
    ("vi", "Xin chào, hôm nay bạn có khỏe không? Chúng ta đi ăn trưa nhé."),
    ("sw", "Habari yako, leo ni siku nzuri sana na tunakwenda sokoni pamoja."),
]
_ESPEAK_VARIANTS = ["", "+f3", "+m3", "+f2", "+m7"]


# --------------------------------------------------------------------------- helpers


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited (FFT) resampling of a finite float signal."""
    if src_rate == dst_rate or len(x) == 0:
        return x.astype(np.float64, copy=True)
    n_out = int(round(len(x) * dst_rate / src_rate))
    spec = np.fft.rfft(x)
    n_bins = n_out // 2 + 1
    out_spec = np.zeros(n_bins, dtype=complex)
    m = min(n_bins, len(spec))
    out_spec[:m] = spec[:m]
    if dst_rate < src_rate and m > 1:
        out_spec[m - 1] = 0.0  # avoid a half-represented Nyquist bin
    y = np.fft.irfft(out_spec, n_out) * (n_out / len(x))
    return y


def frame_energy_db(x: np.ndarray, rate: int) -> np.ndarray:
    """Per 10 ms frame level in dBFS of a float signal scaled to int16 units."""
    n = rate // 100
    nf = len(x) // n
    fr = x[: nf * n].reshape(nf, n)
    ms = np.mean(fr * fr, axis=1)
    return 10.0 * np.log10(ms / 32768.0**2 + 1e-20)


def merge_gaps(truth: np.ndarray, max_gap_frames: int = 50) -> np.ndarray:
    """Fill runs of False shorter than max_gap_frames that lie between two True frames."""
    t = np.asarray(truth, dtype=bool).copy()
    idx = np.flatnonzero(t)
    if len(idx) < 2:
        return t
    gaps = np.diff(idx)
    for i in np.flatnonzero((gaps > 1) & (gaps - 1 < max_gap_frames)):
        t[idx[i] : idx[i + 1]] = True
    return t


def _read_wav(path: str) -> tuple[np.ndarray, int]:
    with wave.open(path, "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError("not 16-bit")
        rate = w.getframerate()
        ch = w.getnchannels()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    if ch > 1:
        data = data.reshape(-1, ch).mean(axis=1)
    return data, rate


def _read_gsm(path: str) -> tuple[np.ndarray, int]:
    raw = subprocess.run(
        ["sox", path, "-t", "raw", "-e", "signed", "-b", "16", "-c", "1", "-r", "8000", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, dtype="<i2").astype(np.float64), 8000


def _espeak(lang: str, text: str, variant: str, speed: int, pitch: int) -> tuple[np.ndarray, int]:
    out = subprocess.run(
        ["espeak-ng", "-v", lang + variant, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    with wave.open(io.BytesIO(out), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return data, rate


@functools.lru_cache(maxsize=None)
def _real_speech_paths() -> tuple[str, ...]:
    seen: set[str] = set()
    paths: list[str] = []
    have_sox = shutil.which("sox") is not None
    dirs = [(d, "wav") for d in _WAV_DIRS] + ([(d, "gsm") for d in _GSM_DIRS] if have_sox else [])
    for d, ext in dirs:
        for p in sorted(glob.glob(os.path.join(SOUNDS, d, "**", "*." + ext), recursive=True)):
            rp = os.path.realpath(p)
            low = rp.lower()
            if rp in seen or any(e in low for e in _EXCLUDE):
                continue
            seen.add(rp)
            paths.append(rp)
    if not have_sox:
        warnings.warn("sox not found: GSM prompts skipped", stacklevel=2)
    return tuple(paths)


@functools.lru_cache(maxsize=4096)
def _load_source(key: tuple, rate: int) -> np.ndarray:
    """A clean speech source at `rate`, trimmed to 100 ms around its active part,
    normalised to a 0 dBFS-relative scale (active RMS = 1.0)."""
    if key[0] == "file":
        path = key[1]
        x, r = _read_gsm(path) if path.endswith(".gsm") else _read_wav(path)
    else:
        _, lang, text, variant, speed, pitch = key
        x, r = _espeak(lang, text, variant, speed, pitch)
    x = x - np.mean(x) if len(x) else x
    y = resample(x, r, rate)
    e = frame_energy_db(y, rate)
    if len(e) == 0 or not np.isfinite(e.max()) or e.max() < -70:
        return np.zeros(0)
    act = e > e.max() - 35.0
    idx = np.flatnonzero(act)
    n = rate // 100
    a = max(0, (idx[0] - 10) * n)
    b = min(len(y), (idx[-1] + 11) * n)
    y = y[a:b]
    e = frame_energy_db(y, rate)
    act = e > e.max() - 35.0
    nf = len(e)
    fr = y[: nf * n].reshape(nf, n)
    rms = np.sqrt(np.mean(fr[act] ** 2))
    return y / max(rms, 1e-9)


def _speech_keys(rng: np.random.Generator, n: int) -> list[tuple]:
    paths = _real_speech_paths()
    have_espeak = shutil.which("espeak-ng") is not None
    keys: list[tuple] = []
    for _ in range(n):
        if have_espeak and (not paths or rng.random() < 0.35):
            lang, text = _ESPEAK[rng.integers(len(_ESPEAK))]
            variant = _ESPEAK_VARIANTS[rng.integers(len(_ESPEAK_VARIANTS))]
            keys.append(
                ("espeak", lang, text, variant, int(rng.integers(130, 200)), int(rng.integers(25, 75)))
            )
        elif paths:
            keys.append(("file", paths[rng.integers(len(paths))]))
    return keys


# --------------------------------------------------------------------------- noises


def _colored(rng, n, rate, kind):
    w = rng.standard_normal(n + 1024)
    if kind == "white":
        y = w
    else:
        spec = np.fft.rfft(w)
        f = np.fft.rfftfreq(len(w), 1.0 / rate)
        f[0] = f[1]
        spec /= np.sqrt(f) if kind == "pink" else f
        spec[f < 20] *= (f[f < 20] / 20.0) ** 2  # no DC wander
        y = np.fft.irfft(spec, len(w))
    y = y[1024:]
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _hum(rng, n, rate):
    f0 = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(n) / rate
    y = np.zeros(n)
    for k in range(1, 16):
        if k * f0 > rate / 2 - 100:
            break
        amp = (1.0 / k) * (1.0 if k % 2 else rng.uniform(0.2, 0.8))
        y += amp * np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
    y += 0.02 * _colored(rng, n, rate, "white")
    return y / np.sqrt(np.mean(y * y))


def _clicks(rng, n, rate):
    """Keyboard-like typing: bursts of decaying broadband clicks (press + release)."""
    y = np.zeros(n)
    t = int(rng.uniform(0.0, 0.3) * rate)
    while t < n:
        burst_len = rng.integers(3, 25)
        for _ in range(burst_len):
            for part, gain in ((0, 1.0), (int(rng.uniform(0.04, 0.12) * rate), rng.uniform(0.3, 0.7))):
                s = t + part
                ln = int(rng.uniform(0.004, 0.015) * rate)
                if s + ln >= n:
                    continue
                env = np.exp(-np.arange(ln) / (rng.uniform(0.001, 0.004) * rate))
                c = rng.standard_normal(ln) * env
                if rng.random() < 0.5:  # some clicks are band-limited "clacks"
                    c = np.convolve(c, np.ones(3) / 3.0, mode="same")
                y[s : s + ln] += gain * rng.uniform(0.3, 1.0) * c
            t += int(rng.uniform(0.08, 0.3) * rate)
        t += int(rng.uniform(0.5, 3.0) * rate)
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _babble(rng, n, rate, n_talkers=8):
    """Cafeteria-like babble: n_talkers continuous talkers (prompts back to back with
    0..200 ms gaps) summed, so several voices overlap at every instant."""
    y = np.zeros(n)
    for _ in range(n_talkers):
        stream = np.zeros(n)
        pos = -int(rng.integers(0, rate))  # start mid-prompt
        while pos < n:
            key = _speech_keys(rng, 1)
            s = _load_source(key[0], rate) if key else np.zeros(0)
            if len(s) == 0:
                pos += rate // 10
                continue
            a, b = max(0, pos), min(n, pos + len(s))
            if b > a:
                stream[a:b] += s[a - pos : b - pos]
            pos += len(s) + int(rng.uniform(0.0, 0.2) * rate)
        y += stream * 10 ** (rng.uniform(-3, 3) / 20)
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _tones(rng, n, rate):
    """Music-like: a melody of harmonic notes with steady pitch, 0.15..1 s each."""
    y = np.zeros(n)
    t = 0
    while t < n:
        ln = int(rng.uniform(0.15, 1.0) * rate)
        f0 = 110.0 * 2 ** (rng.integers(0, 30) / 12.0)
        tt = np.arange(min(ln, n - t)) / rate
        note = np.zeros(len(tt))
        for k in range(1, 8):
            if k * f0 < rate / 2 - 200:
                note += (rng.uniform(0.2, 1.0) / k) * np.sin(2 * np.pi * k * f0 * tt)
        att = np.minimum(1.0, tt / 0.01)
        rel = np.exp(-tt / rng.uniform(0.3, 3.0))
        y[t : t + len(tt)] += note * att * rel
        t += ln
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


NOISE_TYPES = ("white", "pink", "brown", "hum", "babble", "clicks")
NOISE_ONLY_TYPES = NOISE_TYPES + ("tones",)


def make_noise(rng: np.random.Generator, kind: str, n: int, rate: int) -> np.ndarray:
    """Unit-RMS noise of the given kind, n samples."""
    if kind in ("white", "pink", "brown"):
        return _colored(rng, n, rate, kind)
    if kind == "hum":
        return _hum(rng, n, rate)
    if kind == "clicks":
        return _clicks(rng, n, rate)
    if kind == "babble":
        return _babble(rng, n, rate)
    if kind == "tones":
        return _tones(rng, n, rate)
    raise ValueError(kind)


# --------------------------------------------------------------------------- builders


def _to_int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), -32768, 32767).astype(np.int16)


def build_clip(
    rng: np.random.Generator,
    sample_rate: int = 16000,
    seconds: float = 30.0,
    noise: str | None = None,
    snr_db: float | None = None,
    level_dbfs: float | None = None,
):
    """One mixture: turns of speech (1..4 prompts with < 500 ms pauses) separated by
    0.8..3.5 s of noise. Returns (pcm int16, truth bool per 10 ms frame, description)."""
    n_total = int(seconds * sample_rate)
    fl = sample_rate // 100
    noise = noise or NOISE_TYPES[rng.integers(len(NOISE_TYPES))]
    snr_db = float(rng.uniform(5, 30)) if snr_db is None else snr_db
    level_dbfs = float(rng.uniform(-45, -12)) if level_dbfs is None else level_dbfs

    speech = np.zeros(n_total)
    truth_e = np.full(n_total // fl, -200.0)
    t = int(rng.uniform(0.5, 2.5) * sample_rate)
    while True:
        n_prompts = int(rng.integers(1, 5))
        turn_gain = 10 ** (rng.uniform(-3, 3) / 20)
        pieces = []
        for key in _speech_keys(rng, n_prompts):
            s = _load_source(key, sample_rate)
            if len(s):
                pieces.append(s * turn_gain)
        if not pieces:
            continue
        total = sum(len(p) for p in pieces) + int(0.4 * sample_rate) * (len(pieces) - 1)
        if t + total >= n_total - sample_rate // 2:
            break
        for i, p in enumerate(pieces):
            speech[t : t + len(p)] += p
            e = frame_energy_db(p, sample_rate)
            f0 = t // fl
            m = min(len(e), len(truth_e) - f0)
            # truth: within 35 dB of the loudest frame of this prompt (t is frame aligned)
            act = e[:m] > e.max() - 35.0
            truth_e[f0 : f0 + m] = np.where(act, e[:m], truth_e[f0 : f0 + m])
            t += len(p)
            if i + 1 < len(pieces):
                t += int(rng.uniform(0.1, 0.4) * sample_rate)
            t = (t + fl - 1) // fl * fl
        t += int(rng.uniform(0.8, 3.5) * sample_rate)
        t = (t + fl - 1) // fl * fl
    truth = truth_e > -150.0
    # scale speech so that its RMS over truth frames equals level_dbfs
    nf = len(truth)
    fr = speech[: nf * fl].reshape(nf, fl)
    if truth.any():
        rms = np.sqrt(np.mean(fr[truth] ** 2))
        speech *= 32768.0 * 10 ** (level_dbfs / 20) / rms
    nz = make_noise(rng, noise, n_total, sample_rate) * 32768.0 * 10 ** ((level_dbfs - snr_db) / 20)
    pcm = _to_int16(speech + nz)
    fr = speech[: nf * fl].reshape(nf, fl)
    truth &= 10 * np.log10(np.mean(fr * fr, axis=1) / 32768.0**2 + 1e-20) > -80.0
    desc = f"{noise} snr={snr_db:.1f}dB level={level_dbfs:.1f}dBFS rate={sample_rate}"
    return pcm, truth, desc


def build_devset(seed: int = 0, sample_rate: int = 16000, n_clips: int = 36, seconds: float = 30.0):
    """List of (pcm int16 ndarray, truth bool ndarray per 10 ms frame, description).

    Noise kinds cycle through NOISE_TYPES so every kind is equally represented."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n_clips):
        kind = NOISE_TYPES[i % len(NOISE_TYPES)]
        out.append(build_clip(rng, sample_rate, seconds, noise=kind))
    return out


def build_noise_set(seed: int = 0, sample_rate: int = 16000, n_clips: int = 14, seconds: float = 60.0):
    """Noise-only clips (no speech at all, truth all False): list of (pcm, truth, description).
    Levels -60..-15 dBFS; kinds cycle through NOISE_ONLY_TYPES (includes music-like tones)."""
    rng = np.random.default_rng(seed + 1_000_003)
    out = []
    n = int(seconds * sample_rate)
    for i in range(n_clips):
        kind = NOISE_ONLY_TYPES[i % len(NOISE_ONLY_TYPES)]
        level = float(rng.uniform(-60, -15))
        x = make_noise(rng, kind, n, sample_rate) * 32768.0 * 10 ** (level / 20)
        pcm = _to_int16(x)
        truth = np.zeros(n // (sample_rate // 100), dtype=bool)
        out.append((pcm, truth, f"noise-only {kind} level={level:.1f}dBFS rate={sample_rate}"))
    return out


if __name__ == "__main__":  # quick summary
    import time

    t0 = time.time()
    ds = build_devset(1)
    for pcm, truth, desc in ds[:8]:
        print(desc, len(pcm) / 16000.0, "s", f"speech {truth.mean():.2f}", f"merged {merge_gaps(truth).mean():.2f}")
    print(len(ds), "clips", f"{time.time() - t0:.1f}s")
