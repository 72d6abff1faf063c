# Connection: the native connection plus the observer trampolines.
#
# Trampoline contract (one pair per event): `_on_<event>` is what the engine
# calls on its delivery thread; it is `noexcept nogil`, does its C work first
# (copying a frame into an SDK-owned buffer), then takes the GIL and calls
# `_on_<event>_gil`, which calls the Python observer inside a try/except that
# can never raise back into C.
#
# Lifetime: user_data is a borrowed pointer to the Connection. The Service keeps
# every open Connection in a strong set until release(), and release()
# unregisters the observers in C, which waits for in-flight calls, before the
# object can go away. Methods that release the GIL hold a native reference
# (agora_rtc_conn_retain) so a concurrent release() cannot free the memory.

cdef class ConnectionFactories:
    """What the compiled Connection makes for Python when the engine reports
    something: the records and track objects of the API. The API layer gives them
    (Connection._use_factories, before _native_open), so the compiled class never
    calls up into a Python subclass. Each is a callable, called under the GIL on
    the delivery thread; an exception is reported like an observer's.

    conn_info(id, channel_id, state, local_user_id, internal_uid) -> RTCConnInfo
    volume_info(user_id, volume, vad, voice_pitch) -> AudioVolumeInfo
    encoded_audio_info(codec, sample_rate, channels, samples_per_channel, speech,
                       capture_time_ms) -> EncodedAudioFrameInfo
    remote_track(user_id) -> RemoteAudioTrack
    video_track(user_id, channel_id, owner_uid, encoded_only) -> (VideoTrackInfo, RemoteVideoTrack)
    transport_stats(connection, interval_ms, observer) -> RTCStats, or None: nothing to report
    audio_track_stats(connection, interval_ms, observer)
        -> (LocalAudioTrackStats, [(RemoteAudioTrack, RemoteAudioTrackStats)]), or None
    push_completed(connection, round_ms): the send queue drained (wakes wait_push_completed)
    slow_observer(connection, kind, observer, stats): an observer's bounded queue dropped
        ("audio" frames or "encoded_audio" packets; stats as get_audio_delivery_stats)
    """
    cdef readonly object conn_info
    cdef readonly object volume_info
    cdef readonly object encoded_audio_info
    cdef readonly object remote_track
    cdef readonly object video_track
    cdef readonly object transport_stats
    cdef readonly object audio_track_stats
    cdef readonly object push_completed
    cdef readonly object slow_observer

    def __init__(self, *, conn_info, volume_info, encoded_audio_info, remote_track, video_track,
                 transport_stats, audio_track_stats, push_completed, slow_observer):
        for name, f in (("conn_info", conn_info), ("volume_info", volume_info),
                        ("encoded_audio_info", encoded_audio_info), ("remote_track", remote_track),
                        ("video_track", video_track), ("transport_stats", transport_stats),
                        ("audio_track_stats", audio_track_stats), ("push_completed", push_completed),
                        ("slow_observer", slow_observer)):
            if not callable(f):
                raise TypeError(f"ConnectionFactories: {name} must be callable, got {type(f).__name__}")
        self.conn_info = conn_info
        self.volume_info = volume_info
        self.encoded_audio_info = encoded_audio_info
        self.remote_track = remote_track
        self.video_track = video_track
        self.transport_stats = transport_stats
        self.audio_track_stats = audio_track_stats
        self.push_completed = push_completed
        self.slow_observer = slow_observer


cdef class Connection:
    cdef lib.agora_rtc_conn *_conn
    cdef ConnectionFactories _make   # given by the API layer (_use_factories)
    cdef Service _service
    cdef object __weakref__
    cdef object _conn_observer
    cdef object _lu_observer
    cdef object _audio_observer
    cdef object _encoded_audio_observer
    cdef object _on_frame_method
    cdef bint _vad_enabled
    cdef object _queued           # _QueuedDelivery in queued/asyncio mode
    cdef public object _dispatch_mode  # "direct", "queued", "asyncio", or None (no audio observer)
    cdef readonly bint _forked    # inherited across fork: dead in this process
    cdef public object _local_user

    def __cinit__(self, *args, **kwargs):
        self._conn = NULL

    def _use_factories(self, ConnectionFactories factories not None):
        """The records and tracks this connection makes for Python (see
        ConnectionFactories); given once, before _native_open."""
        if self._make is not None:
            raise _errors.InvalidStateError("Connection: the factories were given already")
        self._make = factories

    def _native_open(self, Service service, int auto_subscribe_audio, int client_role_type,
                     int channel_profile, int playback_sample_rate, int playback_channels,
                     int transport=0):
        """transport: 0 = the local hub (AGORA_TRANSPORT_LOCAL), 1 = RTP driven by
        a control plane (AGORA_TRANSPORT_RTP, see the _rtp_* methods)."""
        if self._make is None:
            raise _errors.InvalidStateError("Connection: _use_factories(ConnectionFactories(...)) "
                                            "must come before _native_open")
        if service._forked:
            raise _errors.ForkedProcessError(_FORKED_MESSAGE.format(what="create_rtc_connection"))
        if service._svc == NULL:
            raise _errors.ReleasedError("the service was released (or never initialized)")
        cdef lib.agora_rtc_conn_config cfg
        cfg.auto_subscribe_audio = auto_subscribe_audio
        cfg.client_role_type = client_role_type
        cfg.channel_profile = channel_profile
        cfg.playback_sample_rate = playback_sample_rate
        cfg.playback_channels = playback_channels
        cfg.transport = transport
        self._conn = lib.agora_rtc_conn_create(service._svc, &cfg)
        if self._conn == NULL:
            raise _errors.EngineError("agora_rtc_conn_create failed (bad config or out of memory)")
        self._service = service
        service._connections.add(self)
        self._set_local_user_observer(None)

    cdef lib.agora_rtc_conn *_take(self, str what) except NULL:
        """The native connection with an extra reference, or ReleasedError."""
        if self._conn == NULL:
            self._raise_dead(what)
        lib.agora_rtc_conn_retain(self._conn)
        return self._conn

    def _raise_dead(self, str what):
        if self._forked:
            raise _errors.ForkedProcessError(_FORKED_MESSAGE.format(what=what))
        raise _errors.ReleasedError(f"{what}: the connection was released")

    @property
    def _native_alive(self):
        return self._conn != NULL

    def _forget_after_fork(self):
        """In a forked child: drop the native connection, its observers and its
        queued delivery without touching any of them (see _after_fork_in_child)."""
        _fork_orphans.append((self, self._queued))
        self._conn = NULL
        self._forked = True
        self._queued = None
        self._conn_observer = None
        self._lu_observer = None
        self._audio_observer = None
        self._on_frame_method = None

    def _native_release(self):
        # Destroy first (it waits for observer calls in flight), and only then
        # mark the object released: a callback still running may use this
        # connection until destroy returns. Our own reference keeps the memory
        # valid for callers that took one meanwhile (_take).
        cdef lib.agora_rtc_conn *c = self._conn
        if c == NULL:
            return
        lib.agora_rtc_conn_retain(c)
        with nogil:
            lib.agora_rtc_conn_destroy(c)
        self._conn = NULL
        lib.agora_rtc_conn_unretain(c)
        self._stop_queued_delivery()
        self._conn_observer = None
        self._lu_observer = None
        self._audio_observer = None
        self._encoded_audio_observer = None
        self._on_frame_method = None
        if self._service is not None:
            self._service._connections.discard(self)

    # ---- lifecycle ----

    def _connect(self, bytes token, bytes channel_id, bytes user_id):
        cdef lib.agora_rtc_conn *c = self._take("connect")
        cdef int rc = lib.agora_rtc_conn_connect(c, token, channel_id, user_id)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _disconnect(self):
        cdef lib.agora_rtc_conn *c = self._take("disconnect")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_disconnect(c)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _info(self):
        cdef lib.agora_rtc_conn_info info
        cdef lib.agora_rtc_conn *c = self._take("get_conn_info")
        lib.agora_rtc_conn_get_info(c, &info)
        lib.agora_rtc_conn_unretain(c)
        return (info.id, info.channel_id.decode("utf-8", "replace"), info.state,
                info.local_user_id.decode("utf-8", "replace"), info.internal_uid)

    # ---- observers ----

    def _set_conn_observer(self, observer):
        cdef lib.agora_rtc_conn_observer t
        cdef lib.agora_rtc_conn *c = self._take("register_observer")
        cdef int rc
        if observer is None:
            with nogil:
                rc = lib.agora_rtc_conn_unregister_observer(c)
                lib.agora_rtc_conn_unretain(c)
            self._conn_observer = None
            return rc
        t.user_data = <void *>self
        t.on_connected = _on_connected
        t.on_disconnected = _on_disconnected
        t.on_connecting = NULL
        t.on_connection_failure = _on_connection_failure
        t.on_user_joined = _on_user_joined
        t.on_user_left = _on_user_left
        t.on_connection_lost = _on_connection_lost
        t.on_reconnecting = _on_reconnecting
        t.on_reconnected = _on_reconnected
        t.on_transport_stats = _on_transport_stats
        self._conn_observer = observer
        rc = lib.agora_rtc_conn_register_observer(c, &t)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_local_user_observer(self, observer):
        # The local-user table stays registered for the connection's whole life
        # (push-completion waiters need it); unregistering the Python observer
        # unregisters the table in C, which waits for in-flight calls, then
        # registers it again with no Python observer behind it.
        cdef lib.agora_local_user_observer t
        cdef lib.agora_rtc_conn *c = self._take("register_local_user_observer")
        cdef int rc
        if observer is None:
            self._lu_observer = None
            with nogil:
                lib.agora_rtc_conn_unregister_local_user_observer(c)
        t.user_data = <void *>self
        t.on_audio_track_publish_success = _on_audio_track_publish_success
        t.on_audio_track_unpublished = _on_audio_track_unpublished
        t.on_user_audio_track_subscribed = _on_user_audio_track_subscribed
        t.on_user_audio_track_state_changed = _on_user_audio_track_state_changed
        t.on_first_remote_audio_frame = _on_first_remote_audio_frame
        t.on_stream_message = _on_stream_message
        t.on_audio_meta_data_received = _on_audio_meta_data_received
        t.on_audio_push_completed = _on_audio_push_completed
        t.on_audio_track_stats = _on_audio_track_stats
        t.on_audio_volume_indication = _on_audio_volume_indication
        t.on_active_speaker = _on_active_speaker
        t.on_encoded_audio_frame = _on_encoded_audio_frame
        t.on_encoded_audio_backlog = _on_encoded_audio_backlog
        t.on_dtmf_received = _on_dtmf_received
        self._lu_observer = observer
        rc = lib.agora_rtc_conn_register_local_user_observer(c, &t)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_audio_frame_observer(self, observer, vad_config, str mode="direct",
                                  bint speech_only=False, Py_ssize_t max_queued=3000, loop=None,
                                  int max_backlog_ms=lib.AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS):
        """vad_config: None (VAD off) or a tuple in agora_vad_config field order.
        mode: "direct" (the delivery thread calls the observer), "queued" (a
        dispatcher thread drains a native queue in batches) or "asyncio" (the
        loop drains it when the queue's eventfd is readable)."""
        cdef lib.agora_audio_frame_observer t
        cdef lib.agora_vad_config cfg
        cdef lib.agora_rtc_conn *c = self._take("register_audio_frame_observer")
        cdef int rc
        cdef int flags = lib.AGORA_AUDIO_DELIVER_SPEECH_ONLY if speech_only else lib.AGORA_AUDIO_DELIVER_ALL
        cdef FrameQueue queue
        memset(&t, 0, sizeof(t))
        try:
            if vad_config is not None:
                _fill_vad_config(&cfg, vad_config)
            # stop the previous observer first: the C unregister waits for calls in flight
            with nogil:
                lib.agora_rtc_conn_unregister_audio_frame_observer(c)
            self._stop_queued_delivery()
            self._audio_observer = None
            self._on_frame_method = None
            self._dispatch_mode = None
            if observer is None:
                return 0
            method = observer.on_playback_audio_frame_before_mixing
            if mode == "direct":
                t.user_data = <void *>self
                t.on_playback_audio_frame_before_mixing = _on_playback_audio_frame_before_mixing
                t.on_backlog = _on_audio_backlog
                rc = lib.agora_rtc_conn_set_audio_delivery_limits(c, max_backlog_ms, <size_t>max_queued)
                if rc < 0:
                    return rc
            else:
                queue = FrameQueue(max_queued, max_backlog_ms)
                lib.agora_frame_queue_observer(queue._q, &t)
                self._queued = _QueuedDelivery(queue, method, self._local_user, mode, loop,
                                               functools.partial(self._make.slow_observer, self, "audio", observer),
                                               self._service._queued_dispatch_pool() if mode == "queued" else None)
            self._audio_observer = observer
            self._on_frame_method = method
            self._vad_enabled = vad_config is not None
            rc = lib.agora_rtc_conn_register_audio_frame_observer(
                c, &t, &cfg if vad_config is not None else NULL, flags)
            if rc < 0:
                self._stop_queued_delivery()
            else:
                self._dispatch_mode = mode
            return rc
        finally:
            lib.agora_rtc_conn_unretain(c)

    def _stop_queued_delivery(self):
        q = self._queued
        self._queued = None
        if q is not None:
            q.stop()

    def _queue_stats(self):
        """Counters of the queued/asyncio delivery queue, or None in direct mode."""
        if self._conn == NULL:
            self._raise_dead("get_audio_queue_stats")
        return None if self._queued is None else dict(self._queued.queue.stats(), dispatch=self._dispatch_mode)

    def _delivery_stats(self):
        """Counters of the audio observer's bounded queue (every dispatch mode), or
        None when no audio observer is registered."""
        cdef lib.agora_frame_queue_stats st
        cdef lib.agora_rtc_conn *c
        cdef int rc
        if self._conn == NULL:
            self._raise_dead("get_audio_delivery_stats")
        if self._queued is not None:
            return dict(self._queued.queue.stats(), dispatch=self._dispatch_mode)
        c = self._take("get_audio_delivery_stats")
        rc = lib.agora_rtc_conn_get_audio_delivery_stats(c, &st)
        lib.agora_rtc_conn_unretain(c)
        return dict(_queue_stats_dict(&st), dispatch="direct") if rc == 0 else None

    # ---- local user ----

    def _publish_audio(self, bint publish):
        cdef lib.agora_rtc_conn *c = self._take("publish_audio")
        cdef int rc = lib.agora_local_user_publish_audio(c) if publish else lib.agora_local_user_unpublish_audio(c)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _subscribe(self, user_id, bint subscribe):
        """user_id: bytes, or None for all users."""
        cdef lib.agora_rtc_conn *c = self._take("subscribe_audio")
        cdef const char *uid = NULL
        cdef int rc
        if user_id is not None:
            uid = <bytes>user_id
        with nogil:
            if uid == NULL:
                rc = lib.agora_local_user_subscribe_all_audio(c) if subscribe else lib.agora_local_user_unsubscribe_all_audio(c)
            else:
                rc = lib.agora_local_user_subscribe_audio(c, uid) if subscribe else lib.agora_local_user_unsubscribe_audio(c, uid)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_playback_format(self, int channels, int sample_rate):
        cdef lib.agora_rtc_conn *c = self._take("set_playback_audio_frame_before_mixing_parameters")
        cdef int rc = lib.agora_local_user_set_playback_audio_frame_before_mixing_parameters(c, channels, sample_rate)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_audio_processing(self, bint noise_suppression, bint agc):
        cdef lib.agora_rtc_conn *c = self._take("set_audio_processing")
        cdef int flags = (lib.AGORA_APM_NOISE_SUPPRESSION if noise_suppression else 0) | \
                         (lib.AGORA_APM_AGC if agc else 0)
        cdef int rc = lib.agora_rtc_conn_set_audio_processing(c, flags)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_volume_indication(self, int interval_ms, int smooth, int report_vad):
        cdef lib.agora_rtc_conn *c = self._take("set_audio_volume_indication_parameters")
        cdef int rc = lib.agora_local_user_set_audio_volume_indication_parameters(
            c, interval_ms, smooth, report_vad)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_user_role(self, int role):
        cdef lib.agora_rtc_conn *c = self._take("set_user_role")
        cdef int rc = lib.agora_local_user_set_user_role(c, role)
        lib.agora_rtc_conn_unretain(c)
        return rc

    # ---- outgoing audio and data ----

    def _push_pcm(self, data, int sample_rate, int channels, long long start_pts):
        cdef _PcmView v = _pcm_view(data, "push_audio_pcm_data")
        if v.nbytes % (2 * channels):
            raise _errors.InvalidArgumentError(
                f"push_audio_pcm_data: {v.nbytes} bytes is not a whole number of {channels}-channel "
                f"int16 sample frames ({2 * channels} bytes each)")
        cdef size_t spc = <size_t>(v.nbytes // (2 * channels))
        cdef lib.agora_rtc_conn *c = self._take("push_audio_pcm_data")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_push_audio_pcm(c, v.samples, spc, sample_rate, channels, start_pts)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _interrupt(self):
        cdef lib.agora_interrupt_report r
        cdef lib.agora_rtc_conn *c = self._take("interrupt_audio")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_interrupt_audio(c, &r)
            lib.agora_rtc_conn_unretain(c)
        return rc, r.sent_ms, r.dropped_ms, r.last_presentation_ms

    def _push_encoded(self, const uint8_t[::1] data, int speech, long long capture_time_ms,
                      int codec=lib.AGORA_AUDIO_CODEC_OPUS, int sample_rate=48000, int channels=0):
        cdef lib.agora_encoded_audio_info info
        info.codec = codec
        info.sample_rate = sample_rate
        info.channels = channels
        info.samples_per_channel = 0
        info.speech = speech
        info.capture_time_ms = capture_time_ms
        cdef size_t n = data.shape[0]
        cdef lib.agora_rtc_conn *c = self._take("push_audio_encoded_data")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_push_audio_encoded(c, &data[0], n, &info)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_encoded_audio_observer(self, observer, int max_backlog_ms=lib.AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS,
                                    Py_ssize_t max_queued=3000):
        """Delivery of remote encoded packets to observer.on_encoded_audio_frame
        (None: off), through a bounded queue with these limits. The C table is
        the local-user one (always registered); the Python observer is checked
        under the GIL at each call, so none runs after this returns None-ing it,
        except one already past that check."""
        cdef lib.agora_rtc_conn *c = self._take("register_audio_encoded_frame_observer")
        cdef int rc = 0
        if observer is not None:
            rc = lib.agora_rtc_conn_set_encoded_audio_delivery_limits(c, max_backlog_ms, <size_t>max_queued)
        if rc == 0:
            self._encoded_audio_observer = observer
            rc = lib.agora_rtc_conn_set_encoded_audio_delivery(c, 0 if observer is None else 1)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _encoded_delivery_stats(self):
        """Counters of the encoded-audio observer's bounded queue, or None when
        no encoded-audio observer is registered."""
        cdef lib.agora_frame_queue_stats st
        if self._conn == NULL:
            self._raise_dead("get_encoded_audio_delivery_stats")
        cdef lib.agora_rtc_conn *c = self._take("get_encoded_audio_delivery_stats")
        cdef int rc = lib.agora_rtc_conn_get_encoded_audio_delivery_stats(c, &st)
        lib.agora_rtc_conn_unretain(c)
        return _queue_stats_dict(&st) if rc == 0 else None

    def _set_incremental_send(self, int send_ms, int speed):
        cdef lib.agora_rtc_conn *c = self._take("set incremental send")
        cdef int rc = lib.agora_rtc_conn_set_incremental_send(c, send_ms, speed)
        lib.agora_rtc_conn_unretain(c)
        check(rc, "set incremental send")
        return rc

    def _is_push_completed(self):
        cdef lib.agora_rtc_conn *c = self._take("is_push_to_rtc_completed")
        cdef int done = lib.agora_rtc_conn_is_push_completed(c)
        lib.agora_rtc_conn_unretain(c)
        return done != 0

    def _send_stats(self):
        cdef lib.agora_send_stats s
        cdef lib.agora_rtc_conn *c = self._take("send stats")
        lib.agora_rtc_conn_get_send_stats(c, &s)
        lib.agora_rtc_conn_unretain(c)
        return {"pushed_samples": s.pushed_samples, "sent_frames": s.sent_frames,
                "dropped_samples": s.dropped_samples, "queued_samples": s.queued_samples,
                "drained_events": s.drained_events}

    def _remote_audio_stats(self):
        """([per remote user dict], users_in_channel) from the I/O thread."""
        cdef lib.agora_rtc_conn *c = self._take("remote audio stats")
        cdef int cap = 64
        cdef int count = 0, users = 0, rc
        cdef lib.agora_remote_audio_stats *buf = NULL
        try:
            while True:
                buf = <lib.agora_remote_audio_stats *>PyMem_Realloc(buf, cap * sizeof(lib.agora_remote_audio_stats))
                if buf == NULL:
                    raise MemoryError()
                with nogil:
                    rc = lib.agora_rtc_conn_get_remote_audio_stats(c, buf, cap, &count, &users)
                check(rc, "remote audio stats")
                if count < cap:
                    break
                cap *= 4
            out = []
            for i in range(count):
                out.append({"user_id": _s(buf[i].user_id), "sample_rate": buf[i].sample_rate,
                            "channels": buf[i].channels, "frames_received": buf[i].frames_received,
                            "bytes_received": buf[i].bytes_received,
                            "packets_lost": buf[i].packets_lost,
                            "frames_concealed": buf[i].frames_concealed,
                            "jitter_buffer_delay_ms": buf[i].jitter_buffer_delay_ms,
                            "rtp": bool(buf[i].rtp),
                            "packets_received": buf[i].packets_received,
                            "keepalives": buf[i].keepalives,
                            "packets_played": buf[i].packets_played,
                            "packets_late": buf[i].packets_late,
                            "packets_duplicate": buf[i].packets_duplicate,
                            "packets_dropped": buf[i].packets_dropped,
                            "packets_invalid": buf[i].packets_invalid,
                            "packets_buffered": buf[i].packets_buffered,
                            "packets_stale": buf[i].packets_stale,
                            "frames_fec": buf[i].frames_fec,
                            "jitter_buffer_target_ms": buf[i].jitter_buffer_target_ms,
                            "frames_stretched": buf[i].frames_stretched,
                            "packets_shrunk": buf[i].packets_shrunk,
                            "stretch_accelerations": buf[i].stretch_accelerations,
                            "stretch_expansions": buf[i].stretch_expansions,
                            "stretch_ms": buf[i].stretch_ms,
                            "jitter_buffer_delay_sum_ms": buf[i].jitter_buffer_delay_sum_ms})
            return out, users
        finally:
            PyMem_Free(buf)
            lib.agora_rtc_conn_unretain(c)

    # ---- RTP transport (rtp_transport.h): thin wrappers for the control plane ----
    # Each call is carried out by the engine's I/O thread and waits for it, so
    # the GIL is released around it. They return the native code (0 or a
    # negative AGORA_ERR_*), like the other methods here.

    def _rtp_open(self, bytes bind_ip=b"127.0.0.1"):
        """Open the connection's UDP socket. Returns (rc, local_port)."""
        cdef lib.agora_rtc_conn *c = self._take("rtp_open")
        cdef const char *ip = bind_ip
        cdef uint16_t port = 0
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_open(c, ip, &port)
            lib.agora_rtc_conn_unretain(c)
        return rc, port

    def _rtp_set_publish_target(self, bytes ip, int port, int rtcp_port=0, unsigned int ssrc=1000):
        if not 0 < port < 65536 or not 0 <= rtcp_port < 65536:
            raise _errors.InvalidArgumentError(f"rtp_set_publish_target: bad port {port} / rtcp_port {rtcp_port}")
        cdef lib.agora_rtc_conn *c = self._take("rtp_set_publish_target")
        cdef const char *p = ip
        cdef uint16_t port16 = <uint16_t>port, rtcp16 = <uint16_t>rtcp_port
        cdef uint32_t ssrc32 = ssrc
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_set_publish_target(c, p, port16, rtcp16, ssrc32)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_add_remote(self, unsigned int ssrc, bytes user_id, int srtp_suite=0, srtp_key_salt=None,
                        int video_codec=0):
        """srtp_suite 0 (plain), 32 or 80 with the 30-byte master key + salt.
        video_codec 0: an audio (Opus) stream; 1 VP8 / 2 H.264: a video stream."""
        cdef const uint8_t *key = NULL
        cdef bytes key_bytes
        if srtp_key_salt is not None:
            key_bytes = bytes(srtp_key_salt)
            if len(key_bytes) != lib.AGORA_RTP_SRTP_KEY_LEN:
                raise _errors.InvalidArgumentError(
                    f"rtp_add_remote: srtp_key_salt must be {lib.AGORA_RTP_SRTP_KEY_LEN} bytes, "
                    f"got {len(key_bytes)}")
            key = <const uint8_t *><const char *>key_bytes
        cdef lib.agora_rtc_conn *c = self._take("rtp_add_remote")
        cdef const char *uid = user_id
        cdef uint32_t ssrc32 = ssrc
        cdef int rc
        with nogil:
            if video_codec:
                rc = lib.agora_rtc_conn_rtp_add_video_remote(c, ssrc32, uid, video_codec, srtp_suite, key)
            else:
                rc = lib.agora_rtc_conn_rtp_add_remote(c, ssrc32, uid, srtp_suite, key)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_set_video_publish(self, unsigned int ssrc, int codec, int payload_type):
        """Our video stream: SSRC, codec (1 VP8, 2 H.264) and payload type."""
        cdef lib.agora_rtc_conn *c = self._take("rtp_set_video_publish")
        cdef uint32_t ssrc32 = ssrc
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_set_video_publish(c, ssrc32, codec, payload_type)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_set_remote_feedback(self, unsigned int ssrc, bytes ip, int rtcp_port):
        """Where the PLIs for the video remote `ssrc` go (Janus's local_rtcp_port)."""
        if not 0 < rtcp_port < 65536:
            raise _errors.InvalidArgumentError(f"rtp_set_remote_feedback: bad port {rtcp_port}")
        cdef lib.agora_rtc_conn *c = self._take("rtp_set_remote_feedback")
        cdef const char *p = ip
        cdef uint32_t ssrc32 = ssrc
        cdef uint16_t port16 = <uint16_t>rtcp_port
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_set_remote_feedback(c, ssrc32, p, port16)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_set_audio_codec(self, int codec, int payload_type, int dtmf_payload_type=-1,
                             int packet_ms=0):
        """The audio codec on the wire: 0 Opus, 1 PCMU, 2 PCMA, 3 G.722 (rtp_transport.h), the
        telephone-event payload type (-1: none) and the packet length we send (ms,
        0: 20; G.711 10..60)."""
        cdef lib.agora_rtc_conn *c = self._take("rtp_set_audio_codec")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_set_audio_codec(c, codec, payload_type, dtmf_payload_type,
                                                        packet_ms)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_set_send_srtp(self, int srtp_suite, srtp_key_salt=None):
        """Protect what we send (RTP, RTCP) with SRTP: suite 32 or 80 with the 30-byte
        master key + salt; 0: plain again."""
        cdef const uint8_t *key = NULL
        cdef bytes key_bytes
        if srtp_suite:
            key_bytes = bytes(srtp_key_salt or b"")
            if len(key_bytes) != lib.AGORA_RTP_SRTP_KEY_LEN:
                raise _errors.InvalidArgumentError(
                    f"rtp_set_send_srtp: srtp_key_salt must be {lib.AGORA_RTP_SRTP_KEY_LEN} bytes, "
                    f"got {len(key_bytes)}")
            key = <const uint8_t *><const char *>key_bytes
        cdef lib.agora_rtc_conn *c = self._take("rtp_set_send_srtp")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_set_send_srtp(c, srtp_suite, key)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_start_call(self, int codec, int payload_type, int dtmf_payload_type, int packet_ms,
                        bytes ip, int port, int rtcp_port, unsigned int ssrc, bytes user_id,
                        int srtp_suite=0, srtp_local_key=None, srtp_remote_key=None):
        """A phone call's media in one step (one GIL release, not five: under load each
        re-acquisition waits for the other Python threads): SRTP on what we send (as
        _rtp_set_send_srtp), the codec (as _rtp_set_audio_codec), our stream's target (as
        _rtp_set_publish_target), the caller as the remote of any SSRC (_rtp_add_remote,
        with the caller's SRTP key), and USER_JOINED for it. Returns (rc, what): 0 and ""
        or the first step refused."""
        if not 0 < port < 65536 or not 0 <= rtcp_port < 65536:
            raise _errors.InvalidArgumentError(f"rtp_start_call: bad port {port} / rtcp_port {rtcp_port}")
        cdef const uint8_t *local_key = NULL
        cdef const uint8_t *remote_key = NULL
        cdef bytes local_bytes, remote_bytes
        if srtp_suite:
            local_bytes = bytes(srtp_local_key or b"")
            remote_bytes = bytes(srtp_remote_key or b"")
            if len(local_bytes) != lib.AGORA_RTP_SRTP_KEY_LEN or len(remote_bytes) != lib.AGORA_RTP_SRTP_KEY_LEN:
                raise _errors.InvalidArgumentError(
                    f"rtp_start_call: the SRTP keys must be {lib.AGORA_RTP_SRTP_KEY_LEN} bytes each, "
                    f"got {len(local_bytes)} and {len(remote_bytes)}")
            local_key = <const uint8_t *><const char *>local_bytes
            remote_key = <const uint8_t *><const char *>remote_bytes
        cdef lib.agora_rtc_conn *c = self._take("rtp_start_call")
        cdef const char *p = ip
        cdef const char *uid = user_id
        cdef uint16_t port16 = <uint16_t>port, rtcp16 = <uint16_t>rtcp_port
        cdef uint32_t ssrc32 = ssrc
        cdef int rc
        cdef int step = 0
        with nogil:
            rc = lib.agora_rtc_conn_rtp_set_send_srtp(c, srtp_suite, local_key)
            if rc == 0:
                step = 1
                rc = lib.agora_rtc_conn_rtp_set_audio_codec(c, codec, payload_type, dtmf_payload_type, packet_ms)
            if rc == 0:
                step = 2
                rc = lib.agora_rtc_conn_rtp_set_publish_target(c, p, port16, rtcp16, ssrc32)
            if rc == 0:
                step = 3
                rc = lib.agora_rtc_conn_rtp_add_remote(c, 0, uid, srtp_suite, remote_key)
            if rc == 0:
                step = 4
                rc = lib.agora_rtc_conn_post_event(c, lib.AGORA_CONN_EVENT_USER_JOINED, uid, 0)
            lib.agora_rtc_conn_unretain(c)
        return rc, ("" if rc == 0 else ("SRTP", "codec", "target", "remote", "joined")[step])

    def _rtp_send_dtmf(self, int event, int duration_ms):
        """Queue a key (0-15) as telephone-events on our audio stream."""
        cdef lib.agora_rtc_conn *c = self._take("rtp_send_dtmf")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_send_dtmf(c, event, duration_ms)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_remove_remote(self, unsigned int ssrc):
        cdef lib.agora_rtc_conn *c = self._take("rtp_remove_remote")
        cdef uint32_t ssrc32 = ssrc
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_remove_remote(c, ssrc32)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_set_data_publish(self, unsigned int ssrc):
        """Our data stream's SSRC (1000 + 10 * its mindex in add_remote_publisher)."""
        cdef lib.agora_rtc_conn *c = self._take("rtp_set_data_publish")
        cdef uint32_t ssrc32 = ssrc
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_set_data_publish(c, ssrc32)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_add_data_remote(self, bytes user_id):
        """(rc, port): a socket for user_id's forwarded data stream."""
        cdef lib.agora_rtc_conn *c = self._take("rtp_add_data_remote")
        cdef const char *uid = user_id
        cdef uint16_t port = 0
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_add_data_remote(c, uid, &port)
            lib.agora_rtc_conn_unretain(c)
        return rc, port

    def _rtp_remove_data_remote(self, bytes user_id):
        cdef lib.agora_rtc_conn *c = self._take("rtp_remove_data_remote")
        cdef const char *uid = user_id
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_remove_data_remote(c, uid)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _post_event(self, int event, user_id=None, int reason=0):
        """event: AGORA_CONN_EVENT_* (0 CONNECTED, 1 DISCONNECTED, 2 FAILURE,
        3 USER_JOINED, 4 USER_LEFT, 5 LOST, 6 RECONNECTING, 7 RECONNECTED);
        user_id (bytes) for USER_JOINED / USER_LEFT."""
        cdef const char *uid = NULL
        if user_id is not None:
            uid = <bytes>user_id
        cdef lib.agora_rtc_conn *c = self._take("post_event")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_post_event(c, event, uid, reason)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_stats(self):
        """The RTP transport counters as a dict (raises for a local connection)."""
        cdef lib.agora_rtp_transport_stats s
        cdef lib.agora_rtc_conn *c = self._take("rtp_get_stats")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_get_stats(c, &s)
            lib.agora_rtc_conn_unretain(c)
        check(rc, "rtp_get_stats")
        return {"local_port": s.local_port, "remotes": s.remotes,
                "packets_sent": s.packets_sent, "bytes_sent": s.bytes_sent,
                "rtcp_sent": s.rtcp_sent, "send_errors": s.send_errors,
                "encode_errors": s.encode_errors,
                "packets_received": s.packets_received, "bytes_received": s.bytes_received,
                "rtp_received": s.rtp_received, "rtcp_received": s.rtcp_received,
                "unknown_ssrc": s.unknown_ssrc, "malformed": s.malformed,
                "srtp_errors": s.srtp_errors, "lost": s.lost, "late": s.late,
                "duplicates": s.duplicates, "jb_dropped": s.jb_dropped,
                "frames_decoded": s.frames_decoded,
                "fec_recoveries": s.fec_recoveries, "plc_frames": s.plc_frames,
                "decode_errors": s.decode_errors, "current_delay_ms": s.current_delay_ms,
                "target_delay_ms": s.target_delay_ms, "rr_received": s.rr_received,
                "remote_fraction_lost": s.remote_fraction_lost,
                "remote_cumulative_lost": s.remote_cumulative_lost,
                "remote_jitter": s.remote_jitter, "video_remotes": s.video_remotes,
                "video_frames_sent": s.video_frames_sent,
                "video_packets_sent": s.video_packets_sent,
                "video_refused": s.video_refused,
                "video_packets_received": s.video_packets_received,
                "video_frames_received": s.video_frames_received,
                "video_frames_lost": s.video_frames_lost,
                "video_frames_skipped": s.video_frames_skipped,
                "video_late": s.video_late,
                "plis_sent": s.plis_sent,
                "plis_unsent": s.plis_unsent,
                "plis_received": s.plis_received,
                "keepalives_sent": s.keepalives_sent,
                "keepalives_received": s.keepalives_received,
                "byes_sent": s.byes_sent, "byes_received": s.byes_received,
                "packets_played": s.packets_played,
                "packets_not_decoded": s.packets_not_decoded,
                "jb_invalid": s.jb_invalid, "jb_stale": s.jb_stale, "jb_spikes": s.jb_spikes,
                "jb_buffered": s.jb_buffered, "latch_received": s.latch_received,
                "data_remotes": s.data_remotes, "messages_sent": s.messages_sent,
                "metadata_sent": s.metadata_sent, "data_unsent": s.data_unsent,
                "messages_received": s.messages_received,
                "metadata_received": s.metadata_received, "data_dropped": s.data_dropped,
                "other_payload": s.other_payload, "dtmf_received": s.dtmf_received,
                "dtmf_sent": s.dtmf_sent}

    def _rtp_send_bye(self):
        """Leaving: RTCP BYE for our streams, then nothing more is sent."""
        cdef lib.agora_rtc_conn *c = self._take("rtp_send_bye")
        cdef int rc
        with nogil:
            rc = lib.agora_rtc_conn_rtp_send_bye(c)
            lib.agora_rtc_conn_unretain(c)
        return rc

    def _rtp_remote_activity(self):
        """{ssrc: (idle_ms, bye)} of every remote audio stream: ms since it was
        last heard (RTP, keepalive or RTCP naming it), and whether it said BYE."""
        cdef lib.agora_rtp_remote_activity *buf = NULL
        cdef lib.agora_rtc_conn *c
        cdef int rc, cap = 16, i
        while True:
            buf = <lib.agora_rtp_remote_activity *>malloc(cap * sizeof(lib.agora_rtp_remote_activity))
            if buf == NULL:
                raise MemoryError()
            c = self._take("rtp_remote_activity")
            with nogil:
                rc = lib.agora_rtc_conn_rtp_remote_activity(c, buf, cap)
                lib.agora_rtc_conn_unretain(c)
            if rc <= cap:
                break
            free(buf)              # more streams than room: ask again with enough
            cap = rc + 16
        try:
            check(rc, "rtp_remote_activity")
            return {buf[i].ssrc: (buf[i].idle_ms, bool(buf[i].bye)) for i in range(rc)}
        finally:
            free(buf)

    def _send_data(self, const uint8_t[::1] data, bint metadata, int stream_id=1):
        cdef lib.agora_rtc_conn *c = self._take("send_audio_meta_data" if metadata else "send_stream_message")
        cdef const uint8_t *p = &data[0] if data.shape[0] > 0 else NULL
        cdef size_t n = data.shape[0]
        cdef int rc
        if metadata:
            rc = lib.agora_rtc_conn_send_audio_meta_data(c, p, n)
        else:
            rc = lib.agora_rtc_conn_send_stream_message_on(c, stream_id, p, n)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _send_dtmf_event(self, int key, int duration_ms=0):
        """A key (0-15) this connection's user pressed, to the channel's other users'
        on_dtmf_received (local network; connection.h agora_rtc_conn_send_dtmf_event)."""
        cdef lib.agora_rtc_conn *c = self._take("send_dtmf_event")
        cdef int rc = lib.agora_rtc_conn_send_dtmf_event(c, key, duration_ms)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _create_data_stream(self, bint reliable, bint ordered):
        """(rc, stream_id)."""
        cdef lib.agora_rtc_conn *c = self._take("create_data_stream")
        cdef int sid = 0
        cdef int rc = lib.agora_rtc_conn_create_data_stream(c, &sid, reliable, ordered)
        lib.agora_rtc_conn_unretain(c)
        return rc, sid

    def _set_stream_rate_limit(self, bint enabled):
        cdef lib.agora_rtc_conn *c = self._take("set_stream_rate_limit")
        cdef int rc = lib.agora_rtc_conn_set_stream_rate_limit(c, enabled)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_audio_packet_ms(self, int ms):
        cdef lib.agora_rtc_conn *c = self._take("set_audio_packet_ms")
        cdef int rc = lib.agora_rtc_conn_set_audio_packet_ms(c, ms)
        lib.agora_rtc_conn_unretain(c)
        return rc

    def _set_opus_complexity(self, int complexity):
        cdef lib.agora_rtc_conn *c = self._take("set_opus_complexity")
        cdef int rc = lib.agora_rtc_conn_set_opus_complexity(c, complexity)
        lib.agora_rtc_conn_unretain(c)
        return rc


# ---- trampolines: connection observer ----

cdef inline str _s(const char *p):
    return p.decode("utf-8", "replace")


cdef object _conn_info(const lib.agora_rtc_conn_info *info, Connection self):
    return self._make.conn_info(info.id, _s(info.channel_id), info.state,
                                _s(info.local_user_id), info.internal_uid)


cdef void _conn_state_gil(Connection self, str event, const lib.agora_rtc_conn_info *info, int reason) noexcept:
    if _shutting_down:
        return
    obs = self._conn_observer
    if obs is None:
        return
    try:
        getattr(obs, event)(self, _conn_info(info, self), reason)
    except BaseException:
        _report_observer_error(event, obs)


cdef void _on_connected(void *ud, const lib.agora_rtc_conn_info *info, int reason) noexcept nogil:
    _keep_thread_state()
    with gil:
        _conn_state_gil(<Connection>ud, "on_connected", info, reason)


cdef void _on_disconnected(void *ud, const lib.agora_rtc_conn_info *info, int reason) noexcept nogil:
    _keep_thread_state()
    with gil:
        _conn_state_gil(<Connection>ud, "on_disconnected", info, reason)


cdef void _on_connection_failure(void *ud, const lib.agora_rtc_conn_info *info, int reason) noexcept nogil:
    _keep_thread_state()
    with gil:
        _conn_state_gil(<Connection>ud, "on_connection_failure", info, reason)


cdef void _on_reconnecting(void *ud, const lib.agora_rtc_conn_info *info, int reason) noexcept nogil:
    _keep_thread_state()
    with gil:
        _conn_state_gil(<Connection>ud, "on_reconnecting", info, reason)


cdef void _on_reconnected(void *ud, const lib.agora_rtc_conn_info *info, int reason) noexcept nogil:
    _keep_thread_state()
    with gil:
        _conn_state_gil(<Connection>ud, "on_reconnected", info, reason)


cdef void _on_connection_lost_gil(Connection self, const lib.agora_rtc_conn_info *info) noexcept:
    if _shutting_down:
        return
    obs = self._conn_observer
    if obs is None:
        return
    try:
        obs.on_connection_lost(self, _conn_info(info, self))
    except BaseException:
        _report_observer_error("on_connection_lost", obs)


cdef void _on_connection_lost(void *ud, const lib.agora_rtc_conn_info *info) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_connection_lost_gil(<Connection>ud, info)


cdef void _on_user_joined_gil(Connection self, const char *user_id) noexcept:
    if _shutting_down:
        return
    obs = self._conn_observer
    if obs is None:
        return
    try:
        obs.on_user_joined(self, _s(user_id))
    except BaseException:
        _report_observer_error("on_user_joined", obs)


cdef void _on_user_joined(void *ud, const char *user_id) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_user_joined_gil(<Connection>ud, user_id)


cdef void _on_user_left_gil(Connection self, const char *user_id, int reason) noexcept:
    if _shutting_down:
        return
    obs = self._conn_observer
    if obs is None:
        return
    try:
        obs.on_user_left(self, _s(user_id), reason)
    except BaseException:
        _report_observer_error("on_user_left", obs)


cdef void _on_user_left(void *ud, const char *user_id, int reason) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_user_left_gil(<Connection>ud, user_id, reason)


# ---- trampolines: local user observer ----

cdef void _lu_event_gil(Connection self, str event, tuple args) noexcept:
    if _shutting_down:
        return
    obs = self._lu_observer
    if obs is None:
        return
    try:
        getattr(obs, event)(self._local_user, *args)
    except BaseException:
        _report_observer_error(event, obs)


cdef void _track_event_gil(Connection self, str event) noexcept:
    try:
        args = (self._local_user.get_local_audio_track(),)
    except BaseException:
        _report_observer_error(event, self._lu_observer)
        return
    _lu_event_gil(self, event, args)


cdef void _on_audio_track_publish_success(void *ud) noexcept nogil:
    _keep_thread_state()
    with gil:
        _track_event_gil(<Connection>ud, "on_audio_track_publish_success")


cdef void _on_audio_track_unpublished(void *ud) noexcept nogil:
    _keep_thread_state()
    with gil:
        _track_event_gil(<Connection>ud, "on_audio_track_unpublished")


cdef void _on_user_audio_track_subscribed_gil(Connection self, const char *user_id) noexcept:
    try:
        uid = _s(user_id)
        track = self._make.remote_track(uid)
    except BaseException:
        _report_observer_error("on_user_audio_track_subscribed", self._lu_observer)
        return
    _lu_event_gil(self, "on_user_audio_track_subscribed", (uid, track))


cdef void _on_user_audio_track_subscribed(void *ud, const char *user_id) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_user_audio_track_subscribed_gil(<Connection>ud, user_id)


cdef void _on_user_audio_track_state_changed_gil(Connection self, const char *user_id, int state,
                                                 int reason, int elapsed_ms) noexcept:
    try:
        uid = _s(user_id)
        args = (uid, self._make.remote_track(uid), state, reason, elapsed_ms)
    except BaseException:
        _report_observer_error("on_user_audio_track_state_changed", self._lu_observer)
        return
    _lu_event_gil(self, "on_user_audio_track_state_changed", args)


cdef void _on_user_audio_track_state_changed(void *ud, const char *user_id, int state, int reason,
                                             int elapsed_ms) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_user_audio_track_state_changed_gil(<Connection>ud, user_id, state, reason, elapsed_ms)


cdef void _on_first_remote_audio_frame(void *ud, const char *user_id, int elapsed_ms) noexcept nogil:
    _keep_thread_state()
    with gil:
        _lu_event_gil(<Connection>ud, "on_first_remote_audio_frame", (_s(user_id), elapsed_ms))


cdef void _on_stream_message(void *ud, const char *user_id, int stream_id, const uint8_t *data,
                             size_t length) noexcept nogil:
    _keep_thread_state()
    with gil:
        _lu_event_gil(<Connection>ud, "on_stream_message",
                      (_s(user_id), stream_id, (<const char *>data)[:length], length))


cdef void _on_audio_meta_data_received(void *ud, const char *user_id, const uint8_t *data,
                                       size_t length) noexcept nogil:
    _keep_thread_state()
    with gil:
        _lu_event_gil(<Connection>ud, "on_audio_meta_data_received",
                      (_s(user_id), (<const char *>data)[:length]))


# ---- trampolines: audio frame observer (the per-frame hot path) ----

cdef void _on_playback_audio_frame_before_mixing_gil(
        Connection self, const char *channel_id, const char *user_id,
        const lib.agora_audio_frame *frame, char *pcm, Py_ssize_t nbytes,
        const lib.agora_vad_result *vad) noexcept:
    if _shutting_down or self._on_frame_method is None:
        free(pcm)
        return
    method = self._on_frame_method
    try:
        py_frame = _adopt_frame(frame, pcm, nbytes)   # owns pcm from here on
    except BaseException:
        free(pcm)
        _report_observer_error("on_playback_audio_frame_before_mixing", self._audio_observer)
        return
    try:
        if vad == NULL:
            state = -1
            vad_bytes = None
        else:
            state = vad.state
            vad_bytes = bytearray((<const char *>vad.bytes)[:vad.length]) if vad.length else bytearray()
        method(self._local_user, _s(channel_id), _s(user_id), py_frame, state, vad_bytes)
    except BaseException:
        _report_observer_error("on_playback_audio_frame_before_mixing", self._audio_observer)


cdef void _on_playback_audio_frame_before_mixing(void *ud, const char *channel_id, const char *user_id,
                                                 const lib.agora_audio_frame *frame,
                                                 const lib.agora_vad_result *vad) noexcept nogil:
    # C work first, without the GIL: copy the borrowed frame into an SDK-owned buffer.
    cdef Py_ssize_t nbytes = <Py_ssize_t>frame.samples_per_channel * frame.channels * 2
    cdef char *pcm = <char *>malloc(nbytes if nbytes > 0 else 1)
    if pcm == NULL:
        return
    memcpy(pcm, frame.buffer, nbytes)
    _keep_thread_state()
    with gil:
        _on_playback_audio_frame_before_mixing_gil(<Connection>ud, channel_id, user_id, frame, pcm, nbytes, vad)


cdef void _on_audio_backlog_gil(Connection self, dict stats) noexcept:
    if _shutting_down:
        return
    try:
        self._make.slow_observer(self, "audio", self._audio_observer, stats)
    except BaseException:
        _report_observer_error("audio backlog warning", self._audio_observer)


cdef void _on_audio_backlog(void *ud, const lib.agora_frame_queue_stats *stats) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_audio_backlog_gil(<Connection>ud, dict(_queue_stats_dict(stats), dispatch="direct"))


cdef void _on_audio_push_completed_gil(Connection self, int round_ms) noexcept:
    if _shutting_down:
        return
    try:
        self._make.push_completed(self, round_ms)   # resolves wait_push_completed() waiters
    except BaseException:
        _report_observer_error("on_audio_push_completed", self)
    _lu_event_gil(self, "on_audio_push_completed", (round_ms,))


cdef void _on_audio_push_completed(void *ud, int round_ms) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_audio_push_completed_gil(<Connection>ud, round_ms)


# ---- trampolines: statistics ticks (stats_timer.c) ----

cdef void _on_transport_stats_gil(Connection self, int interval_ms) noexcept:
    if _shutting_down:
        return
    obs = self._conn_observer
    if obs is None:
        return
    try:
        stats = self._make.transport_stats(self, interval_ms, obs)
    except BaseException:
        _report_observer_error("on_transport_stats", obs)
        return
    if stats is None:
        return
    try:
        obs.on_transport_stats(self, stats)
    except BaseException:
        _report_observer_error("on_transport_stats", obs)


cdef void _on_transport_stats(void *ud, int interval_ms) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_transport_stats_gil(<Connection>ud, interval_ms)


cdef void _on_audio_track_stats_gil(Connection self, int interval_ms) noexcept:
    if _shutting_down:
        return
    obs = self._lu_observer
    if obs is None:
        return
    try:
        made = self._make.audio_track_stats(self, interval_ms, obs)
        if made is None:
            return
        local, remotes = made
    except BaseException:
        _report_observer_error("on_local_audio_track_statistics", obs)
        return
    _lu_event_gil(self, "on_local_audio_track_statistics", (local,))
    for track, stats in remotes:
        _lu_event_gil(self, "on_remote_audio_track_statistics", (track, stats))


cdef void _on_audio_track_stats(void *ud, int interval_ms) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_audio_track_stats_gil(<Connection>ud, interval_ms)
cdef void _on_audio_volume_indication_gil(Connection self, const lib.agora_audio_volume_info *speakers,
                                          unsigned n, int total_volume) noexcept:
    if _shutting_down or self._lu_observer is None:
        return
    try:
        infos = [self._make.volume_info(_s(speakers[i].user_id), speakers[i].volume,
                                        speakers[i].vad, speakers[i].voice_pitch)
                 for i in range(n)]
    except BaseException:
        _report_observer_error("on_audio_volume_indication", self._lu_observer)
        return
    _lu_event_gil(self, "on_audio_volume_indication", (infos, n, total_volume))


cdef void _on_audio_volume_indication(void *ud, const lib.agora_audio_volume_info *speakers,
                                      unsigned speaker_number, int total_volume) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_audio_volume_indication_gil(<Connection>ud, speakers, speaker_number, total_volume)


DTMF_KEYS = "0123456789*#ABCD"


cdef void _on_dtmf_received(void *ud, const char *user_id, int event, int duration_ms) noexcept nogil:
    _keep_thread_state()
    with gil:
        _lu_event_gil(<Connection>ud, "on_dtmf_received",
                      (_s(user_id), DTMF_KEYS[event] if 0 <= event < 16 else str(event), duration_ms))


cdef void _on_active_speaker(void *ud, const char *user_id) noexcept nogil:
    _keep_thread_state()
    with gil:
        _lu_event_gil(<Connection>ud, "on_active_speaker", (_s(user_id),))


cdef void _on_encoded_audio_frame_gil(Connection self, const char *user_id, const uint8_t *data,
                                      size_t length, const lib.agora_encoded_audio_info *info) noexcept:
    if _shutting_down:
        return
    obs = self._encoded_audio_observer
    if obs is None:
        return
    try:
        py_info = self._make.encoded_audio_info(info.codec, info.sample_rate, info.channels,
                                                info.samples_per_channel, info.speech,
                                                info.capture_time_ms)
        obs.on_encoded_audio_frame(_s(user_id), (<const char *>data)[:length], length, py_info)
    except BaseException:
        _report_observer_error("on_encoded_audio_frame", obs)


cdef void _on_encoded_audio_backlog_gil(Connection self, dict stats) noexcept:
    if _shutting_down:
        return
    obs = self._encoded_audio_observer
    if obs is None:
        return
    try:
        self._make.slow_observer(self, "encoded_audio", obs, stats)
    except BaseException:
        _report_observer_error("encoded audio backlog warning", obs)


cdef void _on_encoded_audio_backlog(void *ud, const lib.agora_frame_queue_stats *stats) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_encoded_audio_backlog_gil(<Connection>ud, _queue_stats_dict(stats))


cdef void _on_encoded_audio_frame(void *ud, const char *user_id, const uint8_t *data, size_t length,
                                  const lib.agora_encoded_audio_info *info) noexcept nogil:
    _keep_thread_state()
    with gil:
        _on_encoded_audio_frame_gil(<Connection>ud, user_id, data, length, info)


def audio_codec_supported(int codec):
    """(supported, detail): whether push_audio_encoded_data takes packets of
    codec here, and what it needs (AAC: the libavcodec file loaded at run time)."""
    cdef const char *detail = NULL
    cdef int ok = lib.agora_audio_codec_supported(codec, &detail)
    return bool(ok), (detail or b"").decode()
