"""JanusLink's ordering of engine events, without a server: publisher events
arrive on the Janus client's dispatch thread and may race the connect thread,
but the engine must see CONNECTED before any USER_JOINED (it refuses user
events on a connection that is not connected)."""
from agora_rtc.janus import link as jl


class FakeConn:
    """Records what the link posts, refusing user events before CONNECTED like the engine."""

    def __init__(self):
        self.posted = []
        self.connected = False

    def _post_event(self, event, user_id, reason):
        if event in (jl.EV_USER_JOINED, jl.EV_USER_LEFT) and not self.connected:
            return -8
        if event == jl.EV_CONNECTED:
            self.connected = True
        self.posted.append((event, user_id.decode()))
        return 0


def test_joins_seen_while_connecting_are_posted_after_connected():
    conn = FakeConn()
    link = jl.JanusLink(conn, "http://127.0.0.1:1/janus", admin_key=None)
    link._post_user(jl.EV_USER_JOINED, "agent")      # dispatch thread wins the race
    link._post_user(jl.EV_USER_JOINED, "bob")
    link._post_user(jl.EV_USER_LEFT, "bob")          # came and went while we connected
    assert conn.posted == []
    link._go_live()
    assert conn.posted == [(jl.EV_CONNECTED, ""), (jl.EV_USER_JOINED, "agent")]
    link._post_user(jl.EV_USER_LEFT, "agent")
    assert conn.posted[-1] == (jl.EV_USER_LEFT, "agent")

