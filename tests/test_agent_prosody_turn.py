"""ProsodyTurnDetector, the native prosodic end-of-turn detector, through the
public API: on label sequences of its own, and in ReplyOnPause on the local
network with espeak-ng speech."""
import io
import subprocess
import wave

import numpy as np
import pytest

from agora_rtc.agent import (TURN_OVER, EndOfTurnDetector, FrameLabels, ProsodyTurnDetector, ReplyOnPause,
                             TurnModel, TurnSoFar)
from agora_rtc.errors import InvalidArgumentError
from conftest import join, wait_until


def contour(f0, f1, decay_db, speech_frames=150, pause_frames=30):
    """Voiced syllables whose pitch glides f0 -> f1 Hz (level falling by decay_db
    over the last 200 ms), then a pause: one FrameLabels per 10 ms frame."""
    out = []
    for i in range(speech_frames):
        t = i / (speech_frames - 1)
        pitch = int(f0 + (f1 - f0) * t) if i % 12 < 9 else 0
        dbfs = -20.0 - (decay_db * (i - (speech_frames - 20)) / 20 if i >= speech_frames - 20 else 0.0)
        out.append(FrameLabels(2, int(round(dbfs + 127)), dbfs, 95, pitch, True))
    out += [FrameLabels(0, 57, -70.0, 3, 0, False) for _ in range(pause_frames)]
    return out


def turn(labels, pause_ms, uid="u", utterances=1):
    return TurnSoFar(uid, 16000, 1, b"", labels, utterances, pause_ms, 0.0)


def test_a_falling_end_needs_a_shorter_pause_than_a_continuation_rise():
    det = ProsodyTurnDetector()
    assert isinstance(det, EndOfTurnDetector)
    fall, rise = contour(170, 100, 15), contour(110, 170, 0)
    need_fall = det.need_ms(turn(fall, 300, "a"))
    need_rise = det.need_ms(turn(rise, 300, "b"))
    assert 0 < need_fall < need_rise <= det.max_wait_ms
    # at a pause as long as the fall needs, the fall is over and the rise still waits
    assert det.decide(turn(fall, need_fall, "a")) == TURN_OVER
    assert det.decide(turn(rise, need_fall, "b")) == pytest.approx(need_rise - need_fall, abs=1e-3)


def test_the_answer_of_a_pause_is_kept_and_a_new_turn_asks_again():
    det = ProsodyTurnDetector()
    rise = contour(110, 170, 0)
    first = det.decide(turn(rise, 300))
    rise.append(FrameLabels(0, 57, -70.0, 3, 0, False))           # the next frame of the same pause
    assert det.decide(turn(rise, 310)) == pytest.approx(first - 10, abs=1e-3)
    fall = contour(170, 100, 15, pause_frames=31)                # same user, same length, a new turn
    assert det.need_ms(turn(fall, 310)) < first + 300


def test_the_maximum_wait_is_honoured():
    rise = contour(110, 170, 0)
    det = ProsodyTurnDetector(max_wait_ms=400)
    assert det.max_wait_ms == 400 and det.need_ms(turn(rise, 0)) <= 400
    assert det.decide(turn(rise, 400)) == TURN_OVER
    assert ProsodyTurnDetector(max_wait_ms=0).decide(turn(rise, 0)) == TURN_OVER
    # a model that would wait for ever on this turn is still cut at the maximum
    patient = TurnModel(weights=[-50.0] * 10, base_wait_ms=1000.0)
    det = ProsodyTurnDetector(max_wait_ms=1500, model=patient)
    assert det.need_ms(turn(rise, 0)) == 1500.0
    assert det.decide(turn(rise, 1500)) == TURN_OVER and det.decide(turn(rise, 1490)) > 0


def test_no_voice_in_the_turn_is_over():
    silence = [FrameLabels(0, 0, -127.0, 0, 0, False) for _ in range(50)]
    assert ProsodyTurnDetector().decide(turn(silence, 500)) == TURN_OVER
    assert ProsodyTurnDetector().decide(turn([], 0)) == TURN_OVER


def test_bad_arguments_name_what_was_expected():
    with pytest.raises(ValueError, match="max_wait_ms must be in 0..60000"):
        ProsodyTurnDetector(max_wait_ms=-1)
    with pytest.raises(TypeError, match="max_wait_ms must be a number"):
        ProsodyTurnDetector(max_wait_ms="2s")
    with pytest.raises(TypeError, match="model must be a TurnModel"):
        ProsodyTurnDetector(model=object())
    with pytest.raises(TypeError, match="expected a TurnSoFar"):
        ProsodyTurnDetector().decide([])
    with pytest.raises(TypeError, match="each item must be a FrameLabels"):
        ProsodyTurnDetector().decide(turn([1, 2, 3], 0))
    with pytest.raises(ValueError, match="weights needs 10 numbers"):
        TurnModel(weights=[1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="every scale > 0"):
        TurnModel(scale=[0.0] * 10)
    with pytest.raises(InvalidArgumentError, match="min_wait_ms <= max_wait_ms"):
        TurnModel(min_wait_ms=500, max_wait_ms=100)


# ---- in ReplyOnPause, on the local network

def say(text, voice="en-us"):
    out = subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "--stdout", text],
                         capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(out)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64)
        rate = w.getframerate()
    n = int(x.size * 16000 / rate)
    return np.interp(np.linspace(0, x.size - 1, n), np.arange(x.size), x).astype(np.int16)


def silence(ms):
    return np.zeros(16 * ms, np.int16)


def run_turns(service, name, audio, detector, max_turn_wait_ms):
    calls = []

    def reply(pcm):
        calls.append(pcm)
        yield 16000, np.zeros(1600, np.int16)

    agent, _ = join(service, name, "agent", record=False)
    caller, _ = join(service, name, "caller")
    rop = ReplyOnPause(reply, end_of_turn=detector, max_turn_wait_ms=max_turn_wait_ms).start(agent)
    try:
        assert caller.push_audio_pcm_data(audio, 16000, 1) == 0
        wait_until(lambda: len(rop.events("utterance")) >= 1, timeout=30, what="a turn")
        rop.wait_for("reply_done", 1, timeout=10)
    finally:
        rop.stop()
    return rop.events("utterance"), calls, rop.events("error")


def test_a_pause_in_mid_sentence_does_not_end_the_turn(service):
    """"My number is, five five five," 700 ms "zero one three four.": one turn of
    two utterances (the VAD stops inside the pause)."""
    audio = np.concatenate([silence(200), say("My number is, five five five,"), silence(700),
                            say("zero one three four."), silence(4000)])
    utts, calls, errors = run_turns(service, "prosody-mid", audio, ProsodyTurnDetector(), 60000)
    assert errors == [] and len(utts) == 1 and utts[0].info == 2 and len(calls) == 1


def test_a_falling_sentence_end_ends_the_turn(service):
    """With every cap out of reach (60 s), the turn is answered: the detector itself
    said it was over."""
    audio = np.concatenate([silence(200), say("I need a taxi to the airport."), silence(6000)])
    det = ProsodyTurnDetector(max_wait_ms=60000)
    utts, calls, errors = run_turns(service, "prosody-end", audio, det, 60000)
    assert errors == [] and len(utts) == 1 and utts[0].info == 1 and len(calls) == 1
