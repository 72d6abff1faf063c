"""agora_rtc: a Python server SDK for real-time voice AI agents.

The API follows the Agora Python Server SDK (AgoraService, RTCConnection,
observers, AudioVadV2, ...); every per-frame path runs in compiled C.
"""
from agora_rtc._core._engine import (AudioFrame, AudioProcessor, monotonic_ms, observer_error_count,
                                     set_observer_exception_handler)
from agora_rtc.agora_base import *  # noqa: F401,F403  (enums and data classes)
from agora_rtc.agora_base import __all__ as _base_all
from agora_rtc.agora_parameter import AgoraParameter
from agora_rtc._exit import shutdown
from agora_rtc.agora_service import AgoraService
from agora_rtc.audio_consumer import AudioConsumer
from agora_rtc.errors import (AgoraError, EngineError, ForkedProcessError, InvalidArgumentError,
                              InvalidStateError, NotSupportedError, ReleasedError)
from agora_rtc.local_user import (LocalAudioTrack, LocalUser, LocalVideoTrack, RemoteAudioTrack,
                                  RemoteVideoTrack)
from agora_rtc.observers import (IAudioEncodedFrameObserver, IAudioFrameObserver, IRTCConnectionObserver,
                                 IRTCLocalUserObserver, IVideoEncodedFrameObserver, IVideoFrameObserver)
from agora_rtc.rtc_connection import InterruptReport, RTCConnection
from agora_rtc.voice_detection import AudioVadConfigV2, AudioVadManager, AudioVadV2, VadDump

__version__ = "0.1.0"

__all__ = list(_base_all) + [
    "AgoraService", "AgoraParameter", "RTCConnection", "LocalUser", "LocalAudioTrack", "RemoteAudioTrack",
    "IRTCConnectionObserver", "IRTCLocalUserObserver", "IAudioFrameObserver",
    "IAudioEncodedFrameObserver",
    "AudioFrame", "AudioProcessor", "AudioVadConfigV2", "AudioVadV2", "AudioVadManager", "VadDump",
    "InterruptReport", "AudioConsumer", "AgoraError", "InvalidArgumentError", "InvalidStateError", "ReleasedError",
    "ForkedProcessError",
    "NotSupportedError", "EngineError", "set_observer_exception_handler", "observer_error_count",
    "monotonic_ms", "shutdown",
    "LocalVideoTrack", "RemoteVideoTrack", "IVideoFrameObserver", "IVideoEncodedFrameObserver",
]
