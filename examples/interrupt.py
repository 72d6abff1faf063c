"""Turn taking with barge-in: ReplyOnPause (the original's interrupt sample).

The agent wraps a reply generator in ReplyOnPause: when the caller pauses,
the generator gets the whole utterance and yields the answer in 100 ms chunks
(as a streaming TTS would); each chunk is pushed at once and paced natively.
A greeting (startup_fn, synthesized with espeak-ng when it is installed)
plays first. The caller asks a question, then talks over the answer: the VAD's
start of speech closes the reply generator and interrupt_audio() drops the
queued audio, then the agent answers the new utterance.

Run:  python examples/interrupt.py [--no-greeting]
"""
from __future__ import annotations

import argparse
import sys
import threading
import time

import numpy as np

import agora_rtc as ar
from agora_rtc.agent import ReplyOnPause
from _shared import Listener, espeak, load_audio, sync_point

CHANNEL = "interrupt-room"


class Caller(Listener):
    """Also follows the presentation time of the agent's current reply."""

    def __init__(self):
        super().__init__()
        self.reply_pts = -1

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        super().on_playback_audio_frame_before_mixing(local_user, channel_id, uid, frame, state, vad_bytes)
        with self.cond:
            self.reply_pts = frame.presentation_ms


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-greeting", action="store_true")
    args = ap.parse_args(argv)
    question, answer, barge_in = (load_audio(n) for n in
                                  ("caller_question.wav", "agent_answer.wav", "caller_barge_in.wav"))
    t0 = time.monotonic()
    lock = threading.Lock()

    def log(who, text):
        with lock:
            print(f"  t+{time.monotonic() - t0:6.3f}s  {who:<7} {text}", flush=True)

    def reply(audio):
        rate, samples = audio
        log("agent", f"replying to {samples.shape[1] / rate * 1000:.0f} ms of speech")
        for i in range(0, answer.size, 1600):
            yield 16000, answer[i:i + 1600]

    greeting = None if args.no_greeting else espeak("Hello, how can I help you today?")

    def startup():
        if greeting is not None:
            yield greeting

    def on_event(ev):
        if ev.kind == "utterance":
            log("agent", f"the caller paused: utterance of {ev.ms:.0f} ms")
        elif ev.kind == "reply_started":
            log("agent", f"reply {ev.reply_id} starts ({ev.info})")
        elif ev.kind == "interrupted":
            log("agent", f"reply {ev.reply_id} interrupted by {ev.info['trigger']} after {ev.ms:.0f} ms "
                         f"had left ({ev.info['report'].dropped_ms} ms dropped)")
        elif ev.kind == "reply_done":
            log("agent", f"reply {ev.reply_id} done: {ev.ms:.0f} ms played")

    with ar.AgoraService(ar.AgoraServiceConfig(appid="example")) as service:
        agent_events, caller_obs = Listener(), Caller()
        agent = service.create_rtc_connection(ar.RTCConnConfig())
        agent.register_observer(agent_events)
        caller = service.create_rtc_connection(ar.RTCConnConfig())
        caller.register_observer(caller_obs)
        caller.register_local_user_observer(caller_obs)
        caller.register_audio_frame_observer(caller_obs)
        agent.connect("", CHANNEL, "agent")
        caller.connect("", CHANNEL, "caller")
        if not (agent_events.connected.wait(5) and caller_obs.connected.wait(5)):
            print("not connected", file=sys.stderr)
            return 1
        agent.publish_audio()
        caller.publish_audio()

        rop = ReplyOnPause(reply, startup_fn=startup, on_event=on_event).start(agent)
        if greeting is not None:
            rop.wait_for("reply_done", 1, timeout=20)

        log("caller", f"asks a question ({question.size / 16:.0f} ms)")
        with caller_obs.cond:
            caller_obs.reply_pts = -1
        caller.push_audio_pcm_data(question, 16000, 1)
        # barge in once the caller has heard a second of an answer
        if not caller_obs.wait(lambda: caller_obs.reply_pts >= 1000, 30):
            print("the agent never answered", file=sys.stderr)
            return 1
        caller.wait_push_completed(10)      # (the question has long left by now)
        log("caller", f"barges in ({barge_in.size / 16:.0f} ms)")
        caller.push_audio_pcm_data(barge_in, 16000, 1)
        rop.wait_for("interrupted", len(rop.events("interrupted")) + 1, timeout=20)
        caller.wait_push_completed(10)
        # the last answer completes once the caller is silent
        done_before = len(rop.events("reply_done"))
        rop.wait_for("reply_done", done_before + 1, timeout=30)
        rop.stop()
        sync_point(agent, caller_obs)

        utterances = rop.events("utterance")
        cut, done = rop.events("interrupted"), rop.events("reply_done")
        left = sum(e.ms for e in cut) + sum(-(-round(e.ms) // 10) * 10 for e in done)
        heard = len(caller_obs.pcm.get("agent", b"")) / 32
        print(f"summary: utterances heard by the agent: {len(utterances)}; replies interrupted: {len(cut)}; "
              f"replies completed: {len(done)}", flush=True)
        print(f"summary: caller heard {heard:.0f} ms of agent audio; the replies report {left:.0f} ms left: "
              f"{'match' if abs(heard - left) <= 10 * len(cut) + 1 else 'MISMATCH'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
