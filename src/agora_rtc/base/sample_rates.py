"""The one table of PCM sample rates; every rate check in agora_rtc reads it.

Re-exported by :mod:`agora_rtc.agora_base` (``SUPPORTED_SAMPLE_RATES``).
"""

from __future__ import annotations

#: Sample rates accepted for PCM (push and subscription), in Hz.
SUPPORTED_SAMPLE_RATES: tuple[int, ...] = (8000, 16000, 22050, 24000, 32000, 44100, 48000)

#: The rates of the engine's 10 ms frames: a 10 ms frame holds a whole number of samples only
#: when the rate is a multiple of 100 Hz, so 22050 Hz is not among them. Received (playback)
#: audio, observer formats, the VAD and audio-processor outputs use these.
#: (8000, 16000, 24000, 32000, 44100, 48000)
PLAYBACK_SAMPLE_RATES: tuple[int, ...] = tuple(r for r in SUPPORTED_SAMPLE_RATES if r % 100 == 0)
