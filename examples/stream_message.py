"""Stream messages between users (the original's stream message sample).

The agent sends text (str, sent as UTF-8, so Chinese and emoji survive) and
bytes to everyone in the channel; a client receives them in order with
on_stream_message. Messages are at most 1024 bytes; a larger one raises
ValueError instead of being cut. Typical use: subtitles for the agent's speech,
or "the TTS finished" signals.

Run:  python examples/stream_message.py [--count 20]
"""
from __future__ import annotations

import argparse
import json
import sys

import agora_rtc as ar
from _shared import Listener

CHANNEL = "message-room"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20)
    args = ap.parse_args(argv)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="example")) as service:
        agent_obs, client = Listener(), Listener()
        agent = service.create_rtc_connection(ar.RTCConnConfig())
        agent.register_observer(agent_obs)
        client_conn = service.create_rtc_connection(ar.RTCConnConfig())
        client_conn.register_observer(client)
        client_conn.register_local_user_observer(client)
        agent.connect("", CHANNEL, "agent")
        client_conn.connect("", CHANNEL, "client")
        if not (agent_obs.connected.wait(5) and client.connected.wait(5)):
            print("not connected", file=sys.stderr)
            return 1
        sent = []
        for i in range(args.count):
            if i % 3 == 0:
                msg = f"字幕 {i}: 你好，世界 🌍"                          # str -> UTF-8
            elif i % 3 == 1:
                msg = json.dumps({"type": "subtitle", "seq": i, "text": "hello"})
            else:
                msg = bytes([i % 256]) * 16                               # raw bytes
            rc = agent.send_stream_message(msg)
            if rc != 0:
                print(f"agent: send_stream_message returned {rc}", file=sys.stderr)
                return 1
            sent.append(msg.encode("utf-8") if isinstance(msg, str) else msg)
        try:
            agent.send_stream_message("x" * 1025)
            print("agent: a 1025-byte message was accepted?!", file=sys.stderr)
            return 1
        except ValueError as exc:
            print(f"agent: a 1025-byte message is refused: {exc}", flush=True)
        print(f"agent: sent {len(sent)} messages", flush=True)
        client.wait(lambda: len(client.messages) >= len(sent), 5)
        got = [m for uid, m in client.messages if uid == "agent"]
        print(f"client: first message decoded: {got[0].decode('utf-8')!r}" if got else "client: nothing", flush=True)
        in_order = got == sent
        print(f"client: received {len(got)} messages from 'agent'; identical and in order: "
              f"{'yes' if in_order else 'no'}", flush=True)
        return 0 if in_order else 1


if __name__ == "__main__":
    sys.exit(main())
