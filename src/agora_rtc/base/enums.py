"""The enums of the public API (re-exported by :mod:`agora_rtc.agora_base`).

The first group keeps the original Python SDK's names and values; the second
names values the original passes around as bare ints (Agora native-SDK names
and values). Pure Python, standard library only.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Optional

__all__ = [
    "ChannelProfileType", "ClientRoleType", "VideoStreamType", "AudioCodecType",
    "VideoCodecType", "AreaCode", "AudioScenarioType", "RawAudioFrameOpModeType",
    "AudioFramePosition", "AudioProfileType", "TCcMode", "AudioPublishType", "VideoPublishType",
    "ConnectionState", "ConnectionChangedReasonType", "UserOfflineReasonType",
    "RemoteAudioState", "RemoteAudioStateReason", "RemoteVideoState", "RemoteVideoStateReason",
    "LocalAudioStreamState", "LocalAudioStreamError", "AudioFrameType", "VideoPixelFormat",
    "VideoBufferType", "VideoFrameType", "EncryptionMode",
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
