"""ReplyOnPause barge-in on the local network: short bursts do not interrupt,
real barge-ins do, false barge-ins resume the reply where it was cut."""
import os
import sys

import numpy as np
import pytest

from agora_rtc.agent import ReplyOnPause
from conftest import barrier, join
from test_agent_turn_taking import ANSWER, answer_chunks, ceil10, heard_ms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import _shared  # noqa: E402  (examples/_shared.py: espeak-ng without the sanitizer's LD_PRELOAD)


def espeak(text):
    """``text`` spoken by espeak-ng (en-us), at 16 kHz, between 200 ms of
    silence before and 1 s after (so the VAD sees the speech end)."""
    rate, pcm = _shared.espeak(text, voice="en-us", speed=150)   # no LD_PRELOAD in the child
    x = pcm.astype(np.float64)
    n = int(x.size * 16000 / rate)
    speech = np.interp(np.linspace(0, x.size - 1, n), np.arange(x.size), x).astype(np.int16)
    return np.concatenate([np.zeros(3200, np.int16), speech, np.zeros(16000, np.int16)])


def cough():
    """A cough-like burst: 300 ms of noise with a falling envelope, then silence."""
    rng = np.random.default_rng(7)
    t = np.arange(4800)
    burst = (rng.normal(0, 6000, t.size) * np.exp(-t / 1200)).astype(np.int16)
    return np.concatenate([np.zeros(3200, np.int16), burst, np.zeros(16000, np.int16)])


def clicks():
    """Keyboard-like clicks: five 2 ms impulses 80 ms apart, then silence."""
    x = np.zeros(3200 + 6400 + 16000, np.int16)
    for k in range(5):
        x[3200 + k * 1280: 3200 + k * 1280 + 32] = 20000 * (-1) ** np.arange(32)
    return x


def talk_over_greeting(service, channel, burst, **kwargs):
    """The agent greets the caller with ANSWER (startup_fn); once the caller
    has heard 500 ms of it, the caller sends ``burst``. Returns (rop, recorder)
    after the burst has left and the handler settled."""
    replies = []

    def reply(audio):
        replies.append(audio)
        yield 16000, ANSWER[:1600]

    agent, arec = join(service, channel, "agent", record=False)
    caller, crec = join(service, channel, "caller")
    rop = ReplyOnPause(reply, startup_fn=answer_chunks, **kwargs).start(agent)
    try:
        rop.wait_for("reply_started", 1)
        crec.wait_samples("agent", 16000, timeout=10)          # 500 ms of the greeting heard
        assert caller.push_audio_pcm_data(burst, 16000, 1) == 0
        assert caller.wait_push_completed(20)
        rop.wait_for("reply_done", 1, timeout=30)
        barrier(caller, arec)              # the agent's handler has seen all of the burst
        barrier(agent, crec)               # the caller has heard all the agent sent
    finally:
        rop.stop()
    rop.replies = replies
    return rop, crec


def assert_heard_whole_answer(crec):
    pcm = crec.pcm("agent")
    assert heard_ms(crec) == ceil10(ANSWER.size / 16)
    assert pcm[:ANSWER.nbytes] == ANSWER.tobytes()             # every sample once, in order
    assert not any(pcm[ANSWER.nbytes:])                         # then only the last frame's padding


@pytest.mark.parametrize("name", ["yeah", "right", "cough", "clicks"])
def test_short_burst_while_the_agent_talks_does_not_interrupt(service, name):
    burst = {"cough": cough, "clicks": clicks}.get(name, lambda: espeak(name))()
    rop, crec = talk_over_greeting(service, f"short-{name}", burst)
    assert rop.events("paused") == [] and rop.events("interrupted") == []
    done = rop.events("reply_done")
    assert len(done) == 1 and done[0].reply_id == 1             # the greeting played to its end
    assert rop.events("utterance") == [] and rop.replies == []  # the burst got no reply
    if name not in ("cough", "clicks"):                          # the VAD took the word for speech
        ignored = rop.events("ignored")
        assert [e.info["reason"] for e in ignored] == ["too_short"] and ignored[0].user_id == "caller"
        assert ignored[0].ms > 0
    assert_heard_whole_answer(crec)


def test_the_same_short_burst_interrupts_without_the_minimum(service):
    """Control for the test above: with min_interruption_ms=0 "yeah" cuts the greeting."""
    rop, crec = talk_over_greeting(service, "short-control", espeak("yeah"),
                                   min_interruption_ms=0, resume_false_interruption=False)
    cut = rop.wait_for("interrupted", 1)[0]
    assert cut.reply_id == 1 and cut.info["trigger"] == "voice"
    assert [e.reply_id for e in rop.events("reply_done")] == [2]   # only the reply to "yeah"
    assert len(rop.replies) == 1
    assert heard_ms(crec) == pytest.approx(cut.ms + 100, abs=10)   # the cut greeting, then the reply


def test_a_real_barge_in_interrupts(service):
    rop, crec = talk_over_greeting(service, "real-barge", espeak("hold on, I have a question about that"))
    paused, cut = rop.events("paused"), rop.events("interrupted")
    assert len(paused) == 1 and paused[0].reply_id == 1 and paused[0].user_id == "caller"
    assert len(cut) == 1 and cut[0].reply_id == 1 and cut[0].info["trigger"] == "voice"
    assert paused[0].at <= cut[0].at and cut[0].ms == paused[0].ms   # nothing left after the pause
    assert rop.events("resumed") == [] and rop.events("ignored") == []
    assert 1 not in [e.reply_id for e in rop.events("reply_done")]
    assert rop.replies                                                 # the barge-in got its reply
    assert heard_ms(crec) == pytest.approx(cut[0].ms + 100, abs=10)
    assert cut[0].ms < ANSWER.size / 16


def test_a_false_barge_in_resumes_and_the_caller_hears_the_rest(service):
    rop, crec = talk_over_greeting(service, "false-barge", espeak("mhm"))
    paused, resumed = rop.events("paused"), rop.events("resumed")
    assert len(paused) == 1 and paused[0].reply_id == 1
    report = paused[0].info["report"]
    assert report.dropped_ms > 0                                      # the pause cut queued audio
    assert len(resumed) == 1 and resumed[0].reply_id == 1
    assert resumed[0].ms == pytest.approx(report.dropped_ms, abs=1)   # ... which was pushed again
    assert [e.info["reason"] for e in rop.events("ignored")] == ["false_interruption"]
    assert rop.events("interrupted") == [] and rop.replies == []
    done = rop.events("reply_done")
    assert len(done) == 1 and done[0].reply_id == 1 and done[0].ms == pytest.approx(ANSWER.size / 16)
    assert_heard_whole_answer(crec)


def test_a_barge_in_whose_speaker_goes_quiet_on_the_wire_resumes(service):
    """The caller stops sending in the middle of "mhm" (left, or stopped its
    stream): the VAD never says stop, and after HOLD_SILENCE_MS without a
    frame from the caller the paused greeting resumes."""
    cut_off = espeak("mhm")[:800 * 16]          # paused (>= 200 ms of voice), never confirmed
    rop, crec = talk_over_greeting(service, "gone-quiet", cut_off)
    paused, resumed = rop.events("paused"), rop.events("resumed")
    assert len(paused) == 1 and len(resumed) == 1 and resumed[0].reply_id == 1
    assert rop.events("interrupted") == [] and rop.replies == []
    assert [e.reply_id for e in rop.events("reply_done")] == [1]
    assert_heard_whole_answer(crec)


def test_false_barge_in_without_resume_interrupts(service):
    rop, crec = talk_over_greeting(service, "no-resume", espeak("mhm"), resume_false_interruption=False)
    assert rop.events("paused") == [] and rop.events("resumed") == []
    cut = rop.events("interrupted")
    assert len(cut) == 1 and cut[0].reply_id == 1
    assert len(rop.replies) == 1                                      # "mhm" was taken as a turn
    assert heard_ms(crec) == pytest.approx(cut[0].ms + 100, abs=10)


def test_barge_in_parameters_are_checked():
    with pytest.raises(TypeError, match="min_interruption_ms must be a number"):
        ReplyOnPause(answer_chunks, min_interruption_ms="200")
    with pytest.raises(ValueError, match="min_interruption_ms must be in 0..10000"):
        ReplyOnPause(answer_chunks, min_interruption_ms=-1)
    with pytest.raises(ValueError, match="false_interruption_ms must be >= min_interruption_ms"):
        ReplyOnPause(answer_chunks, min_interruption_ms=400, false_interruption_ms=300)
    with pytest.raises(TypeError, match="min_interruption_dbfs"):
        ReplyOnPause(answer_chunks, min_interruption_dbfs="loud")
    with pytest.raises(ValueError, match="-100..0 dBFS"):
        ReplyOnPause(answer_chunks, min_interruption_dbfs=3)
    rop = ReplyOnPause(answer_chunks, min_interruption_ms=0, resume_false_interruption=False,
                       false_interruption_ms=0, min_interruption_dbfs=-30)
    assert rop.barge_in.min_interruption_dbfs == -30.0


@pytest.mark.parametrize("floor", [None, -30])
def test_min_interruption_dbfs_keeps_quiet_speech_from_interrupting(service, floor):
    """A far-away talker (the real barge-in's words 20 dB down): it interrupts
    with the VAD's own floor, not with min_interruption_dbfs=-30."""
    quiet = (espeak("hold on, I have a question about that") * 0.1).astype(np.int16)
    rop, crec = talk_over_greeting(service, f"quiet-{floor}", quiet, min_interruption_dbfs=floor)
    if floor is None:
        assert 1 in [e.reply_id for e in rop.events("interrupted")] and rop.replies
    else:
        assert rop.events("paused") == [] and rop.events("interrupted") == [] and rop.replies == []
        ignored = rop.events("ignored")                 # the VAD cuts it in one or two utterances
        assert ignored and all(e.info["reason"] == "too_short" for e in ignored)
        assert_heard_whole_answer(crec)


def test_reply_audio_tail_is_the_unheard_part():
    from agora_rtc.agent.reply_audio import ReplyAudio
    ra = ReplyAudio()
    a = np.arange(1600, dtype=np.int16).tobytes()             # 100 ms at 16 kHz
    b = np.arange(2400, dtype=np.int16).tobytes()             # 100 ms at 24 kHz
    ra.add(a, 16000, 1)
    ra.add(a, 16000, 1)
    assert ra.ms == pytest.approx(200)
    assert ra.tail(0, samples=0) == []
    assert ra.tail(150, samples=2401) == [(a[-2 * 801:], 16000, 1), (a, 16000, 1)]   # sample-exact
    assert ra.tail(500) == [(a, 16000, 1), (a, 16000, 1)]                        # all of it
    ra.add(b, 24000, 1)                                       # mixed rates: cut by ms per segment
    assert ra.tail(150, samples=1) == [(a[-2 * 800:], 16000, 1), (b, 24000, 1)]
    ra.clear()
    assert ra.ms == 0 and ra.tail(100) == []
