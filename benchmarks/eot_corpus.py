"""The end-of-turn corpus: turns with mid-turn pauses and a true end, built
from espeak-ng (synthetic, several voices and languages) and recorded
asterisk prompts in French (two speakers), Italian (two) and Russian (one),
seeded.

Each turn: 300 ms of lead-in, speech phrases separated by mid-turn pauses
(at commas, list items, digit groups, hesitations), the true end, 3 s of
trailing silence. An espeak-ng turn is one utterance (SSML breaks of the drawn
pause lengths after the phrases' commas), so its prosody is that of one
sentence: continuation intonation before each mid-turn pause, the fall (or
question rise) only at the end. (Version 1 synthesized every phrase alone and
spliced them, so pitch restarted at every phrase.) A real prompt keeps its own
prosody: its internal silences are stretched into mid-turn pauses, and only
one-sentence prompts are used (by the it/ru prompt texts), so no "mid-turn"
pause follows a complete sentence (version 2 stretched pauses between the
sentences of multi-sentence prompts: final-sounding, labelled mid-turn).
Version 4 dropped the digit strings of versions 1-3 that were spliced from the
prompt sets' isolated digit recordings: each digit is said on its own, as a
complete utterance, so every group ended in the same fall as the true end (pitch
slope at the pause, median over clean renderings, mid-turn vs end: fr -16.5 vs
-15.8, it -9.1 vs -8.1, ru -34.7 vs -51.8 semitones/s; espeak-ng's digit groups
said in one utterance: +2.3 vs -13.6 en, +1.5 vs -17.9 fr) - no cue a listener
could hear, unlike a person reading out a number; and it added two recorded
prompt sets (Armelle, fr; Menardi, it). Rendered clean and noisy (pink noise,
5..20 dB SNR), at 8 and 16 kHz. Ground truth: the end of the last speech sample.

Kept out on purpose (for independent checks): asterisk-core-sounds-en/-es,
codec2-examples, alsa-utils sounds. Only the prompt folders of PROMPT_SETS are
read.

Sources (leave-one-source-out units): espeak-de, espeak-en, espeak-fr and the
five prompt sets (asterisk-fr, asterisk-fr-armelle, asterisk-it,
asterisk-it-menardi, asterisk-ru).
"""
from __future__ import annotations

import glob
import gzip
import io
import os
import re
import subprocess
import wave
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

VERSION = 4   # bump when the corpus changes (keys the cached Smart Turn probabilities)
LEAD_S, TRAIL_S = 0.3, 3.0
PAUSE_MAX_S = 2.5   # the longest mid-turn pause
RATES = (8000, 16000)
CONDITIONS = ("clean", "noisy")
# recorded prompt sets: source -> (folder, file extension)
ASTERISK = {"asterisk-fr": ("/usr/share/asterisk/sounds/fr_CA_f_June", "wav"),
            "asterisk-fr-armelle": ("/usr/share/asterisk/sounds/fr", "gsm"),
            "asterisk-it": ("/usr/share/asterisk/sounds/it_IT_m_Carlo", "wav"),
            "asterisk-it-menardi": ("/usr/share/asterisk/sounds/it_IT_f_Menardi", "wav"),
            "asterisk-ru": ("/usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU", "wav")}
# the prompts' texts (the same prompt names in every language): a prompt is used
# only if it is one sentence in both, so its stretched internal silences are
# pauses inside a sentence, never a sentence end that sounds final
PROMPT_TEXTS = ("/usr/share/doc/asterisk-core-sounds-it/core-sounds-it.txt.gz",
                "/usr/share/doc/asterisk-core-sounds-ru/core-sounds-ru.txt.gz")
ESPEAK_VOICES = {"espeak-en": ["en-us", "en-us+f3", "en+m3", "en+f2"],
                 "espeak-de": ["de", "de+f3", "de+m4"],
                 "espeak-fr": ["fr", "fr+f2", "fr+m3"]}

# (kind, phrases): phrases joined by mid-turn pauses; the last one ends the turn
TEXTS = {
    "espeak-en": {
        "intro": ["My number is,", "The address is,", "I would like to order,", "So what I need is,",
                  "Let me think,", "Well, uh,", "The code is,", "I was wondering,", "If it rains tomorrow,",
                  "When I get home,", "Okay so,", "The thing is,"],
        "digits": ["five five five,", "zero one three four,", "two eight,", "nine nine one,", "seven six,",
                   "four four two one,", "three,", "eight zero,"],
        "items": ["milk,", "two eggs,", "a loaf of bread,", "some apples,", "the blue one,", "a coffee,",
                  "and then,", "uh,", "ehm,", "after that,"],
        "ends": ["and that is all.", "thank you very much.", "we will stay at home.", "I think that's it.",
                 "please call me back.", "nothing else.", "can you do that?", "is that okay?",
                 "on Monday morning.", "at the main station.", "the train leaves at nine.", "that's correct."],
        "whole": ["I need a taxi to the airport.", "Thank you, goodbye.", "Yes, that is right.",
                  "Could you repeat that please?", "I would like to speak to an agent."],
    },
    "espeak-de": {
        "intro": ["Meine Nummer ist,", "Die Adresse ist,", "Ich möchte bestellen,", "Also, ähm,",
                  "Lass mich überlegen,", "Wenn es morgen regnet,", "Der Code lautet,", "Ich wollte fragen,",
                  "Na ja,", "Das Problem ist,"],
        "digits": ["fünf fünf fünf,", "null eins drei vier,", "zwei acht,", "neun neun eins,", "sieben sechs,",
                   "vier vier zwei eins,", "drei,", "acht null,"],
        "items": ["Milch,", "zwei Eier,", "ein Brot,", "ein paar Äpfel,", "den blauen,", "einen Kaffee,",
                  "und dann,", "äh,", "ähm,", "danach,"],
        "ends": ["und das ist alles.", "vielen Dank.", "bleiben wir zu Hause.", "ich glaube das war's.",
                 "bitte rufen Sie mich zurück.", "sonst nichts.", "geht das?", "ist das in Ordnung?",
                 "am Montag früh.", "am Hauptbahnhof.", "der Zug fährt um neun.", "das stimmt."],
        "whole": ["Ich brauche ein Taxi zum Flughafen.", "Danke, auf Wiedersehen.", "Ja, das ist richtig.",
                  "Können Sie das wiederholen?", "Ich möchte mit jemandem sprechen."],
    },
    "espeak-fr": {
        "intro": ["Mon numéro est,", "L'adresse est,", "Je voudrais commander,", "Alors, euh,",
                  "Laissez-moi réfléchir,", "S'il pleut demain,", "Le code est,", "Je me demandais,",
                  "Bon,", "Le problème c'est que,"],
        "digits": ["cinq cinq cinq,", "zéro un trois quatre,", "deux huit,", "neuf neuf un,", "sept six,",
                   "quatre quatre deux un,", "trois,", "huit zéro,"],
        "items": ["du lait,", "deux œufs,", "du pain,", "des pommes,", "le bleu,", "un café,",
                  "et puis,", "euh,", "hum,", "ensuite,"],
        "ends": ["et c'est tout.", "merci beaucoup.", "nous resterons à la maison.", "je crois que c'est tout.",
                 "rappelez-moi s'il vous plaît.", "rien d'autre.", "c'est possible?", "ça vous va?",
                 "lundi matin.", "à la gare centrale.", "le train part à neuf heures.", "c'est exact."],
        "whole": ["J'ai besoin d'un taxi pour l'aéroport.", "Merci, au revoir.", "Oui, c'est juste.",
                  "Pouvez-vous répéter?", "Je voudrais parler à quelqu'un."],
    },
}


@dataclass
class Turn:
    source: str
    turn_id: str
    kind: str
    condition: str
    rate: int
    pcm: np.ndarray          # int16 mono
    end_s: float             # true end of the turn (end of the last speech sample)
    mid_pauses: List[float]  # inserted pause lengths (s), for the record
    # what was said: phrases[i] ends at phrase_ends_s[i] (s from the start); the
    # last phrase ends the turn. espeak-ng turns: the text espeak-ng was given
    # (the true text). Recorded prompts: the prompt's text where the prompt
    # sets have one (it, ru), its words shared among the pieces in proportion
    # to their speech time (an approximate alignment, not the true text at a
    # pause); None for the French prompts (no text in the prompt sets).
    phrases: Optional[List[str]] = None
    phrase_ends_s: Optional[List[float]] = None


def _pause_s(rng) -> float:
    return float(np.clip(rng.lognormal(np.log(0.6), 0.6), 0.15, PAUSE_MAX_S))


def _read_wav(data: bytes):
    with wave.open(io.BytesIO(data)) as w:
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32)


def _espeak(text, voice, speed, pitch, ssml=False):
    out = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout"]
                         + (["-m"] if ssml else []) + [text], check=True, capture_output=True).stdout
    return _read_wav(out)


def _espeak_whole_turn(rng, phrases, voice, speed, pitch):
    """The whole turn in one espeak-ng utterance, its mid-turn pauses as SSML
    breaks after the phrases' own commas: each phrase keeps the intonation
    espeak gives it inside the sentence (continuation at a comma, falling or
    rising only at the true end), and pitch declines across the turn instead
    of restarting at every phrase. Returns (rate, signal, end_s, pauses)."""
    pauses = [_pause_s(rng) for _ in phrases[1:]]
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    text = esc(phrases[0]) + "".join(f' <break time="{int(round(p * 1000))}ms"/> {esc(ph)}'
                                     for p, ph in zip(pauses, phrases[1:]))
    rate, x = _espeak(f"<speak>{text}</speak>", voice, speed, pitch, ssml=True)
    x = _trim(x, rate)
    end = LEAD_S + len(x) / rate
    return rate, np.concatenate([np.zeros(int(LEAD_S * rate), np.float32), x,
                                 np.zeros(int(TRAIL_S * rate), np.float32)]), end, pauses


def _espeak_phrase_ends(phrases, pauses, voice, speed, pitch, end_s):
    """When each phrase of an espeak-ng turn ends (s from the turn's start): the
    trimmed length of the same utterance cut after that phrase (espeak-ng is
    deterministic; the cut utterance's last phrase may be timed a little
    differently from the same phrase mid-sentence, by tens of ms)."""
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")  # noqa: E731
    ends = []
    for k in range(1, len(phrases)):
        text = esc(phrases[0]) + "".join(f' <break time="{int(round(p * 1000))}ms"/> {esc(ph)}'
                                         for p, ph in zip(pauses[:k - 1], phrases[1:k]))
        rate, x = _espeak(f"<speak>{text}</speak>", voice, speed, pitch, ssml=True)
        ends.append(LEAD_S + len(_trim(x, rate)) / rate)
    return ends + [end_s]


def _trim(x, rate, rel_db=-40.0):
    """Speech extent of x: samples above rel_db of its peak (in 10 ms blocks)."""
    blk = rate // 100
    n = len(x) // blk
    if n == 0:
        return x[:0]
    e = np.sqrt(np.mean(x[:n * blk].reshape(n, blk) ** 2, axis=1) + 1e-9)
    on = np.nonzero(20 * np.log10(e / (e.max() + 1e-9)) > rel_db)[0]
    if len(on) == 0:
        return x[:0]
    return x[on[0] * blk:(on[-1] + 1) * blk]


def _resample(x, src, dst):
    if src == dst:
        return x.copy()
    out = subprocess.run(["sox", "-t", "raw", "-r", str(src), "-e", "float", "-b", "32", "-c", "1", "-",
                          "-t", "raw", "-r", str(dst), "-e", "float", "-b", "32", "-c", "1", "-"],
                         input=x.astype(np.float32).tobytes(), check=True, capture_output=True).stdout
    return np.frombuffer(out, dtype=np.float32).copy()


def _espeak_turn(rng, texts, voice, speed, pitch):
    """(kind, phrase list) for one synthetic turn."""
    kind = rng.choice(["digits", "list", "hesitation", "clause", "whole"], p=[0.25, 0.2, 0.2, 0.2, 0.15])
    pick = lambda k: texts[k][rng.integers(len(texts[k]))]  # noqa: E731
    if kind == "digits":
        phrases = [pick("intro")] + [pick("digits") for _ in range(rng.integers(1, 4))]
        phrases[-1] = phrases[-1].rstrip(",") + "."
    elif kind == "list":
        phrases = [pick("intro")] + [pick("items") for _ in range(rng.integers(1, 3))] + [pick("ends")]
    elif kind == "hesitation":
        phrases = [pick("intro"), pick("items"), pick("ends")]
    elif kind == "clause":
        phrases = [pick("intro"), pick("ends")]
    else:
        phrases = [pick("whole")]
    return kind, phrases


def _assemble(rng, pieces, rate):
    """Concatenate speech pieces with mid-turn pauses: (signal, end_s, pauses)."""
    parts, pauses = [np.zeros(int(LEAD_S * rate), np.float32)], []
    for i, p in enumerate(pieces):
        if i:
            pauses.append(_pause_s(rng))
            parts.append(np.zeros(int(pauses[-1] * rate), np.float32))
        parts.append(p)
    end = sum(len(p) for p in parts) / rate
    parts.append(np.zeros(int(TRAIL_S * rate), np.float32))
    return np.concatenate(parts), end, pauses


def _stretch_internal_pauses(rng, x, rate):
    """Real prompt: its internal silences (>= 100 ms, below -35 dB of the peak)
    become mid-turn pauses of random length (70 %, and every one longer than
    PAUSE_MAX_S) or stay as they are."""
    blk = rate // 100
    n = len(x) // blk
    e = np.sqrt(np.mean(x[:n * blk].reshape(n, blk) ** 2, axis=1) + 1e-9)
    quiet = 20 * np.log10(e / e.max()) < -35
    pieces, start, i = [], 0, 0
    while i < n:
        if quiet[i]:
            j = i
            while j < n and quiet[j]:
                j += 1
            # a silence longer than the longest drawn pause is always redrawn
            if j - i >= 10 and i > 0 and j < n and (rng.random() < 0.7 or (j - i) * 0.01 > PAUSE_MAX_S):
                pieces.append(x[start * blk:(i + 2) * blk])
                start = j - 2
            i = j
        else:
            i += 1
    pieces.append(x[start * blk:])
    return pieces


def _prompt_texts(path):
    out = {}
    with gzip.open(path, "rt", encoding="utf-8-sig") as f:
        for line in f:
            if ":" in line and not line.startswith(";"):
                name, text = line.split(":", 1)
                out[name.strip()] = text.strip()
    return out


def _one_sentence_prompts():
    """Prompt names that are one sentence in every text of PROMPT_TEXTS."""
    texts = [_prompt_texts(p) for p in PROMPT_TEXTS]
    one = lambda t: t is not None and not re.search(r"[.!?…;:]\s*\S", t.rstrip(".!?… "))  # noqa: E731
    return {name for name in texts[0] if all(one(t.get(name)) for t in texts)}


def _read_prompt(path):
    """(rate, float32 samples) of a WAV or GSM prompt file."""
    if path.endswith(".gsm"):
        data = subprocess.run(["sox", path, "-t", "wav", "-e", "signed-integer", "-b", "16", "-"], check=True, capture_output=True).stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    return _read_wav(data)


def _asterisk_turns(rng, source, folder, ext, n_turns):
    one = _one_sentence_prompts()
    prompts = []
    for p in sorted(glob.glob(os.path.join(folder, "*." + ext))):
        if os.path.basename(p)[:-len(ext) - 1] in one:
            rate, x = _read_prompt(p)
            if len(x) / rate >= 1.5:
                prompts.append((os.path.basename(p), rate, x))
    out = []
    for _ in range(n_turns):
        name, rate, x = prompts[rng.integers(len(prompts))]
        out.append(("prompt:" + name, rate, _stretch_internal_pauses(rng, _trim(x, rate), rate)))
    return out


def _pink(rng, n):
    white = rng.standard_normal(n + 4096)
    spec = np.fft.rfft(white)
    spec /= np.sqrt(np.maximum(np.arange(len(spec)), 1))
    return np.fft.irfft(spec, n + 4096)[:n].astype(np.float32)


def _render(rng, source, turn_id, kind, x, native_rate, end_s, pauses, phrases=None, ends=None) -> List[Turn]:
    out = []
    speech_rms = np.sqrt(np.mean(_trim(x, native_rate) ** 2) + 1e-9)
    peak = np.abs(x).max() + 1e-9
    level = 10 ** (rng.uniform(-26, -14) / 20) * 32767 / speech_rms   # speech at -26..-14 dBFS rms
    level = min(level, 0.9 * 32767 / peak)
    snr = rng.uniform(5, 20)
    noise = _pink(rng, len(x))
    noise *= speech_rms / (np.sqrt(np.mean(noise ** 2)) + 1e-9) * 10 ** (-snr / 20)
    for cond in CONDITIONS:
        y = x + noise if cond == "noisy" else x
        for rate in RATES:
            z = _resample(y * (level / 32768.0), native_rate, rate) * 32768.0
            pcm = np.clip(np.round(z), -32768, 32767).astype(np.int16)
            out.append(Turn(source, turn_id, kind, cond, rate, pcm, end_s, pauses, phrases, ends))
    return out


def _all_prompt_texts() -> Dict[str, Dict[str, str]]:
    """language -> prompt name -> text, of the prompt sets that have texts."""
    return {re.search(r"core-sounds-(\w+)\.txt", p).group(1): _prompt_texts(p) for p in PROMPT_TEXTS}


def _proportional_alignment(text, pieces, pauses, rate):
    """The prompt's words shared among its pieces in proportion to each piece's
    speech time (frames above -35 dB of the peak): (phrases, their end times).
    An approximation: a pause may fall inside a word group the text would not
    split there."""
    words = text.split()
    peak = max(np.abs(p).max() for p in pieces) + 1e-9
    blk = rate // 100
    speech = []
    for p in pieces:
        n = len(p) // blk
        e = np.sqrt(np.mean(p[:n * blk].reshape(n, blk) ** 2, axis=1) + 1e-12) if n else np.zeros(0)
        speech.append(float(np.sum(20 * np.log10(e / peak + 1e-12) > -35)) + 1e-3)
    cum = np.cumsum(speech) / sum(speech)
    cuts = [int(round(c * len(words))) for c in cum]
    cuts[-1] = len(words)
    phrases, ends, t, prev = [], [], LEAD_S, 0
    for i, (p, c) in enumerate(zip(pieces, cuts)):
        t += len(p) / rate
        phrases.append(" ".join(words[prev:c]))
        ends.append(t)
        prev = max(prev, c)
        if i < len(pauses):
            t += int(pauses[i] * rate) / rate
    return phrases, ends


PROMPT_LANGUAGE = {"asterisk-fr": "fr", "asterisk-fr-armelle": "fr", "asterisk-it": "it",
                   "asterisk-it-menardi": "it", "asterisk-ru": "ru"}
# the language of each source (the lexical cues' language)
LANGUAGE = dict(PROMPT_LANGUAGE, **{"espeak-de": "de", "espeak-en": "en", "espeak-fr": "fr"})


def build(turns_per_source: int = 40, seed: int = 17, with_text: bool = True) -> List[Turn]:
    """The whole corpus, deterministic for a seed (with_text: also what was said
    and when each phrase ended; the audio is the same either way)."""
    turns: List[Turn] = []
    for si, (source, voices) in enumerate(sorted(ESPEAK_VOICES.items())):
        rng = np.random.default_rng([seed, si])
        for k in range(turns_per_source):
            voice = voices[rng.integers(len(voices))]
            speed, pitch = int(rng.integers(135, 190)), int(rng.integers(30, 71))
            kind, phrases = _espeak_turn(rng, TEXTS[source], voice, speed, pitch)
            rate, x, end_s, pauses = _espeak_whole_turn(rng, phrases, voice, speed, pitch)
            ends = _espeak_phrase_ends(phrases, pauses, voice, speed, pitch, end_s) if with_text else None
            turns += _render(rng, source, f"{source}/{k}", f"{kind}:{voice}", x, rate, end_s, pauses,
                             phrases if with_text else None, ends)
    texts = _all_prompt_texts() if with_text else {}
    for si, (source, (folder, ext)) in enumerate(sorted(ASTERISK.items())):
        rng = np.random.default_rng([seed, 100 + si])
        for k, (kind, rate, pieces) in enumerate(_asterisk_turns(rng, source, folder, ext, turns_per_source)):
            x, end_s, pauses = _assemble(rng, pieces, rate)
            text = texts.get(PROMPT_LANGUAGE[source], {}).get(kind.split(":", 1)[1].rsplit(".", 1)[0])
            phrases, ends = _proportional_alignment(text, pieces, pauses, rate) if text else (None, None)
            turns += _render(rng, source, f"{source}/{k}", kind, x, rate, end_s, pauses, phrases, ends)
    return turns


SOURCES = tuple(sorted(ESPEAK_VOICES)) + tuple(sorted(ASTERISK))
