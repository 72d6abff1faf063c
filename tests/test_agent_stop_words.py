"""ReplyOnStopWords on the local network with synthesised speech (flite, deterministic)."""
import shutil

import numpy as np
import pytest

pytest.importorskip("pocketsphinx")
pytestmark = pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")

from agora_rtc.agent import ReplyOnStopWords, StopWordDetector, TTSOptions, get_stt_model, get_tts_model  # noqa: E402
from conftest import join  # noqa: E402

OTHER = ["What is the weather like in Paris today?", "Please tell me the time.",
         "Book a table for two people at seven tonight.", "Turn off the lights in the kitchen.",
         "How far is the moon from the earth?", "Hello there my friend."]


@pytest.fixture(scope="module")
def tts():
    return get_tts_model("flite")


def say(conn, tts, text, voice="slt"):
    """Speak ``text``, then 1 s of silence: the VAD stops after 500 ms of it (the local
    network sends only what is pushed)."""
    rate, audio = tts.tts(text, TTSOptions(voice=voice))
    assert rate == 16000
    assert conn.push_audio_pcm_data(np.concatenate([audio[0], np.zeros(rate, np.int16)]), rate, 1) == 0


def test_wake_phrase_found_and_other_speech_ignored(service, tts):
    calls = []

    def reply(audio):
        calls.append(audio)
        yield 16000, np.zeros(1600, np.int16)

    agent, _ = join(service, "stopwords", "agent", record=False)
    caller, _ = join(service, "stopwords", "caller")
    rop = ReplyOnStopWords(reply, stop_words=["ok computer", "hello iris"], input_sample_rate=16000,
                           can_interrupt=False)
    rop.start(agent)
    try:
        say(caller, tts, OTHER[0])                       # no wake phrase: no reply
        rop.wait_for("ignored", 1, timeout=30)
        say(caller, tts, "Hello Iris.")                  # the phrase alone: the next turn is answered
        rop.wait_for("stop_word", 1, timeout=30)
        assert rop.armed("caller") and calls == []
        say(caller, tts, "Turn off the lights in the kitchen.")
        rop.wait_for("reply_done", 1, timeout=30)
        assert not rop.armed("caller")
        say(caller, tts, "Ok computer, what time is it?")   # phrase and request in one breath
        rop.wait_for("reply_done", 2, timeout=30)
        for k, text in enumerate(OTHER[1:], 2):          # a reply needs the phrase again
            say(caller, tts, text)
            rop.wait_for("ignored", k, timeout=30)
    finally:
        rop.stop()
    ignored = rop.events("ignored")
    assert [e.info["reason"] for e in ignored] == ["no_stop_word"] * len(OTHER)
    hits = [e.info for e in rop.events("stop_word")]
    assert [h.phrase for h in hits] == ["hello iris", "ok computer"]
    assert len(calls) == 2 and len(rop.events("utterance")) == len(OTHER) + 3
    stt = get_stt_model()
    first, second = (stt.stt(a) for a in calls)
    assert "kitchen" in first.split() and "lights" in first.split()     # the whole next turn
    assert "time" in second.split() and "computer" not in second.split()   # only what followed the phrase


def test_misspelled_stop_words_match_the_transcript(tts):
    det = StopWordDetector(["lamma", "hello irus"])              # neither is in the dictionary
    assert det.transcript_phrases == ["lamma", "hello irus"]
    hit = det.find(tts.tts("Hello Iris, how are you?"))
    assert hit is not None and hit.phrase == "hello irus" and hit.how == "transcript"
    for text in OTHER:
        assert det.find(tts.tts(text)) is None
    both = StopWordDetector(["computer", "lamma"], fuzzy=True)
    hit = both.find(tts.tts("My computer is slow.", TTSOptions(voice="rms")))
    assert hit is not None and hit.phrase == "computer"


def test_bad_arguments():
    with pytest.raises(ValueError, match="stop word"):
        ReplyOnStopWords(lambda a: iter(()), stop_words=[])
    with pytest.raises(ValueError, match="non-empty"):
        ReplyOnStopWords(lambda a: iter(()), stop_words=["ok", "  "])
    with pytest.raises(ValueError, match="min_request_ms"):
        ReplyOnStopWords(lambda a: iter(()), stop_words=["computer"], min_request_ms=-1)
    with pytest.raises(TypeError, match="find"):
        ReplyOnStopWords(lambda a: iter(()), detector=object())
    with pytest.raises(ValueError, match="input_sample_rate"):
        ReplyOnStopWords(lambda a: iter(()), stop_words=["computer"], input_sample_rate=11025)
