"""The original's ``ExternalAudioProcessor``: server-side APM and VAD on PCM that
did not come from a channel, mapped onto agora_rtc's standalone pieces:
:class:`agora_rtc.AudioProcessor` (libspeexdsp noise suppression / AGC, what
``AgoraServiceConfig.enable_apm`` runs on received audio), the label analyser
behind ``AudioFrame.rms`` / ``voice_prob`` / ``pitch``, and
:class:`agora_rtc.AudioVadV2`.

Each pushed chunk is cut into 10 ms frames; every whole frame is processed,
labelled, run through the VAD and handed to
``observer.on_processed_audio_frame(processor, frame, vad_result_state,
vad_result_data)`` in the pushing thread before ``push_audio_pcm_data``
returns (a partial trailing frame waits for the next push). The output format
is the input format: the original resampled to ``out_sample_rate`` /
``out_channels``; here a push in another format raises NotSupportedError
rather than hand the observer audio in a format it did not ask for.
"""
from __future__ import annotations

from typing import Optional

from agora_rtc._core import _engine
from agora_rtc.agora_base import APMConfig
from agora_rtc.base.checks import check_choice, check_int
from agora_rtc.base.sample_rates import PLAYBACK_SAMPLE_RATES
from agora_rtc.agora_service import AgoraService
from agora_rtc.errors import InvalidStateError, NotSupportedError, ReleasedError
from agora_rtc.voice_detection import AudioVadConfigV2, AudioVadV2

_RATES = PLAYBACK_SAMPLE_RATES  # the processor works on 10 ms frames


class IAudioSinkObserver:
    """Subclass and override ``on_processed_audio_frame``."""

    def on_processed_audio_frame(self, processor: "ExternalAudioProcessor", frame,
                                 vad_result_state: int, vad_result_data: bytearray) -> None:
        pass


class ExternalAudioProcessor:
    def __init__(self, engine: AgoraService):
        if not isinstance(engine, AgoraService):
            raise TypeError(f"ExternalAudioProcessor: engine must be an AgoraService, got {type(engine).__name__}")
        engine._alive("ExternalAudioProcessor")
        self._service = engine
        self._observer: Optional[IAudioSinkObserver] = None
        self._released = False

    def initialize(self, apm_config: Optional[APMConfig], out_sample_rate: int, out_channels: int,
                   vad_config: Optional[AudioVadConfigV2], observer: IAudioSinkObserver) -> int:
        """Set up processing for PCM of ``out_sample_rate`` Hz, ``out_channels``
        channels. ``apm_config`` None: no noise suppression / AGC (else
        ``ai_ns_config.ns_enabled`` and ``agc_config.enabled`` choose);
        ``vad_config`` None: no VAD (every frame has state 0). Returns 0."""
        what = "ExternalAudioProcessor.initialize"
        if self._released:
            raise ReleasedError(f"{what}: the processor was released")
        if not isinstance(observer, IAudioSinkObserver):
            raise TypeError(f"{what}: observer must be an IAudioSinkObserver, got {type(observer).__name__}")
        if apm_config is not None and not isinstance(apm_config, APMConfig):
            raise TypeError(f"{what}: apm_config must be an APMConfig or None, got {type(apm_config).__name__}")
        if vad_config is not None and not isinstance(vad_config, AudioVadConfigV2):
            raise TypeError(f"{what}: vad_config must be an AudioVadConfigV2 or None, "
                            f"got {type(vad_config).__name__}")
        rate = check_choice(what, "out_sample_rate", out_sample_rate, _RATES)
        channels = check_choice(what, "out_channels", out_channels, (1, 2))
        ns = bool(apm_config and apm_config.ai_ns_config.ns_enabled)
        agc = bool(apm_config and apm_config.agc_config.enabled)
        self._apm = _engine.AudioProcessor(rate, channels, ns, agc) if ns or agc else None
        self._labels = _engine.LabelAnalyzer(rate, channels)
        self._vad = AudioVadV2(vad_config) if vad_config is not None else None
        self._format = (rate, channels)
        self._frame_bytes = rate // 100 * channels * 2
        self._pending = bytearray()
        self._pending_pts = 0
        self._observer = observer
        return 0

    def push_audio_pcm_data(self, data, sample_rate: int, channels: int, start_pts: int = 0) -> int:
        """Process interleaved int16 PCM (see the module docstring). Returns 0."""
        what = "ExternalAudioProcessor.push_audio_pcm_data"
        if self._released:
            raise ReleasedError(f"{what}: the processor was released")
        if self._observer is None:
            raise InvalidStateError(f"{what}: call initialize(...) first")
        rate = check_int(what, "sample_rate", sample_rate)
        ch = check_int(what, "channels", channels)
        pts = check_int(what, "start_pts", start_pts)
        if (rate, ch) != self._format:
            raise NotSupportedError(f"{what}: the processor was initialized for {self._format[0]} Hz x "
                                    f"{self._format[1]} channels and does not resample; got {rate} Hz x {ch}")
        view = memoryview(data).cast("B")
        if view.nbytes % (2 * ch):
            raise ValueError(f"{what}: {view.nbytes} bytes is not a whole number of {ch}-channel int16 samples")
        if not self._pending:
            self._pending_pts = pts
        self._pending += view
        fb = self._frame_bytes
        whole = len(self._pending) // fb * fb
        if whole == 0:
            return 0
        chunk = bytes(self._pending[:whole])
        del self._pending[:whole]
        if self._apm is not None:
            chunk = self._apm.process(chunk)
        first_pts = self._pending_pts
        self._pending_pts = first_pts + whole // fb * 10
        for i in range(whole // fb):
            self._deliver(chunk[i * fb:(i + 1) * fb], first_pts + 10 * i)
        return 0

    def _deliver(self, pcm: bytes, pts: int) -> None:
        rate, ch = self._format
        frame = _engine.AudioFrame.from_pcm(pcm, rate, ch)
        labels = self._labels.process(pcm)
        frame.rms = labels["rms"]
        frame.voice_prob = labels["voice_prob"]
        frame.pitch = labels["pitch"]
        frame.dbfs = labels["dbfs"]
        frame.presentation_ms = pts
        if self._vad is not None:
            state, out = self._vad.process(frame)
        else:
            state, out = 0, bytearray()
        self._observer.on_processed_audio_frame(self, frame, state, out)

    def release(self) -> int:
        self._released = True
        self._observer = None
        return 0
