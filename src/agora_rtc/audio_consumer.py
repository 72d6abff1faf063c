"""AudioConsumer: the original SDK's TTS pacing helper, kept for porting.

The original paced audio from a Python timer (consume() pushed whatever was
due since the last call, and never sent a final piece shorter than 10 ms, so
it never reported completion). Here the pacing is the engine's native media
clock: push_pcm_data() queues the audio at once, consume() only reports
progress (so old timer-driven code runs unchanged), clear() is an interrupt.
"""
from __future__ import annotations

from agora_rtc.base.checks import check_choice
from agora_rtc.errors import ReleasedError
from agora_rtc.rtc_connection import PCM_SAMPLE_RATES


class AudioConsumer:
    """Queue PCM for one connection in the original's interface.

    Parameters
    ----------
    connection : RTCConnection
        Where the audio goes (the original took a PCM sender; the connection
        plays that role here).
    sample_rate : int
        Rate of the PCM you will push (8000..48000, including 22050 and 44100).
    channels : int
        1 or 2 (interleaved).
    """

    def __init__(self, connection, sample_rate: int, channels: int):
        if not hasattr(connection, "push_audio_pcm_data"):
            raise TypeError("AudioConsumer: connection must be an RTCConnection, "
                            f"got {type(connection).__name__}")
        self._conn = connection
        self._rate = check_choice("AudioConsumer", "sample_rate", sample_rate, PCM_SAMPLE_RATES)
        self._channels = check_choice("AudioConsumer", "channels", channels, (1, 2))
        self._bytes_per_frame = self._rate // 100 * self._channels * 2
        stats = connection.get_send_stats()
        self._frames_at_start = stats["sent_frames"]
        self._init = True

    def _alive(self):
        if not self._init:
            raise ReleasedError("AudioConsumer was released")

    def push_pcm_data(self, data) -> int:
        """Queue PCM (bytes-like or numpy int16); the engine paces it natively.
        Returns 0 (the original returned nothing)."""
        self._alive()
        return self._conn.push_audio_pcm_data(data, self._rate, self._channels)

    def consume(self) -> int:
        """Report progress: the number of 10 ms frames this connection has sent
        since the consumer was created (-1 once released). Sends nothing itself."""
        if not self._init:
            return -1
        return self._conn.get_send_stats()["sent_frames"] - self._frames_at_start

    def len(self) -> int:
        """Bytes queued and not yet sent (in this consumer's format)."""
        self._alive()
        return self._conn.get_send_stats()["queued_samples"] * self._channels * 2

    def __len__(self) -> int:
        return self.len()

    def is_push_to_rtc_completed(self) -> bool:
        """True exactly when everything pushed has been handed to the transport."""
        self._alive()
        return self._conn.is_push_to_rtc_completed()

    def clear(self) -> None:
        """Drop everything queued (interrupt_audio: no unpublish)."""
        self._alive()
        self._conn.interrupt_audio()

    def release(self) -> None:
        """Forget the connection; further pushes raise ReleasedError."""
        self._init = False
        self._conn = None
