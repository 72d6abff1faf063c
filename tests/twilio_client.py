"""A stand-in for Twilio's side of a bidirectional Media Stream, for the tests.

Every frame it sends is written here by hand from Twilio's published format
("Media Streams - WebSocket Messages": field names, nesting, the string-typed
sequenceNumber / chunk / timestamp), not produced by agora_rtc's code; the
audio is mu-law encoded by CPython's audioop. A reader thread keeps what the
endpoint sends (parsed JSON), as Twilio reads its socket.
"""
import json
import threading
import time
import warnings

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402  (deprecated in 3.11, removed in 3.13: the tests' reference codec)

ACCOUNT_SID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
CONNECTED = '{"event": "connected", "protocol": "Call", "version": "1.0.0"}'
START = ('{"event": "start", "sequenceNumber": "1", "start": {"accountSid": "%(account)s", '
         '"streamSid": "%(stream)s", "callSid": "%(call)s", "tracks": ["inbound"], '
         '"customParameters": {"From": "%(from_)s", "To": "+15557654321"}, '
         '"mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}, '
         '"streamSid": "%(stream)s"}')
MEDIA = ('{"event": "media", "sequenceNumber": "%(seq)d", "media": {"track": "inbound", '
         '"chunk": "%(chunk)d", "timestamp": "%(ts)d", "payload": "%(payload)s"}, "streamSid": "%(stream)s"}')
DTMF = ('{"event": "dtmf", "streamSid": "%(stream)s", "sequenceNumber": "%(seq)d", '
        '"dtmf": {"track": "inbound_track", "digit": "%(digit)s"}}')
MARK = '{"event": "mark", "sequenceNumber": "%(seq)d", "streamSid": "%(stream)s", "mark": {"name": "%(name)s"}}'
STOP = ('{"event": "stop", "sequenceNumber": "%(seq)d", "streamSid": "%(stream)s", '
        '"stop": {"accountSid": "%(account)s", "callSid": "%(call)s"}}')


def lin2ulaw(pcm_bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return audioop.lin2ulaw(pcm_bytes, 2)


def ulaw2lin(ulaw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return audioop.ulaw2lin(ulaw, 2)


def to_8k(pcm16k_bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return audioop.ratecv(pcm16k_bytes, 2, 1, 16000, 8000, None)[0]


class FakeTwilio:
    def __init__(self, url, *, call="CA00000000000000000000000000000001",
                 stream="MZ00000000000000000000000000000001", from_="+15551234567", read=True):
        self.ids = {"account": ACCOUNT_SID, "call": call, "stream": stream, "from_": from_}
        self.seq = 1
        self.chunk = 0
        self.received = []
        self.closed = None           # (code, reason) once the endpoint closed the socket
        self.cond = threading.Condition()
        self.ws = connect(url, max_queue=4, open_timeout=10, legacy=True)   # legacy: no `with` block
        self._reader = None
        if read:
            self._reader = threading.Thread(target=self._read, daemon=True)
            self._reader.start()

    def _read(self):
        try:
            for text in self.ws:
                with self.cond:
                    self.received.append(json.loads(text))
                    self.cond.notify_all()
        except ConnectionClosed:
            pass
        with self.cond:
            rcvd = self.ws.protocol.close_rcvd
            self.closed = (rcvd.code, rcvd.reason) if rcvd is not None else (None, "")
            self.cond.notify_all()

    # ---- sending, frames as Twilio writes them ----

    def send(self, text):
        self.ws.send(text)

    def _next(self):
        self.seq += 1
        return dict(self.ids, seq=self.seq)

    def connected(self):
        self.send(CONNECTED)

    def start(self):
        self.send(START % self.ids)

    def media(self, ulaw, chunk_bytes=160, real_time=False):
        """Send mu-law audio as Twilio does: 20 ms chunks (160 bytes), at once or, with
        ``real_time``, each at its 20 ms deadline."""
        import base64
        t0 = time.monotonic()
        for i in range(0, len(ulaw), chunk_bytes):
            if real_time:
                time.sleep(max(0.0, t0 + i / 8000 - time.monotonic()))
            self.chunk += 1
            self.send(MEDIA % dict(self._next(), chunk=self.chunk, ts=self.chunk * 20,
                                   payload=base64.b64encode(ulaw[i:i + chunk_bytes]).decode()))

    def dtmf(self, digit):
        self.send(DTMF % dict(self._next(), digit=digit))

    def mark(self, name):
        self.send(MARK % dict(self._next(), name=name))

    def stop(self):
        self.send(STOP % self._next())

    # ---- what came back ----

    def events(self, kind):
        with self.cond:
            return [m for m in self.received if m.get("event") == kind]

    def wait_for(self, predicate, timeout=15.0, what="condition"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"timed out waiting for {what}; received {len(self.received)} "
                                         f"messages, closed={self.closed}")
                self.cond.wait(left)

    def wait_closed(self, timeout=15.0):
        self.wait_for(lambda: self.closed is not None, timeout, "the endpoint to close the socket")
        return self.closed

    def close(self):
        self.ws.close()
        if self._reader is not None:
            self._reader.join(10)
