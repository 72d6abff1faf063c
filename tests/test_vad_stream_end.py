"""A remote user's stream that stops is silence to the listener's VAD: an utterance cut off by
the end of the stream (the sender stopped pushing mid-speech or without enough trailing silence
for the stop window) still gets its stop, through gap frames of silence that only a VAD in speech
hears. Listeners without VAD, and VADs that already stopped, get exactly what was pushed."""
import time

import numpy as np

import agora_rtc as ar
from conftest import asset_pcm, barrier, frame_count, join, wait_until

def question():
    return asset_pcm("caller_question.wav")


def loud_frames(pcm):
    frames = pcm[:len(pcm) // 160 * 160].reshape(-1, 160).astype(float)
    dbfs = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) / 32768 + 1e-9)
    return np.nonzero(dbfs > -55)[0]


def states(rec, uid):
    with rec.cond:
        return [s for s, _ in rec.vad.get(uid, [])]


def test_an_utterance_cut_off_by_the_end_of_the_stream_gets_its_stop(service):
    pcm = question()
    cut = (loud_frames(pcm)[-1] + 1) * 160          # ends on the last loud frame: no trailing pause
    speech = pcm[:cut]
    pushed = len(speech) // 160
    cfg = ar.AudioVadConfigV2.for_agents()
    caller, _ = join(service, "gap", "caller", record=False)
    agent, heard = join(service, "gap", "agent", vad=cfg)
    _, plain = join(service, "gap", "plain", publish=False)          # no VAD: hears only what was sent
    assert caller.push_audio_pcm_data(speech, 16000, 1) == 0
    heard.wait_for(lambda: 3 in states(heard, "caller"), timeout=15)
    s = states(heard, "caller")
    assert s.count(1) == 1 and s.count(3) == 1, s
    frames = heard.frames["caller"]
    extra = frames[pushed:]
    assert 0 < len(extra) <= cfg.stopRecognizeCount, len(extra)
    assert all(not np.any(np.frombuffer(bytes(f.buffer), np.int16)) for f in extra)
    assert s.index(3) == len(frames) - 1           # the stop is the last frame heard: gaps end there
    barrier(caller, plain)
    assert frame_count(plain, "caller") == pushed
    # the stop frame carries the utterance's last bytes, as a stop inside the stream does
    with heard.cond:
        assert heard.vad["caller"][-1][1]


def test_a_vad_that_stopped_inside_the_stream_hears_no_gap(service):
    pcm = question()                               # ends with ~380 ms of quiet: Agora's default stops
    pushed = -(-len(pcm) // 160)                   # the last partial frame is padded and sent
    caller, _ = join(service, "gap2", "caller", record=False)
    agent, heard = join(service, "gap2", "agent", vad=ar.AudioVadConfigV2())
    assert caller.push_audio_pcm_data(pcm, 16000, 1) == 0
    wait_until(caller.is_push_to_rtc_completed, timeout=15, what="push completed")
    barrier(caller, heard)
    s = states(heard, "caller")
    assert s.count(3) == s.count(1) >= 1 and s[-1] in (0, 3), s
    time.sleep(0.5)                                # gap frames would arrive one per 10 ms meanwhile
    assert frame_count(heard, "caller") == pushed


def test_stats_count_only_received_audio_not_gaps(service):
    pcm = question()
    speech = pcm[:(loud_frames(pcm)[-1] + 1) * 160]
    caller, _ = join(service, "gap3", "caller", record=False)
    agent, heard = join(service, "gap3", "agent", vad=ar.AudioVadConfigV2.for_agents())
    assert caller.push_audio_pcm_data(speech, 16000, 1) == 0
    heard.wait_for(lambda: 3 in states(heard, "caller"), timeout=15)
    barrier(caller, heard)
    remotes, _ = agent._remote_audio_stats()     # what the stats callbacks report
    (caller_stats,) = [r for r in remotes if r["user_id"] == "caller"]
    assert caller_stats["frames_received"] == len(speech) // 160
    assert caller_stats["bytes_received"] == len(speech) * 2


def _speaking_then(service, channel, stop_hearing):
    """The caller talks (no trailing pause) to an agent with VAD; once the agent's VAD started,
    stop_hearing(caller) ends the caller's stream. Returns the agent's recorder."""
    pcm = question()
    speech = pcm[:(loud_frames(pcm)[-1] + 1) * 160]
    caller, _ = join(service, channel, "caller", record=False)
    agent, heard = join(service, channel, "agent", vad=ar.AudioVadConfigV2())
    assert caller.push_audio_pcm_data(speech, 16000, 1) == 0
    heard.wait_for(lambda: 1 in states(heard, "caller"), timeout=15)
    stop_hearing(caller)
    return heard


def test_a_user_who_leaves_mid_utterance_gets_a_stop(service):
    heard = _speaking_then(service, "leave-mid", lambda caller: caller.disconnect())
    heard.wait_event("left", "caller")
    heard.wait_for(lambda: 3 in states(heard, "caller"))
    s = states(heard, "caller")
    assert s.count(1) == s.count(3) and s[-1] == 3, s   # every start has its stop


def test_a_user_who_unpublishes_mid_utterance_gets_a_stop(service):
    heard = _speaking_then(service, "unpub-mid", lambda caller: caller.unpublish_audio())
    heard.wait_for(lambda: 3 in states(heard, "caller"))
    s = states(heard, "caller")
    assert s.count(1) == s.count(3) and s[-1] == 3, s
