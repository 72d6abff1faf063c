"""The original SDK's media node factory and its senders, mapped onto a connection.

In the original, a sender (``AudioPcmDataSender``, ``AudioEncodedFrameSender``,
``VideoFrameSender``, ``VideoEncodedImageSender``) is made by a
``MediaNodeFactory``, wrapped in a custom track
(``service.create_custom_audio_track_pcm(sender)``, ...) and the track is
published by a local user (``local_user.publish_audio(track)``). agora_rtc has
one outgoing audio and one outgoing video track per connection, fed by
``RTCConnection.push_audio_pcm_data`` / ``push_audio_encoded_data`` /
``push_video_frame`` / ``push_video_encoded_data``: a sender here is bound to
the connection whose local user publishes its track, and each send is that
connection's push (same validation, pacing and return codes). A sender whose
track was not published yet raises :class:`~agora_rtc.errors.InvalidStateError`.
"""
from __future__ import annotations

import ctypes
import weakref

from agora_rtc.agora_base import EncodedAudioFrameInfo, EncodedVideoFrameInfo, PcmAudioFrame
from agora_rtc.errors import InvalidStateError, ReleasedError
from agora_rtc.local_user import LocalAudioTrack, LocalVideoTrack


def _no_connection():
    return None


class _Sender:
    """Common part: the connection this sender feeds, once its track is published."""

    _kind = "sender"

    def __init__(self):
        self._conn = _no_connection
        self._released = False

    def _bind(self, connection) -> None:
        bound = self._conn()
        if bound is not None and bound is not connection:
            raise ValueError(f"{type(self).__name__} already feeds another connection ({bound!r}): "
                             "a sender's track is published by one local user")
        self._conn = weakref.ref(connection)

    def _connection(self, what: str):
        if self._released:
            raise ReleasedError(f"{type(self).__name__}.{what}: the sender was released")
        conn = self._conn()
        if conn is None:
            raise InvalidStateError(
                f"{type(self).__name__}.{what}: this sender is not on a published track yet; create its "
                f"track ({self._track_factory}) and publish it with local_user.{self._publish}(track)")
        return conn

    def release(self) -> int:
        self._released = True
        self._conn = _no_connection
        return 0


def _bytes_at(what: str, buffer_ptr, buffer_size) -> bytes | memoryview:
    """The original took a raw address and a size (e.g. PyAV's packet.buffer_ptr);
    a bytes-like object is taken as is."""
    if isinstance(buffer_ptr, int) and not isinstance(buffer_ptr, bool):
        if not isinstance(buffer_size, int) or isinstance(buffer_size, bool) or buffer_size <= 0:
            raise ValueError(f"{what}: buffer_size must be a positive int with an address, got {buffer_size!r}")
        if buffer_ptr == 0:
            raise ValueError(f"{what}: buffer_ptr is a null address")
        return ctypes.string_at(buffer_ptr, buffer_size)
    view = memoryview(buffer_ptr)
    if buffer_size is not None and buffer_size != view.nbytes:
        view = view.cast("B")[:buffer_size]
    return view


class AudioPcmDataSender(_Sender):
    """``send_audio_pcm_data(PcmAudioFrame)``: the connection's ``push_audio_pcm_data``."""

    _track_factory = "service.create_custom_audio_track_pcm(sender)"
    _publish = "publish_audio"

    def send_audio_pcm_data(self, frame: PcmAudioFrame) -> int:
        what = "send_audio_pcm_data"
        if not isinstance(frame, PcmAudioFrame):
            raise TypeError(f"{what}: frame must be a PcmAudioFrame, got {type(frame).__name__}")
        if frame.bytes_per_sample not in (0, 2):
            raise ValueError(f"{what}: bytes_per_sample must be 2 (int16 PCM), got {frame.bytes_per_sample}")
        if frame.data is None:
            raise ValueError(f"{what}: frame.data is None")
        conn = self._connection(what)
        data = memoryview(frame.data).cast("B")
        if frame.samples_per_channel:
            need = frame.samples_per_channel * frame.number_of_channels * 2
            if need > data.nbytes:
                raise ValueError(f"{what}: samples_per_channel={frame.samples_per_channel} x "
                                 f"{frame.number_of_channels} channels needs {need} bytes, "
                                 f"frame.data has {data.nbytes}")
            data = data[:need]
        return conn.push_audio_pcm_data(data, frame.sample_rate, frame.number_of_channels,
                                        frame.present_time_ms)


class AudioEncodedFrameSender(_Sender):
    """``send_encoded_audio_frame(ptr, size, info)`` / ``..._withbytes(data, info)``:
    the connection's ``push_audio_encoded_data``."""

    _track_factory = "service.create_custom_audio_track_encoded(sender, mix_mode)"
    _publish = "publish_audio"

    def send_encoded_audio_frame(self, buffer_ptr, buffer_size, frame_info: EncodedAudioFrameInfo) -> int:
        what = "send_encoded_audio_frame"
        conn = self._connection(what)
        return conn.push_audio_encoded_data(_bytes_at(what, buffer_ptr, buffer_size), frame_info)

    def send_encoded_audio_frame_withbytes(self, data, frame_info: EncodedAudioFrameInfo) -> int:
        return self._connection("send_encoded_audio_frame_withbytes").push_audio_encoded_data(data, frame_info)


class VideoFrameSender(_Sender):
    """``send_video_frame(ExternalVideoFrame)``: the connection's ``push_video_frame``."""

    _track_factory = "service.create_custom_video_track_frame(sender)"
    _publish = "publish_video"

    def send_video_frame(self, frame) -> int:
        return self._connection("send_video_frame").push_video_frame(frame)


class VideoEncodedImageSender(_Sender):
    """``send_encoded_video_image(ptr, size, info)`` / ``..._withbytes(data, info)``:
    the connection's ``push_video_encoded_data``."""

    _track_factory = "service.create_custom_video_track_encoded(sender, options)"
    _publish = "publish_video"

    def send_encoded_video_image(self, buffer_ptr, buffer_size, frame_info: EncodedVideoFrameInfo) -> int:
        what = "send_encoded_video_image"
        conn = self._connection(what)
        return conn.push_video_encoded_data(_bytes_at(what, buffer_ptr, buffer_size), frame_info)

    def send_encoded_video_image_withbytes(self, data, frame_info: EncodedVideoFrameInfo) -> int:
        return self._connection("send_encoded_video_image_withbytes").push_video_encoded_data(data, frame_info)


class MediaNodeFactory:
    """Makes senders (see the module docstring); ``release()`` is a no-op kept for ported code."""

    def create_audio_pcm_data_sender(self) -> AudioPcmDataSender:
        return AudioPcmDataSender()

    def create_audio_encoded_frame_sender(self) -> AudioEncodedFrameSender:
        return AudioEncodedFrameSender()

    def create_video_frame_sender(self) -> VideoFrameSender:
        return VideoFrameSender()

    def create_video_encoded_image_sender(self) -> VideoEncodedImageSender:
        return VideoEncodedImageSender()

    def release(self) -> int:
        return 0


class _SenderTrack:
    """A track made from a sender: it joins the connection of the local user
    that publishes it, and so does its sender."""

    def __init__(self, sender, kind):
        if not isinstance(sender, kind):
            raise TypeError(f"{type(self).__name__}: sender must be a {kind.__name__}, "
                            f"got {type(sender).__name__}")
        self._sender = sender
        self._conn = _no_connection

    def _published_on(self, connection) -> None:
        self._sender._bind(connection)
        self._conn = weakref.ref(connection)

    def release(self) -> int:
        return 0


class SenderAudioTrack(_SenderTrack, LocalAudioTrack):
    """Audio track of an AudioPcmDataSender or AudioEncodedFrameSender."""


class SenderVideoTrack(_SenderTrack, LocalVideoTrack):
    """Video track of a VideoFrameSender or VideoEncodedImageSender."""
