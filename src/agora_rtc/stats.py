"""Statistics of a connection, built from engine counters at each stats tick.

The engine's statistics timer (one thread per service, period
``agora_rtc.stats_interval_ms``, default 2000 ms as Agora's) queues a tick
for every connected connection; on the delivery thread the connection then
calls, in this order:

* ``IRTCConnectionObserver.on_transport_stats(conn, RTCStats)``
* ``IRTCLocalUserObserver.on_local_audio_track_statistics(local_user, LocalAudioTrackStats)``
* ``IRTCLocalUserObserver.on_remote_audio_track_statistics(local_user, RemoteAudioTrack, RemoteAudioTrackStats)``
  once per remote user this connection has received audio from.

Rates (``*_k_bit_rate``, ``sent_bitrate``, ``received_bitrate``, loss rates)
cover the interval since the previous tick; byte and frame counts are totals.
What each transport measures:

* local network: audio travels as PCM in the format it was pushed in, so the
  byte counts are PCM bytes (sent: frames handed to the hub times the size of a
  frame of the last pushed format; received: what the receive paths were fed,
  i.e. while an audio-frame observer is registered). Nothing is lost and there
  is no jitter buffer: loss, jitter-buffer delay and codec are 0.
* Janus/RTP: bytes are RTP bytes on the wire (header included); loss and the
  jitter-buffer delay come from each remote stream's jitter buffer and the
  RTCP receiver reports about ours; ``internal_codec`` is Opus. The
  ``*_packets`` fields of ``RemoteAudioTrackStats`` give the fate of every
  audio packet received from that user, and add up to ``received_packets``
  (see ``RemoteAudioTrackStats``).

Process figures (CPU, memory) come from ``/proc`` and ``os.times()``.
"""
from __future__ import annotations

import os
import threading
import time

from agora_rtc.agora_base import (AudioCodecType, LocalAudioTrackStats, RemoteAudioTrackStats,
                                  RTCStats)
from agora_rtc.local_user import RemoteAudioTrack

_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_NCPU = os.cpu_count() or 1


class _ProcessSampler:
    """CPU and memory of this process and the machine, sampled at most every
    100 ms (many connections tick at the same moment)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._at = 0.0
        self._value = (0.0, 0.0, 0, 0.0, 0.0)
        self._prev_proc = None   # (wall, process cpu seconds)
        self._prev_total = None  # (busy jiffies, total jiffies)

    @staticmethod
    def _machine_jiffies():
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
        idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
        return sum(parts) - idle, sum(parts)

    @staticmethod
    def _memory():
        with open("/proc/self/statm") as f:
            rss_kb = int(f.read().split()[1]) * _PAGE_KB
        info = {}
        with open("/proc/meminfo") as f:
            for line in f:
                key, _, rest = line.partition(":")
                info[key] = int(rest.split()[0])
        total = info.get("MemTotal", 0)
        avail = info.get("MemAvailable", info.get("MemFree", 0))
        app_ratio = 100.0 * rss_kb / total if total else 0.0
        total_ratio = 100.0 * (total - avail) / total if total else 0.0
        return rss_kb, app_ratio, total_ratio

    def sample(self):
        """(cpu_app_usage %, cpu_total_usage %, memory_app_usage_in_kbytes,
        memory_app_usage_ratio %, memory_total_usage_ratio %)."""
        with self._lock:
            now = time.monotonic()
            if now - self._at < 0.1:
                return self._value
            t = os.times()
            proc = (now, t.user + t.system)
            try:
                machine = self._machine_jiffies()
                rss_kb, app_ratio, total_ratio = self._memory()
            except (OSError, ValueError, IndexError):
                machine, rss_kb, app_ratio, total_ratio = None, 0, 0.0, 0.0
            cpu_app = cpu_total = 0.0
            if self._prev_proc is not None and proc[0] > self._prev_proc[0]:
                cpu_app = 100.0 * (proc[1] - self._prev_proc[1]) / (proc[0] - self._prev_proc[0]) / _NCPU
            if machine is not None and self._prev_total is not None and machine[1] > self._prev_total[1]:
                cpu_total = 100.0 * (machine[0] - self._prev_total[0]) / (machine[1] - self._prev_total[1])
            self._prev_proc, self._prev_total = proc, machine
            self._value = (round(cpu_app, 2), round(cpu_total, 2), rss_kb, round(app_ratio, 3),
                           round(total_ratio, 3))
            self._at = now
            return self._value


_process = _ProcessSampler()


def _kbps(delta_bytes: int, interval_s: float) -> int:
    return int(delta_bytes * 8 / 1000 / interval_s) if interval_s > 0 else 0


def _numeric_uid(user_id: str) -> int:
    return int(user_id) if user_id.isdigit() and len(user_id) < 10 else 0


class ConnectionStats:
    """Per-connection bookkeeping between ticks (used on the delivery thread)."""

    def __init__(self):
        self.connected_at = None         # monotonic time of connect()
        self.send_format = (0, 0)        # (rate, channels) of the last push
        self._tx_pcm_bytes = 0           # local: PCM bytes handed to the hub
        self._prev_sent_frames = 0
        self._prev = {}                  # name -> (monotonic, value) for interval rates
        self._prev_remote = {}           # user_id -> (bytes, frames, lost)

    def _delta(self, name, value):
        now = time.monotonic()
        prev = self._prev.get(name)
        self._prev[name] = (now, value)
        if prev is None:
            return value, now - (self.connected_at or now)
        return value - prev[1], now - prev[0]

    def _tx_bytes(self, conn, rtp):
        if rtp is not None:
            return rtp["bytes_sent"]
        sent = conn.get_send_stats()["sent_frames"]
        rate, ch = self.send_format
        self._tx_pcm_bytes += (sent - self._prev_sent_frames) * (rate // 100) * ch * 2
        self._prev_sent_frames = sent
        return self._tx_pcm_bytes

    def transport(self, conn, interval_ms: int) -> RTCStats:
        rtp = conn._rtp_stats() if conn._janus is not None else None
        remotes, users = conn._remote_audio_stats()
        tx = self._tx_bytes(conn, rtp)
        rx = rtp["bytes_received"] if rtp is not None else sum(r["bytes_received"] for r in remotes)
        d_tx, span = self._delta("tx", tx)
        d_rx, _ = self._delta("rx", rx)
        tx_loss = rx_loss = 0
        if rtp is not None:
            tx_loss = rtp["remote_fraction_lost"] * 100 // 256
            d_lost, _ = self._delta("lost", rtp["lost"])
            d_recv, _ = self._delta("rtp_received", rtp["rtp_received"])
            rx_loss = 100 * d_lost // (d_lost + d_recv) if d_lost + d_recv else 0
        cpu_app, cpu_total, rss_kb, app_ratio, total_ratio = _process.sample()
        info = conn.get_conn_info()
        return RTCStats(
            connection_id=info.id,
            duration=int(time.monotonic() - self.connected_at) if self.connected_at else 0,
            tx_bytes=tx, rx_bytes=rx, tx_audio_bytes=tx, rx_audio_bytes=rx,
            tx_k_bit_rate=_kbps(d_tx, span), rx_k_bit_rate=_kbps(d_rx, span),
            tx_audio_k_bit_rate=_kbps(d_tx, span), rx_audio_k_bit_rate=_kbps(d_rx, span),
            user_count=users, cpu_app_usage=cpu_app, cpu_total_usage=cpu_total,
            memory_app_usage_ratio=app_ratio, memory_total_usage_ratio=total_ratio,
            memory_app_usage_in_kbytes=rss_kb,
            tx_packet_loss_rate=tx_loss, rx_packet_loss_rate=rx_loss)

    def audio_tracks(self, conn, interval_ms: int):
        """(LocalAudioTrackStats, [(RemoteAudioTrack, RemoteAudioTrackStats), ...])."""
        rtp = conn._rtp_stats() if conn._janus is not None else None
        send = conn.get_send_stats()
        d_tx, span = self._delta("track_tx", self._tx_bytes(conn, rtp))
        if rtp is not None:
            rate, ch, codec = 48000, 1, int(AudioCodecType.AUDIO_CODEC_OPUS)
        else:
            (rate, ch), codec = self.send_format, 0
        local = LocalAudioTrackStats(num_channels=ch, sent_sample_rate=rate,
                                     sent_bitrate=int(d_tx * 8 / span) if span > 0 else 0,
                                     internal_codec=codec, sent_frames=send["sent_frames"])
        remotes, _ = conn._remote_audio_stats()
        out = []
        for r in remotes:
            uid = r["user_id"]
            prev_bytes, prev_frames, prev_lost = self._prev_remote.get(uid, (0, 0, 0))
            self._prev_remote[uid] = (r["bytes_received"], r["frames_received"], r["packets_lost"])
            d_frames = r["frames_received"] - prev_frames
            d_lost = r["packets_lost"] - prev_lost
            stats = RemoteAudioTrackStats(
                uid=_numeric_uid(uid), user_id=uid,
                jitter_buffer_delay=r["jitter_buffer_delay_ms"],
                audio_loss_rate=100 * d_lost // (d_lost + d_frames) if d_lost + d_frames > 0 else 0,
                num_channels=r["channels"], received_sample_rate=r["sample_rate"],
                received_bitrate=int((r["bytes_received"] - prev_bytes) * 8 / span) if span > 0 else 0,
                received_bytes=r["bytes_received"], received_frames=r["frames_received"],
                lost_packets=r["packets_lost"], concealed_frames=r["frames_concealed"],
                received_packets=r["packets_received"], keepalive_packets=r["keepalives"],
                played_packets=r["packets_played"], late_packets=r["packets_late"],
                duplicate_packets=r["packets_duplicate"], dropped_packets=r["packets_dropped"],
                invalid_packets=r["packets_invalid"], buffered_packets=r["packets_buffered"],
                stale_packets=r["packets_stale"], fec_frames=r["frames_fec"],
                jitter_buffer_target=r["jitter_buffer_target_ms"],
                stretched_frames=r["frames_stretched"], shrunk_packets=r["packets_shrunk"],
                accelerate_operations=r["stretch_accelerations"],
                expand_operations=r["stretch_expansions"], time_stretch_ms=r["stretch_ms"],
                jitter_buffer_delay_sum=r["jitter_buffer_delay_sum_ms"])
            out.append((RemoteAudioTrack(uid), stats))
        return local, out
