# Test and benchmark hooks over the video RTP payload formats (agora_rtc/video_rtp.h:
# VP8 RFC 7741, H.264 RFC 6184). INTERNAL: not part of the SDK's API; the
# RTP transport calls the C directly. They let tests/test_video_rtp.py check
# real encoder bitstreams end to end and benchmarks/bench_video_rtp.py time
# the C against a pure-Python implementation.

_VIDEO_RTP_CODECS = {1: "VP8", 2: "H264"}


cdef int _video_rtp_codec(object codec) except -1:
    if isinstance(codec, bool) or not isinstance(codec, int):
        raise TypeError(f"codec must be an int (1 = VP8, 2 = H264), got {type(codec).__name__}")
    if codec not in _VIDEO_RTP_CODECS:
        raise ValueError(f"codec must be 1 (VP8) or 2 (H264), got {codec}")
    return codec


cdef class _PacketizerBuffer:
    """The packetizer state and one max_payload output buffer."""
    cdef lib.agora_video_packetizer p
    cdef uint8_t *buf

    def __cinit__(self, size_t max_payload):
        self.buf = <uint8_t *>malloc(max_payload)
        if self.buf == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.buf)


def _video_rtp_packetize(codec, frame, max_payload, picture_id=0):
    """Cut one encoded frame into RTP payloads (test/benchmark hook).

    Parameters
    ----------
    codec : int
        1 = VP8 (``frame`` is one VP8 frame), 2 = H264 (``frame`` is one
        access unit in Annex B form, 3- or 4-byte start codes).
    frame : bytes-like
        The encoded frame (not empty).
    max_payload : int
        Largest payload, ``AGORA_VIDEO_RTP_MIN_PAYLOAD`` (5) to
        ``AGORA_VIDEO_RTP_MAX_PAYLOAD`` (65495) bytes.
    picture_id : int
        VP8 PictureID (taken mod 2**15); ignored for H264.

    Returns
    -------
    list of (bytes, bool)
        The payloads in order, each with its RTP marker bit.

    Raises
    ------
    TypeError
        ``frame`` is not a bytes-like object, or an argument is not an int.
    ValueError
        Unknown codec, ``max_payload`` out of range, empty frame, or H264
        input that is not a valid Annex B access unit.
    """
    cdef int c = _video_rtp_codec(codec)
    if isinstance(max_payload, bool) or not isinstance(max_payload, int):
        raise TypeError(f"max_payload must be an int, got {type(max_payload).__name__}")
    if not (lib.AGORA_VIDEO_RTP_MIN_PAYLOAD <= max_payload <= lib.AGORA_VIDEO_RTP_MAX_PAYLOAD):
        raise ValueError(f"max_payload must be {lib.AGORA_VIDEO_RTP_MIN_PAYLOAD}.."
                         f"{lib.AGORA_VIDEO_RTP_MAX_PAYLOAD}, got {max_payload}")
    if isinstance(picture_id, bool) or not isinstance(picture_id, int) or picture_id < 0:
        raise TypeError(f"picture_id must be a non-negative int, got {picture_id!r}")
    if isinstance(frame, str) or frame is None:
        raise TypeError(f"frame must be a bytes-like object, got {type(frame).__name__}")
    cdef const uint8_t[::1] view
    try:
        view = memoryview(frame).cast("B")
    except (TypeError, ValueError) as exc:
        raise TypeError(f"frame must be a C-contiguous bytes-like object, got "
                        f"{type(frame).__name__} ({exc})") from None
    cdef size_t n = view.shape[0]
    if n == 0:
        raise ValueError("frame must not be empty")
    cdef size_t mp = max_payload
    cdef _PacketizerBuffer holder = _PacketizerBuffer(mp)
    cdef int rc
    if c == lib.AGORA_VIDEO_RTP_VP8:
        rc = lib.agora_vp8_packetizer_start(&holder.p, &view[0], n, <uint16_t>(picture_id & 0x7FFF), mp)
    else:
        rc = lib.agora_h264_packetizer_start(&holder.p, &view[0], n, mp)
    if rc < 0:
        if c == lib.AGORA_VIDEO_RTP_H264:
            raise ValueError("frame must be one H264 access unit in Annex B form: NAL units of "
                             "type 1..23, each after a 00 00 01 or 00 00 00 01 start code, the "
                             "first slice starting the picture (first_mb_in_slice 0)")
        check(rc, "_video_rtp_packetize")
    out = []
    cdef int marker = 0
    while True:
        rc = lib.agora_video_packetizer_next(&holder.p, holder.buf, mp, &marker)
        if rc == 0:
            break
        check(rc, "_video_rtp_packetize")
        out.append((holder.buf[:rc], marker != 0))
    return out


cdef class _VideoDepacketizer:
    """RTP payloads of one source back into frames (test/benchmark hook over
    the C depacketizer of video_rtp.h; internal, not part of the SDK API).

    Packets must come in sequence order: a sequence-number gap loses the
    frame, and after a loss (and from the start) complete delta frames are
    skipped until a keyframe completes.
    """
    cdef lib.agora_video_depacketizer d
    cdef bint live

    def __cinit__(self, codec, max_frame_bytes=1 << 22):
        cdef int c = _video_rtp_codec(codec)
        if isinstance(max_frame_bytes, bool) or not isinstance(max_frame_bytes, int):
            raise TypeError(f"max_frame_bytes must be an int, got {type(max_frame_bytes).__name__}")
        if not (1 <= max_frame_bytes <= lib.AGORA_VIDEO_MAX_ENCODED):
            raise ValueError(f"max_frame_bytes must be 1..{lib.AGORA_VIDEO_MAX_ENCODED}, "
                             f"got {max_frame_bytes}")
        check(lib.agora_video_depacketizer_init(&self.d, c, max_frame_bytes), "_VideoDepacketizer")
        self.live = True

    def __dealloc__(self):
        if self.live:
            lib.agora_video_depacketizer_free(&self.d)

    def push(self, seq, rtp_ts, marker, payload):
        """Feed one payload. Returns None while a frame is incomplete (or the
        packet was ignored), ``("frame", bytes, rtp_ts, keyframe, width,
        height)`` for a completed frame, ``("lost",)`` when a frame was
        dropped, ``("skipped",)`` for a complete delta frame dropped while
        waiting for a keyframe."""
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise TypeError(f"seq must be an int 0..65535, got {type(seq).__name__}")
        if not (0 <= seq <= 0xFFFF):
            raise ValueError(f"seq must be an int 0..65535, got {seq}")
        if not isinstance(rtp_ts, int) or isinstance(rtp_ts, bool):
            raise TypeError(f"rtp_ts must be an int 0..2**32-1, got {type(rtp_ts).__name__}")
        if not (0 <= rtp_ts <= 0xFFFFFFFF):
            raise ValueError(f"rtp_ts must be an int 0..2**32-1, got {rtp_ts}")
        cdef const uint8_t[::1] view
        cdef const uint8_t *ptr
        cdef size_t n
        if type(payload) is bytes:  # the common case, without a memoryview
            ptr = <const uint8_t *>(<bytes>payload)
            n = len(<bytes>payload)
        else:
            if isinstance(payload, str) or payload is None:
                raise TypeError(f"payload must be a bytes-like object, got {type(payload).__name__}")
            try:
                view = memoryview(payload).cast("B")
            except (TypeError, ValueError) as exc:
                raise TypeError(f"payload must be a C-contiguous bytes-like object, got "
                                f"{type(payload).__name__} ({exc})") from None
            n = view.shape[0]
            ptr = &view[0] if n > 0 else <const uint8_t *>b""
        cdef int rc = lib.agora_video_depacketizer_push(&self.d, <uint16_t>seq, <uint32_t>rtp_ts,
                                                        1 if marker else 0, ptr, n)
        check(rc, "_VideoDepacketizer.push")
        cdef lib.agora_video_rtp_frame f
        if rc == lib.AGORA_VIDEO_DEPACK_FRAME_READY:
            check(lib.agora_video_depacketizer_frame(&self.d, &f), "_VideoDepacketizer.push")
            return ("frame", f.data[:f.len], f.rtp_ts, bool(f.keyframe), f.width, f.height)
        if rc == lib.AGORA_VIDEO_DEPACK_FRAME_LOST:
            return ("lost",)
        if rc == lib.AGORA_VIDEO_DEPACK_FRAME_SKIPPED:
            return ("skipped",)
        return None

    @property
    def waiting_keyframe(self):
        """True until a keyframe completes after the start, a reset or a loss."""
        return lib.agora_video_depacketizer_waiting_keyframe(&self.d) != 0

    def reset(self):
        """Forget the sequence state and the frame in progress (a new source)."""
        lib.agora_video_depacketizer_reset(&self.d)

    def stats(self):
        """Counters: frames_ready, frames_lost, frames_skipped, packets_ignored."""
        return {"frames_ready": self.d.frames_ready, "frames_lost": self.d.frames_lost,
                "frames_skipped": self.d.frames_skipped, "packets_ignored": self.d.packets_ignored}


def _video_rtp_depacketize(codec, packets, max_frame_bytes=1 << 22):
    """Depacketize a whole packet list (test/benchmark hook).

    ``packets`` is an iterable of ``(seq, rtp_ts, marker, payload)``; returns
    the non-None results of ``_VideoDepacketizer.push`` in order.
    """
    cdef _VideoDepacketizer d = _VideoDepacketizer(codec, max_frame_bytes)
    out = []
    for item in packets:
        if not isinstance(item, tuple) or len(item) != 4:
            raise TypeError(f"each packet must be a (seq, rtp_ts, marker, payload) tuple, "
                            f"got {item!r:.60}")
        r = d.push(item[0], item[1], item[2], item[3])
        if r is not None:
            out.append(r)
    return out


def _video_rtp_packetize_loop(codec, frame, max_payload, repeat):
    """Benchmark hook: packetize ``frame`` ``repeat`` times in C with the GIL
    released, no Python object per packet (what the transport does). Returns
    (packets per frame, payload bytes per frame). Arguments as
    ``_video_rtp_packetize``; ``repeat`` >= 1."""
    first = _video_rtp_packetize(codec, frame, max_payload)  # validates everything
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an int >= 1, got {repeat!r}")
    cdef const uint8_t[::1] view = memoryview(frame).cast("B")
    cdef size_t n = view.shape[0], mp = max_payload
    cdef int c = codec
    cdef long r, reps = repeat
    cdef int marker = 0, rc = 0
    cdef _PacketizerBuffer holder = _PacketizerBuffer(mp)
    with nogil:
        for r in range(reps):
            if c == lib.AGORA_VIDEO_RTP_VP8:
                lib.agora_vp8_packetizer_start(&holder.p, &view[0], n, <uint16_t>r, mp)
            else:
                lib.agora_h264_packetizer_start(&holder.p, &view[0], n, mp)
            rc = lib.agora_video_packetizer_next(&holder.p, holder.buf, mp, &marker)
            while rc > 0:
                rc = lib.agora_video_packetizer_next(&holder.p, holder.buf, mp, &marker)
    check(rc, "_video_rtp_packetize_loop")
    return len(first), sum(len(p) for p, _ in first)


def _video_rtp_depacketize_loop(codec, payloads, repeat, keyframe=None):
    """Benchmark hook: push the payloads of one frame (``payloads``: list of
    (bytes, marker) as returned by ``_video_rtp_packetize``) ``repeat`` times
    in C with the GIL released, consecutive sequence numbers, one timestamp
    per repetition. ``keyframe`` (payloads of a keyframe, optional) is pushed
    once first so that delta frames are handed out too. Returns the number of
    frames the repetitions completed (== repeat when each came back)."""
    _video_rtp_codec(codec)
    if isinstance(repeat, bool) or not isinstance(repeat, int) or repeat < 1:
        raise ValueError(f"repeat must be an int >= 1, got {repeat!r}")
    cdef _VideoDepacketizer d = _VideoDepacketizer(codec, 1 << 24)
    cdef uint16_t seq = 0
    if keyframe is not None:
        for item in keyframe:
            if not isinstance(item, tuple) or len(item) != 2:
                raise TypeError(f"each keyframe payload must be a (bytes, marker) tuple, got {item!r:.60}")
            d.push(seq, 0xFFFFFFFF, item[1], item[0])
            seq += 1
    cdef list items = list(payloads)
    if not items:
        raise ValueError("payloads must not be empty")
    cdef Py_ssize_t count = len(items), i, total = 0
    for item in items:
        if (not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[0], bytes)
                or len(item[0]) == 0):
            raise TypeError(f"each payload must be a (non-empty bytes, marker) tuple, got {item!r:.60}")
        total += len(item[0])
    cdef uint8_t *blob = <uint8_t *>malloc(total)
    cdef size_t *lens = <size_t *>malloc(count * sizeof(size_t))
    cdef int *markers = <int *>malloc(count * sizeof(int))
    if blob == NULL or lens == NULL or markers == NULL:
        free(blob); free(lens); free(markers)
        raise MemoryError()
    cdef Py_ssize_t off = 0
    cdef const uint8_t *src
    for i in range(count):
        src = items[i][0]
        lens[i] = len(items[i][0])
        markers[i] = 1 if items[i][1] else 0
        memcpy(blob + off, src, lens[i])
        off += lens[i]
    cdef long r, reps = repeat, ready = 0
    cdef int rc
    with nogil:
        for r in range(reps):
            off = 0
            for i in range(count):
                rc = lib.agora_video_depacketizer_push(&d.d, seq, <uint32_t>r, markers[i],
                                                       blob + off, lens[i])
                seq += 1
                off += lens[i]
                if rc == lib.AGORA_VIDEO_DEPACK_FRAME_READY:
                    ready += 1
    free(blob); free(lens); free(markers)
    return ready
