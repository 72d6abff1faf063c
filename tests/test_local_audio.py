"""Audio from one connection to another over the in-process (local) network:
sample-exact delivery, resampling quality, push types, timestamps, frame
objects, completion and interruption. Tests wait on conditions, never on time."""
import gc
import math
import threading
import time

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, barrier, frame_count, join, received_pts, tone, wait_until


def _frame_samples(rate):
    return rate // 100


def _expected_frames(total_samples_per_channel, rate):
    return math.ceil(total_samples_per_channel / _frame_samples(rate))


def _noise(n, seed, channels=1):
    """Random int16 PCM (full range): any reordering, loss or conversion shows."""
    return np.random.default_rng(seed).integers(-32768, 32767, n * channels, dtype=np.int16,
                                                endpoint=True)


def _push_and_collect(a, b_rec, chunks, rate, channels, uid="a"):
    """Push ``chunks`` from ``a``, wait until everything was sent and arrived;
    return (pushed samples, received samples)."""
    for chunk in chunks:
        assert a.push_audio_pcm_data(chunk, rate, channels) == 0
    pushed = np.concatenate(chunks)
    n = pushed.size // channels
    frames = _expected_frames(n, rate)
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    b_rec.wait_samples(uid, frames * _frame_samples(rate) * channels * 2)
    # The engine counted exactly the frames that carry the pushed audio (the
    # trailing partial frame padded): nothing else can still be on its way.
    assert a.get_send_stats()["sent_frames"] == frames
    got = np.frombuffer(b_rec.pcm(uid), np.int16)
    return pushed, got


# ---------------------------------------------------------------------------
# sample-exact delivery when the formats match

EXACT_CASES = [
    pytest.param(16000, 1, [1234], id="16k-mono-odd"),
    pytest.param(16000, 1, [4800], id="16k-mono-whole-frames"),
    pytest.param(16000, 1, [1], id="16k-mono-one-sample"),
    pytest.param(48000, 2, [1234], id="48k-stereo-odd"),
    pytest.param(48000, 2, [4800 * 3], id="48k-stereo-whole-frames"),
    # A first chunk of 300 ms keeps the queue from draining while the small
    # pushes follow (the engine pads a partial tail only once the queue has
    # drained), so the stream is one contiguous round.
    pytest.param(16000, 1, [4800] + [37] * 50 + [1, 159, 161], id="16k-mono-many-small"),
    pytest.param(48000, 2, [14400] + [333] * 30 + [7], id="48k-stereo-many-small"),
]


@pytest.mark.parametrize("rate,channels,lengths", EXACT_CASES)
def test_sample_exact_when_formats_match(service, rate, channels, lengths):
    a, _ = join(service, "exact", "a", rate=rate, channels=channels)
    b, rb = join(service, "exact", "b", rate=rate, channels=channels)
    chunks = [_noise(n, seed=i, channels=channels) for i, n in enumerate(lengths)]
    pushed, got = _push_and_collect(a, rb, chunks, rate, channels)

    total = pushed.size // channels
    frames = _expected_frames(total, rate)
    assert got.size == frames * _frame_samples(rate) * channels
    np.testing.assert_array_equal(got[:pushed.size], pushed)
    # the trailing partial frame is padded with silence
    assert not got[pushed.size:].any()
    for f in rb.frames["a"]:
        assert f.samples_per_sec == rate
        assert f.channels == channels
        assert f.samples_per_channel == _frame_samples(rate)


def test_stereo_channels_not_swapped(service):
    a, _ = join(service, "stereo", "a", rate=48000, channels=2)
    b, rb = join(service, "stereo", "b", rate=48000, channels=2)
    x = tone(0.1, rate=48000, channels=2, freq=500)      # right = left // 2
    pushed, got = _push_and_collect(a, rb, [x], 48000, 2)
    frames = got.reshape(-1, 2)[:x.size // 2]
    np.testing.assert_array_equal(frames[:, 0], x[0::2])
    np.testing.assert_array_equal(frames[:, 1], x[1::2])


# ---------------------------------------------------------------------------
# resampled delivery (different formats)

def _sine_fit(y, rate, freq):
    """Least-squares fit of a sine of ``freq`` (+ DC) to ``y``.
    Returns (snr_db, amplitude, dominant_frequency_hz)."""
    y = y.astype(np.float64)
    t = np.arange(y.size) / rate
    m = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t), np.ones_like(t)], 1)
    coef, *_ = np.linalg.lstsq(m, y, rcond=None)
    fit = m @ coef
    noise = y - fit
    snr = 10 * np.log10(np.sum(fit ** 2) / max(np.sum(noise ** 2), 1e-9))
    spectrum = np.abs(np.fft.rfft(y * np.hanning(y.size)))
    dominant = np.argmax(spectrum) * rate / y.size
    return snr, math.hypot(coef[0], coef[1]), dominant


RESAMPLE_CASES = [
    pytest.param(48000, 1, 16000, 1, id="48k->16k"),
    pytest.param(44100, 1, 16000, 1, id="44.1k->16k"),
    pytest.param(22050, 1, 16000, 1, id="22.05k->16k"),
    pytest.param(16000, 1, 48000, 2, id="16k-mono->48k-stereo"),
    pytest.param(8000, 1, 16000, 1, id="8k->16k"),
    pytest.param(24000, 1, 48000, 1, id="24k->48k"),
]


@pytest.mark.parametrize("src_rate,src_ch,dst_rate,dst_ch", RESAMPLE_CASES)
def test_resampled_within_tolerance(service, src_rate, src_ch, dst_rate, dst_ch):
    freq, amp, seconds = 997.0, 8000, 0.5
    a, _ = join(service, "resample", "a")
    b, rb = join(service, "resample", "b", rate=dst_rate, channels=dst_ch)
    x = tone(seconds, rate=src_rate, freq=freq, amp=amp, channels=src_ch)
    assert a.push_audio_pcm_data(x, src_rate, src_ch) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    out_samples = int(seconds * dst_rate)
    rb.wait_samples("a", out_samples * dst_ch * 2)
    frames = rb.frames["a"]
    assert all(f.samples_per_sec == dst_rate and f.channels == dst_ch for f in frames)
    y = np.frombuffer(rb.pcm("a"), np.int16).reshape(-1, dst_ch)
    # nothing lost: at least the pushed duration arrives (converter delay may
    # add up to a frame or so; it must not add much more)
    assert out_samples <= y.shape[0] <= out_samples + 3 * _frame_samples(dst_rate)
    # skip the first ~20 ms (converter start-up) and the last ~30 ms (tail padding)
    lo, hi = int(0.02 * dst_rate), out_samples - int(0.03 * dst_rate)
    for ch in range(dst_ch):
        seg = y[lo:hi, ch]
        snr, amplitude, dominant = _sine_fit(seg, dst_rate, freq)
        bin_hz = dst_rate / seg.size
        assert abs(dominant - freq) <= 2 * bin_hz, (ch, dominant)
        assert 0.9 * amp <= amplitude <= 1.1 * amp, (ch, amplitude)
        assert snr > 30, (ch, snr)
    if dst_ch == 2:      # mono source: both output channels carry it
        np.testing.assert_allclose(y[lo:hi, 0], y[lo:hi, 1], atol=2)


def test_stereo_to_mono_downmix(service):
    freq, amp = 997.0, 8000
    a, _ = join(service, "downmix", "a")
    b, rb = join(service, "downmix", "b", rate=16000, channels=1)
    x = tone(0.5, rate=48000, freq=freq, amp=amp, channels=2)   # right = left // 2, same phase
    assert a.push_audio_pcm_data(x, 48000, 2) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    rb.wait_samples("a", 8000 * 2)
    y = np.frombuffer(rb.pcm("a"), np.int16)
    seg = y[320:8000 - 480]
    snr, amplitude, dominant = _sine_fit(seg, 16000, freq)
    assert abs(dominant - freq) <= 2 * 16000 / seg.size
    assert snr > 30
    # a mix of the two channels: between the quieter and the louder one
    assert 0.45 * amp <= amplitude <= 1.05 * amp, amplitude


def test_playback_format_from_subscription_options(service):
    """RTCConnConfig.audio_subs_options sets the observer frame format too."""
    a, _ = join(service, "subs-opts", "a", rate=44100, channels=2)
    cfg = ar.RTCConnConfig(audio_subs_options=ar.AudioSubscriptionOptions(
        sample_rate_hz=44100, number_of_channels=2))
    b, rb = join(service, "subs-opts", "b", record=False, con_config=cfg)
    assert b.register_audio_frame_observer(rb) == 0
    x = _noise(441 * 3 + 5, seed=8, channels=2)
    assert a.push_audio_pcm_data(x, 44100, 2) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    rb.wait_samples("a", 4 * 441 * 2 * 2)
    assert all(f.samples_per_sec == 44100 and f.channels == 2 and f.samples_per_channel == 441
               for f in rb.frames["a"])
    got = np.frombuffer(rb.pcm("a"), np.int16)
    np.testing.assert_array_equal(got[:x.size], x)
    assert not got[x.size:].any()


# ---------------------------------------------------------------------------
# push types

def _as(kind, x):
    if kind == "numpy":
        return x
    if kind == "bytes":
        return x.tobytes()
    if kind == "bytearray":
        return bytearray(x.tobytes())
    if kind == "memoryview-bytes":
        return memoryview(x.tobytes())
    if kind == "memoryview-numpy":
        return memoryview(x)
    if kind == "numpy-2d-stereo":
        return x.reshape(-1, 2)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["numpy", "bytes", "bytearray", "memoryview-bytes",
                                  "memoryview-numpy", "numpy-2d-stereo"])
def test_push_types(service, kind):
    channels = 2 if kind == "numpy-2d-stereo" else 1
    a, _ = join(service, "types", "a", channels=channels)
    b, rb = join(service, "types", "b", channels=channels)
    x = _noise(1234, seed=7, channels=channels)
    assert a.push_audio_pcm_data(_as(kind, x), 16000, channels) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    frames = _expected_frames(1234, 16000)
    rb.wait_samples("a", frames * 160 * channels * 2)
    got = np.frombuffer(rb.pcm("a"), np.int16)
    np.testing.assert_array_equal(got[:x.size], x)
    assert not got[x.size:].any()


def test_concurrent_pushes_are_atomic(service):
    """Pushes from several threads interleave only as whole chunks."""
    a, _ = join(service, "atomic", "a")
    b, rb = join(service, "atomic", "b")
    assert a.push_audio_pcm_data(np.full(3200, 7, np.int16), 16000, 1) == 0   # 200 ms lead
    n_threads, n_chunks, length = 4, 12, 123
    barrier_ = threading.Barrier(n_threads)
    errors = []

    def worker(t):
        try:
            barrier_.wait(5)
            for i in range(n_chunks):
                chunk = np.full(length, 100 + t * 100 + i, np.int16)
                assert a.push_audio_pcm_data(chunk, 16000, 1) == 0
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors
    total = 3200 + n_threads * n_chunks * length
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    rb.wait_samples("a", _expected_frames(total, 16000) * 160 * 2)
    got = np.frombuffer(rb.pcm("a"), np.int16)
    assert not got[total:].any()
    body = got[3200:total]
    edges = np.flatnonzero(np.diff(body)) + 1
    runs = [(int(r[0]), r.size) for r in np.split(body, edges)]
    expected = sorted((100 + t * 100 + i, length) for t in range(n_threads) for i in range(n_chunks))
    assert sorted(runs) == expected
    # each thread's chunks keep their order
    for t in range(n_threads):
        mine = [v for v, _ in runs if (v - 100) // 100 == t]
        assert mine == sorted(mine)


def test_push_does_not_keep_or_alias_the_callers_buffer(service):
    """The data is copied before push returns: mutating the caller's buffer
    afterwards changes nothing that is sent."""
    a, _ = join(service, "alias", "a")
    b, rb = join(service, "alias", "b")
    x = _noise(8000, seed=3)            # 0.5 s: most of it is still queued after push returns
    buf = bytearray(x.tobytes())
    assert a.push_audio_pcm_data(buf, 16000, 1) == 0
    buf[:] = bytes(len(buf))            # zero the caller's buffer
    wait_until(a.is_push_to_rtc_completed, timeout=10, what="push completion")
    rb.wait_samples("a", x.size * 2)
    np.testing.assert_array_equal(np.frombuffer(rb.pcm("a"), np.int16)[:x.size], x)


# ---------------------------------------------------------------------------
# timestamps

def test_presentation_ms_is_start_pts_plus_offset(service):
    a, _ = join(service, "pts", "a")
    b, rb = join(service, "pts", "b")
    assert a.push_audio_pcm_data(tone(0.3), 16000, 1, start_pts=5000) == 0     # 30 frames
    assert a.push_audio_pcm_data(tone(0.2), 16000, 1, start_pts=90000) == 0    # 20 frames
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 50)
    expected = [5000 + 10 * k for k in range(30)] + [90000 + 10 * k for k in range(20)]
    assert received_pts(rb, "a") == expected


def test_presentation_ms_default_start_pts_and_odd_tail(service):
    a, _ = join(service, "pts0", "a")
    b, rb = join(service, "pts0", "b")
    assert a.push_audio_pcm_data(tone(0.0555), 16000, 1) == 0   # 888 samples -> 6 frames
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 6)
    assert received_pts(rb, "a") == [0, 10, 20, 30, 40, 50]


def test_render_time_ms_in_engine_clock_domain(service):
    # same clock as time.monotonic() (not a timing assertion: the two reads
    # are of one clock, so they agree to far better than a second)
    assert abs(ar.monotonic_ms() - time.monotonic() * 1000) < 1000
    a, _ = join(service, "render", "a")
    b, rb = join(service, "render", "b")
    t_before = ar.monotonic_ms()
    assert a.push_audio_pcm_data(tone(0.4), 16000, 1) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 40)
    t_after = ar.monotonic_ms()
    times = [f.render_time_ms for f in rb.frames["a"]]
    # causality: sent after the push started, before we looked
    assert all(t_before <= t <= t_after for t in times), (t_before, times[:3], times[-3:], t_after)
    assert all(t_after - t < 5000 for t in times)
    # non-decreasing (the prefill burst leaves on one tick), and the paced part advances
    assert all(x <= y for x, y in zip(times, times[1:])), times
    assert times[-1] > times[0]


# ---------------------------------------------------------------------------
# the AudioFrame object

class _KeepData(Recorder):
    """Keeps only views of each frame's data, not the frames themselves."""

    def __init__(self):
        super().__init__()
        self.arrays = []
        self.views = []
        self.callback_checks = []

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        arr = frame.data
        checks = dict(spc=frame.samples_per_channel, ch=frame.channels, rate=frame.samples_per_sec,
                      bps=frame.bytes_per_sample, nbytes=len(frame), dtype=arr.dtype,
                      writeable=arr.flags.writeable, readonly_buffer=frame.buffer.readonly,
                      buffer_len=len(frame.buffer), arr_size=arr.size, channel_id=channel_id,
                      uid=uid, state=state, vad_bytes=vad_bytes)
        with self.cond:
            self.arrays.append(arr)
            self.views.append(frame.buffer)
            self.callback_checks.append(checks)
            self.frames.setdefault(uid, []).append(None)  # count only; frame not kept
            self.cond.notify_all()


@pytest.mark.parametrize("rate,channels", [(16000, 1), (48000, 2), (44100, 1), (8000, 2),
                                           (24000, 2), (32000, 1)])
def test_audio_frame_fields(service, rate, channels):
    a, _ = join(service, "fields", "a")
    b, rb = join(service, "fields", "b", rate=rate, channels=channels)
    assert a.push_audio_pcm_data(tone(0.1), 16000, 1) == 0
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 10)
    spc = rate // 100
    for f in rb.frames["a"][:10]:
        assert isinstance(f, ar.AudioFrame)
        assert f.samples_per_channel == spc
        assert f.channels == channels
        assert f.samples_per_sec == rate
        assert f.bytes_per_sample == 2
        assert len(f) == spc * channels * 2
        assert len(f.buffer) == len(f)
        assert f.buffer.readonly
        arr = f.data
        assert arr.dtype == np.int16
        assert arr.size == spc * channels
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0] = 1
        with pytest.raises(TypeError):
            f.buffer[0] = 1
        assert 0 <= f.rms <= 127
        assert 0 <= f.voice_prob <= 100


@pytest.mark.parametrize("channels", [1, 2])
def test_playback_format_22050_delivers_or_is_rejected(service, channels):
    a, _ = join(service, "p22050", "a")
    b, rb = join(service, "p22050", "b", record=False)
    lu = b.get_local_user()
    try:
        rc = lu.set_playback_audio_frame_before_mixing_parameters(channels, 22050)
    except ValueError:
        return                                   # rejecting the rate is acceptable
    if rc < 0:
        return
    b.register_audio_frame_observer(rb)
    assert a.push_audio_pcm_data(tone(0.2), 16000, 1) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completion")
    barrier(a, rb)
    frames = rb.frames.get("a", [])
    assert frames, "22050 Hz was accepted but no frame was delivered"
    assert all(f.samples_per_sec == 22050 and f.channels == channels for f in frames)
    # about 200 ms of audio (220 or 221 samples per 10 ms)
    assert sum(f.samples_per_channel for f in frames) >= 0.19 * 22050


def test_frame_data_valid_after_callback_returns(service):
    a, _ = join(service, "keep", "a")
    rec = _KeepData()
    b, rb = join(service, "keep", "b", recorder=rec)
    x = _noise(3200, seed=11)           # 20 frames
    assert a.push_audio_pcm_data(x, 16000, 1) == 0
    rec.wait_for(lambda: len(rec.arrays) >= 20)
    for c in rec.callback_checks:
        assert (c["spc"], c["ch"], c["rate"], c["bps"], c["nbytes"]) == (160, 1, 16000, 2, 320)
        assert c["dtype"] == np.int16 and c["arr_size"] == 160
        assert c["writeable"] is False and c["readonly_buffer"] is True
        assert c["channel_id"] == "keep"
        assert c["uid"] == "a"
        assert c["state"] == -1 and c["vad_bytes"] is None      # VAD off
    # churn: more frames through the engine and the allocator
    y = _noise(3200, seed=12)
    assert a.push_audio_pcm_data(y, 16000, 1) == 0
    rec.wait_for(lambda: len(rec.arrays) >= 40)
    gc.collect()
    first = np.concatenate(rec.arrays[:20])
    np.testing.assert_array_equal(first, x)
    np.testing.assert_array_equal(np.frombuffer(b"".join(bytes(v) for v in rec.views[:20]), np.int16), x)
    np.testing.assert_array_equal(np.concatenate(rec.arrays[20:40]), y)


# ---------------------------------------------------------------------------
# completion

def test_is_push_to_rtc_completed(service):
    a, _ = join(service, "done", "a")
    b, rb = join(service, "done", "b")
    assert a.is_push_to_rtc_completed() is True          # nothing pushed yet
    total = 8000                                          # 0.5 s
    assert a.push_audio_pcm_data(tone(0.5), 16000, 1) == 0
    assert a.is_push_to_rtc_completed() is False          # 400 ms of it cannot have left yet
    deadline = time.monotonic() + 10
    while True:
        received = sum(len(f) for f in rb.frames.get("a", [])) // 2
        completed = a.is_push_to_rtc_completed()
        # a frame that arrived was sent before; once everything arrived the
        # push must be complete
        if received >= total:
            assert completed
            break
        assert time.monotonic() < deadline, "audio did not arrive"
        time.sleep(0.002)
    assert received == total
    stats = a.get_send_stats()
    assert stats["queued_samples"] == 0
    assert stats["pushed_samples"] == total
    assert stats["sent_frames"] == 50
    assert stats["drained_events"] >= 1


def test_completed_false_again_on_new_push(service):
    a, _ = join(service, "done2", "a")
    b, rb = join(service, "done2", "b")
    a.push_audio_pcm_data(tone(0.05), 16000, 1)
    wait_until(a.is_push_to_rtc_completed, what="first completion")
    a.push_audio_pcm_data(tone(0.5), 16000, 1)
    assert a.is_push_to_rtc_completed() is False
    wait_until(a.is_push_to_rtc_completed, what="second completion")
    rb.wait_samples("a", (800 + 8000) * 2)


# ---------------------------------------------------------------------------
# interruption

def test_interrupt_audio_drops_queued_audio(service):
    a, _ = join(service, "intr", "a")
    b, rb = join(service, "intr", "b")
    x = _noise(5 * 16000, seed=5)                          # 5 s
    assert a.push_audio_pcm_data(x, 16000, 1, start_pts=1000) == 0
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 15)
    assert a.interrupt_audio() == 0
    report = a.last_interrupt
    assert isinstance(report, ar.InterruptReport)
    assert report.sent_ms > 0 and report.dropped_ms > 0
    assert report.sent_ms % 10 == 0
    assert report.sent_ms + report.dropped_ms == 5000
    assert report.sent_ms < 2500
    assert report.last_presentation_ms == 1000 + report.sent_ms - 10
    assert a.is_push_to_rtc_completed() is True            # nothing left queued
    stats = a.get_send_stats()
    assert stats["queued_samples"] == 0
    assert stats["sent_frames"] * 10 == report.sent_ms
    assert stats["dropped_samples"] == report.dropped_ms * 16

    # a marker round after the interrupt: once it arrived, everything the old
    # round sent has arrived too (same transport, in order) and nothing else
    marker = np.full(800, 1234, np.int16)
    assert a.push_audio_pcm_data(marker, 16000, 1, start_pts=10 ** 6) == 0
    rb.wait_for(lambda: any(f.presentation_ms >= 10 ** 6 for f in rb.frames.get("a", [])))
    wait_until(a.is_push_to_rtc_completed, what="marker sent")
    rb.wait_for(lambda: sum(f.presentation_ms >= 10 ** 6 for f in rb.frames.get("a", [])) >= 5)
    old = [f for f in rb.frames["a"] if f.presentation_ms < 10 ** 6]
    new = [f for f in rb.frames["a"] if f.presentation_ms >= 10 ** 6]
    assert len(old) * 10 == report.sent_ms                 # exactly what was reported as sent
    assert [f.presentation_ms for f in old] == [1000 + 10 * k for k in range(len(old))]
    got_old = np.frombuffer(b"".join(bytes(f.buffer) for f in old), np.int16)
    np.testing.assert_array_equal(got_old, x[:got_old.size])
    assert [f.presentation_ms for f in new] == [10 ** 6 + 10 * k for k in range(5)]
    assert all((f.data == 1234).all() for f in new)
    # the old audio stays gone
    barrier(a, rb)
    assert sum(f.presentation_ms < 10 ** 6 for f in rb.frames["a"]) == len(old)


def test_interrupt_with_nothing_queued(service):
    a, _ = join(service, "intr0", "a")
    assert a.interrupt_audio() == 0
    assert a.last_interrupt.dropped_ms == 0
    assert a.is_push_to_rtc_completed()


def test_interrupt_no_unpublish_seen(service):
    """interrupt_audio never unpublishes (the far side sees no mute/unmute)."""
    a, ra = join(service, "intr-pub", "a")
    b, rb = join(service, "intr-pub", "b")
    a.push_audio_pcm_data(tone(2), 16000, 1)
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 12)
    assert a.interrupt_audio() == 0
    a.push_audio_pcm_data(tone(0.05), 16000, 1)
    wait_until(a.is_push_to_rtc_completed, what="completion")
    barrier(a, rb)
    assert "unpublished" not in ra.names()
    assert ra.names().count("published") == 1


def test_interrupt_from_another_thread_while_pushing(service):
    a, _ = join(service, "intr-thr", "a")
    b, rb = join(service, "intr-thr", "b")
    errors = []

    def pusher():
        try:
            for i in range(20):
                assert a.push_audio_pcm_data(tone(0.1), 16000, 1, start_pts=i * 100) == 0
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    t = threading.Thread(target=pusher, daemon=True)
    t.start()
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 5)
    t.join()
    assert a.interrupt_audio() == 0
    assert not errors
    assert a.is_push_to_rtc_completed()
    barrier(a, rb)
    n = frame_count(rb, "a")
    assert n * 10 < 2000
