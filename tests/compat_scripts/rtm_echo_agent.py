# coding=utf-8
# An RTM agent in the style of the original SDK's RTM example: imports agora.rtm.*,
# logs in, subscribes to a channel (not quiet), and echoes every message it gets
# back to the channel and to its publisher as a user message, until SIGINT; then
# logs out and releases. Prints each callback.
# usage: rtm_echo_agent.py <app_id> <channel> <user_id>
import signal
import sys
import time

from agora.rtm.rtm_client import RTMClient, create_rtm_client
from agora.rtm.rtm_base import RtmConfig, RtmLogConfig, RtmLogLevel, SubscribeOptions
from agora.rtm.rtm_event_handler import IRtmEventHandler, MessageEvent, LinkStateEvent

running = True


class EchoHandler(IRtmEventHandler):
    def __init__(self):
        super().__init__()
        self.client = None

    def on_login_result(self, request_id, error_code):
        print(f"on_login_result {request_id} {error_code}", flush=True)

    def on_link_state_event(self, event: LinkStateEvent):
        print(f"on_link_state_event {event.previous_state}->{event.current_state}", flush=True)

    def on_subscribe_result(self, request_id, channel_name, error_code):
        print(f"on_subscribe_result {channel_name} {error_code}", flush=True)

    def on_publish_result(self, request_id, error_code):
        print(f"on_publish_result {request_id} {error_code}", flush=True)

    def on_logout_result(self, request_id, error_code):
        print(f"on_logout_result {request_id} {error_code}", flush=True)

    def on_message_event(self, event: MessageEvent):
        print(f"on_message_event {event.channel_name} {event.message!r} {event.publisher}", flush=True)
        self.client.send_channel_message(event.channel_name, event.message)
        self.client.send_user_message(event.publisher, event.message)


def stop(signum, frame):
    global running
    running = False


def main():
    signal.signal(signal.SIGINT, stop)
    app_id, channel, user = sys.argv[1:4]
    config = RtmConfig(app_id=app_id, user_id=user)
    config.log_config = RtmLogConfig(file_path="./logs/rtm.log", file_size_kb=1024,
                                     log_level=RtmLogLevel.RTM_LOG_LEVEL_INFO)
    handler = EchoHandler()
    config.event_handler = handler
    client: RTMClient = create_rtm_client(config)
    handler.client = client
    print(f"login {client.login(app_id)}", flush=True)
    client.subscribe(channel, SubscribeOptions(with_message=True, with_metadata=False,
                                               with_presence=False, with_lock=False, be_quiet=False))
    while running:
        time.sleep(0.05)
    client.logout()
    time.sleep(0.2)
    client.release()
    print("done", flush=True)


if __name__ == "__main__":
    main()
