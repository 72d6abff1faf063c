# AudioFrame: what observers receive. The PCM is an SDK-owned copy made in the
# nogil half of the trampoline, so Python never sees engine memory that is
# recycled after the callback; it is exposed zero-copy (buffer protocol, numpy).

# A free list keeps the objects of recently freed frames for the next ones
# (the queued path makes one frame per 10 ms per user): no allocator round trip.
@cython.freelist(64)
cdef class AudioFrame:
    """One 10 ms frame of 16-bit interleaved PCM with its labels.

    Attributes follow the Agora SDK: ``type``, ``samples_per_channel``,
    ``bytes_per_sample``, ``channels``, ``samples_per_sec``, ``buffer``,
    ``render_time_ms``, ``presentation_ms``, ``rtp_timestamp``,
    ``far_field_flag``, ``rms`` (0..127 = dBFS + 127), ``voice_prob``
    (0..100), ``music_prob``, ``pitch`` (Hz, 0 when unvoiced), plus ``dbfs``
    and ``send_time_us`` (engine clock, microseconds, when the frame left the sender).
    ``music_prob`` and ``far_field_flag`` are 0: no estimator exists yet.

    ``buffer`` is a read-only memoryview over the frame's own copy of the
    samples; ``data`` is the same memory as a read-only numpy int16 array
    (interleaved). Both stay valid for as long as you keep them.
    """
    cdef char *_pcm
    cdef void *_block          # when set, the agora_queued_frame that holds _pcm (freed instead)
    cdef Py_ssize_t _nbytes
    cdef Py_ssize_t _shape[1]
    cdef Py_ssize_t _strides[1]
    cdef public int type
    cdef public int samples_per_channel
    cdef public int bytes_per_sample
    cdef public int channels
    cdef public int samples_per_sec
    cdef public long long render_time_ms
    cdef public long long presentation_ms
    cdef public long long send_time_us
    cdef public unsigned int rtp_timestamp
    cdef public int far_field_flag
    cdef public int rms
    cdef public int voice_prob
    cdef public int music_prob
    cdef public int pitch
    cdef public int avsync_type
    cdef public float dbfs

    def __dealloc__(self):
        if self._block != NULL:
            lib.agora_queued_frame_free(<lib.agora_queued_frame *>self._block)
        else:
            free(self._pcm)
        self._pcm = NULL
        self._block = NULL

    def __getbuffer__(self, Py_buffer *buf, int flags):
        if flags & 0x0001:  # PyBUF_WRITABLE
            raise BufferError("AudioFrame buffers are read-only")
        self._shape[0] = self._nbytes
        self._strides[0] = 1
        buf.buf = self._pcm
        buf.obj = self
        buf.len = self._nbytes
        buf.readonly = 1
        buf.itemsize = 1
        if flags & PyBUF_FORMAT:
            buf.format = b"B"
        else:
            buf.format = NULL
        buf.ndim = 1
        buf.shape = self._shape
        buf.strides = self._strides
        buf.suboffsets = NULL
        buf.internal = NULL

    def __releasebuffer__(self, Py_buffer *buf):
        pass

    def __len__(self):
        return self._nbytes

    @property
    def buffer(self):
        """The PCM bytes (read-only memoryview, zero-copy)."""
        return memoryview(self)

    @property
    def data(self):
        """The PCM as a read-only numpy int16 array (interleaved, zero-copy)."""
        import numpy
        return numpy.frombuffer(self, dtype=numpy.int16)

    def __repr__(self):
        return (f"AudioFrame({self.samples_per_sec} Hz, {self.channels} ch, "
                f"{self.samples_per_channel} samples, rms={self.rms}, voice_prob={self.voice_prob}, "
                f"render_time_ms={self.render_time_ms}, presentation_ms={self.presentation_ms})")

    @staticmethod
    def from_pcm(data, int sample_rate=16000, int channels=1):
        """Build a frame from user PCM (bytes-like or numpy int16), e.g. to feed
        AudioVadV2 without a connection. The samples are copied."""
        if channels not in (1, 2):
            raise ValueError(f"channels must be 1 or 2, got {channels}")
        if sample_rate < 8000 or sample_rate > 48000:
            raise ValueError(f"sample_rate must be 8000..48000 Hz, got {sample_rate}")
        cdef _PcmView v = _pcm_view(data, "AudioFrame.from_pcm")
        if v.nbytes % (2 * channels):
            raise ValueError(f"AudioFrame.from_pcm: {v.nbytes} bytes is not a whole number of "
                             f"{channels}-channel int16 sample frames")
        cdef char *copy = <char *>malloc(v.nbytes if v.nbytes else 1)
        if copy == NULL:
            raise MemoryError()
        memcpy(copy, v.samples, v.nbytes)
        cdef AudioFrame f = AudioFrame.__new__(AudioFrame)
        f._pcm = copy
        f._nbytes = v.nbytes
        f.type = 0
        f.bytes_per_sample = 2
        f.channels = channels
        f.samples_per_sec = sample_rate
        f.samples_per_channel = v.nbytes // (2 * channels)
        return f


cdef AudioFrame _adopt_frame(const lib.agora_audio_frame *src, char *pcm, Py_ssize_t nbytes):
    """Wrap a native frame whose PCM was already copied into `pcm` (ownership moves)."""
    cdef AudioFrame f = AudioFrame.__new__(AudioFrame)
    f._pcm = pcm
    f._nbytes = nbytes
    f.type = src.type
    f.samples_per_channel = src.samples_per_channel
    f.bytes_per_sample = src.bytes_per_sample
    f.channels = src.channels
    f.samples_per_sec = src.samples_per_sec
    f.render_time_ms = src.render_time_ms
    f.presentation_ms = src.presentation_ms
    f.send_time_us = src.send_time_us
    f.rtp_timestamp = src.rtp_timestamp
    f.rms = src.labels.rms
    f.dbfs = src.labels.dbfs
    f.voice_prob = src.labels.voice_prob
    f.music_prob = src.labels.music_prob
    f.pitch = src.labels.pitch_hz
    f.far_field_flag = src.labels.far_field
    return f
