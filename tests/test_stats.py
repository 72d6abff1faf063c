"""Statistics: on_transport_stats(RTCStats) and the local/remote audio track
statistics, delivered at every stats tick from engine counters, on the local
network and through Janus (RTP)."""
import threading

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_INVALID_ARGUMENT, ERR_NOT_SUPPORTED
from conftest import join

FAST = 100  # ms: the tests shorten the stats period (default 2000 ms)


class StatsRecorder(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    def __init__(self):
        self.cond = threading.Condition()
        self.transport, self.local, self.remote = [], [], []
        self.connected = threading.Event()

    def on_connected(self, conn, info, reason):
        self.connected.set()

    def on_transport_stats(self, conn, stats):
        with self.cond:
            self.transport.append(stats)
            self.cond.notify_all()

    def on_local_audio_track_statistics(self, lu, stats):
        with self.cond:
            self.local.append(stats)
            self.cond.notify_all()

    def on_remote_audio_track_statistics(self, lu, track, stats):
        with self.cond:
            self.remote.append((track, stats))
            self.cond.notify_all()

    def wait(self, predicate, timeout=20):
        with self.cond:
            assert self.cond.wait_for(predicate, timeout), "timed out waiting for statistics"

    def ticks(self):
        with self.cond:
            return len(self.transport)


def member(service, channel, uid):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    rec = StatsRecorder()
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    conn.register_audio_frame_observer(rec)
    assert conn.connect("", channel, uid) == 0
    assert rec.connected.wait(20)
    assert conn.publish_audio() == 0
    return conn, rec


@pytest.fixture
def fast_stats(service):
    assert service.get_agora_parameter().set_int("agora_rtc.stats_interval_ms", FAST) == 0
    return service


def test_local_transport_and_track_statistics_match_what_was_sent(fast_stats):
    a, ra = member(fast_stats, "stats", "a")
    b, rb = member(fast_stats, "stats", "b")
    frames = 300
    assert a.push_audio_pcm_data(np.full(frames * 160, 700, np.int16), 16000) == 0
    assert a.wait_push_completed(timeout=30)
    nbytes = frames * 320
    ra.wait(lambda: ra.transport and ra.transport[-1].tx_audio_bytes == nbytes)
    rb.wait(lambda: rb.transport and rb.transport[-1].rx_audio_bytes == nbytes)
    ta, tb = ra.transport[-1], rb.transport[-1]
    assert ta.connection_id == a.get_conn_info().id and tb.connection_id == b.get_conn_info().id
    assert ta.tx_bytes == nbytes and ta.rx_bytes == 0
    assert ta.user_count == tb.user_count == 2
    assert tb.tx_audio_bytes == 0
    # while the audio was going out, some interval had a bitrate (256 kbps of PCM)
    assert any(0 < s.tx_audio_k_bit_rate <= 300 for s in ra.transport)
    assert any(0 < s.rx_audio_k_bit_rate <= 300 for s in rb.transport)
    assert ta.memory_app_usage_in_kbytes > 0 and 0 <= ta.cpu_total_usage <= 100

    ra.wait(lambda: ra.local and ra.local[-1].sent_frames == frames)
    local = ra.local[-1]
    assert (local.num_channels, local.sent_sample_rate, local.internal_codec) == (1, 16000, 0)
    assert any(s.sent_bitrate > 0 for s in ra.local)

    rb.wait(lambda: rb.remote and rb.remote[-1][1].received_frames == frames)
    track, rs = rb.remote[-1]
    assert track.user_id == "a" and rs.user_id == "a" and rs.uid == 0
    assert (rs.received_sample_rate, rs.num_channels, rs.received_bytes) == (16000, 1, nbytes)
    assert (rs.audio_loss_rate, rs.jitter_buffer_delay, rs.lost_packets) == (0, 0, 0)
    assert all(t.user_id != "b" for t, _ in rb.remote)      # nobody hears themselves


def test_track_statistics_follow_the_pushed_format(fast_stats):
    a, ra = member(fast_stats, "fmt", "10")
    b, rb = member(fast_stats, "fmt", "20")
    assert a.push_audio_pcm_data(np.zeros(48000 * 2, np.int16), 48000, 2) == 0   # 1 s stereo
    assert a.wait_push_completed(timeout=30)
    ra.wait(lambda: ra.local and ra.local[-1].sent_frames == 100)
    assert (ra.local[-1].sent_sample_rate, ra.local[-1].num_channels) == (48000, 2)
    ra.wait(lambda: ra.transport and ra.transport[-1].tx_audio_bytes == 100 * 480 * 2 * 2)
    rb.wait(lambda: rb.remote and rb.remote[-1][1].received_frames == 100)
    rs = rb.remote[-1][1]
    assert (rs.uid, rs.received_sample_rate, rs.num_channels) == (10, 48000, 2)


def test_no_statistics_when_not_connected_or_after_unregister(fast_stats):
    clock, rclock = member(fast_stats, "clock", "clock")
    idle = fast_stats.create_rtc_connection(ar.RTCConnConfig())
    ridle = StatsRecorder()
    idle.register_observer(ridle)
    idle.register_local_user_observer(ridle)
    gone, rgone = member(fast_stats, "clock", "gone")
    rgone.wait(lambda: len(rgone.transport) >= 1)
    gone.unregister_observer()
    gone.unregister_local_user_observer()
    seen = (len(rgone.transport), len(rgone.local))
    start = rclock.ticks()
    rclock.wait(lambda: len(rclock.transport) >= start + 3)   # three more periods went by
    assert ridle.transport == [] and ridle.local == []
    assert (len(rgone.transport), len(rgone.local)) == seen


def test_observer_exceptions_in_statistics_go_to_the_handler(fast_stats):
    errors = []
    ar.set_observer_exception_handler(lambda event, obs, exc: errors.append(event))
    try:
        class Broken(StatsRecorder):
            def on_transport_stats(self, conn, stats):
                super().on_transport_stats(conn, stats)
                raise RuntimeError("boom")
        conn = fast_stats.create_rtc_connection(ar.RTCConnConfig())
        rec = Broken()
        conn.register_observer(rec)
        assert conn.connect("", "broken", "x") == 0
        rec.wait(lambda: len(rec.transport) >= 2)
        assert "on_transport_stats" in errors
    finally:
        ar.set_observer_exception_handler(None)


def test_stats_interval_parameter(service):
    p = service.get_agora_parameter()
    assert p.get_int("agora_rtc.stats_interval_ms") == 2000
    assert p.set_int("agora_rtc.stats_interval_ms", 99) == ERR_INVALID_ARGUMENT
    assert p.set_int("agora_rtc.stats_interval_ms", 60001) == ERR_INVALID_ARGUMENT
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    assert conn.get_agora_parameter().set_int("agora_rtc.stats_interval_ms", 500) == ERR_NOT_SUPPORTED
    assert p.set_int("agora_rtc.stats_interval_ms", 500) == 0
    assert p.get_int("agora_rtc.stats_interval_ms") == 500


@pytest.mark.skipif("not __import__('agora_rtc.janus').janus.janus_available()")
def test_statistics_through_janus():
    from agora_rtc.janus import JanusServer
    with JanusServer() as srv:
        url = f"{srv.transport_url}?admin_key={srv.admin_key}"
        with ar.AgoraService(ar.AgoraServiceConfig(appid="stats", transport_url=url)) as svc:
            assert svc.get_agora_parameter().set_int("agora_rtc.stats_interval_ms", 200) == 0
            a, ra = member(svc, "777", "alice")
            b, rb = member(svc, "777", "bob")
            rb.wait(lambda: rb.transport and rb.transport[-1].user_count == 2, timeout=30)
            tone = (8000 * np.sin(np.arange(16000 * 2) * 2 * np.pi * 440 / 16000)).astype(np.int16)
            assert a.push_audio_pcm_data(tone, 16000) == 0
            assert a.wait_push_completed(timeout=30)
            rb.wait(lambda: any(t.user_id == "alice" and s.received_frames >= 50 for t, s in rb.remote),
                    timeout=30)
            ra.wait(lambda: ra.transport and ra.transport[-1].tx_audio_bytes > 0, timeout=30)
            rb.wait(lambda: rb.transport and rb.transport[-1].rx_audio_bytes > 0, timeout=30)
            ra.wait(lambda: ra.local and ra.local[-1].sent_frames == 200, timeout=30)
            local = ra.local[-1]
            assert local.internal_codec == int(ar.AudioCodecType.AUDIO_CODEC_OPUS)
            assert local.sent_sample_rate == 48000
            rs = [s for t, s in rb.remote if t.user_id == "alice"][-1]
            assert rs.jitter_buffer_delay >= 0 and rs.received_bytes > 0
            assert 0 <= rs.audio_loss_rate <= 100
            stats = a._rtp_stats()
            assert ra.transport[-1].tx_bytes <= stats["bytes_sent"]
            a.release()
            b.release()


def test_release_racing_statistics_ticks(fast_stats):
    """Connections released while ticks are delivered: no crash, no spurious
    observer errors, and no statistics after release returns."""
    assert fast_stats.get_agora_parameter().set_int("agora_rtc.stats_interval_ms", 100) == 0
    errors_before = ar.observer_error_count()
    for i in range(15):
        a, ra = member(fast_stats, f"race{i}", "a")
        b, rb = member(fast_stats, f"race{i}", "b")
        assert a.push_audio_pcm_data(np.zeros(1600, np.int16), 16000) == 0
        rb.wait(lambda: len(rb.transport) >= 1)
        (a if i % 2 else b).release()
        n = (len(ra.transport), len(ra.local)) if i % 2 else (len(rb.transport), len(rb.local))
        (b if i % 2 else a).release()
        assert n == ((len(ra.transport), len(ra.local)) if i % 2 else (len(rb.transport), len(rb.local)))
    assert ar.observer_error_count() == errors_before
