"""AudioConsumer: the original's interface, paced by the native media clock."""
import numpy as np
import pytest

import agora_rtc as ar
from conftest import join, tone


def test_consumer_sends_everything_including_a_short_tail(service):
    a, _ = join(service, "consumer", "tts", record=False)
    b, rb = join(service, "consumer", "listener")
    consumer = ar.AudioConsumer(a, 16000, 1)
    pcm = tone(0.5, seed=3)
    tail = tone(0.004, seed=4)  # 4 ms: the original never sent this piece
    assert consumer.push_pcm_data(pcm) == 0
    assert consumer.push_pcm_data(tail.tobytes()) == 0
    assert consumer.len() > 0
    assert a.wait_push_completed(timeout=10)
    assert consumer.is_push_to_rtc_completed()
    assert consumer.len() == 0
    want = np.concatenate([pcm, tail]).tobytes()
    rb.wait_samples("tts", len(want))
    got = rb.pcm("tts")
    assert got[:len(want)] == want
    assert set(got[len(want):]) <= {0}  # the last frame is padded with silence
    # consume() only reports progress: frames sent so far
    assert consumer.consume() == -(-len(want) // 320)


def test_consumer_clear_interrupts_and_release_stops_use(service):
    a, _ = join(service, "consumer2", "tts", record=False)
    b, rb = join(service, "consumer2", "listener")
    consumer = ar.AudioConsumer(a, 48000, 2)
    consumer.push_pcm_data(tone(5.0, rate=48000, channels=2))
    rb.wait_for(lambda: len(rb.frames.get("tts", [])) >= 5)
    consumer.clear()
    assert consumer.is_push_to_rtc_completed()
    assert a.last_interrupt.dropped_ms > 0
    consumer.release()
    assert consumer.consume() == -1
    with pytest.raises(ar.ReleasedError):
        consumer.push_pcm_data(b"\0\0\0\0")


def test_consumer_rejects_bad_format(service):
    a, _ = join(service, "consumer3", "tts", record=False)
    with pytest.raises(ValueError, match="sample_rate must be one of"):
        ar.AudioConsumer(a, 11025, 1)
    with pytest.raises(ValueError, match="channels must be one of 1, 2"):
        ar.AudioConsumer(a, 16000, 3)
    with pytest.raises(TypeError, match="must be an RTCConnection"):
        ar.AudioConsumer(object(), 16000, 1)
