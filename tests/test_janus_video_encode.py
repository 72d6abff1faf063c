"""Raw video on the janus transport: frames pushed with push_video_frame are
encoded by the SDK (VP8 through libvpx, H.264 through libx264, both in
libavcodec) and reach another agent through a real Janus 1.1.2 as encoded
frames; what arrives is decoded by the ffmpeg command line (software we did
not write) and compared with what was pushed (the test input itself is
ffmpeg's testsrc2 pattern). A receiver subscribed to raw video gets the
pictures decoded by the SDK, the same as ffmpeg's. set_video_encoder_configuration's
size and bitrate are honoured, intra requests give keyframes, bad
configurations are refused. Tests wait on conditions, never on time."""
import shutil
import struct
import subprocess
import time

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_NOT_SUPPORTED, NotSupportedError
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from conftest import wait_until
from test_janus_video import janus_url, received, video_forwarded, video_member
from test_video import VideoRecorder

KEY = 3
CODEC = {"vp8": 1, "h264": 2}
FPS = 15

needs_ffmpeg = pytest.mark.skipif(not shutil.which("ffmpeg"), reason="ffmpeg (Debian ffmpeg) is not installed")


@pytest.fixture(scope="module")
def janus():
    if not janus_available():
        pytest.skip(JANUS_MISSING_REASON)
    with JanusServer() as srv:
        yield srv


def pattern_i420(width, height, frames):
    """`frames` I420 frames of ffmpeg's testsrc2 (moving pattern, colours, text)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                          f"testsrc2=size={width}x{height}:rate={FPS}", "-frames:v", str(frames),
                          "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"],
                         check=True, capture_output=True, timeout=60).stdout
    size = width * height * 3 // 2
    assert len(raw) == size * frames
    return [raw[i * size:(i + 1) * size] for i in range(frames)]


def scale_i420(frames, width, height, out_w, out_h):
    """The same frames scaled by ffmpeg (the reference for a configured size)."""
    raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
                          "-s", f"{width}x{height}", "-i", "-", "-vf", f"scale={out_w}:{out_h}",
                          "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                         input=b"".join(frames), check=True, capture_output=True, timeout=60).stdout
    size = out_w * out_h * 3 // 2
    return [raw[i * size:(i + 1) * size] for i in range(len(raw) // size)]


def i420_to_rgba(frame, width, height):
    """RGBA of an I420 frame by ffmpeg, for pushing another pixel format."""
    return subprocess.run(["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "yuv420p",
                           "-s", f"{width}x{height}", "-i", "-", "-f", "rawvideo", "-pix_fmt", "rgba", "-"],
                          input=frame, check=True, capture_output=True, timeout=60).stdout


def decode_with_ffmpeg(codec, encoded, width, height):
    """Decode the received frames with ffmpeg: VP8 in an IVF file, H.264 as an
    Annex B stream; returns the I420 frames ffmpeg made of them."""
    if codec == "vp8":
        data = struct.pack("<4sHH4sHHIIII", b"DKIF", 0, 32, b"VP80", width, height, FPS, 1, len(encoded), 0)
        for i, frame in enumerate(encoded):
            data += struct.pack("<IQ", len(frame), i) + frame
        fmt = "ivf"
    else:
        data, fmt = b"".join(encoded), "h264"
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", fmt, "-i", "-", "-f", "rawvideo",
                          "-pix_fmt", "yuv420p", "-"], input=data, check=True, capture_output=True,
                         timeout=60).stdout
    size = width * height * 3 // 2
    assert len(out) % size == 0
    return [out[i * size:(i + 1) * size] for i in range(len(out) // size)]


def psnr(a, b):
    x = np.frombuffer(a, np.uint8).astype(np.float64)
    y = np.frombuffer(b, np.uint8).astype(np.float64)
    mse = np.mean((x - y) ** 2)
    return 99.0 if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def i420_frame(buf, width, height, ts):
    return ar.ExternalVideoFrame(type=1, format=ar.VideoPixelFormat.VIDEO_PIXEL_I420, buffer=buf,
                                 stride=width, height=height, timestamp=ts)


def pushing_pair(svc, channel):
    """alice publishes video, bob receives it encoded (Janus forwards it)."""
    a, ra = video_member(svc, channel, "alice")
    b, rb = video_member(svc, channel, "bob")
    rb.wait_event("joined", "alice", timeout=20)
    assert b.get_local_user().subscribe_video("alice", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
    wait_until(lambda: video_forwarded(b), timeout=20)
    return a, ra, b, rb


def push_paced(conn, frames, make):
    for i, buf in enumerate(frames):
        assert conn.push_video_frame(make(buf, i)) == 0
        time.sleep(1 / FPS)


@needs_ffmpeg
@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_pushed_raw_frames_arrive_encoded_through_janus(janus, codec):
    """I420 frames in, the connection's codec out: bob gets one encoded frame
    per pushed frame, a keyframe first, at the pushed size; ffmpeg decodes
    them into pictures close to what alice pushed."""
    w, h, n = 320, 240, 20
    src = pattern_i420(w, h, n)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, codec))) as svc:
        a, _, b, rb = pushing_pair(svc, f"enc-{codec}")
        push_paced(a, src, lambda buf, i: i420_frame(buf, w, h, 1000 + i * 1000 // FPS))
        rb.wait_for(lambda: len(received(rb, "alice")) == n, timeout=30)
        got = received(rb, "alice")
        assert all(info.codec_type == CODEC[codec] and (info.width, info.height) == (w, h) for _, info in got)
        assert got[0][1].frame_type == KEY
        assert a.get_video_stats()["pushed_frames"] == a.get_video_stats()["encoded_frames"] == n
        assert a._rtp_stats()["video_frames_sent"] == n and a._rtp_stats()["video_refused"] == 0
    decoded = decode_with_ffmpeg(codec, [d for d, _ in got], w, h)
    assert len(decoded) == n
    scores = [psnr(x, y) for x, y in zip(decoded, src)]
    assert min(scores) > 28, scores
    # a different frame is far from it: the comparison tells pictures apart
    assert psnr(decoded[0], src[n // 2]) < min(scores) - 6


@needs_ffmpeg
def test_encoder_configuration_scales_and_sets_the_bitrate(janus):
    """dimensions 160x120 for 320x240 RGBA frames: bob gets 160x120 VP8 that
    ffmpeg decodes into ffmpeg's own downscale of the input; a lower bitrate
    makes smaller frames; orientation_mode decides how portrait frames fit."""
    w, h, n = 320, 240, 16
    src = pattern_i420(w, h, n)
    rgba = [i420_to_rgba(f, w, h) for f in src]
    sizes = {}
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, "vp8"))) as svc:
        a, _, b, rb = pushing_pair(svc, "enc-config")
        for kbps in (600, 60):
            cfg = ar.VideoEncoderConfiguration(dimensions=ar.VideoDimensions(160, 120), frame_rate=FPS,
                                               bitrate=kbps, codec_type=ar.VideoCodecType.VIDEO_CODEC_VP8)
            assert a.set_video_encoder_configuration(cfg) == 0
            start = len(received(rb, "alice"))
            push_paced(a, rgba, lambda buf, i: ar.ExternalVideoFrame(
                type=1, format=ar.VideoPixelFormat.VIDEO_PIXEL_RGBA, buffer=buf, stride=w, height=h))
            rb.wait_for(lambda: len(received(rb, "alice")) == start + n, timeout=30)
            got = received(rb, "alice")[start:]
            assert all((info.width, info.height) == (160, 120) for _, info in got)
            assert got[0][1].frame_type == KEY      # a new configuration starts a new stream
            sizes[kbps] = sum(len(d) for d, _ in got[1:])
            if kbps == 600:
                decoded = decode_with_ffmpeg("vp8", [d for d, _ in got], 160, 120)
        # orientation: portrait frames fit the portrait box when adaptive (0), the landscape one when fixed (1)
        portrait = pattern_i420(120, 160, 3)
        for mode, size in ((0, (120, 160)), (1, (90, 120))):
            cfg = ar.VideoEncoderConfiguration(dimensions=ar.VideoDimensions(160, 120), orientation_mode=mode)
            assert a.set_video_encoder_configuration(cfg) == 0
            start = len(received(rb, "alice"))
            push_paced(a, portrait, lambda buf, i: i420_frame(buf, 120, 160, 0))
            rb.wait_for(lambda: len(received(rb, "alice")) == start + 3, timeout=30)
            assert {(info.width, info.height) for _, info in received(rb, "alice")[start:]} == {size}
    reference = scale_i420(src, w, h, 160, 120)
    assert len(decoded) == n
    scores = [psnr(x, y) for x, y in zip(decoded, reference)]
    assert min(scores) > 24, scores
    assert sizes[60] < sizes[600] / 2, sizes


@needs_ffmpeg
def test_intra_request_makes_the_next_encoded_frame_a_keyframe(janus):
    """bob's send_intra_request -> PLI through Janus -> alice's encoder makes
    a keyframe of the next pushed frame (before the periodic one, 3 s on)."""
    w, h = 160, 120
    src = pattern_i420(w, h, 30)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, "vp8"))) as svc:
        a, ra, b, rb = pushing_pair(svc, "enc-pli")
        push_paced(a, src[:5], lambda buf, i: i420_frame(buf, w, h, 0))
        rb.wait_for(lambda: len(received(rb, "alice")) == 5, timeout=30)
        assert [info.frame_type for _, info in received(rb, "alice")].count(KEY) == 1
        assert b.get_local_user().send_intra_request("alice") == 0
        ra.wait_event("intra", timeout=20)
        push_paced(a, src[5:10], lambda buf, i: i420_frame(buf, w, h, 0))
        rb.wait_for(lambda: len(received(rb, "alice")) == 10, timeout=30)
        types = [info.frame_type for _, info in received(rb, "alice")]
        assert types[5] == KEY and types.count(KEY) == 2, types


def pictures(rec, uid):
    """I420 bytes (tightly packed) and size of every picture rec's frame observer got."""
    with rec.cond:
        frames = [f for _, u, f in rec.video if u == uid]
    return [(bytes(f.y_buffer) + bytes(f.u_buffer) + bytes(f.v_buffer), f.width, f.height) for f in frames]


@needs_ffmpeg
@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_raw_subscriber_gets_decoded_pictures_through_janus(janus, codec):
    """carol subscribes to alice's video as raw frames: the SDK decodes what Janus
    forwards; her frame observer gets I420 pictures, the same as ffmpeg
    decodes of the same frames (bob, encoded-only, records them)."""
    w, h, n = 320, 240, 12
    src = pattern_i420(w, h, n)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, codec))) as svc:
        a, _, c, rc = pushing_pair(svc, f"dec-{codec}")          # bob: encoded-only
        b, rb = video_member(svc, f"dec-{codec}", "carol")
        b.register_video_frame_observer(rb)
        rb.wait_event("joined", "alice", timeout=20)
        assert b.get_local_user().subscribe_video("alice", ar.VideoSubscriptionOptions()) == 0
        wait_until(lambda: video_forwarded(b), timeout=20)
        push_paced(a, src, lambda buf, i: i420_frame(buf, w, h, 0))
        rb.wait_for(lambda: len(pictures(rb, "alice")) == n, timeout=30)
        rc.wait_for(lambda: len(received(rc, "alice")) == n, timeout=30)
        got = pictures(rb, "alice")
        stats = b.get_video_stats()
        assert stats["decoded_frames"] == stats["received_frames"] == n and stats["encoded_not_decoded"] == 0
    assert all((pw, ph) == (w, h) for _, pw, ph in got)
    reference = decode_with_ffmpeg(codec, [d for d, _ in received(rc, "alice")], w, h)
    assert [p for p, _, _ in got] == reference
    assert min(psnr(p, s) for (p, _, _), s in zip(got, src)) > 28


def test_encoder_configuration_bad_input_and_simulcast():
    """Checked on any transport (the in-process network keeps the configuration:
    raw frames travel unencoded there)."""
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t")) as svc:
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        ok = ar.VideoEncoderConfiguration(dimensions=ar.VideoDimensions(640, 360), frame_rate=30, bitrate=800)
        assert conn.set_video_encoder_configuration(ok) == 0
        assert conn.set_video_encoder_configuration(ar.VideoEncoderConfiguration(bitrate=-1)) == 0
        with pytest.raises(TypeError, match="VideoEncoderConfiguration"):
            conn.set_video_encoder_configuration({"width": 640})
        with pytest.raises(ValueError, match="frame_rate"):
            conn.set_video_encoder_configuration(ar.VideoEncoderConfiguration(frame_rate=500))
        with pytest.raises(ValueError, match="both width and height"):
            conn.set_video_encoder_configuration(ar.VideoEncoderConfiguration(dimensions=ar.VideoDimensions(640, 0)))
        with pytest.raises(ValueError, match="dimensions.width"):
            conn.set_video_encoder_configuration(ar.VideoEncoderConfiguration(dimensions=ar.VideoDimensions(9000, 10)))
        with pytest.raises(TypeError, match="codec_type"):
            conn.set_video_encoder_configuration(ar.VideoEncoderConfiguration(codec_type="vp8"))
        with pytest.raises(NotSupportedError, match="encode_alpha"):
            conn.set_video_encoder_configuration(ar.VideoEncoderConfiguration(encode_alpha=1))
        low = ar.SimulcastStreamConfig(dimensions=ar.VideoDimensions(320, 180), bitrate=200, framerate=10)
        assert conn.set_simulcast_stream(True, low) == ERR_NOT_SUPPORTED
        assert conn.set_simulcast_stream(False, low) == 0
        with pytest.raises(TypeError, match="SimulcastStreamConfig"):
            conn.set_simulcast_stream(True, None)
        with pytest.raises(ValueError, match="enabled"):
            conn.set_simulcast_stream(2, low)
        conn.release()


@pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)
def test_raw_push_without_a_video_stream_is_not_supported(janus):
    """&video=none: there is no stream to encode to."""
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, "none"))) as svc:
        a, _ = video_member(svc, "enc-none", "alice")
        frame = i420_frame(bytes(16 * 16 * 3 // 2), 16, 16, 0)
        assert a.push_video_frame(frame) == ERR_NOT_SUPPORTED
        assert a.get_video_stats()["encoded_frames"] == 0
