"""Native pacing of pushed audio (PACING.md): order and content end to end,
interrupt_audio racing the media clock, completion (is_push_to_rtc_completed,
wait_push_completed, ``await push_completed()``, on_audio_push_completed),
send counters, start_pts, short tails, pushing before connect.

Every check is causal or exact, never a timing threshold: received frames are
compared with what was pushed, and ``AudioFrame.send_time_us`` (CLOCK_MONOTONIC
microseconds at the media-clock tick that cut the frame) is compared with
``time.monotonic_ns()`` readings taken in this process (the same clock).

Where a sender must not start sending before everything is queued it publishes
*before* connecting: the media clock only cuts frames of a connection that is
on the air, so the audio provably stays queued until connect (connect, then
publish with audio queued used to lose frames:
test_publish_with_queued_audio_loses_no_frames).

Tests wait for the frames they expect (their number is exact:
get_send_stats()['sent_frames']) rather than relying on completion alone.

The last five tests are regressions for engine bugs found while writing this
file (each fixed in the engine since): interrupt did not wake completion
waiters; round_ms lost 1 ms per second at 22.05 kHz; publish_audio() with
audio queued could lose the prefill burst; a stream message sent right after
completion could overtake the last audio frames. The two races are made
deterministic with an LD_PRELOAD shim that widens the race window.
"""
import asyncio
import json
import os
import queue
import shutil
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, barrier, join, wait_until


def _now_us():
    return time.monotonic_ns() // 1000


def _noise(n, seed, channels=1):
    """Full-range random int16 PCM: any reordering, loss or conversion shows."""
    return np.random.default_rng(seed).integers(-32768, 32767, n * channels, dtype=np.int16,
                                                endpoint=True)


def _frame_sizes(rate, n):
    """Per-channel sizes of the frames the engine cuts from ``n`` samples of one
    format: floor((k + 1) * rate / 100) - floor(k * rate / 100), so 22050 Hz
    alternates 220 and 221 and 100 frames are exactly one second."""
    sizes, cut, k = [], 0, 0
    while cut < n:
        size = (k + 1) * rate // 100 - k * rate // 100
        sizes.append(size)
        cut += size
        k += 1
    return sizes


class PacingRecorder(Recorder):
    """Recorder that also records on_audio_push_completed(round_ms)."""

    def on_audio_push_completed(self, lu, round_ms):
        self._add("push_completed", round_ms)

    def rounds(self):
        with self.cond:
            return [e[1][0] for e in self.events if e[0] == "push_completed"]


def _sender_queued(service, channel, uid, *, recorder=None):
    """A sender that publishes but is not connected yet: whatever it pushes
    stays queued (the media clock skips connections that are not on the air)
    until ``_go_on_air`` connects it."""
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    rec = PacingRecorder() if recorder is None else recorder
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    assert conn.publish_audio() == 0
    return conn, rec


def _go_on_air(conn, rec, channel, uid):
    assert conn.connect("", channel, uid) == 0
    rec.wait_event("connected")


@pytest.fixture
def fast_service():
    """A service with the largest prefill (500 ms leave on the first tick of a
    round), so sample-exact checks of a few seconds of audio stay quick."""
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="test", prefill_ms=500))
    yield svc
    svc.release()


# ---------------------------------------------------------------------------
# order and content, end to end


@pytest.mark.parametrize("rate,channels", [(16000, 1), (48000, 2), (44100, 1), (44100, 2),
                                           (8000, 1)])
def test_order_and_content_for_many_random_pushes(fast_service, rate, channels):
    """Many pushes of random sizes (most not whole frames, several shorter
    than 10 ms) come out as one contiguous, sample-exact stream: frames are cut
    across push boundaries and only the very last partial frame is padded."""
    rx, rrec = join(fast_service, "order", "rx", rate=rate, channels=channels, publish=False)
    tx, trec = _sender_queued(fast_service, "order", "tx")
    rng = np.random.default_rng(rate * 10 + channels)
    sizes = [int(rng.integers(1, rate // 100)) if k % 4 == 0 else int(rng.integers(1, rate // 20))
             for k in range(40)]
    chunks = [_noise(n, seed=1000 + k, channels=channels) for k, n in enumerate(sizes)]
    for chunk in chunks:
        assert tx.push_audio_pcm_data(chunk, rate, channels) == 0
    pushed = np.concatenate(chunks)
    total = sum(sizes)
    frames = len(_frame_sizes(rate, total))
    assert tx.is_push_to_rtc_completed() is False
    assert tx.get_send_stats()["queued_samples"] == total

    _go_on_air(tx, trec, "order", "tx")
    assert tx.wait_push_completed(timeout=20) is True
    spf = rate // 100
    rrec.wait_samples("tx", frames * spf * channels * 2, timeout=20)
    got = np.frombuffer(rrec.pcm("tx"), np.int16)
    assert got.size == frames * spf * channels
    np.testing.assert_array_equal(got[:pushed.size], pushed)
    assert not got[pushed.size:].any()                    # the one padded tail
    for f in rrec.frames["tx"]:
        assert (f.samples_per_sec, f.channels, f.samples_per_channel) == (rate, channels, spf)
    stats = tx.get_send_stats()
    assert stats["pushed_samples"] == total
    assert stats["sent_frames"] == frames
    assert stats["dropped_samples"] == 0 and stats["queued_samples"] == 0
    # one sender, one transport: frames leave in order
    sends = [f.send_time_us for f in rrec.frames["tx"]]
    assert sends == sorted(sends)


def test_mixed_formats_keep_order_received_at_16k(fast_service):
    """Pushes alternating 48 kHz stereo, 44.1 kHz, 22.05 kHz, 24 kHz stereo and
    16 kHz, received at 16 kHz mono: the engine frames each push in its own
    format (22.05 kHz alternates 220/221 samples), never cuts a frame across a
    format change, and the receiver hears the pushes in order. Resampled, so
    content is checked by each push's tone, not sample by sample."""
    rx, rrec = join(fast_service, "mixed", "rx", publish=False)
    tx, trec = _sender_queued(fast_service, "mixed", "tx")
    plan = [(48000, 2, 300.0), (44100, 1, 500.0), (22050, 1, 700.0), (24000, 2, 900.0),
            (16000, 1, 1100.0), (22050, 2, 1300.0), (44100, 1, 1500.0)]
    expected_frames = 0
    for k, (rate, ch, freq) in enumerate(plan):
        n = int(0.3 * rate) + 37                           # 300 ms and a partial frame
        t = np.arange(n) / rate
        x = (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
        if ch == 2:
            x = np.repeat(x, 2)
        assert tx.push_audio_pcm_data(x, rate, ch, start_pts=k * 100_000) == 0
        expected_frames += len(_frame_sizes(rate, n))
    # a 16 kHz marker last: once it arrives, everything before it has arrived
    assert tx.push_audio_pcm_data(np.zeros(1600, np.int16), 16000, 1, start_pts=99 * 100_000) == 0
    _go_on_air(tx, trec, "mixed", "tx")
    assert tx.wait_push_completed(timeout=20) is True
    assert tx.get_send_stats()["sent_frames"] == expected_frames + 10
    rrec.wait_for(lambda: any(f.presentation_ms >= 99 * 100_000 for f in rrec.frames.get("tx", [])))

    frames = [f for f in rrec.frames["tx"] if f.presentation_ms < 99 * 100_000]
    bands = [f.presentation_ms // 100_000 for f in frames]
    assert bands == sorted(bands), "pushes arrived out of order"
    assert set(bands) == set(range(len(plan)))
    for k, (rate, ch, freq) in enumerate(plan):
        mine = [f for f in frames if f.presentation_ms // 100_000 == k]
        # about 30 frames each (a frame's worth may be lost or added at a
        # format change by the receiver's resampler)
        assert 28 <= len(mine) <= 32, (k, len(mine))
        pts = [f.presentation_ms for f in mine]
        assert pts == sorted(pts)
        mid = np.concatenate([f.data for f in mine[5:25]]).astype(np.float64)
        spectrum = np.abs(np.fft.rfft(mid * np.hanning(mid.size)))
        peak_hz = np.argmax(spectrum) * 16000 / mid.size
        assert abs(peak_hz - freq) < 30, (k, peak_hz, freq)


# ---------------------------------------------------------------------------
# interrupt_audio racing the media clock


def test_interrupt_races_media_clock(service):
    """300 rounds of 1-3 random pushes while another thread interrupts at a
    random moment (before, between, during or after the pushes, in any phase
    of the 10 ms tick, during the prefill burst or after completion).

    Checked for every round: no frame of audio pushed before an interrupt was
    cut after that interrupt returned (send_time_us vs time.monotonic_ns);
    every received frame is the pushed data at its position (padded only at a
    push's end); each push arrives as a prefix of itself, pushes in order;
    audio is lost only to an interrupt; InterruptReport and the send counters
    agree with what arrived."""
    rx, rrec = join(service, "race", "rx", publish=False)
    tx, _ = join(service, "race", "tx", record=False)
    rng = np.random.default_rng(20240611)
    spf = 160
    chunks = {}        # id -> pushed int16 array; start_pts = id * 100_000
    pushed_at = {}     # id -> (before push, after push) in us
    round_of = {}      # id -> round number
    interrupts = []    # per round: (before call, after return, rc, InterruptReport)
    errors = []

    requests = queue.Queue()
    done = threading.Event()

    def interrupter():
        while True:
            delay = requests.get()
            if delay is None:
                return
            try:
                time.sleep(delay)
                t0 = _now_us()
                rc = tx.interrupt_audio()
                t1 = _now_us()
                interrupts.append((t0, t1, rc, tx.last_interrupt))
            except BaseException as e:  # reported by the main thread
                errors.append(e)
            finally:
                done.set()

    worker = threading.Thread(target=interrupter, daemon=True)
    worker.start()
    next_id = 1
    try:
        for rnd in range(300):
            done.clear()
            requests.put(float(rng.uniform(0.0, 0.03)))
            m = int(rng.integers(1, 4))
            for j in range(m):
                if j:
                    time.sleep(float(rng.uniform(0.0, 0.008)))
                # whole frames, except the round's last push which may end in a
                # partial frame (so frames never straddle two pushes)
                n = int(rng.integers(1, 8)) * spf if j < m - 1 else int(rng.integers(1, 8 * spf))
                data = _noise(n, seed=next_id)
                chunks[next_id] = data
                t0 = _now_us()
                assert tx.push_audio_pcm_data(data, 16000, 1, start_pts=next_id * 100_000) == 0
                pushed_at[next_id] = (t0, _now_us())
                round_of[next_id] = rnd
                next_id += 1
            assert done.wait(10)
            # whatever was pushed after the interrupt drains before the next round
            wait_until(tx.is_push_to_rtc_completed, timeout=10, what="round drained")
    finally:
        requests.put(None)
        worker.join(10)
    assert not errors
    sent = tx.get_send_stats()["sent_frames"]        # final: nothing is queued any more
    rrec.wait_for(lambda: len(rrec.frames.get("tx", [])) >= sent)
    barrier(tx, rrec)

    frames = rrec.frames.get("tx", [])
    by_chunk = {}
    last_id = 0
    for f in frames:
        cid, off_ms = divmod(f.presentation_ms, 100_000)
        assert cid in chunks, f.presentation_ms
        assert cid >= last_id, "pushes arrived out of order"
        last_id = cid
        data = chunks[cid]
        off = off_ms * 16
        expect = np.zeros(spf, np.int16)
        piece = data[off:off + spf]
        expect[:piece.size] = piece
        np.testing.assert_array_equal(f.data, expect, err_msg=f"frame pts={f.presentation_ms}")
        by_chunk.setdefault(cid, []).append((off, f.send_time_us))

    sent_real = 0
    for cid, data in chunks.items():
        got = by_chunk.get(cid, [])
        offsets = [o for o, _ in got]
        assert offsets == list(range(0, spf * len(got), spf)), f"push {cid} is not a prefix"
        sent_real += min(data.size, spf * len(got))
        p0, p1 = pushed_at[cid]
        if spf * len(got) < data.size:
            # every round drains before the next, so only this round's interrupt
            # can have dropped audio, and only if it returned after the push began
            _, t1, _, _ = interrupts[round_of[cid]]
            assert t1 > p0, f"push {cid} lost audio pushed after the interrupt returned"
        for t0, t1, _, _ in interrupts:
            if p1 < t0:   # pushed entirely before this interrupt was called
                late = [s for _, s in got if s > t1]
                assert not late, f"push {cid}: {len(late)} frame(s) cut after interrupt returned"

    assert len(interrupts) == 300
    for _, _, rc, report in interrupts:
        assert rc == 0
        if report.last_presentation_ms != -1:
            # the reported last frame really left, and nothing of its push after it
            cid, off_ms = divmod(report.last_presentation_ms, 100_000)
            offsets = [o for o, _ in by_chunk.get(cid, [])]
            assert offsets and offsets[-1] == off_ms * 16
        assert report.sent_ms >= 0 and report.dropped_ms >= 0

    stats = tx.get_send_stats()
    total = sum(d.size for d in chunks.values())
    assert stats["pushed_samples"] == total
    assert stats["sent_frames"] == len(frames)
    assert stats["dropped_samples"] == total - sent_real
    assert stats["queued_samples"] == 0


class _InterruptingRecorder(Recorder):
    """Calls ``target.interrupt_audio()`` from inside the frame observer when
    the 5th frame of the target arrives (barge-in detected on the delivery thread)."""

    def __init__(self):
        super().__init__()
        self.target = None
        self.result = None

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        super().on_playback_audio_frame_before_mixing(lu, channel_id, uid, frame, state, vad_bytes)
        if self.target is not None and self.result is None and len(self.frames[uid]) == 5:
            t0 = _now_us()
            rc = self.target.interrupt_audio()
            self.result = (rc, t0, _now_us(), self.target.last_interrupt)


def test_interrupt_from_inside_observer_callback(service):
    rec = _InterruptingRecorder()
    rx, rrec = join(service, "cb", "rx", publish=False, recorder=rec)
    tx, _ = join(service, "cb", "tx", record=False)
    rec.target = tx
    data = _noise(80000, seed=7)                           # 5 s
    t_push = _now_us()
    assert tx.push_audio_pcm_data(data, 16000, 1, start_pts=5000) == 0
    rrec.wait_for(lambda: rec.result is not None)
    rc, t0, t1, report = rec.result
    assert rc == 0
    assert tx.is_push_to_rtc_completed() is True
    assert report.sent_ms >= 50 and report.dropped_ms > 0
    assert report.sent_ms + report.dropped_ms == 5000
    # nothing was cut after the interrupt: the engine's own count agrees
    assert tx.get_send_stats()["sent_frames"] * 10 == report.sent_ms
    rrec.wait_for(lambda: len(rrec.frames["tx"]) * 10 >= report.sent_ms)
    barrier(tx, rrec)
    frames = rrec.frames["tx"]
    assert len(frames) * 10 == report.sent_ms               # exactly what was reported as sent
    assert report.last_presentation_ms == frames[-1].presentation_ms
    assert [f.presentation_ms for f in frames] == [5000 + 10 * k for k in range(len(frames))]
    got = np.frombuffer(rrec.pcm("tx"), np.int16)
    np.testing.assert_array_equal(got, data[:got.size])
    # same clock domain: every frame was cut after the push began and before
    # the interrupt returned
    assert all(t_push <= f.send_time_us <= t1 for f in frames)
    stats = tx.get_send_stats()
    assert stats["dropped_samples"] == 80000 - got.size


def test_interrupt_with_everything_still_queued(service):
    tx, trec = _sender_queued(service, "q", "tx")
    assert tx.push_audio_pcm_data(_noise(16000, seed=3), 16000, 1, start_pts=42) == 0
    assert tx.push_audio_pcm_data(_noise(4800, seed=4, channels=2), 48000, 2) == 0
    assert tx.is_push_to_rtc_completed() is False
    assert tx.interrupt_audio() == 0
    assert tx.last_interrupt == ar.InterruptReport(sent_ms=0, dropped_ms=1100, last_presentation_ms=-1)
    assert tx.is_push_to_rtc_completed() is True
    assert tx.get_send_stats() == {"pushed_samples": 20800, "sent_frames": 0,
                                   "dropped_samples": 20800, "queued_samples": 0,
                                   "drained_events": 0}


# ---------------------------------------------------------------------------
# completion


def test_completion_rounds_are_exact(service):
    """Four rounds (whole frames, a tail, a lone sub-10 ms piece, stereo 48 kHz
    with a tail): completed is False while audio remains, True after; each
    round ends with exactly one on_audio_push_completed(round_ms) where round_ms
    is the pushed audio in whole ms; wait_push_completed and
    ``await push_completed()`` return; the counters match."""
    rx, rrec = join(service, "done", "rx", publish=False)
    tx, trec = _sender_queued(service, "done", "tx")
    assert tx.is_push_to_rtc_completed() is True           # nothing pushed yet
    assert tx.wait_push_completed(timeout=0) is True

    rounds = [(16000, 1, 4800), (16000, 1, 4080), (16000, 1, 50), (48000, 2, 9624)]
    expected_ms = [n * 1000 // rate for rate, _, n in rounds]      # 300, 255, 3, 200
    expected_frames = [len(_frame_sizes(rate, n)) for rate, _, n in rounds]

    # round 1: queued before connecting, so provably not complete yet
    rate, ch, n = rounds[0]
    assert tx.push_audio_pcm_data(_noise(n, 1, ch), rate, ch) == 0
    assert tx.is_push_to_rtc_completed() is False
    assert tx.wait_push_completed(timeout=0) is False      # not connected: nothing can drain
    _go_on_air(tx, trec, "done", "tx")
    assert tx.wait_push_completed(timeout=10) is True
    assert tx.is_push_to_rtc_completed() is True
    trec.wait_for(lambda: len(trec.rounds()) == 1)

    # round 2: synchronous wait
    rate, ch, n = rounds[1]
    assert tx.push_audio_pcm_data(_noise(n, 2, ch), rate, ch) == 0
    assert tx.wait_push_completed(timeout=10) is True
    trec.wait_for(lambda: len(trec.rounds()) == 2)

    # round 3: a lone piece shorter than 10 ms, awaited from asyncio
    async def push_and_await(rate, ch, n, seed):
        assert tx.push_audio_pcm_data(_noise(n, seed, ch), rate, ch) == 0
        await asyncio.wait_for(tx.push_completed(), 10)
        assert tx.is_push_to_rtc_completed() is True
        await tx.push_completed()                          # already complete: returns at once

    asyncio.run(push_and_await(*rounds[2], 3))
    trec.wait_for(lambda: len(trec.rounds()) == 3)

    # round 4: stereo 48 kHz with a tail, awaited from asyncio too
    asyncio.run(push_and_await(*rounds[3], 4))
    trec.wait_for(lambda: len(trec.rounds()) == 4)

    rrec.wait_for(lambda: len(rrec.frames.get("tx", [])) >= sum(expected_frames))
    barrier(tx, rrec)
    assert trec.rounds() == expected_ms
    stats = tx.get_send_stats()
    assert stats == {"pushed_samples": sum(n for _, _, n in rounds),
                     "sent_frames": sum(expected_frames), "dropped_samples": 0,
                     "queued_samples": 0, "drained_events": 4}
    assert len(rrec.frames["tx"]) == sum(expected_frames)


def test_lone_short_tail_is_sent_padded_and_completes(service):
    rx, rrec = join(service, "tail", "rx", publish=False)
    tx, trec = join(service, "tail", "tx", record=False, recorder=PacingRecorder())
    data = _noise(50, seed=11)                             # 3.125 ms
    assert tx.push_audio_pcm_data(data, 16000, 1, start_pts=900) == 0
    assert tx.wait_push_completed(timeout=10) is True
    trec.wait_for(lambda: trec.rounds() == [3])
    rrec.wait_for(lambda: len(rrec.frames.get("tx", [])) == 1)
    (f,) = rrec.frames["tx"]
    assert f.samples_per_channel == 160 and f.presentation_ms == 900
    np.testing.assert_array_equal(f.data[:50], data)
    assert not f.data[50:].any()
    assert tx.get_send_stats()["sent_frames"] == 1


def test_push_before_connect_queues_then_flows(service):
    rx, rrec = join(service, "early", "rx", publish=False)
    tx = service.create_rtc_connection(ar.RTCConnConfig())
    trec = PacingRecorder()
    tx.register_observer(trec)
    tx.register_local_user_observer(trec)
    data = _noise(4003, seed=12)                           # 250 ms and a 3-sample tail
    assert tx.push_audio_pcm_data(data, 16000, 1, start_pts=70) == 0
    assert tx.is_push_to_rtc_completed() is False
    assert tx.get_send_stats()["queued_samples"] == 4003
    assert tx.publish_audio() == 0                         # still not connected: still queued
    assert tx.is_push_to_rtc_completed() is False
    _go_on_air(tx, trec, "early", "tx")
    assert tx.wait_push_completed(timeout=10) is True
    rrec.wait_samples("tx", 26 * 320)
    got = np.frombuffer(rrec.pcm("tx"), np.int16)
    assert got.size == 26 * 160
    np.testing.assert_array_equal(got[:4003], data)
    assert not got[4003:].any()
    assert [f.presentation_ms for f in rrec.frames["tx"]] == [70 + 10 * k for k in range(26)]
    trec.wait_for(lambda: trec.rounds() == [250])


@pytest.mark.parametrize("rate,channels", [(16000, 1), (48000, 2), (44100, 1)])
def test_start_pts_carried_to_presentation_ms(service, rate, channels):
    rx, rrec = join(service, "pts", "rx", rate=rate, channels=channels, publish=False)
    tx, trec = _sender_queued(service, "pts", "tx")
    n = rate // 5 + 3                                      # 200 ms and a partial frame
    assert tx.push_audio_pcm_data(_noise(n, 13, channels), rate, channels,
                                  start_pts=123_456_789) == 0
    _go_on_air(tx, trec, "pts", "tx")
    assert tx.wait_push_completed(timeout=10) is True
    assert tx.get_send_stats()["sent_frames"] == 21
    rrec.wait_for(lambda: len(rrec.frames.get("tx", [])) >= 21)
    assert [f.presentation_ms for f in rrec.frames["tx"]] == [123_456_789 + 10 * k for k in range(21)]


def test_send_time_us_is_in_the_time_monotonic_domain(service):
    """AudioFrame.send_time_us and ar.monotonic_ms() read CLOCK_MONOTONIC, the
    clock of time.monotonic_ns(): causal order pins them (no timing threshold)."""
    a = time.monotonic_ns() // 1_000_000
    m = ar.monotonic_ms()
    b = time.monotonic_ns() // 1_000_000
    assert a <= m <= b
    rx, rrec = join(service, "clk", "rx", publish=False)
    tx, _ = join(service, "clk", "tx", record=False)
    t0 = _now_us()
    assert tx.push_audio_pcm_data(_noise(800, 14), 16000, 1) == 0
    rrec.wait_for(lambda: len(rrec.frames.get("tx", [])) == 5)
    t1 = _now_us()
    for f in rrec.frames["tx"]:
        assert t0 <= f.send_time_us <= t1
        assert f.render_time_ms == f.send_time_us // 1000


# ---------------------------------------------------------------------------
# regressions: engine bugs found while writing these tests


def test_interrupt_wakes_push_completed_awaiters(service):
    """Was: interrupt_audio() did not wake completion waiters, so an
    ``await push_completed()`` (or wait_push_completed()) begun before a
    barge-in kept waiting although is_push_to_rtc_completed() was True."""
    tx, trec = _sender_queued(service, "wake", "tx")
    assert tx.push_audio_pcm_data(_noise(16000, 15), 16000, 1) == 0

    async def main():
        waiter = asyncio.ensure_future(tx.push_completed())
        await asyncio.sleep(0)                              # the waiter is registered
        assert tx.interrupt_audio() == 0
        assert tx.is_push_to_rtc_completed() is True
        # a hang detector, not a timing assertion: the fix resolves it at once
        await asyncio.wait_for(waiter, 1.0)

    asyncio.run(main())


def test_interrupt_wakes_wait_push_completed(service):
    tx, trec = _sender_queued(service, "wake2", "tx")
    assert tx.push_audio_pcm_data(_noise(16000, 17), 16000, 1) == 0
    result = []
    waiter = threading.Thread(target=lambda: result.append(tx.wait_push_completed(timeout=30)), daemon=True)
    waiter.start()
    wait_until(lambda: tx._drain_cond._waiters, what="waiter blocked")  # noqa: SLF001
    assert tx.interrupt_audio() == 0
    waiter.join(10)                     # a hang detector: the fix wakes it at once
    assert not waiter.is_alive() and result == [True]


def test_round_ms_exact_at_22050(service):
    """Was: round_ms (and InterruptReport.sent_ms) summed per-frame truncated
    microseconds, so 1 s pushed at 22050 Hz (frames of 220 and 221 samples)
    reported 999 ms."""
    rx, rrec = join(service, "r22", "rx", publish=False)
    tx, trec = _sender_queued(service, "r22", "tx")
    assert tx.push_audio_pcm_data(_noise(22050, 16), 22050, 1) == 0
    _go_on_air(tx, trec, "r22", "tx")
    assert tx.wait_push_completed(timeout=10) is True
    trec.wait_for(lambda: len(trec.rounds()) == 1)
    assert tx.get_send_stats()["sent_frames"] == 100
    assert trec.rounds() == [1000]


# The two races below are made deterministic by an LD_PRELOAD shim that
# interposes engine-internal functions (called through the PLT) to widen the
# race window, the way a preemption there would. Both run in one child
# interpreter (LD_PRELOAD needs a fresh process; one import, one rebuild check).

_RACE_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *engine_symbol(const char *name)
{
    void *h = dlopen(getenv("AGORA_ENGINE_SO"), RTLD_NOLOAD | RTLD_LAZY);
    return h ? dlsym(h, name) : NULL;
}

/* which window to widen; set by the script through ctypes (0: none) */
int agora_shim_mode = 0;

static int on_thread(const char *want)
{
    char name[16] = "";
    pthread_getname_np(pthread_self(), name, sizeof(name));
    return strcmp(name, want) == 0;
}

/* publish_audio(): delay posting IO_PUBLISH (enum io_kind 3) by 50 ms, i.e.
 * widen the gap between "the connection publishes" and "the hub knows". */
void *agora_io_item_new(int kind, void *conn, size_t length)
{
    static void *(*real)(int, void *, size_t);
    if (!real)
        real = (void *(*)(int, void *, size_t))engine_symbol("agora_io_item_new");
    if (agora_shim_mode == 1 && kind == 3 && !on_thread("agora-clock") && !on_thread("agora-io"))
        usleep(50000);
    return real(kind, conn, length);
}

/* media clock: delay handing a tick's frames (a batch of more than one item;
 * a completion event is a single item) to the I/O thread by 200 ms. */
void agora_workq_push_list(void *q, void *first, void *last, size_t count)
{
    static void (*real)(void *, void *, void *, size_t);
    if (!real)
        real = (void (*)(void *, void *, void *, size_t))engine_symbol("agora_workq_push_list");
    if (agora_shim_mode == 2 && count > 1 && on_thread("agora-clock"))
        usleep(200000);
    real(q, first, last, count);
}
"""

_RACE_SCRIPT = r"""
import ctypes, importlib.util, json, os, sys
# Started with -S: import the engine module the parent already built, not
# through the editable install's import hook (which may rebuild first).
sys.path[:0] = [sys.argv[1]] + os.environ["AGORA_TEST_PATHS"].split(os.pathsep)

class _Engine:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "agora_rtc._core._engine":
            return importlib.util.spec_from_file_location(name, os.environ["AGORA_ENGINE_SO"])
        return None

sys.meta_path.insert(0, _Engine)
import agora_rtc as ar
from conftest import Recorder, join, tone

class Order(Recorder):
    def __init__(self):
        super().__init__()
        self.seq = []
    def on_playback_audio_frame_before_mixing(self, *a):
        super().on_playback_audio_frame_before_mixing(*a)
        self.seq.append("frame")
    def on_stream_message(self, lu, uid, sid, data, length):
        self.seq.append("message")
        super().on_stream_message(lu, uid, sid, data, length)

shim_mode = ctypes.c_int.in_dll(ctypes.CDLL(None), "agora_shim_mode")
out = {}
svc = ar.AgoraService()
svc.initialize(ar.AgoraServiceConfig(appid="t"))

# 1. publish_audio() while audio is queued on a connected connection
rx, rrec = join(svc, "pub", "rx", publish=False)
tx, _ = join(svc, "pub", "tx", record=False, publish=False)
assert tx.push_audio_pcm_data(tone(0.5), 16000) == 0         # 50 frames queued
shim_mode.value = 1
assert tx.publish_audio() == 0
shim_mode.value = 0
assert tx.wait_push_completed(10)
sent = tx.get_send_stats()["sent_frames"]
try:   # hang detector: lost frames never come
    rrec.wait_for(lambda: len(rrec.frames.get("tx", [])) >= sent, timeout=3)
except AssertionError:
    pass
out["publish"] = [sent, len(rrec.frames.get("tx", []))]

# 2. a stream message sent as soon as the push completed
rx2, rrec2 = join(svc, "ovt", "rx", publish=False, recorder=Order())
tx2, _ = join(svc, "ovt", "tx", record=False)
shim_mode.value = 2
assert tx2.push_audio_pcm_data(tone(0.05), 16000) == 0       # 5 frames: all cut in one (prefill) tick
assert tx2.wait_push_completed(10)
assert tx2.send_stream_message(b"turn done") == 0            # the agent's end-of-turn marker
rrec2.wait_for(lambda: rrec2.seq.count("frame") == 5 and "message" in rrec2.seq)
out["overtake"] = rrec2.seq
shim_mode.value = 0
svc.release()
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def race_shim_results(tmp_path_factory):
    if not sys.platform.startswith("linux") or shutil.which("cc") is None:
        pytest.skip("needs Linux and a C compiler for the LD_PRELOAD shim")
    import site
    from agora_rtc._core import _engine
    d = tmp_path_factory.mktemp("race_shim")
    (d / "shim.c").write_text(_RACE_SHIM)
    subprocess.run(["cc", "-shared", "-fPIC", "-O2", "-o", str(d / "shim.so"), str(d / "shim.c"),
                    "-ldl", "-lpthread"], check=True)
    (d / "race.py").write_text(textwrap.dedent(_RACE_SCRIPT))
    # a private copy of the engine module: a concurrent editable rebuild cannot
    # replace it under the child
    engine_so = d / os.path.basename(_engine.__file__)
    shutil.copyfile(_engine.__file__, engine_so)
    paths = [os.path.dirname(os.path.dirname(os.path.abspath(ar.__file__)))] + site.getsitepackages()
    # keep a preloaded sanitizer runtime first (scripts/check_sanitize.sh), then the shim
    preload = " ".join(p for p in (os.environ.get("LD_PRELOAD"), str(d / "shim.so")) if p)
    env = dict(os.environ, LD_PRELOAD=preload, AGORA_ENGINE_SO=str(engine_so),
               AGORA_TEST_PATHS=os.pathsep.join(paths))
    out = subprocess.run([sys.executable, "-S", str(d / "race.py"),
                          os.path.dirname(os.path.abspath(__file__))],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_publish_with_queued_audio_loses_no_frames(race_shim_results):
    """Was: publish_audio() set `publishing` (the media clock starts cutting)
    before IO_PUBLISH was queued; a tick in between cut frames that the hub
    then dropped (not publishing there yet): counted as sent, never delivered.
    The shim delays the IO_PUBLISH post by 50 ms."""
    sent, received = race_shim_results["publish"]
    assert sent == 50
    assert received == sent


def test_message_after_completion_does_not_overtake_audio(race_shim_results):
    """Was: completion became visible when the last frame was cut, before the
    clock handed the tick's frames to the I/O thread, so a stream message sent
    right after completion (an agent's end-of-turn marker) could reach the far
    side before the last audio frames. The shim delays the hand-off by 200 ms
    (a tick over thousands of streams widens that window by itself)."""
    assert race_shim_results["overtake"] == ["frame"] * 5 + ["message"]
