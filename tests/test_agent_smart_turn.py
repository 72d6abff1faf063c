"""SmartTurnDetector (Smart Turn v3.2 through onnxruntime, optional extra
agora_rtc[turn]) through the public API. Skipped without onnxruntime and
pipecat-ai (whose wheel ships the ONNX file)."""
import importlib.util
import time

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
if importlib.util.find_spec("pipecat") is None:
    pytest.skip("pipecat-ai (the Smart Turn ONNX file) is not installed", allow_module_level=True)

from agora_rtc.agent import TURN_OVER, WAIT, EndOfTurnDetector, FrameLabels, TurnSoFar  # noqa: E402
from agora_rtc.agent.smart_turn import SmartTurnDetector, smart_turn_model_path, whisper_log_mel  # noqa: E402
from test_agent_prosody_turn import say, silence  # noqa: E402


@pytest.fixture(scope="module")
def detector():
    det = SmartTurnDetector(max_wait_ms=2000)
    yield det
    det.close()


def spoken(text, pause_ms):
    return np.concatenate([silence(200), say(text), silence(pause_ms)])


def as_turn(pcm, pause_ms, uid):
    n = len(pcm) // 160
    labels = [FrameLabels(2, 100, -27.0, 95, 120, True) for _ in range(n - pause_ms // 10)]
    labels += [FrameLabels(0, 0, -127.0, 0, 0, False) for _ in range(pause_ms // 10)]
    return TurnSoFar(uid, 16000, 1, pcm[:n * 160].tobytes(), labels, 1, float(pause_ms), 0.0)


def test_the_model_file_comes_from_the_installed_package():
    assert smart_turn_model_path().endswith("smart-turn-v3.2-cpu.onnx")


def test_features_have_the_model_input_shape():
    f = whisper_log_mel(np.zeros(16000, np.float32) + 0.01 * np.sin(np.arange(16000)))
    assert f.shape == (80, 800) and f.dtype == np.float32 and np.isfinite(f).all()


def test_a_finished_sentence_is_complete_and_a_cut_one_is_not(detector):
    p_done = detector.probability(spoken("I need a taxi to the airport.", 300) / 32768.0)
    p_cut = detector.probability(spoken("I would like to", 300) / 32768.0)
    p_list = detector.probability(spoken("My number is, five five five,", 300) / 32768.0)
    assert p_done >= 0.5 > max(p_cut, p_list)


def answer(detector, turn, timeout=30):
    """Ask like ReplyOnPause (again and again) until the model has answered."""
    first = detector.decide(turn)
    deadline = time.monotonic() + timeout
    out = first
    while out == WAIT and time.monotonic() < deadline:
        time.sleep(0.01)
        out = detector.decide(turn)
    return first, out


def test_decide_waits_for_the_model_then_answers_and_honours_the_maximum_wait(detector):
    assert isinstance(detector, EndOfTurnDetector)
    first, out = answer(detector, as_turn(spoken("I need a taxi to the airport.", 300), 300, "a"))
    assert first == WAIT and out == TURN_OVER           # the model ran on its own thread
    cut = as_turn(spoken("I would like to", 300), 300, "b")
    first, out = answer(detector, cut)
    assert first == WAIT and out == pytest.approx(2000 - 300)
    later = as_turn(spoken("I would like to", 2000), 2000, "b")   # the same pause, 1.7 s on
    assert detector.decide(later) == TURN_OVER          # the maximum wait


def test_bad_arguments_name_what_was_expected(detector):
    with pytest.raises(ValueError, match="threshold must be a probability"):
        SmartTurnDetector(threshold=2)
    with pytest.raises(ValueError, match="max_wait_ms must be a number of ms"):
        SmartTurnDetector(max_wait_ms=-1)
    with pytest.raises(TypeError, match="expected a TurnSoFar"):
        detector.decide([])
