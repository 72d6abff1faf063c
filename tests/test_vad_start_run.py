"""AudioVadConfigV2.startRunCount (0 = off, Agora's behaviour): a start also needs the last R
frames active one after another, so bursts that fill the start window with gaps between them
(keyboard clicks) do not start an utterance, while a run of voice still does."""
import pytest

from agora_rtc._core._engine import VadEngine
from agora_rtc.voice_detection import AudioVadConfigV2

RATE = 16000
FRAME = bytes(2 * RATE // 100)
VOICE, QUIET = (-25.0, 95), (-60.0, 5)


def run(cfg, labels):
    eng = VadEngine(cfg._native())
    return [eng.process_labels(FRAME, dbfs, vp, RATE, 1)[0] for dbfs, vp in labels]


def clicks(n_bursts, on=3, off=1):
    """bursts of `on` voice-like frames with `off` quiet frames between them"""
    return ([VOICE] * on + [QUIET] * off) * n_bursts


def cfg(run_count):
    return AudioVadConfigV2(30, 20, 60, 0.6, 0.8, 70, 50, -55.0, startRunCount=run_count)


def test_scattered_bursts_start_without_the_rule_but_not_with_it():
    labels = [QUIET] * 30 + clicks(40) + [QUIET] * 100
    assert run(cfg(0), labels).count(1) >= 1          # 15 of every 20 frames are active
    assert run(cfg(8), labels).count(1) == 0          # never 8 in a row


def test_a_run_of_voice_still_starts_and_where():
    labels = [QUIET] * 30 + [VOICE] * 50 + [QUIET] * 100
    off, on = run(cfg(0), labels), run(cfg(8), labels)
    assert off.count(1) == on.count(1) == 1 and off.count(3) == on.count(3) == 1
    # 12 active frames fill the window after the 12th voice frame, and 12 >= 8 are in a row
    assert on.index(1) == off.index(1) == 30 + 11


def test_the_run_can_delay_a_start():
    # 12 active frames in the window, but the last run is 4 frames long until more voice comes
    labels = [QUIET] * 30 + clicks(2, on=4, off=1) + [VOICE] * 4 + [QUIET] + [VOICE] * 20 + [QUIET] * 100
    off, on = run(cfg(0), labels), run(cfg(8), labels)
    assert off.index(1) < on.index(1)
    assert on.index(1) == 30 + 5 + 5 + 5 + 8 - 1     # the 8th frame of the last run


def test_agoras_defaults_have_it_off():
    assert AudioVadConfigV2().startRunCount == 0
    assert AudioVadConfigV2()._native()[11] == 0


def test_the_agent_preset_uses_it():
    agent = AudioVadConfigV2.for_agents()
    assert agent.startRunCount > 0
    labels = [QUIET] * 30 + clicks(40) + [QUIET] * 100
    assert run(agent, labels).count(1) == 0
    assert run(agent, [QUIET] * 30 + [VOICE] * 50 + [QUIET] * 100).count(1) == 1


@pytest.mark.parametrize("bad", [-1, 21, 1.5, True])
def test_out_of_range_run_count_raises(bad):
    with pytest.raises((ValueError, TypeError), match="startRunCount"):
        AudioVadConfigV2(30, 20, 60, 0.6, 0.8, 70, 50, -55.0, startRunCount=bad)
