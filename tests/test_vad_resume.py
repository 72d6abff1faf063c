"""The label model's resume rule (src/_native/audio/dsp/audio_labels.c, AN_RESUME_*): a word that
follows a short pause inside an utterance is speech from its first frames, so Agora's default
timings (stop after 25 of 50 frames below 70 or below -50 dBFS) do not end the utterance on it."""
import numpy as np

import agora_rtc as ar
from conftest import asset_pcm

RATE, N = 16000, 160


def labelled(pcm):
    """(state, voice_prob, dBFS) of every 10 ms frame through the public AudioVadV2."""
    vad = ar.AudioVadV2()
    out = []
    for i in range(0, pcm.size - N + 1, N):
        frame = pcm[i:i + N]
        state, _ = vad.process(frame.tobytes(), RATE, 1)
        acc = float(np.mean(frame.astype(np.float64) ** 2))
        out.append((state, vad.last_voice_prob, 10 * np.log10(max(acc, 1e-12) / 32768.0 ** 2)))
    return out


def caller_stream():
    """The question, then the barge-in, as an agent hears them (tests/test_agent_turn_taking.py)."""
    q, b = asset_pcm("caller_question.wav"), asset_pcm("caller_barge_in.wav")
    return np.concatenate([q, np.zeros(-q.size % N, np.int16), b, np.zeros(RATE, np.int16)])


def resumed_word_frames(db, pause=15, recent=30):
    """Frames where a word starts (> -50 dBFS) after >= `pause` near-silent frames (< -80 dBFS)
    that follow speech (> -40 dBFS) within `recent` frames."""
    out = []
    for i in range(recent + 1, len(db)):
        if db[i] > -50 and all(d < -80 for d in db[i - pause:i]) and max(db[i - recent:i - pause]) > -40:
            out.append(i)
    return out


def test_a_word_after_a_short_pause_is_speech_at_once():
    frames = labelled(caller_stream())
    db = [f[2] for f in frames]
    starts = resumed_word_frames(db)
    assert starts                                   # the recording has such words
    for i in starts:
        # the word's first three frames already count as speech for Agora's stop window
        first = [frames[i + k][1] for k in range(3)]
        assert min(first) >= 70, (i, first)


def test_the_barge_in_stays_at_most_two_utterances_under_agoras_timings():
    q = asset_pcm("caller_question.wav")
    first_barge_in_frame = -(-q.size // N)
    states = [f[0] for f in labelled(caller_stream())][first_barge_in_frame:]
    assert 1 <= states.count(1) <= 2 and states.count(3) == states.count(1)

