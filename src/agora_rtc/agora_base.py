"""Enums, configuration and data classes of the public API.

This module mirrors ``agora.rtc.agora_base`` of the Agora Python Server SDK
(2.3/2.4): the same class names, enum member names and values, and dataclass
field names, so agent code written for that SDK ports by changing its imports.
Every class here is pure Python and has no dependency outside the standard
library. ``AudioFrame`` is deliberately *not* defined here: it is the compiled
frame class of the engine.

Differences from the original, all deliberate:

* Every dataclass can be created empty and filled attribute by attribute, as the
  Agora samples do (``config = AgoraServiceConfig(); config.appid = ...``).
  Report classes (stats, connection info) are plain mutable snapshots rather
  than frozen records.
* ``RTCConnConfig.auto_subscribe_audio`` defaults to 1: the original's 0 builds
  bots that silently hear nobody.
* ``VideoCodecType.VIDEO_CODEC_VP9`` is 13, as in the Agora 4.x native SDK; the
  original's 5 is still accepted (``VideoCodecType(5) is VIDEO_CODEC_VP9``).
* The configuration classes validate themselves (``_validated()``), so a wrong
  sample rate or a typo in an enum value fails with a message naming the field
  instead of an opaque negative return code.
* ``AgoraServiceConfig`` gains ``transport_url`` (with the environment variable
  ``AGORA_RTC_TRANSPORT_URL`` as fallback, see :func:`resolve_transport_url`)
  and ``prefill_ms``.
"""

from __future__ import annotations

import re

import math
import operator
import os
from dataclasses import InitVar, dataclass, field
from enum import IntEnum
from typing import Any, Iterable, Mapping, Optional, Type
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    # enums (original)
    "ChannelProfileType",
    "ClientRoleType",
    "VideoStreamType",
    "AudioCodecType",
    "VideoCodecType",
    "AreaCode",
    "AudioScenarioType",
    "RawAudioFrameOpModeType",
    "AudioFramePosition",
    "AudioProfileType",
    "TCcMode",
    "AudioPublishType",
    "VideoPublishType",
    # enums (Agora native SDK values, not in the original Python module)
    "ConnectionState",
    "ConnectionChangedReasonType",
    "UserOfflineReasonType",
    "RemoteAudioState",
    "RemoteAudioStateReason",
    "RemoteVideoState",
    "RemoteVideoStateReason",
    "LocalAudioStreamState",
    "LocalAudioStreamError",
    "AudioFrameType",
    "VideoPixelFormat",
    "VideoBufferType",
    "VideoFrameType",
    "EncryptionMode",
    # configuration
    "AgoraServiceConfig",
    "AudioSubscriptionOptions",
    "RTCConnConfig",
    "SenderOptions",
    "SendExternalAudioParameters",
    "RtcConnectionPublishConfig",
    "VideoSubscriptionOptions",
    "AudioEncoderConfiguration",
    "VideoDimensions",
    "VideoEncoderConfiguration",
    "VideoEncoderConfig",
    "SimulcastStreamConfig",
    "EncryptionConfig",
    "AiNsConfig",
    "AiAecConfig",
    "BghvsCConfig",
    "AgcConfig",
    "APMConfig",
    # media data
    "PcmAudioFrame",
    "EncodedAudioFrameInfo",
    "EncodedVideoFrameInfo",
    "ColorSpaceType",
    "ExternalVideoFrame",
    "VideoFrame",
    "AudioParams",
    "AudioPcmDataInfo",
    # reports
    "RTCConnInfo",
    "RTCStats",
    "AudioVolumeInfo",
    "LocalAudioTrackStats",
    "LocalAudioStats",
    "RemoteAudioTrackStats",
    "LocalVideoTrackStats",
    "RemoteVideoTrackStats",
    "VideoTrackInfo",
    "RemoteVideoStreamInfo",
    "LastmileProbeOneWayResult",
    "LastmileProbeResult",
    "AnaStats",
    "AudioProcessingStats",
    "LocalAudioDetailedStats",
    "CapabilityItem",
    "CapabilityItemMap",
    "Capabilities",
    # transport helpers
    "TRANSPORT_URL_ENV",
    "DEFAULT_PREFILL_MS",
    "MAX_PREFILL_MS",
    "SUPPORTED_SAMPLE_RATES",
    "TransportURL",
    "parse_transport_url",
    "resolve_transport_url",
]


# ---------------------------------------------------------------------------
# Enums kept from the original module (same names, same values)
# ---------------------------------------------------------------------------


class ChannelProfileType(IntEnum):
    """Channel profile (Agora ``CHANNEL_PROFILE_TYPE``)."""

    CHANNEL_PROFILE_COMMUNICATION = 0
    CHANNEL_PROFILE_LIVE_BROADCASTING = 1


class ClientRoleType(IntEnum):
    """Role of the local user: only broadcasters publish."""

    CLIENT_ROLE_BROADCASTER = 1
    CLIENT_ROLE_AUDIENCE = 2


class VideoStreamType(IntEnum):
    """Which simulcast layer of a remote video stream to receive."""

    VIDEO_STREAM_HIGH = 0
    VIDEO_STREAM_LOW = 1


class AudioCodecType(IntEnum):
    """Audio codec of encoded audio frames (Agora ``AUDIO_CODEC_TYPE``)."""

    AUDIO_CODEC_OPUS = 1
    AUDIO_CODEC_PCMA = 3
    AUDIO_CODEC_PCMU = 4
    AUDIO_CODEC_G722 = 5
    AUDIO_CODEC_AACLC = 8
    AUDIO_CODEC_HEAAC = 9
    AUDIO_CODEC_JC1 = 10
    AUDIO_CODEC_HEAAC2 = 11
    AUDIO_CODEC_LPCNET = 12
    AUDIO_CODEC_OPUSMC = 13


class VideoCodecType(IntEnum):
    """Video codec (Agora 4.x ``VIDEO_CODEC_TYPE``).

    ``VIDEO_CODEC_VP9`` is 13, the value of the Agora 4.x native SDK. The
    original Python SDK declared it as 5; that value is still accepted as an
    alias through :meth:`_missing_`, so ``VideoCodecType(5)`` returns
    ``VIDEO_CODEC_VP9`` and a ported ``SenderOptions(codec_type=5)`` validates.
    Note that the alias works through the constructor only: the integer
    comparison ``VideoCodecType.VIDEO_CODEC_VP9 == 5`` is False, so normalise
    raw integers with ``VideoCodecType(value)`` before comparing.
    """

    VIDEO_CODEC_NONE = 0
    VIDEO_CODEC_VP8 = 1
    VIDEO_CODEC_H264 = 2
    VIDEO_CODEC_H265 = 3
    VIDEO_CODEC_GENERIC = 6
    VIDEO_CODEC_GENERIC_H264 = 7
    VIDEO_CODEC_AV1 = 12
    VIDEO_CODEC_VP9 = 13
    VIDEO_CODEC_GENERIC_JPEG = 20

    @classmethod
    def _missing_(cls, value: object) -> Optional["VideoCodecType"]:
        # The original Python SDK (agora.rtc 2.x) used 5 for VP9.
        if isinstance(value, int) and not isinstance(value, bool) and value == _LEGACY_VP9:
            return cls.VIDEO_CODEC_VP9
        return None


#: The value the original Python SDK used for ``VIDEO_CODEC_VP9``.
_LEGACY_VP9 = 5


class AreaCode(IntEnum):
    """Region the service may connect to (a bit mask; ``AREA_CODE_GLOB`` = all)."""

    AREA_CODE_CN = 0x00000001
    AREA_CODE_NA = 0x00000002
    AREA_CODE_EU = 0x00000004
    AREA_CODE_AS = 0x00000008
    AREA_CODE_JP = 0x00000010
    AREA_CODE_IN = 0x00000020
    AREA_CODE_GLOB = 0xFFFFFFFF


class AudioScenarioType(IntEnum):
    """Audio scenario. ``AUDIO_SCENARIO_AI_SERVER`` is the one for voice agents.

    Agora requires the clients talking to an ``AI_SERVER`` agent to use
    ``AUDIO_SCENARIO_AI_CLIENT``. On the in-process ``local`` transport the
    scenario is informational.
    """

    AUDIO_SCENARIO_DEFAULT = 0
    AUDIO_SCENARIO_GAME_STREAMING = 3
    AUDIO_SCENARIO_CHATROOM = 5
    AUDIO_SCENARIO_CHORUS = 7
    AUDIO_SCENARIO_MEETING = 8
    AUDIO_SCENARIO_AI_SERVER = 9
    AUDIO_SCENARIO_AI_CLIENT = 10


class RawAudioFrameOpModeType(IntEnum):
    """Whether an audio frame observer may modify the frames it receives."""

    RAW_AUDIO_FRAME_OP_MODE_READ_ONLY = 0
    RAW_AUDIO_FRAME_OP_MODE_READ_WRITE = 2


class AudioFramePosition(IntEnum):
    """Observation points of an audio frame observer (bit mask)."""

    AUDIO_FRAME_POSITION_PLAYBACK = 0x0001
    AUDIO_FRAME_POSITION_RECORD = 0x0002
    AUDIO_FRAME_POSITION_MIXED = 0x0004
    AUDIO_FRAME_POSITION_BEFORE_MIXING = 0x0008


class AudioProfileType(IntEnum):
    """Audio encoding profile (sample rate, bitrate, channels) of a published track.

    ``AUDIO_PROFILE_NUM`` is the enumerator boundary, not a profile.
    """

    AUDIO_PROFILE_DEFAULT = 0
    AUDIO_PROFILE_SPEECH_STANDARD = 1
    AUDIO_PROFILE_MUSIC_STANDARD = 2
    AUDIO_PROFILE_MUSIC_STANDARD_STEREO = 3
    AUDIO_PROFILE_MUSIC_HIGH_QUALITY = 4
    AUDIO_PROFILE_MUSIC_HIGH_QUALITY_STEREO = 5
    AUDIO_PROFILE_IOT = 6
    AUDIO_PROFILE_NUM = 7


class TCcMode(IntEnum):
    """Congestion control of an encoded video sender."""

    CC_ENABLED = 0
    CC_DISABLED = 1


class AudioPublishType(IntEnum):
    """What kind of audio a connection publishes."""

    AUDIO_PUBLISH_TYPE_NONE = 0
    AUDIO_PUBLISH_TYPE_PCM = 1
    AUDIO_PUBLISH_TYPE_ENCODED_PCM = 2


class VideoPublishType(IntEnum):
    """What kind of video a connection publishes."""

    VIDEO_PUBLISH_TYPE_NONE = 0
    VIDEO_PUBLISH_TYPE_YUV = 1
    VIDEO_PUBLISH_TYPE_ENCODED_IMAGE = 2


# ---------------------------------------------------------------------------
# Enums with Agora native-SDK names and values. The original Python module
# passes these around as bare ints; they are provided so code can name them.
# ---------------------------------------------------------------------------


class ConnectionState(IntEnum):
    """Connection state (Agora ``CONNECTION_STATE_TYPE``); ``RTCConnInfo.state``."""

    CONNECTION_STATE_DISCONNECTED = 1
    CONNECTION_STATE_CONNECTING = 2
    CONNECTION_STATE_CONNECTED = 3
    CONNECTION_STATE_RECONNECTING = 4
    CONNECTION_STATE_FAILED = 5


class ConnectionChangedReasonType(IntEnum):
    """Why the connection state changed (the ``reason`` of connection callbacks).

    ``CONNECTION_CHANGED_CERTIFICATION_VERYFY_FAILURE`` keeps Agora's spelling;
    ``CONNECTION_CHANGED_CERTIFICATION_VERIFY_FAILURE`` is an alias.
    """

    CONNECTION_CHANGED_CONNECTING = 0
    CONNECTION_CHANGED_JOIN_SUCCESS = 1
    CONNECTION_CHANGED_INTERRUPTED = 2
    CONNECTION_CHANGED_BANNED_BY_SERVER = 3
    CONNECTION_CHANGED_JOIN_FAILED = 4
    CONNECTION_CHANGED_LEAVE_CHANNEL = 5
    CONNECTION_CHANGED_INVALID_APP_ID = 6
    CONNECTION_CHANGED_INVALID_CHANNEL_NAME = 7
    CONNECTION_CHANGED_INVALID_TOKEN = 8
    CONNECTION_CHANGED_TOKEN_EXPIRED = 9
    CONNECTION_CHANGED_REJECTED_BY_SERVER = 10
    CONNECTION_CHANGED_SETTING_PROXY_SERVER = 11
    CONNECTION_CHANGED_RENEW_TOKEN = 12
    CONNECTION_CHANGED_CLIENT_IP_ADDRESS_CHANGED = 13
    CONNECTION_CHANGED_KEEP_ALIVE_TIMEOUT = 14
    CONNECTION_CHANGED_REJOIN_SUCCESS = 15
    CONNECTION_CHANGED_LOST = 16
    CONNECTION_CHANGED_ECHO_TEST = 17
    CONNECTION_CHANGED_CLIENT_IP_ADDRESS_CHANGED_BY_USER = 18
    CONNECTION_CHANGED_SAME_UID_LOGIN = 19
    CONNECTION_CHANGED_TOO_MANY_BROADCASTERS = 20
    CONNECTION_CHANGED_LICENSE_VALIDATION_FAILURE = 21
    CONNECTION_CHANGED_CERTIFICATION_VERYFY_FAILURE = 22
    CONNECTION_CHANGED_CERTIFICATION_VERIFY_FAILURE = 22
    CONNECTION_CHANGED_STREAM_CHANNEL_NOT_AVAILABLE = 23
    CONNECTION_CHANGED_INCONSISTENT_APPID = 24


class UserOfflineReasonType(IntEnum):
    """Why a remote user left (the ``reason`` of ``on_user_left``)."""

    USER_OFFLINE_QUIT = 0
    USER_OFFLINE_DROPPED = 1
    USER_OFFLINE_BECOME_AUDIENCE = 2


class RemoteAudioState(IntEnum):
    """State of a remote user's audio track (``on_user_audio_track_state_changed``)."""

    REMOTE_AUDIO_STATE_STOPPED = 0
    REMOTE_AUDIO_STATE_STARTING = 1
    REMOTE_AUDIO_STATE_DECODING = 2
    REMOTE_AUDIO_STATE_FROZEN = 3
    REMOTE_AUDIO_STATE_FAILED = 4


class RemoteAudioStateReason(IntEnum):
    """Why a remote audio track changed state."""

    REMOTE_AUDIO_REASON_INTERNAL = 0
    REMOTE_AUDIO_REASON_NETWORK_CONGESTION = 1
    REMOTE_AUDIO_REASON_NETWORK_RECOVERY = 2
    REMOTE_AUDIO_REASON_LOCAL_MUTED = 3
    REMOTE_AUDIO_REASON_LOCAL_UNMUTED = 4
    REMOTE_AUDIO_REASON_REMOTE_MUTED = 5
    REMOTE_AUDIO_REASON_REMOTE_UNMUTED = 6
    REMOTE_AUDIO_REASON_REMOTE_OFFLINE = 7


class RemoteVideoState(IntEnum):
    """State of a remote user's video track."""

    REMOTE_VIDEO_STATE_STOPPED = 0
    REMOTE_VIDEO_STATE_STARTING = 1
    REMOTE_VIDEO_STATE_DECODING = 2
    REMOTE_VIDEO_STATE_FROZEN = 3
    REMOTE_VIDEO_STATE_FAILED = 4


class RemoteVideoStateReason(IntEnum):
    """Why a remote video track changed state."""

    REMOTE_VIDEO_STATE_REASON_INTERNAL = 0
    REMOTE_VIDEO_STATE_REASON_NETWORK_CONGESTION = 1
    REMOTE_VIDEO_STATE_REASON_NETWORK_RECOVERY = 2
    REMOTE_VIDEO_STATE_REASON_LOCAL_MUTED = 3
    REMOTE_VIDEO_STATE_REASON_LOCAL_UNMUTED = 4
    REMOTE_VIDEO_STATE_REASON_REMOTE_MUTED = 5
    REMOTE_VIDEO_STATE_REASON_REMOTE_UNMUTED = 6
    REMOTE_VIDEO_STATE_REASON_REMOTE_OFFLINE = 7
    REMOTE_VIDEO_STATE_REASON_AUDIO_FALLBACK = 8
    REMOTE_VIDEO_STATE_REASON_AUDIO_FALLBACK_RECOVERY = 9
    REMOTE_VIDEO_STATE_REASON_VIDEO_STREAM_TYPE_CHANGE_TO_LOW = 10
    REMOTE_VIDEO_STATE_REASON_VIDEO_STREAM_TYPE_CHANGE_TO_HIGH = 11
    REMOTE_VIDEO_STATE_REASON_SDK_IN_BACKGROUND = 12
    REMOTE_VIDEO_STATE_REASON_CODEC_NOT_SUPPORT = 13


class LocalAudioStreamState(IntEnum):
    """State of the local (published) audio stream."""

    LOCAL_AUDIO_STREAM_STATE_STOPPED = 0
    LOCAL_AUDIO_STREAM_STATE_RECORDING = 1
    LOCAL_AUDIO_STREAM_STATE_ENCODING = 2
    LOCAL_AUDIO_STREAM_STATE_FAILED = 3


class LocalAudioStreamError(IntEnum):
    """Reason reported with a local audio stream state change."""

    LOCAL_AUDIO_STREAM_ERROR_OK = 0
    LOCAL_AUDIO_STREAM_ERROR_FAILURE = 1
    LOCAL_AUDIO_STREAM_ERROR_DEVICE_NO_PERMISSION = 2
    LOCAL_AUDIO_STREAM_ERROR_DEVICE_BUSY = 3
    LOCAL_AUDIO_STREAM_ERROR_RECORD_FAILURE = 4
    LOCAL_AUDIO_STREAM_ERROR_ENCODE_FAILURE = 5
    LOCAL_AUDIO_STREAM_ERROR_NO_RECORDING_DEVICE = 6
    LOCAL_AUDIO_STREAM_ERROR_NO_PLAYOUT_DEVICE = 7
    LOCAL_AUDIO_STREAM_ERROR_INTERRUPTED = 8
    LOCAL_AUDIO_STREAM_ERROR_RECORD_INVALID_ID = 9
    LOCAL_AUDIO_STREAM_ERROR_PLAYOUT_INVALID_ID = 10


class AudioFrameType(IntEnum):
    """Sample format of an ``AudioFrame`` (``AudioFrame.type``): 16-bit PCM only."""

    FRAME_TYPE_PCM16 = 0


class VideoPixelFormat(IntEnum):
    """Pixel format of raw video (``ExternalVideoFrame.format``, ``VideoFrame.type``)."""

    VIDEO_PIXEL_DEFAULT = 0
    VIDEO_PIXEL_I420 = 1
    VIDEO_PIXEL_BGRA = 2
    VIDEO_PIXEL_NV21 = 3
    VIDEO_PIXEL_RGBA = 4
    VIDEO_PIXEL_NV12 = 8
    VIDEO_TEXTURE_2D = 10
    VIDEO_TEXTURE_OES = 11
    VIDEO_CVPIXEL_NV12 = 12
    VIDEO_CVPIXEL_I420 = 13
    VIDEO_CVPIXEL_BGRA = 14
    VIDEO_CVPIXEL_P010 = 15
    VIDEO_PIXEL_I422 = 16
    VIDEO_TEXTURE_ID3D11TEXTURE2D = 17
    VIDEO_PIXEL_I010 = 18


class VideoBufferType(IntEnum):
    """Buffer kind of an ``ExternalVideoFrame`` (``ExternalVideoFrame.type``)."""

    VIDEO_BUFFER_RAW_DATA = 1
    VIDEO_BUFFER_ARRAY = 2
    VIDEO_BUFFER_TEXTURE = 3


class VideoFrameType(IntEnum):
    """Type of an encoded video frame (``EncodedVideoFrameInfo.frame_type``)."""

    VIDEO_FRAME_TYPE_BLANK_FRAME = 0
    VIDEO_FRAME_TYPE_KEY_FRAME = 3
    VIDEO_FRAME_TYPE_DELTA_FRAME = 4
    VIDEO_FRAME_TYPE_B_FRAME = 5
    VIDEO_FRAME_TYPE_DROPPABLE_FRAME = 6
    VIDEO_FRAME_TYPE_UNKNOW = 0xFF


class EncryptionMode(IntEnum):
    """Built-in media encryption mode (``EncryptionConfig.encryption_mode``)."""

    AES_128_XTS = 1
    AES_128_ECB = 2
    AES_256_XTS = 3
    SM4_128_ECB = 4
    AES_128_GCM = 5
    AES_256_GCM = 6
    AES_128_GCM2 = 7
    AES_256_GCM2 = 8


# ---------------------------------------------------------------------------
# Validation helpers (private)
# ---------------------------------------------------------------------------

#: Sample rates accepted for PCM (push and subscription), in Hz.
SUPPORTED_SAMPLE_RATES: tuple[int, ...] = (8000, 16000, 22050, 24000, 32000, 44100, 48000)
# Received frames are exactly 10 ms, so their rate must be a multiple of 100 Hz.
PLAYBACK_SAMPLE_RATES: tuple[int, ...] = (8000, 16000, 24000, 32000, 44100, 48000)


def _type_name(value: object) -> str:
    return type(value).__name__


def _check_int(owner: str, name: str, value: Any, *, lo: Optional[int] = None,
               hi: Optional[int] = None) -> int:
    """Return ``value`` as an int, or raise naming ``owner.name``.

    Anything with ``__index__`` (int, numpy integers) is accepted; bool and
    float are rejected because they are almost always a mistake here.
    """
    if isinstance(value, bool):
        raise TypeError(f"{owner}.{name} must be an int, got bool {value!r}")
    try:
        ivalue = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{owner}.{name} must be an int, got {_type_name(value)} {value!r}") from None
    if lo is not None and ivalue < lo:
        if hi is not None:
            raise ValueError(f"{owner}.{name} must be between {lo} and {hi}, got {ivalue}")
        raise ValueError(f"{owner}.{name} must be >= {lo}, got {ivalue}")
    if hi is not None and ivalue > hi:
        if lo is not None:
            raise ValueError(f"{owner}.{name} must be between {lo} and {hi}, got {ivalue}")
        raise ValueError(f"{owner}.{name} must be <= {hi}, got {ivalue}")
    return ivalue


def _check_flag(owner: str, name: str, value: Any) -> None:
    """A 0/1 switch: accept bool or the ints 0 and 1."""
    if isinstance(value, bool):
        return
    try:
        ivalue = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{owner}.{name} must be 0/1 or a bool, got {_type_name(value)} {value!r}") from None
    if ivalue not in (0, 1):
        raise ValueError(f"{owner}.{name} must be 0/1 or a bool, got {ivalue}")


def _check_enum(owner: str, name: str, value: Any, enum_cls: Type[IntEnum],
                exclude: Iterable[int] = ()) -> IntEnum:
    """Return ``enum_cls(value)`` or raise naming the field and the valid members."""
    excluded = set(exclude)
    choices = ", ".join(f"{m.value}={m.name}" for m in enum_cls if m.value not in excluded)
    if isinstance(value, bool):
        raise TypeError(
            f"{owner}.{name} must be a valid {enum_cls.__name__} ({choices}), got bool {value!r}")
    try:
        ivalue = operator.index(value)
    except TypeError:
        raise TypeError(
            f"{owner}.{name} must be a valid {enum_cls.__name__} ({choices}), "
            f"got {_type_name(value)} {value!r}") from None
    try:
        member = enum_cls(ivalue)
    except ValueError:
        member = None
    if member is None or member.value in excluded:
        raise ValueError(
            f"{owner}.{name} must be a valid {enum_cls.__name__} ({choices}), got {ivalue}")
    return member


def _check_str(owner: str, name: str, value: Any, *, allow_none: bool = False,
               allow_path: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, str):
        return
    if allow_path and isinstance(value, os.PathLike):
        return
    expected = "a str"
    if allow_path:
        expected += " or os.PathLike"
    if allow_none:
        expected += " or None"
    raise TypeError(f"{owner}.{name} must be {expected}, got {_type_name(value)} {value!r}")


def _check_instance(owner: str, name: str, value: Any, cls: type, *,
                    allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, cls):
        article = "an" if cls.__name__[:1] in "AEIOU" else "a"
        expected = f"{article} {cls.__name__}" + (" or None" if allow_none else "")
        raise TypeError(f"{owner}.{name} must be {expected}, got {_type_name(value)} {value!r}")


# ---------------------------------------------------------------------------
# Transport URL
# ---------------------------------------------------------------------------

#: Environment variable consulted when ``AgoraServiceConfig.transport_url`` is empty.
TRANSPORT_URL_ENV = "AGORA_RTC_TRANSPORT_URL"

_TRANSPORT_FORMS = "'' / 'local://...' / 'janus://host:port' / 'janus+ws://host:port'"

# scheme -> (default port, default path)
_JANUS_DEFAULTS: dict[str, tuple[int, str]] = {
    "janus": (8088, "/janus"),
    "janus+ws": (8188, "/"),
}


@dataclass(frozen=True)
class TransportURL:
    """A parsed transport URL (see :func:`parse_transport_url`).

    Parameters
    ----------
    scheme : str
        ``"local"``, ``"janus"`` (Janus HTTP API) or ``"janus+ws"`` (Janus WebSocket API).
    host : str
        Janus host; for ``local`` the optional hub name (``local://name``), else ``""``.
    port : int or None
        Janus port (defaults: 8088 for ``janus``, 8188 for ``janus+ws``); None for ``local``.
    path : str
        Janus API path (defaults: ``/janus`` for ``janus``, ``/`` for ``janus+ws``).
    params : Mapping[str, str]
        Query parameters, passed through to the transport (their meaning is
        defined by the transport, e.g. Janus keys).
    """

    scheme: str
    host: str = ""
    port: Optional[int] = None
    path: str = ""
    params: Mapping[str, str] = field(default_factory=dict, repr=False)  # may hold admin_key

    @property
    def is_local(self) -> bool:
        """True for the in-process ``local`` network."""
        return self.scheme == "local"


def parse_transport_url(url: str, *,
                        what: str = "AgoraServiceConfig.transport_url") -> TransportURL:
    """Parse and validate a transport URL.

    Parameters
    ----------
    url : str
        ``""`` or ``"local://"`` / ``"local://<hub>"`` for the in-process network;
        ``"janus://host[:port][/path][?k=v...]"`` for the Janus HTTP API (port 8088,
        path ``/janus`` by default); ``"janus+ws://host[:port][/path][?k=v...]"`` for
        the Janus WebSocket API (port 8188 by default).
    what : str
        How to name the value in error messages.

    Returns
    -------
    TransportURL

    Raises
    ------
    TypeError
        ``url`` is not a str.
    ValueError
        Unknown scheme, missing host, bad port.
    """
    if not isinstance(url, str):
        raise TypeError(f"{what} must be a str ({_TRANSPORT_FORMS}), got {_type_name(url)} {url!r}")
    text = url.strip()
    if text == "":
        return TransportURL(scheme="local")
    if "://" not in text:
        raise ValueError(f"{what} must be {_TRANSPORT_FORMS}, got {_redacted(url)!r}")
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise ValueError(f"{what} must be {_TRANSPORT_FORMS}, got {_redacted(url)!r} ({exc})") from None
    scheme = parts.scheme.lower()
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if scheme == "local":
        return TransportURL(scheme="local", host=parts.netloc, params=params)
    if scheme not in _JANUS_DEFAULTS:
        raise ValueError(f"{what} must be {_TRANSPORT_FORMS}, got {_redacted(url)!r}")
    host = parts.hostname or ""
    if not host:
        raise ValueError(f"{what} needs a host ({scheme}://host:port), got {_redacted(url)!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{what} has an invalid port (expected 1..65535), got {_redacted(url)!r}") from None
    default_port, default_path = _JANUS_DEFAULTS[scheme]
    if port is None:
        port = default_port
    elif port == 0:
        raise ValueError(f"{what} has an invalid port (expected 1..65535), got {_redacted(url)!r}")
    path = parts.path or default_path
    if params.get("srtp", "80") not in ("32", "80"):
        raise ValueError(f"{what}: srtp must be 32 or 80 (SRTP tag bits of the receive legs), "
                         f"got {params['srtp']!r}")
    if "peer_timeout" in params:
        try:
            timeout = float(params["peer_timeout"])
        except ValueError:
            timeout = -1.0
        if not (timeout == 0 or 2 <= timeout <= 3600):
            raise ValueError(f"{what}: peer_timeout must be 0 (off) or 2..3600 seconds of silence "
                             f"after which a remote user is dropped, got {params['peer_timeout']!r}")
    if params.get("pin", "token") != "token":
        raise ValueError(f"{what}: pin must be 'token' (the room pin is the connection token), "
                         f"got {params['pin']!r}")
    return TransportURL(scheme=scheme, host=host, port=port, path=path, params=params)


_SECRET_PARAM = re.compile(r"((?:admin_key|secret)=)[^&#\s]*", re.IGNORECASE)


def _redacted(url: str) -> str:
    """The URL with the values of secret parameters (admin_key) replaced, for messages."""
    return _SECRET_PARAM.sub(r"\1***", url)


def resolve_transport_url(config: Optional["AgoraServiceConfig"] = None) -> str:
    """Return the transport URL a service should use.

    Order: ``config.transport_url`` if not empty; else the environment variable
    ``AGORA_RTC_TRANSPORT_URL`` if set and not empty; else ``"local://"`` (the
    in-process network). This lets unmodified Agora sample code, which only
    sets ``appid``, join a real server: export the variable before running it.

    Parameters
    ----------
    config : AgoraServiceConfig, optional
        The service configuration; None behaves like an empty one.

    Returns
    -------
    str
        A validated URL (stripped of surrounding blanks), never empty.

    Raises
    ------
    TypeError, ValueError
        The chosen URL is malformed; the message names where it came from
        (the config field or the environment variable).
    """
    url = getattr(config, "transport_url", "") if config is not None else ""
    if url is None:
        url = ""
    if not isinstance(url, str):
        raise TypeError(
            f"AgoraServiceConfig.transport_url must be a str ({_TRANSPORT_FORMS}), "
            f"got {_type_name(url)} {url!r}")
    url = url.strip()
    what = "AgoraServiceConfig.transport_url"
    if not url:
        url = os.environ.get(TRANSPORT_URL_ENV, "").strip()
        what = f"environment variable {TRANSPORT_URL_ENV}"
    if not url:
        return "local://"
    parse_transport_url(url, what=what)
    return url


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
        _check_str(owner, "appid", self.appid)
        _check_int(owner, "area_code", self.area_code, lo=0, hi=0xFFFFFFFF)
        _check_enum(owner, "channel_profile", self.channel_profile, ChannelProfileType)
        _check_enum(owner, "audio_scenario", self.audio_scenario, AudioScenarioType)
        for name in ("enable_audio_processor", "enable_audio_device", "enable_video",
                     "use_string_uid", "domain_limit", "enable_apm"):
            _check_flag(owner, name, getattr(self, name))
        if not isinstance(self.should_callback_when_muted, bool):
            _check_int(owner, "should_callback_when_muted", self.should_callback_when_muted)
        _check_str(owner, "log_path", self.log_path, allow_none=True, allow_path=True)
        _check_int(owner, "log_size", self.log_size, lo=0)
        _check_int(owner, "log_file_size_kb", self.log_file_size_kb, lo=0)
        _check_int(owner, "log_level", self.log_level, lo=0)
        _check_str(owner, "data_dir", self.data_dir, allow_none=True, allow_path=True)
        _check_str(owner, "config_dir", self.config_dir, allow_none=True, allow_path=True)
        _check_instance(owner, "apm_config", self.apm_config, APMConfig, allow_none=True)
        if self.transport_url is not None:
            parse_transport_url(self.transport_url, what=f"{owner}.transport_url")
        _check_int(owner, "prefill_ms", self.prefill_ms, lo=0, hi=MAX_PREFILL_MS)
        _check_int(owner, "receive_threads", self.receive_threads, lo=0, hi=MAX_RECEIVE_THREADS)


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
        _check_flag(owner, "packet_only", self.packet_only)
        _check_flag(owner, "pcm_data_only", self.pcm_data_only)
        if self.packet_only and self.pcm_data_only:
            raise ValueError(
                f"{owner}.packet_only and {owner}.pcm_data_only are mutually exclusive; "
                "set at most one")
        bps = _check_int(owner, "bytes_per_sample", self.bytes_per_sample)
        if bps not in (0, 2):
            raise ValueError(
                f"{owner}.bytes_per_sample must be 2 (16-bit PCM, or 0 for the default), got {bps}")
        channels = _check_int(owner, "number_of_channels", self.number_of_channels)
        if channels not in (0, 1, 2):
            raise ValueError(
                f"{owner}.number_of_channels must be 1 or 2 (or 0 for the default), got {channels}")
        rate = _check_int(owner, "sample_rate_hz", self.sample_rate_hz)
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
            _check_flag(owner, name, getattr(self, name))
        _check_int(owner, "max_send_bitrate", self.max_send_bitrate, lo=0)
        lo_port = _check_int(owner, "min_port", self.min_port, lo=0, hi=65535)
        hi_port = _check_int(owner, "max_port", self.max_port, lo=0, hi=65535)
        if lo_port and hi_port and lo_port > hi_port:
            raise ValueError(
                f"{owner}.min_port must not exceed {owner}.max_port, got {lo_port} > {hi_port}")
        _check_instance(owner, "audio_subs_options", self.audio_subs_options,
                        AudioSubscriptionOptions)
        self.audio_subs_options._validated()
        _check_enum(owner, "client_role_type", self.client_role_type, ClientRoleType)
        _check_enum(owner, "channel_profile", self.channel_profile, ChannelProfileType)


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
        _check_flag(owner, "enabled", self.enabled)
        _check_int(owner, "send_ms", self.send_ms, lo=0, hi=MAX_INCREMENTAL_SEND_MS)
        _check_int(owner, "send_speed", self.send_speed, lo=0, hi=MAX_INCREMENTAL_SEND_SPEED)
        _check_flag(owner, "deliver_mute_data_for_fake_adm", self.deliver_mute_data_for_fake_adm)
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
        _check_enum(owner, "audio_profile", self.audio_profile, AudioProfileType,
                    exclude=(AudioProfileType.AUDIO_PROFILE_NUM,))
        _check_enum(owner, "audio_scenario", self.audio_scenario, AudioScenarioType)
        _check_flag(owner, "is_publish_audio", self.is_publish_audio)
        _check_flag(owner, "is_publish_video", self.is_publish_video)
        _check_enum(owner, "audio_publish_type", self.audio_publish_type, AudioPublishType)
        _check_enum(owner, "video_publish_type", self.video_publish_type, VideoPublishType)
        opts = self.video_encoded_image_sender_options
        _check_instance(owner, "video_encoded_image_sender_options", opts, SenderOptions)
        sub = f"{owner}.video_encoded_image_sender_options"
        _check_int(sub, "target_bitrate", opts.target_bitrate, lo=0)
        _check_enum(sub, "cc_mode", opts.cc_mode, TCcMode)
        _check_enum(sub, "codec_type", opts.codec_type, VideoCodecType)
        _check_instance(owner, "send_external_audio_parameters",
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


# ---------------------------------------------------------------------------
# Media data
# ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class PcmAudioFrame:
    """A block of interleaved 16-bit PCM to send (the original's pcm sender input).

    Parameters
    ----------
    data : bytes-like or None
        Interleaved int16 samples.
    samples_per_channel : int
        Samples per channel in ``data``.
    bytes_per_sample : int
        2.
    number_of_channels : int
        1 or 2.
    sample_rate : int
        Hz.
    timestamp : int
        Capture time in ms.
    present_time_ms : int
        Presentation time in ms (becomes the receiver's ``presentation_ms``).
    """

    data: Optional[bytes | bytearray | memoryview] = None
    samples_per_channel: int = 0
    bytes_per_sample: int = 0
    number_of_channels: int = 0
    sample_rate: int = 0
    timestamp: int = 0
    present_time_ms: int = 0


@dataclass(kw_only=True)
class EncodedAudioFrameInfo:
    """Description of one encoded audio frame (``push_audio_encoded_data``).

    ``capture_time_ms`` = -1 (default) means "now".
    """

    speech: int = 1
    codec: AudioCodecType = AudioCodecType.AUDIO_CODEC_AACLC
    sample_rate: int = 16000
    samples_per_channel: int = 1024
    send_even_if_empty: int = 1
    number_of_channels: int = 1
    capture_time_ms: int = -1


@dataclass(kw_only=True)
class EncodedVideoFrameInfo:
    """Description of one encoded video frame (sent or received).

    ``frame_type`` is a :class:`VideoFrameType` value (3 = key frame, 4 = delta).
    """

    codec_type: VideoCodecType = VideoCodecType.VIDEO_CODEC_NONE
    width: int = 0
    height: int = 0
    frames_per_second: int = 0
    frame_type: int = 0
    rotation: int = 0
    track_id: int = 0
    capture_time_ms: int = 0
    decode_time_ms: int = 0
    uid: int = 0
    stream_type: int = 0
    presentation_ms: int = 0


@dataclass(kw_only=True)
class ColorSpaceType:
    """Colour space of an external video frame (ITU-T H.273 code points)."""

    primaries_id: int = 0
    transfer_id: int = 0
    matrix_id: int = 0
    range_id: int = 0


@dataclass(kw_only=True)
class ExternalVideoFrame:
    """A raw video frame to send (``RTCConnection.push_video_frame``).

    Parameters
    ----------
    type : int
        :class:`VideoBufferType` (default 1, raw data).
    format : int
        :class:`VideoPixelFormat` (e.g. 1 = I420, 4 = RGBA).
    buffer : bytes-like or None
        Pixel data.
    stride : int
        Line stride in pixels.
    height : int
        Frame height.
    crop_left, crop_top, crop_right, crop_bottom : int
        Pixels to crop.
    rotation : int
        0, 90, 180 or 270.
    timestamp : int
        Capture time in ms.
    egl_context, egl_type, texture_id, matrix
        Texture input (not supported on servers; compatibility).
    metadata : bytes-like or None
        Per-frame metadata bytes.
    alpha_buffer : bytes-like or None
        Alpha plane, encoded when ``VideoEncoderConfiguration.encode_alpha`` is 1.
    fill_alpha_buffer : int
        1 to derive the alpha plane from an RGBA/BGRA buffer.
    alpha_mode : int
        Alpha layout.
    color_space : ColorSpaceType
        Colour space.
    """

    type: int = VideoBufferType.VIDEO_BUFFER_RAW_DATA
    format: int = VideoPixelFormat.VIDEO_PIXEL_DEFAULT
    buffer: Optional[bytes | bytearray | memoryview] = None
    stride: int = 0
    height: int = 0
    crop_left: int = 0
    crop_top: int = 0
    crop_right: int = 0
    crop_bottom: int = 0
    rotation: int = 0
    timestamp: int = 0
    egl_context: Optional[bytearray] = None
    egl_type: int = 0
    texture_id: int = 0
    matrix: list = field(default_factory=list)
    metadata: Optional[bytes | bytearray] = None
    alpha_buffer: Optional[bytes | bytearray | memoryview] = None
    fill_alpha_buffer: int = 0
    alpha_mode: int = 0
    color_space: ColorSpaceType = field(default_factory=ColorSpaceType)


@dataclass(kw_only=True)
class VideoFrame:
    """A received raw video frame (``IVideoFrameObserver.on_frame``).

    ``type`` is a :class:`VideoPixelFormat` value; ``y/u/v_buffer`` hold the
    planes with their strides. Frames delivered by agora_rtc are I420 (type 1):
    the buffers are read-only memoryviews over one SDK-owned copy (no copy is
    made for Python), ``render_time_ms`` is the sender's
    ``ExternalVideoFrame.timestamp`` and ``metadata`` its metadata bytes (or None).
    """

    type: int = 0
    width: int = 0
    height: int = 0
    y_stride: int = 0
    u_stride: int = 0
    v_stride: int = 0
    y_buffer: Optional[bytes | bytearray] = None
    u_buffer: Optional[bytes | bytearray] = None
    v_buffer: Optional[bytes | bytearray] = None
    rotation: int = 0
    render_time_ms: int = 0
    avsync_type: int = 0
    metadata: Optional[bytes | bytearray] = None
    shared_context: Optional[str] = None
    texture_id: int = 0
    matrix: Optional[list] = None
    alpha_buffer: Optional[bytes | bytearray] = None
    alpha_mode: int = 0

    def as_numpy(self):
        """The I420 planes as 2-D uint8 numpy arrays ``(y, u, v)`` of shapes
        (height, width), (height/2, width/2) and (height/2, width/2): views of
        the buffers, no copy (read-only when the buffers are)."""
        import numpy as np

        if self.type != VideoPixelFormat.VIDEO_PIXEL_I420:
            raise ValueError(f"as_numpy: only I420 frames (type 1), got type {self.type}")
        cw, ch = self.width // 2, self.height // 2
        planes = []
        for buf, stride, w, h in ((self.y_buffer, self.y_stride, self.width, self.height),
                                  (self.u_buffer, self.u_stride, cw, ch),
                                  (self.v_buffer, self.v_stride, cw, ch)):
            flat = np.frombuffer(buf, dtype=np.uint8)
            planes.append(flat[:stride * h].reshape(h, stride)[:, :w])
        return tuple(planes)


@dataclass(kw_only=True)
class AudioParams:
    """Audio format an observer asks for: rate, channels, op mode, samples per call."""

    sample_rate: int = 0
    channels: int = 0
    mode: int = RawAudioFrameOpModeType.RAW_AUDIO_FRAME_OP_MODE_READ_ONLY
    samples_per_call: int = 0


@dataclass(kw_only=True)
class AudioPcmDataInfo:
    """Bookkeeping of a PCM data callback (native SDK structure)."""

    samplesPerChannel: int = 0
    channelNum: int = 0
    samplesOut: int = 0
    elapsedTimeMs: int = 0
    ntpTimeMs: int = 0


# ---------------------------------------------------------------------------
# Reports delivered to observers (snapshots)
# ---------------------------------------------------------------------------


@dataclass(kw_only=True)
class RTCConnInfo:
    """Connection information passed to ``IRTCConnectionObserver`` callbacks.

    Parameters
    ----------
    id : int
        Connection id, unique within the service.
    channel_id : str
        Channel joined (or being joined).
    state : int
        :class:`ConnectionState` value.
    local_user_id : str
        The local user's id.
    internal_uid : int
        Numeric uid the engine assigned.
    """

    id: int = 0
    channel_id: str = ""
    state: int = ConnectionState.CONNECTION_STATE_DISCONNECTED
    local_user_id: str = ""
    internal_uid: int = 0


@dataclass(kw_only=True)
class RTCStats:
    """Connection statistics (``IRTCConnectionObserver.on_transport_stats``).

    Byte counters are totals since join; ``*_k_bit_rate`` are Kbps; durations
    are seconds (``duration``) or ms; usages are percentages. Fields an engine
    does not measure stay 0.
    """

    connection_id: int = 0
    duration: int = 0
    tx_bytes: int = 0
    rx_bytes: int = 0
    tx_audio_bytes: int = 0
    tx_video_bytes: int = 0
    rx_audio_bytes: int = 0
    rx_video_bytes: int = 0
    tx_k_bit_rate: int = 0
    rx_k_bit_rate: int = 0
    rx_audio_k_bit_rate: int = 0
    tx_audio_k_bit_rate: int = 0
    rx_video_k_bit_rate: int = 0
    tx_video_k_bit_rate: int = 0
    lastmile_delay: int = 0
    user_count: int = 0
    cpu_app_usage: float = 0.0
    cpu_total_usage: float = 0.0
    gateway_rtt: int = 0
    memory_app_usage_ratio: float = 0.0
    memory_total_usage_ratio: float = 0.0
    memory_app_usage_in_kbytes: int = 0
    connect_time_ms: int = 0
    first_audio_packet_duration: int = 0
    first_video_packet_duration: int = 0
    first_video_key_frame_packet_duration: int = 0
    packets_before_first_key_frame_packet: int = 0
    first_audio_packet_duration_after_unmute: int = 0
    first_video_packet_duration_after_unmute: int = 0
    first_video_key_frame_packet_duration_after_unmute: int = 0
    first_video_key_frame_decoded_duration_after_unmute: int = 0
    first_video_key_frame_rendered_duration_after_unmute: int = 0
    tx_packet_loss_rate: int = 0
    rx_packet_loss_rate: int = 0


@dataclass(kw_only=True)
class AudioVolumeInfo:
    """One speaker of ``IRTCLocalUserObserver.on_audio_volume_indication``.

    Parameters
    ----------
    user_id : str
        The speaker (a str since SDK 2.1.2).
    volume : int
        0..255.
    vad : int
        1 when voice is detected (if ``report_vad`` was enabled).
    voice_pitch : float
        Hz, 0 when not voiced.
    """

    user_id: str = ""
    volume: int = 0
    vad: int = 0
    voice_pitch: float = 0.0


@dataclass(kw_only=True)
class LocalAudioTrackStats:
    """Statistics of the published audio track (``on_local_audio_track_statistics``).

    ``sent_bitrate`` is bits/s over the last stats interval; ``internal_codec``
    is an AudioCodecType (0 on the local network, where PCM travels as pushed).
    ``sent_frames`` (agora_rtc extension) counts the 10 ms frames handed to
    the transport since the connection was created. See :mod:`agora_rtc.stats`.
    """

    num_channels: int = 0
    sent_sample_rate: int = 0
    sent_bitrate: int = 0
    internal_codec: int = 0
    voice_pitch: float = 0.0
    sent_frames: int = 0


#: Name of :class:`LocalAudioTrackStats` before SDK 2.2.2.
LocalAudioStats = LocalAudioTrackStats


@dataclass(kw_only=True)
class RemoteAudioTrackStats:
    """Statistics of a remote user's audio track (snapshot; safe to keep).

    ``uid`` is the numeric user id (0 for string ids; ``user_id`` always has
    it). ``jitter_buffer_delay`` ms and ``audio_loss_rate`` % (over the last
    interval) are measured on the RTP transport, 0 on the local network.
    agora_rtc extensions: ``user_id``, ``received_frames`` (10 ms frames on the
    local network, 20 ms packets on RTP), ``lost_packets`` and
    ``concealed_frames`` (RTP), and the fate of every RTP audio packet
    received (0 on the local network), which add up:
    ``received_packets = keepalive_packets + played_packets + late_packets +
    duplicate_packets + dropped_packets + invalid_packets + buffered_packets``
    (``stale_packets``: of the late and dropped ones, those of a delay spike;
    ``fec_frames``: lost packets rebuilt from FEC, not received ones).
    See :mod:`agora_rtc.stats`.
    """

    uid: int = 0
    quality: int = 0
    network_transport_delay: int = 0
    jitter_buffer_delay: int = 0
    audio_loss_rate: int = 0
    num_channels: int = 0
    received_sample_rate: int = 0
    received_bitrate: int = 0
    total_frozen_time: int = 0
    frozen_rate: int = 0
    received_bytes: int = 0
    user_id: str = ""
    received_frames: int = 0
    lost_packets: int = 0
    concealed_frames: int = 0
    received_packets: int = 0
    keepalive_packets: int = 0
    played_packets: int = 0
    late_packets: int = 0
    duplicate_packets: int = 0
    dropped_packets: int = 0
    invalid_packets: int = 0
    buffered_packets: int = 0
    stale_packets: int = 0
    fec_frames: int = 0


@dataclass(kw_only=True)
class LocalVideoTrackStats:
    """Statistics of the published video track."""

    number_of_streams: int = 0
    bytes_major_stream: int = 0
    bytes_minor_stream: int = 0
    frames_encoded: int = 0
    ssrc_major_stream: int = 0
    ssrc_minor_stream: int = 0
    capture_frame_rate: int = 0
    regulated_capture_frame_rate: int = 0
    input_frame_rate: int = 0
    encode_frame_rate: int = 0
    render_frame_rate: int = 0
    target_media_bitrate_bps: int = 0
    media_bitrate_bps: int = 0
    total_bitrate_bps: int = 0
    capture_width: int = 0
    capture_height: int = 0
    regulated_capture_width: int = 0
    regulated_capture_height: int = 0
    width: int = 0
    height: int = 0
    encoder_type: int = 0
    uplink_cost_time_ms: int = 0
    quality_adapt_indication: int = 0


@dataclass(kw_only=True)
class RemoteVideoTrackStats:
    """Statistics of a remote user's video track (snapshot; safe to keep)."""

    uid: int = 0
    delay: int = 0
    width: int = 0
    height: int = 0
    received_bitrate: int = 0
    decoder_output_frame_rate: int = 0
    renderer_output_frame_rate: int = 0
    frame_loss_rate: int = 0
    packet_loss_rate: int = 0
    rx_stream_type: int = 0
    total_frozen_time: int = 0
    frozen_rate: int = 0
    total_decoded_frames: int = 0
    av_sync_time_ms: int = 0
    downlink_process_time_ms: int = 0
    frame_render_delay_ms: int = 0
    total_active_time: int = 0
    publish_duration: int = 0


@dataclass(kw_only=True)
class VideoTrackInfo:
    """Description of a video track (video track callbacks)."""

    is_local: int = 0
    owner_uid: int = 0
    track_id: int = 0
    channel_id: str = ""
    stream_type: int = 0
    codec_type: int = 0
    encoded_frame_only: int = 0
    source_type: int = 0
    observation_position: int = 0


@dataclass(kw_only=True)
class RemoteVideoStreamInfo:
    """Downscale state of a remote video stream."""

    uid: int = 0
    stream_type: int = 0
    current_downscale_level: int = 0
    total_downscale_level_counts: int = 0


@dataclass(kw_only=True)
class LastmileProbeOneWayResult:
    """One direction of a last-mile probe."""

    packet_loss_rate: int = 0
    jitter: int = 0
    available_bandwidth: int = 0


@dataclass(kw_only=True)
class LastmileProbeResult:
    """Result of a last-mile network probe."""

    state: int = 0
    uplink_report: LastmileProbeOneWayResult = field(default_factory=LastmileProbeOneWayResult)
    downlink_report: LastmileProbeOneWayResult = field(default_factory=LastmileProbeOneWayResult)
    rtt: int = 0


@dataclass(kw_only=True)
class AnaStats:
    """Audio network adaptor counters (part of :class:`LocalAudioDetailedStats`)."""

    bitrate_action_counter: int = 0
    channel_action_counter: int = 0
    dtx_action_counter: int = 0
    fec_action_counter: int = 0
    frame_length_increase_counter: int = 0
    frame_length_decrease_counter: int = 0
    uplink_packet_loss_fraction: float = 0.0


@dataclass(kw_only=True)
class AudioProcessingStats:
    """Echo canceller statistics (part of :class:`LocalAudioDetailedStats`)."""

    echo_return_loss: float = 0.0
    echo_return_loss_enhancement: float = 0.0
    divergent_filter_fraction: float = 0.0
    delay_median_ms: int = 0
    delay_standard_deviation_ms: int = 0
    residual_echo_likelihood: float = 0.0
    residual_echo_likelihood_recent_max: float = 0.0
    delay_ms: int = 0


@dataclass(kw_only=True)
class LocalAudioDetailedStats:
    """Detailed send-side audio statistics."""

    local_ssrc: int = 0
    bytes_sent: int = 0
    packets_sent: int = 0
    packets_lost: int = 0
    fraction_lost: float = 0.0
    codec_name: str = ""
    codec_payload_type: int = 0
    ext_seqnum: int = 0
    jitter_ms: int = 0
    rtt_ms: int = 0
    audio_level: int = 0
    total_input_energy: float = 0.0
    total_input_duration: float = 0.0
    typing_noise_detected: int = 0
    ana_statistics: AnaStats = field(default_factory=AnaStats)
    apm_statistics: AudioProcessingStats = field(default_factory=AudioProcessingStats)


@dataclass(kw_only=True)
class CapabilityItem:
    """One capability reported by the engine."""

    id: int = 0
    name: str = ""


@dataclass(kw_only=True)
class CapabilityItemMap:
    """A list of :class:`CapabilityItem`."""

    item: list = field(default_factory=list)
    size: int = 0


@dataclass(kw_only=True)
class Capabilities:
    """Capabilities of one type (``on_capabilities_changed``)."""

    item_map: Optional[CapabilityItemMap] = None
    capability_type: int = 0
