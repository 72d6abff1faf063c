"""A phone agent on a Twilio number: ReplyOnPause answers callers, unchanged.

The agent joins a channel like any agent written for browser users and answers
each turn with the recorded answer (examples/assets/agent_answer.wav). The
Twilio endpoint (agora_rtc.telephony.TwilioMediaStreams), mounted at
/telephone, brings each phone caller into that channel as a remote user: Twilio
asks /telephone/incoming what to do with a call, gets TwiML that connects the
call's audio to the WebSocket /telephone/handler, and the caller's speech
reaches the agent as 10 ms frames with VAD, the agent's answer goes back to the
phone, a barge-in clears what Twilio has buffered. Pressing 0 on the keypad
hangs up; other digits are printed.

Run (README "Phone calls through Twilio"):
    python examples/twilio_agent.py --port 8000     # serve; point the number at https://<public host>/telephone/incoming
    python examples/twilio_agent.py --call-self     # one simulated Twilio call on loopback, then exit

--call-self plays Twilio's side itself (its frames written from Twilio's
published message format): it asks the recorded question as 20 ms mu-law
chunks in real time and prints what the agent heard and what came back.
Needs uvicorn (`pip install 'agora_rtc[telephony]'`).
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import sys
import threading
import time
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _shared import load_audio  # noqa: E402

import agora_rtc as ar  # noqa: E402
from agora_rtc.agent import ReplyOnPause  # noqa: E402
from agora_rtc.telephony import TwilioCallObserver, TwilioMediaStreams, pcm16_to_ulaw, ulaw_to_pcm16  # noqa: E402

CHANNEL = "phone-agent"


class PhoneEvents(TwilioCallObserver):
    """What telephony adds: calls starting and ending, keypad digits."""

    def __init__(self):
        self.ended = threading.Event()

    def on_call_started(self, call):
        print(f"call {call.call_sid}: {call.user_id} joined channel {call.channel_id}", flush=True)

    def on_dtmf(self, call, digit):
        print(f"call {call.call_sid}: pressed {digit}", flush=True)
        if digit == "0":
            call.hang_up()

    def on_call_ended(self, call, reason):
        print(f"call {call.call_sid}: ended ({reason}); sent {call.stats['media_out']} media messages, "
              f"{call.stats['clears']} clears", flush=True)
        self.ended.set()


def start_agent(service):
    answer = load_audio("agent_answer.wav")

    def reply(audio):                      # one whole turn of the caller, (rate, array)
        rate, pcm = audio
        print(f"agent: heard a turn of {pcm.shape[-1] * 1000 // rate} ms, answering", flush=True)
        yield 16000, answer[np.newaxis, :]

    conn = service.create_rtc_connection(ar.RTCConnConfig())
    conn.connect("", CHANNEL, "agent")
    conn.publish_audio()
    return conn, ReplyOnPause(reply).start(conn)


def call_self(port: int, question: np.ndarray) -> dict:
    """Twilio's side of one call: webhook, then the media stream."""
    from websockets.sync.client import connect
    form = b"CallSid=CAself&From=%2B15551230000&To=%2B15559870000"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/telephone/incoming", data=form, timeout=10) as r:
        twiml = r.read().decode()
    print(f"webhook answered: {twiml}", flush=True)
    stream = "MZ" + "0" * 32
    heard, clears = [], 0
    ws = connect(f"ws://127.0.0.1:{port}/telephone/handler", legacy=True)   # legacy: no `with` block
    ws.send('{"event": "connected", "protocol": "Call", "version": "1.0.0"}')
    ws.send(json.dumps({"event": "start", "sequenceNumber": "1", "start": {
        "accountSid": "AC" + "0" * 32, "streamSid": stream, "callSid": "CAself", "tracks": ["inbound"],
        "customParameters": {"From": "+15551230000", "To": "+15559870000"},
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}, "streamSid": stream}))
    ulaw = pcm16_to_ulaw(question[::2].copy())          # 16 -> 8 kHz (the recording has little above 4 kHz)
    ulaw += b"\xff" * 8000 * 6                          # then 6 s of silence while the agent answers
    for i in range(0, len(ulaw), 160):                  # 20 ms chunks in real time, as Twilio sends them
        n = i // 160 + 1
        ws.send(json.dumps({"event": "media", "sequenceNumber": str(n + 1), "media": {
            "track": "inbound", "chunk": str(n), "timestamp": str(n * 20),
            "payload": base64.b64encode(ulaw[i:i + 160]).decode()}, "streamSid": stream}))
        try:
            while True:
                msg = json.loads(ws.recv(timeout=0))
                if msg["event"] == "media":
                    heard.append(base64.b64decode(msg["media"]["payload"]))
                clears += msg["event"] == "clear"
        except TimeoutError:
            pass
        time.sleep(0.02)
    ws.send(json.dumps({"event": "stop", "sequenceNumber": "99999", "streamSid": stream,
                        "stop": {"accountSid": "AC" + "0" * 32, "callSid": "CAself"}}))
    ws.close()
    pcm = ulaw_to_pcm16(b"".join(heard))
    return {"heard_ms": pcm.size // 8, "clears": clears}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--call-self", action="store_true", help="simulate one Twilio call on loopback, then exit")
    args = ap.parse_args()
    import uvicorn

    with ar.AgoraService(ar.AgoraServiceConfig(appid="phone-agent")) as service:
        agent, rop = start_agent(service)
        events = PhoneEvents()
        endpoint = TwilioMediaStreams(service, CHANNEL, observer=events)

        async def app(scope, receive, send):          # /telephone/... -> the endpoint, as app.mount does
            if scope["type"] != "lifespan" and not scope["path"].startswith("/telephone/"):
                if scope["type"] == "http":
                    await send({"type": "http.response.start", "status": 404, "headers": []})
                    await send({"type": "http.response.body", "body": b""})
                return
            await endpoint(scope if scope["type"] == "lifespan" else dict(scope, root_path="/telephone"),
                           receive, send)

        sock = socket.socket()
        sock.bind((args.host, 0 if args.call_self else args.port))
        config = uvicorn.Config(app, log_level="warning", ws_max_size=64 * 1024)
        server = uvicorn.Server(config)
        if not args.call_self:
            print(f"serving on http://{args.host}:{sock.getsockname()[1]}/telephone/incoming", flush=True)
            server.run(sockets=[sock])
        else:
            thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
            thread.start()
            while not server.started:
                time.sleep(0.01)
            result = call_self(sock.getsockname()[1], load_audio("caller_question.wav"))
            events.ended.wait(10)
            server.should_exit = True
            thread.join(10)
            turns = len(rop.events("utterance"))
            print(f"agent: {turns} turns heard, {len(rop.events('interrupted'))} replies interrupted, "
                  f"{len(rop.events('reply_done'))} replies played to the end", flush=True)
            print(f"caller: heard {result['heard_ms']} ms of the agent, {result['clears']} clears", flush=True)
        rop.stop()
        agent.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())
