"""agora_rtc.rtm on the in-process network, through the original's API: login and
link-state events, channels with presence, channel and user messages (non-ASCII
text and binary, in order), a message to a user who left, Agora's size and rate
limits, a second login with the same user id, bad input."""
import threading
import time

import pytest

from agora_rtc.errors import InvalidArgumentError
from agora_rtc import rtm
from agora_rtc.rtm import (MAX_MESSAGE_BYTES, MESSAGES_PER_SEC, IRtmEventHandler, PublishOptions,
                           RtmChannelType, RtmConfig, RtmErrorCode as E, RtmLinkState,
                           RtmLinkStateChangeReason, RtmMessageType, RtmPresenceEventType,
                           SubscribeOptions)


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    """These tests are about the in-process network (a Janus URL in the environment
    would take RTM through Janus: tests/test_rtm_janus.py)."""
    monkeypatch.delenv("AGORA_RTC_TRANSPORT_URL", raising=False)


class Handler(IRtmEventHandler):
    def __init__(self):
        self.events = []
        self.cond = threading.Condition()

    def _add(self, *e):
        with self.cond:
            self.events.append(e)
            self.cond.notify_all()

    def on_login_result(self, request_id, error_code): self._add("login", request_id, error_code)
    def on_logout_result(self, request_id, error_code): self._add("logout", request_id, error_code)
    def on_link_state_event(self, event): self._add("link", event)
    def on_subscribe_result(self, request_id, channel_name, error_code): self._add("subscribe", request_id, channel_name, error_code)
    def on_unsubscribe_result(self, request_id, channel_name, error_code): self._add("unsubscribe", request_id, channel_name, error_code)
    def on_publish_result(self, request_id, error_code): self._add("publish", request_id, error_code)
    def on_message_event(self, event): self._add("message", event)
    def on_presence_event(self, event): self._add("presence", event)
    def on_renew_token_result(self, request_id, server_type, channel_name, error_code): self._add("renew", request_id, error_code)

    def of(self, kind):
        with self.cond:
            return [e[1:] for e in self.events if e[0] == kind]

    def wait(self, predicate, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not predicate():
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; events: {self.events[-10:]}"
                self.cond.wait(left)


def client(user, app="app-rtm"):
    h = Handler()
    c = rtm.create_rtm_client(RtmConfig(app_id=app, user_id=user, event_handler=h))
    return c, h


def logged_in(user, app="app-rtm"):
    c, h = client(user, app)
    rc, rid = c.login("token")
    assert rc == 0 and rid > 0
    h.wait(lambda: h.of("login") == [(rid, 0)])
    return c, h


def subscribed(c, h, channel, **options):
    rc, rid = c.subscribe(channel, SubscribeOptions(**options))
    assert rc == 0
    h.wait(lambda: (rid, channel, 0) in h.of("subscribe"))


def test_login_link_states_messages_presence_and_logout():
    a, ha = logged_in("alice")
    links = [e[0] for e in ha.of("link")]
    assert [(l.previous_state, l.current_state) for l in links] == [
        (RtmLinkState.RTM_LINK_STATE_IDLE, RtmLinkState.RTM_LINK_STATE_CONNECTING),
        (RtmLinkState.RTM_LINK_STATE_CONNECTING, RtmLinkState.RTM_LINK_STATE_CONNECTED)]
    assert links[1].reason_code == RtmLinkStateChangeReason.RTM_LINK_STATE_CHANGE_REASON_LOGIN_SUCCESS
    b, hb = logged_in("bob")
    try:
        subscribed(a, ha, "room", with_presence=True, be_quiet=False)
        subscribed(b, hb, "room", with_presence=True, be_quiet=False)
        snap = [e[0] for e in hb.of("presence")]
        assert snap[0].type == RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_SNAPSHOT
        assert sorted(u.user_id for u in snap[0].snapshot.user_state_list) == ["alice", "bob"]
        ha.wait(lambda: any(e[0].type == RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL
                            and e[0].publisher == "bob" for e in ha.of("presence")))
        # channel messages both ways: non-ASCII text, binary, in order
        sent = ["héllo ✓ 你好", b"\x00\xff\xfe binary"] + [f"#{i}" for i in range(30)]
        for m in sent:
            assert a.publish("room", m)[0] == 0
        assert b.send_channel_message("room", "from bob")[0] == 0
        want = [m.encode() if isinstance(m, str) else m for m in sent]
        hb.wait(lambda: len(hb.of("message")) == len(sent))
        got = [e[0] for e in hb.of("message")]
        assert [m.message for m in got] == want
        assert got[0].message_type == RtmMessageType.RTM_MESSAGE_TYPE_STRING
        assert got[1].message_type == RtmMessageType.RTM_MESSAGE_TYPE_BINARY
        assert {(m.publisher, m.channel_name, m.channel_type) for m in got} == {
            ("alice", "room", RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE)}
        ha.wait(lambda: [e[0].message for e in ha.of("message")] == [b"from bob"])
        ha.wait(lambda: len(ha.of("publish")) == len(sent) and all(e[1] == 0 for e in ha.of("publish")))
        # a user message, and one to a user who left
        rc, rid = a.send_user_message("bob", "psst ü")
        assert rc == 0
        hb.wait(lambda: any(e[0].channel_type == RtmChannelType.RTM_CHANNEL_TYPE_USER for e in hb.of("message")))
        user_msg = [e[0] for e in hb.of("message") if e[0].channel_type == RtmChannelType.RTM_CHANNEL_TYPE_USER]
        assert [(m.message, m.publisher, m.channel_name) for m in user_msg] == [("psst ü".encode(), "alice", "alice")]
        rc, rid_b = b.logout()
        assert rc == 0
        hb.wait(lambda: hb.of("logout") == [(rid_b, 0)])
        assert hb.of("link")[-1][0].current_state == RtmLinkState.RTM_LINK_STATE_IDLE
        assert hb.of("link")[-1][0].affected_channels == ["room"]
        ha.wait(lambda: any(e[0].type == RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_LEAVE_CHANNEL
                            and e[0].publisher == "bob" for e in ha.of("presence")))
        rc, rid = a.send_user_message("bob", "anyone?")
        assert rc == 0
        ha.wait(lambda: (rid, E.RTM_ERROR_CHANNEL_RECEIVER_OFFLINE) in ha.of("publish"))
        n = len(hb.of("message"))
        assert a.publish("room", "nobody subscribed but me")[0] == 0
        time.sleep(0.2)
        assert len(hb.of("message")) == n                        # bob left: nothing reaches him
        assert b.publish("room", "x") == (E.RTM_ERROR_NOT_LOGIN, 0)
    finally:
        a.release()
        b.release()
    assert a.login("t") == (E.RTM_ERROR_INSTANCE_ALREADY_RELEASED, 0)


def test_limits_and_bad_input():
    a, ha = logged_in("carol")
    b, hb = logged_in("dave")
    try:
        subscribed(b, hb, "limits")
        assert a.publish("limits", b"x" * MAX_MESSAGE_BYTES)[0] == 0
        with pytest.raises(InvalidArgumentError, match="32768"):
            a.publish("limits", b"x" * (MAX_MESSAGE_BYTES + 1))
        with pytest.raises(InvalidArgumentError, match="must not be empty"):
            a.publish("limits", "")
        with pytest.raises(TypeError, match="message must be str, bytes"):
            a.publish("limits", 42)
        with pytest.raises(InvalidArgumentError, match="1..64 bytes"):
            a.subscribe("x" * 65)
        with pytest.raises(TypeError, match="channel_name must be a str"):
            a.subscribe(None)
        with pytest.raises(InvalidArgumentError, match="channel_type"):
            a.publish("limits", "x", PublishOptions(channel_type=RtmChannelType.RTM_CHANNEL_TYPE_STREAM))
        with pytest.raises(TypeError, match="RtmConfig"):
            rtm.RTMClient({"app_id": "a"})
        with pytest.raises(InvalidArgumentError, match="user_id"):
            rtm.RTMClient(RtmConfig(app_id="a", user_id=""))
        time.sleep(1.0)                                            # a fresh second
        t0 = time.monotonic()
        codes = [a.publish("limits", b"%d" % i)[0] for i in range(MESSAGES_PER_SEC + 1)]
        if time.monotonic() - t0 >= 0.9:
            pytest.skip("the machine was too slow to publish the burst within one second")
        assert codes[:-1] == [0] * MESSAGES_PER_SEC
        assert codes[-1] == E.RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_TOO_FREQUENT
        hb.wait(lambda: len(hb.of("message")) == MESSAGES_PER_SEC + 1)   # the refused one never arrives
        assert hb.of("message")[-1][0].message == b"%d" % (MESSAGES_PER_SEC - 1)
    finally:
        a.release()
        b.release()


def test_same_user_id_logging_in_elsewhere_takes_over():
    a, ha = logged_in("erin")
    a2, ha2 = logged_in("erin")
    try:
        ha.wait(lambda: ha.of("link")[-1][0].current_state == RtmLinkState.RTM_LINK_STATE_FAILED)
        assert ha.of("link")[-1][0].reason_code == RtmLinkStateChangeReason.RTM_LINK_STATE_CHANGE_REASON_SAME_UID_LOGIN
        assert a.publish("c", "x") == (E.RTM_ERROR_NOT_LOGIN, 0)
        assert a2.publish("c", "x")[0] == 0
    finally:
        a.release()
        a2.release()


def test_a_slow_handler_holds_a_bounded_backlog(monkeypatch):
    monkeypatch.setattr(rtm.base, "MAX_PENDING_EVENTS", 20)
    gate = threading.Event()

    class Slow(Handler):
        def on_message_event(self, event):
            gate.wait(10)
            super().on_message_event(event)

    h = Slow()
    b = rtm.create_rtm_client(RtmConfig(app_id="app-slow", user_id="slow", event_handler=h))
    a, ha = logged_in("fast", app="app-slow")
    try:
        b.login("t")
        subscribed(b, h, "flood")
        for i in range(50):
            assert a.publish("flood", b"%d" % i)[0] == 0
        assert b.dropped_events >= 50 - 20 - 1
        gate.set()
        h.wait(lambda: len(h.of("message")) >= 20)
        got = [int(e[0].message) for e in h.of("message")]
        assert got == sorted(got) and got[-1] == 49               # the newest kept, in order
    finally:
        gate.set()
        a.release()
        b.release()


def test_unsubscribe_renew_and_a_raising_handler():
    class Raising(Handler):
        def on_message_event(self, event):
            super().on_message_event(event)
            raise RuntimeError("a bug in the application's handler")

    h = Raising()
    b = rtm.create_rtm_client(RtmConfig(app_id="app-misc", user_id="gina", event_handler=h))
    a, ha = logged_in("hank", app="app-misc")
    try:
        rc, rid = b.login("t")
        h.wait(lambda: h.of("login") == [(rid, 0)])
        subscribed(b, h, "misc")
        for m in ("one", "two"):
            assert a.publish("misc", m)[0] == 0
        h.wait(lambda: [e[0].message for e in h.of("message")] == [b"one", b"two"])  # both, despite the raise
        rc, rid = b.renew_token("new")
        assert rc == 0
        h.wait(lambda: h.of("renew") == [(rid, 0)])
        rc, rid = b.unsubscribe("misc")
        h.wait(lambda: (rid, "misc", 0) in h.of("unsubscribe"))
        rc, rid = b.unsubscribe("misc")
        h.wait(lambda: (rid, "misc", E.RTM_ERROR_CHANNEL_NOT_SUBSCRIBED) in h.of("unsubscribe"))
        rc, rid = b.subscribe("misc")
        h.wait(lambda: (rid, "misc", 0) in h.of("subscribe"))
        rc, rid = b.subscribe("misc")
        h.wait(lambda: (rid, "misc", E.RTM_ERROR_DUPLICATE_OPERATION) in h.of("subscribe"))
        assert a.publish("misc", "three")[0] == 0
        h.wait(lambda: [e[0].message for e in h.of("message")][-1] == b"three")
    finally:
        a.release()
        b.release()
