"""Transcripts of the end-of-turn corpus at each pause, for the lexical policies.

Two kinds, never mixed in one number:
- "text": what was said, up to the pause. espeak-ng sources: the true text
  (the phrases espeak-ng was given, each counted once its end, timed by
  eot_corpus, is at most TOLERANCE_S after the pause's last voiced frame).
  Recorded it / ru prompts: the prompt's text with its words shared among the
  pieces by speech time (eot_corpus._proportional_alignment: approximate).
  The French prompt sets have no texts: no transcript (the lexical policies
  fall back to their prosody / VAD part there).
- "asr": PocketSphinx (agora_rtc.agent.get_stt_model, US English) on the
  espeak-en renderings at 16 kHz: each rendering decoded once, up to 300 ms
  after its true end, the words whose end time is at or before the pause's
  last voiced frame (+ TOLERANCE_S) are the transcript at that pause. One
  decode over the whole turn gives the recogniser the words after the pause
  as context, which a streaming ASR at the pause does not have: if anything
  this flatters the ASR run.
Cached in build/ beside the labels (same key: corpus version, turns, seed).
"""
from __future__ import annotations

import os
import time

import numpy as np

import eot_corpus

TOLERANCE_S = 0.25   # a phrase counts as heard once it ended at most this long after the last voiced frame
ASR_SOURCE, ASR_RATE = "espeak-en", 16000


def cache_path(here, turns_per_source, seed):
    return os.path.join(here, "..", "build", f"eot_text_{eot_corpus.VERSION}_{turns_per_source}_{seed}.npz")


def build(corpus):
    """Per rendering: (phrases, phrase end times, ASR words [(word, end s)] or None)."""
    from agora_rtc.agent import get_stt_model
    stt = get_stt_model("pocketsphinx")
    t0, n_asr, asr_audio = time.process_time(), 0, 0.0
    out = []
    for t in corpus:
        asr = None
        if t.source == ASR_SOURCE and t.rate == ASR_RATE:
            pcm = t.pcm[:int((t.end_s + 0.3) * t.rate)]
            asr = [(w, end) for w, _start, end in stt.words((t.rate, pcm))]
            n_asr += 1
            asr_audio += len(pcm) / t.rate
        out.append((t.phrases, t.phrase_ends_s, asr))
    cpu = time.process_time() - t0
    print(f"transcripts: {n_asr} ASR decodes of {asr_audio:.0f} s of audio in {cpu:.0f} s CPU")
    return out


def save(path, texts):
    arr = np.empty(len(texts), dtype=object)
    arr[:] = texts
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez(path, texts=arr)


def load(path):
    return list(np.load(path, allow_pickle=True)["texts"])


def at_pause(text_entry, e, kind):
    """The transcript heard by the pause whose last voiced frame is e (10 ms
    frames): a str, or None when this rendering has no transcript of that kind."""
    phrases, ends, asr = text_entry
    t_e = (e + 1) * 0.01 + TOLERANCE_S
    if kind == "text":
        if phrases is None:
            return None
        return " ".join(p for p, end in zip(phrases, ends) if end <= t_e)
    if asr is None:
        return None
    return " ".join(w for w, end in asr if end <= t_e)
