"""LexicalTurnDetector, end of turn from the transcript so far, through the
public API: the shipped model on its own, bad input, and in ReplyOnPause on
the local network with espeak-ng speech (the test plays the app's ASR: it
knows what it sent)."""
import numpy as np
import pytest

from agora_rtc.agent import (TURN_OVER, EndOfTurnDetector, LexicalTurnDetector, LexicalTurnModel, ProsodyTurnDetector,
                             TurnSoFar)
from agora_rtc.agent.lexical_turn import CUE_NAMES, LANGUAGES, lexical_cues
from test_agent_prosody_turn import contour, run_turns, say, silence, turn

OPEN_EN = ["my number is", "I would like to order a coffee and", "so what I need is, um",
           "the address is twenty two, on the", "I was going to"]
DONE_EN = ["I need a taxi to the airport.", "thank you very much", "that's all", "is that okay?",
           "please call me back"]


def need(det, text, labels=None):
    return det.need_ms(turn(labels or contour(200, 200, 0.0), 0.0), text)


def test_an_open_ending_needs_a_longer_pause_than_a_complete_sentence():
    det = LexicalTurnDetector()
    assert isinstance(det, EndOfTurnDetector)
    for o in OPEN_EN:
        for d in DONE_EN:
            assert need(det, o) > need(det, d), (o, d)
    # the maximum wait is honoured whatever the words
    short = LexicalTurnDetector(max_wait_ms=200.0)
    assert max(need(short, t) for t in OPEN_EN + DONE_EN) <= 200.0


@pytest.mark.parametrize("language,open_text,done_text", [
    ("de", "meine Nummer ist", "vielen Dank."), ("fr", "je voudrais un café et", "merci beaucoup."),
    ("it", "vorrei parlare con il", "grazie mille."), ("ru", "это мой", "спасибо большое.")])
def test_the_other_languages_cue_lists(language, open_text, done_text):
    det = LexicalTurnDetector(language=language)
    assert need(det, open_text) > need(det, done_text)
    assert set(LANGUAGES) >= {"en", "de", "fr", "it", "ru"}


def test_with_prosody_the_words_still_decide_and_the_answer_counts_down():
    det = LexicalTurnDetector(prosody=ProsodyTurnDetector())
    labels = contour(220, 140, 12.0)          # a falling, decaying end: prosody alone says "over" soon
    assert need(det, "my number is", labels) > need(det, "that is all.", labels)
    texts = iter(["my number is"] * 3)
    pull = LexicalTurnDetector(transcript=lambda t: next(texts))
    first = pull.decide(turn(labels, 0.0))
    later = pull.decide(turn(labels, 100.0))
    assert first > 0 and later == pytest.approx(first - 100.0)
    assert pull.decide(turn(labels, first + 1.0)) == TURN_OVER


def test_push_style_transcripts_are_per_user():
    det = LexicalTurnDetector()
    det.set_transcript("a", "my number is")
    det.set_transcript("b", "thank you very much.")
    labels = contour(200, 200, 0.0)
    assert det.need_ms(turn(labels, 0.0, uid="a")) > det.need_ms(turn(labels, 0.0, uid="b"))
    det.clear("a")
    assert det.text_of(turn(labels, 0.0, uid="a")) == ""
    for k in range(10000):    # many users: a bounded memory, and the newest user is kept
        det.set_transcript(f"user{k}", "and")
    assert det.text_of(turn(labels, 0.0, uid="user9999")) == "and"


def test_bad_input_names_what_was_expected():
    det = LexicalTurnDetector()
    with pytest.raises(TypeError, match="str"):
        det.set_transcript("u", b"my number is")
    with pytest.raises(TypeError, match="str"):
        LexicalTurnDetector(transcript=lambda t: None).decide(turn(contour(200, 200, 0.0), 0.0))
    with pytest.raises(TypeError, match="str"):
        lexical_cues(42)
    with pytest.raises(ValueError, match="en"):
        LexicalTurnDetector(language="xx")
    with pytest.raises(TypeError, match="callable"):
        LexicalTurnDetector(transcript="my number is")
    with pytest.raises(TypeError, match="ProsodyTurnDetector"):
        LexicalTurnDetector(prosody=object())
    with pytest.raises(TypeError, match="TurnSoFar"):
        det.decide("my number is")
    with pytest.raises(ValueError, match="0..60000"):
        LexicalTurnDetector(max_wait_ms=-1)
    with pytest.raises(ValueError, match="finite"):
        LexicalTurnModel([0.0] * len(CUE_NAMES), [1.0] * len(CUE_NAMES), [float("nan")] * len(CUE_NAMES))
    # odd but valid text: no crash, a wait within the maximum
    for text in ["", "   ", "!!!", "5 5 5", "ééé ''' ’’", "x" * 100000]:
        assert 0.0 <= need(det, text) <= det.max_wait_ms


# ---- in ReplyOnPause, on the local network

FIRST, PAUSE_MS = "My number is", 2200


def _turn_text(first_s, full):
    """The app's ASR, played by the test: the first phrase while the turn's voiced
    frames span no more than the first phrase (and half the pause), then the whole text."""
    def transcript(t: TurnSoFar):
        voiced = [k for k, lab in enumerate(t.labels) if lab.active]
        span_ms = (voiced[-1] - voiced[0] + 1) * 10.0 if voiced else 0.0
        return FIRST if span_ms < first_s * 1000.0 + PAUSE_MS / 2 else full
    return transcript


def test_reply_on_pause_waits_through_a_pause_after_an_open_phrase(service):
    """"My number is" 2.2 s "five five five, and that is all.": with the words,
    one turn of two utterances; told the first phrase was a whole sentence
    instead, the same audio is answered at the pause (so the words decided)."""
    first = say(FIRST)
    audio = np.concatenate([silence(200), first, silence(PAUSE_MS), say("five five five, and that is all."),
                            silence(5000)])
    full = "my number is five five five and that is all"
    det = LexicalTurnDetector(transcript=_turn_text(first.size / 16000, full))
    utts, calls, errors = run_turns(service, "lexical-open", audio, det, 60000)
    assert errors == [] and len(utts) == 1 and utts[0].info >= 2 and len(calls) == 1

    told_done = LexicalTurnDetector(transcript=lambda t: "thank you very much.")
    utts, calls, errors = run_turns(service, "lexical-done", audio, told_done, 60000)
    assert errors == [] and utts[0].info == 1
    assert calls[0][1].size < (first.size + 16 * PAUSE_MS)   # the first reply had the first phrase only


def test_reply_on_pause_reports_a_transcript_that_is_not_text(service):
    audio = np.concatenate([silence(200), say("hello there."), silence(3000)])
    det = LexicalTurnDetector(transcript=lambda t: 12345)
    utts, calls, errors = run_turns(service, "lexical-bad", audio, det, 60000)
    assert len(utts) == 1 and len(calls) == 1            # the turn is still answered
    assert errors and "str" in repr(errors[0].info)
