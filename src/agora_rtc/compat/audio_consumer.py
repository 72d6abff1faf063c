"""The original's ``AudioConsumer(pcm_sender, sample_rate, channels)``: the
2.4.9 helper took an ``AudioPcmDataSender``; here it is agora_rtc's
:class:`~agora_rtc.AudioConsumer` on the connection that sender feeds (known
once the sender's track is published, so it is looked up at the first call,
not at construction). An ``RTCConnection`` works as well."""
from __future__ import annotations

from agora_rtc.base.checks import check_choice
from agora_rtc.audio_consumer import AudioConsumer as _AudioConsumer
from agora_rtc.compat.senders import AudioPcmDataSender
from agora_rtc.rtc_connection import PCM_SAMPLE_RATES


class AudioConsumer(_AudioConsumer):
    def __init__(self, pcm_sender, sample_rate: int, channels: int):
        if not isinstance(pcm_sender, AudioPcmDataSender):
            if not hasattr(pcm_sender, "push_audio_pcm_data"):
                raise TypeError("AudioConsumer: pcm_sender must be an AudioPcmDataSender (from the media node "
                                f"factory) or an RTCConnection, got {type(pcm_sender).__name__}")
            self._sender = None
            super().__init__(pcm_sender, sample_rate, channels)
            return
        self._sender = pcm_sender
        self._conn = None
        self._rate = check_choice("AudioConsumer", "sample_rate", sample_rate, PCM_SAMPLE_RATES)
        self._channels = check_choice("AudioConsumer", "channels", channels, (1, 2))
        self._bytes_per_frame = self._rate // 100 * self._channels * 2
        self._init = True

    def _alive(self):
        super()._alive()
        if self._conn is None:
            # InvalidStateError naming publish_audio while the sender's track is not published
            self._conn = self._sender._connection("AudioConsumer")
            self._frames_at_start = self._conn.get_send_stats()["sent_frames"]

    def consume(self) -> int:
        if not self._init:
            return -1
        self._alive()
        return super().consume()
