"""ReplyOnPause: turn taking for a voice agent on one connection.

The connection's native VAD (``register_audio_frame_observer(..., enable_vad=1)``)
cuts each remote user's speech into utterances. When a user's turn is over, the
whole turn (pre-roll + speech, as ``(sample_rate, int16 array of shape (1, n))``)
is handed to your reply function, a sync or async generator that yields audio
``(sample_rate, array)``. Each yielded chunk is pushed at once with
``push_audio_pcm_data``; the engine paces it out natively, 10 ms per tick.

End of turn: at each VAD stop an end-of-turn detector (``end_of_turn=``,
see end_of_turn.py) says "turn over" or "wait"; while it waits, further
speech joins the same turn; ``max_turn_wait_ms`` after the stop the turn is
answered whatever it says. The default answers at the VAD stop.

Interruption (``can_interrupt=True``): when a user speaks while a reply is
active (being generated, or its audio still queued), the reply generator is
closed and ``conn.interrupt_audio()`` drops what is queued. Two triggers, as in
the Agora README:

- ``interrupt_on="voice"``: the VAD's start of speech, once the user has
  spoken ``min_interruption_ms`` of voice (see barge_in.py; shorter bursts,
  a cough or an "mm-hm", are "ignored" and get no reply). With
  ``resume_false_interruption`` the reply is first only paused (its queued
  audio dropped, the generator kept); if the speech ends before
  ``false_interruption_ms`` of voice, the part of the reply that was not
  heard is pushed again and the reply goes on ("resumed"), else it is
  interrupted. Replies still queued behind a slow one are dropped too
  (recorded as "skipped"): they answer speech the user has since talked over;
- ``interrupt_on="asr"``: only when your ASR reports text for that user
  through :meth:`ReplyOnPause.on_asr_text` (filters out coughs and keyboards,
  costs the ASR latency). ``asr_filter(user_id, text) -> bool`` may veto it.

Threads: the observer runs on the engine's delivery thread and only queues
work, interrupts, pauses and resumes (re-pushing a paused reply's unheard
part); a timer thread, started on the first turn an end-of-turn detector
holds, answers turns whose wait ran out; reply functions run on one worker thread owned by the
handler (async generators on that thread's own event loop), one reply at a
time. A lock orders "push a chunk" against "interrupt", so no chunk of an
interrupted reply is ever queued after the interrupt.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
import time
from typing import Any, Callable, Dict, List, NamedTuple, Optional

import numpy as np

from agora_rtc.agent.additional_outputs import AdditionalOutputs
from agora_rtc.agent.barge_in import FALSE, INTERRUPT, PAUSE, TOO_SHORT, BargeInFilter
from agora_rtc.agent.end_of_turn import AnswerAtVadStop, EndOfTurnDetector
from agora_rtc.agent.reply_audio import ReplyAudio
from agora_rtc.agent.turn_assembler import TurnAssembler
from agora_rtc.base.sample_rates import SUPPORTED_SAMPLE_RATES
from agora_rtc.observers import IAudioFrameObserver
from agora_rtc.voice_detection import AudioVadConfigV2

__all__ = ["ReplyOnPause", "TurnEvent", "pcm_chunk"]

_log = logging.getLogger("agora_rtc.agent")
_PUSH_RATES = SUPPORTED_SAMPLE_RATES
HOLD_SILENCE_MS = 1000   # a paused reply resumes when its barge-in's speakers send nothing this long


class TurnEvent(NamedTuple):
    """One entry of :attr:`ReplyOnPause.history`.

    kind: "utterance" (a user's turn ended; ``ms`` of speech handed to the reply
    function, ``reply_id`` the reply it will get, ``info`` the number of VAD
    utterances in the turn), "reply_started", "reply_done" (all of the reply's audio left;
    ``ms`` pushed), "interrupted" (``ms`` of the reply that had left, ``info``
    a dict: "report" the connection's InterruptReport, "trigger" "voice", "asr",
    "manual" or "stop"), "paused" (a voice barge-in stopped the reply's audio
    and may turn out false; ``ms`` of the reply that had left, ``info`` as
    for "interrupted"), "resumed" (the barge-in was false: ``ms`` of the reply
    pushed again), "ignored" (speech that got no reply; ``ms`` of it, ``info``
    a dict with "reason": "cannot_interrupt" (can_interrupt=False),
    "too_short" (shorter than min_interruption_ms while a reply played),
    "false_interruption" (a false barge-in; the reply resumed) or "stopped"
    (a turn still waiting for its end at stop()), or "no_stop_word"
    (ReplyOnStopWords: no wake phrase in it)), "stop_word" (ReplyOnStopWords
    heard its wake phrase; ``ms`` where it ended in the turn, ``info`` the
    StopWordHit), "outputs" (the reply
    yielded an :class:`AdditionalOutputs`; ``info`` it), "error" (the reply
    function or the end-of-turn detector raised; ``info`` the exception).
    """
    kind: str
    user_id: Optional[str]
    reply_id: int
    ms: float
    at: float          # time.monotonic()
    info: Any = None


def pcm_chunk(item) -> tuple:
    """Normalize one yielded item to ``(int16 interleaved bytes, rate, channels)``.

    Accepts ``(rate, array)`` or ``(rate, array, layout)`` as fastrtc does:
    array int16, or float in [-1, 1]; shape (n,), (1, n) or (2, n) (channels
    first), or bytes-like int16 mono."""
    if not isinstance(item, tuple) or len(item) not in (2, 3):
        raise TypeError("reply generators must yield (sample_rate, audio) tuples, "
                        f"got {type(item).__name__}")
    rate, audio = item[0], item[1]
    if isinstance(rate, bool) or not isinstance(rate, (int, np.integer)) or int(rate) not in _PUSH_RATES:
        raise ValueError(f"yielded sample_rate must be one of {_PUSH_RATES}, got {rate!r}")
    if isinstance(audio, (bytes, bytearray, memoryview)):
        if len(audio) % 2:
            raise ValueError(f"yielded PCM bytes must hold whole int16 samples, got {len(audio)} bytes")
        return bytes(audio), int(rate), 1
    if not isinstance(audio, np.ndarray):
        raise TypeError(f"yielded audio must be a numpy array or bytes, got {type(audio).__name__}")
    if audio.ndim == 1:
        arr, channels = audio[np.newaxis, :], 1
    elif audio.ndim == 2 and audio.shape[0] in (1, 2):
        arr, channels = audio, audio.shape[0]
    else:
        raise ValueError(f"yielded audio must have shape (n,), (1, n) or (2, n), got {audio.shape}")
    if arr.dtype == np.int16:
        pcm = arr
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError("yielded float audio contains NaN or inf")
        pcm = (np.clip(arr, -1.0, 1.0) * 32767.0).astype(np.int16)
    else:
        raise TypeError(f"yielded audio must be int16 or float, got dtype {arr.dtype}")
    return np.ascontiguousarray(pcm.T).tobytes(), int(rate), channels


class _Job(NamedTuple):
    reply_id: int
    user_id: Optional[str]
    audio: Optional[tuple]      # None: the startup function


class ReplyOnPause(IAudioFrameObserver):
    """Call ``fn`` with each user's whole utterance when they pause, stream
    its audio out, and cut it off when the user speaks again.

    Parameters
    ----------
    fn : callable
        ``fn((sample_rate, np.ndarray int16 of shape (1, n)))`` returning a
        generator or async generator of ``(sample_rate, array)`` chunks (see
        :func:`pcm_chunk`). With ``pass_user_id=True`` it is called as
        ``fn(audio, user_id)``. A yielded :class:`AdditionalOutputs` is not
        audio: its ``args`` are passed to the next call after the audio (and
        user id), ``fn(audio, *args)``, as fastrtc does (the chat-history
        pattern); :meth:`set_args` sets them before the first call.
    can_interrupt : bool, default True
        Let users interrupt a reply by speaking. When False, utterances heard
        while a reply is active are dropped and recorded as "ignored" events.
    startup_fn : callable, optional
        Called without arguments by :meth:`start`; its generator is played
        like a reply (a greeting), and is interruptible too.
    interrupt_on : {"voice", "asr"}, default "voice"
        What interrupts: the VAD's start of speech, or text reported to
        :meth:`on_asr_text`.
    asr_filter : callable, optional
        ``asr_filter(user_id, text) -> bool``; in "asr" mode, text for which
        it returns False does not interrupt (default: any non-blank text does).
    vad_configure : AudioVadConfigV2, optional
        The VAD used to detect utterances (default ``AudioVadConfigV2()``).
    min_interruption_ms : float, default 200
        ``interrupt_on="voice"``: ms of voice after the VAD's start of speech
        (which itself needs about 210 ms of voice with the default VAD) before
        a user's speech stops a reply; with 200 about half a second of speech
        in all, as LiveKit's default. Shorter bursts never stop it and get no
        reply. 0 stops it at the VAD's start of speech.
    min_interruption_dbfs : float, optional
        Only voice at least this loud (dBFS) counts towards
        ``min_interruption_ms`` (default: the VAD's own ``stopRmsThreshold``);
        raise it to keep quiet background talkers from interrupting.
    resume_false_interruption : bool, default True
        Stop a reply at ``min_interruption_ms`` by pausing it, and resume it
        where it was cut if the speech ends before ``false_interruption_ms``.
        False: interrupt at ``min_interruption_ms`` for good.
    false_interruption_ms : float, default 500
        ms of voice after the VAD's start of speech that make a barge-in real
        (>= ``min_interruption_ms``). Speech that ends before is a false
        barge-in (an "mm-hm", "yeah", a laugh): the reply resumes and the
        burst gets no reply. A short real "stop!" is also that short: use
        ``interrupt_on="asr"`` where that matters.
    end_of_turn : EndOfTurnDetector, optional
        Asked at each VAD stop whether the turn is over (default
        :class:`AnswerAtVadStop`: it always is, replies start at the VAD stop;
        :class:`ProsodyTurnDetector` is the native prosodic detector).
    max_turn_wait_ms : float, default 3000
        The longest ``end_of_turn`` may hold a turn after a VAD stop; then it
        is answered whatever the detector says.
    on_event : callable, optional
        Called with each :class:`TurnEvent` (from the delivery or worker thread).
    input_sample_rate : int, optional
        Set the connection's playback-before-mixing format to this rate (mono)
        at :meth:`start`, so turns arrive at it (fastrtc's argument); default:
        leave the format as the local user has it.
    loop : asyncio event loop, optional
        Run async reply generators on this loop (your application's, so they
        can use its sessions, queues and locks); the worker thread waits for
        each chunk. Without it they run on the worker's own loop. With a loop,
        call :meth:`stop` off that loop (``await loop.run_in_executor(None, rop.stop)``).
    """

    def __init__(self, fn: Callable, *, can_interrupt: bool = True,
                 startup_fn: Optional[Callable] = None, interrupt_on: str = "voice",
                 asr_filter: Optional[Callable[[str, str], bool]] = None,
                 vad_configure: Optional[AudioVadConfigV2] = None, pass_user_id: bool = False,
                 on_event: Optional[Callable[[TurnEvent], None]] = None,
                 loop: Optional[asyncio.AbstractEventLoop] = None,
                 min_interruption_ms: float = 200.0, min_interruption_dbfs: Optional[float] = None,
                 resume_false_interruption: bool = True, false_interruption_ms: float = 500.0,
                 end_of_turn: Optional[EndOfTurnDetector] = None, max_turn_wait_ms: float = 3000.0,
                 input_sample_rate: Optional[int] = None):
        if not callable(fn):
            raise TypeError(f"ReplyOnPause: fn must be callable, got {type(fn).__name__}")
        if startup_fn is not None and not callable(startup_fn):
            raise TypeError(f"ReplyOnPause: startup_fn must be callable, got {type(startup_fn).__name__}")
        if interrupt_on not in ("voice", "asr"):
            raise ValueError(f'ReplyOnPause: interrupt_on must be "voice" or "asr", got {interrupt_on!r}')
        if asr_filter is not None and not callable(asr_filter):
            raise TypeError("ReplyOnPause: asr_filter must be callable")
        if loop is not None and not isinstance(loop, asyncio.AbstractEventLoop):
            raise TypeError(f"ReplyOnPause: loop must be an asyncio event loop, got {type(loop).__name__}")
        if vad_configure is not None and not isinstance(vad_configure, AudioVadConfigV2):
            raise TypeError("ReplyOnPause: vad_configure must be an AudioVadConfigV2, "
                            f"got {type(vad_configure).__name__}")
        if end_of_turn is not None and not isinstance(end_of_turn, EndOfTurnDetector):
            raise TypeError("ReplyOnPause: end_of_turn must have a decide(turn) method "
                            f"(an EndOfTurnDetector), got {type(end_of_turn).__name__}")
        if isinstance(max_turn_wait_ms, bool) or not isinstance(max_turn_wait_ms, (int, float)):
            raise TypeError(f"ReplyOnPause: max_turn_wait_ms must be a number of ms, "
                            f"got {type(max_turn_wait_ms).__name__}")
        if not 0 <= max_turn_wait_ms <= 60000:
            raise ValueError(f"ReplyOnPause: max_turn_wait_ms must be in 0..60000 ms, got {max_turn_wait_ms}")
        if input_sample_rate is not None and input_sample_rate not in (8000, 16000, 24000, 32000, 44100, 48000):
            raise ValueError("ReplyOnPause: input_sample_rate must be one of 8000, 16000, 24000, 32000, "
                             f"44100, 48000, got {input_sample_rate!r}")
        self.input_sample_rate = input_sample_rate
        self.fn = fn
        self.can_interrupt = bool(can_interrupt)
        self.startup_fn = startup_fn
        self.interrupt_on = interrupt_on
        self.asr_filter = asr_filter
        self.vad_configure = vad_configure if vad_configure is not None else AudioVadConfigV2()
        vad = self.vad_configure
        self.barge_in = BargeInFilter(min_interruption_ms, min_interruption_dbfs, resume_false_interruption,
                                      false_interruption_ms, vad.stopVoiceProb, vad.stopRmsThreshold)
        self.end_of_turn = end_of_turn if end_of_turn is not None else AnswerAtVadStop()
        self.max_turn_wait_ms = float(max_turn_wait_ms)
        self.pass_user_id = bool(pass_user_id)
        self.on_event = on_event
        self.loop = loop
        self.history: List[TurnEvent] = []
        self._cond = threading.Condition()
        self._push_lock = threading.Lock()   # orders pushes of a reply against its interrupt
        self._turns: Optional[TurnAssembler] = None
        self._jobs: "queue.Queue[Optional[_Job]]" = queue.Queue()
        self._conn = None
        self._worker: Optional[threading.Thread] = None
        self._next_id = 0
        self._active_id = 0        # reply being generated or played (0: none)
        self._active_user = None   # whom it answers (None: the startup reply)
        self._left: Dict[str, int] = {}   # user who left -> last reply id queued before
        self._reply_pushed_ms = 0.0  # ms the active reply pushed (under _push_lock)
        self._cancelled_id = 0     # replies with an id <= this are cancelled (active or queued)
        self._held_by = set()      # users whose barge-in paused the active reply (may be false)
        self._held_id = 0          # the reply they paused
        self._reply_dropped_ms = 0.0   # ms of the active reply dropped by pauses
        self._hold_dropped_ms = 0.0    # what the current pause dropped (re-pushed on resume)
        self._hold_dropped_samples = 0
        self._held_heard_at = 0.0      # when a frame of a user in _held_by last arrived
        self._pauses = 0               # pauses so far (the worker checks none came between)
        self._reply_audio = ReplyAudio() if self.barge_in.resume_false_interruption else None
        self._args: tuple = ()             # extra arguments of the next call (AdditionalOutputs)

    # ---- lifecycle ----

    def start(self, conn) -> "ReplyOnPause":
        """Register on ``conn`` (its audio frame observer, with VAD), start the
        worker and play ``startup_fn``'s audio. The connection should be
        connected and publishing. Returns self."""
        if not hasattr(conn, "register_audio_frame_observer") or not hasattr(conn, "interrupt_audio"):
            raise TypeError(f"ReplyOnPause.start: conn must be an RTCConnection, got {type(conn).__name__}")
        if self._conn is not None:
            raise RuntimeError("ReplyOnPause.start: already started; call stop() first")
        if self.input_sample_rate is not None:
            rc = conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, self.input_sample_rate)
            if rc != 0:
                raise RuntimeError(f"ReplyOnPause.start: setting the input format returned {rc}")
        vad = self.vad_configure
        self._turns = TurnAssembler(self.end_of_turn, self.max_turn_wait_ms, vad.stopVoiceProb,
                                    vad.stopRmsThreshold, vad.preStartRecognizeCount + vad.startRecognizeCount,
                                    self._answer_turn, self._detector_failed)
        self.barge_in.forget()
        self._conn = conn
        self._worker = threading.Thread(target=self._run, name="agora_rtc-reply", daemon=True)
        self._worker.start()
        rc = conn.register_audio_frame_observer(self, 1, self.vad_configure)
        if rc != 0:
            self.stop()
            raise RuntimeError(f"ReplyOnPause.start: register_audio_frame_observer returned {rc}")
        listen = getattr(conn, "_add_user_left_listener", None)
        if listen is not None:
            listen(self._on_user_left)
        if self.startup_fn is not None:
            self._jobs.put(_Job(self._new_reply_id(), None, None))
        return self

    def stop(self) -> None:
        """Unregister the observer, interrupt the active reply and end the worker."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.unregister_audio_frame_observer()
        except Exception:  # the connection may already be released
            pass
        unlisten = getattr(conn, "_remove_user_left_listener", None)
        if unlisten is not None:
            unlisten(self._on_user_left)
        for uid, ms in self._turns.close():       # turns still waiting for their end
            self._record("ignored", uid, 0, ms, {"reason": "stopped"})
        self._interrupt(conn, None, "stop", True)
        self._jobs.put(None)
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(10)
        self._worker = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---- state ----

    @property
    def latest_args(self) -> tuple:
        """The extra arguments the next reply call gets (``fn(audio, *latest_args)``):
        the last :class:`AdditionalOutputs` a reply yielded, or what :meth:`set_args` set."""
        with self._cond:
            return self._args

    def set_args(self, *args) -> None:
        """Set the extra arguments of the next reply call (e.g. an empty chat history)."""
        with self._cond:
            self._args = args

    @property
    def replying(self) -> bool:
        """True while a reply is being generated or its audio is still queued."""
        with self._cond:
            return self._active_id != 0

    def events(self, kind: Optional[str] = None) -> List[TurnEvent]:
        with self._cond:
            return [e for e in self.history if kind is None or e.kind == kind]

    def wait_for(self, kind: str, count: int = 1, timeout: float = 10.0) -> List[TurnEvent]:
        """Block until ``count`` events of ``kind`` were recorded; return them.
        Raises TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [e for e in self.history if e.kind == kind]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"ReplyOnPause: {len(found)} of {count} {kind!r} events "
                                       f"after {timeout} s; history: {[e.kind for e in self.history]}")
                self._cond.wait(left)

    def _record(self, kind, user_id, reply_id, ms, info=None):
        ev = TurnEvent(kind, user_id, reply_id, float(ms), time.monotonic(), info)
        with self._cond:
            self.history.append(ev)
            self._cond.notify_all()
        if self.on_event is not None:
            try:
                self.on_event(ev)
            except Exception:
                _log.exception("ReplyOnPause on_event callback raised")

    # ---- interruption ----

    def _interrupt(self, conn, user_id, why, drop_queued) -> bool:
        """Cancel the active reply, and with ``drop_queued`` every reply still
        queued too. True if anything was cancelled."""
        with self._push_lock:
            with self._cond:
                active = self._active_id
                upto = self._next_id if drop_queued else active
                if upto <= self._cancelled_id:
                    return False            # nothing new to cancel
                self._cancelled_id = upto
                self._held_by.clear()
                self._held_id = 0
                self._cond.notify_all()
            if not active:
                return True                 # only queued replies: they will be skipped
            conn.interrupt_audio()
            report = conn.last_interrupt
            # a reply can span several send rounds (the queue may drain between
            # chunks, a false barge-in re-pushes its unheard part): what left of
            # it is what it pushed minus everything dropped
            left_ms = max(0.0, self._reply_pushed_ms - self._reply_dropped_ms - report.dropped_ms)
        self._record("interrupted", user_id, active, left_ms, {"report": report, "trigger": why})
        return True

    def _pause(self, conn, user_id) -> None:
        """A voice barge-in that may be false: drop the active reply's queued
        audio but keep the reply (its worker pushes nothing until resumed)."""
        with self._push_lock:
            with self._cond:
                active = self._active_id
                if not active or self._cancelled_id >= active:
                    return
                first = not self._held_by
                self._held_by.add(user_id)
                self._held_heard_at = time.monotonic()
                if not first:
                    return
                self._held_id = active
                self._pauses += 1
            before = conn.get_send_stats()["dropped_samples"]
            conn.interrupt_audio()
            report = conn.last_interrupt
            # the report's ms are floored: the engine's sample count cuts the tail exactly
            self._hold_dropped_samples = conn.get_send_stats()["dropped_samples"] - before
            self._reply_dropped_ms += report.dropped_ms
            self._hold_dropped_ms = report.dropped_ms
            left_ms = max(0.0, self._reply_pushed_ms - self._reply_dropped_ms)
        self._record("paused", user_id, active, left_ms, {"report": report, "trigger": "voice"})

    def _resume(self, conn, user_id) -> None:
        """The barge-in of ``user_id`` was false: when no other user still holds
        the reply, push its unheard part again and let the worker go on."""
        with self._push_lock:
            with self._cond:
                if user_id not in self._held_by:
                    return
                if len(self._held_by) > 1:          # someone else still talks over it
                    self._held_by.discard(user_id)
                    return
                rid = self._held_id
                live = rid == self._active_id and self._cancelled_id < rid
            repushed = 0.0
            if live:     # still held while the tail goes in: the worker cannot call it done
                tail = self._reply_audio.tail(self._hold_dropped_ms, self._hold_dropped_samples)
                pts = self._reply_audio.ms - self._hold_dropped_ms
                for data, rate, ch in tail:
                    rc = conn.push_audio_pcm_data(data, rate, ch, start_pts=int(pts + repushed))
                    if rc != 0:
                        _log.error("ReplyOnPause: re-pushing a resumed reply returned %d", rc)
                        break
                    repushed += len(data) / (2 * ch) / rate * 1000.0
                self._reply_pushed_ms += repushed
        if live:
            self._record("resumed", user_id, rid, repushed)
        with self._cond:
            self._held_by.discard(user_id)
            if not self._held_by:
                self._held_id = 0
            self._cond.notify_all()

    def user_left(self, user_id: str) -> None:
        """``user_id`` left the channel: their turn still waiting for its end and
        their replies not begun yet are dropped ("ignored" and "skipped" events
        with ``{"reason": "left"}``), a reply to them still playing is
        interrupted (trigger "left"), and a reply their barge-in held goes on.
        :meth:`start` calls it from the connection's on_user_left; call it
        yourself for a user you stop serving."""
        if not isinstance(user_id, str):
            raise TypeError(f"user_left: user_id must be a str, got {type(user_id).__name__}")
        turns, conn = self._turns, self._conn
        if turns is None or conn is None:
            return
        held_ms = turns.forget(user_id)
        self.barge_in.forget(user_id)
        if held_ms:
            self._record("ignored", user_id, 0, held_ms, {"reason": "left"})
        with self._cond:
            self._left[user_id] = self._next_id
            theirs = self._active_id != 0 and self._active_user == user_id
        if theirs:
            self._interrupt(conn, user_id, "left", False)
        else:
            self._resume(conn, user_id)

    def _on_user_left(self, user_id, reason) -> None:
        self.user_left(user_id)

    def interrupt(self) -> bool:
        """Interrupt the active reply now (e.g. from your own logic); False if
        there was none. Replies already queued still play."""
        conn = self._conn
        return bool(conn is not None and self._interrupt(conn, None, "manual", False))

    def on_asr_text(self, user_id: str, text: str) -> bool:
        """Report ASR text for ``user_id`` (the "asr" interrupt mode's hook).
        Interrupts the active reply when allowed (replies already queued, such
        as the one to the utterance this text came from, still play); returns
        True if it did."""
        if not isinstance(text, str):
            raise TypeError(f"on_asr_text: text must be a str, got {type(text).__name__}")
        if self.interrupt_on != "asr" or not self.can_interrupt or not text.strip():
            return False
        if self.asr_filter is not None and not self.asr_filter(user_id, text):
            return False
        conn = self._conn
        return bool(conn is not None and self._interrupt(conn, user_id, "asr", False))

    # ---- the observer (engine delivery thread) ----

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame,
                                              vad_result_state, vad_result_bytearray):
        state = vad_result_state
        conn = self._conn
        turns = self._turns
        if conn is None or turns is None or state is None or state < 0:
            return
        keep = True
        if self._held_by and uid in self._held_by:
            self._held_heard_at = time.monotonic()
        if self.can_interrupt and self.interrupt_on == "voice":
            verdict = self.barge_in.on_frame(uid, state, frame, state == 1 and self._busy())
            if verdict == PAUSE:
                self._pause(conn, uid)
            elif verdict == INTERRUPT:
                # a real barge-in: the active reply and any reply still queued
                # answer speech the user has now talked over
                self._interrupt(conn, uid, "voice", True)
            elif verdict in (TOO_SHORT, FALSE):
                keep = False
                self._record("ignored", uid, 0, turns.utterance_ms(uid, vad_result_bytearray),
                             {"reason": "too_short" if verdict == TOO_SHORT else "false_interruption"})
                if verdict == FALSE:
                    self._resume(conn, uid)
        elif state == 3 and not self.can_interrupt and self._busy():
            keep = False
            self._record("ignored", uid, 0, turns.utterance_ms(uid, vad_result_bytearray),
                         {"reason": "cannot_interrupt"})
        turns.on_frame(uid, frame, state, vad_result_bytearray, keep)

    def _busy(self) -> bool:
        with self._cond:
            return self._active_id != 0 or not self._jobs.empty()

    def _answer_turn(self, uid, rate, channels, pcm, utterances) -> None:
        """A turn is over (TurnAssembler, delivery or timer thread): queue its reply."""
        if not pcm:
            return
        audio = np.frombuffer(pcm, dtype=np.int16).reshape(-1, channels).T.copy()
        ms = audio.shape[1] / rate * 1000.0
        rid = self._new_reply_id()
        self._record("utterance", uid, rid, ms, utterances)    # before the worker can start it
        self._jobs.put(_Job(rid, uid, (rate, audio)))

    def _detector_failed(self, uid, exc) -> None:
        _log.error("ReplyOnPause: the end-of-turn detector failed: %r (the turn is answered)", exc)
        self._record("error", uid, 0, 0, exc)

    def _new_reply_id(self) -> int:
        with self._cond:
            self._next_id += 1
            return self._next_id

    # ---- the worker ----

    def _run(self):
        loop = asyncio.new_event_loop()
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                conn = self._conn
                if conn is None:
                    return
                self._play(conn, loop, job)
        finally:
            loop.close()

    def _run_async(self, own_loop, coro):
        """Run ``coro`` on the application's loop when one was given, else on the worker's."""
        if self.loop is None:
            return own_loop.run_until_complete(coro)
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def _wait_while_paused(self, conn, rid):
        """Block while a barge-in holds reply ``rid``. A hold whose speakers sent
        no frame for HOLD_SILENCE_MS (they left, or stopped sending mid-word)
        ends as a false barge-in: the reply resumes."""
        while True:
            with self._cond:
                if not self._held_by or self._cancelled_id >= rid:
                    return
                if time.monotonic() - self._held_heard_at < HOLD_SILENCE_MS / 1000.0:
                    self._cond.wait(0.1)
                    continue
                stale = list(self._held_by)
            for uid in stale:
                self._resume(conn, uid)

    def _cancelled(self, rid):
        with self._cond:
            return self._cancelled_id >= rid

    def _gone(self, job: _Job) -> bool:
        """The user this reply answers left after its turn (under _cond)."""
        upto = self._left.get(job.user_id) if job.user_id is not None else None
        return upto is not None and job.reply_id <= upto

    def _gate(self, job: _Job):
        """The audio the reply function gets for this turn, or None for no reply
        (ReplyOnStopWords overrides it; runs on the worker thread)."""
        return job.audio

    def _play(self, conn, loop, job: _Job):
        rid = job.reply_id
        with self._cond:
            gone = self._gone(job)
        if job.audio is not None and not gone and not self._cancelled(rid):
            try:
                audio = self._gate(job)
            except Exception as exc:   # e.g. the stop-word model failed: reported, not fatal
                _log.exception("ReplyOnPause: deciding whether to answer failed")
                self._record("error", job.user_id, rid, 0, exc)
                return
            if audio is None:
                return
            job = job._replace(audio=audio)
        with self._push_lock:
            with self._cond:
                gone = self._gone(job)
                # talked over (or stopped) before it began, or its user left
                skipped = self._cancelled_id >= rid or gone
                # users who left before this reply: nothing queued can answer them any more
                self._left = {u: upto for u, upto in self._left.items() if upto > rid}
                if not skipped:
                    self._active_id = rid
                    self._active_user = job.user_id
                    self._reply_pushed_ms = 0.0
                    self._reply_dropped_ms = 0.0
                    if self._reply_audio is not None:
                        self._reply_audio.clear()
        if skipped:
            self._record("skipped", job.user_id, rid, 0, {"reason": "left"} if gone else None)
            return
        self._record("reply_started", job.user_id, rid, 0, "startup" if job.audio is None else "reply")
        pushed_ms = 0.0
        gen = None
        try:
            args = self.latest_args
            if job.audio is None:
                gen = self.startup_fn()
            elif self.pass_user_id:
                gen = self.fn(job.audio, job.user_id, *args)
            else:
                gen = self.fn(job.audio, *args)
            is_async = inspect.isasyncgen(gen)
            if inspect.iscoroutine(gen):
                gen.close()   # an "async def" without yield: never awaited, say so plainly
                gen = None
                raise TypeError("the reply function must be a generator or async generator "
                                "(it returned a coroutine: use yield, not return)")
            if not is_async:
                try:
                    gen = iter(gen)          # a generator, or any iterable of chunks
                except TypeError:
                    raise TypeError("the reply function must return a generator, an async generator "
                                    f"or an iterable of chunks, got {type(gen).__name__}") from None
            while not self._cancelled(rid):
                try:
                    item = self._run_async(loop, gen.__anext__()) if is_async else next(gen)
                except (StopIteration, StopAsyncIteration):
                    break
                if isinstance(item, AdditionalOutputs):
                    with self._cond:
                        self._args = item.args
                    self._record("outputs", job.user_id, rid, pushed_ms, item)
                    continue
                data, rate, ch = pcm_chunk(item)
                rc = 0
                while True:
                    self._wait_while_paused(conn, rid)
                    with self._push_lock:
                        if self._cancelled(rid):
                            break
                        if self._held_by:
                            continue        # paused between the wait and the lock
                        rc = conn.push_audio_pcm_data(data, rate, ch, start_pts=int(pushed_ms))
                        if rc == 0:
                            pushed_ms += len(data) / (2 * ch) / rate * 1000.0
                            self._reply_pushed_ms += len(data) / (2 * ch) / rate * 1000.0
                            if self._reply_audio is not None:
                                self._reply_audio.add(data, rate, ch)
                        break
                if rc != 0:
                    raise RuntimeError(f"push_audio_pcm_data returned {rc}")
            # generated: wait until the audio has left (or the reply is interrupted);
            # a paused reply is not done: its unheard part may be pushed again
            done = False
            while not self._cancelled(rid):
                self._wait_while_paused(conn, rid)
                pauses = self._pauses
                if not conn.wait_push_completed(0.05):
                    continue
                with self._cond:   # done and "no longer active" in one step
                    if self._held_by or self._pauses != pauses:
                        continue   # paused (and maybe resumed) since: check again
                    done = self._cancelled_id < rid
                    if done:
                        self._active_id = 0
                    break
            if done:
                self._record("reply_done", job.user_id, rid, pushed_ms)
        except Exception as exc:  # the user's reply function (or bad yields): reported, not fatal
            _log.exception("ReplyOnPause: the reply function failed")
            self._record("error", job.user_id, rid, pushed_ms, exc)
        finally:
            if gen is not None:
                try:
                    if inspect.isasyncgen(gen):
                        self._run_async(loop, gen.aclose())
                    elif hasattr(gen, "close"):
                        gen.close()
                except Exception:
                    _log.exception("ReplyOnPause: closing the reply generator failed")
            with self._cond:
                if self._active_id == rid:
                    self._active_id = 0
                self._cond.notify_all()
