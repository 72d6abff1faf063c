"""StreamHandler / AsyncStreamHandler and AdditionalOutputs on the local network."""
import asyncio
import queue
import threading

import numpy as np
import pytest

from agora_rtc.agent import (AdditionalOutputs, AsyncStreamHandler, ReplyOnPause, StreamHandler,
                             wait_for_item)
from conftest import asset_pcm, barrier, join, wait_until

QUESTION, ANSWER, BARGE_IN = (asset_pcm(n) for n in ("caller_question.wav", "agent_answer.wav",
                                                     "caller_barge_in.wav"))


class EchoHandler(StreamHandler):
    """The guide's echo handler, recording what receive got."""

    def __init__(self):
        super().__init__(input_sample_rate=16000)
        self.queue = queue.Queue()
        self.received = []

    def receive(self, frame):
        self.received.append(frame)
        self.queue.put(frame)

    def emit(self):
        try:
            return self.queue.get_nowait()
        except queue.Empty:
            return None

    def copy(self):
        return EchoHandler()


class AsyncEchoHandler(AsyncStreamHandler):
    def __init__(self):
        super().__init__(input_sample_rate=16000)
        self.queue = asyncio.Queue()
        self.received = []

    async def receive(self, frame):
        self.received.append(frame)
        await self.queue.put(frame)

    async def emit(self):
        return await wait_for_item(self.queue)

    def copy(self):
        return AsyncEchoHandler()


@pytest.mark.parametrize("cls", [EchoHandler, AsyncEchoHandler])
def test_receive_sees_every_chunk_in_order_and_emit_reaches_the_caller(service, cls):
    template = cls()
    agent, _ = join(service, "echo", "agent", record=False)
    caller, crec = join(service, "echo", "caller")
    handler = template.start(agent)
    try:
        assert handler is not template and handler.running and not template.running
        assert caller.push_audio_pcm_data(QUESTION, 16000, 1) == 0
        padded = QUESTION.size + (-QUESTION.size % 160)
        crec.wait_samples("agent", padded * 2, timeout=30)
        barrier(agent, crec)
    finally:
        handler.stop()
    assert not handler.running and handler.errors == [] and handler.dropped_frames == 0
    frames = handler.received
    assert all(rate == 16000 and arr.shape == (1, 160) and arr.dtype == np.int16 for rate, arr in frames)
    got = np.concatenate([arr[0] for _, arr in frames])
    # every chunk, in order: the question, its last partial frame padded with silence
    assert got.size == padded and np.array_equal(got[:QUESTION.size], QUESTION)
    assert not got[QUESTION.size:].any()
    assert handler.current_user_id == "caller"
    # what emit returned is what the caller heard, byte for byte
    assert crec.pcm("agent") == got.tobytes()
    assert handler.emitted_ms == pytest.approx(padded / 16)


class LongAnswer(StreamHandler):
    """Emits one long chunk; after clear_queue, a short second one."""

    def __init__(self):
        super().__init__()
        self.step = 0
        self.cleared = threading.Event()

    def receive(self, frame):
        pass

    def emit(self):
        if self.step == 0:
            self.step = 1
            return 16000, ANSWER
        if self.step == 1 and self.cleared.is_set():
            self.step = 2
            return 16000, np.full((1, 1600), 1000, np.int16)
        return None

    def copy(self):
        return LongAnswer()


def test_clear_queue_drops_unsent_audio_and_emit_goes_on(service):
    agent, _ = join(service, "clear", "agent", record=False)
    caller, crec = join(service, "clear", "caller")
    with LongAnswer().start(agent, output_lead_ms=10) as handler:
        crec.wait_samples("agent", 3200 * 2, timeout=20)      # 200 ms of the answer heard
        assert handler.clear_queue() is True
        report = agent.last_interrupt
        handler.cleared.set()
        crec.wait_for(lambda: crec.pcm("agent").endswith(np.full(1600, 1000, np.int16).tobytes()), 20)
        barrier(agent, crec)
    heard = np.frombuffer(crec.pcm("agent"), np.int16)
    # the caller heard the answer up to the interrupt, then the second chunk, nothing else
    assert report.dropped_ms > 0 and report.sent_ms + report.dropped_ms == pytest.approx(ANSWER.size / 16, abs=10)
    assert heard.size == report.sent_ms * 16 + 1600
    assert np.array_equal(heard[:report.sent_ms * 16], ANSWER[:report.sent_ms * 16])
    assert handler.emitted_ms == pytest.approx(report.sent_ms + 100, abs=1)


class ArgsHandler(StreamHandler):
    """start_up waits for the app's args; emit sends a chunk as long as they say."""
    copies = 0

    def __init__(self):
        super().__init__()
        self.started = threading.Event()
        self.sent = False

    def receive(self, frame):
        pass

    def start_up(self):
        self.wait_for_args_sync()
        self.started.set()

    def emit(self):
        if not self.started.is_set() or self.sent:
            return None
        self.sent = True
        return AdditionalOutputs("sent", list(self.latest_args)) if self.latest_args[0] is None else \
            (16000, np.ones(self.latest_args[1] * 16, np.int16))

    def copy(self):
        ArgsHandler.copies += 1
        return ArgsHandler()


def test_copy_per_connection_start_up_and_args(service):
    a1, _ = join(service, "args", "agent1", record=False)
    a2, _ = join(service, "args", "agent2", record=False)
    caller, crec = join(service, "args", "caller")
    template = ArgsHandler()
    outputs = []
    h1 = template.start(a1)
    h2 = template.start(a2, phone_mode=True, on_additional_outputs=outputs.append)
    try:
        assert ArgsHandler.copies == 2 and h1 is not h2
        assert h2.started.wait(10) and h2.latest_args == [None]       # phone mode: no inputs to wait for
        assert not h1.started.is_set() and h1.latest_args == []
        h1.set_args(250)
        assert h1.started.wait(10) and h1.latest_args == ["__webrtc_value__", 250]
        crec.wait_samples("agent1", 250 * 16 * 2, timeout=10)
        h2.set_args(7)                                                  # phone mode keeps [None]
        barrier(a1, crec)
    finally:
        h1.stop()
        h2.stop()
    assert crec.pcm("agent1") == np.ones(4000, np.int16).tobytes()
    assert "agent2" not in crec.frames                                  # emitted no audio...
    assert len(outputs) == 1 and outputs[0].args == ("sent", [None])   # ...but outputs
    assert h1.errors == [] and h2.errors == []


def test_async_wait_for_args():
    class H(AsyncStreamHandler):
        def copy(self):
            return H()

    h = H()

    async def main():
        waiter = asyncio.ensure_future(h.wait_for_args())
        await asyncio.sleep(0)
        assert not waiter.done()
        threading.Thread(target=h.set_args, args=("history", 3), daemon=True).start()
        await asyncio.wait_for(waiter, 10)
    asyncio.run(main())
    assert h.latest_args == ["__webrtc_value__", "history", 3]
    h.reset()
    assert h.wait_for_args_sync(0.01) is False


def test_additional_outputs_are_passed_to_the_next_reply(service):
    calls = []

    def reply(audio, history):
        calls.append(list(history))
        yield AdditionalOutputs(history + [audio[1].shape[1]])   # first: an interrupt cannot skip it
        yield 16000, ANSWER[:1600]

    agent, _ = join(service, "outputs", "agent", record=False)
    caller, crec = join(service, "outputs", "caller")
    rop = ReplyOnPause(reply, can_interrupt=False)
    rop.set_args([])
    rop.start(agent)
    try:
        for clip in (BARGE_IN, QUESTION):
            started = len(rop.events("reply_started"))
            caller.push_audio_pcm_data(clip, 16000, 1)
            rop.wait_for("reply_done", started + 1, timeout=30)
            assert caller.wait_push_completed(30)
    finally:
        rop.stop()
    outs = rop.events("outputs")
    assert len(calls) >= 2 and len(outs) == len(calls)
    # each call got the history the call before it yielded
    assert calls[0] == []
    for k in range(1, len(calls)):
        assert calls[k] == list(outs[k - 1].info.args[0])
    lengths = [e.ms * 16 for e in rop.events("utterance")]
    assert calls[-1] == [round(n) for n in lengths[:len(calls) - 1]]
    assert rop.latest_args == outs[-1].info.args


def test_bad_handlers_and_arguments(service):
    class NoCopy(StreamHandler):
        pass

    class SameCopy(StreamHandler):
        def receive(self, frame):
            pass

        def emit(self):
            return None

        def copy(self):
            return self

    class NoInit(StreamHandler):
        def __init__(self):
            pass

        def copy(self):
            return NoInit()

    agent, _ = join(service, "bad", "agent", record=False)
    with pytest.raises(NotImplementedError, match="copy"):
        NoCopy().start(agent)
    with pytest.raises(TypeError, match="super"):
        NoInit().start(agent)
    with pytest.raises(ValueError, match="input_sample_rate"):
        EchoHandler.__mro__[1](input_sample_rate=12345)
    with pytest.raises(ValueError, match="expected_layout"):
        StreamHandler(expected_layout="5.1")
    with pytest.raises(TypeError, match="RTCConnection"):
        EchoHandler().start(object())
    with pytest.raises(ValueError, match="output_lead_ms"):
        EchoHandler().start(agent, output_lead_ms=0)
    running = SameCopy().start(agent)
    try:
        with pytest.raises(RuntimeError, match="already running"):
            running.start(agent)
    finally:
        running.stop()
    assert EchoHandler().clear_queue() is False


class StuckReceiver(StreamHandler):
    def __init__(self):
        super().__init__(input_sample_rate=16000)
        self.release = threading.Event()
        self.received = []

    def receive(self, frame):
        self.release.wait(30)
        self.received.append(frame)

    def emit(self):
        return None

    def copy(self):
        return StuckReceiver()


def test_a_stuck_receive_keeps_the_newest_frames_within_the_bound(service):
    agent, arec = join(service, "stuck", "agent", record=False)
    caller, _ = join(service, "stuck", "caller")
    offered = -(-BARGE_IN.size // 160)
    with StuckReceiver().start(agent, max_queued_ms=100) as handler:     # 10 frames may wait
        caller.push_audio_pcm_data(BARGE_IN, 16000, 1)
        assert caller.wait_push_completed(30)
        barrier(caller, arec)                    # every frame reached the handler's queue
        dropped = handler.dropped_frames
        assert offered - 11 <= dropped <= offered - 10     # ten waiting (+ one in receive)
        handler.release.set()
        wait_until(lambda: len(handler.received) == offered - dropped, 30, what="the queued frames")
    assert handler.dropped_frames == dropped
    got = np.concatenate([arr[0] for _, arr in handler.received])
    padded = np.concatenate([BARGE_IN, np.zeros(-BARGE_IN.size % 160, np.int16)])
    assert np.array_equal(got[-1600:], padded[-1600:])      # the newest ten, in order
