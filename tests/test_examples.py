"""Every example runs (a subprocess on the local network) and prints measured
outcomes that agree with what the test computes independently."""
import os
import re
import struct
import subprocess
import sys
import wave

import numpy as np

import agora_rtc as ar

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")


def run(script, *args, timeout=120):
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, script), *args], capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{script} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def grab(pattern, text, cast=int):
    m = re.search(pattern, text)
    assert m, f"{pattern!r} not in output:\n{text}"
    return [cast(g) for g in m.groups()] if len(m.groups()) > 1 else cast(m.group(1))


def samples(name):
    with wave.open(os.path.join(EXAMPLES, "assets", name), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def frames_of(pcm):
    return -(-pcm.size // 160)


def padded_to_frames(pcm):
    return np.concatenate([pcm, np.zeros(-pcm.size % 160, np.int16)])


def reference_utterances(pcm, stop=50):
    x = np.concatenate([pcm, np.zeros(16000, np.int16)])
    vad = ar.AudioVadV2(ar.AudioVadConfigV2(stopRecognizeCount=stop))
    return [vad.process(x[i:i + 160].tobytes(), 16000, 1)[0] for i in range(0, x.size - 159, 160)].count(3)


def test_pcm_send():
    out = run("pcm_send.py", "--audioFile", "caller_barge_in.wav", "--channelId", "t-pcm")
    frames = grab(r"listener: received (\d+) frames", out)
    assert frames == frames_of(samples("caller_barge_in.wav"))
    assert "identical to the file: yes" in out


def test_audio_vad_with_dump_and_timeline(tmp_path):
    out = run("audio_vad.py", "--dump", str(tmp_path))
    pcm = samples("caller_question.wav")
    n = grab(r"utterances detected: (\d+)", out)
    assert n == reference_utterances(pcm) >= 2
    assert len(re.findall(r"starts speaking", out)) == n
    assert grab(r"frames analysed: (\d+)", out) == frames_of(pcm) + 100   # + the second of silence
    assert len([f for f in os.listdir(tmp_path) if f.startswith("vad_caller_")]) == n
    png = (tmp_path / "vad_timeline.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (1200, 420)


def test_audio_consumer():
    out = run("audio_consumer.py")
    frames = frames_of(samples("agent_answer.wav"))
    assert grab(r"consume\(\) = (\d+) frames", out) == frames
    assert "completed=True" in out
    assert grab(r"'tts-finished' after (\d+) frames", out) == frames


def test_interrupt():
    out = run("interrupt.py")
    utt, cut, done = grab(r"utterances heard by the agent: (\d+); replies interrupted: (\d+); "
                          r"replies completed: (\d+)", out)
    # the agent's VAD sees the caller's frames back to back (nothing is sent while
    # the caller is idle; a last partial frame leaves padded with silence), so the reference is the VAD over question + barge-in;
    # every utterance but the last cut the reply before it, the last reply (and
    # the greeting) completed
    both = np.concatenate([padded_to_frames(samples("caller_question.wav")), samples("caller_barge_in.wav")])
    assert utt == reference_utterances(both)
    assert cut == utt - 1 and cut >= 2
    greeting = 1 if "(startup)" in out else 0
    assert done == 1 + greeting
    assert re.search(r"reply \d+ interrupted by voice", out)
    assert "the replies report" in out and out.rstrip().endswith("match")


def test_stream_message():
    out = run("stream_message.py", "--count", "9")
    assert grab(r"received (\d+) messages", out) == 9
    assert "identical and in order: yes" in out
    assert "'字幕 0: 你好，世界 🌍'" in out
    assert "1025-byte message is refused" in out


def test_multi_connection():
    out = run("multi_connection.py", "--users", "3", "--pool-size", "2")
    speech_ms = samples("agent_answer.wav").size / 16
    rooms = re.findall(r"room-(\d): agent heard (\d+) utterance\(s\), (\d+) ms; echoed (\d+) ms; "
                       r"user heard (\d+) ms, same audio as spoken: (\w+)", out)
    assert sorted(r[0] for r in rooms) == ["0", "1", "2"]
    for _, n, heard_ms, echoed, user_heard, same in rooms:
        assert int(n) == reference_utterances(samples("agent_answer.wav"), stop=80) == 1
        # the utterance holds the speech (+ pre-roll) and may run into the 500 ms of
        # silence the user sends after it (the stop window), never beyond what was sent
        assert speech_ms * 0.8 < int(heard_ms) <= speech_ms + 500
        assert int(echoed) == int(heard_ms) and abs(int(user_heard) - int(echoed)) <= 10
        assert same == "yes"
    assert grab(r"pool: (\d+) sessions served by (\d+) connections", out) == [3, 2]


def test_audio_modality_agent():
    out = run("audio_modality_agent.py", "--say", "how far is the moon")
    assert "transcript 'You said: how far is the moon.'" in out
    assert "app: subtitle 'You said: how far is the moon.'" in out
    chunks, pushed = grab(r"agent: (\d+) audio chunks, (\d+) ms pushed; \[DONE\] received: yes", out)
    assert chunks >= pushed // 40 and pushed > 500
    frames, heard = grab(r"app: heard (\d+) frames \((\d+) ms\)", out)
    assert frames * 10 == heard and abs(heard - pushed) < 10


def test_speech_agent():
    import pytest
    pytest.importorskip("pocketsphinx")
    import shutil
    if shutil.which("flite") is None:
        pytest.skip("flite not installed")
    out = run("speech_agent.py")
    # the agent transcribed each line, answered about what was said, and the caller's own
    # transcription of what it heard over the network is the answer's words
    assert "agent   heard: 'what is the weather like in paris today'" in out
    assert "agent   says:  'I have no weather service, but I hope it is sunny in Paris.'" in out
    assert "agent   heard: 'turn off the lights in the kitchen'" in out
    assert "agent   says:  'Turning the lights off in the kitchen.'" in out
    from agora_rtc.agent import word_error_rate
    said = re.findall(r"agent   says:  '(.*)'", out)
    heard = re.findall(r"caller  heard: '(.*)' \(", out)
    assert len(said) == len(heard) == 2
    for s, h in zip(said, heard):      # through TTS, the network and STT again
        assert word_error_rate(s, h) <= 0.25, (s, h)
    assert "summary: 2 replies, 0 turns ignored" in out
    out = run("speech_agent.py", "--stop-words", "--say", "Turn on the lights in the office.",
              "--say", "Hello Iris.", "--say", "Turn on the lights in the office.")
    lines = [ln for ln in out.splitlines() if ln.startswith("agent")]
    assert lines[0] == "agent   ignored it (no_stop_word)"        # no wake phrase: no answer
    assert lines[1] == "agent   heard the wake phrase 'hello iris': listening"
    assert "agent   says:  'Turning the lights on in the office.'" in out
    assert out.count("agent   says:") == 1 and "summary: 1 replies" in out


def test_rtm_chat():
    out = run("rtm_chat.py", "--count", "4")
    assert out.count("RTM_LINK_STATE_CONNECTING -> RTM_LINK_STATE_CONNECTED, login result 0") == 2
    assert "agent sees: ('REMOTE_JOIN_CHANNEL', 'user')" in out
    assert "user's snapshot: ['agent', 'user']" in out
    assert "user received 5 messages, in order: True; last is binary 0001feff (type 0)" in out
    assert "user got a user message: just for you" in out
    assert "agent sees: ('REMOTE_LEAVE_CHANNEL', 'user')" in out
    assert out.rstrip().endswith("user message to a user who left: RTM_ERROR_CHANNEL_RECEIVER_OFFLINE")


def test_twilio_agent_answers_a_simulated_call():
    out = run("twilio_agent.py", "--call-self")
    assert grab(r"(\+15551230000) joined channel phone-agent", out, str) == "+15551230000"
    turns, interrupted, done = grab(r"agent: (\d+) turns heard, (\d+) replies interrupted, (\d+) replies played", out)
    assert turns >= 1 and done == 1 and interrupted == turns - 1
    heard_ms, clears = grab(r"caller: heard (\d+) ms of the agent, (\d+) clears", out)
    assert heard_ms >= samples("agent_answer.wav").size // 16     # at least the whole last answer
    assert clears >= interrupted
    assert "ended (stop)" in out
