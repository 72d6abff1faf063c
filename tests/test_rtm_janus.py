"""agora_rtc.rtm between clients that each have their own Janus link (a real Janus
1.1.2, loopback, stopped by PID), and between processes: login and link-state
events, presence, channel and user messages (non-ASCII text, binary, in order),
a user message to a user who left, Janus restarted mid-stream (the link goes
DISCONNECTED then CONNECTED, resumed; no message duplicated), the Janus size
limit, and an agent of the original's RTM example shape in another process."""
import os
import subprocess
import sys
import threading
import time

import pytest

from agora_rtc import rtm
from agora_rtc.errors import InvalidArgumentError
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from agora_rtc.rtm import RtmConfig, RtmErrorCode as E, RtmLinkState, RtmPresenceEventType as P
from agora_rtc.rtm.base import MAX_MESSAGE_BYTES
from test_rtm import Handler

pytestmark = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)
HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def janus():
    with JanusServer() as srv:
        yield srv


@pytest.fixture
def via_janus(janus, monkeypatch):
    url = f"{janus.transport_url}?admin_key={janus.admin_key}&video=none"
    monkeypatch.setenv("AGORA_RTC_TRANSPORT_URL", url)
    return url


def logged_in(user, app):
    h = Handler()
    c = rtm.create_rtm_client(RtmConfig(app_id=app, user_id=user, event_handler=h))
    rc, rid = c.login("secret-token")
    assert rc == 0
    h.wait(lambda: h.of("login") == [(rid, 0)], timeout=30)
    return c, h


def subscribed_pair(app, channel):
    a, ha = logged_in("alice", app)
    b, hb = logged_in("bob", app)
    for c, h in ((a, ha), (b, hb)):
        rc, rid = c.subscribe(channel, rtm.SubscribeOptions(with_presence=True, be_quiet=False))
        assert rc == 0
        h.wait(lambda: (rid, channel, 0) in h.of("subscribe"), timeout=30)
    # each sees the other in the channel once Janus forwards the other's messages to it
    ha.wait(lambda: any(e[0].type == P.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL
                        and e[0].publisher == "bob" for e in ha.of("presence")), timeout=30)
    hb.wait(lambda: any(e[0].type == P.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL
                        and e[0].publisher == "alice" for e in hb.of("presence")), timeout=30)
    return a, ha, b, hb


def test_messages_presence_and_a_user_who_left_through_janus(via_janus):
    a, ha, b, hb = subscribed_pair("app-j1", "room")
    try:
        links = [(e[0].previous_state, e[0].current_state) for e in ha.of("link")]
        assert links == [(RtmLinkState.RTM_LINK_STATE_IDLE, RtmLinkState.RTM_LINK_STATE_CONNECTING),
                         (RtmLinkState.RTM_LINK_STATE_CONNECTING, RtmLinkState.RTM_LINK_STATE_CONNECTED)]
        sent = ["héllo ✓ 你好", b"\x00\xff\xfe binary"] + [f"#{i}" for i in range(20)]
        for m in sent:
            assert a.publish("room", m)[0] == 0
        assert a.send_user_message("bob", "psst ü")[0] == 0
        hb.wait(lambda: len(hb.of("message")) == len(sent) + 1, timeout=20)
        channel = [e[0] for e in hb.of("message") if e[0].channel_type == 1]
        assert [m.message for m in channel] == [m.encode() if isinstance(m, str) else m for m in sent]
        assert channel[0].message_type == 1 and channel[1].message_type == 0   # STRING, BINARY
        assert {(m.publisher, m.channel_name) for m in channel} == {("alice", "room")}
        user = [e[0] for e in hb.of("message") if e[0].channel_type == 3]
        assert [(m.message, m.publisher) for m in user] == [("psst ü".encode(), "alice")]
        # RTM's 32 KiB through Janus (33 datagrams each, put back together), both ways
        with pytest.raises(InvalidArgumentError, match=f"at most {MAX_MESSAGE_BYTES} bytes"):
            a.publish("room", b"x" * (MAX_MESSAGE_BYTES + 1))
        big = bytes(range(256)) * (MAX_MESSAGE_BYTES // 256)
        assert a.publish("room", big)[0] == 0
        assert a.publish("room", "after the big one")[0] == 0
        assert b.send_user_message("alice", big[::-1])[0] == 0
        hb.wait(lambda: hb.of("message")[-1][0].message == b"after the big one", timeout=30)
        assert [e[0].message for e in hb.of("message")][-2] == big          # whole, in order
        ha.wait(lambda: [e[0].message for e in ha.of("message")] == [big[::-1]], timeout=30)
        assert a.dropped_messages == 0 and b.dropped_messages == 0
        # bob logs out: alice sees him leave, and a user message to him is not delivered
        rc, rid = b.logout()
        hb.wait(lambda: hb.of("logout") == [(rid, 0)], timeout=30)
        ha.wait(lambda: any(e[0].type == P.RTM_PRESENCE_EVENT_TYPE_REMOTE_LEAVE_CHANNEL
                            and e[0].publisher == "bob" for e in ha.of("presence")), timeout=30)
        deadline = time.monotonic() + 20
        while True:   # the lobby reports him gone a moment after the channel
            rc, rid = a.send_user_message("bob", "anyone?")
            assert rc == 0
            ha.wait(lambda: any(e[0] == rid for e in ha.of("publish")), timeout=10)
            if (rid, E.RTM_ERROR_CHANNEL_RECEIVER_OFFLINE) in ha.of("publish"):
                break
            assert time.monotonic() < deadline, ha.of("publish")[-3:]
            time.sleep(0.2)
    finally:
        a.release()
        b.release()


def test_a_lost_datagram_drops_its_message_only(via_janus):
    """A datagram of a 32 KiB message never leaves (the room connection's send drops it):
    through the real Janus the receiver drops that message whole, counts it, and the
    messages around it arrive in order."""
    a, ha, b, hb = subscribed_pair("app-loss", "lossy")
    try:
        conn = a._janus.channels["lossy"].conn
        send, count = conn.send_stream_message, [0]

        def lossy_send(data):
            count[0] += 1
            return 0 if count[0] == 4 else send(data)   # the big one's 3rd datagram
        conn.send_stream_message = lossy_send
        for m in (b"before", b"B" * MAX_MESSAGE_BYTES, b"after"):
            assert a.publish("lossy", m)[0] == 0
        hb.wait(lambda: [e[0].message for e in hb.of("message")][-1:] == [b"after"], timeout=30)
        assert [e[0].message for e in hb.of("message")] == [b"before", b"after"]
        assert b.dropped_messages == 1
        ha.wait(lambda: len(ha.of("publish")) == 3, timeout=10)
    finally:
        a.release()
        b.release()


def test_janus_restarted_mid_stream(via_janus, janus):
    a, ha, b, hb = subscribed_pair("app-j2", "restart")
    stop, sent = threading.Event(), []

    def stream():
        i = 0
        while not stop.is_set():
            rc, _ = a.publish("restart", b"n%d" % i)
            sent.append((i, rc))
            i += 1
            time.sleep(0.05)

    t = threading.Thread(target=stream, daemon=True)
    try:
        t.start()
        hb.wait(lambda: len(hb.of("message")) >= 10, timeout=20)
        janus.kill()
        ha.wait(lambda: any(e[0].current_state == RtmLinkState.RTM_LINK_STATE_DISCONNECTED
                            for e in ha.of("link")), timeout=20)
        janus.restart()
        for h in (ha, hb):
            h.wait(lambda: any(e[0].current_state == RtmLinkState.RTM_LINK_STATE_CONNECTED
                               and e[0].is_resumed for e in h.of("link")), timeout=60)
        n = len(sent)
        hb.wait(lambda: any(int(e[0].message[1:]) >= n + 20 for e in hb.of("message")), timeout=40)
    finally:
        stop.set()
        t.join(5)
        a.release()
        b.release()
    got = [int(e[0].message[1:]) for e in hb.of("message")]
    assert len(got) == len(set(got)), "a message was duplicated"
    assert got == sorted(got), "messages were reordered"
    assert set(got) <= {i for i, rc in sent if rc == 0}


def test_an_original_style_rtm_agent_in_another_process(via_janus, tmp_path):
    env = dict(os.environ, AGORA_RTC_TRANSPORT_URL=via_janus)
    agent = subprocess.Popen([sys.executable, "-m", "agora_rtc.compat",
                              os.path.join(HERE, "compat_scripts", "rtm_echo_agent.py"),
                              "app-j3", "chan", "agent"], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    c, h = logged_in("tester", "app-j3")
    try:
        rc, rid = c.subscribe("chan", rtm.SubscribeOptions(with_presence=True, be_quiet=False))
        h.wait(lambda: any(e[0].type == P.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL
                           and e[0].publisher == "agent" for e in h.of("presence")), timeout=60)
        time.sleep(1.0)   # the agent's side of the forward of our messages (it saw us join)
        assert c.publish("chan", "héllo ✓")[0] == 0
        h.wait(lambda: len(h.of("message")) >= 2, timeout=30)
        echoes = sorted((e[0].channel_type, e[0].message, e[0].publisher) for e in h.of("message"))
        assert echoes == [(1, "héllo ✓".encode(), "agent"), (3, "héllo ✓".encode(), "agent")]
    finally:
        agent.send_signal(2)
        out, _ = agent.communicate(timeout=60)
        c.release()
    assert agent.returncode == 0, out
    assert "on_login_result 1 0" in out and "on_logout_result" in out and "done" in out, out


def test_garbage_at_an_rtm_data_socket(via_janus):
    """Random datagrams at the data socket of bob's channel room for alice: never an
    error, counted (malformed datagrams, or messages lost when they look like a fragment),
    and alice's next messages arrive."""
    import random
    import socket
    a, ha, b, hb = subscribed_pair("app-garbage", "noisy")
    try:
        link = b._janus.channels["noisy"].conn._link
        port = next(iter(link._dforwards.values())).port
        rnd = random.Random(25)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for i in range(200):
                d = bytearray(rnd.randrange(256) for _ in range(rnd.choice((1, 7, 8, 100, 1024))))
                if rnd.random() < 0.5:
                    d[0] = 2                      # the envelope's version: looks like ours
                s.sendto(bytes(d), ("127.0.0.1", port))
                if i % 50 == 49:
                    time.sleep(0.05)
        deadline = time.monotonic() + 20
        while b.malformed_datagrams + b.dropped_messages == 0:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1.1)                           # the garbage's second of the receive limits
        for m in ("after the noise", "✓ 2"):
            assert a.publish("noisy", m)[0] == 0
        hb.wait(lambda: [e[0].message for e in hb.of("message")][-2:] == [b"after the noise", "✓ 2".encode()],
                timeout=30)
        assert all(e[0].publisher == "alice" for e in hb.of("message"))
    finally:
        a.release()
        b.release()


def test_what_waits_to_be_sent_is_bounded_and_refusals_are_reported(via_janus, monkeypatch):
    """Messages wait for the pacing in a bounded queue: past it publish's result is
    RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_TOO_FREQUENT (nothing dropped silently), and what was
    accepted arrives whole and in order."""
    from agora_rtc.rtm import paced_sender
    monkeypatch.setattr(paced_sender, "MAX_QUEUED_BYTES", 2 * MAX_MESSAGE_BYTES + 1024)
    a, ha, b, hb = subscribed_pair("app-queue", "busy")
    try:
        rids = []
        for i in range(5):
            rc, rid = a.publish("busy", bytes([i]) * MAX_MESSAGE_BYTES)
            assert rc == 0
            rids.append(rid)
        ha.wait(lambda: len(ha.of("publish")) == 5, timeout=30)
        results = dict(ha.of("publish"))
        refused = [i for i, rid in enumerate(rids) if results[rid] == E.RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_TOO_FREQUENT]
        sent = [i for i, rid in enumerate(rids) if results[rid] == 0]
        assert sent and refused and sorted(sent + refused) == list(range(5))
        hb.wait(lambda: len(hb.of("message")) == len(sent), timeout=30)
        assert [e[0].message for e in hb.of("message")] == [bytes([i]) * MAX_MESSAGE_BYTES for i in sent]
        assert b.dropped_messages == 0
    finally:
        a.release()
        b.release()
