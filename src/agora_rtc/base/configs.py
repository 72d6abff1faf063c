"""Configuration records of the public API: service, connection, publishing,
audio processing (APM), video encoder, encryption. Each configuration that
the engine reads validates itself (``_validated()``) with the checks of
:mod:`agora_rtc.base.checks`. Re-exported by :mod:`agora_rtc.agora_base`.
"""

from __future__ import annotations

import json
import math
from dataclasses import InitVar, asdict, dataclass, field
from typing import Optional

from agora_rtc.base.checks import (check_field_enum, check_field_flag, check_field_instance,
                                   check_field_int, check_field_str)
from agora_rtc.base.enums import (AreaCode, AudioProfileType, AudioPublishType, AudioScenarioType,
                                  ChannelProfileType, ClientRoleType, EncryptionMode, TCcMode,
                                  VideoCodecType, VideoPublishType, VideoStreamType)
from agora_rtc.base.sample_rates import PLAYBACK_SAMPLE_RATES
from agora_rtc.base.transport_url import parse_transport_url

__all__ = [
    "AiNsConfig", "AiAecConfig", "BghvsCConfig", "AgcConfig", "APMConfig", "DEFAULT_PREFILL_MS",
    "MAX_PREFILL_MS", "MAX_RECEIVE_THREADS", "AgoraServiceConfig", "AudioSubscriptionOptions",
    "RTCConnConfig", "SenderOptions", "MAX_INCREMENTAL_SEND_MS", "MAX_INCREMENTAL_SEND_SPEED",
    "SendExternalAudioParameters", "RtcConnectionPublishConfig", "VideoSubscriptionOptions",
    "AudioEncoderConfiguration", "VideoDimensions", "VideoEncoderConfiguration",
    "VideoEncoderConfig", "SimulcastStreamConfig", "EncryptionConfig",
]



# ---------------------------------------------------------------------------
# Audio processing (APM) configuration: accepted for source compatibility
# ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class AiNsConfig:
    """Noise suppression settings of the server-side APM.

    ``ns_enabled`` switches this SDK's noise suppression (libspeexdsp) when
    ``AgoraServiceConfig.enable_apm`` is set; the AI-NS model fields belong to
    the original's proprietary suppressor and have no effect here.
    """

    ns_enabled: bool = True
    ai_ns_enabled: bool = True
    ai_ns_model_pref: int = 10
    nsng_alg_route: int = 12
    nsng_predef_agg: int = 11


@dataclass(kw_only=True)
class AiAecConfig:
    """AI echo cancellation settings (source compatibility only, no effect)."""

    enabled: bool = False
    split_srate_for_48k: int = 16000


@dataclass(kw_only=True)
class BghvsCConfig:
    """Background human voice suppression settings (source compatibility only, no effect)."""

    enabled: bool = True
    frmSz: int = 160
    smplFrq: int = 16000
    inBuildVadOpen: int = 1
    mainPoolFN: int = 1000
    farPoolFN: int = 6000
    mainTimeOutFN: int = 30000
    farTimeOutFN: int = 60000
    sosPersistentLen: int = 160
    postPaddingLenOfEOS: int = 480
    unVoiceLenOfTriggerEOS: int = 480
    bvcSOSLen: int = 160
    bvcPostEOSLen: int = 480
    bvcEOSLen: int = 480
    vobvcDelay: int = 12
    bvcVoMthOpen: int = 1
    bvcSpecMtOpen: int = 0
    logLv: int = 0
    voiceProbThr: float = 0.5
    vadVolumeThr: int = 60
    bvcBabbleVolumeThr: int = 60
    powScale: float = 0.2
    powRatio: float = 0.1
    bvcSppGain: float = 0.0
    bvcEnvTailDownFN: int = 0
    bvcEnvMaxSpeed: int = 5
    envTrackMode: int = 1
    bvcDownRatio: float = 0.95
    bvcDownDB: float = -20.0
    bvcFarEnvThr: float = 0.0
    bvcMainEnvRatio: float = 0.8
    bvcFarEnvRatio: float = 0.8
    bvcMainVadThr: float = 0.5
    bvcFarVadThr: float = 0.4
    bvcEnvResultSmoothRatio: float = 0.97
    bvcEnvResultSmoothRatio1: float = 0.98
    bvcMainSpkSmoothRatio: float = 0.99
    quickSelectInterval: int = 1


@dataclass(kw_only=True)
class AgcConfig:
    """Automatic gain control of the server-side APM: ``enabled`` switches it
    (with ``AgoraServiceConfig.enable_apm``)."""

    enabled: bool = False


@dataclass(kw_only=True)
class APMConfig:
    """Server-side audio processing settings (``AgoraServiceConfig.apm_config``).

    With ``enable_apm``, every connection processes received audio natively
    before labels and VAD: noise suppression (``ai_ns_config.ns_enabled``,
    default on) and automatic gain control (``agc_config.enabled``, default
    off), see ``RTCConnection.set_audio_processing``. Echo cancellation and
    background-voice suppression (``ai_aec_config``, ``bghvs_c_config``) are
    not implemented and have no effect (Agora itself recommends AEC on the
    clients).

    Parameters
    ----------
    ai_ns_config, ai_aec_config, bghvs_c_config, agc_config
        Per-module settings.
    enable_dump : bool
        Dump processed audio (no effect).
    """

    ai_ns_config: AiNsConfig = field(default_factory=AiNsConfig)
    ai_aec_config: AiAecConfig = field(default_factory=AiAecConfig)
    bghvs_c_config: BghvsCConfig = field(default_factory=BghvsCConfig)
    agc_config: AgcConfig = field(default_factory=AgcConfig)
    enable_dump: bool = False

    def _to_json_string(self) -> str:
        """The settings as the original SDK's APM JSON (its private serializer,
        kept because the original's own examples print it): one object per
        module, ``aec`` and ``bghvs`` with every field of their config, ``agc``,
        ``ans`` (noise suppression on/off), ``sf_st_cfg`` / ``sf_ext_cfg`` (the
        AI-NS model fields), compact separators."""
        ns = self.ai_ns_config
        return json.dumps({
            "aec": asdict(self.ai_aec_config),
            "bghvs": asdict(self.bghvs_c_config),
            "agc": {"enabled": self.agc_config.enabled},
            "ans": {"enabled": ns.ns_enabled},
            "sf_st_cfg": {"enabled": ns.ai_ns_enabled, "ainsModelPref": ns.ai_ns_model_pref},
            "sf_ext_cfg": {"nsngAlgRoute": ns.nsng_alg_route, "nsngPredefAgg": ns.nsng_predef_agg},
        }, separators=(",", ":"))


# ---------------------------------------------------------------------------
# Service configuration
# ---------------------------------------------------------------------------

#: Default ``AgoraServiceConfig.prefill_ms``: the 100 ms the Agora AudioConsumer primed with.
DEFAULT_PREFILL_MS = 100
#: Upper bound of ``AgoraServiceConfig.prefill_ms`` (the engine's limit).
MAX_PREFILL_MS = 500
_DEFAULT_LOG_FILE_SIZE_KB = 5 * 1024
#: Upper bound of ``AgoraServiceConfig.receive_threads`` (the engine's limit).
MAX_RECEIVE_THREADS = 16
#: Upper bound of ``AgoraServiceConfig.dispatch_threads``.
MAX_DISPATCH_THREADS = 64


@dataclass(kw_only=True)
class AgoraServiceConfig:
    """Configuration of the process-wide :class:`AgoraService`.

    Create it empty and assign attributes, or pass keywords. Fields marked
    *compatibility* are accepted so ported code runs, and have no effect on
    this SDK's engine.

    Parameters
    ----------
    appid : str
        Agora App ID. Kept with the service; the ``local`` transport does not
        check it (an empty string is fine there).
    area_code : int
        :class:`AreaCode` bit mask (default ``AREA_CODE_GLOB``). Compatibility.
    channel_profile : ChannelProfileType
        Default ``CHANNEL_PROFILE_LIVE_BROADCASTING``.
    audio_scenario : AudioScenarioType
        Default ``AUDIO_SCENARIO_AI_SERVER`` (9), as in the original 2.3+.
    enable_audio_processor : int
        1 (default) to enable the audio module. Compatibility.
    enable_audio_device : int
        0 (default): a server has no sound card. Compatibility.
    enable_video : int
        1 to enable the video module (default 0).
    context : object
        Platform context of the native SDK (Android); unused. Compatibility.
    use_string_uid : int
        1 to treat user ids as arbitrary strings instead of numeric uids.
    domain_limit : int
        1 to restrict the native SDK to its domain allow-list. Compatibility.
    should_callback_when_muted : int
        > 0: keep calling ``on_playback_audio_frame_before_mixing`` (with silent
        frames) while a remote user is muted; 0 (default): no callbacks while
        muted. The original's misspelled ``should_callbck_when_muted`` is
        accepted as an alias (keyword and attribute).
    log_path : str
        Log file path ("" = the engine's default / no file).
    log_size : int
        Legacy log size in bytes (SDK 2.1). 0 (default) = unset. When set and
        ``log_file_size_kb`` is left at its default, it is used (rounded up to
        KB); see :attr:`effective_log_file_size_kb`.
    log_file_size_kb : int
        Log file size in KB (default 5120 = 5 MB).
    log_level : int
        Agora log level (0 = default).
    data_dir, config_dir : str
        Native SDK directories. Compatibility.
    enable_apm : bool
        Server-side processing of received audio (noise suppression, AGC) on
        every connection, before labels and VAD (see :class:`APMConfig`;
        per connection: ``RTCConnection.set_audio_processing``).
    apm_config : APMConfig or None
        Settings for ``enable_apm`` (None = ``APMConfig()``: NS on, AGC off).
    transport_url : str
        Network backend (this SDK's addition). ``""`` (default) or
        ``"local://"`` = the in-process network hub; ``"janus://host:port"``
        (Janus HTTP API, default port 8088) or ``"janus+ws://host:port"``
        (Janus WebSocket API, default port 8188) = a Janus server. When empty,
        the environment variable ``AGORA_RTC_TRANSPORT_URL`` is used instead
        (see :func:`resolve_transport_url`), so unmodified sample code can be
        pointed at a real server from outside.
    prefill_ms : int
        Burst, in ms, sent at once when a new round of pushed audio starts, to
        prime the far side's jitter buffer (this SDK's addition). Rounded down
        to whole 10 ms frames; 0..500; default 100 (what the Agora
        ``AudioConsumer`` primed with). Audio sent in the burst counts as sent
        for ``interrupt_audio`` reports.
    receive_threads : int
        Threads that do the per-frame receive work (resampling, audio labels,
        VAD) of every remote user (this SDK's addition): 0 (default) = one per
        online CPU, at most 4; else 1..16. Each batch of received frames is
        split by remote user over these threads and joined before anything
        else happens, so per user the frames keep their order and observers
        see exactly what one thread would produce. Small batches (< 16
        frames) stay on the I/O thread.
    dispatch_threads : int
        Python threads that call the audio-frame observers registered with
        ``dispatch="queued"`` (this SDK's addition): 0 (default) = one per
        online CPU, at most 4; else 1..64. The connections share them: each
        is given to one thread for its lifetime (its frames stay in order),
        and a thread serves its connections in turns of at most 20 ms, so a
        slow observer delays the others of its thread by one turn at most.
        Python runs one thread at a time, so more threads than CPUs only add
        contention; more than one lets the others go on while an observer
        waits outside Python (I/O).
    """

    log_path: str = ""
    log_size: int = 0
    enable_audio_processor: int = 1
    enable_audio_device: int = 0
    enable_video: int = 0
    context: object = None
    appid: str = ""
    area_code: int = AreaCode.AREA_CODE_GLOB
    channel_profile: ChannelProfileType = ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING
    audio_scenario: AudioScenarioType = AudioScenarioType.AUDIO_SCENARIO_AI_SERVER
    use_string_uid: int = 0
    domain_limit: int = 0
    should_callback_when_muted: int = 0
    log_level: int = 0
    log_file_size_kb: int = _DEFAULT_LOG_FILE_SIZE_KB
    data_dir: str = ""
    config_dir: str = ""
    enable_apm: bool = False
    apm_config: Optional[APMConfig] = None
    # --- additions of this SDK ---
    transport_url: str = ""
    prefill_ms: int = DEFAULT_PREFILL_MS
    receive_threads: int = 0
    dispatch_threads: int = 0
    # The original's misspelling, accepted as a keyword; also an attribute
    # alias (a property installed after the class body, see below).
    should_callbck_when_muted: InitVar[Optional[int]] = None

    def __post_init__(self, should_callbck_when_muted: Optional[int]) -> None:
        if should_callbck_when_muted is not None:
            self.should_callback_when_muted = should_callbck_when_muted

    @property
    def effective_log_file_size_kb(self) -> int:
        """Log file size in KB, honouring the legacy ``log_size`` (bytes) when only it was set."""
        if self.log_file_size_kb == _DEFAULT_LOG_FILE_SIZE_KB and self.log_size:
            return max(1, math.ceil(self.log_size / 1024))
        return self.log_file_size_kb

    def apm_processing(self) -> tuple:
        """(noise_suppression, agc) that ``enable_apm`` turns on."""
        apm = self.apm_config if self.apm_config is not None else APMConfig()
        return bool(apm.ai_ns_config.ns_enabled), bool(apm.agc_config.enabled)

    def _validated(self) -> None:
        """Check every field; raise TypeError/ValueError naming the first bad one."""
        owner = "AgoraServiceConfig"
        check_field_str(owner, "appid", self.appid)
        check_field_int(owner, "area_code", self.area_code, lo=0, hi=0xFFFFFFFF)
        check_field_enum(owner, "channel_profile", self.channel_profile, ChannelProfileType)
        check_field_enum(owner, "audio_scenario", self.audio_scenario, AudioScenarioType)
        for name in ("enable_audio_processor", "enable_audio_device", "enable_video",
                     "use_string_uid", "domain_limit", "enable_apm"):
            check_field_flag(owner, name, getattr(self, name))
        if not isinstance(self.should_callback_when_muted, bool):
            check_field_int(owner, "should_callback_when_muted", self.should_callback_when_muted)
        check_field_str(owner, "log_path", self.log_path, allow_none=True, allow_path=True)
        check_field_int(owner, "log_size", self.log_size, lo=0)
        check_field_int(owner, "log_file_size_kb", self.log_file_size_kb, lo=0)
        check_field_int(owner, "log_level", self.log_level, lo=0)
        check_field_str(owner, "data_dir", self.data_dir, allow_none=True, allow_path=True)
        check_field_str(owner, "config_dir", self.config_dir, allow_none=True, allow_path=True)
        check_field_instance(owner, "apm_config", self.apm_config, APMConfig, allow_none=True)
        if self.transport_url is not None:
            parse_transport_url(self.transport_url, what=f"{owner}.transport_url")
        check_field_int(owner, "prefill_ms", self.prefill_ms, lo=0, hi=MAX_PREFILL_MS)
        check_field_int(owner, "receive_threads", self.receive_threads, lo=0, hi=MAX_RECEIVE_THREADS)
        check_field_int(owner, "dispatch_threads", self.dispatch_threads, lo=0, hi=MAX_DISPATCH_THREADS)


def _get_callbck_alias(self: AgoraServiceConfig) -> int:
    return self.should_callback_when_muted


def _set_callbck_alias(self: AgoraServiceConfig, value: int) -> None:
    self.should_callback_when_muted = value


AgoraServiceConfig.should_callbck_when_muted = property(  # type: ignore[assignment]
    _get_callbck_alias, _set_callbck_alias,
    doc="Alias of ``should_callback_when_muted`` (the original SDK's spelling).")


# ---------------------------------------------------------------------------
# Connection configuration
# ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class AudioSubscriptionOptions:
    """Format of the subscribed remote audio.

    Zero means "engine default" for every numeric field (as in the original,
    whose defaults are all 0): 16000 Hz, mono, 2 bytes per sample.

    Parameters
    ----------
    packet_only : int
        1 to receive only encoded packets (no PCM). Exclusive with ``pcm_data_only``.
    pcm_data_only : int
        1 to receive only decoded PCM.
    bytes_per_sample : int
        0 or 2 (16-bit PCM is the only sample format).
    number_of_channels : int
        0, 1 or 2.
    sample_rate_hz : int
        0 or one of 8000, 16000, 24000, 32000, 44100, 48000 (received frames are
        exactly 10 ms, so 22050 Hz is not a playback format).
    """

    packet_only: int = 0
    pcm_data_only: int = 0
    bytes_per_sample: int = 0
    number_of_channels: int = 0
    sample_rate_hz: int = 0

    def _validated(self) -> None:
        """Check every field; raise TypeError/ValueError naming the first bad one."""
        owner = "AudioSubscriptionOptions"
        check_field_flag(owner, "packet_only", self.packet_only)
        check_field_flag(owner, "pcm_data_only", self.pcm_data_only)
        if self.packet_only and self.pcm_data_only:
            raise ValueError(
                f"{owner}.packet_only and {owner}.pcm_data_only are mutually exclusive; "
                "set at most one")
        bps = check_field_int(owner, "bytes_per_sample", self.bytes_per_sample)
        if bps not in (0, 2):
            raise ValueError(
                f"{owner}.bytes_per_sample must be 2 (16-bit PCM, or 0 for the default), got {bps}")
        channels = check_field_int(owner, "number_of_channels", self.number_of_channels)
        if channels not in (0, 1, 2):
            raise ValueError(
                f"{owner}.number_of_channels must be 1 or 2 (or 0 for the default), got {channels}")
        rate = check_field_int(owner, "sample_rate_hz", self.sample_rate_hz)
        if rate != 0 and rate not in PLAYBACK_SAMPLE_RATES:
            rates = ", ".join(str(r) for r in PLAYBACK_SAMPLE_RATES)
            raise ValueError(
                f"{owner}.sample_rate_hz must be one of {rates} (or 0 for the default), got {rate}")


@dataclass(kw_only=True)
class RTCConnConfig:
    """Configuration of one connection (:meth:`AgoraService.create_rtc_connection`).

    Parameters
    ----------
    auto_subscribe_audio : int
        1 (default) to hear every remote user that publishes audio. **Differs
        from the original**, whose default 0 creates bots that silently hear
        nobody unless they subscribe user by user.
    auto_subscribe_video : int
        1 to receive every remote video (default 0).
    enable_audio_recording_or_playout : int
        Native SDK device switch (default 0). Compatibility.
    max_send_bitrate : int
        Upper bound of the send bitrate in bps, 0 = no limit. Compatibility.
    min_port, max_port : int
        UDP port range for media sockets, 0 = any.
    audio_subs_options : AudioSubscriptionOptions
        Format of the subscribed audio.
    client_role_type : ClientRoleType
        Default ``CLIENT_ROLE_BROADCASTER``.
    channel_profile : ChannelProfileType
        Default ``CHANNEL_PROFILE_LIVE_BROADCASTING``.
    audio_recv_media_packet, audio_recv_encoded_frame, video_recv_media_packet : int
        Receive raw media packets / encoded frames instead of decoded media
        (default 0). Compatibility.
    """

    auto_subscribe_audio: int = 1
    auto_subscribe_video: int = 0
    enable_audio_recording_or_playout: int = 0
    max_send_bitrate: int = 0
    min_port: int = 0
    max_port: int = 0
    audio_subs_options: AudioSubscriptionOptions = field(default_factory=AudioSubscriptionOptions)
    client_role_type: ClientRoleType = ClientRoleType.CLIENT_ROLE_BROADCASTER
    channel_profile: ChannelProfileType = ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING
    audio_recv_media_packet: int = 0
    audio_recv_encoded_frame: int = 0
    video_recv_media_packet: int = 0

    def _validated(self) -> None:
        """Check every field (and ``audio_subs_options``); raise naming the first bad one."""
        owner = "RTCConnConfig"
        for name in ("auto_subscribe_audio", "auto_subscribe_video",
                     "enable_audio_recording_or_playout", "audio_recv_media_packet",
                     "audio_recv_encoded_frame", "video_recv_media_packet"):
            check_field_flag(owner, name, getattr(self, name))
        check_field_int(owner, "max_send_bitrate", self.max_send_bitrate, lo=0)
        lo_port = check_field_int(owner, "min_port", self.min_port, lo=0, hi=65535)
        hi_port = check_field_int(owner, "max_port", self.max_port, lo=0, hi=65535)
        if lo_port and hi_port and lo_port > hi_port:
            raise ValueError(
                f"{owner}.min_port must not exceed {owner}.max_port, got {lo_port} > {hi_port}")
        check_field_instance(owner, "audio_subs_options", self.audio_subs_options,
                             AudioSubscriptionOptions)
        self.audio_subs_options._validated()
        check_field_enum(owner, "client_role_type", self.client_role_type, ClientRoleType)
        check_field_enum(owner, "channel_profile", self.channel_profile, ChannelProfileType)


@dataclass(kw_only=True)
class SenderOptions:
    """Options of the encoded-video sender of a connection.

    Parameters
    ----------
    target_bitrate : int
        Target bitrate in Kbps (default 4160, Agora's recommendation for 1080p).
    cc_mode : TCcMode
        Congestion control (default ``CC_ENABLED``).
    codec_type : VideoCodecType
        Codec of the pushed encoded images (default H.264). The original's
        ``5`` for VP9 is accepted.
    """

    target_bitrate: int = 4160
    cc_mode: TCcMode = TCcMode.CC_ENABLED
    codec_type: VideoCodecType = VideoCodecType.VIDEO_CODEC_H264


#: Upper bounds of :class:`SendExternalAudioParameters` (the engine's limits).
MAX_INCREMENTAL_SEND_MS = 60000
MAX_INCREMENTAL_SEND_SPEED = 5


@dataclass(kw_only=True)
class SendExternalAudioParameters:
    """Incremental send (the original's 2.4.2 option, ``RtcConnectionPublishConfig.send_external_audio_parameters``).

    When ``enabled``, the first ``send_ms`` of each new round of pushed audio
    leave ``send_speed`` times faster than real time (``send_speed`` 10 ms
    frames per media-clock tick), to fill the far side's jitter buffer
    quickly; then one frame per tick. A round starts when audio is pushed
    while nothing is queued (after the previous round drained, or after
    ``interrupt_audio``). Content and order are unchanged; only the send
    instants move. The service's ``prefill_ms`` burst is sent first and counts
    towards ``send_ms``. On a Janus connection the far jitter buffer (a
    browser's NetEQ) may read the burst as network jitter and keep a larger
    delay for a while.

    Parameters
    ----------
    enabled : bool
        Turn incremental send on (default False).
    send_ms : int
        Length of the fast start of each round, 0..60000 ms (rounded up to
        whole 10 ms frames). 0 turns it off.
    send_speed : int
        0..5; 0 (the original's default) and 1 mean real time, 2..5 the
        speed-up. Unlike the original, values out of range raise ValueError
        instead of being clamped.
    deliver_mute_data_for_fake_adm : bool
        The original's switch for the Agora engine's silent filler frames.
        This engine sends nothing between rounds (PACING.md), so only False
        (the original samples' setting) is accepted.
    """

    enabled: bool = False
    send_ms: int = 0
    send_speed: int = 0
    deliver_mute_data_for_fake_adm: bool = False

    def _validated(self, owner: str = "SendExternalAudioParameters") -> None:
        check_field_flag(owner, "enabled", self.enabled)
        check_field_int(owner, "send_ms", self.send_ms, lo=0, hi=MAX_INCREMENTAL_SEND_MS)
        check_field_int(owner, "send_speed", self.send_speed, lo=0, hi=MAX_INCREMENTAL_SEND_SPEED)
        check_field_flag(owner, "deliver_mute_data_for_fake_adm",
                         self.deliver_mute_data_for_fake_adm)
        if self.deliver_mute_data_for_fake_adm:
            raise ValueError(f"{owner}.deliver_mute_data_for_fake_adm=True is not supported: this "
                             "engine sends no filler silence between rounds; use False")

    def _engine_args(self) -> tuple:
        """(send_ms, speed) for the engine; speed 1 = off."""
        if not self.enabled or self.send_ms == 0 or self.send_speed <= 1:
            return (0, 1)
        return (int(self.send_ms), int(self.send_speed))


@dataclass(kw_only=True)
class RtcConnectionPublishConfig:
    """What a connection publishes and how (second argument of ``create_rtc_connection``).

    Parameters
    ----------
    audio_profile : AudioProfileType
        Default ``AUDIO_PROFILE_DEFAULT``.
    audio_scenario : AudioScenarioType
        Default ``AUDIO_SCENARIO_AI_SERVER``.
    is_publish_audio : bool
        Create an audio track (default True). ``publish_audio()`` still has to
        be called to start sending.
    is_publish_video : bool
        Create a video track (default False).
    audio_publish_type : AudioPublishType
        Default ``AUDIO_PUBLISH_TYPE_PCM`` (``push_audio_pcm_data``).
    video_publish_type : VideoPublishType
        Default ``VIDEO_PUBLISH_TYPE_NONE``.
    video_encoded_image_sender_options : SenderOptions
        Used with ``VIDEO_PUBLISH_TYPE_ENCODED_IMAGE``.
    send_external_audio_parameters : SendExternalAudioParameters or None
        Incremental send: the first ``send_ms`` of each round of pushed audio
        leave ``send_speed`` times faster than real time (None = off).
    """

    audio_profile: AudioProfileType = AudioProfileType.AUDIO_PROFILE_DEFAULT
    audio_scenario: AudioScenarioType = AudioScenarioType.AUDIO_SCENARIO_AI_SERVER
    is_publish_audio: bool = True
    is_publish_video: bool = False
    audio_publish_type: AudioPublishType = AudioPublishType.AUDIO_PUBLISH_TYPE_PCM
    video_publish_type: VideoPublishType = VideoPublishType.VIDEO_PUBLISH_TYPE_NONE
    video_encoded_image_sender_options: SenderOptions = field(default_factory=SenderOptions)
    send_external_audio_parameters: Optional[SendExternalAudioParameters] = None

    def _validated(self) -> None:
        """Check every field; raise TypeError/ValueError naming the first bad one."""
        owner = "RtcConnectionPublishConfig"
        check_field_enum(owner, "audio_profile", self.audio_profile, AudioProfileType,
                         exclude=(AudioProfileType.AUDIO_PROFILE_NUM,))
        check_field_enum(owner, "audio_scenario", self.audio_scenario, AudioScenarioType)
        check_field_flag(owner, "is_publish_audio", self.is_publish_audio)
        check_field_flag(owner, "is_publish_video", self.is_publish_video)
        check_field_enum(owner, "audio_publish_type", self.audio_publish_type, AudioPublishType)
        check_field_enum(owner, "video_publish_type", self.video_publish_type, VideoPublishType)
        opts = self.video_encoded_image_sender_options
        check_field_instance(owner, "video_encoded_image_sender_options", opts, SenderOptions)
        sub = f"{owner}.video_encoded_image_sender_options"
        check_field_int(sub, "target_bitrate", opts.target_bitrate, lo=0)
        check_field_enum(sub, "cc_mode", opts.cc_mode, TCcMode)
        check_field_enum(sub, "codec_type", opts.codec_type, VideoCodecType)
        check_field_instance(owner, "send_external_audio_parameters",
                             self.send_external_audio_parameters, SendExternalAudioParameters,
                             allow_none=True)
        if self.send_external_audio_parameters is not None:
            self.send_external_audio_parameters._validated(f"{owner}.send_external_audio_parameters")


@dataclass(kw_only=True)
class VideoSubscriptionOptions:
    """How to receive a remote user's video (``LocalUser.subscribe_video``).

    Parameters
    ----------
    type : VideoStreamType
        High (default) or low simulcast layer.
    encodedFrameOnly : bool
        Deliver encoded frames only (to ``IVideoEncodedFrameObserver``).
    """

    type: VideoStreamType = VideoStreamType.VIDEO_STREAM_HIGH
    encodedFrameOnly: bool = False


@dataclass(kw_only=True)
class AudioEncoderConfiguration:
    """Audio encoder settings of a local audio track."""

    audioProfile: AudioProfileType = AudioProfileType.AUDIO_PROFILE_DEFAULT


@dataclass
class VideoDimensions:
    """Video width and height in pixels (may also be given positionally)."""

    width: int = 0
    height: int = 0


def _default_dimensions() -> VideoDimensions:
    return VideoDimensions(width=640, height=360)


@dataclass(kw_only=True)
class VideoEncoderConfiguration:
    """Video encoder settings (``RTCConnection.set_video_encoder_configuration``).

    Parameters
    ----------
    dimensions : VideoDimensions
        Encoded size (default 640x360, Agora's default; required in the original).
    codec_type : VideoCodecType
        Default H.264.
    frame_rate : int
        Frames per second (default 15).
    bitrate : int
        Kbps; 0 = Agora's standard bitrate for the size and frame rate.
    min_bitrate : int
        Kbps; -1 (default) = engine default.
    orientation_mode, degradation_preference, mirror_mode : int
        Agora's ``ORIENTATION_MODE``, ``DEGRADATION_PREFERENCE``, ``VIDEO_MIRROR_MODE_TYPE``.
    encode_alpha : int
        1 to encode ``ExternalVideoFrame.alpha_buffer``.
    """

    dimensions: VideoDimensions = field(default_factory=_default_dimensions)
    codec_type: VideoCodecType = VideoCodecType.VIDEO_CODEC_H264
    frame_rate: int = 15
    bitrate: int = 0
    min_bitrate: int = -1
    orientation_mode: int = 0
    degradation_preference: int = 0
    mirror_mode: int = 0
    encode_alpha: int = 0


#: Name used by SDK 2.0/2.1 for :class:`VideoEncoderConfiguration`.
VideoEncoderConfig = VideoEncoderConfiguration


@dataclass(kw_only=True)
class SimulcastStreamConfig:
    """Low-quality simulcast layer (``RTCConnection.set_simulcast_stream``)."""

    dimensions: VideoDimensions = field(default_factory=VideoDimensions)
    bitrate: int = 0
    framerate: int = 0


@dataclass(kw_only=True)
class EncryptionConfig:
    """Built-in media encryption (``RTCConnection.enable_encryption``).

    Parameters
    ----------
    encryption_mode : int
        :class:`EncryptionMode` value (default ``AES_128_GCM2``, Agora's default;
        required in the original).
    encryption_key : str
        The key (required for encryption to work; "" by default).
    encryption_kdf_salt : bytes or bytearray or None
        32-byte salt for the ``*_GCM2`` modes.
    datastream_encryption_enabled : bool
        Also encrypt stream messages.
    """

    encryption_mode: int = EncryptionMode.AES_128_GCM2
    encryption_key: str = ""
    encryption_kdf_salt: Optional[bytes | bytearray] = None
    datastream_encryption_enabled: bool = False
