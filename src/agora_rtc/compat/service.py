"""``AgoraService`` as the original's modules name it: agora_rtc's service plus
the media-node-factory calls of the original (see :mod:`agora_rtc.compat.senders`)."""
from __future__ import annotations

from agora_rtc.agora_service import AgoraService as _AgoraService
from agora_rtc.compat.senders import (AudioEncodedFrameSender, AudioPcmDataSender, MediaNodeFactory,
                                      SenderAudioTrack, SenderVideoTrack, VideoEncodedImageSender,
                                      VideoFrameSender)


class AgoraService(_AgoraService):
    """agora_rtc's :class:`~agora_rtc.AgoraService` with the original's
    ``create_media_node_factory`` and ``create_custom_*_track_*`` calls."""

    def create_media_node_factory(self) -> MediaNodeFactory:
        self._alive("create_media_node_factory")
        return MediaNodeFactory()

    def create_custom_audio_track_pcm(self, audio_pcm_data_sender) -> SenderAudioTrack:
        self._alive("create_custom_audio_track_pcm")
        return SenderAudioTrack(audio_pcm_data_sender, AudioPcmDataSender)

    def create_custom_audio_track_encoded(self, audio_encoded_frame_sender, mix_mode: int = 0
                                          ) -> SenderAudioTrack:
        self._alive("create_custom_audio_track_encoded")
        return SenderAudioTrack(audio_encoded_frame_sender, AudioEncodedFrameSender)

    def create_custom_video_track_frame(self, video_frame_sender) -> SenderVideoTrack:
        self._alive("create_custom_video_track_frame")
        return SenderVideoTrack(video_frame_sender, VideoFrameSender)

    def create_custom_video_track_encoded(self, video_encoded_frame_sender, options=None
                                          ) -> SenderVideoTrack:
        self._alive("create_custom_video_track_encoded")
        return SenderVideoTrack(video_encoded_frame_sender, VideoEncodedImageSender)
