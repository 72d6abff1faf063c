"""The demo: a voice agent and a simulated caller on the in-process network.

The caller joins, asks a recorded question; the agent hears it frame by frame
with VAD state attached, collects the utterance (with pre-roll) from the VAD
bytes, and answers by pushing recorded TTS audio that the engine paces out in
10 ms frames. While the agent talks, the caller barges in; the agent's VAD
hears it and the agent cuts its answer off with interrupt_audio(). A readable
timeline is printed as it happens.

Run:  python examples/demo_agent.py
"""
from __future__ import annotations

import os
import queue
import sys
import threading
import time
import wave

import numpy as np

import agora_rtc as ar

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "assets")
CHANNEL = "demo-room"
RATE = 16000


def load_wav(name: str) -> np.ndarray:
    with wave.open(os.path.join(ASSETS, name), "rb") as w:
        if w.getframerate() != RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise ValueError(f"{name}: expected 16 kHz mono int16")
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


class Timeline:
    """Prints one line per event, relative to the start of the demo."""

    def __init__(self):
        self.t0 = time.monotonic()
        self.lock = threading.Lock()

    def __call__(self, who: str, text: str) -> None:
        with self.lock:
            print(f"  t+{time.monotonic() - self.t0:6.3f}s  {who:<7} {text}", flush=True)


class Agent(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    """Hears each remote user with VAD; hands finished utterances to a worker."""

    def __init__(self, log: Timeline):
        self.log = log
        self.events: "queue.Queue[tuple]" = queue.Queue()
        self.utterance = bytearray()
        self.frames_heard = 0
        self.users: set = set()     # the remote users in the channel (their data reaches us)

    def on_connected(self, conn, info, reason):
        self.log("agent", f"connected to {info.channel_id!r} as {info.local_user_id!r}")

    def on_user_joined(self, conn, user_id):
        self.users.add(user_id)
        self.log("agent", f"user {user_id!r} joined")

    def on_user_left(self, conn, user_id, reason):
        self.users.discard(user_id)
        self.log("agent", f"user {user_id!r} left (reason {reason})")

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        self.frames_heard += 1
        if state == 1:
            self.utterance = bytearray(vad_bytes)
            self.events.put(("start", uid, len(vad_bytes)))
        elif state == 2:
            self.utterance += vad_bytes
        elif state == 3:
            self.utterance += vad_bytes
            self.events.put(("stop", uid, bytes(self.utterance)))


class Caller(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    """Records what the caller hears from the agent."""

    def __init__(self, log: Timeline):
        self.log = log
        self.heard = bytearray()
        self.first_frame = threading.Event()
        self.last_frame_at = 0.0

    def on_connected(self, conn, info, reason):
        self.log("caller", f"connected to {info.channel_id!r} as {info.local_user_id!r}")

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        if uid != "agent":
            return
        if not self.first_frame.is_set() and frame.rms > 0:
            self.first_frame.set()
            self.log("caller", f"hears the agent (rms {frame.rms}, voice_prob {frame.voice_prob})")
        self.heard += frame.buffer
        self.last_frame_at = time.monotonic()


def ms(nbytes: int) -> float:
    return nbytes / 2 / RATE * 1000


def main() -> int:
    question, answer, barge_in = (load_wav(n) for n in
                                  ("caller_question.wav", "agent_answer.wav", "caller_barge_in.wav"))
    log = Timeline()
    print("agora_rtc demo: agent and caller on the local (in-process) network")
    with ar.AgoraService(ar.AgoraServiceConfig(appid="demo")) as service:
        agent_obs, caller_obs = Agent(log), Caller(log)

        agent = service.create_rtc_connection(ar.RTCConnConfig())
        agent.register_observer(agent_obs)
        agent.register_audio_frame_observer(agent_obs, 1, ar.AudioVadConfigV2.for_agents())
        caller = service.create_rtc_connection(ar.RTCConnConfig())
        caller.register_observer(caller_obs)
        caller.register_audio_frame_observer(caller_obs)

        agent.connect("", CHANNEL, "agent")
        agent.publish_audio()
        caller.connect("", CHANNEL, "caller")
        caller.publish_audio()

        log("caller", f"asks a question ({len(question) / RATE:.2f} s of recorded speech)")
        caller.push_audio_pcm_data(question, RATE, 1)

        # --- the agent's turn: collect utterances until the caller has finished ---
        kind, uid, info = agent_obs.events.get(timeout=15)
        assert kind == "start", kind
        log("agent", f"VAD start: {uid!r} is speaking (start bytes incl. pre-roll: {ms(info):.0f} ms)")
        heard = bytearray()
        speaking, deadline = True, time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                kind, uid, info = agent_obs.events.get(timeout=0.5)
            except queue.Empty:  # end of turn: caller done and VAD not in speech
                if not speaking and caller.is_push_to_rtc_completed():
                    break
                continue
            speaking = kind == "start"
            if kind == "start":
                log("agent", f"VAD start: {uid!r} speaks again")
            if kind == "stop":
                heard += info
                log("agent", f"VAD stop: utterance of {ms(len(info)):.0f} ms ready for ASR")
        log("agent", f"the caller is done: {ms(len(heard)):.0f} ms of speech captured "
                     f"(the question lasted {len(question) / RATE * 1000:.0f} ms incl. silence)")
        log("agent", f"answers: pushes {len(answer) / RATE:.2f} s of TTS audio in one call")
        agent.push_audio_pcm_data(answer, RATE, 1, start_pts=0)
        caller_obs.first_frame.wait(5)

        # --- the caller barges in 1.5 s into the answer ---
        time.sleep(1.5)
        while not agent_obs.events.empty():
            agent_obs.events.get_nowait()
        log("caller", f"barges in ({len(barge_in) / RATE:.2f} s of speech)")
        caller.push_audio_pcm_data(barge_in, RATE, 1)
        kind, uid, info = agent_obs.events.get(timeout=15)
        assert kind == "start", kind
        agent.interrupt_audio()
        rep = agent.last_interrupt
        log("agent", f"VAD start while talking -> interrupt_audio(): {rep.sent_ms} ms of the answer "
                     f"had left, {rep.dropped_ms} ms dropped (last frame pts {rep.last_presentation_ms} ms)")
        time.sleep(0.3)
        heard_ms = ms(len(caller_obs.heard))
        verdict = "exactly what had left" if round(heard_ms) == rep.sent_ms else "MISMATCH"
        log("caller", f"heard {heard_ms:.0f} ms of the answer: {verdict}, nothing after the interrupt")
        while agent_obs.events.get(timeout=15)[0] != "stop":
            pass
        log("agent", "VAD stop: barge-in utterance captured")
        log("agent", f"is_push_to_rtc_completed() = {agent.is_push_to_rtc_completed()}")
        print(f"summary: agent heard {agent_obs.frames_heard} frames of 10 ms; "
              f"caller heard {heard_ms:.0f} ms of a {len(answer) / RATE * 1000:.0f} ms answer")
    log("demo", "service released; bye")
    return 0


if __name__ == "__main__":
    sys.exit(main())
