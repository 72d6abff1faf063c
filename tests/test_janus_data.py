"""Stream messages and audio metadata through a real Janus 1.1.2 (started here,
loopback only, stopped by PID): our remote publisher's data stream carries what
we send, Janus's rtp_forward of the others' data streams brings theirs, with
the same limits and errors as on the local network."""
import socket
import time

import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_INVALID_ARGUMENT, ERR_NOT_READY, ERR_TOO_OFTEN
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from agora_rtc.rtc_connection import JANUS_METADATA_TAG, STREAM_MESSAGES_PER_SEC
from conftest import Recorder

pytestmark = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)


class DataRecorder(Recorder):
    def on_stream_message(self, lu, uid, stream_id, data, length):
        self._add("message", uid, bytes(data), length, stream_id)

    def messages(self, uid):
        with self.cond:
            return [e[1][1] for e in self.events if e[0] == "message" and e[1][0] == uid]

    def metadata(self, uid):
        with self.cond:
            return [bytes(e[1][1]) for e in self.events if e[0] == "metadata" and e[1][0] == uid]


@pytest.fixture(scope="module")
def janus():
    with JanusServer() as srv:
        yield srv


def member(svc, channel, uid):
    conn = svc.create_rtc_connection(ar.RTCConnConfig())
    rec = DataRecorder()
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    assert conn.connect("", channel, uid) == 0
    rec.wait_event("connected", timeout=20)
    return conn, rec


def pair(janus, channel):
    svc = ar.AgoraService(ar.AgoraServiceConfig(
        appid="t", transport_url=f"{janus.transport_url}?admin_key={janus.admin_key}&video=none"))
    a, ra = member(svc, channel, "alice")
    b, rb = member(svc, channel, "bob")
    ra.wait_event("joined", "bob", timeout=20)
    rb.wait_event("joined", "alice", timeout=20)
    # a publisher's data forward is set up right after its join is reported (what is
    # sent before Janus forwards it is not received: README, Janus section)
    deadline = time.monotonic() + 20
    while not (len(a._link._dforwards) == 1 and len(b._link._dforwards) == 1):
        assert time.monotonic() < deadline, "data forwards not set up"
        time.sleep(0.02)
    return svc, a, ra, b, rb


def test_messages_and_metadata_both_ways_in_order(janus):
    svc, a, ra, b, rb = pair(janus, "data-both-ways")
    try:
        sent = ["héllo wörld ✓ 你好", b"\x00\x01\xfe\xff binary", "x" * 1024]
        sent += [f"#{i}" for i in range(40)]
        for m in sent:
            assert a.send_stream_message(m) == 0
        assert b.send_stream_message("from bob, ü") == 0
        assert a.send_audio_meta_data(b"\x00meta\xff") == 0
        assert b.send_audio_meta_data(b"") == 0
        want = [m.encode() if isinstance(m, str) else m for m in sent]
        rb.wait_for(lambda: len(rb.messages("alice")) >= len(want), timeout=20)
        assert rb.messages("alice") == want                       # every byte, in order
        ra.wait_for(lambda: ra.messages("bob") == ["from bob, ü".encode()], timeout=20)
        rb.wait_for(lambda: rb.metadata("alice") == [b"\x00meta\xff"], timeout=20)
        ra.wait_for(lambda: ra.metadata("bob") == [b""], timeout=20)
        # the sender's stream id is not carried: every message arrives as stream 1
        with rb.cond:
            assert {e[1][3] for e in rb.events if e[0] == "message"} == {1}
        sa, sb = a._rtp_stats(), b._rtp_stats()
        assert sa["messages_sent"] == len(sent) and sa["metadata_sent"] == 1 and sa["data_unsent"] == 0
        assert sb["messages_received"] == len(sent) and sb["metadata_received"] == 1
        assert sb["data_dropped"] == 0
        # metadata never shows up as a message, messages never as metadata
        assert len(ra.messages("bob")) == 1 and len(rb.metadata("alice")) == 1
    finally:
        svc.release()


def test_same_limits_and_errors_as_the_local_network(janus):
    svc, a, ra, b, rb = pair(janus, "data-limits")
    try:
        with pytest.raises(ar.InvalidArgumentError, match="1024"):
            a.send_stream_message(b"x" * 1025)
        with pytest.raises(ar.InvalidArgumentError, match="64"):
            a.send_audio_meta_data(b"x" * 65)
        assert a.send_stream_message(b"") == ERR_INVALID_ARGUMENT   # Janus relays no empty message
        assert a.send_stream_message("") == ERR_INVALID_ARGUMENT
        with pytest.raises(ar.InvalidArgumentError, match="audio-metadata tag"):
            a.send_stream_message(JANUS_METADATA_TAG + b"not metadata")
        with pytest.raises(ar.InvalidArgumentError, match="stream 2 was not created"):
            a.send_stream_message(b"x", 2)
        sid = a.create_data_stream(True, False)
        t0 = time.monotonic()
        codes = [a.send_stream_message(b"%d" % i, sid) for i in range(STREAM_MESSAGES_PER_SEC + 1)]
        if time.monotonic() - t0 >= 0.9:
            pytest.skip("the machine was too slow to send the burst within one second")
        assert codes[:-1] == [0] * STREAM_MESSAGES_PER_SEC and codes[-1] == ERR_TOO_OFTEN
        assert a.send_stream_message(b"last") == 0                 # another stream: not limited
        rb.wait_for(lambda: len(rb.messages("alice")) == STREAM_MESSAGES_PER_SEC + 1, timeout=20)
        assert rb.messages("alice")[-1] == b"last"                 # the refused one never arrived
    finally:
        svc.release()


def test_a_user_who_left_gets_nothing_and_a_flood_is_bounded(janus):
    svc, a, ra, b, rb = pair(janus, "data-left")
    try:
        # a flood straight at bob's data socket for alice (what a browser ignoring the
        # limits would do): at most the sender's per-second limits are delivered
        port = next(iter(b._link._dforwards.values())).port
        # (5 streams of 60 messages: 300 a second; in batches the socket buffer holds)
        t0 = time.monotonic()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(400):
                s.sendto(b"flood %d" % i, ("127.0.0.1", port))
                if i % 50 == 49:
                    time.sleep(0.02)
            s.sendto(b"y" * 1500, ("127.0.0.1", port))              # over any message size
        if time.monotonic() - t0 >= 0.8:
            pytest.skip("the machine was too slow to send the flood within one second")
        deadline = time.monotonic() + 10
        while b._rtp_stats()["messages_received"] + b._rtp_stats()["data_dropped"] < 401:
            assert time.monotonic() < deadline, b._rtp_stats()
            time.sleep(0.02)
        st = b._rtp_stats()
        assert st["messages_received"] == 5 * STREAM_MESSAGES_PER_SEC and st["data_dropped"] == 101
        rb.wait_for(lambda: len(rb.messages("alice")) == 300, timeout=20)
        assert rb.messages("alice") == [b"flood %d" % i for i in range(300)]
        # bob leaves: alice stops forwarding his data, and her messages go nowhere
        assert b.disconnect() == 0
        ra.wait_event("left", "bob", timeout=20)
        deadline = time.monotonic() + 10
        while a._rtp_stats()["data_remotes"] != 0:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        n = len(rb.messages("alice"))
        assert a.send_stream_message("anyone?") == 0
        assert a._rtp_stats()["messages_sent"] == 1
        time.sleep(0.5)
        assert len(rb.messages("alice")) == n
    finally:
        svc.release()


def test_janus_killed_mid_stream_then_restarted(janus):
    """Janus SIGKILLed while alice streams numbered messages: both sides report the link
    lost and reconnected; no message is duplicated or reordered; what alice sends while the
    link is down is refused (ERR_NOT_READY), not swallowed; once the data forwards are back,
    every message arrives again. The module's Janus is restarted in place for the tests after."""
    import threading
    svc, a, ra, b, rb = pair(janus, "data-restart")
    results, stop = [], threading.Event()

    def stream():
        i = 0
        while not stop.is_set():
            results.append((i, a.send_stream_message(b"n%d" % i), time.monotonic()))
            i += 1
            time.sleep(0.05)

    t = threading.Thread(target=stream, daemon=True)
    try:
        t.start()
        rb.wait_for(lambda: len(rb.messages("alice")) >= 10, timeout=20)
        janus.kill()
        ra.wait_event("lost", timeout=20)
        rb.wait_event("lost", timeout=20)
        janus.restart()
        ra.wait_event("reconnected", timeout=40)
        rb.wait_event("reconnected", timeout=40)
        deadline = time.monotonic() + 20
        while not (len(a._link._dforwards) == 1 and len(b._link._dforwards) == 1):
            assert time.monotonic() < deadline, "data forwards not set up again"
            time.sleep(0.05)
        n_back = len(results)
        rb.wait_for(lambda: any(int(m[1:]) >= n_back + 10 for m in rb.messages("alice")), timeout=20)
    finally:
        stop.set()
        t.join(5)
        svc.release()
    got = [int(m[1:]) for m in rb.messages("alice")]
    assert len(got) == len(set(got)), "a message was duplicated"
    assert got == sorted(got), "messages were reordered"
    accepted = {i for i, rc, _ in results if rc == 0}
    assert set(got) <= accepted                               # only what was accepted arrives
    assert any(rc == ERR_NOT_READY for _, rc, _ in results)  # refused while down
    assert {i for i in accepted if i >= n_back} <= set(got)   # once back, nothing is lost


def test_a_publisher_that_adds_its_data_stream_later(janus):
    """A publisher joins with audio only and adds a data stream afterwards (Janus 1.1.2's
    update_remote_publisher; a browser's renegotiation is announced the same way): its
    messages still reach us, and it is not reported joined twice."""
    from agora_rtc.janus import JanusClient
    from agora_rtc.janus.link import janus_id
    # peer_timeout=0: carol sends no audio, which the liveness watchdog would judge dead
    svc = ar.AgoraService(ar.AgoraServiceConfig(
        appid="t", transport_url=f"{janus.transport_url}?admin_key={janus.admin_key}&video=none"
                                 "&peer_timeout=0"))
    client = JanusClient(janus.url)
    client.connect()
    try:
        b, rb = member(svc, "data-later", "bob")
        room = client.videoroom(admin_key=janus.admin_key)
        audio = {"type": "audio", "mid": "0", "mindex": 0, "codec": "opus"}
        pub = room.add_remote_publisher(janus_id("data-later"), id=janus_id("carol"),
                                        display="carol", streams=[audio])
        rb.wait_event("joined", "carol", timeout=20)
        assert b._rtp_stats()["data_remotes"] == 0
        room.update_remote_publisher(janus_id("data-later"), pub.id,
                                     [audio, {"type": "data", "mid": "1", "mindex": 1}])
        deadline = time.monotonic() + 20
        while len(b._link._dforwards) != 1:   # Janus forwards it (not just our socket open)
            assert time.monotonic() < deadline, "no data forward for the stream added later"
            time.sleep(0.02)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(3):   # RTP header (V=2, pt 0 = text, SSRC 1010: mindex 1) + message
                header = bytes([0x80, 0, 0, i]) + bytes(4) + (1010).to_bytes(4, "big")
                s.sendto(header + b"late %d" % i, (pub.ip, pub.port))
        rb.wait_for(lambda: len(rb.messages("carol")) == 3, timeout=20)
        assert rb.messages("carol") == [b"late 0", b"late 1", b"late 2"]
        with rb.cond:
            assert [e[1][0] for e in rb.events if e[0] == "joined"].count("carol") == 1
        room.remove_remote_publisher(janus_id("data-later"), pub.id)
        rb.wait_event("left", "carol", timeout=20)
    finally:
        client.close()
        svc.release()


def test_garbage_at_a_data_socket_is_counted_never_a_crash(janus):
    """Random datagrams of every size (empty, over any message, some behind the metadata
    tag) thrown at the data socket of a live connection: each one is delivered as what it
    is or dropped, and counted; the connection goes on carrying messages."""
    import random
    svc, a, ra, b, rb = pair(janus, "data-garbage")
    try:
        port = next(iter(b._link._dforwards.values())).port
        rnd = random.Random(4)
        sent = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for batch in range(24):   # batches the socket buffer holds, each counted first
                for _ in range(25):
                    n = rnd.choice((0, 1, 3, 4, 5, 68, 69, 500, 1024, 1025, 1088, 1089, 4000))
                    d = bytes(rnd.randrange(256) for _ in range(n))
                    if n >= 4 and rnd.random() < 0.3:
                        d = JANUS_METADATA_TAG + d[4:]
                    s.sendto(d, ("127.0.0.1", port))
                    sent += 1
                deadline = time.monotonic() + 20
                while True:
                    st = b._rtp_stats()
                    counted = st["messages_received"] + st["metadata_received"] + st["data_dropped"]
                    if counted == sent:
                        break
                    assert counted < sent and time.monotonic() < deadline, (counted, sent, st)
                    time.sleep(0.01)
                time.sleep(1.0 if batch % 8 == 7 else 0)   # let the per-second window pass now and then
        st = b._rtp_stats()
        assert st["data_dropped"] > 0 and st["messages_received"] > 0 and st["metadata_received"] > 0
        rb.wait_for(lambda: len(rb.messages("alice")) == st["messages_received"], timeout=20)
        time.sleep(1.1)   # the garbage's second is over: alice's own messages are admitted
        assert a.send_stream_message("still here ✓") == 0
        rb.wait_for(lambda: rb.messages("alice")[-1:] == ["still here ✓".encode()], timeout=20)
    finally:
        svc.release()
