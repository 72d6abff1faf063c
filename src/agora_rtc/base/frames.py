"""Media data records of the public API: PCM and encoded frames to send, their
descriptions, received raw video frames, observer audio parameters. (The
received ``AudioFrame`` is the compiled frame class of the engine, not here.)
Re-exported by :mod:`agora_rtc.agora_base`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from agora_rtc.base.enums import (AudioCodecType, RawAudioFrameOpModeType, VideoBufferType,
                                  VideoCodecType, VideoPixelFormat)

__all__ = [
    "PcmAudioFrame", "EncodedAudioFrameInfo", "EncodedVideoFrameInfo", "ColorSpaceType",
    "ExternalVideoFrame", "VideoFrame", "AudioParams", "AudioPcmDataInfo",
]



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
