"""Send a PCM recording into a channel (the original example_audio_pcm_send).

A sender joins, publishes and pushes the whole file in one call: the engine
paces it out natively, 10 ms per tick. A listener in the same channel (on by
default) counts what arrives and checks it is the file, byte for byte.

Run:  python examples/pcm_send.py [--audioFile caller_question.wav] [--sampleRate 16000]
      [--numOfChannels 1] [--channelId pcm-send] [--userId sender] [--no-listener]
"""
from __future__ import annotations

import argparse
import sys
import time

import agora_rtc as ar
from _shared import Listener, load_audio, sync_point


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--appId", default="example")
    ap.add_argument("--channelId", default="pcm-send")
    ap.add_argument("--userId", default="sender")
    ap.add_argument("--audioFile", default="caller_question.wav", help=".wav, or raw int16 .pcm")
    ap.add_argument("--sampleRate", type=int, default=16000)
    ap.add_argument("--numOfChannels", type=int, default=1)
    ap.add_argument("--no-listener", action="store_true")
    args = ap.parse_args(argv)

    pcm = load_audio(args.audioFile, args.sampleRate, args.numOfChannels)
    ms = pcm.size / args.numOfChannels / args.sampleRate * 1000
    with ar.AgoraService(ar.AgoraServiceConfig(appid=args.appId)) as service:
        listener = None
        if not args.no_listener:
            listener = Listener()
            lconn = service.create_rtc_connection(ar.RTCConnConfig())
            lconn.register_observer(listener)
            lconn.register_local_user_observer(listener)
            # hear the sender in its own format, so the bytes can be compared
            lconn.get_local_user().set_playback_audio_frame_before_mixing_parameters(
                args.numOfChannels, args.sampleRate)
            lconn.register_audio_frame_observer(listener)
            lconn.connect("", args.channelId, "listener")
        sender = service.create_rtc_connection(ar.RTCConnConfig())
        sender_events = Listener()
        sender.register_observer(sender_events)
        sender.connect("", args.channelId, args.userId)
        if not sender_events.connected.wait(5):
            print("sender: not connected", file=sys.stderr)
            return 1
        sender.publish_audio()
        t0 = time.monotonic()
        rc = sender.push_audio_pcm_data(pcm, args.sampleRate, args.numOfChannels)
        print(f"sender: pushed {ms:.0f} ms of audio in one call (rc {rc})", flush=True)
        sender.wait_push_completed(ms / 1000 + 10)
        stats = sender.get_send_stats()
        print(f"sender: all audio handed to the network after {time.monotonic() - t0:.2f} s; "
              f"sent_frames={stats['sent_frames']}", flush=True)
        if listener is not None:
            sync_point(sender, listener)
            got = bytes(listener.pcm.get(args.userId, b""))
            sent = pcm.tobytes()
            same = got[:len(sent)] == sent and not any(got[len(sent):])
            print(f"listener: received {listener.frames.get(args.userId, 0)} frames "
                  f"({len(got) / 2 / args.numOfChannels / args.sampleRate * 1000:.0f} ms); "
                  f"identical to the file: {'yes' if same else 'no'}", flush=True)
            return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
