"""StreamHandler / AsyncStreamHandler: fastrtc's low-level handler shape on a connection.

Subclass, implement ``receive(frame)``, ``emit()`` and ``copy()`` (and
optionally ``start_up()`` / ``shutdown()``), then ``handler.start(conn)``:
the template is copied (``copy()``, one instance per connection, as fastrtc
does per peer) and the copy runs on ``conn``:

- every 10 ms frame of the remote users' audio reaches ``receive`` as
  ``(input_sample_rate, int16 array of shape (channels, n))``, in order, on
  the handler's own thread (never the engine's delivery thread); frames wait
  in a bounded queue (``max_queued_ms``; beyond it the oldest are dropped and
  counted in ``dropped_frames``, so a stuck ``receive`` cannot grow memory);
- ``emit()`` is called in a loop on another thread (sync) or task (async)
  while less than ``output_lead_ms`` of audio is queued for sending; what it
  returns, ``(rate, array)`` as ReplyOnPause yields (see :func:`pcm_chunk`),
  is pushed with ``push_audio_pcm_data`` and paced out natively, 10 ms per
  tick. ``None`` means nothing yet (the loop asks again after ``poll_s``).
  An :class:`AdditionalOutputs` returned by ``emit`` goes to
  ``on_additional_outputs``;
- ``clear_queue()`` (fastrtc's name) drops the audio already pushed and not
  yet sent (``conn.interrupt_audio()``): the barge-in hook;
- ``start_up()`` runs once, on its own thread (async: a task), so it may run
  for the whole call (a connection to an LLM API); ``shutdown()`` at stop;
- ``wait_for_args_sync()`` / ``await wait_for_args()`` block until the
  application calls ``set_args(*args)`` (where fastrtc's browser UI sends
  its input components); ``latest_args`` is then ``["__webrtc_value__",
  *args]`` as in fastrtc. ``phone_mode=True`` (start argument) makes the
  waits return at once with ``latest_args == [None]``.

Exceptions raised by the handler's methods are logged and counted in
``errors``; the handler keeps running.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import threading
from typing import Any, Callable, List, Optional

import numpy as np

from agora_rtc.agent.additional_outputs import AdditionalOutputs
from agora_rtc.agent.turn_taking import pcm_chunk
from agora_rtc.observers import IAudioFrameObserver

__all__ = ["StreamHandler", "AsyncStreamHandler", "AdditionalOutputs", "wait_for_item"]

_log = logging.getLogger("agora_rtc.agent")
_INPUT_RATES = (8000, 16000, 24000, 32000, 44100, 48000)
_WEBRTC_VALUE = "__webrtc_value__"


async def wait_for_item(queue: asyncio.Queue, timeout: float = 0.1) -> Any:
    """The next item of ``queue``, or None after ``timeout`` s (fastrtc's helper
    for an ``emit`` that must not block for long)."""
    try:
        return await asyncio.wait_for(queue.get(), timeout)
    except asyncio.TimeoutError:
        return None


class _FrameObserver(IAudioFrameObserver):
    """Copies each remote frame into the handler's bounded queue (delivery thread)."""

    def __init__(self, runtime: "_Runtime"):
        self._runtime = runtime

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame,
                                              vad_result_state, vad_result_bytearray):
        arr = np.frombuffer(bytes(frame.buffer), dtype=np.int16)
        ch = frame.channels
        self._runtime.put_frame(uid, (frame.samples_per_sec, arr.reshape(-1, ch).T.copy()))


class _Runtime:
    """What a started handler owns: its connection, queue, threads and loop."""

    def __init__(self, handler, conn, max_frames, lead_ms, poll_s, on_outputs, loop):
        self.handler = handler
        self.conn = conn
        self.max_frames = max_frames
        self.lead_ms = lead_ms
        self.poll_s = poll_s
        self.on_outputs = on_outputs
        self.loop = loop
        self.cond = threading.Condition()
        self.frames: "collections.deque" = collections.deque()
        self.closed = False
        self.threads: List[threading.Thread] = []
        self.push_lock = threading.Lock()
        self.pushed_ms = 0.0
        self.rate = 0             # sample rate of the last push
        self.notify: Optional[Callable[[], None]] = None   # async handlers: wake the receive task

    def put_frame(self, uid, frame) -> None:
        with self.cond:
            if self.closed:
                return
            if len(self.frames) >= self.max_frames:
                self.frames.popleft()
                self.handler.dropped_frames += 1
                if self.handler.dropped_frames % 1000 == 1:
                    _log.warning("%s.receive cannot keep up: %d frames dropped so far (the oldest "
                                 "beyond max_queued_ms)", type(self.handler).__name__,
                                 self.handler.dropped_frames)
            self.frames.append((uid, frame))
            self.cond.notify_all()
            notify = self.notify
        if notify is not None:
            notify()

    def next_frame(self, timeout: Optional[float]):
        """(uid, frame), or None when closed (or after ``timeout``; 0: do not wait)."""
        with self.cond:
            if not self.frames and not self.closed and timeout != 0:
                self.cond.wait(timeout)
            if self.frames and not self.closed:
                return self.frames.popleft()
            return None

    def queued_ms(self) -> float:
        """Audio pushed and not yet sent (in the rate of the last push)."""
        if not self.rate:
            return 0.0
        return self.conn.get_send_stats()["queued_samples"] / self.rate * 1000.0

    def output(self, item) -> None:
        """Push what emit returned (None: nothing)."""
        if item is None:
            return
        if isinstance(item, AdditionalOutputs):
            if self.on_outputs is not None:
                self.on_outputs(item)
            return
        data, rate, ch = pcm_chunk(item)
        with self.push_lock:
            if self.closed:
                return
            rc = self.conn.push_audio_pcm_data(data, rate, ch, start_pts=int(self.pushed_ms))
            if rc != 0:
                raise RuntimeError(f"push_audio_pcm_data returned {rc}")
            self.pushed_ms += len(data) / (2 * ch) / rate * 1000.0
            self.rate = rate
            self.handler.emitted_ms = self.pushed_ms

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


class _HandlerBase:
    """What StreamHandler and AsyncStreamHandler share: arguments, args, lifecycle."""

    def __init__(self, expected_layout: str = "mono", output_sample_rate: int = 24000,
                 output_frame_size: Optional[int] = None, input_sample_rate: int = 48000):
        if expected_layout not in ("mono", "stereo"):
            raise ValueError(f'{type(self).__name__}: expected_layout must be "mono" or "stereo", '
                             f"got {expected_layout!r}")
        if input_sample_rate not in _INPUT_RATES:
            raise ValueError(f"{type(self).__name__}: input_sample_rate must be one of {_INPUT_RATES}, "
                             f"got {input_sample_rate!r}")
        self.expected_layout = expected_layout
        self.output_sample_rate = output_sample_rate
        self.output_frame_size = output_frame_size
        self.input_sample_rate = input_sample_rate
        self.latest_args: List[Any] = []
        self.phone_mode = False
        self.dropped_frames = 0      # frames dropped because receive fell behind
        self.errors: List[BaseException] = []
        self.emitted_ms = 0.0        # audio pushed so far
        self.current_user_id: Optional[str] = None   # whose frame receive() is handling
        self._args_cond = threading.Condition()
        self._args_set = False
        self._async_waiters: list = []
        self._runtime: Optional[_Runtime] = None

    # ---- the methods a subclass writes ----

    def copy(self):
        raise NotImplementedError(f"{type(self).__name__} must implement copy() "
                                  "(a fresh handler for each connection)")

    # ---- extra inputs ----

    def set_args(self, *args: Any) -> None:
        """The application's extra inputs: ``latest_args`` becomes
        ``["__webrtc_value__", *args]`` and the waits return."""
        with self._args_cond:
            self.latest_args = [_WEBRTC_VALUE, *args]
            self._args_set = True
            self._args_cond.notify_all()
            waiters, self._async_waiters = self._async_waiters, []
        for loop, fut in waiters:
            loop.call_soon_threadsafe(lambda f=fut: f.done() or f.set_result(None))

    def reset(self) -> None:
        """Forget the args: the next wait blocks until ``set_args`` again."""
        with self._args_cond:
            self._args_set = False

    def _args_ready(self) -> bool:
        if self.phone_mode:
            self.latest_args = [None]
            return True
        return self._args_set

    def wait_for_args_sync(self, timeout: Optional[float] = None) -> bool:
        """Block until ``set_args`` was called (at once in phone mode); False on timeout."""
        with self._args_cond:
            return self._args_cond.wait_for(self._args_ready, timeout)

    async def wait_for_args(self) -> None:
        """Await ``set_args`` (at once in phone mode)."""
        loop = asyncio.get_running_loop()
        with self._args_cond:
            if self._args_ready():
                return
            fut = loop.create_future()
            self._async_waiters.append((loop, fut))
        await fut

    # ---- running on a connection ----

    def start(self, conn, *, max_queued_ms: int = 10000, output_lead_ms: float = 200.0,
              poll_s: float = 0.01, phone_mode: bool = False,
              on_additional_outputs: Optional[Callable[[AdditionalOutputs], None]] = None,
              loop: Optional[asyncio.AbstractEventLoop] = None):
        """Copy this handler (``copy()``) and run the copy on ``conn`` (connected
        and publishing); returns the running copy (``stop()`` it, or use it as
        a context manager).

        ``max_queued_ms``: received audio that may wait for ``receive``;
        ``output_lead_ms``: ``emit`` is called only while less than this is
        queued for sending; ``poll_s``: how soon ``emit`` is asked again after
        it returned None; ``loop`` (AsyncStreamHandler): run on this event
        loop instead of the handler's own (then call ``stop()`` off that loop,
        e.g. ``await loop.run_in_executor(None, handler.stop)``). A sync
        ``emit`` may block (it has its own thread), but ``stop()`` waits up to
        10 s for it to return."""
        name = type(self).__name__
        if not hasattr(conn, "register_audio_frame_observer") or not hasattr(conn, "interrupt_audio"):
            raise TypeError(f"{name}.start: conn must be an RTCConnection, got {type(conn).__name__}")
        if isinstance(max_queued_ms, bool) or not isinstance(max_queued_ms, int) or not 10 <= max_queued_ms <= 600000:
            raise ValueError(f"{name}.start: max_queued_ms must be an int in 10..600000, got {max_queued_ms!r}")
        if not isinstance(output_lead_ms, (int, float)) or not 10 <= output_lead_ms <= 60000:
            raise ValueError(f"{name}.start: output_lead_ms must be in 10..60000, got {output_lead_ms!r}")
        if not isinstance(poll_s, (int, float)) or not 0 < poll_s <= 1:
            raise ValueError(f"{name}.start: poll_s must be in (0, 1] seconds, got {poll_s!r}")
        if on_additional_outputs is not None and not callable(on_additional_outputs):
            raise TypeError(f"{name}.start: on_additional_outputs must be callable")
        if loop is not None and not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"{name}.start: loop must be an asyncio event loop, got {type(loop).__name__}")
        if not hasattr(self, "_args_cond"):
            raise TypeError(f"{name}: call super().__init__() in your __init__")
        inst = self.copy()
        if not isinstance(inst, _HandlerBase) or not hasattr(inst, "_args_cond"):
            raise TypeError(f"{name}.copy() must return a new {name} (initialised with super().__init__()), "
                            f"got {type(inst).__name__}")
        if inst._runtime is not None:
            raise RuntimeError(f"{name}.copy() returned a handler that is already running: return a new one")
        inst.phone_mode = bool(phone_mode)
        channels = 1 if inst.expected_layout == "mono" else 2
        rc = conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(channels, inst.input_sample_rate)
        if rc != 0:
            raise RuntimeError(f"{name}.start: setting the input format returned {rc}")
        max_frames = max(1, max_queued_ms // 10)
        inst._runtime = _Runtime(inst, conn, max_frames, float(output_lead_ms), float(poll_s),
                                 on_additional_outputs, loop)
        inst._launch()
        rc = conn.register_audio_frame_observer(_FrameObserver(inst._runtime))
        if rc != 0:
            inst.stop()
            raise RuntimeError(f"{name}.start: register_audio_frame_observer returned {rc}")
        return inst

    def clear_queue(self) -> bool:
        """Drop the audio pushed and not yet sent (``conn.interrupt_audio()``);
        False when not running."""
        rt = self._runtime
        if rt is None:
            return False
        with rt.push_lock:
            rt.conn.interrupt_audio()
            self.emitted_ms = rt.pushed_ms = max(0.0, rt.pushed_ms - rt.conn.last_interrupt.dropped_ms)
        return True

    @property
    def running(self) -> bool:
        return self._runtime is not None and not self._runtime.closed

    def stop(self) -> None:
        """Unregister, end the threads, call ``shutdown()``, drop unsent audio."""
        rt = self._runtime
        if rt is None or rt.closed:
            return
        try:
            rt.conn.unregister_audio_frame_observer()
        except Exception:   # the connection may already be released
            pass
        rt.close()
        with self._args_cond:       # wake waits for args: the handler is going away
            waiters, self._async_waiters = self._async_waiters, []
        for loop, fut in waiters:
            loop.call_soon_threadsafe(lambda f=fut: f.done() or f.cancel())
        self._finish(rt)
        try:
            rt.conn.interrupt_audio()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def _failed(self, what: str, exc: BaseException) -> None:
        _log.error("%s.%s raised: %r", type(self).__name__, what, exc, exc_info=exc)
        self.errors.append(exc)


class StreamHandler(_HandlerBase):
    """fastrtc's StreamHandler: sync ``receive`` / ``emit`` / ``start_up`` /
    ``shutdown``. ``emit`` should not block for long (return None when
    nothing is ready); ``receive`` runs on a thread of its own."""

    def receive(self, frame) -> None:
        raise NotImplementedError

    def emit(self):
        raise NotImplementedError

    def start_up(self) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def _launch(self) -> None:
        rt = self._runtime
        for target, label in ((self._receive_loop, "receive"), (self._emit_loop, "emit"),
                              (self._start_up_once, "start_up")):
            t = threading.Thread(target=target, name=f"agora_rtc-handler-{label}", daemon=True)
            rt.threads.append(t)
            t.start()

    def _start_up_once(self):
        try:
            self.start_up()
        except Exception as exc:
            self._failed("start_up", exc)

    def _receive_loop(self):
        rt = self._runtime
        while True:
            item = rt.next_frame(None)
            if item is None:
                return
            self.current_user_id = item[0]
            try:
                self.receive(item[1])
            except Exception as exc:
                self._failed("receive", exc)

    def _emit_loop(self):
        rt = self._runtime
        while not rt.closed:
            try:
                if rt.queued_ms() >= rt.lead_ms:
                    item = None
                else:
                    item = self.emit()
                    rt.output(item)
            except Exception as exc:
                self._failed("emit", exc)
                item = None
            if item is None:
                with rt.cond:
                    if not rt.closed:
                        rt.cond.wait(rt.poll_s)

    def _finish(self, rt):
        for t in rt.threads:
            if t is not threading.current_thread() and t.name != "agora_rtc-handler-start_up":
                t.join(10)
        try:
            self.shutdown()
        except Exception as exc:
            self._failed("shutdown", exc)


class AsyncStreamHandler(_HandlerBase):
    """fastrtc's AsyncStreamHandler: ``receive``, ``emit``, ``start_up`` and
    ``shutdown`` are coroutines, run on one event loop (the handler's own
    thread's, or the ``loop`` given to ``start``)."""

    async def receive(self, frame) -> None:
        raise NotImplementedError

    async def emit(self):
        raise NotImplementedError

    async def start_up(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _launch(self) -> None:
        rt = self._runtime
        if rt.loop is None:
            rt.own_loop = asyncio.new_event_loop()
            t = threading.Thread(target=rt.own_loop.run_forever, name="agora_rtc-handler-loop", daemon=True)
            rt.threads.append(t)
            t.start()
            loop = rt.own_loop
        else:
            rt.own_loop = None
            loop = rt.loop
        rt.main = asyncio.run_coroutine_threadsafe(self._main(), loop)

    async def _main(self):
        rt = self._runtime
        loop = asyncio.get_running_loop()
        rt.wake = asyncio.Event()
        rt.frames_ready = asyncio.Event()
        rt.notify = lambda: loop.call_soon_threadsafe(rt.frames_ready.set)
        rt.frames_ready.set()             # frames that came before this task started
        start_up = asyncio.ensure_future(self._guard("start_up", self.start_up()))
        receiver = asyncio.ensure_future(self._receive_loop(loop))
        try:
            while not rt.closed:
                item = None
                try:
                    if rt.queued_ms() < rt.lead_ms:
                        item = await self.emit()
                        rt.output(item)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    self._failed("emit", exc)
                    item = None
                if item is None:
                    try:
                        await asyncio.wait_for(rt.wake.wait(), rt.poll_s)
                    except asyncio.TimeoutError:
                        pass
        finally:
            receiver.cancel()
            start_up.cancel()
            await asyncio.gather(receiver, start_up, return_exceptions=True)
            await self._guard("shutdown", self.shutdown())

    async def _guard(self, what, coro):
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(what, exc)

    async def _receive_loop(self, loop):
        rt = self._runtime
        while True:
            item = rt.next_frame(0)
            if item is None:
                if rt.closed:
                    return
                rt.frames_ready.clear()
                item = rt.next_frame(0)      # one may have come between the check and the clear
                if item is None:
                    await rt.frames_ready.wait()
                    continue
            self.current_user_id = item[0]
            try:
                await self.receive(item[1])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed("receive", exc)

    def _finish(self, rt):
        loop = rt.own_loop or rt.loop

        def wake_all():
            for name in ("wake", "frames_ready"):
                if hasattr(rt, name):
                    getattr(rt, name).set()
        loop.call_soon_threadsafe(wake_all)
        try:
            rt.main.result(10)
        except Exception as exc:
            if not isinstance(exc, (asyncio.CancelledError, TimeoutError)):
                self._failed("run", exc)
        if rt.own_loop is not None:
            rt.own_loop.call_soon_threadsafe(rt.own_loop.stop)
            for t in rt.threads:
                t.join(10)
            rt.own_loop.close()

