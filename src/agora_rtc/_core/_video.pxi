# Video: push raw / encoded frames, video observers, subscriptions (video.h).
#
# VideoPort is the video half of a Connection (RTCConnection keeps one in
# `_video`); every call goes through Connection._take, so it follows the
# connection's lifetime, and the engine's destroy unregisters the video
# observers (waiting for calls in flight) before the objects can go away.
# Trampolines: `_on_video_frame` (nogil: copies the borrowed I420 planes into
# one SDK-owned block) then `_on_video_frame_gil` (wraps the block zero-copy
# and calls IVideoFrameObserver.on_frame); the same pair for encoded frames.

cdef object _video_classes = None


cdef tuple _video_types():
    global _video_classes
    if _video_classes is None:
        from agora_rtc.agora_base import EncodedVideoFrameInfo, VideoFrame
        _video_classes = (VideoFrame, EncodedVideoFrameInfo)
    return _video_classes


cdef class VideoBuffer:
    """An SDK-owned block of received video bytes (planes or an encoded frame),
    exposed read-only through the buffer protocol; memoryviews and numpy arrays
    over it share its memory and keep it alive."""
    cdef uint8_t *_data
    cdef Py_ssize_t _nbytes
    cdef Py_ssize_t _shape[1]
    cdef Py_ssize_t _strides[1]

    def __dealloc__(self):
        free(self._data)
        self._data = NULL

    def __getbuffer__(self, Py_buffer *buf, int flags):
        if flags & 0x0001:  # PyBUF_WRITABLE
            raise BufferError("received video buffers are read-only")
        self._shape[0] = self._nbytes
        self._strides[0] = 1
        buf.buf = self._data
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


cdef VideoBuffer _adopt_video_block(uint8_t *data, Py_ssize_t nbytes):
    cdef VideoBuffer b = VideoBuffer.__new__(VideoBuffer)
    b._data = data
    b._nbytes = nbytes
    return b


cdef class _ByteView:
    """A Py_buffer over user bytes held while the engine reads them."""
    cdef Py_buffer view
    cdef bint held

    def __dealloc__(self):
        if self.held:
            PyBuffer_Release(&self.view)


cdef _ByteView _byte_view(object data, str what, str name):
    """Any C-contiguous buffer (bytes, bytearray, memoryview, numpy array), read as raw bytes."""
    if data is None:
        raise TypeError(f"{what}: {name} must be a bytes-like object or numpy array, got None")
    if isinstance(data, str):
        raise TypeError(f"{what}: {name} must be a bytes-like object or numpy array, got str")
    cdef _ByteView v = _ByteView()
    try:
        PyObject_GetBuffer(data, &v.view, PyBUF_C_CONTIGUOUS)
    except (BufferError, TypeError, ValueError) as exc:
        raise TypeError(f"{what}: {name} must be a C-contiguous bytes-like object or numpy array, "
                        f"got {type(data).__name__} ({exc})") from None
    v.held = True
    return v


def video_buffer_size(int format, int stride, int height):
    """Bytes a pushed buffer of this pixel format must have (0: unknown format)."""
    return lib.agora_video_buffer_size(format, stride, height)


def convert_to_i420(int format, data, int stride, int height, out):
    """Convert a whole frame to I420 into `out` (a writable buffer of
    stride*height*3/2 bytes): the engine's push conversion, for benchmarks and
    tests. Releases the GIL while converting."""
    cdef _ByteView src = _byte_view(data, "convert_to_i420", "data")
    cdef Py_buffer dst
    cdef lib.agora_external_video_frame f
    cdef int rc
    memset(&f, 0, sizeof(f))
    f.format = format
    f.buffer = <const uint8_t *>src.view.buf
    f.length = src.view.len
    f.stride = stride
    f.height = height
    PyObject_GetBuffer(out, &dst, PyBUF_C_CONTIGUOUS | 0x0001)
    try:
        if dst.len != <Py_ssize_t>stride * height * 3 // 2:
            raise ValueError(f"convert_to_i420: out must have {stride * height * 3 // 2} bytes, got {dst.len}")
        with nogil:
            rc = lib.agora_video_to_i420(&f, <uint8_t *>dst.buf, stride,
                                         <uint8_t *>dst.buf + stride * height, stride // 2,
                                         <uint8_t *>dst.buf + stride * height + (stride // 2) * (height // 2),
                                         stride // 2)
    finally:
        PyBuffer_Release(&dst)
    check(rc, "convert_to_i420")


cdef class VideoPort:
    cdef Connection _owner
    cdef object _frame_observer
    cdef object _encoded_observer
    cdef object __weakref__

    def __init__(self, Connection owner, bint auto_subscribe_video):
        cdef lib.agora_video_user_observer t
        self._owner = owner
        cdef lib.agora_rtc_conn *c = owner._take("video")
        try:
            t.user_data = <void *>self
            t.on_video_track_publish_success = _on_video_track_publish_success
            t.on_video_track_unpublished = _on_video_track_unpublished
            t.on_intra_request_received = _on_intra_request_received
            t.on_first_remote_video_frame = _on_first_remote_video_frame
            t.on_user_video_track_subscribed = _on_user_video_track_subscribed
            lib.agora_rtc_conn_register_video_user_observer(c, &t)
            if auto_subscribe_video:
                with nogil:
                    lib.agora_rtc_conn_set_auto_subscribe_video(c, 1)
        finally:
            lib.agora_rtc_conn_unretain(c)

    def _set_frame_observer(self, observer):
        cdef lib.agora_video_frame_observer t
        cdef lib.agora_rtc_conn *c = self._owner._take("register_video_frame_observer")
        cdef int rc
        with nogil:  # waits for a call in flight to the previous observer
            lib.agora_rtc_conn_unregister_video_frame_observer(c)
        self._frame_observer = None
        if observer is None:
            lib.agora_rtc_conn_unretain(c)
            return 0
        t.user_data = <void *>self
        t.on_frame = _on_video_frame
        self._frame_observer = observer
        rc = lib.agora_rtc_conn_register_video_frame_observer(c, &t)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_encoded_observer(self, observer):
        cdef lib.agora_video_encoded_frame_observer t
        cdef lib.agora_rtc_conn *c = self._owner._take("register_video_encoded_frame_observer")
        cdef int rc
        with nogil:
            lib.agora_rtc_conn_unregister_video_encoded_frame_observer(c)
        self._encoded_observer = None
        if observer is None:
            lib.agora_rtc_conn_unretain(c)
            return 0
        t.user_data = <void *>self
        t.on_encoded_video_frame = _on_encoded_video_frame
        self._encoded_observer = observer
        rc = lib.agora_rtc_conn_register_video_encoded_frame_observer(c, &t)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _publish(self, bint publish):
        cdef lib.agora_rtc_conn *c = self._owner._take("publish_video" if publish else "unpublish_video")
        cdef int rc = lib.agora_local_user_publish_video(c) if publish else lib.agora_local_user_unpublish_video(c)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _subscribe(self, user_id, bint subscribe, bint encoded_only=False):
        """user_id: bytes, or None for all users."""
        cdef lib.agora_rtc_conn *c = self._owner._take("subscribe_video" if subscribe else "unsubscribe_video")
        cdef const char *uid = NULL
        cdef int rc
        if user_id is not None:
            uid = <bytes>user_id
        with nogil:
            if uid == NULL:
                rc = (lib.agora_local_user_subscribe_all_video(c, encoded_only) if subscribe
                      else lib.agora_local_user_unsubscribe_all_video(c))
            else:
                rc = (lib.agora_local_user_subscribe_video(c, uid, encoded_only) if subscribe
                      else lib.agora_local_user_unsubscribe_video(c, uid))
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _send_intra_request(self, bytes user_id):
        cdef lib.agora_rtc_conn *c = self._owner._take("send_intra_request")
        cdef const char *uid = user_id
        cdef int rc
        with nogil:
            rc = lib.agora_local_user_send_intra_request(c, uid)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _push_frame(self, int format, data, int stride, int height, int crop_left, int crop_top,
                    int crop_right, int crop_bottom, int rotation, long long timestamp, metadata):
        """Validated by the caller except the buffer, checked here against the format."""
        cdef _ByteView v = _byte_view(data, "push_video_frame", "frame.buffer")
        cdef _ByteView m = None
        cdef lib.agora_external_video_frame f
        cdef size_t need = lib.agora_video_buffer_size(format, stride, height)
        if <size_t>v.view.len != need:
            raise _errors.InvalidArgumentError(
                f"push_video_frame: a {_FORMAT_NAMES.get(format, format)} frame of stride {stride} "
                f"and height {height} needs exactly {need} bytes ({_FORMAT_SIZES.get(format, '?')}), "
                f"got {v.view.len}")
        memset(&f, 0, sizeof(f))
        if metadata is not None:
            m = _byte_view(metadata, "push_video_frame", "frame.metadata")
            f.metadata = <const uint8_t *>m.view.buf
            f.metadata_length = m.view.len
        f.format = format
        f.buffer = <const uint8_t *>v.view.buf
        f.length = v.view.len
        f.stride = stride
        f.height = height
        f.crop_left = crop_left
        f.crop_top = crop_top
        f.crop_right = crop_right
        f.crop_bottom = crop_bottom
        f.rotation = rotation
        f.timestamp = timestamp
        cdef lib.agora_rtc_conn *c = self._owner._take("push_video_frame")
        cdef int rc
        with nogil:  # the conversion runs here, in the pushing thread
            rc = lib.agora_rtc_conn_push_video_frame(c, &f)
            lib.agora_rtc_conn_unretain(c)
        if rc == lib.AGORA_ERR_INVALID_ARGUMENT or rc == lib.AGORA_ERR_NO_MEMORY:
            check(rc, "push_video_frame")
        return rc

    def _push_encoded(self, data, tuple info):
        """info: (codec_type, width, height, frames_per_second, frame_type, rotation,
        track_id, capture_time_ms, decode_time_ms, stream_type, presentation_ms)."""
        cdef _ByteView v = _byte_view(data, "push_video_encoded_data", "data")
        cdef lib.agora_encoded_video_info i
        memset(&i, 0, sizeof(i))
        (i.codec_type, i.width, i.height, i.frames_per_second, i.frame_type, i.rotation,
         i.track_id, i.capture_time_ms, i.decode_time_ms, i.stream_type, i.presentation_ms) = info
        cdef lib.agora_rtc_conn *c = self._owner._take("push_video_encoded_data")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_push_video_encoded(c, <const uint8_t *>v.view.buf, v.view.len, &i)
            lib.agora_rtc_conn_unretain(c)
        if rc == lib.AGORA_ERR_INVALID_ARGUMENT and i.codec_type == 2:
            raise _errors.InvalidArgumentError(
                "push_video_encoded_data: on the Janus transport an H.264 frame must be one access "
                "unit in Annex B form (NAL units each behind a 00 00 01 or 00 00 00 01 start code)")
        if rc == lib.AGORA_ERR_INVALID_ARGUMENT or rc == lib.AGORA_ERR_NO_MEMORY:
            check(rc, "push_video_encoded_data")
        return rc

    def _stats(self):
        cdef lib.agora_video_stats s
        cdef lib.agora_rtc_conn *c = self._owner._take("get_video_stats")
        lib.agora_rtc_conn_get_video_stats(c, &s)
        lib.agora_rtc_conn_unretain(c)
        return {"pushed_frames": s.pushed_frames, "pushed_encoded": s.pushed_encoded,
                "sent_frames": s.sent_frames, "received_frames": s.received_frames,
                "received_encoded": s.received_encoded, "raw_not_encoded": s.raw_not_encoded,
                "encoded_not_decoded": s.encoded_not_decoded,
                "dropped_backlog": s.dropped_backlog, "intra_requests": s.intra_requests,
                "encoded_frames": s.encoded_frames, "decoded_frames": s.decoded_frames}

    def _set_encoder(self, int codec_type, int width, int height, int frame_rate, int bitrate_kbps,
                     int min_bitrate_kbps, int orientation_mode):
        """Validated by the caller."""
        cdef lib.agora_video_encoder_config cfg
        cfg.codec_type = codec_type
        cfg.width = width
        cfg.height = height
        cfg.frame_rate = frame_rate
        cfg.bitrate_kbps = bitrate_kbps
        cfg.min_bitrate_kbps = min_bitrate_kbps
        cfg.orientation_mode = orientation_mode
        cdef lib.agora_rtc_conn *c = self._owner._take("set_video_encoder_configuration")
        cdef int rc = lib.agora_rtc_conn_set_video_encoder(c, &cfg)
        lib.agora_rtc_conn_unretain(c)
        check(rc, "set_video_encoder_configuration")
        return rc

    def _drop_observers(self):
        """After the connection was destroyed (no call can be in flight)."""
        self._frame_observer = None
        self._encoded_observer = None


def video_encoder_supported(int codec):
    """(available, what it needs) for encoding raw frames to codec (1 VP8, 2 H.264)."""
    cdef const char *detail = NULL
    cdef int ok = lib.agora_video_encoder_supported(codec, &detail)
    return bool(ok), (<bytes>detail).decode() if detail != NULL else ""


_FORMAT_NAMES = {1: "I420", 2: "BGRA", 3: "NV21", 4: "RGBA", 8: "NV12"}
_FORMAT_SIZES = {1: "stride*height*3/2", 2: "stride*4*height", 3: "stride*height*3/2",
                 4: "stride*4*height", 8: "stride*height*3/2"}


# ---- trampolines: raw and encoded frames ----

cdef void _on_video_frame_gil(VideoPort self, const char *channel_id, const char *user_id,
                              const lib.agora_video_frame *frame, uint8_t *block,
                              Py_ssize_t ysize, Py_ssize_t csize) noexcept:
    obs = self._frame_observer
    if _shutting_down or obs is None:
        free(block)
        return
    cdef VideoBuffer buf
    try:
        buf = _adopt_video_block(block, ysize + 2 * csize)   # owns block from here on
    except BaseException:
        free(block)
        _report_observer_error("on_frame", obs)
        return
    try:
        mv = memoryview(buf)
        meta = None
        if frame.metadata_length:
            meta = (<const char *>frame.metadata)[:frame.metadata_length]
        video_frame = _video_types()[0](
            type=frame.type, width=frame.width, height=frame.height,
            y_stride=frame.width, u_stride=frame.width // 2, v_stride=frame.width // 2,
            y_buffer=mv[:ysize], u_buffer=mv[ysize:ysize + csize], v_buffer=mv[ysize + csize:],
            rotation=frame.rotation, render_time_ms=frame.render_time_ms, metadata=meta)
        obs.on_frame(_s(channel_id), _s(user_id), video_frame)
    except BaseException:
        _report_observer_error("on_frame", obs)


cdef void _on_video_frame(void *ud, const char *channel_id, const char *user_id,
                          const lib.agora_video_frame *frame) noexcept nogil:
    # C work first, without the GIL: copy the borrowed planes into one block
    # (tightly packed: strides become the widths).
    cdef Py_ssize_t w = frame.width, h = frame.height
    cdef Py_ssize_t ysize = w * h, csize = (w // 2) * (h // 2)
    cdef uint8_t *block = <uint8_t *>malloc(ysize + 2 * csize)
    cdef Py_ssize_t row
    if block == NULL:
        return
    for row in range(h):
        memcpy(block + row * w, frame.y_buffer + row * frame.y_stride, w)
    for row in range(h // 2):
        memcpy(block + ysize + row * (w // 2), frame.u_buffer + row * frame.u_stride, w // 2)
        memcpy(block + ysize + csize + row * (w // 2), frame.v_buffer + row * frame.v_stride, w // 2)
    _keep_thread_state()
    with gil:
        _on_video_frame_gil(<VideoPort>ud, channel_id, user_id, frame, block, ysize, csize)


cdef void _on_encoded_video_frame_gil(VideoPort self, const char *user_id, uint8_t *block,
                                      size_t length, const lib.agora_encoded_video_info *i) noexcept:
    obs = self._encoded_observer
    if _shutting_down or obs is None:
        free(block)
        return
    cdef VideoBuffer buf
    try:
        buf = _adopt_video_block(block, length)
    except BaseException:
        free(block)
        _report_observer_error("on_encoded_video_frame", obs)
        return
    try:
        info = _video_types()[1](
            codec_type=i.codec_type, width=i.width, height=i.height,
            frames_per_second=i.frames_per_second, frame_type=i.frame_type, rotation=i.rotation,
            track_id=i.track_id, capture_time_ms=i.capture_time_ms, decode_time_ms=i.decode_time_ms,
            uid=i.uid, stream_type=i.stream_type, presentation_ms=i.presentation_ms)
        obs.on_encoded_video_frame(_s(user_id), memoryview(buf), length, info)
    except BaseException:
        _report_observer_error("on_encoded_video_frame", obs)


cdef void _on_encoded_video_frame(void *ud, const char *user_id, const uint8_t *data, size_t length,
                                  const lib.agora_encoded_video_info *info) noexcept nogil:
    cdef uint8_t *block = <uint8_t *>malloc(length if length else 1)
    if block == NULL:
        return
    memcpy(block, data, length)
    _keep_thread_state()
    with gil:
        _on_encoded_video_frame_gil(<VideoPort>ud, user_id, block, length, info)


# ---- trampolines: local-user video events (to the IRTCLocalUserObserver) ----

cdef void _video_track_event_gil(VideoPort self, str event) noexcept:
    if _shutting_down:
        return
    try:
        args = (self._owner._local_user.get_local_video_track(),)
    except BaseException:
        _report_observer_error(event, self._owner._lu_observer)
        return
    _lu_event_gil(self._owner, event, args)


cdef void _on_video_track_publish_success(void *ud) noexcept nogil:
    _keep_thread_state()
    with gil:
        _video_track_event_gil(<VideoPort>ud, "on_video_track_publish_success")


cdef void _on_video_track_unpublished(void *ud) noexcept nogil:
    _keep_thread_state()
    with gil:
        _video_track_event_gil(<VideoPort>ud, "on_video_track_unpublished")


cdef void _on_intra_request_received_gil(VideoPort self, const char *from_user_id) noexcept:
    # Agora's callback has no user id: the requester is not passed (the
    # engine's counter `intra_requests` counts them).
    _lu_event_gil(self._owner, "on_intra_request_received", ())


cdef void _on_intra_request_received(void *ud, const char *from_user_id) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_intra_request_received_gil(<VideoPort>ud, from_user_id)


cdef void _on_first_remote_video_frame(void *ud, const char *user_id, int width, int height,
                                       int elapsed_ms) noexcept nogil:
    _keep_thread_state()
    with gil:
        _lu_event_gil((<VideoPort>ud)._owner, "on_first_remote_video_frame",
                      (_s(user_id), width, height, elapsed_ms))


cdef void _on_user_video_track_subscribed_gil(VideoPort self, const char *channel_id,
                                              const char *user_id, uint32_t owner_uid,
                                              int encoded_only) noexcept:
    if _shutting_down:
        return
    try:
        uid = _s(user_id)
        info, track = self._owner._make.video_track(uid, _s(channel_id), owner_uid, encoded_only)
    except BaseException:
        _report_observer_error("on_user_video_track_subscribed", self._owner._lu_observer)
        return
    _lu_event_gil(self._owner, "on_user_video_track_subscribed", (uid, info, track))


cdef void _on_user_video_track_subscribed(void *ud, const char *channel_id, const char *user_id,
                                          uint32_t owner_uid, int encoded_only) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_user_video_track_subscribed_gil(<VideoPort>ud, channel_id, user_id, owner_uid, encoded_only)
