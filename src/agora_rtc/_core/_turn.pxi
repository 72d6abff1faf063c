# The prosodic end-of-turn detector (turn_detector.c) over FrameLabels sequences.

TURN_FEATURE_NAMES = ("end_pitch_st", "end_pitch_slope", "end_rise_st", "energy_drop_db", "energy_slope",
                      "syllable_rate", "final_lengthening", "utterance_s", "speech_s", "end_voiced")
DEF TURN_WINDOW = 600   # frames (6 s) of labels a decision looks at


cdef int _turn_frames(labels, lib.agora_turn_frame *out) except -1:
    """The labels up to the last active one (at most TURN_WINDOW of them) into
    out; returns how many (0 without an active label). Each label is a tuple
    (state, rms, dbfs, voice_prob, pitch, active) such as FrameLabels; None
    (a frame without labels) counts as silence."""
    cdef Py_ssize_t n = len(labels)
    cdef Py_ssize_t last = n - 1
    cdef Py_ssize_t i, first
    cdef int k = 0
    while last >= 0:
        lab = labels[last]
        if lab is not None:
            _check_label(lab)
            if (<tuple>lab)[5]:
                break
        last -= 1
    if last < 0:
        return 0
    first = last - TURN_WINDOW + 1 if last >= TURN_WINDOW else 0
    for i in range(first, last + 1):
        lab = labels[i]
        if lab is None:
            out[k].dbfs = -127.0
            out[k].pitch_hz = 0
            out[k].active = 0
        else:
            _check_label(lab)
            out[k].dbfs = (<tuple>lab)[2]
            out[k].pitch_hz = (<tuple>lab)[4]
            out[k].active = 1 if (<tuple>lab)[5] else 0
        k += 1
    return k


cdef inline int _check_label(lab) except -1:
    if not isinstance(lab, tuple) or len(<tuple>lab) < 6:
        raise TypeError("end-of-turn labels: each item must be a FrameLabels "
                        f"(state, rms, dbfs, voice_prob, pitch, active), got {lab!r}")
    return 0


cdef _float_tuple(const float *v, int n):
    return tuple([v[i] for i in range(n)])


cdef int _fill_floats(float *dst, values, str name) except -1:
    if values is None:
        return 0
    vals = [float(x) for x in values]
    if len(vals) != lib.AGORA_TURN_NFEATURES:
        raise ValueError(f"TurnModel: {name} needs {lib.AGORA_TURN_NFEATURES} numbers "
                         f"(one per TURN_FEATURE_NAMES), got {len(vals)}")
    for i in range(lib.AGORA_TURN_NFEATURES):
        dst[i] = vals[i]
    return 0


cdef class TurnModel:
    """The native prosodic end-of-turn model: the shipped default, with any of
    its fields replaced. See include/agora_rtc/turn_detector.h."""
    cdef lib.agora_turn_model _m

    def __cinit__(self, mean=None, scale=None, weights=None, base_wait_ms=None, min_wait_ms=None,
                  max_wait_ms=None):
        lib.agora_turn_model_default(&self._m)
        _fill_floats(self._m.mean, mean, "mean")
        _fill_floats(self._m.scale, scale, "scale")
        _fill_floats(self._m.w, weights, "weights")
        if base_wait_ms is not None:
            self._m.base_wait_ms = base_wait_ms
        if min_wait_ms is not None:
            self._m.min_wait_ms = min_wait_ms
        if max_wait_ms is not None:
            self._m.max_wait_ms = max_wait_ms
        if lib.agora_turn_model_validate(&self._m) != 0:
            raise _errors.InvalidArgumentError(
                "TurnModel: expected finite numbers, every scale > 0, base_wait_ms > 0 and "
                f"0 <= min_wait_ms <= max_wait_ms <= 60000, got {self!r}")

    @property
    def mean(self):
        return _float_tuple(self._m.mean, lib.AGORA_TURN_NFEATURES)

    @property
    def scale(self):
        return _float_tuple(self._m.scale, lib.AGORA_TURN_NFEATURES)

    @property
    def weights(self):
        return _float_tuple(self._m.w, lib.AGORA_TURN_NFEATURES)

    @property
    def base_wait_ms(self):
        return self._m.base_wait_ms

    @property
    def min_wait_ms(self):
        return self._m.min_wait_ms

    @property
    def max_wait_ms(self):
        return self._m.max_wait_ms

    def __repr__(self):
        return (f"TurnModel(weights={self.weights}, base_wait_ms={self._m.base_wait_ms}, "
                f"min_wait_ms={self._m.min_wait_ms}, max_wait_ms={self._m.max_wait_ms})")

    def need_ms(self, labels):
        """The pause (ms after the last active frame) this turn needs before it is
        over; 0 without any active frame. labels: FrameLabels, oldest first (the
        6 s up to the last active label count)."""
        cdef lib.agora_turn_frame frames[TURN_WINDOW]
        cdef lib.agora_turn_features f
        cdef int n = _turn_frames(labels, frames)
        with nogil:
            lib.agora_turn_features_compute(frames, n, &f)
        if not f.has_speech:
            return 0.0
        return lib.agora_turn_model_need_ms(&self._m, &f)

    def decide(self, labels, double pause_ms):
        """need_ms(labels) - pause_ms: ms still to wait (<= 0: the turn is over)."""
        cdef lib.agora_turn_frame frames[TURN_WINDOW]
        cdef int n = _turn_frames(labels, frames)
        cdef float r
        with nogil:
            r = lib.agora_turn_decide(&self._m, frames, n, <float>pause_ms, NULL)
        return r

    def need_ms_of_features(self, features):
        """need_ms for a features tuple (TURN_FEATURE_NAMES order), as from turn_features."""
        cdef lib.agora_turn_features f
        _fill_floats(f.v, features, "features")
        f.has_speech = 1
        f.pause_frames = 0
        return lib.agora_turn_model_need_ms(&self._m, &f)

    def time_native_decide(self, labels, int iterations):
        """Benchmark hook: seconds per agora_turn_decide on these labels (C loop, no Python)."""
        cdef lib.agora_turn_frame frames[TURN_WINDOW]
        cdef int n = _turn_frames(labels, frames)
        cdef int i
        cdef float sink = 0   # the calls are opaque (no LTO): none is optimised away
        if iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}")
        t0 = time.perf_counter()
        with nogil:
            for i in range(iterations):
                sink = sink + lib.agora_turn_decide(&self._m, frames, n, 300.0, NULL)
        return (time.perf_counter() - t0) / iterations


def turn_features(labels):
    """(has_speech, features) of FrameLabels, oldest first (the 6 s up to the last
    active label count); features in TURN_FEATURE_NAMES order."""
    cdef lib.agora_turn_frame frames[TURN_WINDOW]
    cdef lib.agora_turn_features f
    cdef int n = _turn_frames(labels, frames)
    with nogil:
        lib.agora_turn_features_compute(frames, n, &f)
    return bool(f.has_speech), _float_tuple(f.v, lib.AGORA_TURN_NFEATURES)
