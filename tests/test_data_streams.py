"""Data streams: create_data_stream ids reach receivers as on_stream_message's
stream_id; the per-connection limits (5 streams, 1024 bytes per message, 60
messages and 30 KiB per second) are enforced with clear errors, and a refused
message never arrives."""
import time

import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_TOO_OFTEN
from agora_rtc.rtc_connection import (MAX_DATA_STREAMS, STREAM_BYTES_PER_SEC,
                                      STREAM_MESSAGES_PER_SEC)
from conftest import Recorder, join


class StreamRecorder(Recorder):
    def on_stream_message(self, lu, uid, stream_id, data, length):
        self._add("message", uid, data, length, stream_id)

    def messages(self, uid=None):
        with self.cond:
            return [e[1] for e in self.events if e[0] == "message" and (uid is None or e[1][0] == uid)]


def pair(service, channel):
    a, ra = join(service, channel, "a", recorder=StreamRecorder())
    b, rb = join(service, channel, "b", recorder=StreamRecorder())
    return a, b, rb


def settle(service, channel, rb):
    """Everything the channel's senders had sent is delivered to rb once a
    message from a fresh member has been (one I/O thread, one delivery thread)."""
    c, _ = join(service, channel, "c", record=False)
    assert c.send_stream_message(b"settle") == 0
    rb.wait_for(lambda: any(m[0] == "c" for m in rb.messages()))
    c.release()


def test_streams_are_numbered_and_reach_receivers_with_their_id(service):
    a, b, rb = pair(service, "streams")
    ids = [a.create_data_stream(True, True) for _ in range(MAX_DATA_STREAMS - 1)]
    assert ids == [2, 3, 4, 5]
    with pytest.raises(ar.InvalidStateError, match="at most 5 data streams"):
        a.create_data_stream(0, 0)
    assert a.send_stream_message("default") == 0
    for sid in ids:
        assert a.send_stream_message(f"on {sid}", sid) == 0
    assert a.send_stream_message(3, b"old order") == 0        # pre-2.3 (stream_id, data)
    rb.wait_for(lambda: len(rb.messages("a")) == 6)
    assert [(m[1], m[3]) for m in rb.messages("a")] == [
        (b"default", 1), (b"on 2", 2), (b"on 3", 3), (b"on 4", 4), (b"on 5", 5), (b"old order", 3)]
    # another connection has its own ids
    assert b.create_data_stream(False, False) == 2


def test_unknown_stream_ids_are_refused(service):
    a, b, rb = pair(service, "unknown")
    assert a.create_data_stream(True, True) == 2
    with pytest.raises(ar.InvalidArgumentError, match="stream 3 was not created"):
        a.send_stream_message(b"x", 3)
    for bad in (0, 6, -1):
        with pytest.raises(ar.InvalidArgumentError, match="1..5"):
            a.send_stream_message(b"x", bad)
    with pytest.raises(TypeError):
        a.send_stream_message(b"x", "2")
    with pytest.raises(TypeError):
        a.create_data_stream("yes", 1)
    with pytest.raises(ValueError, match="1024"):
        a.send_stream_message(b"x" * 1025, 2)
    settle(service, "unknown", rb)
    assert rb.messages("a") == []


def _burst(conn, payloads, stream_id=None):
    t0 = time.monotonic()
    codes = [conn.send_stream_message(p, stream_id) for p in payloads]
    if time.monotonic() - t0 >= 0.9:
        pytest.skip("the machine was too slow to send the burst within one second")
    return codes


def test_message_rate_limit(service):
    a, b, rb = pair(service, "rate")
    sid = a.create_data_stream(True, True)
    sent = [f"m{i}".encode() for i in range(STREAM_MESSAGES_PER_SEC + 5)]
    codes = _burst(a, sent, sid)
    assert codes == [0] * STREAM_MESSAGES_PER_SEC + [ERR_TOO_OFTEN] * 5
    settle(service, "rate", rb)
    assert [m[1] for m in rb.messages("a")] == sent[:STREAM_MESSAGES_PER_SEC]  # refused ones never arrive


def test_message_limit_is_per_stream(service):
    # Agora: 60 messages per second on each data stream; the 30 KiB/s is shared
    a, b, rb = pair(service, "per-stream")
    sid = a.create_data_stream(True, True)
    first = [f"d{i}".encode() for i in range(STREAM_MESSAGES_PER_SEC)]
    second = [f"s{i}".encode() for i in range(STREAM_MESSAGES_PER_SEC)]
    t0 = time.monotonic()
    codes = [a.send_stream_message(m) for m in first] + [a.send_stream_message(m, sid) for m in second]
    codes += [a.send_stream_message(b"x"), a.send_stream_message(b"y", sid)]
    if time.monotonic() - t0 >= 0.9:
        pytest.skip("the machine was too slow to send the burst within one second")
    assert codes == [0] * (2 * STREAM_MESSAGES_PER_SEC) + [ERR_TOO_OFTEN] * 2
    settle(service, "per-stream", rb)
    assert len(rb.messages("a")) == 2 * STREAM_MESSAGES_PER_SEC


def test_byte_rate_limit(service):
    a, b, rb = pair(service, "bytes")
    n = STREAM_BYTES_PER_SEC // 1024
    codes = _burst(a, [bytes([i]) * 1024 for i in range(n)] + [b"z"])
    assert codes == [0] * n + [ERR_TOO_OFTEN]
    settle(service, "bytes", rb)
    assert len(rb.messages("a")) == n


def test_rate_limit_can_be_switched_off_by_parameter(service):
    a, b, rb = pair(service, "unlimited")
    assert a.get_agora_parameter().set_bool("agora_rtc.stream_message_rate_limit", False) == 0
    sent = [f"m{i}".encode() for i in range(3 * STREAM_MESSAGES_PER_SEC)]
    assert all(a.send_stream_message(m) == 0 for m in sent)
    rb.wait_for(lambda: len(rb.messages("a")) == len(sent))
    # and back on: the window counts what was just sent
    assert a.get_agora_parameter().set_bool("agora_rtc.stream_message_rate_limit", True) == 0
    assert _burst(a, [b"more"]) == [ERR_TOO_OFTEN]


def test_service_parameter_applies_to_new_connections(service):
    assert service.get_agora_parameter().set_bool("agora_rtc.stream_message_rate_limit", False) == 0
    a, b, rb = pair(service, "svc-unlimited")
    assert all(a.send_stream_message(b"x") == 0 for _ in range(2 * STREAM_MESSAGES_PER_SEC))


def test_data_stream_calls_after_release_raise(service):
    a = service.create_rtc_connection(ar.RTCConnConfig())
    a.release()
    with pytest.raises(ar.ReleasedError):
        a.create_data_stream(True, True)
    with pytest.raises(ar.ReleasedError):
        a.send_stream_message(b"x", 1)
