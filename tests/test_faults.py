"""Fault injection on an RTP leg (issue 22): alice publishes to bob through
an impairing UDP relay (tests/impair_relay.py: netem is not available in
this kernel), with this test playing the control plane as in
test_rtp_transport.py. One test per fault, each asserting what a user
expects, and that every packet bob received is in exactly one counter:

* a stall followed by a burst (a frozen Janus resumed: its socket buffer
  held ~263 packets): latency back to its level within 3 s, the stale
  audio never played;
* 5 % and 20 % loss: FEC + PLC, no gap over 100 ms in the received audio;
* jitter with reordering, and duplicates;
* garbage datagrams from the relay's own address: all counted, audio intact;
* spoofed RTP while SRTP is on: refused and counted, audio intact.

Janus killed and restarted (audio heard again after it) is covered end to end in
tests/test_janus_transport.py::test_janus_killed_mid_call_then_restarted (HTTP) and
tests/test_janus_ws.py::test_agents_talk_over_janus_ws_and_survive_a_restart
(WebSocket), the control plane alone in
tests/test_janus_control.py::test_kill_mid_session_then_restart_and_recreate;
a frozen Janus (SIGSTOP) reported lost and back in tests/test_janus_liveness.py,
and here for what it does to the audio (the burst when it resumes).

Latency is measured from the audio frames themselves: each frame bob's
observer gets carries the sender's RTP timestamp (alice's media clock) and
the time the jitter buffer played it (render_time_ms); their difference is
the playout latency up to a constant, compared with its own level before the
fault."""
import os
import random
import signal
import struct
import time

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available

from conftest import wait_until
from impair_relay import ImpairRelay
from impaired_path import StatsRecorder, latencies, relayed_pair
from test_rtp_transport import (SSRC, Pair, chunk_ncc, garbage_datagrams, pcm,
                                speech, srtp_protect_80)


def burst_recovery(rec, uid, base, resumed_ms):
    """After the burst: (ms until the latency is back within 40 ms of `base` for
    good, worst extra latency from 3 s on, frames played over 1 s late, the
    median extra latency in each of the 5 seconds after it)."""
    after = [(t - resumed_ms, lat - base) for t, lat in latencies(rec, uid) if t >= resumed_ms]
    worst_tail = max(d for t, d in after if t >= 3000)
    recovered = next((t for i, (t, d) in enumerate(after)
                      if all(dd <= 40 for _, dd in after[i:])), float("inf"))
    stale_played = sum(d > 1000 for _, d in after)
    at = {s: round(float(np.median(v))) for s in range(5)
          if (v := [d for t, d in after if s * 1000 <= t < (s + 1) * 1000])}
    return recovered, worst_tail, stale_played, at


def assert_counters_add_up(conn, uid="alice"):
    """Every datagram and every audio packet received is in exactly one counter."""
    s = conn._rtp_stats()
    assert s["packets_received"] == (s["rtp_received"] + s["rtcp_received"] + s["unknown_ssrc"] +
                                     s["malformed"] + s["srtp_errors"] + s["latch_received"]), s
    assert s["rtp_received"] == (s["video_packets_received"] + s["keepalives_received"] +
                                 s["packets_played"] + s["late"] + s["duplicates"] +
                                 s["jb_dropped"] + s["jb_invalid"] + s["jb_buffered"]), s
    assert s["packets_played"] == s["frames_decoded"] + s["decode_errors"] + s["packets_not_decoded"], s
    remotes, _ = conn._remote_audio_stats()
    (r,) = [r for r in remotes if r["user_id"] == uid]
    assert r["packets_received"] == (r["keepalives"] + r["packets_played"] + r["packets_late"] +
                                     r["packets_duplicate"] + r["packets_dropped"] +
                                     r["packets_invalid"] + r["packets_buffered"]), r
    return s, r


def longest_gap_ms(rec, uid, x, rate=16000):
    """The longest run of received audio that is silent where the original
    talks, after aligning the two (10 ms frames), in ms; and the longest
    hole in the frames' playout times."""
    y = pcm(rec, uid).astype(np.float64)
    o = x.astype(np.float64)
    n = 1 << int(np.ceil(np.log2(y.size + o.size)))
    corr = np.fft.irfft(np.fft.rfft(y, n) * np.conj(np.fft.rfft(o, n)), n)
    lag = int(np.argmax(corr[:y.size]))
    fr = rate // 100
    seg = y[lag:lag + o.size]
    k = min(seg.size, o.size) // fr
    rms_y = np.sqrt(np.mean(seg[:k * fr].reshape(k, fr) ** 2, axis=1))
    rms_o = np.sqrt(np.mean(o[:k * fr].reshape(k, fr) ** 2, axis=1))
    run = worst = 0
    for a, b in zip(rms_y, rms_o):
        run = run + 1 if (b > 1000 and a < 0.05 * b) else 0
        worst = max(worst, run)
    times = [t for t, _ in latencies(rec, uid)]
    holes = np.diff(times) if len(times) > 1 else np.array([0])
    return worst * 10, float(holes.max())


# ------------------------------------------------------------ the burst row


def test_stall_then_burst_latency_recovers_and_every_packet_is_counted(service):
    assert service.get_agora_parameter().set_int("agora_rtc.stats_interval_ms", 500) == 0
    p, relay = relayed_pair(service, stall_capacity=263)
    rec = StatsRecorder()
    assert p.b.register_local_user_observer(rec) == 0
    try:
        x = np.tile(speech(), 5)  # ~20 s of talk, one round
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        wait_until(lambda: p.rb.frame_count("alice") >= 300, timeout=10, what="3 s heard")
        base = np.median([lat for _, lat in latencies(p.rb, "alice")[100:]])
        relay.stall()  # a frozen server: its socket buffer keeps the first 263 packets
        wait_until(lambda: relay.counts["overflow"] >= 60, timeout=15, what="a long stall")
        burst = relay.resume()
        resumed_ms = time.monotonic() * 1000
        assert burst == 263
        wait_until(lambda: max(t for t, _ in latencies(p.rb, "alice")) > resumed_ms + 5000,
                   timeout=15, what="5 s heard after the burst")
        recovered, worst_tail, stale_played, at = burst_recovery(p.rb, "alice", base, resumed_ms)
        print(f"\nburst of {burst}: latency back within 40 ms of its level {recovered:.0f} ms "
              f"after the burst; extra latency in each second after it (ms): {at}; worst from "
              f"3 s on +{worst_tail:.0f} ms; 10 ms frames played over 1 s late: {stale_played}")
        # back to normal within 3 s (bounds with slack for a loaded machine: the
        # bug was +170 ms, still +140 ms 5 s later)
        assert at[3] <= 40 and at[4] <= 40, at
        assert worst_tail <= 100, worst_tail
        assert stale_played == 0                     # the 5 s old audio is not played
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=30)
        time.sleep(0.5)  # the last pulls
        s, r = assert_counters_add_up(p.b)
        assert s["jb_stale"] >= burst - 10 and s["jb_spikes"] >= 1, s
        assert s["target_delay_ms"] <= 80, s
        # the stats callback carries the same accounting
        rec.wait_for(lambda: any(e[0] == "remote_stats" and e[1][0].received_packets >= r["packets_received"]
                                 for e in rec.events), timeout=5)
        st = [e[1][0] for e in rec.events if e[0] == "remote_stats"][-1]
        assert st.user_id == "alice"
        assert st.received_packets == (st.keepalive_packets + st.played_packets + st.late_packets +
                                       st.duplicate_packets + st.dropped_packets +
                                       st.invalid_packets + st.buffered_packets), st
        assert st.stale_packets >= burst - 10, st
        assert 20 <= st.jitter_buffer_target <= 200 and st.shrunk_packets <= st.dropped_packets, st
    finally:
        p.release()
        relay.close()


@pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)
def test_frozen_janus_resumed_burst_latency_recovers():
    """The row as reported: two agents through a real Janus, Janus frozen
    (SIGSTOP) while alice talks, then resumed: whatever Janus held reaches bob
    as a burst; bob's latency is back to its level within 3 s."""
    with JanusServer() as janus:
        url = f"{janus.transport_url}?admin_key={janus.admin_key}"
        with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
            members = {}
            for uid in ("alice", "bob"):
                conn = svc.create_rtc_connection(ar.RTCConnConfig())
                rec = StatsRecorder()
                conn.register_observer(rec)
                conn.register_local_user_observer(rec)
                conn.register_audio_frame_observer(rec)
                assert conn.connect("", "faults-burst", uid) == 0
                rec.wait_event("connected", timeout=20)
                assert conn.publish_audio() == 0
                members[uid] = (conn, rec)
            (a, ra), (b, rb) = members["alice"], members["bob"]
            rb.wait_event("joined", "alice", timeout=20)
            assert a.push_audio_pcm_data(np.tile(speech(), 6), 16000) == 0  # ~24 s of talk
            wait_until(lambda: rb.frame_count("alice") >= 300, timeout=20, what="3 s heard")
            base = np.median([lat for _, lat in latencies(rb, "alice")[100:]])
            received = b._rtp_stats()["rtp_received"]
            os.kill(janus.pid, signal.SIGSTOP)
            try:
                ra.wait_event("reconnecting", timeout=10)   # liveness: alice stops sending
                time.sleep(2.0)
            finally:
                os.kill(janus.pid, signal.SIGCONT)
            resumed_ms = time.monotonic() * 1000
            ra.wait_event("reconnected", timeout=20)
            wait_until(lambda: max(t for t, _ in latencies(rb, "alice")) > resumed_ms + 5000,
                       timeout=20, what="5 s heard after the resume")
            recovered, worst_tail, stale_played, at = burst_recovery(rb, "alice", base, resumed_ms)
            s, _ = assert_counters_add_up(b)
            print(f"\nfrozen Janus resumed ({s['rtp_received'] - received} packets since the "
                  f"freeze, {s['jb_stale']} stale): latency back within 40 ms {recovered:.0f} ms "
                  f"after; per second after (ms): {at}; worst from 3 s on +{worst_tail:.0f} ms")
            assert s["jb_spikes"] >= 1 and s["jb_stale"] > 0, s   # there was a burst
            assert at[3] <= 40 and at[4] <= 40 and worst_tail <= 100, (at, worst_tail)
            assert stale_played == 0
            a.release()
            b.release()


# ------------------------------------------------------------ rows that must keep holding


@pytest.mark.parametrize("loss", [0.05, 0.20])
def test_loss_is_concealed_without_gaps(service, loss):
    p, relay = relayed_pair(service, loss=loss, seed=int(loss * 1000))
    try:
        x = speech()
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.4)
        s, _ = assert_counters_add_up(p.b)
        assert relay.counts["lost"] > 0 and s["lost"] >= relay.counts["lost"] * 0.8, (relay.counts, s)
        # each lost number is concealed (FEC or PLC) but the few skipped to catch up when
        # the delay was over the target (the talk spurt's end, which its keepalive marks,
        # no longer adds 5 underrun frames that covered them)
        assert s["fec_recoveries"] > 0 and s["fec_recoveries"] + s["plc_frames"] >= s["lost"] - 2, s
        silent_ms, hole_ms = longest_gap_ms(p.rb, "alice", x)
        assert silent_ms <= 100 and hole_ms <= 100, (silent_ms, hole_ms)
        median, scores = chunk_ncc(pcm(p.rb, "alice"), x)
        assert median > (0.8 if loss < 0.1 else 0.6), scores
    finally:
        p.release()
        relay.close()


def test_jitter_reordering_and_duplicates(service):
    p, relay = relayed_pair(service, jitter_ms=60, dup=0.05, seed=22)
    try:
        x = speech()
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.5)
        s, r = assert_counters_add_up(p.b)
        assert relay.counts["dup"] > 0 and s["duplicates"] > 0, (relay.counts, s)
        # jitter is not a stall: nothing (or, after a scheduling hiccup, hardly anything) stale
        assert s["jb_stale"] <= 0.03 * s["rtp_received"], s
        assert s["target_delay_ms"] >= 40, s                  # the buffer grew for it
        # the remote's own figures: its target (the connection's max over one remote), and
        # the buffered packets it dropped to shrink its delay are some of the dropped ones
        assert r["jitter_buffer_target_ms"] == s["target_delay_ms"], (r, s)
        assert r["packets_shrunk"] <= r["packets_dropped"], r
        silent_ms, hole_ms = longest_gap_ms(p.rb, "alice", x)
        assert silent_ms <= 100 and hole_ms <= 100, (silent_ms, hole_ms)
        median, scores = chunk_ncc(pcm(p.rb, "alice"), x)
        assert median > 0.8, scores
    finally:
        p.release()
        relay.close()


def test_garbage_datagrams_are_all_counted_and_audio_is_intact(service):
    p, relay = relayed_pair(service)
    try:
        x = speech()
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        rng = random.Random(5)
        junk = garbage_datagrams(rng, SSRC + 1) + garbage_datagrams(rng, SSRC)[:200]
        sent = 0
        t_end = time.monotonic() + 2.0
        while time.monotonic() < t_end:  # as fast as Python sends, from the relay's own address
            relay.inject(junk[:200])
            junk = junk[200:] + junk[:200]
            sent += 200
            time.sleep(0.002)
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.4)
        s, _ = assert_counters_add_up(p.b)
        assert s["packets_received"] > sent * 0.5, (sent, s)
        assert s["malformed"] > 0 and s["unknown_ssrc"] > 0, s
        median, scores = chunk_ncc(pcm(p.rb, "alice"), x)
        assert median > 0.8, scores
        print(f"\ngarbage: {sent} sent in 2 s, {s['packets_received']} received, all counted")
    finally:
        p.release()
        relay.close()


def test_spoofed_rtp_with_srtp_on_is_refused(service):
    pytest.importorskip("cryptography")
    key = os.urandom(30)

    class SrtpRelay(ImpairRelay):
        roc, last_seq = 0, None

        def _send(self, data):  # the leg Janus encrypts
            seq = struct.unpack("!H", data[2:4])[0]
            if self.last_seq is not None and self.last_seq - seq > 32768:
                self.roc += 1  # the 16-bit sequence number wrapped (RFC 3711 3.3.1)
            self.last_seq = seq
            super()._send(srtp_protect_80(key[:16], key[16:], data, self.roc))

    box = {}

    def via(port):
        box["relay"] = SrtpRelay(port)
        return box["relay"].port

    p = Pair(service, via=via)
    relay = box["relay"]
    try:
        assert p.b._rtp_remove_remote(SSRC) == 0
        assert p.b._rtp_add_remote(SSRC, b"alice", 80, key) == 0
        x = speech()
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        rng = random.Random(9)
        spoofed = []
        for i in range(400):  # alice's SSRC, plausible seqs: plain, and with a forged tag
            hdr = struct.pack("!BBHII", 0x80, 111, rng.randrange(65536), rng.randrange(2 ** 32), SSRC)
            body = bytes([0xF8, 0xFF, 0xFE]) + rng.randbytes(40)
            spoofed.append(hdr + body + (rng.randbytes(10) if i % 2 else b""))
        for i in range(0, len(spoofed), 50):
            relay.inject(spoofed[i:i + 50])
            time.sleep(0.05)
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=10)
        time.sleep(0.4)
        s, r = assert_counters_add_up(p.b)
        assert s["srtp_errors"] >= 390, s  # each one refused (a few may be lost to the kernel)
        assert r["packets_invalid"] == 0 and s["late"] == 0, (s, r)  # none reached the buffer
        median, scores = chunk_ncc(pcm(p.rb, "alice"), x)
        assert median > 0.85, scores
    finally:
        p.release()
        relay.close()
