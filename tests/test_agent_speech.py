"""On-device speech models (agora_rtc[speech]): PocketSphinx STT and keyphrase
spotting, flite / espeak-ng TTS, through get_stt_model / get_tts_model."""
import asyncio
import shutil
import sys

import numpy as np
import pytest

from agora_rtc.agent import speech
from agora_rtc.agent.speech import (KeyphraseSpotter, TTSOptions, get_stt_model, get_tts_model, resample,
                                    word_error_rate)

pytest.importorskip("pocketsphinx")
needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")

SENTENCES = ["What is the weather like in Paris today?", "Please tell me the time.",
             "Book a table for two people at seven tonight.", "Turn off the lights in the kitchen.",
             "How far is the moon from the earth?"]
# Measured on these 5 sentences x 2 voices (74 words): WER 0.095 (slt 0.135, rms 0.054).
WER_BOUND = 0.25


@needs_flite
def test_transcription_of_synthesised_sentences_is_within_the_stated_wer():
    stt, tts = get_stt_model(), get_tts_model("flite")
    errors = words = 0
    for voice in ("slt", "rms"):
        for text in SENTENCES:
            heard = stt.stt(tts.tts(text, TTSOptions(voice=voice)))
            n = len(text.split())
            errors += word_error_rate(text, heard) * n
            words += n
    assert errors / words <= WER_BOUND


@needs_flite
def test_stt_accepts_other_rates_float_and_stereo():
    stt, tts = get_stt_model("pocketsphinx/en-us"), get_tts_model()
    rate, audio = tts.tts("Turn off the lights in the kitchen.")
    x = audio[0].astype(np.float32) / 32768
    up = resample(x, rate, 48000)                       # float at 48 kHz, stereo (2, n)
    assert word_error_rate("turn off the lights in the kitchen",
                           stt.stt((48000, np.stack([up, up])))) <= 0.3
    with pytest.raises(TypeError, match="sample_rate, numpy array"):
        stt.stt(audio)
    with pytest.raises(ValueError, match="sample_rate"):
        stt.stt((3, audio))
    with pytest.raises(TypeError, match="int16 or float"):
        stt.stt((16000, audio.astype(np.int32)))


@needs_flite
def test_tts_shapes_streaming_sync_and_async():
    tts = get_tts_model("flite")
    text = "Hello there. How are you today?"
    rate, whole = tts.tts(text)
    assert rate == 16000 and whole.dtype == np.int16 and whole.shape[0] == 1 and whole.shape[1] > rate // 2
    chunks = list(tts.stream_tts_sync(text))
    assert len(chunks) == 2 and all(r == rate and c.shape[0] == 1 for r, c in chunks)
    assert np.array_equal(np.concatenate([c for _, c in chunks], axis=1), whole)   # deterministic engine

    async def collect():
        return [c async for c in tts.stream_tts(text)]
    achunks = asyncio.run(collect())
    assert [c.tobytes() for _, c in achunks] == [c.tobytes() for _, c in chunks]
    slow = tts.tts("Hello there.", TTSOptions(speed=0.5))[1]
    assert slow.shape[1] > 1.5 * chunks[0][1].shape[1]
    assert tts.tts("   ")[1].shape == (1, 0)
    with pytest.raises(ValueError, match="speed"):
        tts.tts("hi", TTSOptions(speed=5))
    with pytest.raises(ValueError, match="voice"):
        tts.tts("hi", TTSOptions(voice="slt; rm -rf"))
    with pytest.raises(ValueError, match="flite voices: .*slt"):
        tts.tts("hi", TTSOptions(voice="no_such_voice"))


@needs_espeak
def test_espeak_ng_model():
    rate, audio = get_tts_model("espeak-ng").tts("Good morning.")
    assert rate == 22050 and audio.dtype == np.int16 and audio.shape[0] == 1 and audio.shape[1] > 5000


@needs_flite
def test_keyphrase_spotter_finds_wake_phrases_and_ignores_other_speech():
    tts = get_tts_model("flite")
    spotter = KeyphraseSpotter(["ok computer", "hello iris"])
    for voice in ("slt", "rms"):
        opt = TTSOptions(voice=voice)
        hits = spotter.spot(tts.tts("Ok computer, what time is it?", opt))
        assert [h.phrase for h in hits] == ["ok computer"] and 0 <= hits[0].start_s < hits[0].end_s < 1.5
        assert [h.phrase for h in spotter.spot(tts.tts("Hello Iris, how are you?", opt))] == ["hello iris"]
        for other in SENTENCES:
            assert spotter.spot(tts.tts(other, opt)) == []


def test_names_and_missing_pieces(monkeypatch):
    with pytest.raises(ValueError, match="pocketsphinx"):
        get_stt_model("moonshine/base")
    with pytest.raises(ValueError, match="flite, espeak-ng"):
        get_tts_model("kokoro")
    with pytest.raises(ValueError, match="not in the PocketSphinx dictionary"):
        KeyphraseSpotter(["hello xqzzy"])
    with pytest.raises(ValueError, match="threshold"):
        KeyphraseSpotter(["computer"], threshold=2)
    assert KeyphraseSpotter.known("computer") and not KeyphraseSpotter.known("xqzzy")
    assert word_error_rate("a b c d", "a x c") == 0.5
    monkeypatch.setitem(sys.modules, "pocketsphinx", None)
    with pytest.raises(ImportError, match=r"agora_rtc\[speech\]"):
        get_stt_model()
    monkeypatch.setattr(speech.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install flite"):
        get_tts_model()
