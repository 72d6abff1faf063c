"""Push TTS audio with AudioConsumer (the original example_audio_consumer).

The original paced TTS audio from a Python timer: push_pcm_data() queued it
and a loop called consume() every few tens of ms. The same code runs here,
but the pacing is the engine's native media clock: consume() only reports how
many 10 ms frames have left. When is_push_to_rtc_completed() turns true the
agent tells the app with a stream message (the original's "playback finished"
signal); the app (a listener here) checks it came after the last frame.

Run:  python examples/audio_consumer.py [--audioFile agent_answer.wav] [--interval-ms 40]
"""
from __future__ import annotations

import argparse
import sys
import time

import agora_rtc as ar
from _shared import Listener, load_audio


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--channelId", default="consumer-room")
    ap.add_argument("--audioFile", default="agent_answer.wav")
    ap.add_argument("--interval-ms", type=int, default=40, help="how often the timer calls consume()")
    args = ap.parse_args(argv)
    pcm = load_audio(args.audioFile)

    with ar.AgoraService(ar.AgoraServiceConfig(appid="example")) as service:
        app = Listener()
        app_conn = service.create_rtc_connection(ar.RTCConnConfig())
        app_conn.register_observer(app)
        app_conn.register_local_user_observer(app)
        app_conn.register_audio_frame_observer(app)
        app_conn.connect("", args.channelId, "app")
        agent_events = Listener()
        agent = service.create_rtc_connection(ar.RTCConnConfig())
        agent.register_observer(agent_events)
        agent.connect("", args.channelId, "agent")
        if not (app.connected.wait(5) and agent_events.connected.wait(5)):
            print("not connected", file=sys.stderr)
            return 1
        agent.publish_audio()

        consumer = ar.AudioConsumer(agent, 16000, 1)
        consumer.push_pcm_data(pcm)
        print(f"agent: queued {pcm.size / 16:.0f} ms of TTS audio ({len(consumer)} bytes waiting)", flush=True)
        ticks, last = 0, -1
        deadline = time.monotonic() + pcm.size / 16000 + 15
        while not consumer.is_push_to_rtc_completed() and time.monotonic() < deadline:
            time.sleep(args.interval_ms / 1000)     # the original's timer
            sent = consumer.consume()
            ticks += 1
            if ticks % 25 == 0 and sent != last:
                print(f"agent: consume() -> {sent} frames sent, {len(consumer)} bytes waiting", flush=True)
            last = sent
        completed = consumer.is_push_to_rtc_completed()
        frames = consumer.consume()
        agent.send_stream_message("tts-finished")
        print(f"agent: completed={completed} after {ticks} timer ticks; consume() = {frames} frames", flush=True)
        app.wait(lambda: any(m == b"tts-finished" for _, m in app.messages), 5)
        with app.cond:
            heard = app.frames.get("agent", 0)
        print(f"app: got 'tts-finished' after {heard} frames of the agent's audio "
              f"({len(app.pcm.get('agent', b'')) / 32:.0f} ms)", flush=True)
        consumer.release()
        return 0 if completed and heard == frames else 1


if __name__ == "__main__":
    sys.exit(main())
