"""ReplyOnPause forgets a user who leaves the channel: their turn still waiting
for its end gets no reply, a reply already queued for them is skipped, a reply
playing to them stops; the application's own connection observer still sees
every event."""
import threading

import numpy as np
import pytest

from agora_rtc.agent import WAIT, ReplyOnPause
from conftest import join, wait_until
from test_agent_barge_in import espeak
from test_agent_end_of_turn import HeldDetector
from test_agent_turn_taking import ANSWER


def left_events(rec):
    return [args for name, args in rec.events if name == "left"]


def test_a_turn_waiting_for_its_end_is_dropped_when_its_user_leaves(service):
    det, calls = HeldDetector(WAIT), []
    agent, agent_rec = join(service, "left-waiting", "agent", record=False)
    caller, _ = join(service, "left-waiting", "caller")
    rop = ReplyOnPause(lambda audio: calls.append(audio) or iter(()), end_of_turn=det,
                       max_turn_wait_ms=3000).start(agent)
    try:
        assert caller.push_audio_pcm_data(espeak("hello there"), 16000, 1) == 0
        wait_until(lambda: det.calls(), timeout=20, what="the VAD stop")
        caller.release()                                   # leaves while the detector waits
        ignored = rop.wait_for("ignored", 1, timeout=10)[0]
        wait_until(lambda: left_events(agent_rec), timeout=10, what="the app's on_user_left")
        # past the maximum wait: the turn would have been answered by now
        threading.Event().wait(3.5)
    finally:
        rop.stop()
    assert ignored.user_id == "caller" and ignored.info == {"reason": "left"} and ignored.ms > 0
    assert rop.events("utterance") == [] and calls == []
    assert left_events(agent_rec)[0][0] == "caller"        # forwarded to the app's observer


def test_a_reply_playing_to_a_user_who_leaves_stops_and_a_queued_one_is_skipped(service):
    """"a" and "b" speak; the reply to "a" is held in the reply function while
    "b"'s turn is queued behind it; both leave: the queued reply to "b" is
    skipped and the one to "a", playing, is interrupted."""
    gate, began = threading.Event(), threading.Event()

    def reply(audio, user_id):
        if user_id == "a":
            began.set()
            gate.wait(20)
        yield 16000, np.tile(ANSWER, 4)                    # long enough to be cut
    agent, _ = join(service, "left-reply", "agent", record=False)
    a, _ = join(service, "left-reply", "a")
    b, _ = join(service, "left-reply", "b")
    rop = ReplyOnPause(reply, pass_user_id=True, interrupt_on="asr").start(agent)   # voice never interrupts
    try:
        assert a.push_audio_pcm_data(espeak("hello there"), 16000, 1) == 0
        assert began.wait(20)
        assert b.push_audio_pcm_data(espeak("good morning"), 16000, 1) == 0
        wait_until(lambda: len(rop.events("utterance")) == 2, timeout=20, what="b's turn")
        b.release()
        gate.set()
        rop.wait_for("reply_started", 1, timeout=10)
        a.release()
        interrupted = rop.wait_for("interrupted", 1, timeout=10)[0]
        skipped = rop.wait_for("skipped", 1, timeout=10)[0]
    finally:
        gate.set()
        rop.stop()
    assert skipped.user_id == "b" and skipped.info == {"reason": "left"}
    assert interrupted.user_id == "a" and interrupted.info["trigger"] == "left"
    assert [e.user_id for e in rop.events("reply_started")] == ["a"]
    assert rop.events("reply_done") == []


def test_user_left_wants_a_user_id():
    rop = ReplyOnPause(lambda audio: iter(()))
    with pytest.raises(TypeError, match="user_id must be a str"):
        rop.user_left(7)
    rop.user_left("nobody")                               # not started: nothing to forget
