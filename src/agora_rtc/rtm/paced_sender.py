"""The datagrams of one RTM client's messages through Janus, sent in order by one
thread within the stream-message limits of the connections they leave on.

A stream message is at most 1024 bytes and a connection may send 60 of them and
30 KiB within any second (Agora's limits, which every receiver applies again on
arrival, rtp_data.c): a 32 KiB RTM message is 33 datagrams, so they are paced by a
token bucket (BYTES_PER_SEC with a BURST_BYTES burst, DATAGRAMS_PER_SEC with a
BURST_DATAGRAMS burst: within any second at most 28 KiB and 55 datagrams, under
the limits with room for jitter on the way). What waits is bounded
(MAX_QUEUED_BYTES): submit refuses a message past that.
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable, Deque, List, Tuple

_log = logging.getLogger("agora_rtc.rtm")

BYTES_PER_SEC = 24 * 1024
BURST_BYTES = 4 * 1024
DATAGRAMS_PER_SEC = 50
BURST_DATAGRAMS = 5
MAX_QUEUED_BYTES = 256 * 1024       # about ten seconds of sending
ERR_TOO_OFTEN = -12                 # send_stream_message over the connection's limits
RETRY_S = 0.05

Send = Callable[[bytes], int]       # one datagram -> the connection's return code
Done = Callable[[int], None]        # 0 once every datagram left, else the first error


class PacedSender:
    def __init__(self, name: str) -> None:
        self._queue: Deque[Tuple[Send, List[bytes], Done]] = collections.deque()
        self._queued = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, daemon=True, name=name)
        self._thread.start()

    def submit(self, send: Send, datagrams: List[bytes], done: Done) -> bool:
        """Queue one message's datagrams (False: MAX_QUEUED_BYTES are waiting, or closed)."""
        size = sum(map(len, datagrams))
        with self._cond:
            if self._closed or (self._queue and self._queued + size > MAX_QUEUED_BYTES):
                return False
            self._queue.append((send, datagrams, done))
            self._queued += size
            self._cond.notify()
        return True

    def close(self, error: int) -> None:
        """Stop; the messages still waiting are done with `error`."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._cond:
            left, self._queue = list(self._queue), collections.deque()
        for _, _, done in left:
            done(error)

    def _run(self) -> None:
        byte_tokens, datagram_tokens, last = float(BURST_BYTES), float(BURST_DATAGRAMS), time.monotonic()
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                send, datagrams, done = self._queue[0]
            rc = 0
            for d in datagrams:
                while True:
                    now = time.monotonic()
                    byte_tokens = min(BURST_BYTES, byte_tokens + (now - last) * BYTES_PER_SEC)
                    datagram_tokens = min(BURST_DATAGRAMS, datagram_tokens + (now - last) * DATAGRAMS_PER_SEC)
                    last = now
                    if byte_tokens >= len(d) and datagram_tokens >= 1:
                        try:
                            rc = send(d)
                        except Exception as exc:   # the room's connection went meanwhile
                            _log.debug("rtm: a datagram could not be sent: %s", exc)
                            rc = -1
                        if rc != ERR_TOO_OFTEN:
                            break
                        wait = RETRY_S     # the connection's own window is still full
                    else:
                        wait = max((len(d) - byte_tokens) / BYTES_PER_SEC,
                                   (1 - datagram_tokens) / DATAGRAMS_PER_SEC, 0.001)
                    with self._cond:
                        if self._closed or self._cond.wait_for(lambda: self._closed, timeout=wait):
                            return
                byte_tokens -= len(d)
                datagram_tokens -= 1
                if rc != 0:
                    break              # the rest of this message cannot make it whole
            with self._cond:
                self._queue.popleft()
                self._queued -= sum(map(len, datagrams))
            try:
                done(rc)
            except Exception:  # a result callback's bug must not stop the sending
                _log.exception("rtm: publish result callback raised")
