# Server-side audio processing (noise suppression, AGC) on any 10 ms PCM,
# without a connection. The same C code runs in the engine's receive paths.

cdef class AudioProcessor:
    """Noise suppression and automatic gain control (libspeexdsp) on 10 ms
    frames of int16 PCM, standalone. ``process(pcm)`` returns the processed
    copy of a whole number of 10 ms frames, run natively without the GIL."""
    cdef lib.agora_apm *_apm
    cdef readonly int sample_rate
    cdef readonly int channels
    cdef readonly bint noise_suppression
    cdef readonly bint agc

    def __cinit__(self, int sample_rate=16000, int channels=1, bint noise_suppression=True,
                  bint agc=False):
        self._apm = NULL
        if sample_rate < 8000 or sample_rate > 48000 or sample_rate % 100:
            raise _errors.InvalidArgumentError(
                f"AudioProcessor: sample_rate must be 8000..48000 and a multiple of 100, got {sample_rate}")
        if channels not in (1, 2):
            raise _errors.InvalidArgumentError(f"AudioProcessor: channels must be 1 or 2, got {channels}")
        cdef int flags = (lib.AGORA_APM_NOISE_SUPPRESSION if noise_suppression else 0) | \
                         (lib.AGORA_APM_AGC if agc else 0)
        self._apm = lib.agora_apm_create(sample_rate, channels, flags)
        if self._apm == NULL:
            raise _errors.EngineError("AudioProcessor: agora_apm_create failed")
        self.sample_rate = sample_rate
        self.channels = channels
        self.noise_suppression = noise_suppression
        self.agc = agc

    def __dealloc__(self):
        if self._apm != NULL:
            lib.agora_apm_destroy(self._apm)

    def process(self, pcm):
        """Process int16 PCM (bytes-like or numpy int16, interleaved when
        stereo; a whole number of 10 ms frames). Returns the processed bytes."""
        cdef _PcmView v = _pcm_view(pcm, "AudioProcessor.process")
        cdef int spc = self.sample_rate // 100
        cdef Py_ssize_t frame_bytes = 2 * spc * self.channels
        if v.nbytes % frame_bytes:
            raise _errors.InvalidArgumentError(
                f"AudioProcessor.process: {v.nbytes} bytes is not a whole number of 10 ms frames "
                f"({frame_bytes} bytes each)")
        out = bytearray((<const char *>v.samples)[:v.nbytes])
        cdef unsigned char[::1] buf = out
        cdef int16_t *p = <int16_t *>&buf[0] if v.nbytes else NULL
        cdef Py_ssize_t frames = v.nbytes // frame_bytes, i
        with nogil:
            for i in range(frames):
                lib.agora_apm_process(self._apm, p + i * spc * self.channels, spc)
        return bytes(out)
