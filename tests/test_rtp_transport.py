"""The RTP transport's media plane without Janus: two RTP connections of one
service talk plain RTP/Opus to each other over loopback UDP, with this test
playing the control plane (sockets, publish target, remote SSRCs, connection
events) and, where needed, a lossy relay or a garbage sender in between.

Connections are normal RTCConnections whose native connection is opened with
transport=1 (AGORA_TRANSPORT_RTP); the control-plane calls are the thin
Cython methods ``_rtp_open``, ``_rtp_set_publish_target``, ``_rtp_add_remote``,
``_rtp_remove_remote``, ``_post_event`` and ``_rtp_stats``."""
import hashlib
import hmac
import heapq
import os
import random
import socket
import struct
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.errors import NotSupportedError, ReleasedError
from agora_rtc.rtc_connection import RTCConnection

from conftest import Recorder, wait_until

ASSETS = Path(__file__).resolve().parent.parent / "examples" / "assets"

EV_CONNECTED, EV_DISCONNECTED, EV_FAILURE, EV_USER_JOINED, EV_USER_LEFT, EV_LOST, \
    EV_RECONNECTING, EV_RECONNECTED = range(8)
ERR_INVALID_ARGUMENT, ERR_NOT_READY, ERR_NOT_SUPPORTED, ERR_INVALID_STATE = -2, -3, -4, -8
STATE_DISCONNECTED, STATE_CONNECTING, STATE_CONNECTED, STATE_RECONNECTING, STATE_FAILED = 1, 2, 3, 4, 5
SSRC = 1000
PT_OPUS = 111


class RtpConnection(RTCConnection):
    """An RTCConnection on the RTP transport, as the Janus control plane makes them."""

    def _native_open(self, service, auto_subscribe, role, profile, rate, channels, transport=0):
        super()._native_open(service, auto_subscribe, role, profile, rate, channels, transport=1)


class RtpRecorder(Recorder):
    def on_connection_lost(self, conn, info): self._add("lost", info)
    def on_reconnecting(self, conn, info, reason): self._add("reconnecting", info, reason)
    def on_reconnected(self, conn, info, reason): self._add("reconnected", info, reason)
    def on_first_remote_audio_frame(self, lu, uid, elapsed): self._add("first_frame", uid)

    def on_user_audio_track_state_changed(self, lu, uid, track, state, reason, elapsed):
        self._add("track_state", uid, state, reason)

    def vad_states(self, uid):
        with self.cond:
            return [s for s, _ in self.vad.get(uid, [])]

    def frame_count(self, uid):
        with self.cond:
            return len(self.frames.get(uid, []))


def speech(seconds=None):
    with wave.open(str(ASSETS / "caller_question.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return x if seconds is None else x[:int(seconds * 16000)]


def aligned_ncc(received, original):
    """Normalized cross-correlation of `received` with `original` at the best lag."""
    r = received.astype(np.float64)
    o = original.astype(np.float64)
    n = 1 << int(np.ceil(np.log2(r.size + o.size)))
    corr = np.fft.irfft(np.fft.rfft(r, n) * np.conj(np.fft.rfft(o, n)), n)
    lag = int(np.argmax(corr[:r.size]))
    seg = r[lag:lag + o.size]
    ref = o[:seg.size]
    return float(np.dot(seg, ref) / np.sqrt(np.dot(seg, seg) * np.dot(ref, ref) + 1e-9)), lag


def chunk_ncc(received, original, chunk=8000):
    """Median over `chunk`-sample pieces of the original of each piece's best
    normalized correlation anywhere in `received`: robust to the timeline
    shifts a jitter buffer makes (concealment inserted, packets skipped)."""
    scores = []
    for i in range(0, original.size - chunk + 1, chunk):
        piece = original[i:i + chunk]
        if np.sqrt(np.mean(piece.astype(np.float64) ** 2)) < 300:
            continue  # silence: nothing to recognise
        scores.append(aligned_ncc_local(received, piece))
    return float(np.median(scores)), scores


def aligned_ncc_local(received, piece):
    r = received.astype(np.float64)
    o = piece.astype(np.float64)
    n = 1 << int(np.ceil(np.log2(r.size + o.size)))
    corr = np.fft.irfft(np.fft.rfft(r, n) * np.conj(np.fft.rfft(o, n)), n)[:r.size - o.size + 1]
    # energy of every window of r, to normalise each lag
    c = np.concatenate([[0.0], np.cumsum(r * r)])
    energy = c[o.size:] - c[:-o.size]
    ncc = corr / np.sqrt(energy * np.dot(o, o) + 1e-9)
    return float(ncc.max())


def tracked_ncc(received, original, win=800):
    """Per `win`-sample window of `original` with sound, its best normalized
    correlation in `received` within `win` samples of where the previous window
    matched (the first one: the best global alignment). Follows the small
    timeline shifts a time-stretching jitter buffer makes (a pitch period
    removed or added at a time), which one global alignment does not.
    Returns (energy-weighted mean, per-window scores)."""
    r = received.astype(np.float64)
    o = original.astype(np.float64)
    _, lag = aligned_ncc(received, original)
    scores, weights = [], []
    for i in range(0, o.size - win + 1, win):
        piece = o[i:i + win]
        energy = float(np.dot(piece, piece))
        if np.sqrt(energy / win) < 300:
            continue  # silence: nothing to recognise
        lo = max(0, i + lag - win)
        seg = r[lo:i + lag + 2 * win]
        if seg.size < win:
            break
        corr = np.correlate(seg, piece, mode="valid")
        c = np.concatenate([[0.0], np.cumsum(seg * seg)])
        ncc = corr / np.sqrt((c[win:] - c[:-win]) * energy + 1e-9)
        k = int(np.argmax(ncc))
        scores.append(float(ncc[k]))
        weights.append(energy)
        lag = lo + k - i
    return float(np.average(scores, weights=weights)), scores


def stretched(conn, uid):
    """Time-stretch operations of conn's jitter buffer for uid (they shift the timeline)."""
    for r in conn._remote_audio_stats()[0]:
        if r["user_id"] == uid:
            return r["stretch_accelerations"] + r["stretch_expansions"]
    return 0


def pcm(rec, uid):
    return np.frombuffer(rec.pcm(uid), dtype=np.int16)


class Pair:
    """alice (A) publishes to bob (B), who hears her stream as SSRC 1000."""

    def __init__(self, service, *, via=None, vad=True, publish=True, rtcp_port=0, rate=16000,
                 vad_config=None):
        self.a = RtpConnection(service, ar.RTCConnConfig())
        self.b = RtpConnection(service, ar.RTCConnConfig())
        self.ra, self.rb = RtpRecorder(), RtpRecorder()
        for conn, rec in ((self.a, self.ra), (self.b, self.rb)):
            assert conn.register_observer(rec) == 0
            assert conn.register_local_user_observer(rec) == 0
        self.b.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, rate)
        if vad:
            cfg = ar.AudioVadConfigV2() if vad_config is None else vad_config
            assert self.b.register_audio_frame_observer(self.rb, 1, cfg) == 0
        else:
            assert self.b.register_audio_frame_observer(self.rb) == 0
        rc, self.a_port = self.a._rtp_open(b"127.0.0.1")
        assert rc == 0 and self.a_port > 0
        rc, self.b_port = self.b._rtp_open(b"127.0.0.1")
        assert rc == 0 and self.b_port > 0 and self.b_port != self.a_port
        assert self.a.connect("", "room", "alice") == 0
        assert self.b.connect("", "room", "bob") == 0
        assert self.a.get_conn_info().state == STATE_CONNECTING
        target = self.b_port if via is None else via(self.b_port)
        assert self.a._rtp_set_publish_target(b"127.0.0.1", target, rtcp_port, SSRC) == 0
        assert self.b._rtp_add_remote(SSRC, b"alice") == 0
        if publish:
            assert self.a.publish_audio() == 0
        assert self.a._post_event(EV_CONNECTED, None, 1) == 0
        assert self.b._post_event(EV_CONNECTED, None, 1) == 0
        self.ra.wait_event("connected")
        self.rb.wait_event("connected")

    def release(self):
        self.a.release()
        self.b.release()


@pytest.fixture
def pair(service):
    p = Pair(service)
    yield p
    p.release()


# ---------------------------------------------------------------- relays


class Relay:
    """A UDP relay thread between A and B that logs every packet and can impair
    the stream: drop, duplicate, swap with the next packet, or hold back long
    enough to be late. Decisions come from a seeded RNG, one per packet."""

    def __init__(self, dst_port, *, drop=0.0, dup=0.0, reorder=0.0, late=0.0, late_s=0.35, seed=1234):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.002)
        self.port = self.sock.getsockname()[1]
        self.dst = ("127.0.0.1", dst_port)
        self.p = (drop, dup, reorder, late)
        self.late_s = late_s
        self.rng = random.Random(seed)
        self.log = []       # (arrival monotonic s, datagram)
        self.counts = {"drop": 0, "dup": 0, "reorder": 0, "late": 0, "pass": 0}
        self._held = None
        self._delayed = []  # heap of (due, n, datagram)
        self._n = 0
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="rtp-relay", daemon=True)
        self._thread.start()

    def _send(self, data):
        self.sock.sendto(data, self.dst)

    def _loop(self):
        while self._running:
            now = time.monotonic()
            while self._delayed and self._delayed[0][0] <= now:
                self._send(heapq.heappop(self._delayed)[2])
            try:
                data, _ = self.sock.recvfrom(4096)
            except (socket.timeout, BlockingIOError):
                continue
            except OSError:
                return
            self.log.append((time.monotonic(), data))
            drop, dup, reorder, late = self.p
            r = self.rng.random()
            if r < drop:
                self.counts["drop"] += 1
                continue
            if r < drop + dup:
                self.counts["dup"] += 1
                self._send(data)
                self._send(data)
            elif r < drop + dup + reorder and self._held is None:
                self.counts["reorder"] += 1
                self._held = data  # goes out after the next packet
                continue
            elif r < drop + dup + reorder + late:
                self.counts["late"] += 1
                self._n += 1
                heapq.heappush(self._delayed, (time.monotonic() + self.late_s, self._n, data))
            else:
                self.counts["pass"] += 1
                self._send(data)
            if self._held is not None:
                self._send(self._held)
                self._held = None

    def close(self):
        self._running = False
        self._thread.join(2)
        self.sock.close()


def parse_rtp(d):
    b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", d[:12])
    return {"version": b0 >> 6, "marker": b1 >> 7, "pt": b1 & 0x7F, "seq": seq, "ts": ts, "ssrc": ssrc,
            "payload": d[12:], "keepalive": bool(b0 & 0x20) and len(d) - 12 == d[-1]}


# ---------------------------------------------------------------- API surface


def test_rtp_calls_on_a_local_connection_are_not_supported(service):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    try:
        assert conn._rtp_open(b"127.0.0.1")[0] == ERR_NOT_SUPPORTED
        assert conn._rtp_set_publish_target(b"127.0.0.1", 4000, 0, SSRC) == ERR_NOT_SUPPORTED
        assert conn._rtp_add_remote(SSRC, b"alice") == ERR_NOT_SUPPORTED
        assert conn._rtp_remove_remote(SSRC) == ERR_NOT_SUPPORTED
        assert conn._post_event(EV_CONNECTED, None, 1) == ERR_NOT_SUPPORTED
        with pytest.raises(NotSupportedError):
            conn._rtp_stats()
    finally:
        conn.release()


def test_rtp_argument_and_order_checks(service):
    conn = RtpConnection(service, ar.RTCConnConfig())
    try:
        # nothing is open yet
        assert conn._rtp_set_publish_target(b"127.0.0.1", 4000, 0, SSRC) == ERR_NOT_READY
        assert conn._rtp_add_remote(SSRC, b"alice") == ERR_NOT_READY
        assert conn._rtp_stats()["local_port"] == 0
        assert conn._rtp_open(b"not an ip")[0] == ERR_INVALID_ARGUMENT
        assert conn._rtp_open(b"x" * 300)[0] == ERR_INVALID_ARGUMENT
        rc, port = conn._rtp_open(b"127.0.0.1")
        assert rc == 0 and port > 0
        assert conn._rtp_open(b"127.0.0.1") == (0, port)  # already open: same socket
        assert conn._rtp_stats()["local_port"] == port
        assert conn._rtp_set_publish_target(b"::1", 4000, 0, SSRC) == ERR_INVALID_ARGUMENT  # other family
        assert conn._rtp_set_publish_target(b"localhost", 4000, 0, SSRC) == ERR_INVALID_ARGUMENT  # literals only
        with pytest.raises(ValueError):
            conn._rtp_set_publish_target(b"127.0.0.1", 0, 0, SSRC)
        assert conn._rtp_add_remote(SSRC, b"") == ERR_INVALID_ARGUMENT
        assert conn._rtp_add_remote(SSRC, b"u" * 65) == ERR_INVALID_ARGUMENT
        assert conn._rtp_add_remote(SSRC, b"alice", 40) == ERR_INVALID_ARGUMENT   # no such suite
        assert conn._rtp_add_remote(SSRC, b"alice", 80) == ERR_INVALID_ARGUMENT   # suite without key
        with pytest.raises(ValueError):
            conn._rtp_add_remote(SSRC, b"alice", 80, b"short")
        assert conn._rtp_add_remote(SSRC, b"alice") == 0
        assert conn._rtp_add_remote(SSRC, b"carol") == ERR_INVALID_STATE   # SSRC taken
        assert conn._rtp_add_remote(SSRC + 1, b"alice") == ERR_INVALID_STATE  # user has a stream
        assert conn._rtp_stats()["remotes"] == 1
        assert conn._rtp_remove_remote(SSRC + 1) == ERR_INVALID_ARGUMENT
        assert conn._rtp_remove_remote(SSRC) == 0
        assert conn._rtp_remove_remote(SSRC) == ERR_INVALID_ARGUMENT
        assert conn._post_event(99, None, 0) == ERR_INVALID_ARGUMENT
        assert conn._post_event(EV_USER_JOINED, None, 0) == ERR_INVALID_ARGUMENT  # needs a user id
        # not connecting: the control plane cannot declare it connected
        assert conn._post_event(EV_CONNECTED, None, 1) == ERR_INVALID_STATE
        assert conn.get_conn_info().state == STATE_DISCONNECTED
        # no data stream announced to Janus: messages have nowhere to go
        assert conn.connect("", "room", "alice") == 0
        assert conn._post_event(EV_CONNECTED, None, 1) == 0
        assert conn.send_stream_message(b"hello") == ERR_NOT_SUPPORTED
        assert conn.send_audio_meta_data(b"hello") == ERR_NOT_SUPPORTED
        assert conn._rtp_add_data_remote(b"") == (ERR_INVALID_ARGUMENT, 0)
        rc, port = conn._rtp_add_data_remote(b"bob")
        assert rc == 0 and port > 0
        assert conn._rtp_add_data_remote(b"bob")[0] == ERR_INVALID_STATE
        assert conn._rtp_stats()["data_remotes"] == 1
        assert conn._rtp_remove_data_remote(b"bob") == 0
        assert conn._rtp_remove_data_remote(b"bob") == ERR_INVALID_ARGUMENT
    finally:
        conn.release()


def test_rtp_connection_events_and_states(service):
    conn = RtpConnection(service, ar.RTCConnConfig())
    rec = RtpRecorder()
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    try:
        rc, port = conn._rtp_open(b"127.0.0.1")
        assert rc == 0
        assert conn.connect("", "room", "bot") == 0
        assert conn.get_conn_info().state == STATE_CONNECTING
        assert conn.connect("", "room", "bot") == ERR_INVALID_STATE
        assert conn._post_event(EV_RECONNECTED, None, 0) == ERR_INVALID_STATE
        assert conn._post_event(EV_USER_JOINED, b"alice", 0) == ERR_INVALID_STATE  # not joined yet
        assert conn.publish_audio() == 0
        assert conn._post_event(EV_CONNECTED, None, 1) == 0
        assert conn.get_conn_info().state == STATE_CONNECTED  # synchronous
        rec.wait_event("published")
        assert conn._post_event(EV_CONNECTED, None, 1) == ERR_INVALID_STATE
        assert conn._post_event(EV_USER_JOINED, b"alice", 0) == 0
        assert conn._post_event(EV_RECONNECTING, None, 3) == 0
        assert conn.get_conn_info().state == STATE_RECONNECTING
        assert conn._post_event(EV_LOST, None, 0) == 0
        assert conn._post_event(EV_RECONNECTED, None, 4) == 0
        assert conn.get_conn_info().state == STATE_CONNECTED
        assert conn._post_event(EV_USER_LEFT, b"alice", 1) == 0
        assert conn._post_event(EV_DISCONNECTED, None, 7) == 0
        assert conn.get_conn_info().state == STATE_DISCONNECTED
        rec.wait_event("disconnected")
        with rec.cond:
            seq = [(e[0], e[1]) for e in rec.events if e[0] != "published"]
        names = [n for n, _ in seq]
        assert names == ["connected", "joined", "reconnecting", "lost", "reconnected", "left", "disconnected"]
        info, reason = seq[0][1]
        assert (info.state, info.channel_id, info.local_user_id, reason) == (STATE_CONNECTED, "room", "bot", 1)
        assert seq[1][1] == ("alice",)
        assert (seq[2][1][0].state, seq[2][1][1]) == (STATE_RECONNECTING, 3)
        assert seq[3][1][0].state == STATE_RECONNECTING
        assert (seq[4][1][0].state, seq[4][1][1]) == (STATE_CONNECTED, 4)
        assert seq[5][1] == ("alice", 1)
        assert (seq[6][1][0].state, seq[6][1][1]) == (STATE_DISCONNECTED, 7)
        # a DISCONNECTED event closes the media like disconnect() does
        assert conn._rtp_stats()["local_port"] == 0
        assert conn._post_event(EV_DISCONNECTED, None, 0) == ERR_INVALID_STATE

        # again, failing this time; then the user's disconnect() is quiet
        assert conn._rtp_open(b"127.0.0.1")[0] == 0
        assert conn.connect("", "room", "bot") == 0
        assert conn._post_event(EV_FAILURE, None, 10) == 0
        assert conn.get_conn_info().state == STATE_FAILED
        rec.wait_event("failure")
        assert conn._rtp_stats()["local_port"] == 0
        assert conn.disconnect() == 0
        assert conn.get_conn_info().state == STATE_DISCONNECTED

        # and connected, then the user disconnects: synchronous, socket closed
        assert conn._rtp_open(b"127.0.0.1")[0] == 0
        assert conn.connect("", "room", "bot") == 0
        assert conn._post_event(EV_CONNECTED, None, 1) == 0
        n = len(rec.events)
        assert conn.disconnect() == 0
        assert conn.get_conn_info().state == STATE_DISCONNECTED
        assert conn._rtp_stats()["local_port"] == 0
        rec.wait_for(lambda: [e[0] for e in rec.events[n:]].count("disconnected") == 1)
        # the control plane's late CONNECTED must not resurrect it
        assert conn._post_event(EV_CONNECTED, None, 1) == ERR_INVALID_STATE
    finally:
        conn.release()


# ---------------------------------------------------------------- media


def test_rtp_speech_reaches_the_remote_user(service):
    """2 s of speech from A over RTP/Opus to B's observer: 16 kHz mono frames of
    "alice", close to the original, with VAD start and stop; and the packets on
    the wire are what JANUS.md asks for."""
    sniff = None

    def via(port):
        nonlocal sniff
        sniff = Relay(port)
        return sniff.port

    p = Pair(service, via=via)
    try:
        x = speech(2.0)
        silence = np.zeros(16000, dtype=np.int16)  # so the VAD hears the end of speech
        assert p.a.push_audio_pcm_data(np.concatenate([x, silence]), 16000) == 0
        p.rb.wait_samples("alice", 2 * 2 * 16000, timeout=15)
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        wait_until(lambda: len(sniff.log) >= 150, timeout=5, what="all packets")
        time.sleep(0.3)

        y = pcm(p.rb, "alice")
        assert np.sqrt(np.mean(y.astype(np.float64) ** 2)) > 500  # not silence
        # Opus is lossy: compare after delay alignment. The jitter buffer may
        # time-stretch to move its delay (which shifts the rest by a pitch
        # period), so follow the alignment window by window as well.
        ncc, lag = aligned_ncc(y, x)
        assert 0 <= lag < 16000 * 0.2  # the first decoded frame is about where the audio starts
        mean, scores = tracked_ncc(y, x)
        assert mean > 0.85 and np.percentile(scores, 5) > 0.5, (scores, p.b._rtp_stats())
        st = p.b._rtp_stats()
        if st["jb_dropped"] == 0 and st["plc_frames"] <= 5 and not stretched(p.b, "alice"):
            assert ncc > 0.8, (ncc, lag)  # no timeline change before the end
        with p.rb.cond:
            frames = list(p.rb.frames["alice"])
        assert all(f.samples_per_sec == 16000 and f.channels == 1 and f.samples_per_channel == 160
                   for f in frames)
        pts = [f.presentation_ms for f in frames]
        assert pts == sorted(pts) and pts[0] == 0
        states = p.rb.vad_states("alice")
        assert 1 in states and 3 in states, sorted(set(states))
        assert states.index(1) < len(states) - 1 - states[::-1].index(3)
        names = p.rb.names()
        assert "subscribed" in names and "first_frame" in names

        # the wire: PT 111, SSRC 1000, consecutive seq, +960 per packet, one marker
        wire = [parse_rtp(d) for _, d in sniff.log]
        # each round ends with a keepalive (padding only) right after its last packet
        keepalives = [i for i, q in enumerate(wire) if q["keepalive"]]
        pkts = [q for q in wire if not q["keepalive"]]
        assert keepalives and keepalives[-1] == len(wire) - 1, keepalives
        assert all((q["seq"] - wire[0]["seq"]) % 65536 == i for i, q in enumerate(wire))
        # +960 per packet; a stalled media clock (an overloaded machine) may end the
        # round early: the next round starts at the wall clock's timestamp (any step
        # past 960, RFC 3550) and its first packet is marked
        steps = [(q["ts"] - p0["ts"]) % 2 ** 32 for p0, q in zip(pkts, pkts[1:])]
        assert all(d >= 960 for d in steps), steps
        jumps = [i + 1 for i, d in enumerate(steps) if d > 960]
        assert 150 <= len(pkts) <= 151 + len(jumps)  # 3 s of 20 ms packets (+1: each padded tail)
        pauses = [i for i in keepalives if not wire[i - 1]["keepalive"]]  # right after audio
        assert len(pauses) == 1 + len(jumps), (keepalives, jumps)
        assert all(q["version"] == 2 and q["pt"] == PT_OPUS and q["ssrc"] == SSRC for q in wire)
        assert [q["marker"] for q in pkts] == [1 if i == 0 or i in jumps else 0 for i in range(len(pkts))]
        a, b = p.a._rtp_stats(), p.b._rtp_stats()
        assert a["packets_sent"] == len(wire) and a["send_errors"] == 0 and a["encode_errors"] == 0
        assert a["keepalives_sent"] == b["keepalives_received"] == len(keepalives)
        # every packet played (the jitter buffer may skip one to shrink its delay)
        assert b["rtp_received"] == len(wire) and len(pkts) == b["frames_decoded"] + b["jb_dropped"]
        assert b["jb_dropped"] <= 2
        assert b["lost"] == b["late"] == b["duplicates"] == b["decode_errors"] == 0
        assert b["malformed"] == b["unknown_ssrc"] == 0
        assert 0 < b["target_delay_ms"] <= 200

        # a second round after a pause: marker again, timestamp follows the wall clock
        n = len(sniff.log)
        time.sleep(0.5)
        assert p.a.push_audio_pcm_data(x[:8000], 16000) == 0
        wait_until(lambda: len(sniff.log) >= n + 25, timeout=5)
        second = parse_rtp(sniff.log[n][1])
        last = parse_rtp(sniff.log[n - 1][1])
        assert second["marker"] == 1 and second["seq"] == (last["seq"] + 1) % 65536
        assert (second["ts"] - last["ts"]) % 2 ** 32 > 960 + 48 * 400  # the pause is in the timeline
        # both rounds' first packets leave when their first frame is cut: their
        # timestamp distance is their wall-clock distance
        ts_ms = ((second["ts"] - pkts[0]["ts"]) % 2 ** 32) / 48
        wall_ms = (sniff.log[n][0] - sniff.log[0][0]) * 1000
        assert abs(ts_ms - wall_ms) < 50, (ts_ms, wall_ms)
    finally:
        p.release()
        sniff.close()


def band_limited(x, rate_in, rate_out):
    """x resampled from rate_in to rate_out through the spectrum (band-limited, no filter delay)."""
    n_out = int(round(x.size * rate_out / rate_in))
    spec = np.fft.rfft(x.astype(np.float64))
    keep = min(spec.size, n_out // 2 + 1)
    out = np.zeros(n_out // 2 + 1, dtype=complex)
    out[:keep] = spec[:keep]
    return np.fft.irfft(out, n_out) * (n_out / x.size)


@pytest.mark.parametrize("rate", [8000, 24000, 48000, 44100])
def test_rtp_speech_at_each_observer_rate(service, rate):
    """The listener's frames come in its own format: Opus decodes straight to
    8/24/48 kHz, 44.1 kHz goes through the resampler. The level and the speech
    match the original at that rate."""
    p = Pair(service, rate=rate)
    try:
        x = speech(2.0)
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        p.rb.wait_samples("alice", int(2 * 1.9 * rate), timeout=15)
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.3)
        with p.rb.cond:
            frames = list(p.rb.frames["alice"])
        assert all(f.samples_per_sec == rate and f.channels == 1 and f.samples_per_channel == rate // 100
                   for f in frames)
        y = pcm(p.rb, "alice")
        ref = band_limited(x, 16000, rate)
        level = np.sqrt(np.mean(y.astype(np.float64) ** 2)) / np.sqrt(np.mean(ref ** 2))
        assert 0.7 < level < 1.3, level
        mean, scores = tracked_ncc(y, ref, win=rate // 20)
        assert mean > 0.8 and np.percentile(scores, 5) > 0.5, (scores, p.b._rtp_stats())
        st = p.b._rtp_stats()
        assert st["decode_errors"] == 0 and st["frames_decoded"] >= 95, st
    finally:
        p.release()


def test_rtp_observer_rate_change_mid_stream(service):
    """The listener switches from 16 to 48 kHz while alice talks: the stream
    goes on in the new format (a fresh decoder at 48 kHz), still speech."""
    p = Pair(service)
    try:
        x = speech()
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        p.rb.wait_samples("alice", 2 * 16000, timeout=15)  # 1 s at 16 kHz
        assert p.b.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 48000) == 0
        wait_until(lambda: any(f.samples_per_sec == 48000 for f in list(p.rb.frames["alice"])), timeout=5,
                   what="48 kHz frames")
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=15)
        time.sleep(0.3)
        with p.rb.cond:
            frames = list(p.rb.frames["alice"])
        rates = [f.samples_per_sec for f in frames]
        k = rates.index(48000)
        assert set(rates[:k]) == {16000} and set(rates[k:]) == {48000}
        y48 = np.frombuffer(b"".join(bytes(f.buffer) for f in frames[k:]), dtype=np.int16)
        assert y48.size >= 48000  # at least a second after the switch
        y = band_limited(y48, 48000, 16000)
        median, scores = chunk_ncc(y, x)
        assert median > 0.8, scores
        assert p.b._rtp_stats()["decode_errors"] == 0
    finally:
        p.release()


def test_rtp_round_tail_is_padded_and_sent(service):
    """A round whose length is not a multiple of 20 ms: its last 10 ms (a loud
    tone after silence) still reaches the receiver."""
    p = Pair(service, vad=False)
    try:
        n = 16000 + 160  # 1.01 s
        x = np.zeros(n, dtype=np.int16)
        t = np.arange(160) / 16000
        x[-160:] = (12000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        wait_until(lambda: p.b._rtp_stats()["frames_decoded"] >= 51, timeout=5, what="51 packets")
        time.sleep(0.3)
        assert p.a._rtp_stats()["packets_sent"] in (51, 52)
        y = pcm(p.rb, "alice").astype(np.float64)
        frames = y[: y.size // 160 * 160].reshape(-1, 160)
        loud = np.sqrt(np.mean(frames ** 2, axis=1))
        assert loud.max() > 2000, loud.max()
        assert np.argmax(loud) >= 95  # at the end, where it was pushed
    finally:
        p.release()


def test_rtp_publish_gate_and_interrupt(service):
    p = Pair(service, publish=False, vad=False)
    try:
        x = speech(3.0)
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        time.sleep(0.3)
        assert p.a._rtp_stats()["packets_sent"] == 0  # not published: the clock keeps it
        assert p.a.publish_audio() == 0
        p.ra.wait_event("published")
        wait_until(lambda: p.a._rtp_stats()["packets_sent"] >= 20, timeout=5)
        p.a.interrupt_audio()
        time.sleep(0.1)
        sent = p.a._rtp_stats()["packets_sent"]
        time.sleep(0.3)
        assert p.a._rtp_stats()["packets_sent"] == sent  # nothing leaves after the interrupt
        assert sent < 100
        # unpublish: nothing is sent for new pushes
        assert p.a.unpublish_audio() == 0
        p.ra.wait_event("unpublished")
        assert p.a.push_audio_pcm_data(x[:16000], 16000) == 0
        time.sleep(0.3)
        assert p.a._rtp_stats()["packets_sent"] == sent
    finally:
        p.release()


def test_rtp_rtcp_sender_reports_and_receiver_reports(service):
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp.bind(("127.0.0.1", 0))
    rtcp.settimeout(5)
    p = Pair(service, vad=False, rtcp_port=rtcp.getsockname()[1])
    try:
        assert p.a.push_audio_pcm_data(speech(1.5), 16000) == 0
        data, src = rtcp.recvfrom(2048)
        assert src[1] == p.a_port  # sent from the connection's socket
        b0, pt, length, ssrc = struct.unpack("!BBHI", data[:8])
        assert (b0 >> 6, pt, ssrc) == (2, 200, SSRC)
        pkt_count, octets = struct.unpack("!II", data[20:28])
        assert pkt_count > 0 and octets > 0
        sr_len = 4 * (length + 1)
        assert data[sr_len + 1] == 202  # SDES (CNAME) follows
        assert p.a._rtp_stats()["rtcp_sent"] >= 1

        # an RR about our stream (as Janus would send) reaches A's counters
        rr = struct.pack("!BBHI", 0x81, 201, 7, 0xABCDEF) + struct.pack(
            "!IB3sIIII", SSRC, 25, (3).to_bytes(3, "big"), 12345, 480, 0, 0)
        rtcp.sendto(rr, ("127.0.0.1", p.a_port))
        # and an SR from "alice" (SSRC 1000) reaches B
        sr = struct.pack("!BBHIQIII", 0x80, 200, 6, SSRC, 0x1234 << 32, 960, 10, 1000)
        rtcp.sendto(sr, ("127.0.0.1", p.b_port))
        wait_until(lambda: p.a._rtp_stats()["rr_received"] == 1, timeout=2)
        a = p.a._rtp_stats()
        assert (a["remote_fraction_lost"], a["remote_cumulative_lost"], a["remote_jitter"]) == (25, 3, 480)
        wait_until(lambda: p.b._rtp_stats()["rtcp_received"] == 1, timeout=2)
    finally:
        p.release()
        rtcp.close()


def test_rtp_survives_loss_reordering_duplicates_and_late_packets(service):
    relay = None

    def via(port):
        nonlocal relay
        relay = Relay(port, drop=0.05, dup=0.05, reorder=0.05, late=0.02, seed=20240601)
        return relay.port

    p = Pair(service, via=via)
    try:
        x = speech()  # ~4 s
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.8)  # the late packets and the last pulls
        c = relay.counts
        assert c["drop"] > 0 and c["dup"] > 0 and c["reorder"] > 0 and c["late"] > 0, c
        b = p.b._rtp_stats()
        assert b["lost"] > 0 and b["late"] > 0 and b["duplicates"] > 0, b
        # each lost number is concealed (FEC or PLC) but the few skipped to catch up
        # when the delay was already over the target (after the late packets' spike);
        # the talk spurt's end is not concealed (its keepalive says it ended)
        assert b["fec_recoveries"] + b["plc_frames"] >= b["lost"] - 2 and b["lost"] > 0, b
        assert b["fec_recoveries"] > 0, b
        assert b["decode_errors"] == 0 and b["malformed"] == 0, b
        # audio continued: about as much as was sent, still close to the original
        y = pcm(p.rb, "alice")
        assert y.size >= 0.9 * x.size, (y.size, x.size)
        ncc, scores = chunk_ncc(y, x)
        assert ncc > 0.7, scores
        # the VAD followed it through the impairments
        assert 1 in p.rb.vad_states("alice")
    finally:
        p.release()
        relay.close()


def garbage_datagrams(rng, known_ssrc):
    """Every kind of bad input for the receive socket, deterministic per rng."""
    out = []
    valid = struct.pack("!BBHII", 0x80, PT_OPUS, 1, 960, known_ssrc) + bytes([0xF8, 0xFF, 0xFE])
    for _ in range(300):
        out.append(rng.randbytes(rng.randrange(0, 1500)))                      # random bytes
    for n in range(0, 12):
        out.append(valid[:n])                                                   # truncated headers
    for _ in range(100):                                                        # valid RTP, unknown SSRC
        out.append(struct.pack("!BBHII", 0x80, PT_OPUS, rng.randrange(65536), rng.randrange(2 ** 32),
                               rng.choice([1, 999, 1001, 0xFFFFFFFF])) + rng.randbytes(40))
    for _ in range(100):                                                        # hostile headers, known SSRC
        b0 = 0x80 | rng.choice([0x10, 0x0F, 0x20, 0x3F])                        # X, CC=15, P, all of them
        out.append(struct.pack("!BBHII", b0, PT_OPUS, rng.randrange(65536), rng.randrange(2 ** 32),
                               known_ssrc) + rng.randbytes(rng.randrange(0, 30)))
    for _ in range(50):                                                         # RTCP-shaped garbage
        out.append(bytes([0x80 | rng.randrange(32), rng.randrange(192, 224)]) + rng.randbytes(rng.randrange(0, 80)))
    for _ in range(20):                                                         # RTCP with lying lengths
        out.append(struct.pack("!BBHI", 0x81, 201, rng.randrange(65536), known_ssrc) + rng.randbytes(24))
    out.append(bytes(3000))                                                     # larger than any packet
    rng.shuffle(out)
    return out


def test_rtp_garbage_datagrams_are_counted_and_never_crash(service):
    p = Pair(service)
    junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        x = speech(3.0)
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        rng = random.Random(7)
        datagrams = garbage_datagrams(rng, SSRC + 1)  # hostile headers of an SSRC nobody added
        datagrams += garbage_datagrams(rng, SSRC)[:200]  # and of alice's SSRC (bad headers only)
        for i, d in enumerate(datagrams):
            junk.sendto(d, ("127.0.0.1", p.b_port))
            if i % 50 == 0:
                time.sleep(0.005)  # stay under the socket buffer
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.3)
        b = p.b._rtp_stats()
        assert b["packets_received"] >= b["rtp_received"] + len(datagrams) * 0.9
        assert b["malformed"] > 0 and b["unknown_ssrc"] > 0, b
        # audio of alice went on regardless
        y = pcm(p.rb, "alice")
        assert y.size >= 0.9 * x.size
        median, scores = chunk_ncc(y, x)
        assert median > 0.8, scores
    finally:
        junk.close()
        p.release()


def test_rtp_utterance_cut_off_by_the_end_of_the_stream_gets_its_stop(service):
    """A sender that stops mid-speech: the listener's VAD hears the silence of gap frames and
    stops (as on the local network: tests/test_vad_stream_end.py); nothing is sent for them."""
    x = speech()
    loud = np.nonzero(np.sqrt(np.mean(x[:x.size // 160 * 160].reshape(-1, 160).astype(float) ** 2,
                                      axis=1)) > 32768 * 10 ** (-55 / 20))[0]
    cut = x[:(loud[-1] + 1) * 160]                  # no trailing pause
    cfg = ar.AudioVadConfigV2.for_agents()
    p = Pair(service, vad_config=cfg)
    try:
        assert p.a.push_audio_pcm_data(cut, 16000, 1) == 0
        p.rb.wait_for(lambda: 3 in p.rb.vad_states("alice"), timeout=20)
        states = p.rb.vad_states("alice")
        assert states.count(1) >= 1 and states[-1] == 3, states
        # 20 ms packets of the speech (+ the padded tail, a keepalive): gaps are not sent
        assert p.a._rtp_stats()["packets_sent"] <= cut.size // 320 + 3
        with p.rb.cond:
            tail = p.rb.frames["alice"][-10:]        # the stop came in the gap's silence
        assert not np.any(np.frombuffer(b"".join(bytes(f.buffer) for f in tail), np.int16))
    finally:
        p.release()


def test_rtp_removed_remote_mid_utterance_gets_a_stop(service):
    """The remote is removed (it left Janus) while the listener's VAD is in speech: the VAD
    hears silence until its stop, so every start has its stop."""
    p = Pair(service)
    try:
        assert p.a.push_audio_pcm_data(speech(), 16000, 1) == 0
        p.rb.wait_for(lambda: 1 in p.rb.vad_states("alice"), timeout=20)
        assert p.b._rtp_remove_remote(SSRC) == 0
        p.rb.wait_for(lambda: 3 in p.rb.vad_states("alice"))
        states = p.rb.vad_states("alice")
        assert states.count(1) == states.count(3) and states[-1] == 3, states
    finally:
        p.release()


def test_rtp_remove_remote_stops_frames(pair):
    p = pair
    assert p.a.push_audio_pcm_data(speech(3.0), 16000) == 0
    wait_until(lambda: p.rb.frame_count("alice") >= 50, timeout=5)
    assert p.b._rtp_remove_remote(SSRC) == 0
    p.rb.wait_event("track_state", "alice", 0, 7)  # STOPPED, REMOTE_OFFLINE
    time.sleep(0.1)  # frames queued for delivery before the removal
    n = p.rb.frame_count("alice")
    unknown = p.b._rtp_stats()["unknown_ssrc"]
    time.sleep(0.4)
    assert p.rb.frame_count("alice") == n
    st = p.b._rtp_stats()
    assert st["remotes"] == 0 and st["unknown_ssrc"] > unknown  # her packets still come, unheard
    assert st["frames_decoded"] > 0  # counters of the removed stream are kept
    # she can be heard again under a new SSRC (a new forward)
    p.a._rtp_set_publish_target(b"127.0.0.1", p.b_port, 0, SSRC + 10)
    assert p.b._rtp_add_remote(SSRC + 10, b"alice") == 0
    wait_until(lambda: p.rb.frame_count("alice") > n + 20, timeout=5)


class EncodedCounter(ar.IAudioEncodedFrameObserver):
    def __init__(self):
        self.packets = 0

    def on_encoded_audio_frame(self, uid, frame_buffer, length, info):
        self.packets += 1


def test_rtp_encoded_listener_alone_still_decodes(pair):
    """An encoded-audio observer alone queues no receive job (nobody wants PCM):
    the playout decodes on the I/O thread itself, so the decoder and its
    counters follow the stream; a PCM observer registered later gets frames at
    its rate straight away."""
    p = pair
    enc = EncodedCounter()
    assert p.b.register_audio_encoded_frame_observer(enc) == 0
    assert p.b.unregister_audio_frame_observer() == 0
    d0 = p.b._rtp_stats()["frames_decoded"]
    assert p.a.push_audio_pcm_data(speech(), 16000) == 0
    wait_until(lambda: p.b._rtp_stats()["frames_decoded"] >= d0 + 40, timeout=5, what="decoding")
    assert enc.packets > 0
    assert p.rb.frame_count("alice") == 0
    assert p.b._rtp_stats()["decode_errors"] == 0
    assert p.b.register_audio_frame_observer(p.rb) == 0
    wait_until(lambda: p.rb.frame_count("alice") >= 100, timeout=5, what="a second of frames again")
    with p.rb.cond:
        frames = list(p.rb.frames["alice"])
    assert all(f.samples_per_sec == 16000 and f.samples_per_channel == 160 for f in frames)
    assert np.sqrt(np.mean(pcm(p.rb, "alice").astype(np.float64) ** 2)) > 300  # speech, not silence
    assert p.b._rtp_stats()["decode_errors"] == 0


def test_rtp_unsubscribe_stops_delivery(pair):
    p = pair
    assert p.a.push_audio_pcm_data(speech(3.0), 16000) == 0
    wait_until(lambda: p.rb.frame_count("alice") >= 30, timeout=5)
    assert p.b.get_local_user().unsubscribe_audio("alice") == 0
    time.sleep(0.1)
    n = p.rb.frame_count("alice")
    time.sleep(0.3)
    assert p.rb.frame_count("alice") == n
    assert p.b.get_local_user().subscribe_audio("alice") == 0
    p.rb.wait_event("subscribed", "alice")
    wait_until(lambda: p.rb.frame_count("alice") > n + 10, timeout=5)


# ---------------------------------------------------------------- SRTP


def _aes_cm_keystream(key, iv16, n):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    enc = Cipher(algorithms.AES(key), modes.CTR(iv16)).encryptor()
    return enc.update(bytes(n)) + enc.finalize()


def srtp_protect_80(master_key, master_salt, packet, roc=0):
    """RFC 3711 AES_CM_128_HMAC_SHA1_80 (key derivation rate 0)."""
    def derive(label, n):
        x = bytearray(master_salt)
        x[7] ^= label
        return _aes_cm_keystream(master_key, bytes(x) + b"\0\0", n)

    k_e, k_a, k_s = derive(0, 16), derive(1, 20), derive(2, 14)
    seq, ssrc = struct.unpack("!H", packet[2:4])[0], struct.unpack("!I", packet[8:12])[0]
    index = (roc << 16) | seq
    iv = bytearray(k_s + b"\0\0")
    for i, b in enumerate(struct.pack("!I", ssrc)):
        iv[4 + i] ^= b
    for i, b in enumerate(index.to_bytes(6, "big")):
        iv[8 + i] ^= b
    header, payload = packet[:12], packet[12:]
    ks = _aes_cm_keystream(k_e, bytes(iv), len(payload))
    enc = header + bytes(a ^ b for a, b in zip(payload, ks))
    tag = hmac.new(k_a, enc + struct.pack("!I", roc), hashlib.sha1).digest()[:10]
    return enc + tag


def test_rtp_srtp_receive_leg(service):
    pytest.importorskip("cryptography")
    key = os.urandom(30)

    class SrtpRelay(Relay):
        roc, last_seq = 0, None

        def _send(self, data):
            seq = struct.unpack("!H", data[2:4])[0]
            if self.last_seq is not None and seq < self.last_seq and self.last_seq - seq > 32768:
                self.roc += 1  # the 16-bit sequence number wrapped (RFC 3711 3.3.1)
            self.last_seq = seq
            super()._send(srtp_protect_80(key[:16], key[16:], data, self.roc))

    relay = None

    def via(port):
        nonlocal relay
        relay = SrtpRelay(port)
        return relay.port

    p = Pair(service, via=via, vad=False)
    try:
        # the pair added alice as plain RTP: encrypted packets fail to parse as Opus
        # or are refused; re-add her with the key
        assert p.b._rtp_remove_remote(SSRC) == 0
        assert p.b._rtp_add_remote(SSRC, b"alice", 80, key) == 0
        x = speech(2.0)
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.4)
        b = p.b._rtp_stats()
        assert b["srtp_errors"] == 0 and b["rtp_received"] >= 100, b
        median, scores = chunk_ncc(pcm(p.rb, "alice"), x)
        assert median > 0.85, scores
        # a wrong key: every packet is refused, nothing is heard
        n = p.rb.frame_count("alice")
        assert p.b._rtp_remove_remote(SSRC) == 0
        assert p.b._rtp_add_remote(SSRC, b"alice", 80, bytes(30)) == 0
        assert p.a.push_audio_pcm_data(x[:16000], 16000) == 0
        wait_until(lambda: p.b._rtp_stats()["srtp_errors"] >= 40, timeout=5)
        assert p.rb.frame_count("alice") == n
    finally:
        p.release()
        relay.close()


# ---------------------------------------------------------------- teardown


def _socket_fds():
    out = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                out.add(fd)
        except OSError:
            pass
    return out


def test_rtp_release_closes_sockets_and_frees_everything():
    before = _socket_fds()
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="test"))
    p = Pair(svc)
    assert p.a.push_audio_pcm_data(speech(1.0), 16000) == 0
    wait_until(lambda: p.rb.frame_count("alice") > 10, timeout=5)
    assert len(_socket_fds() - before) >= 2
    extra = RtpConnection(svc, ar.RTCConnConfig())
    assert extra._rtp_open(b"127.0.0.1")[0] == 0
    svc.release()  # releases every connection mid-stream, sockets included
    assert _socket_fds() - before == set()
    with pytest.raises(ReleasedError):
        p.b._rtp_stats()


def test_rtp_ipv6_loopback(service):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    probe = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    finally:
        probe.close()
    a = RtpConnection(service, ar.RTCConnConfig())
    b = RtpConnection(service, ar.RTCConnConfig())
    rb = RtpRecorder()
    try:
        b.register_audio_frame_observer(rb)
        rc, pa = a._rtp_open(b"::1")
        rc2, pb = b._rtp_open(b"::1")
        assert rc == rc2 == 0
        a.connect("", "room", "alice")
        b.connect("", "room", "bob")
        assert a._rtp_set_publish_target(b"::1", pb, 0, SSRC) == 0
        assert a._rtp_set_publish_target(b"127.0.0.1", pb, 0, SSRC) == ERR_INVALID_ARGUMENT
        assert b._rtp_add_remote(SSRC, b"alice") == 0
        a.publish_audio()
        assert a._post_event(EV_CONNECTED, None, 1) == 0
        assert b._post_event(EV_CONNECTED, None, 1) == 0
        a.push_audio_pcm_data(speech(0.5), 16000)
        wait_until(lambda: rb.frame_count("alice") >= 30, timeout=5)
    finally:
        a.release()
        b.release()
