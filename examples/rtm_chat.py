"""Messaging with RTM (the original's agora.rtm API) between an agent and a user.

Both log in (link state IDLE -> CONNECTING -> CONNECTED), subscribe to a channel
with presence (each sees the other arrive), exchange channel messages (str is a
STRING message, bytes a BINARY one) and a user message, and the user logs out:
the agent sees the user leave, and a user message to them comes back as
RTM_ERROR_CHANNEL_RECEIVER_OFFLINE. Runs on agora_rtc's in-process network.

Run:  python examples/rtm_chat.py [--count 5]
"""
from __future__ import annotations

import argparse
import queue

from agora_rtc import rtm

CHANNEL = "rtm-chat"


class Handler(rtm.IRtmEventHandler):
    """Puts every callback on a queue, for the main thread to read in order."""

    def __init__(self, name):
        self.name, self.events = name, queue.Queue()

    def on_link_state_event(self, event):
        self.events.put(("link", rtm.RtmLinkState(event.current_state).name))

    def on_login_result(self, request_id, error_code):
        self.events.put(("login", error_code))

    def on_subscribe_result(self, request_id, channel_name, error_code):
        self.events.put(("subscribe", error_code))

    def on_presence_event(self, event):
        kind = rtm.RtmPresenceEventType(event.type).name.replace("RTM_PRESENCE_EVENT_TYPE_", "")
        users = [u.user_id for u in event.snapshot.user_state_list] if event.snapshot else []
        self.events.put(("presence", kind, event.publisher, users))

    def on_message_event(self, event):
        self.events.put(("message", event.publisher, event.message, event.message_type))

    def on_publish_result(self, request_id, error_code):
        self.events.put(("publish", request_id, error_code))

    def next(self, kind):
        while True:
            event = self.events.get(timeout=5)
            if event[0] == kind:
                return event


def logged_in(user):
    handler = Handler(user)
    client = rtm.create_rtm_client(rtm.RtmConfig(app_id="example", user_id=user, event_handler=handler))
    client.login("token")
    print(f"{user}: link {handler.next('link')[1]} -> {handler.next('link')[1]}, "
          f"login result {handler.next('login')[1]}")
    client.subscribe(CHANNEL, rtm.SubscribeOptions(with_presence=True, be_quiet=False))
    handler.next("subscribe")
    return client, handler


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=5)
    args = ap.parse_args(argv)
    agent, agent_h = logged_in("agent")
    user, user_h = logged_in("user")
    try:
        print("agent sees:", agent_h.next("presence")[1:3])        # the agent's own snapshot
        print("agent sees:", agent_h.next("presence")[1:3])        # the user joining
        print("user's snapshot:", user_h.next("presence")[3])
        for i in range(args.count):
            agent.publish(CHANNEL, f"line {i}: 你好 ✓")
        agent.publish(CHANNEL, bytes([0, 1, 254, 255]))
        got = [user_h.next("message") for _ in range(args.count + 1)]
        texts = [m[2].decode() for m in got[:-1]]
        print(f"user received {len(got)} messages, in order: "
              f"{texts == [f'line {i}: 你好 ✓' for i in range(args.count)]}; "
              f"last is binary {got[-1][2].hex()} (type {got[-1][3]})")
        agent.send_user_message("user", "just for you")
        print("user got a user message:", user_h.next("message")[2].decode())
        user.logout()
        print("agent sees:", agent_h.next("presence")[1:3])
        _, rid = agent.send_user_message("user", "still there?")
        while True:
            _, got_rid, code = agent_h.next("publish")
            if got_rid == rid:
                break
        print(f"user message to a user who left: {rtm.RtmErrorCode(code).name}")
    finally:
        agent.release()
        user.release()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
