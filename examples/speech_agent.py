"""A voice agent end to end on the local network: speech in, words, an answer, speech out.

The caller speaks synthesised sentences (flite, voice rms). The agent
(ReplyOnPause) transcribes each turn on the device (PocketSphinx), picks an
answer from a few rules about what was said (the slot where an LLM or the
audio-modality endpoint goes), and speaks it (flite, voice slt), sentence
by sentence through the engine's pacing. The caller records what it hears
and transcribes it too, so the printed transcript is what went over the
network both ways.

With ``--stop-words`` the agent is a ReplyOnStopWords: it answers only after
"ok computer" or "hello iris".

Run:  python examples/speech_agent.py [--stop-words] [--say "sentence" ...]
Needs: pip install 'agora_rtc[speech]'; apt-get install flite
"""
from __future__ import annotations

import argparse
import re
import sys
import threading
import time

import numpy as np

import agora_rtc as ar
from agora_rtc.agent import (ReplyOnPause, ReplyOnStopWords, TTSOptions, get_stt_model,
                             get_tts_model)

CHANNEL = "speech-demo"
RATE = 16000
STOP_WORDS = ["ok computer", "hello iris"]
DEFAULT_LINES = ["What is the weather like in Paris today?", "Turn off the lights in the kitchen."]
STOP_WORD_LINES = ["What is the weather like in Paris today?",
                   "Ok computer, turn off the lights in the kitchen."]
CITIES = ("paris", "london", "berlin", "tokyo", "boston", "rome", "madrid")
ROOMS = ("kitchen", "bedroom", "bathroom", "living room", "office", "garage")


def answer(text: str) -> str:
    """A few rules about what was said (an LLM would go here)."""
    words = set(text.split())
    if "weather" in words:
        city = next((c for c in CITIES if c in words), None)
        return (f"I have no weather service, but I hope it is sunny in {city.title()}."
                if city else "I have no weather service. Which city do you mean?")
    if "lights" in words or "light" in words:
        room = next((r for r in ROOMS if r in text), "house")
        state = "off" if "off" in words else "on"
        return f"Turning the lights {state} in the {room}."
    if "time" in words:
        return f"It is {time.strftime('%H:%M')}."
    if words & {"hello", "hi", "hey"}:
        return "Hello! How can I help?"
    if not text:
        return "Sorry, I did not catch that."
    return f"You said: {text}."


class Caller(ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    """Keeps what the caller hears from the agent, and the agent's stream messages."""

    def __init__(self):
        self.lock = threading.Condition()
        self.heard = bytearray()
        self.messages = []

    def on_stream_message(self, local_user, user_id, stream_id, data, length):
        with self.lock:
            self.messages.append(bytes(data))
            self.lock.notify_all()

    def barrier(self, agent, tag: bytes) -> bool:
        """The engine delivers one service's events in order: once the agent's
        message arrived, every frame it sent before it has arrived too."""
        agent.send_stream_message(tag)
        with self.lock:
            return self.lock.wait_for(lambda: tag in self.messages, 10)

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame, state, vad_bytes):
        if uid == "agent":
            with self.lock:
                self.heard += frame.buffer

    def take(self) -> np.ndarray:
        with self.lock:
            pcm, self.heard = bytes(self.heard), bytearray()
        return np.frombuffer(pcm, np.int16)


def wait_outcome(handler, before: int, timeout: float = 60.0):
    """The event that settles the first turn after ``before`` utterances: its
    reply done, ignored, failed, or (stop words) a wake phrase that arms the
    next turn. None on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        utts = handler.events("utterance")
        if len(utts) > before:
            rid = utts[before].reply_id
            for ev in handler.events():
                if ev.reply_id != rid:
                    continue
                if ev.kind in ("reply_done", "ignored", "error"):
                    return ev
                if ev.kind == "stop_word" and handler.armed(ev.user_id):
                    return ev
        time.sleep(0.05)
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stop-words", action="store_true", help="answer only after 'ok computer' / 'hello iris'")
    ap.add_argument("--say", action="append", help="a sentence the caller says (repeatable)")
    args = ap.parse_args()
    lines = args.say or (STOP_WORD_LINES if args.stop_words else DEFAULT_LINES)

    stt = get_stt_model("pocketsphinx")
    tts = get_tts_model("flite")
    agent_voice, caller_voice = TTSOptions(voice="slt"), TTSOptions(voice="rms")

    def reply(audio):
        heard = stt.stt(audio)
        said = answer(heard)
        print(f"agent   heard: {heard!r}", flush=True)
        print(f"agent   says:  {said!r}", flush=True)
        yield from tts.stream_tts_sync(said, agent_voice)

    print("speech agent: agent and caller on the local (in-process) network"
          + (f", stop words {STOP_WORDS}" if args.stop_words else ""))
    with ar.AgoraService(ar.AgoraServiceConfig(appid="speech-demo")) as service:
        agent = service.create_rtc_connection(ar.RTCConnConfig())
        caller = service.create_rtc_connection(ar.RTCConnConfig())
        listener = Caller()
        caller.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, RATE)
        caller.register_audio_frame_observer(listener)
        caller.register_local_user_observer(listener)
        for conn, uid in ((agent, "agent"), (caller, "caller")):
            conn.connect("", CHANNEL, uid)
            conn.publish_audio()
        if args.stop_words:
            handler = ReplyOnStopWords(reply, stop_words=STOP_WORDS, input_sample_rate=RATE, can_interrupt=False)
        else:
            handler = ReplyOnPause(reply, input_sample_rate=RATE, can_interrupt=False)
        with handler.start(agent):
            for n, line in enumerate(lines):
                rate, audio = tts.tts(line, caller_voice)
                print(f"caller  says:  {line!r}", flush=True)
                before = len(handler.events("utterance"))
                # the sentence, then a second of silence: the agent's VAD hears the pause
                caller.push_audio_pcm_data(np.concatenate([audio[0], np.zeros(rate, np.int16)]), rate, 1)
                outcome = wait_outcome(handler, before)
                if outcome is None:
                    print("no answer within 60 s", file=sys.stderr)
                    return 1
                if outcome.kind == "ignored":
                    print(f"agent   ignored it ({outcome.info['reason']})", flush=True)
                    continue
                if outcome.kind == "stop_word":
                    print(f"agent   heard the wake phrase {outcome.info.phrase!r}: listening", flush=True)
                    continue
                if outcome.kind == "error":
                    print(f"agent   failed: {outcome.info!r}", file=sys.stderr)
                    return 1
                agent.wait_push_completed(10)
                listener.barrier(agent, f"reply-{n}".encode())
                heard = listener.take()
                text = stt.stt((RATE, heard)) if heard.size else ""
                print(f"caller  heard: {text!r} ({heard.size / RATE:.2f} s of the agent's voice)", flush=True)
        print(f"summary: {len(handler.events('reply_done'))} replies, "
              f"{len(handler.events('ignored'))} turns ignored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
