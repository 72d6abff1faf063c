# Labels and the V2 VAD state machine on any 10 ms PCM, without a connection.
# The same C code runs inside the engine's receive path.

VAD_CONFIG_FIELDS = ("pre_start_recognize_count", "start_recognize_count", "stop_recognize_count",
                     "active_percent", "inactive_percent", "start_voice_prob", "stop_voice_prob",
                     "start_rms_threshold", "stop_rms_threshold", "adaptive_rms", "adaptive_rms_factor",
                     "start_run_count")


cdef int _fill_vad_config(lib.agora_vad_config *cfg, tuple t) except -1:
    if len(t) != len(VAD_CONFIG_FIELDS):
        raise ValueError(f"VAD config tuple needs {len(VAD_CONFIG_FIELDS)} fields {VAD_CONFIG_FIELDS}")
    cfg.pre_start_recognize_count = t[0]
    cfg.start_recognize_count = t[1]
    cfg.stop_recognize_count = t[2]
    cfg.active_percent = t[3]
    cfg.inactive_percent = t[4]
    cfg.start_voice_prob = t[5]
    cfg.stop_voice_prob = t[6]
    cfg.start_rms_threshold = t[7]
    cfg.stop_rms_threshold = t[8]
    cfg.adaptive_rms = t[9]
    cfg.adaptive_rms_factor = t[10]
    cfg.start_run_count = t[11]
    if lib.agora_vad_config_validate(cfg) != 0:
        raise _errors.InvalidArgumentError(f"VAD config out of range: {dict(zip(VAD_CONFIG_FIELDS, t))}")
    return 0


def default_vad_config():
    """The engine's default VAD config as a tuple in VAD_CONFIG_FIELDS order."""
    cdef lib.agora_vad_config c
    lib.agora_vad_config_default(&c)
    return (c.pre_start_recognize_count, c.start_recognize_count, c.stop_recognize_count,
            c.active_percent, c.inactive_percent, c.start_voice_prob, c.stop_voice_prob,
            c.start_rms_threshold, c.stop_rms_threshold, c.adaptive_rms, c.adaptive_rms_factor,
            c.start_run_count)


cdef class LabelAnalyzer:
    """Streaming audio labels (rms, dbfs, voice_prob, pitch) of one stream."""
    cdef lib.agora_label_analyzer *_a
    cdef readonly int sample_rate
    cdef readonly int channels

    def __cinit__(self, int sample_rate, int channels=1):
        if channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, got {channels}")
        if sample_rate not in PLAYBACK_SAMPLE_RATES:
            raise ValueError(f"sample_rate must be one of {', '.join(map(str, PLAYBACK_SAMPLE_RATES))} "
                             f"(10 ms frames need a whole number of samples), got {sample_rate}")
        self._a = lib.agora_label_analyzer_create(sample_rate, channels)
        if self._a == NULL:
            raise MemoryError("agora_label_analyzer_create failed")
        self.sample_rate = sample_rate
        self.channels = channels

    def __dealloc__(self):
        lib.agora_label_analyzer_destroy(self._a)

    def process(self, data):
        """Labels of one 10 ms frame: dict(rms, dbfs, voice_prob, pitch)."""
        cdef lib.agora_audio_labels out
        self._process(data, &out)
        return {"rms": out.rms, "dbfs": out.dbfs, "voice_prob": out.voice_prob, "pitch": out.pitch_hz}

    cdef int _process(self, data, lib.agora_audio_labels *out) except -1:
        cdef _PcmView v = _pcm_view(data, "LabelAnalyzer.process")
        cdef Py_ssize_t want = (self.sample_rate // 100) * self.channels * 2
        if v.nbytes != want:
            raise _errors.InvalidArgumentError(
                f"expected one 10 ms frame of {self.sample_rate} Hz {self.channels}-channel int16 PCM "
                f"({want} bytes), got {v.nbytes} bytes")
        cdef int rc
        with nogil:
            rc = lib.agora_label_analyzer_process(self._a, v.samples, self.sample_rate // 100, out)
        check(rc, "LabelAnalyzer.process")
        return 0


cdef class VadEngine:
    """The native V2 state machine with its own label analyser (AudioVadV2's core)."""
    cdef lib.agora_vad *_vad
    cdef lib.agora_vad_config _cfg
    cdef LabelAnalyzer _labels
    cdef size_t _frame_bytes

    def __cinit__(self, tuple config):
        _fill_vad_config(&self._cfg, config)
        self._vad = NULL

    def __dealloc__(self):
        lib.agora_vad_destroy(self._vad)

    @property
    def format(self):
        """(sample_rate, channels) fixed by the first frame, or None."""
        return None if self._labels is None else (self._labels.sample_rate, self._labels.channels)

    cdef int _ensure(self, int sample_rate, int channels, Py_ssize_t nbytes) except -1:
        if self._labels is None:
            self._labels = LabelAnalyzer(sample_rate, channels)
            self._frame_bytes = (sample_rate // 100) * channels * 2
            self._vad = lib.agora_vad_create(&self._cfg, self._frame_bytes)
            if self._vad == NULL:
                raise MemoryError("agora_vad_create failed")
        elif sample_rate != self._labels.sample_rate or channels != self._labels.channels:
            raise _errors.InvalidArgumentError(
                f"every frame must have the format of the first one ({self._labels.sample_rate} Hz, "
                f"{self._labels.channels} ch), got {sample_rate} Hz, {channels} ch")
        if <size_t>nbytes != self._frame_bytes:
            raise _errors.InvalidArgumentError(
                f"expected one 10 ms frame ({self._frame_bytes} bytes at {sample_rate} Hz, {channels} ch), "
                f"got {nbytes} bytes")
        return 0

    def process(self, data, int sample_rate, int channels):
        """Run labels + VAD on one 10 ms frame -> (state, bytearray, voice_prob, rms)."""
        cdef lib.agora_audio_labels labels
        cdef lib.agora_vad_result res
        cdef _PcmView v = _pcm_view(data, "AudioVadV2.process")
        self._ensure(sample_rate, channels, v.nbytes)
        self._labels._process(data, &labels)
        with nogil:
            lib.agora_vad_process(self._vad, &labels, <const uint8_t *>v.samples, v.nbytes, &res)
        out = bytearray((<const char *>res.bytes)[:res.length]) if res.length else bytearray()
        return res.state, out, labels.voice_prob, labels.rms

    def process_labels(self, data, float dbfs, int voice_prob, int sample_rate=16000, int channels=1):
        """Run only the state machine on one frame with the labels given (for tests
        that drive the decision logic with arbitrary label sequences)."""
        cdef lib.agora_audio_labels labels
        cdef lib.agora_vad_result res
        cdef _PcmView v = _pcm_view(data, "VadEngine.process_labels")
        self._ensure(sample_rate, channels, v.nbytes)
        labels.dbfs = dbfs
        labels.voice_prob = voice_prob
        labels.rms = 0
        labels.pitch_hz = 0
        labels.music_prob = 0
        labels.far_field = 0
        lib.agora_vad_process(self._vad, &labels, <const uint8_t *>v.samples, v.nbytes, &res)
        return res.state, ((<const char *>res.bytes)[:res.length] if res.length else b"")

    def reset(self):
        if self._vad != NULL:
            lib.agora_vad_reset(self._vad)
        if self._labels is not None:
            lib.agora_label_analyzer_reset(self._labels._a)
