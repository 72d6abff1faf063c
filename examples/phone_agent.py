"""The demo agent on the phone: answers SIP calls to sip:<channel>@<listen address>.

A phone call is a remote user of the channel, so this is the demo agent's code
(examples/demo_agent.py) on a ``sip://`` transport URL: it hears the caller in
10 ms frames with VAD, answers each finished question by pushing recorded TTS
audio, cuts its answer off when the caller barges in (interrupt_audio), hangs
up when the caller presses '#', and says goodbye on on_user_left.

Run:   python examples/phone_agent.py --listen 127.0.0.1:5060 --channel agent
Call:  baresip, account <sip:me@127.0.0.1>;regint=0, then `/dial sip:agent@127.0.0.1:5060`
       (README "Phone calls (SIP)" also shows how to point a SIP trunk at it).
Encrypted (SRTP + SIP over TLS):
       --options "srtp=mandatory&tls_port=5061&cert=agent.pem", then baresip with the srtp
       module, account ...;mediaenc=srtp-mand: `/dial sip:agent@127.0.0.1:5061;transport=tls`
"""
from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time

import agora_rtc as ar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # demo_agent, when run from anywhere
from demo_agent import RATE, load_wav  # noqa: E402


def say(text: str) -> None:
    print(f"  {time.strftime('%H:%M:%S')}  {text}", flush=True)


class PhoneAgent(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    """Observer of the agent's connection: what happens goes to a queue the main loop reads."""

    def __init__(self):
        self.events: "queue.Queue[tuple]" = queue.Queue()

    def on_connected(self, conn, info, reason):
        say(f"listening: calls to channel {info.channel_id!r} reach this agent")

    def on_user_joined(self, conn, user_id):
        self.events.put(("joined", user_id))

    def on_user_left(self, conn, user_id, reason):
        self.events.put(("left", user_id))

    def on_dtmf_received(self, local_user, user_id, key, duration_ms):
        self.events.put(("key", key))

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        if state in (1, 3):                    # VAD start / stop of the caller's speech
            self.events.put(("speech" if state == 1 else "pause", uid))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:5060", help="ip:port SIP listens on")
    parser.add_argument("--channel", default="agent", help="the user part callers dial")
    parser.add_argument("--calls", type=int, default=0, help="exit after this many calls (0: never)")
    parser.add_argument("--options", default="",
                        help="more sip:// URL parameters, e.g. srtp=mandatory&tls_port=5061&cert=agent.pem")
    args = parser.parse_args(argv)
    answer = load_wav("agent_answer.wav")
    url = f"sip://{args.listen}" + (f"?{args.options}" if args.options else "")
    with ar.AgoraService(ar.AgoraServiceConfig(appid="phone-agent", transport_url=url)) as service:
        agent = PhoneAgent()
        conn = service.create_rtc_connection(ar.RTCConnConfig())
        conn.register_observer(agent)
        conn.register_local_user_observer(agent)
        conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, RATE)
        conn.register_audio_frame_observer(agent, 1, ar.AudioVadConfigV2.for_agents())
        conn.connect("", args.channel, "agent")
        conn.publish_audio()
        say(f"SIP on {args.listen} (port {service.sip.port}): dial sip:{args.channel}@{args.listen}")
        calls, talking = 0, False
        while True:
            kind, who = agent.events.get()
            if kind == "joined":
                say(f"call from {who!r} answered ({conn.phone.call.codec})")
            elif kind == "speech" and talking and not conn.is_push_to_rtc_completed():
                conn.interrupt_audio()
                say(f"{who!r} barged in: answer cut after {conn.last_interrupt.sent_ms} ms")
            elif kind == "pause":
                say(f"{who!r} paused: answering with {len(answer) / RATE:.1f} s of audio")
                conn.push_audio_pcm_data(answer, RATE, 1)
                talking = True
            elif kind == "key":
                say(f"key {who!r} pressed")
                if who == "#":
                    conn.phone.hangup()
            elif kind == "left":
                calls += 1
                say(f"{who!r} hung up (call {calls})")
                conn.interrupt_audio()
                talking = False
                if args.calls and calls >= args.calls:
                    break
        conn.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
