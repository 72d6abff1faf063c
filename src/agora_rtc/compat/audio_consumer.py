"""The original's ``AudioConsumer(pcm_sender, sample_rate, channels)``: the
2.4.9 helper took an ``AudioPcmDataSender``; here it is agora_rtc's
:class:`~agora_rtc.AudioConsumer` on the connection that sender feeds (known
once the sender's track is published, so it is looked up at the first call,
not at construction). An ``RTCConnection`` works as well.

``pcm_sender=None`` (the original's own ``example_api_test`` makes one) is a
consumer with nowhere to send: it holds what is pushed (at most
``HELD_SECONDS_MAX`` of audio), ``len()`` counts it, ``clear()`` drops it, and
``consume()`` raises ``InvalidStateError`` (the original failed there with an
AttributeError on ``None``)."""
from __future__ import annotations

from agora_rtc.base.checks import check_choice
from agora_rtc.audio_consumer import AudioConsumer as _AudioConsumer
from agora_rtc.errors import InvalidStateError
from agora_rtc.compat.senders import AudioPcmDataSender
from agora_rtc.rtc_connection import PCM_SAMPLE_RATES


HELD_SECONDS_MAX = 60


class AudioConsumer(_AudioConsumer):
    def __init__(self, pcm_sender, sample_rate: int, channels: int):
        self._held = None
        if pcm_sender is None:
            self._sender = self._conn = None
            self._rate = check_choice("AudioConsumer", "sample_rate", sample_rate, PCM_SAMPLE_RATES)
            self._channels = check_choice("AudioConsumer", "channels", channels, (1, 2))
            self._bytes_per_frame = self._rate // 100 * self._channels * 2
            self._held = bytearray()
            self._init = True
            return
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
        if self._held is not None:
            return
        if self._conn is None:
            # InvalidStateError naming publish_audio while the sender's track is not published
            self._conn = self._sender._connection("AudioConsumer")
            self._frames_at_start = self._conn.get_send_stats()["sent_frames"]

    def consume(self) -> int:
        if not self._init:
            return -1
        self._alive()
        if self._held is not None:
            raise InvalidStateError("AudioConsumer.consume: this consumer was made with pcm_sender=None and "
                                    "has nowhere to send; make it with the AudioPcmDataSender of a published "
                                    "track (or an RTCConnection)")
        return super().consume()

    # ---- without a sender: what was pushed is held ----

    def push_pcm_data(self, data) -> int:
        if self._held is None:
            return super().push_pcm_data(data)
        self._alive()
        try:
            pcm = memoryview(data).cast("B")
        except TypeError:
            raise TypeError("AudioConsumer.push_pcm_data: data must be bytes-like int16 PCM (bytes, bytearray, "
                            f"memoryview, numpy int16), got {type(data).__name__}") from None
        if len(pcm) % (2 * self._channels):
            raise ValueError(f"AudioConsumer.push_pcm_data: {len(pcm)} bytes is not a whole number of "
                             f"{self._channels}-channel int16 samples")
        limit = HELD_SECONDS_MAX * self._bytes_per_frame * 100
        if len(self._held) + len(pcm) > limit:
            raise ValueError(f"AudioConsumer.push_pcm_data: a consumer without a sender holds at most "
                             f"{HELD_SECONDS_MAX} s of audio ({limit} bytes); {len(self._held)} are held")
        self._held += pcm
        return 0

    def len(self) -> int:
        if self._held is None:
            return super().len()
        self._alive()
        return len(self._held)

    def is_push_to_rtc_completed(self) -> bool:
        if self._held is None:
            return super().is_push_to_rtc_completed()
        self._alive()
        return not self._held   # nothing is ever handed on

    def clear(self) -> None:
        if self._held is None:
            return super().clear()
        self._alive()
        self._held.clear()

    def release(self) -> None:
        self._held = None if self._held is None else bytearray()
        super().release()
