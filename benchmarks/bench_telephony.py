"""Telephony benchmark: the Twilio Media Streams endpoint's per-message costs.

1. G.711 mu-law, one 20 ms chunk (160 samples) and one 1 s block: the numpy
   tables of agora_rtc.telephony.mulaw against CPython's audioop (C, the
   baseline, deprecated in 3.11 and removed in 3.13) in the same run.
2. One media message each way, as the endpoint handles it: inbound (parse the
   JSON, check the fields, base64-decode, mu-law decode; the push into the
   channel is left out) and outbound (mu-law encode, base64, JSON), against the
   bare protocol floor any endpoint pays (json.loads + b64decode inbound,
   b64encode + json.dumps outbound): the ratio is our overhead on top.
   Per call the endpoint takes 50 inbound (20 ms) and sends 100 outbound (10 ms)
   messages a second: the last column is that load as a share of one core.
3. Caller audio continuity: recorded speech as 20 ms mu-law chunks at their
   real-time deadlines for ``--seconds``, through a TwilioCall (the endpoint's
   path, which holds the start of each round: prefill + 40 ms) against pushing
   each decoded chunk as it comes (the baseline): the silent gap frames a
   listening agent (VAD on) hears between chunks.

Run: python benchmarks/bench_telephony.py [--repeat 20000] [--seconds 10]
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import threading
import time
import warnings
import wave

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _report import print_table, save  # noqa: E402

import agora_rtc as ar  # noqa: E402
from agora_rtc.telephony import TwilioMediaStreams, pcm16_to_ulaw, ulaw_to_pcm16  # noqa: E402
from agora_rtc.telephony import twilio_messages as tm  # noqa: E402
from agora_rtc.telephony.twilio_call import TwilioCall  # noqa: E402

QUESTION = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "assets",
                        "caller_question.wav")

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402


def per_call_us(fn, repeat: int) -> float:
    """Median over 5 runs of the mean time of one call, in microseconds."""
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        runs.append((time.perf_counter() - t0) / repeat * 1e6)
    return sorted(runs)[2]


class _Heard(ar.IAudioFrameObserver):
    def __init__(self):
        self.frames = 0
        self.lock = threading.Lock()

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        with self.lock:
            self.frames += 1


def continuity(seconds: float, through_call: bool) -> dict:
    """Frames a listening agent hears vs frames the caller sent, chunks at real-time deadlines."""
    with wave.open(QUESTION, "rb") as w:
        speech = np.frombuffer(w.readframes(w.getnframes()), np.int16)[::2]   # ~8 kHz speech
    n_chunks = int(seconds * 50)
    ulaw = pcm16_to_ulaw(np.resize(speech, n_chunks * 160))
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="bench"))
    heard = _Heard()
    agent = svc.create_rtc_connection(ar.RTCConnConfig())
    agent.register_audio_frame_observer(heard, 1, ar.AudioVadConfigV2())
    agent.connect("", "bench", "agent")

    async def run():
        async def no_send(message):
            pass
        call = TwilioCall(TwilioMediaStreams(svc, "bench"), no_send, asyncio.get_running_loop())
        await call.handle("start", {"event": "start", "start": {
            "streamSid": "MZ1", "callSid": "CA1", "accountSid": "AC1", "tracks": ["inbound"],
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}})
        conn = call.connection
        t0 = time.monotonic()
        for i in range(n_chunks):
            await asyncio.sleep(max(0.0, t0 + i * 0.02 - time.monotonic()))
            chunk = ulaw[i * 160:(i + 1) * 160]
            if through_call:
                await call.handle("media", {"event": "media", "streamSid": "MZ1", "media": {
                    "track": "inbound", "payload": base64.b64encode(chunk).decode()}})
            else:
                conn.push_audio_pcm_data(ulaw_to_pcm16(chunk).tobytes(), 8000, 1)
        await asyncio.sleep(1.0)
        sent = conn.get_send_stats()["sent_frames"]
        await call.finish("bench over")
        return sent

    sent = asyncio.run(run())
    svc.release()
    return {"sent_frames": sent, "heard_frames": heard.frames, "gap_frames": heard.frames - sent,
            "gap_frames_per_s": (heard.frames - sent) / seconds}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20000)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    rows, results = [], {}

    for label, n in (("20 ms chunk (160 samples)", 160), ("1 s block (8000 samples)", 8000)):
        pcm = rng.integers(-20000, 20000, n).astype(np.int16)
        raw = pcm.tobytes()
        ulaw = audioop.lin2ulaw(raw, 2)
        rep = max(200, args.repeat * 160 // n)
        cases = {"encode": (lambda: pcm16_to_ulaw(pcm), lambda: audioop.lin2ulaw(raw, 2)),
                 "decode": (lambda: ulaw_to_pcm16(ulaw), lambda: audioop.ulaw2lin(ulaw, 2))}
        for what, (ours, base) in cases.items():
            o, b = per_call_us(ours, rep), per_call_us(base, rep)
            rows.append([f"mu-law {what}, {label}", o, b, o / b, ""])
            results[f"mulaw_{what}_{n}"] = {"ours_us": o, "audioop_us": b, "ratio": o / b}

    chunk20 = audioop.lin2ulaw(rng.integers(-20000, 20000, 160).astype(np.int16).tobytes(), 2)
    inbound = json.dumps({"event": "media", "sequenceNumber": "7", "media": {
        "track": "inbound", "chunk": "6", "timestamp": "120",
        "payload": base64.b64encode(chunk20).decode()}, "streamSid": "MZ" + "0" * 32})
    frame10 = rng.integers(-20000, 20000, 80).astype(np.int16)

    def ours_in():
        event, msg = tm.parse_message(inbound)
        ulaw_to_pcm16(tm.read_media_payload(msg)[1]).tobytes()

    def floor_in():
        base64.b64decode(json.loads(inbound)["media"]["payload"])

    def ours_out():
        tm.media_message("MZ" + "0" * 32, pcm16_to_ulaw(frame10))

    def floor_out():
        json.dumps({"event": "media", "streamSid": "MZ" + "0" * 32,
                    "media": {"payload": base64.b64encode(frame10.tobytes()[:80]).decode()}})

    for what, ours, floor, per_s in (("inbound media message (20 ms)", ours_in, floor_in, 50),
                                     ("outbound media message (10 ms)", ours_out, floor_out, 100)):
        o, b = per_call_us(ours, args.repeat), per_call_us(floor, args.repeat)
        share = o * per_s / 1e6 * 100
        rows.append([what, o, b, o / b, f"{share:.3f} %"])
        results[what.split()[0] + "_media"] = {"ours_us": o, "floor_us": b, "ratio": o / b,
                                               "core_share_percent_per_call": share}

    print_table("Twilio Media Streams endpoint: cost per operation (median of 5 runs)",
                ["operation", "ours (us)", "baseline (us)", "ratio", "per call, share of a core"], rows)
    print("baseline: audioop (C) for mu-law; json + base64 alone for the messages")

    ours, base = continuity(args.seconds, True), continuity(args.seconds, False)
    print_table(f"Caller audio continuity: 20 ms chunks in real time for {args.seconds:g} s, agent with VAD",
                ["path", "frames sent", "frames heard", "gap frames (silence inserted)", "per second"],
                [["TwilioCall (hold: prefill + 40 ms)", ours["sent_frames"], ours["heard_frames"],
                  ours["gap_frames"], ours["gap_frames_per_s"]],
                 ["each chunk pushed as it comes (baseline)", base["sent_frames"], base["heard_frames"],
                  base["gap_frames"], base["gap_frames_per_s"]]])
    results["continuity"] = {"seconds": args.seconds, "through_call": ours, "push_as_it_comes": base}
    save("bench_telephony", {"repeat": args.repeat, "results": results})


if __name__ == "__main__":
    main()
