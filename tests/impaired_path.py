"""An RTP leg through the impairing relay (tests/impair_relay.py), and what its
listener heard: shared by test_faults.py and test_adaptive_playout.py."""
import time

from impair_relay import ImpairRelay
from test_rtp_transport import Pair, RtpRecorder


class StatsRecorder(RtpRecorder):
    """Keeps each remote audio statistics callback."""

    def on_remote_audio_track_statistics(self, lu, track, stats):
        self._add("remote_stats", stats)


class TimedStatsRecorder(StatsRecorder):
    """Keeps each statistics callback with the time it came."""

    def on_remote_audio_track_statistics(self, lu, track, stats):
        self._add("remote_stats", (time.monotonic(), stats))

    def stats_since(self, t0):
        with self.cond:
            return [s for e in self.events if e[0] == "remote_stats"
                    for (t, s) in [e[1][0]] if t >= t0]


def relayed_pair(service, **relay_args):
    """alice -> relay (ImpairRelay(**relay_args)) -> bob: (Pair, relay)."""
    box = {}

    def via(port):
        box["relay"] = ImpairRelay(port, **relay_args)
        return box["relay"].port

    p = Pair(service, via=via)
    return p, box["relay"]


def latencies(rec, uid):
    """[(render_time_ms, latency up to a constant in ms)] of every frame heard."""
    with rec.cond:
        frames = list(rec.frames.get(uid, []))
    out = []
    base = None
    for f in frames:
        ts = f.rtp_timestamp
        if base is None:
            base = ts
        sent_ms = ((ts - base) % 2 ** 32) / 48.0
        out.append((f.render_time_ms, f.render_time_ms - sent_ms))
    return out
