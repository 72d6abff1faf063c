# Service: owns the native service (and through it the engine threads).
# Initialized services are kept in _live_services until released, so they are
# never garbage collected with threads running; an atexit hook releases what
# is left before the interpreter finalizes.

cdef bint _shutting_down = False
cdef set _live_services = set()
# Objects inherited across fork, kept alive in the child so that nothing ever
# deallocates (and so touches) the parent's engine memory copied into it.
cdef list _fork_orphans = []


def monotonic_ms():
    """The engine clock (CLOCK_MONOTONIC, ms): the clock of AudioFrame.render_time_ms."""
    return lib.agora_monotonic_ms()


cdef class Service:
    cdef lib.agora_service *_svc
    cdef readonly set _connections
    cdef readonly bint _forked    # inherited across fork: dead in this process
    cdef object __weakref__
    cdef object _dispatch_pool      # _DispatchPool, started by the first queued observer
    cdef int _dispatch_threads

    def __cinit__(self, *args, **kwargs):
        self._svc = NULL
        self._connections = set()

    def _native_initialize(self, bytes app_id, bytes transport_url, int audio_scenario,
                           int prefill_ms, int use_string_uid, int receive_threads=0,
                           int dispatch_threads=0):
        """dispatch_threads: size of the pool of dispatch="queued" (0 = DEFAULT_DISPATCH_THREADS)."""
        cdef lib.agora_service_config cfg
        if dispatch_threads < 0:
            raise ValueError(f"dispatch_threads must be >= 0, got {dispatch_threads}")
        if self._forked:
            raise _errors.ForkedProcessError(_FORKED_MESSAGE.format(what="AgoraService.initialize"))
        if self._svc != NULL:
            raise _errors.InvalidStateError("the service is already initialized")
        cfg.app_id = app_id
        cfg.transport_url = transport_url
        cfg.audio_scenario = audio_scenario
        cfg.prefill_ms = prefill_ms
        cfg.use_string_uid = use_string_uid
        cfg.receive_threads = receive_threads
        cdef lib.agora_service *svc = lib.agora_service_create()
        if svc == NULL:
            raise MemoryError("agora_service_create failed")
        cdef int rc = lib.agora_service_initialize(svc, &cfg)
        if rc < 0:
            with nogil:
                lib.agora_service_release(svc)
            check(rc, "AgoraService.initialize")
        self._svc = svc
        self._dispatch_threads = dispatch_threads or DEFAULT_DISPATCH_THREADS
        _live_services.add(self)

    def _queued_dispatch_pool(self):
        """The service's dispatcher threads of dispatch="queued" (made on first use)."""
        if self._dispatch_pool is None:
            self._dispatch_pool = _DispatchPool(self._dispatch_threads)
        return self._dispatch_pool

    @property
    def _native_alive(self):
        return self._svc != NULL

    def _native_release(self):
        """Release the native service. Connections must already be released."""
        cdef lib.agora_service *svc = self._svc
        if svc == NULL:
            return
        if lib.agora_service_on_delivery_thread(svc):
            raise _errors.InvalidStateError(
                "AgoraService.release cannot be called from inside an observer callback")
        self._svc = NULL      # no new connection from here on
        _live_services.discard(self)
        # connections created by another thread after the caller's last look
        # (AgoraService.release releases the ones it saw): release them here,
        # or their objects would keep pointers the native release frees
        for conn in list(self._connections):
            conn.release()
        pool, self._dispatch_pool = self._dispatch_pool, None
        if pool is not None:
            pool.close()
        with nogil:
            lib.agora_service_release(svc)

    def _set_prefill_ms(self, int prefill_ms):
        """Prefill of connections created from now on (0..500 ms)."""
        if self._svc == NULL:
            raise _errors.ReleasedError("the service was released")
        return lib.agora_service_set_prefill_ms(self._svc, prefill_ms)

    def _set_stats_interval_ms(self, int interval_ms):
        """Period of on_transport_stats (100..60000 ms)."""
        if self._svc == NULL:
            raise _errors.ReleasedError("the service was released")
        return lib.agora_service_set_stats_interval_ms(self._svc, interval_ms)

    def _forget_after_fork(self):
        """In a forked child: drop the native pointer without touching it."""
        _fork_orphans.append((self, self._dispatch_pool))
        self._dispatch_pool = None   # its threads exist only in the parent
        self._svc = NULL
        self._forked = True

    def _on_delivery_thread(self):
        return self._svc != NULL and lib.agora_service_on_delivery_thread(self._svc) != 0


def _live_service_list():
    """The initialized services not yet released (agora_rtc.shutdown releases them)."""
    return list(_live_services)


def _release_all_at_exit():
    """atexit: stop delivering callbacks, then release every live service."""
    global _shutting_down
    _shutting_down = True
    for svc in list(_live_services):
        try:
            svc.release()
        except BaseException:
            try:
                (<Service>svc)._native_release()
            except BaseException:
                pass


atexit.register(_release_all_at_exit)


_FORKED_MESSAGE = ("{what}: this object was created before os.fork() and the engine threads "
                   "do not survive fork; create a new AgoraService in the child process "
                   "(or use the 'spawn'/'forkserver' multiprocessing start method)")


def _after_fork_in_child():
    """os.register_at_fork(after_in_child=...): every service and connection
    inherited from the parent is dead here (its engine threads exist only in
    the parent, its mutexes may be held by them). Mark them forked, so any use
    raises ForkedProcessError and release() only forgets them; nothing of the
    parent's native state is called, freed or closed from the child."""
    services = list(_live_services)
    _live_services.clear()
    for svc in services:
        for conn in list((<Service>svc)._connections):
            try:
                conn._forget_after_fork()
            except BaseException:
                pass
        (<Service>svc)._connections.clear()
        try:
            svc._forget_after_fork()
        except BaseException:
            pass


os.register_at_fork(after_in_child=_after_fork_in_child)
