"""Play an audio-modality LLM's streamed reply into a channel.

An audio-modality endpoint answers with SSE: a transcript message, base64
PCM16 chunks, then [DONE]. AudioModalityClient.play() pushes each chunk with
push_audio_pcm_data as it arrives (the engine paces it natively) and sends
the transcript to the app as a stream message (subtitles). Without --url,
the example endpoint (examples/audio_modality_server.py) is started on
loopback and stopped at the end.

Run:  python examples/audio_modality_agent.py [--url http://127.0.0.1:8000/audio/chat/completions]
      [--say "what is the weather like"]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys

import agora_rtc as ar
from agora_rtc.agent import AudioModalityClient
from _shared import Listener, sync_point

CHANNEL = "modality-room"


def start_example_server():
    server = os.path.join(os.path.dirname(os.path.abspath(__file__)), "audio_modality_server.py")
    proc = subprocess.Popen([sys.executable, server, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the example server did not start: {line!r}")
    return proc, line.split()[-1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default=None)
    ap.add_argument("--api-key", default="any-api-key")
    ap.add_argument("--say", default="what is the weather like in Paris")
    args = ap.parse_args(argv)
    proc, url = (None, args.url) if args.url else start_example_server()
    try:
        print(f"endpoint: {url}", flush=True)
        client = AudioModalityClient(url, args.api_key)
        with ar.AgoraService(ar.AgoraServiceConfig(appid="example")) as service:
            agent_obs, app = Listener(), Listener()
            agent = service.create_rtc_connection(ar.RTCConnConfig())
            agent.register_observer(agent_obs)
            app_conn = service.create_rtc_connection(ar.RTCConnConfig())
            app_conn.register_observer(app)
            app_conn.register_local_user_observer(app)
            app_conn.register_audio_frame_observer(app)
            agent.connect("", CHANNEL, "agent")
            app_conn.connect("", CHANNEL, "app")
            if not (agent_obs.connected.wait(5) and app.connected.wait(5)):
                print("not connected", file=sys.stderr)
                return 1
            agent.publish_audio()
            result = client.play(agent, [{"role": "user", "content": args.say}],
                                 on_transcript=lambda text: agent.send_stream_message(text[:300]))
            print(f"agent: transcript {result.transcript!r}", flush=True)
            print(f"agent: {result.chunks} audio chunks, {result.pushed_ms:.0f} ms pushed; "
                  f"[DONE] received: {'yes' if result.completed else 'no'}", flush=True)
            agent.wait_push_completed(result.pushed_ms / 1000 + 10)
            sync_point(agent, app)
            heard = len(app.pcm.get("agent", b"")) / 32
            subtitles = [m.decode("utf-8") for uid, m in app.messages if not m.startswith(b"sync-")]
            print(f"app: subtitle {subtitles[0]!r}" if subtitles else "app: no subtitle", flush=True)
            print(f"app: heard {app.frames.get('agent', 0)} frames ({heard:.0f} ms) of the agent's reply",
                  flush=True)
            return 0 if result.completed and abs(heard - result.pushed_ms) < 10 else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
