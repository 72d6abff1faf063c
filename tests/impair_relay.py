"""An impairing UDP relay for fault-injection tests (netem is not available in
this kernel): it sits on an RTP leg (a sender publishes to ``relay.port``,
the relay forwards to ``dst_port``) and can, one decision per datagram from a
seeded RNG:

* ``loss``: drop it;
* ``dup``: send it twice;
* ``jitter_ms``: delay it by a uniform 0..jitter_ms (packets overtake one
  another: reordering);
* ``stall()`` / ``resume()``: hold every datagram (a frozen server whose
  socket buffer keeps the first ``stall_capacity`` datagrams and drops the
  rest), then send what it held back to back, in order (the burst);
* ``inject(datagrams)``: send other datagrams (garbage) from its socket.

Everything it did is counted in ``counts``. One thread, stopped by close()."""
import heapq
import random
import select
import socket
import threading
import time


class ImpairRelay:
    def __init__(self, dst_port, *, loss=0.0, dup=0.0, jitter_ms=0, seed=1, stall_capacity=263,
                 host="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.port = self.sock.getsockname()[1]
        self.dst = (host, dst_port)
        self.loss, self.dup, self.jitter_ms = loss, dup, jitter_ms
        self.stall_capacity = stall_capacity
        self.rng = random.Random(seed)
        self.counts = {"in": 0, "out": 0, "lost": 0, "dup": 0, "held": 0, "overflow": 0,
                       "burst": 0, "injected": 0}
        self._lock = threading.Lock()
        self._stalled = False
        self._held = []
        self._due = []      # heap of (due monotonic s, n, datagram)
        self._n = 0
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="impair-relay", daemon=True)
        self._thread.start()

    # ---- control (any thread)

    def set(self, *, loss=None, dup=None, jitter_ms=None):
        with self._lock:
            if loss is not None:
                self.loss = loss
            if dup is not None:
                self.dup = dup
            if jitter_ms is not None:
                self.jitter_ms = jitter_ms

    def stall(self):
        with self._lock:
            self._stalled = True

    def resume(self):
        """Send everything held, back to back, then relay as before. Returns the burst size."""
        with self._lock:
            self._stalled = False
            held, self._held = self._held, []
        for d in held:
            self._send(d)
        self.counts["burst"] += len(held)
        return len(held)

    def inject(self, datagrams):
        for d in datagrams:
            self.sock.sendto(d, self.dst)
            self.counts["injected"] += 1

    def close(self):
        self._running = False
        self._thread.join(2)
        self.sock.close()

    # ---- relay thread

    def _send(self, data):
        try:
            self.sock.sendto(data, self.dst)
            self.counts["out"] += 1
        except OSError:
            pass

    def _loop(self):
        while self._running:
            now = time.monotonic()
            while self._due and self._due[0][0] <= now:
                self._send(heapq.heappop(self._due)[2])
            wait = 0.01 if not self._due else max(0.0, min(0.01, self._due[0][0] - now))
            try:
                ready, _, _ = select.select([self.sock], [], [], wait)
            except (OSError, ValueError):
                return
            if not ready:
                continue
            try:
                data, _ = self.sock.recvfrom(4096)
            except OSError:
                continue
            self._relay(data)

    def _relay(self, data):
        self.counts["in"] += 1
        with self._lock:
            if self._stalled:
                if len(self._held) < self.stall_capacity:
                    self._held.append(data)
                    self.counts["held"] += 1
                else:
                    self.counts["overflow"] += 1
                return
            loss, dup, jitter_ms = self.loss, self.dup, self.jitter_ms
        r = self.rng.random()
        if r < loss:
            self.counts["lost"] += 1
            return
        copies = 1
        if r < loss + dup:
            self.counts["dup"] += 1
            copies = 2
        for _ in range(copies):
            if jitter_ms > 0:
                self._n += 1
                due = time.monotonic() + self.rng.uniform(0, jitter_ms) / 1000.0
                heapq.heappush(self._due, (due, self._n, data))
            else:
                self._send(data)
