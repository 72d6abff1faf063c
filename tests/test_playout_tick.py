"""The RTP receive side's 10 ms playout tick, through the public API: alice
publishes to bob over loopback, bob's audio frame observer and his remote
audio statistics are what is checked.

* Each 10 ms frame reaches the observer in its own playout tick, whatever the
  packet length (10 or 20 ms Opus packets, 30 ms G.711 packets): frames are
  handed on one per tick as soon as they are due, not two (or three) at once.
  Checked by cadence, not by clock: the frames' render_time_ms (the tick that
  played them) are counted, a 20 ms tick would stamp pairs of frames alike.
* With 10 ms packets the jitter buffer's target on a clean path is below the
  20 ms of 20 ms packets: its floor is one packet."""
import time

import numpy as np
import pytest

from agora_rtc.agora_parameter import AUDIO_PACKET_MS

from conftest import wait_until
from test_rtp_transport import SSRC, Pair, speech


def render_times(rec, uid):
    with rec.cond:
        return [f.render_time_ms for f in rec.frames.get(uid, [])]


def heard(p, packet_ms, seconds, codec=None):
    """alice sends `seconds` of speech in packets of packet_ms; bob's frames
    from her, after the stream settled (the first 0.5 s left out)."""
    if codec is not None:  # on the wire both ways; bob's stream of alice takes it when re-added
        for conn in (p.a, p.b):
            assert conn._rtp_set_audio_codec(*codec, packet_ms) == 0
        assert p.b._rtp_remove_remote(SSRC) == 0
        assert p.b._rtp_add_remote(SSRC, b"alice") == 0
    else:
        assert p.a.get_agora_parameter().set_int(AUDIO_PACKET_MS, packet_ms) == 0
    x = np.tile(speech(), 2)[:int(seconds * 16000)]
    assert p.a.push_audio_pcm_data(x, 16000) == 0
    wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=seconds + 20)
    time.sleep(0.5)
    return render_times(p.rb, "alice")[50:]


@pytest.mark.parametrize("packet_ms", [10, 20])
def test_each_10_ms_frame_is_played_in_its_own_tick(service, packet_ms):
    p = Pair(service)
    try:
        times = heard(p, packet_ms, 3.0)
        assert len(times) >= 200, len(times)
        # one frame per tick: consecutive frames stamped by different ticks (a 20 ms
        # tick stamps half of them alike; a scheduling stall's catch-up ticks may run
        # within one ms: a few alike)
        same = sum(a == b for a, b in zip(times, times[1:]))
        assert same <= 0.25 * len(times), (same, len(times))
        # and each tick 10 ms of audio: as many frames as 10 ms ticks over the span
        span_ticks = (times[-1] - times[0]) / 10
        assert 0.7 * span_ticks <= len(times) - 1 <= 1.3 * span_ticks, (len(times), span_ticks)
    finally:
        p.release()


def test_30_ms_call_packets_are_played_10_ms_a_tick(service):
    """G.711 in 30 ms packets (a phone's ptime): each packet's three 10 ms
    frames go to the observer in three ticks."""
    p = Pair(service)
    try:
        times = heard(p, 30, 3.0, codec=(1, 0, -1))
        assert len(times) >= 200, len(times)
        same = sum(a == b for a, b in zip(times, times[1:]))
        assert same <= 0.25 * len(times), (same, len(times))  # (a 20 ms tick: every other one)
    finally:
        p.release()


def test_10_ms_packets_have_a_lower_jitter_buffer_target(service):
    """alice talks to bob in 10 ms packets and carol to dave in 20 ms ones, at the
    same time (both see the same machine), in spurts with pauses between on a
    clean path. The target's floor is one packet: 10 ms packets settle below the
    20 ms packets' 20 ms (each spurt after a pause starts within 10 ms of it). The
    mean wait per packet is printed, not judged: the delay moves within a band
    around the target (time-stretching only outside it), so on a clean path both
    average about 11 ms (benchmarks/README.md, "10 ms playout tick")."""
    assert service.get_agora_parameter().set_int("agora_rtc.stats_interval_ms", 250) == 0
    pairs = {ms: Pair(service) for ms in (10, 20)}
    try:
        for ms, p in pairs.items():
            assert p.a.get_agora_parameter().set_int(AUDIO_PACKET_MS, ms) == 0
        spurt = speech(0.6)
        for _ in range(8):
            for p in pairs.values():
                assert p.a.push_audio_pcm_data(spurt, 16000) == 0
            for p in pairs.values():
                wait_until(p.a.is_push_to_rtc_completed, timeout=10)
            time.sleep(0.3)  # the pause
        time.sleep(0.3)
        stats = {ms: p.b._remote_audio_stats()[0][0] for ms, p in pairs.items()}
    finally:
        for p in pairs.values():
            p.release()
    wait = {ms: s["jitter_buffer_delay_sum_ms"] / s["packets_played"] for ms, s in stats.items()}
    target = {ms: s["jitter_buffer_target_ms"] for ms, s in stats.items()}
    print(f"\nmean jitter buffer wait: {wait[10]:.1f} ms with 10 ms packets (target {target[10]}), "
          f"{wait[20]:.1f} ms with 20 ms packets (target {target[20]})")
    assert target[10] < min(20, target[20]), (wait, target)  # below a 20 ms floor
    # a clean path: nothing lost or late to get there
    for s in stats.values():
        assert s["packets_lost"] == 0 and s["packets_late"] == 0, s


def test_listener_settings_change_reaches_every_stream_of_a_tick(service):
    """bob hears three talkers (three remote streams, pulled in the same ticks);
    his settings are read once per tick for all of them (not once per stream):
    a switch of his frame rate mid-talk reaches every stream, each switches once
    and never goes back, and a registration after a stretch with no observer
    (ticks that made no receive job) gets frames again."""
    from test_rtp_transport import EV_CONNECTED, RtpConnection, RtpRecorder
    import agora_rtc as ar

    bob = RtpConnection(service, ar.RTCConnConfig())
    rec = RtpRecorder()
    bob.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 16000)
    assert bob.register_audio_frame_observer(rec, 1, ar.AudioVadConfigV2()) == 0
    rc, port = bob._rtp_open(b"127.0.0.1")
    assert rc == 0
    assert bob.connect("", "room", "bob") == 0
    talkers = []
    try:
        for i in range(3):
            t = RtpConnection(service, ar.RTCConnConfig())
            talkers.append(t)
            assert t._rtp_open(b"127.0.0.1")[0] == 0
            assert t.connect("", "room", f"t{i}") == 0
            assert t._rtp_set_publish_target(b"127.0.0.1", port, 0, 2000 + i) == 0
            assert bob._rtp_add_remote(2000 + i, f"t{i}".encode()) == 0
            assert t.publish_audio() == 0
            assert t._post_event(EV_CONNECTED, None, 1) == 0
        assert bob._post_event(EV_CONNECTED, None, 1) == 0
        x = np.tile(speech(), 2)
        for t in talkers:
            assert t.push_audio_pcm_data(x, 16000) == 0
        users = [f"t{i}" for i in range(3)]
        wait_until(lambda: all(rec.frame_count(u) >= 50 for u in users), timeout=10, what="frames of all three")
        assert bob.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 8000) == 0
        wait_until(lambda: all(rec.frame_count(u) >= 150 for u in users), timeout=10, what="a second more")
        for u in users:
            with rec.cond:
                rates = [f.samples_per_sec for f in rec.frames[u]]
            k = rates.index(8000)
            assert k >= 50 and set(rates[:k]) == {16000} and set(rates[k:]) == {8000}, (u, rates)
        # no observer for a while: the ticks make no job; registered again, frames come
        assert bob.unregister_audio_frame_observer() == 0
        time.sleep(0.3)
        rec2 = RtpRecorder()
        assert bob.register_audio_frame_observer(rec2, 1, ar.AudioVadConfigV2()) == 0
        wait_until(lambda: all(rec2.frame_count(u) >= 20 for u in users), timeout=10,
                   what="frames after registering again")
    finally:
        for t in talkers:
            t.release()
        bob.release()
