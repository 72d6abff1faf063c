# Queued delivery: the engine's receive threads copy frames into a native
# FrameQueue without the GIL (bounded: the freshest audio is kept, VAD
# events and ASR bytes never dropped, frame_queue.h); a consumer drains the
# backlog per GIL acquisition and calls the observer for each frame, in order.


cdef dict _queue_stats_dict(const lib.agora_frame_queue_stats *s):
    return {"pushed": s.pushed, "dropped": s.dropped, "merged": s.merged, "taken": s.taken,
            "waiting": s.waiting, "batches": s.batches, "backlog_ms": s.backlog_ms,
            "peak_backlog_ms": s.peak_backlog_ms, "user_backlog_ms": s.user_backlog_ms,
            "backlog_limit_ms": s.backlog_limit_ms, "max_queued_frames": s.max_frames}

# The channel and user ids each frame carries become str once per queue, not
# once per frame: a queue belongs to one connection (one channel) and sees a
# few users, so a small table of the ids met (direct-mapped by a hash of the C
# string, two places per hash, checked with strcmp) hands the observer the same str objects frame
# after frame (str is immutable: what the observer receives is unchanged). Ids
# that find both their places taken only cost a decode each time they come.

cdef class _IdStrings:
    """C id -> str for one queue (used by the queue's dispatcher thread, under the GIL)."""
    cdef char (*_ids)[65]
    cdef list _strs
    cdef unsigned int _mask

    def __cinit__(self, unsigned int slots):
        # slots: a power of two
        self._ids = <char (*)[65]>calloc(slots, 65)
        if self._ids == NULL:
            raise MemoryError()
        self._strs = [None] * slots
        self._mask = slots - 1

    def __dealloc__(self):
        free(self._ids)

    cdef str get(self, const char *cid):
        cdef uint32_t h = 2166136261u           # FNV-1a
        cdef const unsigned char *p = <const unsigned char *>cid
        while p[0]:
            h = (h ^ p[0]) * 16777619u
            p += 1
        cdef unsigned int i = h & self._mask, j = (i + 1) & self._mask
        cached = self._strs[i]
        if cached is not None and strcmp(self._ids[i], cid) == 0:
            return <str>cached
        other = self._strs[j]
        if other is not None and strcmp(self._ids[j], cid) == 0:
            return <str>other
        if cached is not None and other is None:
            i = j                               # (two places per hash: fewer ids evicted)
        s = _s(cid)
        strncpy(self._ids[i], cid, 64)
        self._ids[i][64] = 0
        self._strs[i] = s
        return s


cdef class FrameQueue:
    """A bounded native queue of received frames (see agora_rtc/frame_queue.h)."""
    cdef lib.agora_frame_queue *_q
    cdef bint _stopping                 # set by stop_draining(): drain frees instead of calling
    cdef _IdStrings _channels
    cdef _IdStrings _users

    def __cinit__(self, Py_ssize_t max_frames, int backlog_ms=lib.AGORA_FRAME_QUEUE_DEFAULT_BACKLOG_MS):
        if max_frames < 1:
            raise ValueError(f"max_queued_frames must be >= 1, got {max_frames}")
        if backlog_ms < 10:
            raise ValueError(f"max_backlog_ms must be >= 10, got {backlog_ms}")
        self._q = lib.agora_frame_queue_create(<size_t>max_frames)
        if self._q == NULL:
            raise MemoryError("agora_frame_queue_create failed")
        lib.agora_frame_queue_set_backlog_limit(self._q, backlog_ms)
        self._channels = _IdStrings(2)
        self._users = _IdStrings(64)

    def __dealloc__(self):
        lib.agora_frame_queue_destroy(self._q)

    def fileno(self):
        return lib.agora_frame_queue_fd(self._q)

    def wait(self, int timeout_ms):
        """Frames waiting (0 on timeout, -1 once closed and empty); releases the GIL."""
        cdef long n
        with nogil:
            n = lib.agora_frame_queue_wait(self._q, timeout_ms)
        return n

    def close(self):
        lib.agora_frame_queue_close(self._q)

    def stop_draining(self):
        """From now on drain() calls nothing (frames are freed); any thread."""
        self._stopping = True

    def discard(self):
        """Free every waiting frame; returns how many."""
        cdef lib.agora_queued_frame *f = lib.agora_frame_queue_take_all(self._q)
        cdef lib.agora_queued_frame *n
        cdef Py_ssize_t count = 0
        while f != NULL:
            n = f.next
            lib.agora_queued_frame_free(f)
            f = n
            count += 1
        return count

    def drain(self, method, local_user, warn=None, long long budget_ms=-1):
        """Call method(local_user, channel_id, uid, frame, vad_state, vad_bytes) for
        the frames waiting now, oldest first (frames that arrive meanwhile wait
        for the next pass, so a pass always ends); stop early (freeing the rest)
        once stop_draining() was called. warn(stats) when the queue dropped
        frames (at most every AGORA_FRAME_QUEUE_WARN_INTERVAL_MS). budget_ms >= 0:
        return once the pass has run that long (what is left waits, the eventfd
        stays readable: an event loop runs its other callbacks in between).
        Returns the number of calls made."""
        return self._drain(method, local_user, warn, budget_ms)

    cdef Py_ssize_t _drain(self, object method, object local_user, object warn, long long budget_ms):
        # With the GIL throughout: taking the batch only holds the queue's mutex
        # a moment (the receive threads never wait for the GIL while holding it),
        # so a dispatcher drains all its ready queues in one GIL take.
        cdef lib.agora_queued_frame *f
        cdef Py_ssize_t calls = 0
        cdef long budget
        cdef AudioFrame frame
        cdef long long deadline = lib.agora_monotonic_ms() + budget_ms if budget_ms >= 0 else -1
        budget = lib.agora_frame_queue_begin_batch(self._q)
        while budget > 0 and (deadline < 0 or calls == 0 or lib.agora_monotonic_ms() < deadline):
            budget -= 1
            f = lib.agora_frame_queue_pop(self._q)
            if f == NULL:
                break
            if _shutting_down or self._stopping:
                lib.agora_queued_frame_free(f)
                continue
            if f.warn and warn is not None:
                try:
                    warn(self.stats())
                except BaseException:
                    _report_observer_error("audio backlog warning", getattr(method, "__self__", method))
            frame = _adopt_frame(&f.frame, <char *>f.frame.buffer,
                                 <Py_ssize_t>f.frame.samples_per_channel * f.frame.channels * 2)
            frame._block = <void *>f        # the frame owns the whole block now
            if f.vad_state < 0:
                state, vad_bytes = -1, None
            else:
                state = f.vad_state
                vad_bytes = bytearray((<const char *>f.vad_bytes)[:f.vad_length]) if f.vad_length else bytearray()
            try:
                method(local_user, self._channels.get(f.channel_id), self._users.get(f.user_id),
                       frame, state, vad_bytes)
            except BaseException:
                _report_observer_error("on_playback_audio_frame_before_mixing", getattr(method, "__self__", method))
            calls += 1
        return calls

    def stats(self):
        cdef lib.agora_frame_queue_stats s
        lib.agora_frame_queue_get_stats(self._q, &s)
        return _queue_stats_dict(&s)


# An asyncio reader returns to the loop after this long (the rest waits in the queue).
ASYNCIO_SLICE_MS = 20


class _QueuedDelivery:
    """Drives one FrameQueue: a thread of the service's dispatch pool
    ("queued", see _dispatch_pool.pxi) or an asyncio loop reader ("asyncio").
    stop() returns once no observer call of this delivery is running (except
    when called from inside one) and discards what is left."""

    def __init__(self, FrameQueue queue, method, local_user, str mode, loop, warn=None, pool=None):
        self.queue = queue
        self.method = method
        self.local_user = local_user
        self.warn = None if warn is None else (lambda stats: warn(dict(stats, dispatch=mode)))
        self.stopped = False
        self.discarded = 0
        self.loop = None
        self.worker = None
        if mode == "queued":
            if pool is None:
                raise ValueError('dispatch="queued" needs the service\'s dispatch pool')
            self.worker = pool.attach(self)
        elif mode == "asyncio":
            if loop is None:
                raise ValueError('dispatch="asyncio" needs the event loop (loop=...)')
            self.loop = loop
            loop.call_soon_threadsafe(loop.add_reader, queue.fileno(), self._drain)
        else:
            raise ValueError(f'dispatch must be "direct", "queued" or "asyncio", got {mode!r}')

    def _drain(self):
        # the loop's reader: a slow observer hands the loop back every ASYNCIO_SLICE_MS
        if not self.stopped:
            self.queue.drain(self.method, self.local_user, self.warn, ASYNCIO_SLICE_MS)

    def stop(self):
        self.stopped = True
        self.queue.stop_draining()
        if self.worker is not None:
            self.worker.remove(self)
        self.queue.close()
        if self.loop is not None:
            try:
                if not self.loop.is_closed():
                    self.loop.call_soon_threadsafe(self.loop.remove_reader, self.queue.fileno())
            except RuntimeError:
                pass
        self.discarded = self.queue.discard()
