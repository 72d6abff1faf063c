# The service's pool of dispatcher threads for dispatch="queued".
#
# Every queued connection is given to one pool thread for its lifetime (the
# thread that had the fewest at registration), so its frames stay in order.
# A thread waits on the eventfds of all its queues at once (epoll) and drains
# the ready ones in turn, each for at most POOL_SLICE_MS per pass: a slow observer delays the other connections of its
# thread by one slice, never starves them. What a pass leaves keeps the eventfd
# readable, so the queue comes round again on the next pass.
#
# Why a small pool and not a thread per connection: only one thread runs
# Python at a time (the GIL), so hundreds of dispatcher threads each waking
# 100 times a second only fight for it (measured: 500 phone calls, 37 % of
# the frames late). More than one thread still helps when an observer blocks
# outside the GIL (I/O, a native call): the other threads go on.

import select

cdef extern from "<sched.h>" nogil:
    int sched_yield()

# A pool thread moves on to its next ready queue after this long.
POOL_SLICE_MS = 20
#: Default pool size (AgoraServiceConfig.dispatch_threads = 0).
DEFAULT_DISPATCH_THREADS = max(1, min(4, os.cpu_count() or 1))


class _DispatchThread:
    """One pool thread: drains the queues of the deliveries it was given; ends
    (closing its fds) when its last one is removed.

    The loop runs in C (_dispatch_loop): epoll (select.epoll, no per-fd Python
    objects) hands it every ready queue at once and it drains them all in one
    GIL take (let go while waiting, and every GIL_HOLD_MS between queues). `lock` guards `by_fd`,
    `current` and `closing`; `cond` (on the same lock) wakes a remove() waiting
    for the observer call of its delivery to end, notified only when one waits."""

    def __init__(self, pool, str name):
        self.pool = pool
        self.epoll = select.epoll()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.epoll.register(self.wake_r, select.EPOLLIN)
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.by_fd = {}              # queue fd -> delivery
        self.deliveries = 0          # registered now (the pool's load measure)
        self.current = None          # the delivery whose observer runs now
        self.waiters = 0             # remove() calls waiting for `current` to change
        self.closing = False
        self.fds_open = True
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def add(self, delivery):
        """Under the pool's lock."""
        fd = delivery.queue.fileno()
        with self.lock:
            self.deliveries += 1
            self.by_fd[fd] = delivery
            self.epoll.register(fd, select.EPOLLIN)

    def remove(self, delivery):
        """Stop watching delivery's queue; returns once no observer call of it
        is running (at once when called from inside one)."""
        fd = delivery.queue.fileno()
        with self.pool.lock:
            with self.lock:
                if self.by_fd.get(fd) is delivery:
                    del self.by_fd[fd]
                    self.deliveries -= 1
                    try:
                        self.epoll.unregister(fd)
                    except (KeyError, ValueError, OSError):
                        pass
                if self.deliveries == 0 and not self.closing:
                    if self in self.pool.threads:    # (not when the pool is closing)
                        self.pool.threads.remove(self)   # no new delivery comes here
                    self._close_locked()
        if threading.current_thread() is not self.thread:
            with self.cond:
                self.waiters += 1
                try:
                    while self.current is delivery:
                        self.cond.wait()
                finally:
                    self.waiters -= 1

    def _close_locked(self):
        # under self.lock: the fds are closed under it too, so the wake-up never
        # writes to an fd number reused meanwhile
        self.closing = True
        if self.fds_open:
            try:
                os.write(self.wake_w, b"x")
            except OSError:
                pass

    def close(self):
        with self.lock:
            self._close_locked()
        if threading.current_thread() is not self.thread:
            self.thread.join()

    def _run(self):
        try:
            _dispatch_loop(self)
        finally:
            with self.lock:
                self.fds_open = False
                self.epoll.close()
                os.close(self.wake_r)
                os.close(self.wake_w)


# Draining holds the GIL across ready queues, but lets it go (and yields the CPU,
# so a waiting thread really gets it: a release alone is usually re-taken at once)
# once it has held it this long: the SIP signalling thread, the asyncio loop and
# the other pool threads wait at most about this, not the interpreter's 5 ms
# switch interval.
GIL_HOLD_MS = 2


cdef _dispatch_loop(t):
    """The body of a pool thread (see _DispatchThread)."""
    poll = t.epoll.poll
    lock = t.lock
    cdef dict by_fd = t.by_fd
    cdef int wake_r = t.wake_r
    cdef int fd
    cdef long long budget
    cdef list ready
    cdef long long held_since, hold_ms = GIL_HOLD_MS
    while True:
        ready = poll(0.5)               # (lets the GIL go while it waits)
        if t.closing:
            return
        held_since = lib.agora_monotonic_ms()
        for fd, _ in ready:
            if lib.agora_monotonic_ms() - held_since >= hold_ms:
                with nogil:
                    sched_yield()
                held_since = lib.agora_monotonic_ms()
            if fd == wake_r:
                try:
                    os.read(wake_r, 64)
                except OSError:
                    pass
                continue
            lock.acquire()
            delivery = by_fd.get(fd)
            if delivery is None or delivery.stopped:
                lock.release()
                continue
            t.current = delivery
            # alone on this thread: the whole backlog in one pass
            budget = POOL_SLICE_MS if len(by_fd) > 1 else -1
            lock.release()
            try:
                (<FrameQueue>delivery.queue)._drain(delivery.method, delivery.local_user, delivery.warn, budget)
            except BaseException:
                _report_observer_error("queued audio dispatch", delivery.method)
            finally:
                lock.acquire()
                t.current = None
                if t.waiters:
                    t.cond.notify_all()
                lock.release()


class _DispatchPool:
    """At most `size` dispatcher threads (named agora_rtc-dispatch-N), started
    as connections need them; a delivery stays on the thread it was given."""

    def __init__(self, int size):
        if size < 1:
            raise ValueError(f"dispatch_threads must be >= 1, got {size}")
        self.size = size
        self.threads = []
        self.started = 0
        self.lock = threading.Lock()

    def attach(self, delivery):
        """Give delivery to the least loaded thread (a new one while fewer than size run)."""
        with self.lock:
            if len(self.threads) < self.size:
                worker = _DispatchThread(self, f"agora_rtc-dispatch-{self.started}")
                self.started += 1
                self.threads.append(worker)
            else:
                worker = min(self.threads, key=lambda t: t.deliveries)
            worker.add(delivery)
        return worker

    def close(self):
        """Stop every thread (after its current observer call returns)."""
        with self.lock:
            threads, self.threads = self.threads, []
        for worker in threads:
            worker.close()
