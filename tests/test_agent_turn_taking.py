"""ReplyOnPause on the local network with recorded speech (examples/assets)."""
import asyncio
import threading

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.agent import ReplyOnPause, pcm_chunk
from conftest import asset_pcm, barrier, join

QUESTION, ANSWER, BARGE_IN = (asset_pcm(n) for n in ("caller_question.wav", "agent_answer.wav",
                                                     "caller_barge_in.wav"))


def ceil10(ms):
    return -(-round(ms) // 10) * 10


def reference_utterances(pcm):
    """What the standalone VAD (same C code) finds in ``pcm`` followed by silence."""
    x = np.concatenate([pcm, np.zeros(16000, np.int16)])
    vad = ar.AudioVadV2()
    states = [vad.process(x[i:i + 160].tobytes(), 16000, 1)[0] for i in range(0, x.size - 159, 160)]
    return states.count(3)


def answer_chunks(rate=16000, step=1600):
    for i in range(0, ANSWER.size, step):
        yield rate, ANSWER[i:i + step][np.newaxis, :]


def heard_ms(rec, uid="agent"):
    return len(rec.pcm(uid)) / 2 / 16000 * 1000


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_voice_activity_interrupts_and_last_reply_completes(service, kind):
    received = []
    if kind == "sync":
        def reply(audio):
            received.append(audio)
            yield from answer_chunks()
    else:
        async def reply(audio):
            received.append(audio)
            for chunk in answer_chunks():
                await asyncio.sleep(0)
                yield chunk
    agent, _ = join(service, "turns", "agent", record=False)
    caller, crec = join(service, "turns", "caller")
    rop = ReplyOnPause(reply).start(agent)
    try:
        assert caller.push_audio_pcm_data(QUESTION, 16000, 1) == 0
        rop.wait_for("reply_done", 1, timeout=30)
        barrier(agent, crec)
    finally:
        rop.stop()
    n_utt = reference_utterances(QUESTION)
    assert n_utt >= 2                                   # the question has two sentences
    assert len(rop.events("utterance")) == n_utt == len(received)
    for rate, arr in received:                          # the whole utterance, bytes as sent
        assert rate == 16000 and arr.shape[0] == 1 and arr.dtype == np.int16
        assert arr.size > 0 and arr.tobytes() in QUESTION.tobytes()
    assert [e.reply_id for e in rop.events("utterance")] == [e.reply_id for e in rop.events("reply_started")]
    interrupts = rop.events("interrupted")
    assert len(interrupts) == n_utt - 1                 # each later utterance cut the reply before it
    assert all(e.info["trigger"] == "voice" and e.user_id == "caller" for e in interrupts)
    done = rop.events("reply_done")
    assert len(done) == 1 and done[0].ms == pytest.approx(ANSWER.size / 16)
    # the caller heard exactly what left: the cut replies' sent_ms, then the whole last answer
    expected = sum(e.ms for e in interrupts) + ceil10(ANSWER.size / 16)
    assert heard_ms(crec) == pytest.approx(expected, abs=10 * len(interrupts) + 1)
    assert not rop.replying and agent.is_push_to_rtc_completed()


def test_async_replies_can_run_on_the_application_loop(service):
    agent, _ = join(service, "app-loop", "agent", record=False)
    caller, crec = join(service, "app-loop", "caller")

    async def app():
        loop = asyncio.get_running_loop()
        ready = asyncio.Queue()            # bound to the application's loop
        seen_loops = []

        async def reply(audio):
            seen_loops.append(asyncio.get_running_loop())
            await ready.put(audio[1].shape[1])
            for chunk in answer_chunks():
                yield chunk

        rop = ReplyOnPause(reply, loop=loop).start(agent)
        caller.push_audio_pcm_data(BARGE_IN, 16000, 1)
        n = await asyncio.wait_for(ready.get(), 20)          # the reply ran here, on this loop
        await loop.run_in_executor(None, rop.wait_for, "reply_done", 1, 30)
        await loop.run_in_executor(None, rop.stop)
        return rop, seen_loops, n, loop
    rop, seen_loops, n, loop = asyncio.run(app())
    assert seen_loops and all(lp is loop for lp in seen_loops)
    assert n == round(rop.events("utterance")[0].ms * 16)
    assert len(rop.events("reply_done")) == 1


def test_can_interrupt_false_plays_whole_reply_and_ignores_speech(service):
    agent, _ = join(service, "no-barge", "agent", record=False)
    caller, crec = join(service, "no-barge", "caller")
    rop = ReplyOnPause(lambda audio: answer_chunks(), can_interrupt=False).start(agent)
    try:
        caller.push_audio_pcm_data(QUESTION, 16000, 1)
        n_utt = reference_utterances(QUESTION)
        rop.wait_for("reply_done", 1, timeout=30)
        rop.wait_for("ignored", n_utt - 1, timeout=30)
        barrier(agent, crec)
    finally:
        rop.stop()
    assert rop.events("interrupted") == []
    assert len(rop.events("reply_done")) == 1 and len(rop.events("utterance")) == 1
    assert heard_ms(crec) == ceil10(ANSWER.size / 16)


def test_startup_fn_and_asr_interrupt_mode(service):
    hold = threading.Event()

    def greeting():
        yield 16000, ANSWER[:3200]          # 200 ms, then wait for the test
        hold.wait(20)
        yield 16000, ANSWER[3200:]

    replies = []

    def reply(audio, user_id):
        replies.append(user_id)
        yield 16000, ANSWER[:1600]

    agent, _ = join(service, "asr-mode", "agent", record=False)
    caller, crec = join(service, "asr-mode", "caller")
    rop = ReplyOnPause(reply, startup_fn=greeting, interrupt_on="asr", pass_user_id=True,
                       asr_filter=lambda uid, text: text.strip().lower() not in ("um", "uh"))
    rop.start(agent)
    try:
        started = rop.wait_for("reply_started", 1)
        assert started[0].info == "startup"
        caller.push_audio_pcm_data(BARGE_IN, 16000, 1)
        rop.wait_for("utterance", 1, timeout=20)
        # voice alone does not interrupt in "asr" mode: the greeting is still active
        assert rop.events("interrupted") == [] and rop.replying
        assert rop.on_asr_text("caller", "   ") is False        # no text yet
        assert rop.on_asr_text("caller", "um") is False         # vetoed by asr_filter
        assert rop.on_asr_text("caller", "wait, stop") is True
        assert rop.on_asr_text("caller", "wait, stop") is False  # nothing left to interrupt
        hold.set()
        ev = rop.wait_for("interrupted", 1)[0]
        assert ev.info["trigger"] == "asr" and ev.reply_id == started[0].reply_id
        n_utt = reference_utterances(BARGE_IN)
        rop.wait_for("reply_done", n_utt, timeout=30)       # each utterance got its reply after
        barrier(agent, crec)
    finally:
        hold.set()
        rop.stop()
    assert replies == ["caller"] * n_utt
    # the greeting stopped at the interrupt: the caller heard its first 200 ms, then the replies
    assert ev.ms == 200
    assert heard_ms(crec) == 200 + 100 * n_utt


def test_replies_queued_behind_a_slow_reply_are_skipped_when_talked_over(service):
    hold = threading.Event()
    calls = []

    def reply(audio):
        calls.append(audio[1].shape[1])
        if len(calls) == 1:
            hold.wait(20)                   # a slow LLM: the worker is stuck in the first reply
        yield from answer_chunks()

    agent, _ = join(service, "skips", "agent", record=False)
    caller, crec = join(service, "skips", "caller")
    rop = ReplyOnPause(reply).start(agent)
    padded = np.concatenate([QUESTION, np.zeros(-QUESTION.size % 160, np.int16)])
    # the question's last partial frame leaves padded (the barge-in is pushed after it
    # has left), then the barge-in: the agent's VAD sees exactly these frames
    n_utt = reference_utterances(np.concatenate([padded, BARGE_IN]))
    try:
        caller.push_audio_pcm_data(QUESTION, 16000, 1)
        rop.wait_for("utterance", reference_utterances(QUESTION), timeout=20)
        assert caller.wait_push_completed(10)
        caller.push_audio_pcm_data(BARGE_IN, 16000, 1)     # talks over the reply still queued
        rop.wait_for("utterance", reference_utterances(QUESTION) + 1, timeout=20)
        hold.set()
        rop.wait_for("utterance", n_utt, timeout=20)
        rop.wait_for("reply_done", 1, timeout=30)
    finally:
        hold.set()
        rop.stop()
    started, skipped = rop.events("reply_started"), rop.events("skipped")
    assert len(rop.events("utterance")) == n_utt
    assert len(skipped) >= 1 and len(started) + len(skipped) == n_utt
    assert len(calls) == len(started)                     # skipped replies never ran
    assert rop.events("interrupted")[0].reply_id == 1 and rop.events("interrupted")[0].ms == 0
    assert len(rop.events("reply_done")) == 1 and rop.events("reply_done")[0].reply_id == n_utt


def test_reply_errors_are_reported_and_the_handler_keeps_going(service):
    calls = []

    def reply(audio):
        calls.append(1)
        if len(calls) == 1:
            yield 16000, "not audio"
        else:
            yield 16000, ANSWER[:1600]

    agent, _ = join(service, "errors", "agent", record=False)
    caller, crec = join(service, "errors", "caller")
    rop = ReplyOnPause(reply).start(agent)
    try:
        caller.push_audio_pcm_data(QUESTION, 16000, 1)
        err = rop.wait_for("error", 1, timeout=20)[0]
        assert isinstance(err.info, TypeError) and "numpy array or bytes" in str(err.info)
        rop.wait_for("reply_done", 1, timeout=20)
    finally:
        rop.stop()
    assert len(calls) >= 2


def test_reply_functions_that_are_not_generators(service):
    async def not_a_generator(audio):
        return None
    agent, _ = join(service, "shapes", "agent", record=False)
    caller, crec = join(service, "shapes", "caller")
    for fn, kind, match in [(lambda audio: 42, "error", "iterable of chunks"),
                            (not_a_generator, "error", "coroutine"),
                            (lambda audio: [(16000, ANSWER[:800])], "reply_done", None)]:
        rop = ReplyOnPause(fn, startup_fn=lambda: fn(None))
        with rop.start(agent):
            ev = rop.wait_for(kind, 1)[0]
        if match:
            assert isinstance(ev.info, TypeError) and match in str(ev.info)
        else:
            assert ev.ms == 50


def test_pcm_chunk_formats_and_bad_input():
    pcm, rate, ch = pcm_chunk((24000, np.array([[0.5, -1.5]])))
    assert (rate, ch) == (24000, 1) and np.frombuffer(pcm, np.int16).tolist() == [16383, -32767]
    st = np.array([[1, 2], [3, 4]], np.int16)
    assert np.frombuffer(pcm_chunk((16000, st))[0], np.int16).tolist() == [1, 3, 2, 4]
    assert pcm_chunk((16000, b"\x01\x00", "mono")) == (b"\x01\x00", 16000, 1)
    for bad, exc in [((16000,), TypeError), ([16000, b""], TypeError), ((16001, b""), ValueError),
                     ((16000, b"\x00"), ValueError), ((16000, np.zeros((3, 4), np.int16)), ValueError),
                     ((16000, np.zeros(4, np.int32)), TypeError), ((16000, np.array([np.nan])), ValueError),
                     ((True, b""), ValueError)]:
        with pytest.raises(exc):
            pcm_chunk(bad)


def test_constructor_and_start_reject_bad_arguments(service):
    with pytest.raises(TypeError, match="callable"):
        ReplyOnPause("nope")
    with pytest.raises(ValueError, match="interrupt_on"):
        ReplyOnPause(answer_chunks, interrupt_on="text")
    with pytest.raises(TypeError, match="AudioVadConfigV2"):
        ReplyOnPause(answer_chunks, vad_configure={})
    with pytest.raises(TypeError, match="event loop"):
        ReplyOnPause(answer_chunks, loop="loop")
    with pytest.raises(TypeError, match="startup_fn"):
        ReplyOnPause(answer_chunks, startup_fn=3)
    rop = ReplyOnPause(answer_chunks)
    with pytest.raises(TypeError, match="RTCConnection"):
        rop.start(object())
    with pytest.raises(TypeError, match="str"):
        rop.on_asr_text("u", b"bytes")
    assert rop.interrupt() is False
    agent, _ = join(service, "twice", "agent", record=False)
    with rop.start(agent):
        with pytest.raises(RuntimeError, match="already started"):
            rop.start(agent)
