"""Argument checks of the video calls (push_video_frame, push_video_encoded_data,
subscribe_video): each raises TypeError / ValueError / NotSupportedError naming
the call, the field and what was expected."""
from __future__ import annotations

from agora_rtc.base.checks import check_int
from agora_rtc.agora_base import (EncodedVideoFrameInfo, ExternalVideoFrame, SimulcastStreamConfig,
                                  VideoBufferType, VideoCodecType, VideoDimensions,
                                  VideoEncoderConfiguration, VideoFrameType, VideoPixelFormat,
                                  VideoSubscriptionOptions)
from agora_rtc.errors import InvalidArgumentError, NotSupportedError

#: Pixel formats push_video_frame accepts (converted natively to I420).
PUSH_PIXEL_FORMATS = (VideoPixelFormat.VIDEO_PIXEL_I420, VideoPixelFormat.VIDEO_PIXEL_BGRA,
                      VideoPixelFormat.VIDEO_PIXEL_NV21, VideoPixelFormat.VIDEO_PIXEL_RGBA,
                      VideoPixelFormat.VIDEO_PIXEL_NV12)
MAX_DIMENSION = 8192
MAX_VIDEO_METADATA_BYTES = 1024
MAX_ENCODED_FRAME_BYTES = 16 << 20
ROTATIONS = (0, 90, 180, 270)
_TEXTURES = (VideoPixelFormat.VIDEO_TEXTURE_2D, VideoPixelFormat.VIDEO_TEXTURE_OES,
             VideoPixelFormat.VIDEO_TEXTURE_ID3D11TEXTURE2D, VideoPixelFormat.VIDEO_CVPIXEL_NV12,
             VideoPixelFormat.VIDEO_CVPIXEL_I420, VideoPixelFormat.VIDEO_CVPIXEL_BGRA,
             VideoPixelFormat.VIDEO_CVPIXEL_P010)
_W = "push_video_frame"


def _names(values):
    return ", ".join(f"{int(v)} ({v.name})" for v in values)


def external_frame_args(frame) -> tuple:
    """The arguments of VideoPort._push_frame for an ExternalVideoFrame (the
    buffer itself is checked against the format by the engine module)."""
    if not isinstance(frame, ExternalVideoFrame):
        raise TypeError(f"{_W}: frame must be an ExternalVideoFrame, got {type(frame).__name__}")
    btype = check_int(_W, "frame.type", frame.type)
    if btype == VideoBufferType.VIDEO_BUFFER_TEXTURE:
        raise NotSupportedError(f"{_W}: texture frames (type 3) are not supported on a server; "
                                f"push pixel data (type 1, raw data)")
    if btype not in (VideoBufferType.VIDEO_BUFFER_RAW_DATA, VideoBufferType.VIDEO_BUFFER_ARRAY):
        raise ValueError(f"{_W}: frame.type must be 1 (raw data) or 2 (array), got {btype}")
    fmt = check_int(_W, "frame.format", frame.format)
    if fmt in _TEXTURES:
        raise NotSupportedError(f"{_W}: pixel format {fmt} ({VideoPixelFormat(fmt).name}) is a texture "
                                f"or platform buffer; supported: {_names(PUSH_PIXEL_FORMATS)}")
    if fmt not in PUSH_PIXEL_FORMATS:
        raise ValueError(f"{_W}: frame.format must be one of {_names(PUSH_PIXEL_FORMATS)}, got {fmt}")
    stride = check_int(_W, "frame.stride", frame.stride)
    height = check_int(_W, "frame.height", frame.height)
    for name, value in (("stride", stride), ("height", height)):
        if not 2 <= value <= MAX_DIMENSION:
            raise ValueError(f"{_W}: frame.{name} must be 2..{MAX_DIMENSION} pixels, got {value}")
        if value % 2:
            raise ValueError(f"{_W}: frame.{name} must be even (4:2:0 chroma), got {value}")
    crops = []
    for name in ("crop_left", "crop_top", "crop_right", "crop_bottom"):
        value = check_int(_W, f"frame.{name}", getattr(frame, name))
        if value < 0 or value % 2:
            raise ValueError(f"{_W}: frame.{name} must be an even number >= 0, got {value}")
        crops.append(value)
    if stride - crops[0] - crops[2] <= 0 or height - crops[1] - crops[3] <= 0:
        raise ValueError(f"{_W}: the crop leaves no picture (stride {stride}, height {height}, "
                         f"crop left/top/right/bottom {crops})")
    rotation = check_int(_W, "frame.rotation", frame.rotation)
    if rotation not in ROTATIONS:
        raise ValueError(f"{_W}: frame.rotation must be 0, 90, 180 or 270, got {rotation}")
    timestamp = check_int(_W, "frame.timestamp", frame.timestamp)
    if not -(2 ** 62) < timestamp < 2 ** 62:
        raise ValueError(f"{_W}: frame.timestamp out of range, got {timestamp}")
    if frame.alpha_buffer is not None or frame.fill_alpha_buffer:
        raise NotSupportedError(f"{_W}: alpha (alpha_buffer, fill_alpha_buffer) is not supported; "
                                f"leave them None / 0")
    meta = frame.metadata
    if meta is not None:
        if isinstance(meta, str):
            raise TypeError(f"{_W}: frame.metadata must be bytes-like or None, got str")
        try:
            n = memoryview(meta).nbytes
        except TypeError:
            raise TypeError(f"{_W}: frame.metadata must be bytes-like or None, "
                            f"got {type(meta).__name__}") from None
        if n > MAX_VIDEO_METADATA_BYTES:
            raise InvalidArgumentError(f"{_W}: frame.metadata must be at most "
                                       f"{MAX_VIDEO_METADATA_BYTES} bytes, got {n}")
    return (fmt, frame.buffer, stride, height, crops[0], crops[1], crops[2], crops[3], rotation,
            timestamp, meta)


def encoded_info_args(info) -> tuple:
    """EncodedVideoFrameInfo as the tuple VideoPort._push_encoded takes."""
    w = "push_video_encoded_data"
    if not isinstance(info, EncodedVideoFrameInfo):
        raise TypeError(f"{w}: info must be an EncodedVideoFrameInfo, got {type(info).__name__}")
    codec = check_int(w, "info.codec_type", info.codec_type)
    try:
        codec = int(VideoCodecType(codec))
    except ValueError:
        raise ValueError(f"{w}: info.codec_type must be a VideoCodecType value, got {codec}") from None
    if codec == VideoCodecType.VIDEO_CODEC_NONE:
        raise ValueError(f"{w}: info.codec_type must name the codec (e.g. 2 = H264), got 0 (NONE)")
    frame_type = check_int(w, "info.frame_type", info.frame_type)
    if frame_type not in {int(t) for t in VideoFrameType}:
        raise ValueError(f"{w}: info.frame_type must be a VideoFrameType value "
                         f"(0, 3 key, 4 delta, 5, 6, 255), got {frame_type}")
    rotation = check_int(w, "info.rotation", info.rotation)
    if rotation not in ROTATIONS:
        raise ValueError(f"{w}: info.rotation must be 0, 90, 180 or 270, got {rotation}")
    out = [codec]
    for name, lo, hi in (("width", 0, MAX_DIMENSION), ("height", 0, MAX_DIMENSION),
                         ("frames_per_second", 0, 1000)):
        value = check_int(w, f"info.{name}", getattr(info, name))
        if not lo <= value <= hi:
            raise ValueError(f"{w}: info.{name} must be {lo}..{hi}, got {value}")
        out.append(value)
    out += [frame_type, rotation]
    for name, bits in (("track_id", 31), ("capture_time_ms", 62), ("decode_time_ms", 62),
                       ("stream_type", 31), ("presentation_ms", 62)):
        value = check_int(w, f"info.{name}", getattr(info, name))
        if not -(2 ** bits) < value < 2 ** bits:
            raise ValueError(f"{w}: info.{name} out of range, got {value}")
        out.append(value)
    # order of VideoPort._push_encoded: ..., track_id, capture, decode, stream_type, presentation
    return tuple(out)


def _dimensions(w: str, name: str, dims) -> tuple:
    if not isinstance(dims, VideoDimensions):
        raise TypeError(f"{w}: {name} must be a VideoDimensions, got {type(dims).__name__}")
    width = check_int(w, f"{name}.width", dims.width, lo=0, hi=MAX_DIMENSION)
    height = check_int(w, f"{name}.height", dims.height, lo=0, hi=MAX_DIMENSION)
    if (width == 0) != (height == 0):
        raise ValueError(f"{w}: {name} must set both width and height (or neither), got {width}x{height}")
    return width, height


def encoder_config_args(config) -> tuple:
    """VideoEncoderConfiguration as the tuple VideoPort._set_encoder takes."""
    w = "set_video_encoder_configuration"
    if not isinstance(config, VideoEncoderConfiguration):
        raise TypeError(f"{w}: config must be a VideoEncoderConfiguration, got {type(config).__name__}")
    codec = check_int(w, "config.codec_type", config.codec_type)
    try:
        codec = int(VideoCodecType(codec))
    except ValueError:
        raise ValueError(f"{w}: config.codec_type must be a VideoCodecType value, got {codec}") from None
    width, height = _dimensions(w, "config.dimensions", config.dimensions)
    fps = check_int(w, "config.frame_rate", config.frame_rate, lo=0, hi=120)
    # Agora: 0 STANDARD_BITRATE, -1 COMPATIBLE_BITRATE (both: the size and rate's default)
    bitrate = max(0, check_int(w, "config.bitrate", config.bitrate, lo=-1, hi=1_000_000))
    min_bitrate = check_int(w, "config.min_bitrate", config.min_bitrate, lo=-1, hi=1_000_000)
    orientation = check_int(w, "config.orientation_mode", config.orientation_mode, lo=0, hi=2)
    if check_int(w, "config.encode_alpha", config.encode_alpha, lo=0, hi=1):
        raise NotSupportedError(f"{w}: encode_alpha=1 is not supported (VP8 / H.264 on Janus carry no "
                                "alpha plane)")
    return codec, width, height, fps, bitrate, min_bitrate, orientation


def simulcast_config_args(config) -> tuple:
    """Checks SimulcastStreamConfig; returns (width, height, bitrate, framerate)."""
    w = "set_simulcast_stream"
    if not isinstance(config, SimulcastStreamConfig):
        raise TypeError(f"{w}: config must be a SimulcastStreamConfig, got {type(config).__name__}")
    width, height = _dimensions(w, "config.dimensions", config.dimensions)
    return (width, height, check_int(w, "config.bitrate", config.bitrate, lo=-1, hi=1_000_000),
            check_int(w, "config.framerate", config.framerate, lo=0, hi=120))


def encoded_payload(data):
    """Reject what cannot be a frame before the engine sees it."""
    w = "push_video_encoded_data"
    if data is None or isinstance(data, str):
        raise TypeError(f"{w}: data must be bytes-like (bytes, bytearray, memoryview, numpy), "
                        f"got {type(data).__name__}")
    try:
        n = memoryview(data).nbytes
    except TypeError:
        raise TypeError(f"{w}: data must be bytes-like (bytes, bytearray, memoryview, numpy), "
                        f"got {type(data).__name__}") from None
    if n == 0:
        raise ValueError(f"{w}: data is empty (an encoded frame has at least one byte)")
    if n > MAX_ENCODED_FRAME_BYTES:
        raise InvalidArgumentError(f"{w}: at most {MAX_ENCODED_FRAME_BYTES} bytes per frame, got {n}")
    return data


def subscription_encoded_only(what: str, options) -> bool:
    if options is None:
        return False
    if not isinstance(options, VideoSubscriptionOptions):
        raise TypeError(f"{what}: options must be a VideoSubscriptionOptions or None, "
                        f"got {type(options).__name__}")
    enc = options.encodedFrameOnly
    if not isinstance(enc, (bool, int)) or isinstance(enc, int) and not isinstance(enc, bool) and enc not in (0, 1):
        raise ValueError(f"{what}: options.encodedFrameOnly must be a bool (or 0/1), got {enc!r}")
    stype = check_int(what, "options.type", options.type)
    if stype not in (0, 1):
        raise ValueError(f"{what}: options.type must be 0 (high) or 1 (low), got {stype}")
    return bool(enc)
