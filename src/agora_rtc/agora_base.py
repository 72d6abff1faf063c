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

This module is a facade: the definitions live in :mod:`agora_rtc.base`, one
module per subject, and are re-exported here unchanged (the same objects), so
``from agora_rtc.agora_base import X`` and the porting layer's
``agora.rtc.agora_base`` keep working:

* :mod:`agora_rtc.base.enums`: the enums;
* :mod:`agora_rtc.base.configs`: service, connection, publishing, APM, video
  encoder and encryption configuration;
* :mod:`agora_rtc.base.frames`: media data (frames to send, frame descriptions);
* :mod:`agora_rtc.base.reports`: connection info and statistics snapshots;
* :mod:`agora_rtc.base.transport_url`: the transport URL parser;
* :mod:`agora_rtc.base.sample_rates`: the one table of sample rates;
* :mod:`agora_rtc.base.checks`: the one set of argument checks.
"""

from __future__ import annotations

# The re-exports are the point of this module: every name below, listed in
# __all__ or not, was importable from agora_rtc.agora_base before the split.
from agora_rtc.base.enums import *  # noqa: F401,F403
from agora_rtc.base.enums import _LEGACY_VP9  # noqa: F401
from agora_rtc.base.configs import *  # noqa: F401,F403
from agora_rtc.base.configs import (  # noqa: F401
    MAX_INCREMENTAL_SEND_MS, MAX_INCREMENTAL_SEND_SPEED, MAX_RECEIVE_THREADS,
    _DEFAULT_LOG_FILE_SIZE_KB, _default_dimensions, _get_callbck_alias, _set_callbck_alias)
from agora_rtc.base.frames import *  # noqa: F401,F403
from agora_rtc.base.reports import *  # noqa: F401,F403
from agora_rtc.base.transport_url import *  # noqa: F401,F403
from agora_rtc.base.transport_url import (  # noqa: F401
    _JANUS_DEFAULTS, _SECRET_PARAM, _TRANSPORT_FORMS, _redacted)
from agora_rtc.base.sample_rates import PLAYBACK_SAMPLE_RATES, SUPPORTED_SAMPLE_RATES  # noqa: F401
from agora_rtc.base.checks import (  # noqa: F401
    check_field_enum as _check_enum, check_field_flag as _check_flag,
    check_field_instance as _check_instance, check_field_int as _check_int,
    check_field_str as _check_str, type_name as _type_name)

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
