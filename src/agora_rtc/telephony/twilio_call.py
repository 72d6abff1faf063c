"""One phone call on a Twilio media stream: the caller as a user of a channel.

The call joins the channel of its endpoint as the caller's user on the
in-process network of the endpoint's service, so an agent in that channel
hears the caller like any browser user (on_user_joined, 10 ms frames with VAD
at the rate its observer asked for, on_user_left when the call ends):

- caller -> channel: each ``media`` payload (base64 mu-law 8 kHz) is decoded
  and pushed with ``push_audio_pcm_data``; the engine paces it out at 10 ms.
  The send queue is kept INBOUND_JITTER_MS ahead (see _caller_audio), so the
  chunks, arriving with the network's jitter, play as one stream.
- channel -> caller: the call hears the channel's other users (8 kHz mono
  frames, delivered on the event loop: ``dispatch="asyncio"``), mixes the
  frames of users who speak at once (frame_mixer.py), and sends each 10 ms as a ``media``
  message as it is heard, so Twilio's buffer holds little more than the
  network's delay.
- interrupt: a user of the channel calling ``interrupt_audio`` is reported
  through the service's interrupt notices (agora_rtc/interrupt_notices.py);
  the call then drops what it has not sent yet and sends ``clear``, which
  empties Twilio's buffer; frames of the interrupted audio still on their way
  to the call (cut before the interrupt: ``AudioFrame.send_time_us``) are
  dropped when they arrive.

Everything here runs on the event loop of the ASGI server; the engine's
threads only hand work to it (``call_soon_threadsafe``).
"""
from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from typing import TYPE_CHECKING, Callable, Dict, Optional

import numpy as np

import agora_rtc as ar
from agora_rtc.base.checks import check_id
from agora_rtc.telephony import twilio_messages as tm
from agora_rtc.telephony.frame_mixer import FrameMixer
from agora_rtc.telephony.mulaw import pcm16_to_ulaw, ulaw_to_pcm16

if TYPE_CHECKING:
    from agora_rtc.telephony.twilio_endpoint import TwilioMediaStreams

__all__ = ["TwilioCall", "TwilioCallObserver"]

_log = logging.getLogger("agora_rtc.telephony")

RATE = 8000                      # Twilio's media: 8 kHz mono mu-law
FRAME_BYTES = 2 * RATE // 100    # one 10 ms int16 frame
#: Outbound messages that may wait for a slow socket (3 s of 10 ms media); beyond it
#: the oldest media is dropped and counted (dropped_out_ms), marks and clears are kept.
MAX_OUTBOUND = 300
#: Caller audio that may wait in the caller's send queue. Twilio sends in real time;
#: a client sending much faster is refused rather than queued without bound.
MAX_CALLER_BACKLOG_MS = 10_000
JOIN_TIMEOUT_S = 10.0
#: Caller audio kept in the send queue beyond the engine's start-of-round burst, to ride
#: out the network's jitter (Twilio sends 20 ms chunks in real time): the delay it adds.
INBOUND_JITTER_MS = 40
#: How long an interrupt's cut is remembered (frames older than it are long delivered).
CUT_MEMORY_US = 5_000_000


class TwilioCallObserver:
    """What telephony adds to a remote user; override what you need. Called on
    the event loop of the ASGI server: return quickly (hand slow work off)."""

    def on_call_started(self, call: "TwilioCall") -> None: ...
    def on_dtmf(self, call: "TwilioCall", digit: str) -> None: ...
    def on_mark(self, call: "TwilioCall", name: str) -> None: ...
    def on_call_ended(self, call: "TwilioCall", reason: str) -> None: ...


class _Joining(ar.IRTCConnectionObserver):
    """Resolves the join future from the delivery thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.result: asyncio.Future = loop.create_future()

    def _set(self, ok: bool) -> None:
        self.loop.call_soon_threadsafe(lambda: self.result.done() or self.result.set_result(ok))

    def on_connected(self, conn, info, reason):
        self._set(True)

    def on_connection_failure(self, conn, info, reason):
        self._set(False)


class _Hearing(ar.IAudioFrameObserver):
    """The channel's audio as the caller hears it (runs on the event loop)."""

    def __init__(self, call: "TwilioCall"):
        self.call = call

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame,
                                              vad_result_state, vad_result_bytearray):
        self.call._heard(uid, bytes(frame.buffer), frame.send_time_us)


class TwilioCall:
    """A call in progress. Attributes: ``stream_sid``, ``call_sid``,
    ``account_sid``, ``custom_parameters`` (from TwiML ``<Parameter>``s; the
    endpoint's TwiML passes ``From``, ``To`` and ``Direction``), ``user_id`` (the caller's id
    in the channel), ``channel_id``, ``connection`` (the caller's RTCConnection),
    ``digits`` (DTMF so far), ``stats`` (counters), ``ended`` (reason or None)."""

    def __init__(self, endpoint: "TwilioMediaStreams", send: Callable, loop: asyncio.AbstractEventLoop):
        self._endpoint = endpoint
        self._send = send
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self.stream_sid: Optional[str] = None
        self.call_sid: Optional[str] = None
        self.account_sid: Optional[str] = None
        self.custom_parameters: Dict[str, str] = {}
        self.user_id: Optional[str] = None
        self.channel_id: Optional[str] = None
        self.connection = None
        self.digits = ""
        self.ended: Optional[str] = None
        self.stats = {"media_in": 0, "media_out": 0, "outbound_track_ignored": 0, "dropped_out_ms": 0,
                      "clears": 0, "marks_sent": 0, "marks_echoed": 0, "dropped_interrupted": 0,
                      "dtmf_not_relayed": 0}
        self._connected_seen = False
        self._started = False                     # joined, observer told (on_call_ended follows)
        self._admitted = False                    # counted in the endpoint's max_calls
        self._outbound: "collections.deque[tuple[str, str]]" = collections.deque()   # (kind, text)
        self._queued_media = 0                    # media messages in _outbound
        self.close_requested = asyncio.Event()    # hang_up: the endpoint closes the socket
        self._wake = asyncio.Event()
        self._sender: Optional[asyncio.Task] = None
        self._closing: Optional[tuple] = None     # (code, reason) once the stream is to close
        self._unwatch: Optional[Callable] = None
        self._media_since_clear = False
        self._warned_drop = False
        self._mixer = FrameMixer(loop, self._send_heard)
        self._cut_before: Dict[str, int] = {}    # uid -> its last interrupt (monotonic us)
        self._held: list = []                     # caller audio waiting for a round to start
        self._held_samples = 0
        self._hold_ms = INBOUND_JITTER_MS

    # ---- for the application (any thread: from elsewhere they run on the loop) ----

    def send_mark(self, name: str) -> None:
        """Queue a mark after the audio this call has heard so far (frames the agent
        sent a few ms ago may still be on their way through the engine and follow
        the mark: ``stats["media_out"]`` counts the 10 ms frames forwarded); Twilio
        echoes it (observer ``on_mark``) when that audio has played, or at once on
        ``clear``."""
        if not isinstance(name, str) or not name:
            raise ValueError("send_mark: name must be a non-empty str")
        self._require_started("send_mark")
        if self._elsewhere(self.send_mark, name):
            return
        self._mixer.flush()
        self._enqueue("mark", tm.mark_message(self.stream_sid, name))
        self.stats["marks_sent"] += 1

    def clear(self) -> None:
        """Drop the audio not yet played: what waits here and what Twilio buffered."""
        self._require_started("clear")
        if self._elsewhere(self.clear):
            return
        self._mixer.drop()
        kept = [m for m in self._outbound if m[0] != "media"]
        self._outbound.clear()
        self._outbound.extend(kept)
        self._queued_media = 0
        self._enqueue("clear", tm.clear_message(self.stream_sid))
        self.stats["clears"] += 1
        self._media_since_clear = False

    def hang_up(self) -> None:
        """End the call: close the media stream (with ``<Connect><Stream>`` and no
        TwiML after it, Twilio then hangs up) and leave the channel. What was
        heard and not sent yet is sent first; to let the caller hear a goodbye
        to its end, hang up when the mark sent after it comes back."""
        if not self._elsewhere(self.hang_up):
            self._close(tm.CLOSE_NORMAL, "hang up")

    def _elsewhere(self, method, *args) -> bool:
        """Not on the loop's thread: run ``method`` there (True)."""
        if threading.get_ident() == self._loop_thread:
            return False
        self._loop.call_soon_threadsafe(method, *args)
        return True

    def _require_started(self, what: str) -> None:
        if self.stream_sid is None:
            raise ar.InvalidStateError(f"{what}: the stream has not started")

    # ---- the WebSocket side (endpoint) ----

    async def handle(self, event: str, message: dict) -> bool:
        """Take one message from Twilio; False when the stream stopped."""
        if event == "connected":
            if self._connected_seen or self.stream_sid is not None:
                raise tm.ProtocolError(tm.CLOSE_POLICY, "connected: expected only as the first message")
            self._connected_seen = True
            return True
        if event == "start":
            if self.stream_sid is not None:
                raise tm.ProtocolError(tm.CLOSE_POLICY, "start: the stream has already started")
            await self._start(tm.read_start(message))
            return True
        if event not in ("media", "dtmf", "mark", "stop"):
            raise tm.ProtocolError(tm.CLOSE_POLICY, f"unknown event {event[:32]!r} (expected connected, "
                                                    "start, media, dtmf, mark or stop)")
        if self.stream_sid is None:
            raise tm.ProtocolError(tm.CLOSE_POLICY, f"{event} before start")
        if message.get("streamSid") != self.stream_sid:
            raise tm.ProtocolError(tm.CLOSE_POLICY, f"{event}: streamSid is not this stream's")
        if event == "media":
            self._caller_audio(*tm.read_media_payload(message))
        elif event == "dtmf":
            digit = tm.read_dtmf_digit(message)
            self.digits += digit
            # the channel's agents hear the key as from a SIP caller: on_dtmf_received(caller,
            # key, 0) (Twilio does not say how long it was held); the local network carries it
            if self.connection._send_dtmf_event(tm.DTMF_KEYS.index(digit), 0) != 0:
                self.stats["dtmf_not_relayed"] += 1
            self._tell("on_dtmf", digit)
        elif event == "mark":
            name = tm.read_mark_name(message)
            self.stats["marks_echoed"] += 1
            self._tell("on_mark", name)
        else:  # stop
            self.ended = "stop"
            return False
        return True

    async def _start(self, start: tm.StreamStart) -> None:
        self._endpoint._admit(start)
        self._admitted = True
        self.stream_sid, self.call_sid, self.account_sid = start.stream_sid, start.call_sid, start.account_sid
        self.custom_parameters = start.custom_parameters
        endpoint = self._endpoint
        self.channel_id = endpoint._channel_for(start)
        candidates = [endpoint._identity_for(start)]
        if candidates[0] != start.call_sid and _valid_id(start.call_sid):
            candidates.append(start.call_sid)   # the same number calling twice: the call's own id
        for uid in candidates:
            if await self._join(uid):
                break
        else:
            raise tm.ProtocolError(tm.CLOSE_INTERNAL_ERROR,
                                   f"could not join channel {self.channel_id[:40]!r} as the caller")
        self._unwatch = endpoint.service.interrupt_notices.watch(self.channel_id, self._interrupt_notice)
        self._sender = asyncio.ensure_future(self._send_loop())
        endpoint._call_started(self)
        self._started = True
        self._tell("on_call_started")

    async def _join(self, uid: str) -> bool:
        svc = self._endpoint.service
        cfg = ar.RTCConnConfig(audio_subs_options=ar.AudioSubscriptionOptions(sample_rate_hz=RATE,
                                                                               number_of_channels=1))
        prefill = svc.get_agora_parameter().get_int("agora_rtc.prefill_ms") or 0   # the new connection's burst
        conn = svc.create_rtc_connection(cfg)
        joining = _Joining(self._loop)
        conn.register_observer(joining)
        conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, RATE)
        conn.register_audio_frame_observer(_Hearing(self), dispatch="asyncio", loop=self._loop)
        ok = False
        try:
            if conn.connect("", self.channel_id, uid) == 0:
                ok = await asyncio.wait_for(joining.result, JOIN_TIMEOUT_S)
        except asyncio.TimeoutError:
            ok = False
        except BaseException:       # cancelled (server shutdown) while joining: nothing may leak
            conn.release()
            raise
        if not ok or conn.publish_audio() != 0:
            conn.release()
            return False
        self.connection, self.user_id = conn, uid
        self._hold_ms = prefill + INBOUND_JITTER_MS
        return True

    def _caller_audio(self, track: str, ulaw: bytes) -> None:
        if track == "outbound":   # <Start><Stream track="both_tracks">: what the caller hears, not says
            self.stats["outbound_track_ignored"] += 1
            return
        if track != "inbound":
            raise tm.ProtocolError(tm.CLOSE_POLICY, f"media: track must be inbound or outbound, got {track[:16]!r}")
        if not ulaw:
            return
        conn = self.connection
        queued = conn.get_send_stats()["queued_samples"]
        if queued * 1000 // RATE > MAX_CALLER_BACKLOG_MS:
            raise tm.ProtocolError(tm.CLOSE_POLICY, f"media arrives faster than real time ({queued * 1000 // RATE} "
                                                    "ms waiting to be played into the channel)")
        pcm = ulaw_to_pcm16(ulaw)
        if queued == 0:
            # The send queue ran dry (the call's start, or a late chunk): hold the caller's audio
            # until the engine's start-of-round burst (prefill) plus INBOUND_JITTER_MS is here.
            # Pushed as it comes, each 20 ms chunk would start a round whose burst empties the
            # queue at once, and the listeners would hear silence (gap frames) between chunks.
            self._held.append(pcm)
            self._held_samples += pcm.size
            if self._held_samples * 1000 < (self._hold_ms) * RATE:
                return
            pcm = np.concatenate(self._held)
            self._held, self._held_samples = [], 0
        rc = conn.push_audio_pcm_data(pcm.tobytes(), RATE, 1)
        if rc != 0:
            raise tm.ProtocolError(tm.CLOSE_INTERNAL_ERROR, f"the caller's audio was refused ({rc})")
        self.stats["media_in"] += 1

    # ---- what the caller hears ----

    def _heard(self, uid: str, pcm: bytes, send_time_us: int) -> None:
        if self._closing is not None or len(pcm) != FRAME_BYTES:
            return
        if send_time_us < self._cut_before.get(uid, 0):   # cut before its sender's interrupt
            self.stats["dropped_interrupted"] += 1
            return
        self._mixer.add(uid, np.frombuffer(pcm, dtype=np.int16))

    def _send_heard(self, frame: np.ndarray) -> None:
        self._enqueue("media", tm.media_message(self.stream_sid, pcm16_to_ulaw(frame)))
        self.stats["media_out"] += 1
        self._media_since_clear = True

    def _interrupt_notice(self, uid: str, report) -> None:
        """Any thread (interrupt_notices), just after ``uid``'s interrupt_audio returned:
        every frame of the old audio was cut (AudioFrame.send_time_us, CLOCK_MONOTONIC)
        before now, and those still on their way to this call are dropped."""
        if uid != self.user_id:
            now_us = time.monotonic_ns() // 1000
            self._loop.call_soon_threadsafe(self._speaker_interrupted, uid, now_us)

    def _speaker_interrupted(self, uid: str, now_us: int) -> None:
        if self._closing is not None:
            return
        # remember the cut per speaker; older cuts concern no frame in flight any more
        self._cut_before = {u: t for u, t in self._cut_before.items() if now_us - t < CUT_MEMORY_US}
        self._cut_before[uid] = now_us
        self._mixer.drop(uid)
        if self._media_since_clear:
            self.clear()

    # ---- sending ----

    def _enqueue(self, kind: str, text: str) -> None:
        if self._closing is not None:
            return
        if kind == "media" and self._queued_media >= MAX_OUTBOUND:
            self._drop_oldest_media()
        self._outbound.append((kind, text))
        self._queued_media += kind == "media"
        self._wake.set()

    def _drop_oldest_media(self) -> None:
        for i, (kind, _) in enumerate(self._outbound):
            if kind == "media":
                del self._outbound[i]
                self._queued_media -= 1
                break
        self.stats["dropped_out_ms"] += 10
        if not self._warned_drop:
            self._warned_drop = True
            _log.warning("call %s: the media stream is not read fast enough; the oldest audio for the "
                         "caller is dropped (counted in stats['dropped_out_ms'])", self.call_sid)

    async def _send_loop(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                flush = self._closing is None or self._closing[0] == tm.CLOSE_NORMAL
                while self._outbound and flush:
                    kind, text = self._outbound.popleft()
                    self._queued_media -= kind == "media"
                    await self._send({"type": "websocket.send", "text": text})
                if self._closing is not None:
                    return
        except (OSError, RuntimeError, asyncio.CancelledError):   # the socket went away
            return

    def _close(self, code: int, reason: str) -> None:
        """Ask the endpoint to close the stream (any time; the first reason wins)."""
        if self._closing is None:
            self._closing = (code, reason)
            self._wake.set()
            self.close_requested.set()

    async def stop_sending(self, flush_timeout: float) -> None:
        """End the sender; on a normal close what it holds is sent first (at most
        ``flush_timeout`` s: a peer that does not read gets the close anyway)."""
        sender, self._sender = self._sender, None
        if sender is None:
            return
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(sender), flush_timeout)
        except asyncio.TimeoutError:
            pass
        sender.cancel()
        try:
            await sender
        except BaseException:
            pass

    # ---- end ----

    async def finish(self, reason: str) -> None:
        """Leave the channel (the agent gets on_user_left) and tell the observer."""
        if self.ended is None:
            self.ended = reason
        self._mixer.close()
        await self.stop_sending(0)
        if self._unwatch is not None:
            self._unwatch()
        conn, self.connection = self.connection, None
        if conn is not None:
            conn.unregister_audio_frame_observer()
            conn.disconnect()
            conn.release()
        if self._admitted:
            self._admitted = False
            self._endpoint._release()
        if self._started:
            self._endpoint._call_ended(self)
            self._tell("on_call_ended", self.ended)

    def _tell(self, method: str, *args) -> None:
        observer = self._endpoint.observer
        if observer is None:
            return
        try:
            getattr(observer, method)(self, *args)
        except Exception:
            _log.exception("%s.%s failed", type(observer).__name__, method)

    def __repr__(self):
        return f"TwilioCall(call_sid={self.call_sid!r}, user_id={self.user_id!r}, channel={self.channel_id!r})"


def _valid_id(value: str) -> bool:
    try:
        check_id("telephony", "user_id", value)
        return True
    except (TypeError, ValueError):
        return False
