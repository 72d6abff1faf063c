"""A broad, seeded VAD corpus from Debian packages, grouped by SOURCE for leave-one-source-out.

Every clip is built from ONE speech source (a recorded speaker, or a synthetic engine + voice /
language group) so that an evaluation can fit without a source and score on it
(benchmarks/bench_vad_loso.py). The recipe follows docs VAD.md section 4, widened:

* speech: turns of 1..3 utterances of the clip's source, in-turn pauses 150..500 ms, turns
  separated by 0.8..2.5 s; truth per 10 ms frame from the clean (dry) speech: within 35 dB of
  the loudest frame of its utterance;
* noise: white, pink, brown, mains hum, babble, keyboard clicks, music-like tones (7 kinds), SNR
  5..30 dB, speech level -45..-12 dBFS;
* what real calls do to audio, each drawn per clip: room reverberation (synthetic exponentially
  decaying impulse response, RT60 0.2..0.9 s), slow level changes (+-10 dB ramps), a telephone
  channel (300..3400 Hz band, 8 kHz, G.711 mu-law or A-law; these clips are delivered at 8 kHz as
  a phone leg is), Opus at 6..16 kbit/s (the system libopus, as the engine links it), clipping.

Sources (Debian packages; each skipped with a note when its package is missing):

  recorded   ast-fr-june      asterisk-core-sounds-fr-wav   fr_CA_f_June
             ast-it-carlo     asterisk-core-sounds-it-wav   it_IT_m_Carlo
             ast-ru-ivr       asterisk-core-sounds-ru-wav   ru_RU_f_IvrvoiceRU
             fr-armelle       asterisk-prompt-fr-armelle    fr/ (GSM)
             es-co            asterisk-prompt-es-co         es/ (GSM)
             it-menardi       asterisk-prompt-it-menardi-wav it_IT_f_Menardi
  synthetic  espeak-romance / -germanic / -slavic / -asian / -other   espeak-ng, 5 voice variants
             flite-<voice>    flite (awb, kal16, rms, slt)
             festival-<voice> festival + festvox-kallpc16k, -us-slt-hts, -italp16k, -ru, -czech-dita,
                              -suopuhe-lj

NEVER used (kept out for an independent check, refused by `check_allowed`): the files of the
Debian packages asterisk-core-sounds-en*, asterisk-core-sounds-es*, codec2-examples and
alsa-utils (found through dpkg's file lists, so a shared folder does not let them in).

Babble is made from a separate pool (espeak-ng in languages that no source uses) so that a held-out
source's speech is never in a training clip, not even as background.

Clips are cached under build/vad_corpus/ (ignored by git), keyed by seed and recipe version.
Usage: ``python benchmarks/vad_corpus.py [--seed N] [--clips-per-source K]`` prints a summary.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import functools
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import tempfile
import wave

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CACHE = os.path.join(ROOT, "build", "vad_corpus")
SOUNDS = "/usr/share/asterisk/sounds"
RECIPE = "corpus-v1"

# --------------------------------------------------------------------------- refused sources

FORBIDDEN_PACKAGE_PREFIXES = ("asterisk-core-sounds-en", "asterisk-core-sounds-es",
                              "codec2-examples", "alsa-utils")
# Folders those packages install into, refused even if dpkg's lists are unreadable.
FORBIDDEN_PATH_PATTERNS = (r"/asterisk/sounds/en(_[A-Z]{2}[^/]*)?/", r"/asterisk/sounds/es_MX",
                           r"/usr/share/sounds/alsa/", r"/codec2")


class RefusedSource(ValueError):
    """A file of a package that is kept out of every corpus."""


@functools.lru_cache(maxsize=1)
def forbidden_files() -> frozenset:
    """Real paths of every file that dpkg says belongs to a forbidden package."""
    out = set()
    for lst in glob.glob("/var/lib/dpkg/info/*.list"):
        pkg = os.path.basename(lst)[:-5].split(":")[0]
        if pkg.startswith(FORBIDDEN_PACKAGE_PREFIXES):
            with open(lst, errors="replace") as f:
                for line in f:
                    p = line.strip()
                    if p:
                        out.add(os.path.realpath(p))
                        out.add(p)
    return frozenset(out)


def check_allowed(path: str) -> str:
    """Return the real path of `path`, or raise RefusedSource if it is one of the kept-out files."""
    rp = os.path.realpath(path)
    for p in (path, rp):
        if p in forbidden_files() or any(re.search(pat, p) for pat in FORBIDDEN_PATH_PATTERNS):
            raise RefusedSource(f"{path}: belongs to a package kept out of the VAD corpus "
                                f"({', '.join(FORBIDDEN_PACKAGE_PREFIXES)})")
    return rp


# --------------------------------------------------------------------------- texts

TEXTS = {
    "en": ["Could you please tell me how long it takes to get to the station from here?",
           "I called yesterday about my order, and nobody has answered my email since then.",
           "Well, I think we should wait until Monday before we make any decision.",
           "My account number is four seven two, and the card expired last month.",
           "Sorry, can you repeat that? The line is really bad on my side.",
           "We would like a table for three people at eight o'clock tonight, please.",
           "The meeting was moved to the second floor, right next to the kitchen.",
           "Yes, that works for me, but only if the delivery arrives before noon."],
    "fr": ["Je voudrais savoir si le train de huit heures est encore a l'heure aujourd'hui.",
           "Bonjour, j'appelle au sujet de ma facture du mois dernier.",
           "Pouvez-vous me rappeler demain matin, apres dix heures?"],
    "it": ["Domani mattina andiamo al mercato a comprare frutta, verdura e un po' di pane.",
           "Buongiorno, vorrei parlare con qualcuno del servizio clienti.",
           "Il treno per Milano parte alle sette e mezza dal binario tre.",
           "Scusi, potrebbe ripetere il numero? Non ho sentito bene."],
    "es": ["Buenos dias, quisiera reservar una mesa para cuatro personas esta noche.",
           "Perdone, no entendi bien su nombre, me lo puede deletrear?"],
    "pt": ["Eu gostaria de saber onde fica a farmacia mais proxima daqui, por favor.",
           "Obrigado pela ajuda, ligo outra vez amanha de manha."],
    "de": ["Heute ist ein schoener Tag, und wir gehen spaeter zusammen in den Park spazieren.",
           "Koennen Sie mir bitte sagen, wann der naechste Bus nach Hamburg faehrt?"],
    "nl": ["Goedemorgen, ik wil graag een kopje koffie en een broodje kaas bestellen.",
           "Mijn pakket is nog steeds niet aangekomen, kunt u dat nakijken?"],
    "sv": ["Hej, jag undrar om du vill folja med pa bio i kvall efter jobbet.",
           "Tack sa mycket, vi ses pa fredag vid stationen."],
    "ru": ["Привет, как у тебя дела? Я сегодня весь день работал и очень устал.",
           "Скажите, пожалуйста, когда откроется банк?",
           "Я хотел бы заказать такси на завтра в семь утра."],
    "pl": ["Dzień dobry, chciałbym kupić bilet do Krakowa na jutro rano.",
           "Przepraszam, czy może pan powtórzyć numer telefonu?"],
    "cs": ["Dobrý den, chtěl bych si objednat stůl pro dva na dnešní večer.",
           "Promiňte, kdy odjíždí další vlak do Brna?",
           "Děkuji, zavolám vám zítra odpoledne."],
    "fi": ["Hyvää huomenta, haluaisin varata ajan ensi viikolle.",
           "Anteeksi, voisitteko toistaa puhelinnumeron hitaasti?",
           "Kiitos paljon, soitan uudelleen huomenna."],
    "cmn": ["今天天气很好，我们一起去公园散步吧，然后去吃晚饭。", "请问火车站怎么走？离这里远吗？"],
    "ja": ["すみません、駅までの道を教えていただけますか。", "明日の会議は十時からに変更になりました。"],
    "vi": ["Xin chào, hôm nay bạn có khỏe không? Chúng ta đi ăn trưa nhé."],
    "hi": ["नमस्ते, आप कैसे हैं? आज मौसम बहुत अच्छा है और हम बाहर जा रहे हैं।"],
    "ar": ["مرحبا، كيف حالك اليوم؟ أتمنى أن يكون يومك جميلا ومليئا بالنجاح."],
    "tr": ["Merhaba, bugün hava çok güzel, birlikte parka gidelim mi?"],
    "sw": ["Habari yako, leo ni siku nzuri sana na tunakwenda sokoni pamoja."],
    "ko": ["안녕하세요, 내일 오후에 다시 전화 드리겠습니다."],
    "id": ["Selamat pagi, saya ingin memesan kamar untuk dua malam."],
}

ESPEAK_GROUPS = {
    "espeak-romance": ["fr", "it", "es", "pt"],
    "espeak-germanic": ["en", "en-us", "de", "nl", "sv"],
    "espeak-slavic": ["ru", "pl", "cs"],
    "espeak-asian": ["cmn", "ja", "vi", "hi", "ko"],
    "espeak-other": ["ar", "tr", "sw", "fi", "id"],
}
ESPEAK_VARIANTS = ["", "+f3", "+m3", "+f2", "+m7"]
# Babble talkers: espeak-ng languages spoken by no source (text is read with that language's rules).
BABBLE_LANGS = ["ro", "hu", "el", "da", "et", "lv", "sk", "bg"]
BABBLE_TEXTS = TEXTS["en"][:4] + TEXTS["de"] + TEXTS["es"]

FLITE_VOICES = ["awb", "kal16", "rms", "slt"]
FESTIVAL_VOICES = {  # source name: (festival voice, language of its texts, Debian package, text encoding)
    "festival-kal": ("kal_diphone", "en", "festvox-kallpc16k", "ascii"),
    "festival-slt-hts": ("cmu_us_slt_arctic_hts", "en", "festvox-us-slt-hts", "ascii"),
    "festival-it-lp": ("lp_diphone", "it", "festvox-italp16k", "latin-1"),
    "festival-ru": ("msu_ru_nsh_clunits", "ru", "festvox-ru", "utf-8"),
    "festival-cs-dita": ("czech_dita", "cs", "festvox-czech-dita", "iso-8859-2"),
    "festival-fi-lj": ("suo_fi_lj_diphone", "fi", "festvox-suopuhe-lj", "latin-1"),
}

RECORDED = {  # source name: (folder under SOUNDS, extension, Debian package)
    "ast-fr-june": ("fr_CA_f_June", "wav", "asterisk-core-sounds-fr-wav"),
    "ast-it-carlo": ("it_IT_m_Carlo", "wav", "asterisk-core-sounds-it-wav"),
    "ast-ru-ivr": ("ru_RU_f_IvrvoiceRU", "wav", "asterisk-core-sounds-ru-wav"),
    "fr-armelle": ("fr", "gsm", "asterisk-prompt-fr-armelle"),
    "es-co": ("es", "gsm", "asterisk-prompt-es-co"),
    "it-menardi": ("it_IT_f_Menardi", "wav", "asterisk-prompt-it-menardi-wav"),
}
_EXCLUDE = ("silence", "beep", "tone", "dtmf", "ring", "music", "moh", "/digits/", "/letters/")


# --------------------------------------------------------------------------- reading speech

def _wav_bytes(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data), "rb") as w:
        rate, ch = w.getframerate(), w.getnchannels()
        x = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return (x.reshape(-1, ch).mean(axis=1) if ch > 1 else x), rate


def _sox_read(path: str) -> tuple[np.ndarray, int]:
    out = subprocess.run(["sox", path, "-t", "wav", "-e", "signed", "-b", "16", "-c", "1", "-"],
                         check=True, capture_output=True).stdout
    return _wav_bytes(out)


def _package_installed(pkg: str) -> bool:
    return bool(glob.glob(f"/var/lib/dpkg/info/{pkg}.list") + glob.glob(f"/var/lib/dpkg/info/{pkg}:*.list"))


@functools.lru_cache(maxsize=None)
def _package_files(pkg: str) -> frozenset:
    out = set()
    for lst in glob.glob(f"/var/lib/dpkg/info/{pkg}.list") + glob.glob(f"/var/lib/dpkg/info/{pkg}:*.list"):
        with open(lst, errors="replace") as f:
            out.update(os.path.realpath(line.strip()) for line in f if line.strip())
    return frozenset(out)


@functools.lru_cache(maxsize=None)
def flite_voices() -> tuple:
    if not shutil.which("flite"):
        return ()
    out = subprocess.run(["flite", "-lv"], capture_output=True, text=True).stdout
    have = set(out.split(":")[-1].split())
    return tuple(v for v in FLITE_VOICES if v in have)


def list_sources() -> dict:
    """name -> dict(kind='recorded'|'synthetic', engine, langs, items=[utterance keys]).

    Only sources whose package / tool is present are listed."""
    src = {}
    for name, (folder, ext, pkg) in RECORDED.items():
        if not _package_installed(pkg) or (ext == "gsm" and not shutil.which("sox")):
            continue
        owned = _package_files(pkg)
        items = []
        for p in sorted(glob.glob(os.path.join(SOUNDS, folder, "**", "*." + ext), recursive=True)):
            rp = check_allowed(p)
            if rp in owned and not any(e in rp.lower() for e in _EXCLUDE):
                items.append(("file", rp))
        if items:
            src[name] = dict(kind="recorded", engine=pkg, langs=[folder[:2]], items=sorted(set(items)))
    if shutil.which("espeak-ng"):
        for name, langs in ESPEAK_GROUPS.items():
            items = [("espeak", lang, text) for lang in langs for text in TEXTS[lang.split("-")[0]]]
            src[name] = dict(kind="synthetic", engine="espeak-ng", langs=langs, items=items)
    for v in flite_voices():
        src[f"flite-{v}"] = dict(kind="synthetic", engine="flite", langs=["en"],
                                 items=[("flite", v, t) for t in TEXTS["en"]])
    if shutil.which("text2wave"):
        for name, (voice, lang, pkg, enc) in FESTIVAL_VOICES.items():
            if _package_installed(pkg):
                src[name] = dict(kind="synthetic", engine="festival", langs=[lang],
                                 items=[("festival", voice, t, enc) for t in TEXTS[lang]])
    return src


@functools.lru_cache(maxsize=2048)
def _synth(key: tuple, variant: str, speed: int, pitch: int) -> tuple:
    """Raw synthetic speech for an utterance key (cached): (float array, rate)."""
    if key[0] == "espeak":
        out = subprocess.run(["espeak-ng", "-v", key[1] + variant, "-s", str(speed), "-p", str(pitch),
                              "--stdout", key[2]], check=True, capture_output=True).stdout
        x, r = _wav_bytes(out)
    elif key[0] == "flite":
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            # --setf duration_stretch varies the speaking rate like espeak's -s
            subprocess.run(["flite", "-voice", key[1], "--setf", f"duration_stretch={150.0 / speed:.3f}",
                            "--setf", f"int_f0_target_mean={pitch + 70}", "-t", key[2], "-o", f.name],
                           check=True, capture_output=True)
            x, r = _wav_bytes(open(f.name, "rb").read())
    elif key[0] == "festival":
        with tempfile.NamedTemporaryFile(suffix=".wav") as f:
            subprocess.run(["text2wave", "-eval", f"(voice_{key[1]})", "-o", f.name],
                           input=key[2].encode(key[3]), check=True, capture_output=True)
            x, r = _wav_bytes(open(f.name, "rb").read())
    else:
        raise ValueError(key)
    return x, r


def _read_file(path: str) -> tuple:
    check_allowed(path)
    if path.endswith(".wav"):
        try:
            with open(path, "rb") as f:
                return _wav_bytes(f.read())
        except (wave.Error, EOFError):
            pass
    return _sox_read(path)


# --------------------------------------------------------------------------- signal helpers

def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    if src == dst or len(x) == 0:
        return np.asarray(x, np.float64).copy()
    n_out = int(round(len(x) * dst / src))
    spec = np.fft.rfft(x)
    nb = n_out // 2 + 1
    out = np.zeros(nb, complex)
    m = min(nb, len(spec))
    out[:m] = spec[:m]
    return np.fft.irfft(out, n_out) * (n_out / len(x))


def frame_db(x: np.ndarray, rate: int) -> np.ndarray:
    n = rate // 100
    nf = len(x) // n
    fr = x[: nf * n].reshape(nf, n)
    return 10.0 * np.log10(np.mean(fr * fr, axis=1) / 32768.0 ** 2 + 1e-20)


def _prepare(x: np.ndarray, rate_in: int, rate: int) -> np.ndarray:
    """DC removed, resampled, trimmed to 100 ms around the active part, active RMS = 1."""
    if len(x) == 0:
        return np.zeros(0)
    y = resample(x - np.mean(x), rate_in, rate)
    e = frame_db(y, rate)
    if len(e) == 0 or e.max() < -70:
        return np.zeros(0)
    idx = np.flatnonzero(e > e.max() - 35.0)
    n = rate // 100
    y = y[max(0, (idx[0] - 10) * n): min(len(y), (idx[-1] + 11) * n)]
    e = frame_db(y, rate)
    fr = y[: len(e) * n].reshape(len(e), n)
    return y / max(np.sqrt(np.mean(fr[e > e.max() - 35.0] ** 2)), 1e-9)


def utterance(rng: np.random.Generator, key: tuple, rate: int) -> np.ndarray:
    if key[0] == "file":
        x, r = _read_file(key[1])
    else:
        variant = ESPEAK_VARIANTS[rng.integers(len(ESPEAK_VARIANTS))] if key[0] == "espeak" else ""
        x, r = _synth(key, variant, int(rng.integers(13, 20)) * 10, int(rng.integers(5, 15)) * 5)
    return _prepare(x, r, rate)


# --------------------------------------------------------------------------- noises

def _colored(rng, n, rate, kind):
    w = rng.standard_normal(n + 1024)
    if kind != "white":
        spec = np.fft.rfft(w)
        f = np.fft.rfftfreq(len(w), 1.0 / rate)
        f[0] = f[1]
        spec /= np.sqrt(f) if kind == "pink" else f
        spec[f < 20] *= (f[f < 20] / 20.0) ** 2
        w = np.fft.irfft(spec, len(w))
    y = w[1024:]
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _hum(rng, n, rate):
    f0 = 50.0 if rng.random() < 0.5 else 60.0
    t = np.arange(n) / rate
    y = sum((1.0 / k) * (1.0 if k % 2 else rng.uniform(0.2, 0.8)) *
            np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 2 * np.pi))
            for k in range(1, 16) if k * f0 < rate / 2 - 100)
    y = y + 0.02 * _colored(rng, n, rate, "white")
    return y / np.sqrt(np.mean(y * y))


def _clicks(rng, n, rate):
    y = np.zeros(n)
    t = int(rng.uniform(0.0, 0.3) * rate)
    while t < n:
        for _ in range(int(rng.integers(3, 25))):
            for part, gain in ((0, 1.0), (int(rng.uniform(0.04, 0.12) * rate), rng.uniform(0.3, 0.7))):
                s, ln = t + part, int(rng.uniform(0.004, 0.015) * rate)
                if s + ln < n:
                    env = np.exp(-np.arange(ln) / (rng.uniform(0.001, 0.004) * rate))
                    y[s:s + ln] += gain * rng.uniform(0.3, 1.0) * rng.standard_normal(ln) * env
            t += int(rng.uniform(0.08, 0.3) * rate)
        t += int(rng.uniform(0.5, 3.0) * rate)
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _babble(rng, n, rate, talkers=8):
    y = np.zeros(n)
    for _ in range(talkers):
        pos = -int(rng.integers(0, rate))
        while pos < n:
            key = ("espeak", BABBLE_LANGS[rng.integers(len(BABBLE_LANGS))],
                   BABBLE_TEXTS[rng.integers(len(BABBLE_TEXTS))])
            s = utterance(rng, key, rate)
            a, b = max(0, pos), min(n, pos + len(s))
            if b > a:
                y[a:b] += s[a - pos:b - pos] * 10 ** (rng.uniform(-3, 3) / 20)
            pos += max(len(s), rate // 10) + int(rng.uniform(0.0, 0.2) * rate)
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _tones(rng, n, rate):
    y = np.zeros(n)
    t = 0
    while t < n:
        ln = int(rng.uniform(0.15, 1.0) * rate)
        f0 = 110.0 * 2 ** (rng.integers(0, 30) / 12.0)
        tt = np.arange(min(ln, n - t)) / rate
        note = sum((rng.uniform(0.2, 1.0) / k) * np.sin(2 * np.pi * k * f0 * tt)
                   for k in range(1, 8) if k * f0 < rate / 2 - 200)
        y[t:t + len(tt)] += note * np.minimum(1.0, tt / 0.01) * np.exp(-tt / rng.uniform(0.3, 3.0))
        t += ln
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _chords(rng, n, rate):
    """Music-like: 2..4 notes at once with vibrato (a voice-like harmonic glide), on a beat with
    percussive noise hits."""
    y = np.zeros(n)
    t = 0
    beat = rng.uniform(0.3, 0.7)
    while t < n:
        ln = min(int(beat * rng.integers(1, 5) * rate), n - t)
        tt = np.arange(ln) / rate
        root = 98.0 * 2 ** (rng.integers(0, 24) / 12.0)
        vib = rng.uniform(0.0, 0.012) * np.sin(2 * np.pi * rng.uniform(4, 7) * tt)
        for step in rng.choice([0, 3, 4, 7, 10, 12], size=int(rng.integers(2, 5)), replace=False):
            f0 = root * 2 ** (step / 12.0)
            ph = 2 * np.pi * f0 * np.cumsum(1.0 + vib) / rate
            y[t:t + ln] += sum((rng.uniform(0.2, 1.0) / k) * np.sin(k * ph)
                               for k in range(1, 10) if k * f0 < rate / 2 - 200) * np.minimum(1.0, tt / 0.02)
        for h in np.arange(0, ln, int(beat * rate)):
            hl = min(int(0.08 * rate), ln - h)
            y[t + h:t + h + hl] += 2.0 * rng.standard_normal(hl) * np.exp(-np.arange(hl) / (0.015 * rate))
        t += ln
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


def _call_tones(rng, n, rate):
    """Call-progress and keypad tones: ringback / busy cadences, DTMF digits, 1 kHz beeps."""
    y = np.zeros(n)
    t = 0
    while t < n:
        kind = rng.integers(3)
        if kind == 0:    # ringback (US 440+480 Hz or EU 425 Hz): on 1..2 s, off 2..4 s
            fs, on, off = ((440.0, 480.0) if rng.random() < 0.5 else (425.0,)), rng.uniform(1, 2), rng.uniform(2, 4)
        elif kind == 1:  # DTMF digit 60..150 ms, gap 60..300 ms
            fs = (float(rng.choice([697, 770, 852, 941])), float(rng.choice([1209, 1336, 1477])))
            on, off = rng.uniform(0.06, 0.15), rng.uniform(0.06, 0.3)
        else:            # busy / beep
            fs, on, off = ((480.0, 620.0) if rng.random() < 0.5 else (1000.0,)), rng.uniform(0.2, 0.5), rng.uniform(0.2, 0.5)
        ln = min(int(on * rate), n - t)
        tt = np.arange(ln) / rate
        y[t:t + ln] += sum(np.sin(2 * np.pi * f * tt) for f in fs)
        t += ln + int(off * rate)
    return y / (np.sqrt(np.mean(y * y)) + 1e-12)


NOISE_KINDS = ("white", "pink", "brown", "hum", "babble", "clicks", "tones")
# Non-speech used only as training negatives (the scored noise-only sets keep NOISE_KINDS).
EXTRA_NEGATIVE_KINDS = ("chords", "call-tones")


def make_noise(rng, kind, n, rate):
    if kind == "none":  # clean speech: digital silence between the words
        return np.zeros(n)
    if kind in ("white", "pink", "brown"):
        return _colored(rng, n, rate, kind)
    return {"hum": _hum, "clicks": _clicks, "babble": _babble, "tones": _tones, "chords": _chords,
            "call-tones": _call_tones}[kind](rng, n, rate)


# --------------------------------------------------------------------------- channel effects

def reverb(rng, x, rate):
    """Convolve with a synthetic room response: direct path + exponentially decaying noise."""
    rt60 = rng.uniform(0.2, 0.9)
    n = int(rt60 * rate)
    t = np.arange(n) / rate
    h = rng.standard_normal(n) * np.exp(-6.9 * t / rt60) * rng.uniform(0.2, 0.6)
    h[: int(0.002 * rate)] = 0.0
    h[0] = 1.0
    y = np.fft.irfft(np.fft.rfft(x, len(x) + n) * np.fft.rfft(h, len(x) + n), len(x) + n)[: len(x)]
    return y, f"reverb rt60={rt60:.2f}s"


def level_changes(rng, x, rate):
    """Slow gain ramps (a talker moving, an AGC): +-10 dB, one change every 2..6 s."""
    n = len(x)
    pts = [0]
    while pts[-1] < n:
        pts.append(pts[-1] + int(rng.uniform(2, 6) * rate))
    g_db = rng.uniform(-10, 10, len(pts))
    return x * 10 ** (np.interp(np.arange(n), pts, g_db) / 20), "level-ramps"


def _ulaw(x):
    """G.711 mu-law encode + decode (segment / mantissa quantisation) of int16-range floats."""
    s = np.clip(np.round(x), -32768, 32767).astype(np.int32)
    sign = s < 0
    mag = np.minimum(np.abs(s), 32635) + 132
    exp = np.floor(np.log2(mag)).astype(np.int32) - 7
    mant = (mag >> (exp + 3)) & 0xF
    dec = (((mant << 3) + 132) << exp) - 132
    return np.where(sign, -dec, dec).astype(np.float64)


def _alaw(x):
    """G.711 A-law encode + decode of int16-range floats (13-bit magnitude, 8 segments)."""
    s = np.clip(np.round(x), -32768, 32767).astype(np.int32)
    sign = s < 0
    mag = np.minimum(np.abs(s) >> 3, 4095)
    exp = np.where(mag < 32, 0, np.floor(np.log2(np.maximum(mag, 1))).astype(np.int32) - 4)
    mant = np.where(exp == 0, mag >> 1, (mag >> np.maximum(exp, 1)) & 0xF)
    dec = np.where(exp == 0, (mant << 1) + 1, ((mant << 1) + 33) << np.maximum(exp - 1, 0))
    return np.where(sign, -(dec << 3), dec << 3).astype(np.float64)


def telephone(rng, x, rate):
    """300..3400 Hz band, 8 kHz, G.711 (mu- or A-law). Returns the 8 kHz signal."""
    y = resample(x, rate, 8000)
    spec = np.fft.rfft(y)
    f = np.fft.rfftfreq(len(y), 1 / 8000)
    spec[(f < 300) | (f > 3400)] *= 0.03
    y = np.fft.irfft(spec, len(y))
    law = "mu" if rng.random() < 0.5 else "A"
    return (_ulaw(y) if law == "mu" else _alaw(y)), f"telephone G.711-{law}law 8k"


class _Opus:
    def __init__(self):
        lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
        lib.opus_encoder_create.restype = ctypes.c_void_p
        lib.opus_encoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_int)]
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
        lib.opus_encode.restype = ctypes.c_int32
        lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p,
                                    ctypes.c_int32]
        lib.opus_decode.restype = ctypes.c_int
        lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32, ctypes.c_void_p,
                                    ctypes.c_int, ctypes.c_int]
        lib.opus_encoder_ctl.restype = ctypes.c_int
        lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        self.lib = lib

    def roundtrip(self, x, rate, bitrate):
        lib = self.lib
        err = ctypes.c_int(0)
        enc = lib.opus_encoder_create(rate, 1, 2048, ctypes.byref(err))  # OPUS_APPLICATION_VOIP
        dec = lib.opus_decoder_create(rate, 1, ctypes.byref(err))
        try:
            lib.opus_encoder_ctl(ctypes.c_void_p(enc), ctypes.c_int(4002), ctypes.c_int32(bitrate))
            spf = rate // 50
            pcm = np.clip(np.round(x), -32768, 32767).astype(np.int16)
            pcm = np.concatenate([pcm, np.zeros((-len(pcm)) % spf, np.int16)])
            out = np.zeros_like(pcm)
            buf = ctypes.create_string_buffer(1500)
            frame = np.zeros(spf, np.int16)
            for off in range(0, len(pcm), spf):
                chunk = np.ascontiguousarray(pcm[off:off + spf])
                nb = lib.opus_encode(enc, chunk.ctypes.data, spf, buf, 1500)
                if nb < 0:
                    raise RuntimeError(f"opus_encode {nb}")
                nd = lib.opus_decode(dec, buf.raw[:nb], nb, frame.ctypes.data, spf, 0)
                if nd != spf:
                    raise RuntimeError(f"opus_decode {nd}")
                out[off:off + spf] = frame
            return out[: len(x)].astype(np.float64)
        finally:
            lib.opus_encoder_destroy(enc)
            lib.opus_decoder_destroy(dec)


@functools.lru_cache(maxsize=1)
def _opus():
    return _Opus()


def opus(rng, x, rate):
    br = int(rng.choice([6000, 8000, 10000, 12000, 16000]))
    return _opus().roundtrip(x, rate, br), f"opus {br // 1000}kbit/s"


def clipping(rng, x, rate):
    """Clipping in an earlier stage (a hot microphone preamp) and a gain back down: the peak is
    driven to 2..8x the rails, clipped, then scaled back, so the level is kept and the waveform
    is flattened."""
    peak = np.max(np.abs(x)) + 1e-9
    g = rng.uniform(2, 8) * 32767 / peak
    return np.clip(x * g, -32768, 32767) / g, f"clipped x{g * peak / 32767:.1f}"


# --------------------------------------------------------------------------- clips

def _augment(rng, speech, noise, rate):
    """Room on the speech, then mix, level ramps, one channel (none/telephone/opus), clipping."""
    fx = []
    if rng.random() < 0.4:
        speech, d = reverb(rng, speech, rate)
        fx.append(d)
    x = speech + noise
    if rng.random() < 0.3:
        x, d = level_changes(rng, x, rate)
        fx.append(d)
    u = rng.random()
    out_rate = rate
    if u < 0.3:
        x, d = telephone(rng, x, rate)
        out_rate = 8000
        fx.append(d)
    elif u < 0.55:
        x, d = opus(rng, x, rate)
        fx.append(d)
    if rng.random() < 0.1:
        x, d = clipping(rng, x, out_rate)
        fx.append(d)
    return np.clip(np.round(x), -32768, 32767).astype(np.int16), out_rate, fx


def build_clip(rng, source: str, items: list, rate=16000, seconds=20.0, noise=None):
    """One clip of `source`: returns dict(pcm int16, rate, truth bool per 10 ms frame, desc)."""
    n_total = int(seconds * rate)
    fl = rate // 100
    noise = noise or NOISE_KINDS[rng.integers(len(NOISE_KINDS))]
    snr = float(rng.uniform(5, 30))
    level = float(rng.uniform(-45, -12))
    speech = np.zeros(n_total)
    truth = np.zeros(n_total // fl, bool)
    t = (int(rng.uniform(0.5, 2.0) * rate) // fl) * fl
    n_utt = misses = 0
    while misses < 6:  # a turn that does not fit is drawn again, up to 6 times
        parts = [utterance(rng, items[rng.integers(len(items))], rate) for _ in range(int(rng.integers(1, 4)))]
        parts = [p * 10 ** (rng.uniform(-3, 3) / 20) for p in parts if len(p)]
        if not parts:
            misses += 1
            continue
        pauses = [(int(rng.uniform(0.15, 0.5) * rate) // fl) * fl for _ in parts[1:]] + [0]
        if t + sum(len(p) for p in parts) + sum(pauses) >= n_total - rate // 2:
            misses += 1
            continue
        for p, gap in zip(parts, pauses):
            e = frame_db(p, rate)
            f0 = t // fl
            m = min(len(e), len(truth) - f0)
            truth[f0:f0 + m] |= e[:m] > e.max() - 35.0
            speech[t:t + len(p)] += p
            t = ((t + len(p) + fl - 1) // fl) * fl + gap
        n_utt += 1
        t = ((t + int(rng.uniform(0.8, 2.5) * rate)) // fl) * fl
    nf = len(truth)
    fr = speech[: nf * fl].reshape(nf, fl)
    if truth.any():
        speech *= 32768.0 * 10 ** (level / 20) / np.sqrt(np.mean(fr[truth] ** 2))
    nz = make_noise(rng, noise, n_total, rate) * 32768.0 * 10 ** ((level - snr) / 20)
    pcm, out_rate, fx = _augment(rng, speech, nz, rate)
    desc = f"{source} {noise} snr={snr:.1f}dB level={level:.1f}dBFS {' + '.join(fx) or 'clean channel'}"
    return dict(pcm=pcm, rate=out_rate, truth=truth, desc=desc, source=source, noise=noise, turns=n_utt)


def build_noise_clip(rng, kind, rate=16000, seconds=30.0, room=False):
    """Noise only (truth all False), level -60..-15 dBFS, with the same channel effects; with
    `room`, the room reverberation (when drawn) applies to the noise itself (music or a phone
    playing in the room), else only the channel does (the scored noise-only sets)."""
    n = int(seconds * rate)
    level = float(rng.uniform(-60, -15))
    x = make_noise(rng, kind, n, rate) * 32768.0 * 10 ** (level / 20)
    pcm, out_rate, fx = _augment(rng, x, np.zeros(n), rate) if room else _augment(rng, np.zeros(n), x, rate)
    return dict(pcm=pcm, rate=out_rate, truth=np.zeros(len(pcm) // (out_rate // 100), bool),
                desc=f"noise-only {kind} level={level:.1f}dBFS {' + '.join(fx) or 'clean channel'}",
                source="noise", noise=kind, turns=0)


def _seed_for(seed: int, name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{RECIPE}/{seed}/{name}".encode()).digest()[:8], "little")


def _save(path, clips):
    np.savez(path + ".tmp.npz", meta=np.array([repr({k: v for k, v in c.items()
                                                      if k not in ("pcm", "truth")}) for c in clips]),
             **{f"pcm{i}": c["pcm"] for i, c in enumerate(clips)},
             **{f"truth{i}": c["truth"] for i, c in enumerate(clips)})
    os.replace(path + ".tmp.npz", path)


def _load(path):
    import ast
    z = np.load(path)
    out = []
    for i, m in enumerate(z["meta"]):
        d = ast.literal_eval(str(m))
        d.update(pcm=z[f"pcm{i}"], truth=z[f"truth{i}"])
        out.append(d)
    return out


def source_clips(name: str, seed: int = 1, n_clips: int = 6, seconds: float = 20.0, cache=CACHE, clean=False):
    """The clips of one source (cached). Each (seed, source) has its own random stream, so
    adding a source never changes another's clips. With `clean`, no noise is mixed in (digital
    silence between words, as clean TTS or a noise-suppressed browser sends), the channel effects
    are drawn as usual."""
    os.makedirs(cache, exist_ok=True)
    tag = "_clean" if clean else ""
    path = os.path.join(cache, f"{RECIPE}_{name}{tag}_s{seed}_n{n_clips}_{int(seconds)}s.npz")
    if os.path.exists(path):
        return _load(path)
    src = list_sources()[name]
    rng = np.random.default_rng(_seed_for(seed, name + tag))
    first = int(rng.integers(len(NOISE_KINDS)))  # noise kinds cycle from a per-source offset
    clips = [build_clip(rng, name, src["items"], 16000, seconds,
                        noise="none" if clean else NOISE_KINDS[(first + i) % len(NOISE_KINDS)])
             for i in range(n_clips)]
    _save(path, clips)
    return clips


def noise_clips(seed: int = 1, per_kind: int = 2, seconds: float = 30.0, cache=CACHE, kinds=NOISE_KINDS):
    """Noise-only clips, `per_kind` of each kind (each through the call effects of _augment)."""
    os.makedirs(cache, exist_ok=True)
    extra = "" if kinds == NOISE_KINDS else "_" + "-".join(kinds)
    path = os.path.join(cache, f"{RECIPE}_noise{extra}_s{seed}_k{per_kind}_{int(seconds)}s.npz")
    if os.path.exists(path):
        return _load(path)
    rng = np.random.default_rng(_seed_for(seed, "noise-only" + extra))
    clips = [build_noise_clip(rng, k, 16000, seconds, room=bool(extra)) for k in kinds for _ in range(per_kind)]
    _save(path, clips)
    return clips


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clips-per-source", type=int, default=6)
    args = ap.parse_args()
    srcs = list_sources()
    print(f"{len(srcs)} sources:")
    for name, s in srcs.items():
        clips = source_clips(name, args.seed, args.clips_per_source)
        secs = sum(len(c["pcm"]) / c["rate"] for c in clips)
        print(f"  {name:18s} {s['kind']:9s} {s['engine']:30s} {len(s['items']):4d} items, "
              f"{len(clips)} clips {secs:.0f} s, {sum(c['turns'] for c in clips)} turns, "
              f"speech {np.mean([c['truth'].mean() for c in clips]):.2f}")
        for c in clips[:2]:
            print("     ", c["desc"])
    nz = noise_clips(args.seed)
    print(f"noise-only: {len(nz)} clips, {sum(len(c['pcm']) / c['rate'] for c in nz) / 60:.1f} min")


if __name__ == "__main__":
    main()
