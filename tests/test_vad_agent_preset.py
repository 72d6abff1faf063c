"""AudioVadConfigV2.for_agents(): a valid preset that bridges in-sentence pauses and starts
sooner than Agora's defaults, which stay the defaults."""
from agora_rtc._core._engine import VadEngine
from agora_rtc.voice_detection import AudioVadConfigV2

RATE = 16000
FRAME = bytes(2 * RATE // 100)


def run(cfg, labels):
    eng = VadEngine(cfg._native())
    return [eng.process_labels(FRAME, dbfs, vp, RATE, 1)[0] for dbfs, vp in labels]


def speech(frames):
    return [(-25.0, 95)] * frames


def pause(frames):
    return [(-60.0, 5)] * frames


def test_defaults_stay_agoras():
    d = AudioVadConfigV2()
    assert (d.preStartRecognizeCount, d.startRecognizeCount, d.stopRecognizeCount, d.activePercent,
            d.inactivePercent, d.startVoiceProb, d.stopVoiceProb, d.startRmsThreshold,
            d.stopRmsThreshold) == (16, 30, 50, 0.7, 0.5, 70, 70, -50.0, -50.0)
    assert AudioVadConfigV2.for_agents() != d


def test_preset_is_a_fresh_valid_config():
    a, b = AudioVadConfigV2.for_agents(), AudioVadConfigV2.for_agents()
    assert a == b and a is not b
    a._native()  # validates


def test_a_400_ms_pause_cuts_the_default_but_not_the_preset():
    labels = pause(50) + speech(120) + pause(40) + speech(100) + pause(300)
    default = run(AudioVadConfigV2(), labels)
    agent = run(AudioVadConfigV2.for_agents(), labels)
    assert default.count(1) == 2 and default.count(3) == 2
    assert agent.count(1) == 1 and agent.count(3) == 1


def test_turns_a_second_apart_stay_two_with_the_preset():
    labels = pause(50) + speech(120) + pause(100) + speech(100) + pause(300)
    agent = run(AudioVadConfigV2.for_agents(), labels)
    assert agent.count(1) == 2 and agent.count(3) == 2


def test_the_preset_starts_sooner():
    labels = pause(50) + speech(100)
    first_start = {name: run(cfg, labels).index(1)
                   for name, cfg in (("default", AudioVadConfigV2()), ("agent", AudioVadConfigV2.for_agents()))}
    assert first_start["agent"] < first_start["default"]
