"""Voice activity detection on a remote user (the original example_audio_vad).

A caller plays a recording into the channel; the agent registers its audio
frame observer with ``enable_vad=1`` and an AudioVadConfigV2, so every 10 ms
frame arrives with the VAD state (0 silent, 1 start, 2 speaking, 3 stop) and
the bytes to hand to ASR. The agent prints each utterance as it is detected.
With ``--dump DIR`` it also writes a VadDump (source, per-utterance PCM,
labels) and a timeline picture ``DIR/vad_timeline.png`` (drawn with matplotlib:
``pip install 'agora_rtc[plot]'``).

Run:  python examples/audio_vad.py [--audioFile caller_question.wav] [--stopRecognizeCount 50]
      [--dump /tmp/vad]
"""
from __future__ import annotations

import argparse
import os
import sys
import threading

import numpy as np

import agora_rtc as ar
from _shared import Listener, load_audio


class VadAgent(ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    def __init__(self, dump):
        self.dump = dump
        self.utterance = bytearray()
        self.utterances = []
        self.frames = 0
        self.lock = threading.Lock()
        self.messages = []
        self.cond = threading.Condition()

    def on_stream_message(self, local_user, user_id, stream_id, data, length):
        with self.cond:
            self.messages.append(bytes(data))
            self.cond.notify_all()

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        self.frames += 1
        if self.dump is not None:
            self.dump.write(uid, frame, state, vad_bytes)
        if state == 1:
            self.utterance = bytearray(vad_bytes)
            print(f"agent: frame {self.frames}: {uid!r} starts speaking "
                  f"(first bytes incl. pre-roll: {len(vad_bytes) // 32} ms)", flush=True)
        elif state == 2:
            self.utterance += vad_bytes
        elif state == 3:
            self.utterance += vad_bytes
            ms = len(self.utterance) / 2 / frame.samples_per_sec / frame.channels * 1000
            self.utterances.append(bytes(self.utterance))
            print(f"agent: frame {self.frames}: {uid!r} stopped; utterance {len(self.utterances)} "
                  f"of {ms:.0f} ms ready for ASR", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--channelId", default="vad-room")
    ap.add_argument("--audioFile", default="caller_question.wav")
    ap.add_argument("--stopRecognizeCount", type=int, default=50)
    ap.add_argument("--dump", default=None, help="directory for a VadDump and vad_timeline.png")
    args = ap.parse_args(argv)

    pcm = load_audio(args.audioFile)
    vad_config = ar.AudioVadConfigV2(stopRecognizeCount=args.stopRecognizeCount)
    dump = ar.VadDump(args.dump) if args.dump else None
    with ar.AgoraService(ar.AgoraServiceConfig(appid="example")) as service:
        agent_obs = VadAgent(dump)
        agent = service.create_rtc_connection(ar.RTCConnConfig())
        events = Listener()
        agent.register_observer(events)
        agent.register_local_user_observer(agent_obs)
        agent.register_audio_frame_observer(agent_obs, 1, vad_config)
        agent.connect("", args.channelId, "agent")
        caller = service.create_rtc_connection(ar.RTCConnConfig())
        caller_events = Listener()
        caller.register_observer(caller_events)
        caller.connect("", args.channelId, "caller")
        if not (events.connected.wait(5) and caller_events.connected.wait(5)):
            print("not connected", file=sys.stderr)
            return 1
        caller.publish_audio()
        # the recording, then a second of silence so the VAD can see the end of the last sentence
        silence = np.zeros(16000, np.int16)
        caller.push_audio_pcm_data(np.concatenate([pcm, silence]), 16000, 1)
        print(f"caller: plays {pcm.size / 16:.0f} ms of speech + 1000 ms of silence", flush=True)
        caller.wait_push_completed(pcm.size / 16000 + 15)
        # the stream message follows the last frame: when it arrives, every frame has been seen
        caller.send_stream_message(b"end")
        with agent_obs.cond:
            agent_obs.cond.wait_for(lambda: b"end" in agent_obs.messages, 5)
        total = sum(len(u) for u in agent_obs.utterances) / 32
        print(f"utterances detected: {len(agent_obs.utterances)}; speech handed to ASR: {total:.0f} ms; "
              f"frames analysed: {agent_obs.frames}", flush=True)
        agent.unregister_audio_frame_observer()
    if dump is not None:
        dump.close()
        from agora_rtc.agent import load_vad_dump, render_vad_timeline
        timeline = load_vad_dump(args.dump, "caller")
        png = os.path.join(args.dump, "vad_timeline.png")
        render_vad_timeline(timeline, png, start_voice_prob=vad_config.startVoiceProb,
                            stop_voice_prob=vad_config.stopVoiceProb)
        print(f"timeline: {png} ({timeline.frames} frames, {len(timeline.utterances())} utterances)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
