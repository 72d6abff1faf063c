"""RTCConnection: join a channel, publish and push audio, hear remote users."""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Dict, Optional

from agora_rtc._core import _engine
from agora_rtc._lifecycle import ReleasedOnExit
from agora_rtc.base.checks import MAX_ID_BYTES, as_payload, check_choice, check_id, check_int
from agora_rtc.base.sample_rates import SUPPORTED_SAMPLE_RATES
from agora_rtc.agora_parameter import (AUDIO_FRAME_DISPATCH, CONNECTION_KEYS, MAX_BACKLOG_MS,
                                       MAX_QUEUED_FRAMES, STREAM_MESSAGE_RATE_LIMIT, AUDIO_PACKET_MS,
                                       OPUS_COMPLEXITY,
                                       AgoraParameter)
from agora_rtc.agora_base import (AudioCodecType, AudioVolumeInfo, EncodedAudioFrameInfo,
                                  RTCConnConfig, RTCConnInfo, RtcConnectionPublishConfig, VideoTrackInfo)
from agora_rtc.errors import (ERR_NOT_SUPPORTED, InvalidArgumentError, InvalidStateError, NotSupportedError,
                              ReleasedError)
from agora_rtc.local_user import LocalUser, RemoteAudioTrack, RemoteVideoTrack
from agora_rtc.stats import ConnectionStats
from agora_rtc.observers import (IAudioEncodedFrameObserver, IAudioFrameObserver,
                                 IRTCConnectionObserver, IRTCLocalUserObserver,
                                 IVideoEncodedFrameObserver, IVideoFrameObserver, forward_events)
from agora_rtc.voice_detection import AudioVadConfigV2
from agora_rtc import _video_validation as _vv

#: Rates push_audio_pcm_data accepts (the one table; kept under this name for its importers).
PCM_SAMPLE_RATES = SUPPORTED_SAMPLE_RATES
MAX_STREAM_MESSAGE_BYTES = 1024
MAX_AUDIO_METADATA_BYTES = 64
#: Through Janus, audio metadata is a data-channel message that begins with these
#: bytes (agora_rtc/rtp_transport.h AGORA_RTP_METADATA_TAG; 0xFF never starts UTF-8 text).
JANUS_METADATA_TAG = b"\xffamd"
#: Data streams per connection, the default stream (id 1) included.
MAX_DATA_STREAMS = 5
#: Stream-message limits per connection within any one second (Agora's documented
#: limits); above them send_stream_message returns ERR_TOO_OFTEN and sends nothing.
STREAM_MESSAGES_PER_SEC = 60
STREAM_BYTES_PER_SEC = 30 * 1024
DEFAULT_STREAM_ID = 1
#: Largest encoded audio packet push_audio_encoded_data accepts (bytes).
MAX_ENCODED_AUDIO_BYTES = 4000

_log = logging.getLogger("agora_rtc")


_PUSHED_AUDIO_CODECS = (AudioCodecType.AUDIO_CODEC_OPUS, AudioCodecType.AUDIO_CODEC_PCMA,
                        AudioCodecType.AUDIO_CODEC_PCMU, AudioCodecType.AUDIO_CODEC_G722,
                        AudioCodecType.AUDIO_CODEC_AACLC, AudioCodecType.AUDIO_CODEC_HEAAC,
                        AudioCodecType.AUDIO_CODEC_HEAAC2)
# decoded by FFmpeg's libavcodec, loaded at the first such packet
_LIBAV_AUDIO_CODECS = (AudioCodecType.AUDIO_CODEC_G722, AudioCodecType.AUDIO_CODEC_AACLC,
                       AudioCodecType.AUDIO_CODEC_HEAAC, AudioCodecType.AUDIO_CODEC_HEAAC2)
_AAC_RAW = ("(ADTS, or raw at info.sample_rate in one of AAC's rates with info.number_of_channels; "
            "a connection's raw packets keep the first one's format)")
_PACKET_EXPECTED = {
    AudioCodecType.AUDIO_CODEC_OPUS: "not a valid Opus packet lasting a multiple of 10 ms (10..120 ms)",
    AudioCodecType.AUDIO_CODEC_PCMA: "a G.711 packet holds whole samples of every channel",
    AudioCodecType.AUDIO_CODEC_PCMU: "a G.711 packet holds whole samples of every channel",
    AudioCodecType.AUDIO_CODEC_G722: "not a valid G.722 packet",
    AudioCodecType.AUDIO_CODEC_AACLC: f"not a valid AAC-LC access unit {_AAC_RAW}",
    AudioCodecType.AUDIO_CODEC_HEAAC: f"not a valid HE-AAC access unit {_AAC_RAW[:-1]}; raw HE-AAC: "
                                      "info.sample_rate is the output rate, twice the core's)",
    AudioCodecType.AUDIO_CODEC_HEAAC2: f"not a valid HE-AAC v2 access unit {_AAC_RAW[:-1]}; raw HE-AAC v2: "
                                       "info.sample_rate is the output rate, twice the core's, "
                                       "info.number_of_channels 2)",
}


@dataclass(frozen=True)
class InterruptReport:
    """What interrupt_audio() cut: ``sent_ms`` of the interrupted round had
    left, ``dropped_ms`` were dropped, ``last_presentation_ms`` is the
    presentation_ms of the last frame that left (-1 if none), so an agent can
    truncate its transcript to what the user heard."""
    sent_ms: int
    dropped_ms: int
    last_presentation_ms: int


def _resolve(fut, value):
    if not fut.done():
        fut.set_result(value)


def _overrides(observer, base, name):
    return observer is not None and getattr(type(observer), name, None) is not getattr(base, name)


def _check_observer(what, observer, base):
    if not isinstance(observer, base):
        raise TypeError(f"{what}: observer must be an instance of a {base.__name__} subclass, "
                        f"got {type(observer).__name__}")


class _ConnectionEvents(IRTCConnectionObserver):
    """Registered in the engine while the SDK listens to the connection (users leaving,
    the connection failing): calls the connection's listeners of the event, then
    forwards every event to the application's observer (read at each event, so
    registering another one takes effect at once)."""

    def __init__(self, conn):
        self._conn = conn

    @property
    def user_observer(self):
        return self._conn._app_conn_observer

    def _tell_listeners(self, event, *args):
        for fn in self._conn._listeners.get(event, ()):
            try:
                fn(*args)
            except Exception:
                _log.exception("a %s listener raised", event)

    def on_user_left(self, agora_rtc_conn, user_id, reason):
        self._tell_listeners("on_user_left", user_id, reason)
        obs = self.user_observer
        if obs is not None:
            obs.on_user_left(agora_rtc_conn, user_id, reason)

    def on_connection_failure(self, agora_rtc_conn, conn_info, reason):
        self._tell_listeners("on_connection_failure", reason)
        obs = self.user_observer
        if obs is not None:
            obs.on_connection_failure(agora_rtc_conn, conn_info, reason)


forward_events(_ConnectionEvents, IRTCConnectionObserver, skip=("on_user_left", "on_connection_failure"))


# ---- what the compiled Connection makes for Python (_engine.ConnectionFactories) ----

def _conn_info(id, channel_id, state, local_user_id, internal_uid):
    return RTCConnInfo(id=id, channel_id=channel_id, state=state,
                       local_user_id=local_user_id, internal_uid=internal_uid)


def _volume_info(user_id, volume, vad, voice_pitch):
    return AudioVolumeInfo(user_id=user_id, volume=volume, vad=vad, voice_pitch=voice_pitch)


def _encoded_audio_info(codec, sample_rate, channels, samples_per_channel, speech, capture_time_ms):
    return EncodedAudioFrameInfo(codec=AudioCodecType(codec), sample_rate=sample_rate,
                                 number_of_channels=channels,
                                 samples_per_channel=samples_per_channel, speech=speech,
                                 capture_time_ms=capture_time_ms)


def _video_track(user_id, channel_id, owner_uid, encoded_only):
    info = VideoTrackInfo(owner_uid=owner_uid, channel_id=channel_id,
                          encoded_frame_only=int(bool(encoded_only)))
    return info, RemoteVideoTrack(user_id)


# statistics ticks (delivery thread): nothing is gathered for an observer
# that does not override the callback
# (a tick racing release() gathers nothing instead of reporting an error)
def _transport_stats(conn, interval_ms, obs):
    if not _overrides(obs, IRTCConnectionObserver, "on_transport_stats"):
        return None
    try:
        return conn._stats.transport(conn, interval_ms)
    except InvalidStateError:  # ReleasedError, or destroyed while the tick ran
        return None


def _audio_track_stats(conn, interval_ms, obs):
    if not (_overrides(obs, IRTCLocalUserObserver, "on_local_audio_track_statistics") or
            _overrides(obs, IRTCLocalUserObserver, "on_remote_audio_track_statistics")):
        return None
    try:
        return conn._stats.audio_tracks(conn, interval_ms)
    except InvalidStateError:
        return None


def _slow_observer(conn, kind, obs, stats):
    """An observer's bounded queue dropped (at most every 10 s): name the observer
    that cannot keep up. kind: "audio" (frames) or "encoded_audio" (packets)."""
    channel, uid = conn._channel_and_user()
    if kind == "audio":
        _log.warning(
            "audio frame observer %s (connection %s/%s, dispatch=%s) cannot keep up: %d frames "
            "dropped so far (%d speaking frames whose VAD bytes were kept), %d ms behind, "
            "at most %d ms of audio per user waits; keep on_playback_audio_frame_before_mixing "
            "short and hand slow work to another thread or task",
            type(obs).__name__, channel, uid, stats.get("dispatch"), stats["dropped"], stats["merged"],
            stats["backlog_ms"], stats["backlog_limit_ms"])
    else:
        _log.warning(
            "encoded audio frame observer %s (connection %s/%s) cannot keep up: %d packets dropped "
            "so far, %d ms behind, at most %d ms of audio per user waits; keep "
            "on_encoded_audio_frame short and hand slow work to another thread or task",
            type(obs).__name__, channel, uid, stats["dropped"], stats["backlog_ms"],
            stats["backlog_limit_ms"])


_FACTORIES = _engine.ConnectionFactories(
    conn_info=_conn_info, volume_info=_volume_info, encoded_audio_info=_encoded_audio_info,
    remote_track=RemoteAudioTrack, video_track=_video_track, transport_stats=_transport_stats,
    audio_track_stats=_audio_track_stats,
    # delivery thread: the send queue drained; wake sync and asyncio waiters
    push_completed=lambda conn, round_ms: conn._wake_push_waiters(round_ms),
    slow_observer=_slow_observer)


class RTCConnection(_engine.Connection, ReleasedOnExit):
    """A connection to one channel. Create it with AgoraService.create_rtc_connection.

    Methods return 0 on success or a negative Agora error code for runtime
    conditions (e.g. ERR_NOT_READY when sending before on_connected); wrong
    arguments raise TypeError/ValueError and any call after release() raises
    ReleasedError. Usable as a context manager (release on exit).
    """

    def __init__(self, service, con_config: RTCConnConfig,
                 publish_config: Optional[RtcConnectionPublishConfig] = None):
        if not isinstance(con_config, RTCConnConfig):
            raise TypeError(f"con_config must be an RTCConnConfig, got {type(con_config).__name__}")
        con_config._validated()
        if publish_config is None:
            publish_config = RtcConnectionPublishConfig()
        if not isinstance(publish_config, RtcConnectionPublishConfig):
            raise TypeError("publish_config must be an RtcConnectionPublishConfig, "
                            f"got {type(publish_config).__name__}")
        publish_config._validated()
        subs = con_config.audio_subs_options
        self._app_conn_observer = None     # what register_observer was given
        self._listeners = {}               # the SDK's own listeners: event -> tuple (copy on write)
        self._drain_cond = threading.Condition()
        self._drain_waiters = []  # (loop, future) of push_completed() awaiters
        transport = getattr(service, "transport", None)
        self._janus = (transport if transport is not None and transport.scheme in ("janus", "janus+ws")
                       else None)
        self._link = None
        self._sip = getattr(service, "sip", None) if transport is not None and transport.scheme == "sip" else None
        #: the phone line on a sip:// transport (agora_rtc.sip.PhoneLine), else None
        self.phone = None
        args = [service, int(bool(con_config.auto_subscribe_audio)), int(con_config.client_role_type),
                int(con_config.channel_profile), int(subs.sample_rate_hz) or 16000,
                int(subs.number_of_channels) or 1]
        if self._janus is not None or self._sip is not None:
            args.append(1)  # AGORA_TRANSPORT_RTP: media over RTP, driven by the Janus link / SIP
        self._use_factories(_FACTORIES)
        self._native_open(*args)
        svc_config = getattr(service, "config", None)
        if svc_config is not None and svc_config.enable_apm:
            ns, agc = svc_config.apm_processing()
            self._set_audio_processing(ns, agc)
        if publish_config.send_external_audio_parameters is not None:
            self._set_incremental_send(*publish_config.send_external_audio_parameters._engine_args())
        self.con_config = con_config
        self.publish_config = publish_config
        self._local_user = LocalUser(self)
        self._parameter = AgoraParameter(CONNECTION_KEYS, self._take_alive,
                                         parent=service.get_agora_parameter(),
                                         apply=self._apply_parameter)
        self._set_stream_rate_limit(bool(self._parameter._value(STREAM_MESSAGE_RATE_LIMIT)))
        self._set_audio_packet_ms(int(self._parameter._value(AUDIO_PACKET_MS)))
        self._set_opus_complexity(int(self._parameter._value(OPUS_COMPLEXITY)))
        self.last_interrupt: Optional[InterruptReport] = None
        self._interrupt_notices = getattr(service, "interrupt_notices", None)
        self._stats = ConnectionStats()
        self._video = _engine.VideoPort(self, bool(con_config.auto_subscribe_video))
        # which remote users' video this connection takes, as the engine sees it
        # (the Janus link forwards a user's video only while it is wanted)
        self._video_all = bool(con_config.auto_subscribe_video)
        self._video_users: Dict[str, bool] = {}

    def _video_subscription_changed(self, user_id: Optional[str], subscribed: bool) -> None:
        """Mirror of the engine's video subscriptions (LocalUser.subscribe_video...)."""
        if user_id is None:      # subscribe_all / unsubscribe_all replace the per-user ones
            self._video_all = subscribed
            self._video_users = {}
        else:
            self._video_users[user_id] = subscribed
        link = self._link
        if link is not None:
            link.refresh_video()

    def _wants_video(self, user_id: str) -> bool:
        return self._video_users.get(user_id, self._video_all)

    def _wake_push_waiters(self, round_ms):
        with self._drain_cond:
            self._drain_cond.notify_all()
            waiters, self._drain_waiters = self._drain_waiters, []
        for loop, fut in waiters:
            loop.call_soon_threadsafe(_resolve, fut, round_ms)

    # ---- lifecycle ----

    def connect(self, token, chan_id, user_id) -> int:
        """Join ``chan_id`` as ``user_id``. Asynchronous: the result arrives as
        on_connected or on_connection_failure (e.g. the user id is taken)."""
        if token is None:
            token = ""
        if not isinstance(token, str):
            raise TypeError(f"connect: token must be a str, got {type(token).__name__}")
        channel = check_id("connect", "chan_id", chan_id)
        uid = check_id("connect", "user_id", user_id)
        link = None
        if self._janus is not None:   # built first: bad transport options raise before joining
            from agora_rtc.janus.link import DEFAULT_PEER_TIMEOUT, JanusLink
            t = self._janus
            params = dict(t.params)
            api = "ws" if t.scheme == "janus+ws" else "http"   # the Janus API: WebSocket or HTTP
            link = JanusLink(self, f"{api}://{t.host}:{t.port}{t.path}",
                             admin_key=params.get("admin_key"),
                             bind_ip=params.get("iface", "127.0.0.1"),
                             pin_from_token=params.get("pin") == "token",
                             srtp_suite=int(params["srtp"]) if params.get("srtp") else None,
                             video_codec=params.get("video", "vp8").lower(),
                             peer_timeout=float(params.get("peer_timeout", DEFAULT_PEER_TIMEOUT)))
        if self._sip is not None:
            from agora_rtc.sip.line import PhoneLine
            link = PhoneLine(self, self._sip)
        rc = self._connect(token.encode("utf-8"), channel, uid)
        if rc == 0:
            self._stats.connected_at = time.monotonic()
        if rc == 0 and self._sip is not None:
            try:
                link.start(channel.decode())
            except BaseException:
                self._disconnect()
                raise
            self._link = self.phone = link
            return rc
        if rc == 0 and link is not None:
            self._link = link
            link.start(channel.decode(), uid.decode(), token)
        return rc

    def disconnect(self) -> int:
        """Leave the channel. Synchronous: remote users have seen on_user_left
        when it returns; on_disconnected follows on the delivery thread. The
        connection can connect again (connection pool pattern)."""
        self._stop_link()
        return self._disconnect()

    def _stop_link(self):
        link, self._link = self._link, None
        self.phone = None
        if link is not None:
            link.stop()

    def renew_token(self, token) -> int:
        if not isinstance(token, str):
            raise TypeError(f"renew_token: token must be a str, got {type(token).__name__}")
        self._take_alive("renew_token")
        return 0

    def release(self) -> int:
        """Disconnect, unregister every observer (waiting for callbacks in
        flight) and free the native connection. Idempotent. In a child process
        forked after the connection was created, only forgets it."""
        self._stop_link()
        self._native_release()
        video = getattr(self, "_video", None)
        if video is not None:
            video._drop_observers()
        return 0

    def _take_alive(self, what):
        if not self._native_alive:
            self._raise_dead(what)

    def _forget_after_fork(self):
        # forked child: the Janus link's threads and sessions belong to the
        # parent; keep the object (never stop it from here) and forget it
        self._forked_link, self._link = self._link, None
        super()._forget_after_fork()

    def get_local_user(self) -> LocalUser:
        self._take_alive("get_local_user")
        return self._local_user

    @property
    def local_user(self) -> LocalUser:
        return self.get_local_user()

    def get_conn_info(self) -> RTCConnInfo:
        return _conn_info(*self._info())

    def get_agora_parameter(self) -> AgoraParameter:
        """This connection's :class:`~agora_rtc.agora_parameter.AgoraParameter`:
        the service's keys except ``agora_rtc.prefill_ms``; a key not set here
        reads the service's value. Unknown keys return ERR_NOT_SUPPORTED."""
        self._take_alive("get_agora_parameter")
        return self._parameter

    def _apply_parameter(self, key, value) -> int:
        if key == STREAM_MESSAGE_RATE_LIMIT:
            return self._set_stream_rate_limit(bool(value))
        if key == AUDIO_PACKET_MS:
            return self._set_audio_packet_ms(int(value))
        if key == OPUS_COMPLEXITY:
            return self._set_opus_complexity(int(value))
        return 0

    # ---- observers ----

    def register_observer(self, observer) -> int:
        _check_observer("register_observer", observer, IRTCConnectionObserver)
        self._app_conn_observer = observer
        return self._install_conn_observer()

    def unregister_observer(self) -> int:
        self._app_conn_observer = None
        return self._install_conn_observer()

    def _add_listener(self, event: str, fn) -> None:
        if not callable(fn):
            raise TypeError(f"a {event} listener must be callable, got {type(fn).__name__}")
        self._listeners = {**self._listeners, event: self._listeners.get(event, ()) + (fn,)}
        self._install_conn_observer()

    def _remove_listener(self, event: str, fn) -> None:
        left = tuple(f for f in self._listeners.get(event, ()) if f != fn)
        self._listeners = {k: v for k, v in {**self._listeners, event: left}.items() if v}
        if self._native_alive:
            self._install_conn_observer()

    def _add_user_left_listener(self, fn) -> None:
        """``fn(user_id, reason)`` on every on_user_left, beside the application's
        observer (the agent toolkit forgets a user who left with it); any thread."""
        self._add_listener("on_user_left", fn)

    def _remove_user_left_listener(self, fn) -> None:
        self._remove_listener("on_user_left", fn)

    def _add_connection_failure_listener(self, fn) -> None:
        """``fn(reason)`` on on_connection_failure (the join was refused or never
        answered), beside the application's observer (a fleet session ends with it)."""
        self._add_listener("on_connection_failure", fn)

    def _install_conn_observer(self) -> int:
        """The engine gets the application's observer itself, or, while the SDK
        listens too, one that calls the listeners and forwards every event."""
        if self._listeners:
            return self._set_conn_observer(_ConnectionEvents(self))
        return self._set_conn_observer(self._app_conn_observer)

    def register_local_user_observer(self, observer) -> int:
        _check_observer("register_local_user_observer", observer, IRTCLocalUserObserver)
        return self._set_local_user_observer(observer)

    def unregister_local_user_observer(self) -> int:
        return self._set_local_user_observer(None)

    def register_audio_frame_observer(self, observer, enable_vad=0,
                                      vad_configure: Optional[AudioVadConfigV2] = None, *,
                                      dispatch: Optional[str] = None, speech_only: bool = False,
                                      max_queued_frames: Optional[int] = None, loop=None,
                                      max_backlog_ms: Optional[int] = None) -> int:
        """Receive each remote user's 10 ms frames; with ``enable_vad`` the VAD
        runs natively per user and its state and bytes come with every frame.
        Registering again replaces the observer (and VAD config).

        Parameters
        ----------
        vad_configure : AudioVadConfigV2, optional
            With ``enable_vad``; when omitted, the config of the
            ``agora_rtc.vad.*`` parameters (get_agora_parameter; defaults of
            AudioVadConfigV2 unless set).
        dispatch : {"direct", "queued", "asyncio"}, optional
            Default: the ``agora_rtc.audio_frame_dispatch`` parameter ("direct").
            "direct": the engine's delivery thread takes the GIL and calls the
            observer for each frame. "queued": the receive threads put frames
            into a native queue without the GIL as they make them, and a
            dispatcher thread calls the observer for the whole backlog per GIL
            acquisition (woken once per 10 ms receive run, or at 64 waiting
            frames), so a slow observer never stalls the engine. The
            connections of a service share a few dispatcher threads
            (``AgoraServiceConfig.dispatch_threads``); a connection keeps its
            thread, so its frames stay in order. "asyncio": the same queue drained by ``loop`` (the
            observer runs in the loop thread) when the queue's eventfd is readable.
        speech_only : bool
            Needs ``enable_vad``. Only frames in VAD states 1, 2 and 3 reach the
            observer; the filter runs in C, so a silent user costs no Python call.
        max_backlog_ms : int
            Audio that may wait for the observer per remote user (every dispatch
            mode; default: the ``agora_rtc.max_backlog_ms`` parameter, 1000).
            Beyond it the user's oldest droppable frame is dropped: the freshest
            audio is kept, VAD start/stop frames are never dropped, and a dropped
            speaking frame's ``vad_result_bytearray`` goes on with the previous or
            next frame of that user, so the bytes handed to ASR stay complete.
        max_queued_frames : int
            Frames that may wait for the observer in all (every dispatch mode;
            default: the ``agora_rtc.max_queued_frames`` parameter, 3000), with
            the same policy. Drops are counted in ``get_audio_delivery_stats()`` and
            reported by a warning on the ``agora_rtc`` logger naming the observer
            class (at most every 10 s).
        """
        _check_observer("register_audio_frame_observer", observer, IAudioFrameObserver)
        check_choice("register_audio_frame_observer", "enable_vad", int(enable_vad)
                     if isinstance(enable_vad, bool) else enable_vad, (0, 1))
        vad = None
        if enable_vad:
            if vad_configure is None:
                vad_configure = self._parameter.vad_config()
            if not isinstance(vad_configure, AudioVadConfigV2):
                raise TypeError("register_audio_frame_observer: vad_configure must be an AudioVadConfigV2, "
                                f"got {type(vad_configure).__name__}")
            vad = vad_configure._native()
        if dispatch is None:
            dispatch = self._parameter._value(AUDIO_FRAME_DISPATCH)
        if max_queued_frames is None:
            max_queued_frames = self._parameter._value(MAX_QUEUED_FRAMES)
        if speech_only and not enable_vad:
            raise ValueError("register_audio_frame_observer: speech_only=True needs enable_vad=1")
        if dispatch not in ("direct", "queued", "asyncio"):
            raise ValueError('register_audio_frame_observer: dispatch must be "direct", "queued" or '
                             f'"asyncio", got {dispatch!r}')
        if dispatch == "asyncio" and loop is None:
            raise ValueError('register_audio_frame_observer: dispatch="asyncio" needs loop=<event loop>')
        max_q = check_int("register_audio_frame_observer", "max_queued_frames", max_queued_frames)
        if max_q < 1:
            raise ValueError(f"register_audio_frame_observer: max_queued_frames must be >= 1, got {max_q}")
        if max_backlog_ms is None:
            max_backlog_ms = self._parameter._value(MAX_BACKLOG_MS)
        backlog = check_int("register_audio_frame_observer", "max_backlog_ms", max_backlog_ms)
        if not 10 <= backlog <= 60_000:
            raise ValueError(f"register_audio_frame_observer: max_backlog_ms must be 10..60000, got {backlog}")
        return self._set_audio_frame_observer(observer, vad, dispatch, bool(speech_only), max_q, loop,
                                              backlog)

    def get_audio_queue_stats(self):
        """Counters of the queued/asyncio frame queue (as get_audio_delivery_stats),
        or None in direct mode."""
        return self._queue_stats()

    def get_audio_delivery_stats(self):
        """Counters of the audio-frame observer's bounded queue, in every dispatch
        mode, or None when no audio-frame observer is registered: ``pushed``
        (frames kept: taken + waiting), ``dropped`` (frames not delivered;
        pushed + dropped = frames offered), ``merged`` (of dropped: speaking
        frames whose VAD bytes went on with a neighbour), ``taken``,
        ``waiting``, ``batches``, ``backlog_ms`` (age of the oldest frame
        waiting now: how far behind the observer is), ``peak_backlog_ms``
        (largest age of a frame when delivered), ``user_backlog_ms`` (most audio
        waiting for one user now), ``backlog_limit_ms``, ``max_queued_frames``
        and ``dispatch``."""
        return self._delivery_stats()

    def _channel_and_user(self):
        try:
            _, channel, _, uid, _ = self._info()
            return channel, uid
        except Exception:  # released meanwhile
            return "?", "?"

    def unregister_audio_frame_observer(self) -> int:
        return self._set_audio_frame_observer(None, None)

    def register_audio_encoded_frame_observer(self, observer, *, max_backlog_ms: Optional[int] = None,
                                              max_queued_frames: Optional[int] = None) -> int:
        """Receive every remote user's encoded audio packets (Opus) through
        ``observer.on_encoded_audio_frame(uid, frame_buffer, length, info)``,
        on the delivery thread (see :class:`IAudioEncodedFrameObserver`).
        Registering again replaces the observer (and its counters). (The
        original SDK declared this method but never implemented it.)

        The packets wait for the observer in a bounded queue with the policy of
        the audio-frame observer: beyond ``max_backlog_ms`` of audio per remote
        user (default: the ``agora_rtc.max_backlog_ms`` parameter, 1000), or
        ``max_queued_frames`` packets in all (default: the
        ``agora_rtc.max_queued_frames`` parameter, 3000), the oldest packet of
        that user goes, so the freshest audio is kept. Drops are counted in
        ``get_encoded_audio_delivery_stats()`` and reported by a warning on the
        ``agora_rtc`` logger naming the observer class (at most every 10 s)."""
        _check_observer("register_audio_encoded_frame_observer", observer, IAudioEncodedFrameObserver)
        if max_backlog_ms is None:
            max_backlog_ms = self._parameter._value(MAX_BACKLOG_MS)
        if max_queued_frames is None:
            max_queued_frames = self._parameter._value(MAX_QUEUED_FRAMES)
        backlog = check_int("register_audio_encoded_frame_observer", "max_backlog_ms", max_backlog_ms)
        if not 10 <= backlog <= 60_000:
            raise ValueError("register_audio_encoded_frame_observer: max_backlog_ms must be 10..60000, "
                             f"got {backlog}")
        max_q = check_int("register_audio_encoded_frame_observer", "max_queued_frames", max_queued_frames)
        if max_q < 1:
            raise ValueError(f"register_audio_encoded_frame_observer: max_queued_frames must be >= 1, got {max_q}")
        return self._set_encoded_audio_observer(observer, backlog, max_q)

    def get_encoded_audio_delivery_stats(self):
        """Counters of the encoded-audio observer's bounded queue since it was
        registered, or None when none is: the keys of
        ``get_audio_delivery_stats()`` (``pushed``, ``dropped``, ``taken``,
        ``waiting``, ``backlog_ms``, ``peak_backlog_ms``, ``user_backlog_ms``,
        ``backlog_limit_ms``, ``max_queued_frames`` ...), counted in packets;
        ``merged`` stays 0 (no VAD bytes)."""
        return self._encoded_delivery_stats()

    def unregister_audio_encoded_frame_observer(self) -> int:
        return self._set_encoded_audio_observer(None)

    def set_audio_processing(self, noise_suppression=True, agc=False) -> int:
        """Server-side processing of every remote user's received audio, run
        natively on each 10 ms frame (in the observer's format) before the
        labels, the VAD and the volume indication see it: ``noise_suppression``
        (libspeexdsp's spectral suppressor, up to 30 dB) and ``agc`` (gain
        towards about -12 dBFS speech, at most +30 dB). Both False turns it
        off (the default, unless ``AgoraServiceConfig.enable_apm`` is set).
        The observer frames carry the processed audio. Each user's receive
        path restarts with the new setting (its VAD state too). Returns 0.

        Measured (benchmarks/bench_apm.py, 16 kHz): about 13-15 us per frame
        per user; it does NOT reduce the VAD's false starts on noise-only
        audio (the labels already track stationary noise: 0.14/min without
        APM, 1.8/min with NS, about 4/min with AGC, babble the worst) but
        raises speech-frame recall in noise (0.81 -> 0.88 with NS + AGC).
        Use it when quiet or noisy callers are missed, not against false starts."""
        what = "set_audio_processing"
        for name, value in (("noise_suppression", noise_suppression), ("agc", agc)):
            if not isinstance(value, bool) and value not in (0, 1):
                raise TypeError(f"{what}: {name} must be a bool, got {value!r}")
        return self._set_audio_processing(bool(noise_suppression), bool(agc))

    # ---- audio out ----

    def publish_audio(self) -> int:
        return self._publish_audio(True)

    def unpublish_audio(self) -> int:
        return self._publish_audio(False)

    def push_audio_pcm_data(self, data, sample_rate, channels=1, start_pts=0) -> int:
        """Queue a whole chunk of int16 PCM (bytes, bytearray, memoryview or a
        C-contiguous numpy int16 array; interleaved when stereo). The engine
        paces it out one 10 ms frame per tick; a tail shorter than 10 ms is
        never lost. ``start_pts`` (ms, any int64: the original's callers pack
        ids into it) comes back as the receiver's presentation_ms on the local
        network (later frames of the chunk add their offset, wrapping modulo
        2**64). Returns 0 when queued."""
        rate = check_choice("push_audio_pcm_data", "sample_rate", sample_rate, PCM_SAMPLE_RATES)
        ch = check_choice("push_audio_pcm_data", "channels", channels, (1, 2))
        pts = check_int("push_audio_pcm_data", "start_pts", start_pts)
        if not -(2 ** 63) <= pts < 2 ** 63:
            raise ValueError(f"push_audio_pcm_data: start_pts must fit in int64, got {pts}")
        rc = self._push_pcm(data, rate, ch, pts)
        if rc == 0 and self._stats.send_format != (rate, ch):
            # replaced only on a change: thousands of pushes a second (one per
            # remote user) then allocate no tuple that the GC has to track
            self._stats.send_format = (rate, ch)
        return rc

    def push_audio_encoded_data(self, data, info: EncodedAudioFrameInfo) -> int:
        """Queue one encoded audio packet: Opus, G.711 (PCMU / PCMA), G.722,
        AAC-LC or HE-AAC (v1, v2).

        The packet is checked and decoded natively at once, then paced out like
        pushed PCM (10 ms per tick, rounds, prefill and incremental send,
        ``interrupt_audio``, completion). Receivers hear the decoded audio;
        encoded-frame observers on the local network get the packet's bytes
        unchanged (with its codec). On Janus an Opus packet itself is sent as
        the RTP payload (no re-encoding) when it starts on a 10 ms frame
        boundary (always, when only Opus is pushed); G.711 and AAC are
        re-encoded to Opus.

        Parameters
        ----------
        data : bytes, bytearray, memoryview or numpy uint8 array
            One packet, 1..4000 bytes. Opus (RFC 6716): lasting a multiple of
            10 ms (10 to 120 ms). G.711: one byte per sample (interleaved when
            stereo). G.722: 64 kbit/s, two samples per byte. AAC-LC, HE-AAC,
            HE-AAC v2: one access unit, with its ADTS header or raw.
            (The original rejected bytearray.)
        info : EncodedAudioFrameInfo
            ``codec``: ``AUDIO_CODEC_OPUS`` (channels and duration are read from
            the packet), ``AUDIO_CODEC_PCMU`` / ``AUDIO_CODEC_PCMA``
            (``sample_rate`` must be 8000, ``number_of_channels`` 1 or 2),
            ``AUDIO_CODEC_G722`` (``sample_rate`` 16000, or 8000 as RTP
            names G.722's clock; ``number_of_channels`` 1; heard at 16 kHz), or
            ``AUDIO_CODEC_AACLC`` / ``AUDIO_CODEC_HEAAC`` / ``AUDIO_CODEC_HEAAC2``
            (an ADTS header gives the format, SBR / PS are found in the
            stream; raw packets need ``sample_rate``, for HE-AAC the output
            rate, twice the core's, and ``number_of_channels`` 1 or 2, HE-AAC
            v2: 2, and keep the first raw packet's format for the
            connection). G.722 and AAC are decoded by FFmpeg's libavcodec,
            loaded at the first such packet: ``NotSupportedError`` naming the
            library when it is missing. ``samples_per_channel`` is
            not needed; ``speech`` travels with the packet; ``capture_time_ms``
            (-1 = now) too.

        Returns
        -------
        int
            0 when queued. A malformed packet raises InvalidArgumentError
            (a ValueError) and nothing is queued.
        """
        what = "push_audio_encoded_data"
        if not isinstance(info, EncodedAudioFrameInfo):
            raise TypeError(f"{what}: info must be an EncodedAudioFrameInfo, got {type(info).__name__}")
        codec = check_int(what, "info.codec", info.codec)
        if codec not in _PUSHED_AUDIO_CODECS:
            names = ", ".join(f"{c.name} ({int(c)})" for c in _PUSHED_AUDIO_CODECS)
            raise ValueError(f"{what}: info.codec must be one of {names}, got {codec}")
        rate, channels = 48000, 0
        if codec != AudioCodecType.AUDIO_CODEC_OPUS:
            channels = check_choice(what, "info.number_of_channels", info.number_of_channels, (1, 2))
            rate = check_int(what, "info.sample_rate", info.sample_rate)
            if codec in (AudioCodecType.AUDIO_CODEC_PCMA, AudioCodecType.AUDIO_CODEC_PCMU) and rate != 8000:
                raise ValueError(f"{what}: G.711 is 8000 Hz: info.sample_rate must be 8000, got {rate}")
            if codec == AudioCodecType.AUDIO_CODEC_G722 and (rate not in (16000, 8000) or channels != 1):
                raise ValueError(f"{what}: G.722 is 16000 Hz mono: info.sample_rate must be 16000 (or 8000, "
                                 f"its RTP clock) and info.number_of_channels 1, got {rate} Hz, "
                                 f"{channels} channel(s)")
        speech = check_choice(what, "info.speech", int(info.speech) if isinstance(info.speech, bool)
                              else info.speech, (0, 1))
        capture = check_int(what, "info.capture_time_ms", info.capture_time_ms)
        if not -(2 ** 62) < capture < 2 ** 62:
            raise ValueError(f"{what}: info.capture_time_ms out of range, got {capture}")
        if isinstance(data, str) or data is None:
            raise TypeError(f"{what}: data must be bytes, bytearray, memoryview or a numpy uint8 array, "
                            f"got {type(data).__name__}")
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(f"{what}: data must be bytes, bytearray, memoryview or a numpy uint8 array, "
                            f"got {type(data).__name__}") from None
        if not view.c_contiguous:
            raise TypeError(f"{what}: data must be C-contiguous")
        if view.itemsize != 1:
            raise TypeError(f"{what}: data must hold bytes (itemsize 1), got items of {view.itemsize} bytes")
        view = view.cast("B") if view.format != "B" else view
        if not 0 < view.nbytes <= MAX_ENCODED_AUDIO_BYTES:
            raise ValueError(f"{what}: a packet is 1..{MAX_ENCODED_AUDIO_BYTES} bytes, got {view.nbytes}")
        rc = self._push_encoded(view, speech, capture, codec, rate, channels)
        if rc == -2:  # AGORA_ERR_INVALID_ARGUMENT: the engine refused the packet
            raise InvalidArgumentError(f"{what}: {_PACKET_EXPECTED[codec]}")
        if rc == -4 and codec in _LIBAV_AUDIO_CODECS:  # AGORA_ERR_NOT_SUPPORTED
            available, library = _engine.audio_codec_supported(codec)
            if not available:
                raise NotSupportedError(f"{what}: {AudioCodecType(codec).name} needs FFmpeg's {library} "
                                        f"(Debian: apt-get install libavcodec59), which could not be loaded")
            raise NotSupportedError(f"{what}: AAC decoded to a sample rate the engine does not send "
                                    f"(it takes 8000, 16000, 22050, 24000, 32000, 44100, 48000 Hz)")
        return rc

    def interrupt_audio(self) -> int:
        """Drop everything queued, atomically with respect to the media clock:
        no frame of the old audio leaves after this returns. No unpublish (the
        far side sees no mute). Safe from any thread, including observers.
        Returns 0; the InterruptReport is in ``last_interrupt``."""
        rc, sent, dropped, last_pts = self._interrupt()
        self.last_interrupt = InterruptReport(sent, dropped, last_pts)
        self._wake_push_waiters(sent)  # nothing is pending any more: completion waiters return
        if rc == 0 and self._interrupt_notices is not None:   # in-process relays of the channel
            channel, uid = self._channel_and_user()
            self._interrupt_notices.interrupted(channel, uid, self.last_interrupt)
        return rc

    def is_push_to_rtc_completed(self) -> bool:
        """True exactly when every pushed sample has been handed to the transport."""
        return self._is_push_completed()

    def wait_push_completed(self, timeout=None) -> bool:
        """Block until everything pushed has been handed to the transport;
        False on timeout. Returns at once when nothing is queued."""
        with self._drain_cond:
            return self._drain_cond.wait_for(self.is_push_to_rtc_completed, timeout)

    async def push_completed(self) -> None:
        """Await the moment everything pushed has been handed to the transport
        (asyncio; the engine wakes the loop with call_soon_threadsafe)."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        with self._drain_cond:
            if self.is_push_to_rtc_completed():
                return
            self._drain_waiters.append((loop, fut))
        await fut

    def get_send_stats(self) -> dict:
        """Engine counters of the outgoing audio (pushed, sent, dropped, queued)."""
        return self._send_stats()

    # ---- data ----

    def create_data_stream(self, reliable, ordered) -> int:
        """Create a data stream and return its id (2..5; stream 1 is the default
        stream every connection has, as in the original since 2.3).

        Receivers get the id as ``stream_id`` in on_stream_message. On the
        local network delivery is reliable and ordered whatever is asked.
        Through Janus every stream travels on the publisher's one data channel
        and arrives as stream 1 (README, "Parameters, data streams, statistics").

        Raises
        ------
        InvalidStateError
            When the connection already has MAX_DATA_STREAMS (5) streams.
        """
        for name, value in (("reliable", reliable), ("ordered", ordered)):
            if not isinstance(value, (bool, int)):
                raise TypeError(f"create_data_stream: {name} must be a bool or 0/1, got {type(value).__name__}")
        rc, stream_id = self._create_data_stream(bool(reliable), bool(ordered))
        if rc == -5:
            raise InvalidStateError(f"create_data_stream: at most {MAX_DATA_STREAMS} data streams per "
                                    "connection (the default stream included)")
        if rc != 0:
            raise InvalidStateError(f"create_data_stream: the engine refused ({rc})")
        return stream_id

    def send_stream_message(self, data, stream_id=None) -> int:
        """Send a message (str as UTF-8, or bytes) to every other user of the
        channel on ``stream_id`` (default: the default stream, 1), at most 1024
        bytes. The pre-2.3 order ``send_stream_message(stream_id, data)`` is
        accepted too.

        Returns 0, ERR_NOT_READY before on_connected, ERR_INVALID_ARGUMENT for an
        empty message through Janus (its data channels relay none; a warning
        says so once), or ERR_TOO_OFTEN when this
        stream already carried STREAM_MESSAGES_PER_SEC (60) messages, or the
        connection's streams together STREAM_BYTES_PER_SEC (30 KiB), within the
        last second (Agora's documented limits; the message is
        not sent; switch the limit off with the ``agora_rtc.stream_message_rate_limit``
        parameter). An unknown ``stream_id`` raises InvalidArgumentError.
        """
        if isinstance(data, int) and not isinstance(data, bool) and stream_id is not None \
                and not isinstance(stream_id, int):
            data, stream_id = stream_id, data  # pre-2.3 order (stream_id, data)
        payload = as_payload("send_stream_message", data)
        if len(payload) > MAX_STREAM_MESSAGE_BYTES:
            raise InvalidArgumentError(f"send_stream_message: at most {MAX_STREAM_MESSAGE_BYTES} bytes "
                                       f"per message, got {len(payload)}")
        sid = DEFAULT_STREAM_ID if stream_id is None else check_int("send_stream_message", "stream_id", stream_id)
        if not 1 <= sid <= MAX_DATA_STREAMS:
            raise InvalidArgumentError(f"send_stream_message: stream_id must be 1..{MAX_DATA_STREAMS} "
                                       f"(from create_data_stream), got {sid}")
        rc = self._send_data(payload, False, sid)
        if rc == -2:
            if not payload:
                # Janus relays no empty message: an error code, as the original returns one
                # (its own examples send "" and go on), and a warning once per connection
                if not getattr(self, "_warned_empty_message", False):
                    self._warned_empty_message = True
                    _log.warning("send_stream_message: an empty message cannot travel through "
                                 "Janus (its data channels relay none): ERR_INVALID_ARGUMENT")
                return rc
            if payload.startswith(JANUS_METADATA_TAG):
                raise InvalidArgumentError(
                    "send_stream_message: through Janus a message must not begin with "
                    f"{JANUS_METADATA_TAG!r} (the audio-metadata tag on the data channel)")
            raise InvalidArgumentError(f"send_stream_message: stream {sid} was not created "
                                       "(use create_data_stream)")
        return rc

    def send_audio_meta_data(self, data) -> int:
        """Send audio metadata (at most 64 bytes) to every other user."""
        payload = as_payload("send_audio_meta_data", data)
        if len(payload) > MAX_AUDIO_METADATA_BYTES:
            raise InvalidArgumentError(f"send_audio_meta_data: at most {MAX_AUDIO_METADATA_BYTES} bytes, "
                                       f"got {len(payload)}")
        return self._send_data(payload, True)

    def __repr__(self):
        if not self._native_alive:
            return "RTCConnection(inherited across fork)" if self._forked else "RTCConnection(released)"
        _, channel, state, uid, _ = self._info()
        return f"RTCConnection(channel={channel!r}, user_id={uid!r}, state={state})"

    # ---- video (local network; video.h). Appended as one block. ----

    def register_video_frame_observer(self, observer) -> int:
        """Receive remote users' raw video as I420 ``VideoFrame`` objects.

        ``observer.on_frame(channel_id, remote_uid, frame)`` runs on the delivery
        thread for every frame of a user subscribed with raw video (see
        ``LocalUser.subscribe_video``). ``frame.y_buffer`` / ``u_buffer`` /
        ``v_buffer`` are read-only memoryviews over one SDK-owned copy (valid as
        long as you keep them; ``frame.as_numpy()`` gives 2-D uint8 views).
        Registering again replaces the observer; returns 0.
        """
        _check_observer("register_video_frame_observer", observer, IVideoFrameObserver)
        return self._video._set_frame_observer(observer)

    def unregister_video_frame_observer(self) -> int:
        """Stop raw video delivery; waits for a call in flight (not from inside it)."""
        return self._video._set_frame_observer(None)

    def register_video_encoded_frame_observer(self, observer) -> int:
        """Receive encoded video of users subscribed with ``encodedFrameOnly``:
        ``observer.on_encoded_video_frame(uid, image_buffer, length, info)`` with
        the bytes exactly as pushed (a read-only memoryview over an SDK-owned
        copy) and the sender's ``EncodedVideoFrameInfo`` (``info.uid`` is the
        sender's ``RTCConnInfo.internal_uid``). Returns 0."""
        _check_observer("register_video_encoded_frame_observer", observer, IVideoEncodedFrameObserver)
        return self._video._set_encoded_observer(observer)

    def unregister_video_encoded_frame_observer(self) -> int:
        """Stop encoded video delivery; waits for a call in flight."""
        return self._video._set_encoded_observer(None)

    def publish_video(self) -> int:
        """Publish the video track. On the local network it is published at once
        (``on_video_track_publish_success`` follows, connected or not); frames
        can be pushed once connected. Returns 0."""
        return self._video._publish(True)

    def unpublish_video(self) -> int:
        """Stop publishing video: pushes return ERR_NOT_READY from now on."""
        return self._video._publish(False)

    def push_video_frame(self, frame) -> int:
        """Send one raw frame (an ``ExternalVideoFrame``).

        Parameters
        ----------
        frame : ExternalVideoFrame
            ``format`` I420 (1), BGRA (2), NV21 (3), RGBA (4) or NV12 (8);
            ``buffer`` any C-contiguous buffer (bytes, bytearray, memoryview,
            numpy array), read without copying in Python; ``stride`` is the
            line stride in pixels and the width, ``height`` the rows. The
            buffer must hold exactly stride*height*3/2 bytes (I420, NV12,
            NV21: planes back to back) or stride*4*height (RGBA, BGRA).
            stride, height and the crop values must be even. ``crop_*`` select
            the visible rectangle, ``rotation`` (0/90/180/270) is carried to
            the receiver, ``timestamp`` (ms) arrives as ``render_time_ms``,
            ``metadata`` (<= 1024 bytes) arrives as ``metadata``.

        Returns
        -------
        int
            0 when sent; ERR_NOT_READY before on_connected or without
            publish_video. On the Janus transport the frame is encoded in the
            calling thread (see ``set_video_encoder_configuration``) and sent
            like ``push_video_encoded_data``; ERR_NOT_SUPPORTED there when the
            connection has no video stream (``&video=none``) or FFmpeg's
            libavcodec (libavcodec59 with libvpx / libx264, and libswscale) cannot
            be loaded.
            Rotation and metadata are not carried on Janus.

        Notes
        -----
        The frame is converted natively to I420 in the calling thread (the GIL
        is released), RGB to YUV with BT.601 limited range (Y 16..235), chroma
        from each 2x2 block's average. Video is not paced: the frame leaves when
        pushed. Texture formats and alpha raise NotSupportedError.
        """
        return self._video._push_frame(*_vv.external_frame_args(frame))

    def push_video_encoded_data(self, data, info=None) -> int:
        """Send one encoded frame (bytes-like, bytearray and numpy included) with
        its ``EncodedVideoFrameInfo``. On the local network it is delivered
        byte-exact with its info to users subscribed with ``encodedFrameOnly``;
        users subscribed to raw video get VP8 / H.264 decoded to I420 (FFmpeg's
        libavcodec, on the delivery thread); other codecs are not decoded for
        them (counted in ``get_video_stats()["encoded_not_decoded"]``). Returns 0,
        ERR_NOT_READY before on_connected or without publish_video.

        On the Janus transport the frame is sent as RTP (VP8: RFC 7741, H.264:
        RFC 6184) on the connection's video stream, whose codec the transport
        URL chooses (``&video=vp8`` default, ``h264``, ``none``): another codec
        returns ERR_NOT_SUPPORTED; an H.264 frame must be one access unit in
        Annex B form (InvalidArgumentError otherwise). Receivers get it byte
        for byte; keyframe requests arrive as ``on_intra_request_received``."""
        if info is None:
            raise TypeError("push_video_encoded_data: info (EncodedVideoFrameInfo) is required")
        return self._video._push_encoded(_vv.encoded_payload(data), _vv.encoded_info_args(info))

    def enable_encryption(self, enabled, config) -> int:
        """Agora's built-in media encryption is not implemented: ``enabled`` 0
        (turn it off) returns 0, as media is not encrypted that way; 1 raises
        NotSupportedError. On Janus, ``&srtp=80`` in the transport URL encrypts
        every leg with SRTP (README "Talking through Janus")."""
        from agora_rtc.agora_base import EncryptionConfig
        self._take_alive("enable_encryption")
        if not isinstance(config, EncryptionConfig):
            raise TypeError(f"enable_encryption: config must be an EncryptionConfig, got {type(config).__name__}")
        on = check_choice("enable_encryption", "enabled", int(enabled) if isinstance(enabled, bool) else enabled,
                          (0, 1))
        if on:
            raise NotSupportedError("enable_encryption: Agora's built-in media encryption is not implemented "
                                    "(a property of Agora's network); on Janus use &srtp=80 in the transport "
                                    "URL for SRTP on every leg")
        return 0

    def set_video_encoder_configuration(self, config) -> int:
        """How raw frames (``push_video_frame``) are encoded where they are
        encoded: on the Janus transport, in the pushing thread, to the
        connection's video stream codec (``&video=vp8``, the default: libvpx;
        ``&video=h264``: libx264, both through FFmpeg's libavcodec loaded at
        the first raw frame). On the in-process network raw frames travel
        unencoded and the configuration is only kept.

        Parameters
        ----------
        config : VideoEncoderConfiguration
            ``dimensions``: frames larger than this are scaled down (libswscale)
            to fit, aspect ratio kept, never scaled up (0x0: the pushed size;
            ``orientation_mode`` 0, adaptive: a portrait frame fits the portrait
            box of the same dimensions). ``frame_rate``: the rate control's
            frames per second (every pushed frame is encoded; none is dropped).
            ``bitrate``: target kbps, constant bitrate; 0 / -1 (standard /
            compatible): 0.1 bit per pixel per frame (640x360 at 15 fps: 345
            kbps). ``codec_type``: the stream's codec is the transport URL's
            (a Janus room announces one codec per stream), so another
            ``codec_type`` is not used. ``min_bitrate``, ``degradation_preference``,
            ``mirror_mode`` are not used; ``encode_alpha=1`` raises
            NotSupportedError. Applies from the next frame (a new keyframe).

        Returns
        -------
        int
            0. Bad fields raise TypeError / ValueError naming the field.
        """
        args = _vv.encoder_config_args(config)
        return self._video._set_encoder(*args)

    def set_simulcast_stream(self, enabled, config=None) -> int:
        """Dual-stream mode (a low-quality second stream) is not sent: agora_rtc
        announces one video stream per user to Janus (no simulcast substreams),
        so receivers always get the stream of ``set_video_encoder_configuration``.
        ``enabled`` False returns 0; True returns ERR_NOT_SUPPORTED (-4, the
        original's error code for this) and logs a warning. The config is
        checked either way."""
        self._take_alive("set_simulcast_stream")
        on = check_choice("set_simulcast_stream", "enabled",
                          int(enabled) if isinstance(enabled, bool) else enabled, (0, 1))
        if config is not None or on:
            _vv.simulcast_config_args(config)
        if not on:
            return 0
        _log.warning("set_simulcast_stream: no low-quality stream is sent (one video stream per "
                     "publisher); subscribers get the main stream")
        return ERR_NOT_SUPPORTED

    def get_video_stats(self) -> dict:
        """Engine counters of this connection's video: pushed_frames,
        pushed_encoded, sent_frames, encoded_frames (raw frames the SDK
        encoded, Janus) (sending); received_frames, received_encoded,
        decoded_frames (pictures decoded for the frame observer),
        raw_not_encoded (raw frames of a user subscribed encoded-only),
        encoded_not_decoded (encoded frames of a user subscribed raw that
        could not be decoded), dropped_backlog (more than 64 video events
        waiting for this connection's observers), intra_requests (receiving)."""
        return self._video._stats()
