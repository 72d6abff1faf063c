"""Video RTP payload formats (src/_native/video_rtp*.c) on real encoder output.

A synthetic clip is written as Y4M from Python, encoded at test time with
vpxenc (VP8, IVF) and ffmpeg/libx264 (H.264 Annex B), and every frame goes
through the C packetizer and depacketizer via the engine's internal hooks
(``_video_rtp_packetize`` / ``_VideoDepacketizer``): the frames must come
back byte for byte, with the encoder's keyframes flagged and the dimensions
parsed from the VP8 key frame header / H.264 SPS. Also: loss handling with a
real stream, and bad input to the hooks (exceptions, never a crash).
Nothing binary is committed.
"""
import os
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest

from agora_rtc._core import _engine

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import video_source  # noqa: E402  (the y4m writer, IVF reader and NAL splitter of the examples)

VP8, H264 = 1, 2


def _access_units(stream):
    """Group NAL units into access units: a non-VCL unit after a slice, or a
    slice with first_mb_in_slice == 0 after a slice, starts a new one.
    Returns (annex_b_bytes_with_mixed_start_codes, normalized_4_byte, has_idr)."""
    aus, cur, seen_vcl = [], [], False
    for nal in video_source.nal_units(stream):
        t = nal[0] & 0x1F
        vcl = t in (1, 5)
        first_mb_zero = vcl and len(nal) > 1 and (nal[1] & 0x80)
        if cur and seen_vcl and (not vcl or first_mb_zero):
            aus.append(cur)
            cur, seen_vcl = [], False
        cur.append(nal)
        seen_vcl = seen_vcl or vcl
    if cur:
        aus.append(cur)
    out = []
    for k, au in enumerate(aus):
        # alternate 3- and 4-byte start codes in the input, as encoders do
        raw = b"".join((b"\x00\x00\x01" if (k + m) % 2 else b"\x00\x00\x00\x01") + nal
                       for m, nal in enumerate(au))
        norm = b"".join(b"\x00\x00\x00\x01" + nal for nal in au)
        out.append((raw, norm, any((nal[0] & 0x1F) == 5 for nal in au)))
    return out


def _round_trip(codec, frames, max_payload):
    """Packetize each frame (consecutive seq, one timestamp per frame) and
    feed every packet to one depacketizer; returns the push results."""
    d = _engine._VideoDepacketizer(codec)
    results, seq = [], 60000  # wraps on long clips
    for i, frame in enumerate(frames):
        packets = _engine._video_rtp_packetize(codec, frame, max_payload, picture_id=i)
        assert all(len(p) <= max_payload for p, _ in packets)
        assert [m for _, m in packets] == [False] * (len(packets) - 1) + [True]
        for payload, marker in packets:
            r = d.push(seq & 0xFFFF, 3000 * i, marker, payload)
            seq += 1
            if r is not None:
                results.append(r)
    return results, d


needs_vpxenc = pytest.mark.skipif(shutil.which("vpxenc") is None,
                                  reason="vpxenc not installed (Debian: vpx-tools)")
needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None,
                                  reason="ffmpeg not installed (Debian: ffmpeg)")


@pytest.fixture(scope="module")
def vp8_clip(tmp_path_factory):
    if shutil.which("vpxenc") is None:
        pytest.skip("vpxenc not installed (Debian: vpx-tools)")
    d = tmp_path_factory.mktemp("vp8")
    video_source.write_y4m(d / "in.y4m", 320, 240, 24)
    subprocess.run(["vpxenc", "--codec=vp8", "--ivf", "--kf-max-dist=10", "--target-bitrate=800",
                    "--good", "--cpu-used=8", "--quiet", "-o", str(d / "out.ivf"), str(d / "in.y4m")],
                   check=True, capture_output=True)
    return video_source.read_ivf(d / "out.ivf")


def _x264(tmp_path_factory, name, width, height, extra):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg not installed (Debian: ffmpeg)")
    d = tmp_path_factory.mktemp(name)
    video_source.write_y4m(d / "in.y4m", width, height, 24)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(d / "in.y4m"), "-c:v", "libx264",
                    "-preset", "veryfast", "-g", "10", "-bf", "0", *extra, "-f", "h264",
                    str(d / "out.264")], check=True, capture_output=True)
    return _access_units(open(d / "out.264", "rb").read())


@pytest.fixture(scope="module")
def h264_clip(tmp_path_factory):
    # 400x226: the height is not a multiple of 16, so the SPS carries cropping
    return _x264(tmp_path_factory, "h264", 400, 226, [])


@pytest.fixture(scope="module")
def h264_sliced_clip(tmp_path_factory):
    # 4 slices per frame and a high bitrate: several NAL units per access unit,
    # some larger than 1200 bytes (FU-A), some small (STAP-A with SPS/PPS)
    return _x264(tmp_path_factory, "h264s", 640, 360,
                 ["-x264-params", "slices=4", "-b:v", "4M", "-profile:v", "baseline"])


@pytest.mark.parametrize("max_payload", [1200, 300, 5])
def test_vp8_real_stream_round_trip(vp8_clip, max_payload):
    frames = vp8_clip
    assert len(frames) == 24
    keys = [(f[0] & 1) == 0 for f in frames]
    assert keys[0] and keys[10] and keys[20] and sum(keys) >= 3 and not all(keys)
    results, d = _round_trip(VP8, frames, max_payload)
    assert [r[0] for r in results] == ["frame"] * len(frames)
    for i, (r, frame) in enumerate(zip(results, frames)):
        _, data, ts, key, w, h = r
        assert data == frame, f"frame {i} differs"
        assert ts == 3000 * i and key == keys[i]
        assert (w, h) == ((320, 240) if key else (0, 0))
    assert not d.waiting_keyframe
    assert d.stats()["frames_lost"] == 0


@pytest.mark.parametrize("max_payload", [1200, 100, 5])
def test_h264_real_stream_round_trip(h264_clip, max_payload):
    aus = h264_clip
    assert len(aus) == 24
    assert aus[0][2] and aus[10][2] and not all(a[2] for a in aus)
    results, d = _round_trip(H264, [raw for raw, _, _ in aus], max_payload)
    assert [r[0] for r in results] == ["frame"] * len(aus)
    for i, (r, (_, norm, idr)) in enumerate(zip(results, aus)):
        _, data, ts, key, w, h = r
        assert data == norm, f"access unit {i} differs"
        assert ts == 3000 * i and key == idr
        assert (w, h) == ((400, 226) if idr else (0, 0))
    assert d.stats()["frames_lost"] == 0


def test_h264_sliced_stream_uses_stap_a_and_fu_a(h264_sliced_clip):
    aus = h264_sliced_clip
    assert sum(1 for a in aus if a[2]) >= 3
    types = set()
    for raw, _, _ in aus:
        for payload, _ in _engine._video_rtp_packetize(H264, raw, 1200):
            types.add(payload[0] & 0x1F)
    assert 24 in types and 28 in types  # STAP-A (SPS+PPS) and FU-A (big slices)
    results, _ = _round_trip(H264, [raw for raw, _, _ in aus], 1200)
    assert [r[1] for r in results] == [norm for _, norm, _ in aus]
    assert [r[3] for r in results] == [idr for _, _, idr in aus]
    assert all((r[4], r[5]) == ((640, 360) if r[3] else (0, 0)) for r in results)


@needs_vpxenc
def test_loss_waits_for_the_next_keyframe(vp8_clip):
    """Drop one packet of frame 3: frame 3 is lost, 4..9 are skipped (their
    references are gone), 10 (a keyframe) is delivered and decoding resumes."""
    frames = vp8_clip
    d = _engine._VideoDepacketizer(VP8)
    seq, events = 0, []
    for i, frame in enumerate(frames):
        packets = _engine._video_rtp_packetize(VP8, frame, 200, picture_id=i)
        for k, (payload, marker) in enumerate(packets):
            seq += 1
            if i == 3 and k == len(packets) // 2:
                continue  # lost on the network
            r = d.push(seq & 0xFFFF, 90 * i, marker, payload)
            if r is not None:
                events.append((i, r[0]))
        if i == 5:
            assert d.waiting_keyframe
    assert events[:4] == [(0, "frame"), (1, "frame"), (2, "frame"), (3, "lost")]
    assert events[4:10] == [(i, "skipped") for i in range(4, 10)]
    assert events[10:] == [(i, "frame") for i in range(10, 24)]
    assert not d.waiting_keyframe
    assert d.stats() == {"frames_ready": 17, "frames_lost": 1, "frames_skipped": 6,
                         "packets_ignored": 0}


def test_depacketize_list_hook_and_reset():
    frame = b"\x10" + bytes(range(1, 200))  # VP8 key (P=0), no key header: 0x0
    packets = _engine._video_rtp_packetize(VP8, frame, 50, picture_id=7)
    assert packets[0][0][:4] == b"\x90\x80\x80\x07"
    items = [(i, 1234, m, p) for i, (p, m) in enumerate(packets)]
    assert _engine._video_rtp_depacketize(VP8, items) == [("frame", frame, 1234, True, 0, 0)]
    # the same packets twice: the second copy is late/duplicate, ignored
    assert _engine._video_rtp_depacketize(VP8, items + items) == [("frame", frame, 1234, True, 0, 0)]
    d = _engine._VideoDepacketizer(VP8)
    delta = b"\x01\x02\x03"
    assert d.push(1, 1, True, b"\x90\x80\x80\x01" + delta) == ("skipped",)
    assert d.push(2, 2, True, b"\x90\x80\x80\x02" + frame) == ("frame", frame, 2, True, 0, 0)
    assert d.push(3, 3, True, b"\x90\x80\x80\x03" + delta) == ("frame", delta, 3, False, 0, 0)
    d.reset()
    assert d.waiting_keyframe
    assert d.push(4, 4, True, b"\x90\x80\x80\x04" + delta) == ("skipped",)


@pytest.mark.parametrize("codec", [0, 3, -1, 13])
def test_bad_codec(codec):
    with pytest.raises(ValueError, match="codec must be 1 .VP8. or 2 .H264."):
        _engine._video_rtp_packetize(codec, b"\x00\x00\x01\x65", 1200)
    with pytest.raises(ValueError, match="codec"):
        _engine._VideoDepacketizer(codec)


def test_bad_arguments_raise():
    with pytest.raises(TypeError, match="codec must be an int"):
        _engine._video_rtp_packetize("1", b"x", 1200)
    with pytest.raises(TypeError, match="codec must be an int"):
        _engine._video_rtp_packetize(True, b"x", 1200)
    for frame in ("text", None, 5, [1, 2], object()):
        with pytest.raises(TypeError, match="frame must be a"):
            _engine._video_rtp_packetize(VP8, frame, 1200)
    with pytest.raises(TypeError, match="C-contiguous"):
        _engine._video_rtp_packetize(VP8, memoryview(bytes(10))[::2], 1200)
    for mp in (4, 0, -1, 65496, 10**20):
        with pytest.raises(ValueError, match="max_payload must be 5..65495"):
            _engine._video_rtp_packetize(VP8, b"x", mp)
    with pytest.raises(TypeError, match="max_payload must be an int"):
        _engine._video_rtp_packetize(VP8, b"x", 1200.0)
    with pytest.raises(TypeError, match="picture_id"):
        _engine._video_rtp_packetize(VP8, b"x", 1200, picture_id=-1)
    with pytest.raises(ValueError, match="must not be empty"):
        _engine._video_rtp_packetize(H264, b"", 1200)
    for bad in (b"\x65\x01\x02", b"\x00\x00\x01", b"\x00\x00\x01\x78\x01", b"\x00\x01\x65",
                b"\x00\x00\x01\x00\x00\x01\x65", b"\x00\x00\x01\x65\x01"):
        with pytest.raises(ValueError, match="Annex B"):
            _engine._video_rtp_packetize(H264, bad, 1200)
    # numpy arrays and bytearrays are bytes-like
    arr = np.frombuffer(b"\x00\x00\x01\x65\x88", np.uint8)
    assert _engine._video_rtp_packetize(H264, arr, 1200) == [(b"\x65\x88", True)]
    assert _engine._video_rtp_packetize(H264, bytearray(b"\x00\x00\x01\x65\x88"), 5) == \
        [(b"\x65\x88", True)]
    d = _engine._VideoDepacketizer(H264)
    for seq in (-1, 65536):
        with pytest.raises(ValueError, match="seq must be an int 0..65535"):
            d.push(seq, 0, True, b"\x65")
    for seq in ("1", None, 1.0, True):
        with pytest.raises(TypeError, match="seq must be an int 0..65535"):
            d.push(seq, 0, True, b"\x65")
    for ts in (2**32, -1):
        with pytest.raises(ValueError, match="rtp_ts must be"):
            d.push(1, ts, True, b"\x65")
    with pytest.raises(TypeError, match="rtp_ts must be"):
        d.push(1, "0", True, b"\x65")
    for payload in ("x", None, 3):
        with pytest.raises(TypeError, match="payload must be"):
            d.push(1, 0, True, payload)
    for size in (0, -5, (16 << 20) + 1):
        with pytest.raises(ValueError, match="max_frame_bytes"):
            _engine._VideoDepacketizer(VP8, size)
    with pytest.raises(TypeError, match="each packet must be"):
        _engine._video_rtp_depacketize(VP8, [(1, 2, True)])
    with pytest.raises(TypeError, match="each packet must be"):
        _engine._video_rtp_depacketize(VP8, [b"\x90\x80\x80\x01"])


def test_malformed_packets_are_losses_not_crashes():
    d = _engine._VideoDepacketizer(H264)
    bad = [b"\x00", b"\x78\x00\x09\x65", b"\x7c\xc5\x01", b"\x7c\x05\x01", b"\x1d\x85\x01",
           b"\x78\x00"]
    assert [d.push(i, i, True, p) for i, p in enumerate(bad)] == [("lost",)] * len(bad)
    assert d.waiting_keyframe
    # an empty payload is a padding-only packet: it takes its sequence number only
    assert d.push(len(bad), 99, True, b"") is None
    assert d.push(len(bad) + 1, 100, True, b"\x65\x88") == ("frame", b"\x00\x00\x00\x01\x65\x88", 100,
                                                          True, 0, 0)
    # random payload sequences through both codecs: only the documented results
    rng = random.Random(5)
    for codec in (VP8, H264):
        d = _engine._VideoDepacketizer(codec, 3000)
        seq = 0
        for _ in range(20000):
            seq = (seq + rng.choice((1, 1, 1, 2))) & 0xFFFF
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 30)))
            r = d.push(seq, rng.randrange(3), rng.random() < 0.3, payload)
            assert r is None or r[0] in ("frame", "lost", "skipped")
            if r is not None and r[0] == "frame":
                assert len(r[1]) <= 3000
        s = d.stats()
        assert s["frames_lost"] > 100 and s["frames_ready"] + s["frames_skipped"] > 0


def test_benchmark_loop_hooks():
    frame = (b"\x00\x00\x00\x01\x67" + bytes(range(1, 20)) + b"\x00\x00\x01\x65\x88"
             + bytes(range(1, 250)) * 20)
    packets = _engine._video_rtp_packetize(H264, frame, 1200)
    assert _engine._video_rtp_packetize_loop(H264, frame, 1200, 3) == (
        len(packets), sum(len(p) for p, _ in packets))
    # the keyframe repeated: every repetition completes (new timestamp each time)
    assert _engine._video_rtp_depacketize_loop(H264, packets, 4) == 4
    delta = _engine._video_rtp_packetize(VP8, b"\x01" + bytes(3000), 1200)
    assert _engine._video_rtp_depacketize_loop(VP8, delta, 3) == 0  # never a keyframe: skipped
    key = _engine._video_rtp_packetize(VP8, b"\x00" + bytes(3000), 1200)
    assert _engine._video_rtp_depacketize_loop(VP8, delta, 3, key) == 3  # after one keyframe
    with pytest.raises(TypeError, match="each keyframe payload"):
        _engine._video_rtp_depacketize_loop(VP8, delta, 3, [b"x"])
    for bad in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="repeat"):
            _engine._video_rtp_packetize_loop(VP8, b"x", 1200, bad)
        with pytest.raises(ValueError, match="repeat"):
            _engine._video_rtp_depacketize_loop(VP8, delta, bad)
    with pytest.raises(ValueError, match="Annex B"):
        _engine._video_rtp_packetize_loop(H264, b"\x65", 1200, 1)
    with pytest.raises(ValueError, match="max_payload"):
        _engine._video_rtp_packetize_loop(VP8, b"x", 3, 1)
    with pytest.raises(ValueError, match="must not be empty"):
        _engine._video_rtp_depacketize_loop(VP8, [], 1)
    for bad in ([b"\x90"], [(b"", True)], [("x", True)], [(b"\x90\x80", True, 1)]):
        with pytest.raises(TypeError, match="each payload"):
            _engine._video_rtp_depacketize_loop(VP8, bad, 1)
    with pytest.raises(ValueError, match="codec"):
        _engine._video_rtp_depacketize_loop(7, delta, 1)
