"""ReplyOnPause's end-of-turn hook on the local network: a detector that says
"wait" holds the reply (later speech joins the turn) until it says "turn
over" or max_turn_wait_ms passes."""
import threading
import time

import numpy as np
import pytest

from agora_rtc.agent import (TURN_OVER, WAIT, AnswerAtVadStop, EndOfTurnDetector, FrameLabels, ReplyOnPause,
                             TurnSoFar)
from conftest import join, wait_until
from test_agent_barge_in import espeak
from test_agent_turn_taking import ANSWER, QUESTION, reference_utterances


class HeldDetector:
    """Says WAIT until ``release`` is set (or ``answer`` is returned); records what it saw."""

    def __init__(self, answer=WAIT):
        self.answer = answer
        self.release = threading.Event()
        self.seen = []
        self.lock = threading.Lock()

    def decide(self, turn):
        with self.lock:
            self.seen.append((time.monotonic(), turn.utterances, turn.pause_ms, turn.since_stop_ms,
                              len(turn.labels), len(turn.pcm), turn.labels[-1]))
        return TURN_OVER if self.release.is_set() else self.answer

    def calls(self):
        with self.lock:
            return list(self.seen)


def short_reply(calls):
    def reply(audio):
        calls.append(audio)
        yield 16000, ANSWER[:1600]
    return reply


def test_a_detector_that_waits_holds_the_reply_and_later_speech_joins_the_turn(service):
    det, calls = HeldDetector(), []
    agent, _ = join(service, "eot-hold", "agent", record=False)
    caller, _ = join(service, "eot-hold", "caller")
    rop = ReplyOnPause(short_reply(calls), end_of_turn=det, max_turn_wait_ms=60000).start(agent)
    n_utt = reference_utterances(QUESTION)
    assert n_utt >= 2                                    # "Hello agent." pause "What is the weather ..."
    sent = np.concatenate([QUESTION, np.zeros(48000, np.int16)])   # then 3 s of silence: frames go on
    try:
        assert caller.push_audio_pcm_data(sent, 16000, 1) == 0
        # both utterances are in the turn and the detector keeps it waiting
        wait_until(lambda: any(c[1] == n_utt for c in det.calls()), timeout=20, what="the last VAD stop")
        asked = len(det.calls())
        wait_until(lambda: len(det.calls()) >= asked + 5, timeout=10, what="more pause frames")
        assert rop.events("utterance") == [] and calls == [] and not rop.replying
        det.release.set()                                # "turn over" at the next frame
        utt = rop.wait_for("utterance", 1, timeout=10)[0]
        rop.wait_for("reply_done", 1, timeout=10)
    finally:
        det.release.set()
        rop.stop()
    assert utt.info == n_utt and len(calls) == 1
    rate, arr = calls[0]
    # one piece, contiguous as sent: the first utterance's pre-roll to the last stop, pauses included
    assert rate == 16000 and arr.tobytes() in sent.tobytes()
    seen = det.calls()
    assert arr.size * 2 > max(c[5] for c in seen if c[1] == 1)   # more than the turn at its first pause
    for _, utterances, pause_ms, since_stop_ms, n_labels, n_pcm, last in seen:
        assert n_pcm == n_labels * 320                   # one FrameLabels per 10 ms frame of the turn
        assert isinstance(last, FrameLabels) and 0 <= last.voice_prob <= 100
        assert pause_ms >= 0 and since_stop_ms >= 0
    # between the first stop and the second start, each frame asked again with a longer pause;
    # the VAD stops only after its stop window, so the pause was already long at the stop
    first_pause = [(c[3], c[2]) for c in seen if c[1] == 1]
    assert [since for since, _ in first_pause[:3]] == [0.0, 10.0, 20.0]
    assert first_pause[0][1] >= 100 and first_pause[1][1] == first_pause[0][1] + 10
    assert len(rop.events("utterance")) == 1


@pytest.mark.parametrize("answer", [WAIT, 10000.0])
def test_the_maximum_wait_is_honoured_without_further_frames(service, answer):
    """The detector never says "turn over"; the caller stops sending after its
    speech, so only the deadline can answer."""
    det, calls = HeldDetector(answer), []
    agent, _ = join(service, f"eot-max-{answer}", "agent", record=False)
    caller, _ = join(service, f"eot-max-{answer}", "caller")
    rop = ReplyOnPause(short_reply(calls), end_of_turn=det, max_turn_wait_ms=1500).start(agent)
    speech = espeak("hello there")
    try:
        assert caller.push_audio_pcm_data(speech, 16000, 1) == 0
        utt = rop.wait_for("utterance", 1, timeout=20)[0]
        rop.wait_for("reply_done", 1, timeout=10)
    finally:
        rop.stop()
    first_stop = min(c[0] for c in det.calls() if c[3] == 0)
    assert utt.at - first_stop >= 1.5                   # never before the maximum wait
    assert utt.info == 1 and len(calls) == 1 and rop.events("error") == []


def test_a_failing_detector_is_reported_and_the_turn_answered(service):
    class Broken:
        def decide(self, turn):
            return "later"
    calls = []
    agent, _ = join(service, "eot-broken", "agent", record=False)
    caller, _ = join(service, "eot-broken", "caller")
    rop = ReplyOnPause(short_reply(calls), end_of_turn=Broken()).start(agent)
    try:
        caller.push_audio_pcm_data(espeak("hello there"), 16000, 1)
        err = rop.wait_for("error", 1, timeout=20)[0]
        rop.wait_for("reply_done", 1, timeout=10)
    finally:
        rop.stop()
    assert isinstance(err.info, TypeError) and "must return a number of ms" in str(err.info)
    assert len(calls) == 1                               # the user's speech was not lost


def test_stop_reports_a_turn_still_waiting(service):
    det = HeldDetector()
    agent, _ = join(service, "eot-stop", "agent", record=False)
    caller, _ = join(service, "eot-stop", "caller")
    rop = ReplyOnPause(short_reply([]), end_of_turn=det, max_turn_wait_ms=60000).start(agent)
    try:
        caller.push_audio_pcm_data(espeak("hello there"), 16000, 1)
        wait_until(lambda: det.calls(), timeout=20, what="the VAD stop")
    finally:
        rop.stop()
    ignored = rop.events("ignored")
    assert len(ignored) == 1 and ignored[0].info == {"reason": "stopped"} and ignored[0].ms > 0
    assert rop.events("utterance") == []


def test_detector_interface_and_bad_arguments():
    turn = TurnSoFar("u", 16000, 1, b"\x01\x00" * 160, [FrameLabels(3, 80, -47.0, 90, 120, True)], 1, 0.0, 0.0)
    assert AnswerAtVadStop().decide(turn) == TURN_OVER
    assert isinstance(AnswerAtVadStop(), EndOfTurnDetector) and isinstance(HeldDetector(), EndOfTurnDetector)
    assert turn.audio.shape == (1, 160) and turn.audio.dtype == np.int16
    assert isinstance(ReplyOnPause(short_reply([])).end_of_turn, AnswerAtVadStop)
    with pytest.raises(TypeError, match="decide"):
        ReplyOnPause(short_reply([]), end_of_turn=object())
    with pytest.raises(TypeError, match="max_turn_wait_ms must be a number"):
        ReplyOnPause(short_reply([]), max_turn_wait_ms="1s")
    with pytest.raises(ValueError, match="max_turn_wait_ms must be in 0..60000"):
        ReplyOnPause(short_reply([]), max_turn_wait_ms=-5)
