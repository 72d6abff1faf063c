# The service's pool of dispatcher threads for dispatch="queued".
#
# Every queued connection is given to one pool thread for its lifetime (the
# thread that had the fewest at registration), so its frames stay in order.
# A thread waits on the eventfds of all its queues at once (epoll, through
# `selectors`) and drains the ready ones in turn, each for at most
# POOL_SLICE_MS per pass: a slow observer delays the other connections of its
# thread by one slice, never starves them. What a pass leaves keeps the eventfd
# readable, so the queue comes round again on the next pass.
#
# Why a small pool and not a thread per connection: only one thread runs
# Python at a time (the GIL), so hundreds of dispatcher threads each waking
# 100 times a second only fight for it (measured: 500 phone calls, 37 % of
# the frames late). More than one thread still helps when an observer blocks
# outside the GIL (I/O, a native call): the other threads go on.

import selectors

# A pool thread moves on to its next ready queue after this long.
POOL_SLICE_MS = 20
#: Default pool size (AgoraServiceConfig.dispatch_threads = 0).
DEFAULT_DISPATCH_THREADS = max(1, min(4, os.cpu_count() or 1))


class _DispatchThread:
    """One pool thread: drains the queues of the deliveries it was given; ends
    (closing its fds) when its last one is removed."""

    def __init__(self, pool, str name):
        self.pool = pool
        self.selector = selectors.DefaultSelector()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        self.cond = threading.Condition()
        self.deliveries = 0          # registered now (the pool's load measure)
        self.current = None          # the delivery whose observer runs now
        self.closing = False
        self.fds_open = True
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def add(self, delivery):
        """Under the pool's lock."""
        with self.cond:
            self.deliveries += 1
            self.selector.register(delivery.queue.fileno(), selectors.EVENT_READ, delivery)

    def remove(self, delivery):
        """Stop watching delivery's queue; returns once no observer call of it
        is running (at once when called from inside one)."""
        with self.pool.lock:
            with self.cond:
                try:
                    self.selector.unregister(delivery.queue.fileno())
                    self.deliveries -= 1
                except (KeyError, ValueError, OSError):
                    pass
                if self.deliveries == 0 and not self.closing:
                    if self in self.pool.threads:    # (not when the pool is closing)
                        self.pool.threads.remove(self)   # no new delivery comes here
                    self._close_locked()
        if threading.current_thread() is not self.thread:
            with self.cond:
                while self.current is delivery:
                    self.cond.wait()

    def _close_locked(self):
        # under self.cond: the fds are closed under it too, so the wake-up never
        # writes to an fd number reused meanwhile
        self.closing = True
        if self.fds_open:
            try:
                os.write(self.wake_w, b"x")
            except OSError:
                pass

    def close(self):
        with self.cond:
            self._close_locked()
        if threading.current_thread() is not self.thread:
            self.thread.join()

    def _run(self):
        try:
            while True:
                ready = self.selector.select(0.5)
                with self.cond:
                    if self.closing:
                        break
                for key, _ in ready:
                    delivery = key.data
                    if delivery is None:
                        try:
                            os.read(self.wake_r, 64)
                        except OSError:
                            pass
                        continue
                    with self.cond:
                        if delivery.stopped:
                            continue
                        self.current = delivery
                        # alone on this thread: the whole backlog in one pass
                        budget = POOL_SLICE_MS if self.deliveries > 1 else -1
                    try:
                        delivery.queue.drain(delivery.method, delivery.local_user, delivery.warn, budget)
                    except BaseException:
                        _report_observer_error("queued audio dispatch", delivery.method)
                    finally:
                        with self.cond:
                            self.current = None
                            self.cond.notify_all()
        finally:
            with self.cond:
                self.fds_open = False
                self.selector.close()
                os.close(self.wake_r)
                os.close(self.wake_w)


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
