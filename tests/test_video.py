"""Video over the in-process (local) network through the public API: every
pushed pixel format arrives as I420 with the expected values (against a numpy
BT.601 reference), encoded frames pass byte-exact with their info, video
subscriptions (raw / encoded-only), observers, intra requests, bad input and
release with frames in flight. Tests wait on conditions, never on time."""
import threading

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_INVALID_ARGUMENT, ERR_NOT_READY, NotSupportedError
from conftest import Recorder, barrier, join, wait_until

F = ar.VideoPixelFormat


class VideoRecorder(Recorder, ar.IVideoFrameObserver, ar.IVideoEncodedFrameObserver):
    def __init__(self):
        super().__init__()
        self.video = []
        self.encoded = []

    def on_frame(self, channel_id, remote_uid, frame):
        with self.cond:
            self.video.append((channel_id, remote_uid, frame))
            self.cond.notify_all()

    def on_encoded_video_frame(self, uid, image_buffer, length, info):
        with self.cond:
            self.encoded.append((uid, image_buffer, length, info))
            self.cond.notify_all()

    def on_video_track_publish_success(self, lu, track): self._add("video_published", track)
    def on_video_track_unpublished(self, lu, track): self._add("video_unpublished", track)
    def on_intra_request_received(self, lu): self._add("intra", lu)
    def on_first_remote_video_frame(self, lu, uid, width, height, elapsed):
        self._add("first_video", uid, width, height, elapsed)
    def on_user_video_track_subscribed(self, lu, uid, info, track):
        self._add("video_subscribed", uid, info, track)


def pair(service, channel="v", *, encoded_only=False, subscribe=True):
    """Sender a (publishing video) and receiver b (video observers, subscribed to a)."""
    a, a_rec = join(service, channel, "a", record=False, recorder=VideoRecorder())
    b, b_rec = join(service, channel, "b", record=False, recorder=VideoRecorder())
    b.register_video_frame_observer(b_rec)
    b.register_video_encoded_frame_observer(b_rec)
    if subscribe:
        opts = ar.VideoSubscriptionOptions(encodedFrameOnly=encoded_only)
        assert b.get_local_user().subscribe_video("a", opts) == 0
    assert a.publish_video() == 0
    a_rec.wait_event("video_published")
    return a, a_rec, b, b_rec


# ---------------------------------------------------------------------------
# numpy reference conversions (BT.601 limited range, in floating point)

def _rgb_channels(img, fmt):
    img = img.astype(np.float64)
    if fmt == F.VIDEO_PIXEL_RGBA:
        return img[..., 0], img[..., 1], img[..., 2]
    return img[..., 2], img[..., 1], img[..., 0]


def ref_i420_from_rgb(img, fmt):
    """img: (h, w, 4) uint8. Y per pixel; U, V from each 2x2 block's rounded mean."""
    r, g, b = _rgb_channels(img, fmt)
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    blocks = img.reshape(img.shape[0] // 2, 2, img.shape[1] // 2, 2, 4).astype(np.int32).sum(axis=(1, 3))
    mean = ((blocks + 2) >> 2).astype(np.uint8)
    r, g, b = _rgb_channels(mean, fmt)
    u = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    v = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    return [np.clip(np.rint(p), 0, 255).astype(np.int16) for p in (y, u, v)]


def make_frame(fmt, w, h, seed=1):
    """A random frame of format fmt as (buffer ndarray, expected (y, u, v))."""
    rng = np.random.default_rng(seed)
    if fmt in (F.VIDEO_PIXEL_RGBA, F.VIDEO_PIXEL_BGRA):
        img = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
        return img, ref_i420_from_rgb(img, fmt)
    y = rng.integers(0, 256, (h, w), dtype=np.uint8)
    u = rng.integers(0, 256, (h // 2, w // 2), dtype=np.uint8)
    v = rng.integers(0, 256, (h // 2, w // 2), dtype=np.uint8)
    if fmt == F.VIDEO_PIXEL_I420:
        buf = np.concatenate([y.ravel(), u.ravel(), v.ravel()])
    elif fmt == F.VIDEO_PIXEL_NV12:
        buf = np.concatenate([y.ravel(), np.stack([u, v], axis=-1).ravel()])
    else:  # NV21
        buf = np.concatenate([y.ravel(), np.stack([v, u], axis=-1).ravel()])
    return buf, [p.astype(np.int16) for p in (y, u, v)]


def ext(fmt, buf, w, h, **kw):
    return ar.ExternalVideoFrame(format=fmt, buffer=buf, stride=w, height=h, **kw)


def wait_video(rec, n, timeout=10.0):
    rec.wait_for(lambda: len(rec.video) >= n, timeout)


# ---------------------------------------------------------------------------
# raw frames

FORMATS = [F.VIDEO_PIXEL_I420, F.VIDEO_PIXEL_NV12, F.VIDEO_PIXEL_NV21, F.VIDEO_PIXEL_RGBA,
           F.VIDEO_PIXEL_BGRA]


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_each_format_arrives_as_i420(service, fmt):
    a, _, b, b_rec = pair(service)
    w, h = 64, 48
    buf, expected = make_frame(fmt, w, h, seed=int(fmt))
    assert a.push_video_frame(ext(fmt, buf, w, h, timestamp=12345, rotation=90,
                                  metadata=b"meta\x00\xff")) == 0
    wait_video(b_rec, 1)
    channel, uid, frame = b_rec.video[0]
    assert (channel, uid) == ("v", "a")
    assert isinstance(frame, ar.VideoFrame)
    assert (frame.type, frame.width, frame.height) == (F.VIDEO_PIXEL_I420, w, h)
    assert (frame.y_stride, frame.u_stride, frame.v_stride) == (w, w // 2, w // 2)
    assert (frame.rotation, frame.render_time_ms, frame.metadata) == (90, 12345, b"meta\x00\xff")
    got = frame.as_numpy()
    for name, plane, want in zip("yuv", got, expected):
        diff = np.abs(plane.astype(np.int16) - want)
        assert diff.max() <= 1, f"{fmt.name} plane {name}: max diff {diff.max()}"
    if fmt in (F.VIDEO_PIXEL_I420, F.VIDEO_PIXEL_NV12, F.VIDEO_PIXEL_NV21):
        for plane, want in zip(got, expected):  # no conversion: exact
            assert np.array_equal(plane, want)
    stats = b.get_video_stats()
    assert stats["received_frames"] == 1
    assert a.get_video_stats()["pushed_frames"] == 1


def test_rgb_extremes_are_bt601_limited_range(service):
    a, _, b, b_rec = pair(service)
    colours = {"black": (0, 0, 0), "white": (255, 255, 255), "red": (255, 0, 0),
               "green": (0, 255, 0), "blue": (0, 0, 255)}
    # Y, U, V of BT.601 limited range
    want = {"black": (16, 128, 128), "white": (235, 128, 128), "red": (82, 90, 240),
            "green": (145, 54, 34), "blue": (41, 240, 110)}
    for name, rgb in colours.items():
        img = np.zeros((4, 4, 4), np.uint8)
        img[..., :3] = rgb
        assert a.push_video_frame(ext(F.VIDEO_PIXEL_RGBA, img, 4, 4)) == 0
    wait_video(b_rec, len(colours))
    for (name, _), (_, _, frame) in zip(colours.items(), b_rec.video):
        y, u, v = (int(p[0, 0]) for p in frame.as_numpy())
        assert all(abs(g - e) <= 1 for g, e in zip((y, u, v), want[name])), (name, (y, u, v))


@pytest.mark.parametrize("fmt", [F.VIDEO_PIXEL_I420, F.VIDEO_PIXEL_NV12, F.VIDEO_PIXEL_RGBA],
                         ids=lambda f: f.name)
def test_crop_selects_the_visible_rectangle(service, fmt):
    a, _, b, b_rec = pair(service)
    w, h = 32, 24
    buf, expected = make_frame(fmt, w, h, seed=7)
    assert a.push_video_frame(ext(fmt, buf, w, h, crop_left=4, crop_top=2, crop_right=8,
                                  crop_bottom=6)) == 0
    wait_video(b_rec, 1)
    frame = b_rec.video[0][2]
    assert (frame.width, frame.height) == (w - 12, h - 8)
    y, u, v = frame.as_numpy()
    assert np.abs(y.astype(np.int16) - expected[0][2:h - 6, 4:w - 8]).max() <= 1
    assert np.abs(u.astype(np.int16) - expected[1][1:(h - 6) // 2, 2:(w - 8) // 2]).max() <= 1
    assert np.abs(v.astype(np.int16) - expected[2][1:(h - 6) // 2, 2:(w - 8) // 2]).max() <= 1


@pytest.mark.parametrize("kind", ["bytes", "bytearray", "memoryview", "numpy-2d"])
def test_push_accepts_any_contiguous_buffer(service, kind):
    a, _, b, b_rec = pair(service)
    buf, expected = make_frame(F.VIDEO_PIXEL_I420, 16, 8, seed=3)
    data = {"bytes": bytes(buf), "bytearray": bytearray(buf.tobytes()),
            "memoryview": memoryview(buf.tobytes()), "numpy-2d": buf.reshape(12, 16)}[kind]
    assert a.push_video_frame(ext(F.VIDEO_PIXEL_I420, data, 16, 8)) == 0
    wait_video(b_rec, 1)
    assert np.array_equal(b_rec.video[0][2].as_numpy()[0], expected[0])


def test_received_planes_are_zero_copy_and_read_only(service):
    a, _, b, b_rec = pair(service)
    buf, _ = make_frame(F.VIDEO_PIXEL_I420, 16, 8)
    assert a.push_video_frame(ext(F.VIDEO_PIXEL_I420, buf, 16, 8)) == 0
    wait_video(b_rec, 1)
    frame = b_rec.video[0][2]
    assert isinstance(frame.y_buffer, memoryview) and frame.y_buffer.readonly
    y, u, v = frame.as_numpy()
    assert np.shares_memory(y, np.frombuffer(frame.y_buffer, np.uint8))
    assert np.shares_memory(u, np.frombuffer(frame.u_buffer, np.uint8))
    # one SDK-owned block for the three planes
    assert frame.y_buffer.obj is frame.u_buffer.obj is frame.v_buffer.obj
    with pytest.raises(ValueError):
        y[0, 0] = 1


def test_many_frames_arrive_in_order(service):
    a, _, b, b_rec = pair(service)
    for i in range(40):
        img = np.full((8, 8, 4), i * 6, np.uint8)
        assert a.push_video_frame(ext(F.VIDEO_PIXEL_BGRA, img, 8, 8, timestamp=i)) == 0
    wait_video(b_rec, 40)
    assert [f.render_time_ms for _, _, f in b_rec.video] == list(range(40))


# ---------------------------------------------------------------------------
# encoded frames

def test_encoded_passthrough_is_byte_exact_with_info(service):
    a, _, b, b_rec = pair(service, encoded_only=True)
    rng = np.random.default_rng(5)
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (1, 1000, 65536)]
    infos = []
    for i, p in enumerate(payloads):
        info = ar.EncodedVideoFrameInfo(
            codec_type=ar.VideoCodecType.VIDEO_CODEC_H264, width=640, height=360,
            frames_per_second=30, frame_type=3 if i == 0 else 4, rotation=180, track_id=7,
            capture_time_ms=1000 + i, decode_time_ms=2000 + i, stream_type=1, presentation_ms=33 * i)
        infos.append(info)
        data = bytearray(p) if i == 1 else np.frombuffer(p, np.uint8) if i == 2 else p
        assert a.push_video_encoded_data(data, info) == 0
    b_rec.wait_for(lambda: len(b_rec.encoded) == 3)
    a_uid = a.get_conn_info().internal_uid
    for (uid, buf, length, got), p, sent in zip(b_rec.encoded, payloads, infos):
        assert uid == "a" and bytes(buf) == p and length == len(p)
        assert isinstance(got, ar.EncodedVideoFrameInfo)
        for field in ("codec_type", "width", "height", "frames_per_second", "frame_type", "rotation",
                      "track_id", "capture_time_ms", "decode_time_ms", "stream_type", "presentation_ms"):
            assert getattr(got, field) == getattr(sent, field), field
        assert got.uid == a_uid
    assert b.get_video_stats()["received_encoded"] == 3
    assert a.get_video_stats()["pushed_encoded"] == 3


def test_no_codec_on_the_local_network_is_counted(service):
    """Raw frames to an encoded-only subscription are not encoded, and encoded
    frames to a raw subscription that are not VP8 / H.264 the decoder takes
    (here a garbage H.264 slice) are not decoded: nothing arrives, both counted."""
    a, _, b, b_rec = pair(service, encoded_only=True)
    c, c_rec = join(service, "v", "c", record=False, recorder=VideoRecorder())
    c.register_video_frame_observer(c_rec)
    c.register_video_encoded_frame_observer(c_rec)
    assert c.get_local_user().subscribe_video("a") == 0          # raw
    buf, _ = make_frame(F.VIDEO_PIXEL_I420, 8, 8)
    info = ar.EncodedVideoFrameInfo(codec_type=2, frame_type=3)
    for _ in range(3):
        assert a.push_video_frame(ext(F.VIDEO_PIXEL_I420, buf, 8, 8)) == 0
        assert a.push_video_encoded_data(b"\x00\x00\x00\x01e", info) == 0
    barrier(a, b_rec, c_rec)
    assert len(b_rec.encoded) == 3 and not b_rec.video
    assert len(c_rec.video) == 3 and not c_rec.encoded
    assert b.get_video_stats()["raw_not_encoded"] == 3
    assert c.get_video_stats()["encoded_not_decoded"] == 3
    assert a.get_video_stats()["sent_frames"] == 6


# ---------------------------------------------------------------------------
# subscriptions, publishing, observers

def _push_i420(conn, ts=0):
    buf, _ = make_frame(F.VIDEO_PIXEL_I420, 8, 8)
    return conn.push_video_frame(ext(F.VIDEO_PIXEL_I420, buf, 8, 8, timestamp=ts))


def test_no_video_without_subscription_then_subscribe_and_unsubscribe(service):
    a, _, b, b_rec = pair(service, subscribe=False)   # auto_subscribe_video defaults to 0
    lu = b.get_local_user()
    assert _push_i420(a, 1) == 0
    barrier(a, b_rec)
    assert b_rec.video == []
    assert lu.subscribe_video("a") == 0
    assert _push_i420(a, 2) == 0
    barrier(a, b_rec)
    assert [f.render_time_ms for _, _, f in b_rec.video] == [2]
    assert lu.unsubscribe_video("a") == 0
    assert _push_i420(a, 3) == 0
    barrier(a, b_rec)
    assert [f.render_time_ms for _, _, f in b_rec.video] == [2]
    assert lu.subscribe_all_video() == 0
    assert _push_i420(a, 4) == 0
    barrier(a, b_rec)
    assert lu.unsubscribe_all_video() == 0
    assert _push_i420(a, 5) == 0
    barrier(a, b_rec)
    assert [f.render_time_ms for _, _, f in b_rec.video] == [2, 4]


def test_auto_subscribe_video(service):
    a, _ = join(service, "auto", "a", record=False, recorder=VideoRecorder())
    b, b_rec = join(service, "auto", "b", record=False, recorder=VideoRecorder(),
                    con_config=ar.RTCConnConfig(auto_subscribe_video=1))
    b.register_video_frame_observer(b_rec)
    assert a.publish_video() == 0
    assert _push_i420(a, 9) == 0
    wait_video(b_rec, 1)
    assert b_rec.video[0][1] == "a"


def test_publish_gates_pushing(service):
    a, a_rec = join(service, "p", "a", record=False, recorder=VideoRecorder())
    b, b_rec = join(service, "p", "b", record=False, recorder=VideoRecorder())
    b.register_video_frame_observer(b_rec)
    b.get_local_user().subscribe_video("a")
    assert _push_i420(a) == ERR_NOT_READY                 # not published
    assert a.get_local_user().publish_video() == 0
    a_rec.wait_event("video_published")
    assert isinstance(a_rec.events[-1][1][0], ar.LocalVideoTrack)
    assert _push_i420(a, 1) == 0
    assert a.unpublish_video() == 0
    a_rec.wait_event("video_unpublished")
    assert _push_i420(a, 2) == ERR_NOT_READY
    assert a.push_video_encoded_data(b"x", ar.EncodedVideoFrameInfo(codec_type=1)) == ERR_NOT_READY
    barrier(a, b_rec)
    assert [f.render_time_ms for _, _, f in b_rec.video] == [1]
    assert a.get_video_stats()["pushed_frames"] == 1


def test_push_before_connect_is_not_ready(service):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    conn.publish_video()
    assert _push_i420(conn) == ERR_NOT_READY
    conn.release()


def test_unregistered_observer_gets_nothing(service):
    a, _, b, b_rec = pair(service)
    assert _push_i420(a, 1) == 0
    barrier(a, b_rec)
    assert b.unregister_video_frame_observer() == 0
    assert _push_i420(a, 2) == 0
    barrier(a, b_rec)
    assert [f.render_time_ms for _, _, f in b_rec.video] == [1]
    assert b.register_video_frame_observer(b_rec) == 0      # again: delivery resumes
    assert _push_i420(a, 3) == 0
    barrier(a, b_rec)
    assert [f.render_time_ms for _, _, f in b_rec.video] == [1, 3]


def test_unregister_from_inside_on_frame(service):
    a, _, b, b_rec = pair(service, subscribe=False)

    class Once(ar.IVideoFrameObserver):
        calls = 0

        def on_frame(self, channel_id, uid, frame):
            Once.calls += 1
            b.unregister_video_frame_observer()

    b.register_video_frame_observer(Once())
    b.get_local_user().subscribe_video("a")
    for _ in range(3):
        _push_i420(a)
    barrier(a, b_rec)
    assert Once.calls == 1


def test_intra_request_reaches_the_sender(service):
    a, a_rec, b, b_rec = pair(service)
    assert b.get_local_user().send_intra_request("a") == 0
    a_rec.wait_event("intra")
    assert a_rec.events[-1][1][0] is a.get_local_user()
    assert a.get_video_stats()["intra_requests"] == 1
    assert b.get_local_user().send_intra_request("nobody") == ERR_INVALID_ARGUMENT
    lonely = service.create_rtc_connection(ar.RTCConnConfig())
    assert lonely.get_local_user().send_intra_request("a") == ERR_NOT_READY
    lonely.release()


def test_slow_observer_backlog_is_bounded_and_counted(service):
    a, _, b, b_rec = pair(service, subscribe=False)
    gate = threading.Event()
    seen = []

    class Slow(ar.IVideoFrameObserver):
        def on_frame(self, channel_id, uid, frame):
            gate.wait(10)
            seen.append(frame.render_time_ms)

    b.register_video_frame_observer(Slow())
    b.get_local_user().subscribe_video("a")
    n = 200
    for i in range(n):
        assert _push_i420(a, i) == 0
    wait_until(lambda: a.get_video_stats()["sent_frames"] == n)
    gate.set()
    wait_until(lambda: len(seen) + b.get_video_stats()["dropped_backlog"] == n, timeout=10)
    stats = b.get_video_stats()
    assert stats["dropped_backlog"] > 0
    assert stats["received_frames"] == len(seen)
    assert seen == sorted(seen)


def test_observer_exception_is_reported(service):
    a, _, b, b_rec = pair(service, subscribe=False)
    errors = []
    prev = ar.set_observer_exception_handler(lambda ev, obs, exc: errors.append((ev, exc)))
    try:
        class Bad(ar.IVideoFrameObserver):
            def on_frame(self, channel_id, uid, frame):
                raise RuntimeError("boom")

        b.register_video_frame_observer(Bad())
        b.get_local_user().subscribe_video("a")
        _push_i420(a)
        barrier(a, b_rec)
        assert errors and errors[0][0] == "on_frame"
    finally:
        ar.set_observer_exception_handler(prev)


def test_release_with_frames_in_flight(service):
    for release_first in ("receiver", "sender"):
        a, _, b, b_rec = pair(service, channel=f"rel-{release_first}", subscribe=False)
        gate = threading.Event()

        class Slow(ar.IVideoFrameObserver, ar.IVideoEncodedFrameObserver):
            def on_frame(self, channel_id, uid, frame):
                gate.wait(0.05)

            def on_encoded_video_frame(self, uid, buf, length, info):
                gate.wait(0.05)

        slow = Slow()
        b.register_video_frame_observer(slow)
        b.register_video_encoded_frame_observer(slow)
        b.get_local_user().subscribe_video("a")
        buf, _ = make_frame(F.VIDEO_PIXEL_RGBA, 320, 240)
        for _ in range(20):
            assert a.push_video_frame(ext(F.VIDEO_PIXEL_RGBA, buf, 320, 240)) == 0
        first, second = (b, a) if release_first == "receiver" else (a, b)
        first.release()
        second.release()
        gate.set()
        with pytest.raises(ar.ReleasedError):
            a.push_video_frame(ext(F.VIDEO_PIXEL_RGBA, buf, 320, 240))


def test_buffer_size_helper_matches_the_documented_layouts():
    from agora_rtc._core import _engine
    assert _engine.video_buffer_size(int(F.VIDEO_PIXEL_I420), 4, 2) == 12
    assert _engine.video_buffer_size(int(F.VIDEO_PIXEL_NV12), 4, 2) == 12
    assert _engine.video_buffer_size(int(F.VIDEO_PIXEL_RGBA), 4, 2) == 32
    assert _engine.video_buffer_size(99, 4, 2) == 0


# ---------------------------------------------------------------------------
# bad input: clear exceptions, never a crash

def _good(**kw):
    buf, _ = make_frame(F.VIDEO_PIXEL_I420, 8, 8)
    base = dict(format=F.VIDEO_PIXEL_I420, buffer=buf, stride=8, height=8)
    base.update(kw)
    return ar.ExternalVideoFrame(**base)


BAD_FRAMES = [
    ("short buffer", _good(buffer=b"\x00" * 95), ValueError, "needs exactly 96 bytes"),
    ("long buffer", _good(buffer=b"\x00" * 97), ValueError, "needs exactly 96 bytes"),
    ("rgba size", _good(format=F.VIDEO_PIXEL_RGBA, buffer=b"\x00" * 96), ValueError, r"256 bytes \(stride\*4\*height\)"),
    ("odd stride", _good(stride=7), ValueError, "even"),
    ("odd height", _good(height=7), ValueError, "even"),
    ("zero stride", _good(stride=0), ValueError, "2..8192"),
    ("huge height", _good(height=10000), ValueError, "2..8192"),
    ("odd crop", _good(crop_left=1), ValueError, "crop_left"),
    ("negative crop", _good(crop_top=-2), ValueError, "crop_top"),
    ("crop everything", _good(crop_left=4, crop_right=4), ValueError, "no picture"),
    ("unknown format", _good(format=5), ValueError, "frame.format must be one of"),
    ("default format", _good(format=0), ValueError, "frame.format must be one of"),
    ("I422", _good(format=F.VIDEO_PIXEL_I422), ValueError, "frame.format must be one of"),
    ("texture format", _good(format=F.VIDEO_TEXTURE_2D), NotSupportedError, "texture"),
    ("texture type", _good(type=3), NotSupportedError, "texture"),
    ("bad type", _good(type=9), ValueError, "frame.type"),
    ("rotation", _good(rotation=45), ValueError, "rotation"),
    ("no buffer", _good(buffer=None), TypeError, "None"),
    ("str buffer", _good(buffer="x" * 96), TypeError, "str"),
    ("non-contiguous", _good(buffer=np.zeros((8, 24), np.uint8)[:, ::2]), TypeError, "C-contiguous"),
    ("alpha", _good(alpha_buffer=b"\x00" * 64), NotSupportedError, "alpha"),
    ("metadata too long", _good(metadata=b"m" * 1025), ValueError, "1024"),
    ("metadata str", _good(metadata="m"), TypeError, "metadata"),
    ("stride float", _good(stride=8.0), TypeError, "stride"),
]


@pytest.mark.parametrize("frame,exc,match", [b[1:] for b in BAD_FRAMES], ids=[b[0] for b in BAD_FRAMES])
def test_bad_frames_raise(service, frame, exc, match):
    a, _, b, b_rec = pair(service, channel="bad")
    with pytest.raises(exc, match=match):
        a.push_video_frame(frame)
    assert a.get_video_stats()["pushed_frames"] == 0


def test_bad_encoded_input_raises(service):
    a, _, b, b_rec = pair(service, channel="bad-enc", encoded_only=True)
    info = ar.EncodedVideoFrameInfo(codec_type=2, frame_type=3)
    with pytest.raises(TypeError, match="EncodedVideoFrameInfo"):
        a.push_video_encoded_data(b"x", {"codec_type": 2})
    with pytest.raises(TypeError, match="required"):
        a.push_video_encoded_data(b"x")
    with pytest.raises(ValueError, match="empty"):
        a.push_video_encoded_data(b"", info)
    with pytest.raises(TypeError, match="bytes-like"):
        a.push_video_encoded_data("text", info)
    with pytest.raises(TypeError, match="C-contiguous"):
        a.push_video_encoded_data(np.zeros(10, np.uint8)[::2], info)
    with pytest.raises(ValueError, match="codec_type"):
        a.push_video_encoded_data(b"x", ar.EncodedVideoFrameInfo(codec_type=0))
    with pytest.raises(ValueError, match="codec_type"):
        a.push_video_encoded_data(b"x", ar.EncodedVideoFrameInfo(codec_type=99))
    with pytest.raises(ValueError, match="frame_type"):
        a.push_video_encoded_data(b"x", ar.EncodedVideoFrameInfo(codec_type=2, frame_type=9))
    with pytest.raises(ValueError, match="rotation"):
        a.push_video_encoded_data(b"x", ar.EncodedVideoFrameInfo(codec_type=2, rotation=1))
    with pytest.raises(ValueError, match="width"):
        a.push_video_encoded_data(b"x", ar.EncodedVideoFrameInfo(codec_type=2, width=-1))
    assert a.push_video_encoded_data(bytearray(b"ok"), info) == 0
    b_rec.wait_for(lambda: len(b_rec.encoded) == 1)
    assert bytes(b_rec.encoded[0][1]) == b"ok"


def test_bad_subscription_and_observer_input(service):
    a, _, b, b_rec = pair(service, channel="bad-sub")
    lu = b.get_local_user()
    with pytest.raises(TypeError, match="VideoSubscriptionOptions"):
        lu.subscribe_video("a", {"encodedFrameOnly": True})
    with pytest.raises(ValueError, match="encodedFrameOnly"):
        lu.subscribe_video("a", ar.VideoSubscriptionOptions(encodedFrameOnly=2))
    with pytest.raises(ValueError, match="user_id"):
        lu.subscribe_video("", None)
    with pytest.raises(TypeError):
        lu.send_intra_request(None)
    with pytest.raises(TypeError, match="IVideoFrameObserver"):
        b.register_video_frame_observer(object())
    with pytest.raises(TypeError, match="IVideoEncodedFrameObserver"):
        b.register_video_encoded_frame_observer(b_rec.on_frame)


def test_encoded_vp8_is_decoded_for_a_raw_subscription(service):
    """VP8 from vpxenc pushed encoded: a raw subscriber gets I420 pictures,
    identical to what the ffmpeg command line decodes of the same frames."""
    import os
    import subprocess
    import struct
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
    import video_source
    if video_source.missing_tools("vp8") or video_source.missing_tools("h264"):
        pytest.skip("vpxenc / ffmpeg not installed")
    frames = video_source.vp8_frames(width=64, height=48, frames=6, keyint=3)
    a, _, b, b_rec = pair(service, "vdec")
    for f in frames:
        info = ar.EncodedVideoFrameInfo(codec_type=1, width=64, height=48, frame_type=3 if f.keyframe else 4)
        assert a.push_video_encoded_data(f.data, info) == 0
    b_rec.wait_for(lambda: len(b_rec.video) == len(frames))
    ivf = struct.pack("<4sHH4sHHIIII", b"DKIF", 0, 32, b"VP80", 64, 48, 30, 1, len(frames), 0)
    ivf += b"".join(struct.pack("<IQ", len(f.data), i) + f.data for i, f in enumerate(frames))
    ref = subprocess.run(["ffmpeg", "-v", "error", "-f", "ivf", "-i", "-", "-f", "rawvideo", "-pix_fmt", "yuv420p",
                          "-"], input=ivf, capture_output=True, check=True).stdout
    got = b"".join(bytes(fr.y_buffer) + bytes(fr.u_buffer) + bytes(fr.v_buffer) for _, _, fr in b_rec.video)
    assert got == ref
    assert all((fr.width, fr.height) == (64, 48) for _, _, fr in b_rec.video)
    assert b.get_video_stats()["decoded_frames"] == len(frames)


def test_decoders_per_receiver_are_bounded(service):
    """Ten senders of VP8 keyframes to one raw subscriber: every keyframe is
    decoded (a decoder per sender, at most 8 kept: the ninth sender's takes
    the oldest one's place, and a keyframe needs no history)."""
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
    import video_source
    if video_source.missing_tools("vp8"):
        pytest.skip("vpxenc not installed")
    key = video_source.vp8_frames(width=32, height=32, frames=1, keyint=1)[0].data
    rx, rx_rec = join(service, "vmany", "rx", record=False, recorder=VideoRecorder())
    rx.register_video_frame_observer(rx_rec)
    assert rx.get_local_user().subscribe_all_video(ar.VideoSubscriptionOptions()) == 0
    senders = []
    for i in range(10):
        s, _ = join(service, "vmany", f"s{i}", record=False, recorder=VideoRecorder())
        assert s.publish_video() == 0
        senders.append(s)
    info = ar.EncodedVideoFrameInfo(codec_type=1, width=32, height=32, frame_type=3)
    for _ in range(2):
        for s in senders:
            assert s.push_video_encoded_data(key, info) == 0
    rx_rec.wait_for(lambda: len(rx_rec.video) == 20)
    assert {uid for _, uid, _ in rx_rec.video} == {f"s{i}" for i in range(10)}
    stats = rx.get_video_stats()
    assert stats["decoded_frames"] == 20 and stats["encoded_not_decoded"] == 0


def test_rtp_transport_waits_for_the_connection(service):
    """The Janus (RTP) transport carries encoded frames (raw ones are encoded
    first): raw and encoded pushes and intra requests wait for the connection
    (ERR_NOT_READY). test_janus_video.py and test_janus_video_encode.py cover
    the rest."""
    class RtpConnection(ar.RTCConnection):
        def _native_open(self, service, auto_subscribe, role, profile, rate, channels, transport=0):
            super()._native_open(service, auto_subscribe, role, profile, rate, channels, transport=1)

    conn = RtpConnection(service, ar.RTCConnConfig())
    try:
        assert conn.publish_video() == 0
        assert _push_i420(conn) == ERR_NOT_READY
        assert conn.push_video_encoded_data(b"x", ar.EncodedVideoFrameInfo(codec_type=2)) == ERR_NOT_READY
        assert conn.get_local_user().send_intra_request("a") == ERR_NOT_READY
    finally:
        conn.release()


def _crop_ref(expected, cl, ct, w, h):
    y, u, v = expected
    return [y[ct:ct + h, cl:cl + w], u[ct // 2:(ct + h) // 2, cl // 2:(cl + w) // 2],
            v[ct // 2:(ct + h) // 2, cl // 2:(cl + w) // 2]]


def test_random_sizes_formats_and_crops(service):
    """Property-style sweep (seeded): any even size, format and crop converts
    within 1 of the numpy reference (exactly for YUV sources)."""
    a, _, b, b_rec = pair(service, channel="sweep")
    rng = np.random.default_rng(11)
    cases = []
    for i in range(40):
        fmt = FORMATS[i % len(FORMATS)]
        w, h = (int(x) * 2 for x in rng.integers(1, 40, 2))
        cl, cr = (int(x) * 2 for x in rng.integers(0, w // 4 + 1, 2))
        ct, cb = (int(x) * 2 for x in rng.integers(0, h // 4 + 1, 2))
        if w - cl - cr <= 0 or h - ct - cb <= 0:
            cl = cr = ct = cb = 0
        buf, expected = make_frame(fmt, w, h, seed=100 + i)
        assert a.push_video_frame(ext(fmt, buf, w, h, crop_left=cl, crop_top=ct, crop_right=cr,
                                      crop_bottom=cb, timestamp=i)) == 0
        cases.append((fmt, _crop_ref(expected, cl, ct, w - cl - cr, h - ct - cb)))
    wait_video(b_rec, len(cases))
    for (fmt, want), (_, _, frame) in zip(cases, b_rec.video):
        for plane, ref in zip(frame.as_numpy(), want):
            assert plane.shape == ref.shape
            tol = 1 if fmt in (F.VIDEO_PIXEL_RGBA, F.VIDEO_PIXEL_BGRA) else 0
            assert np.abs(plane.astype(np.int16) - ref).max(initial=0) <= tol, fmt.name


def test_concurrent_pushers_subscribers_and_release(service):
    """Pushes from several threads while the receiver flips subscriptions and
    observers, then everything is released with frames in flight: no crash,
    and every frame delivered was pushed intact."""
    senders = [join(service, "storm", f"s{i}", record=False, recorder=VideoRecorder())[0]
               for i in range(3)]
    b, b_rec = join(service, "storm", "b", record=False, recorder=VideoRecorder())
    b.register_video_frame_observer(b_rec)
    b.register_video_encoded_frame_observer(b_rec)
    for s in senders:
        assert s.publish_video() == 0
    buf, expected = make_frame(F.VIDEO_PIXEL_NV12, 32, 16, seed=4)
    stop = threading.Event()
    errors = []

    def push(conn):
        try:
            while not stop.is_set():
                conn.push_video_frame(ext(F.VIDEO_PIXEL_NV12, buf, 32, 16))
                conn.push_video_encoded_data(b"\x00\x00\x01\x65", ar.EncodedVideoFrameInfo(codec_type=2))
        except ar.ReleasedError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=push, args=(s,), daemon=True) for s in senders]
    for t in threads:
        t.start()
    lu = b.get_local_user()
    for i in range(30):
        uid = f"s{i % 3}"
        lu.subscribe_video(uid, ar.VideoSubscriptionOptions(encodedFrameOnly=bool(i % 2)))
        if i % 5 == 0:
            b.unregister_video_frame_observer()
            b.register_video_frame_observer(b_rec)
        if i % 7 == 0:
            lu.unsubscribe_all_video()
    wait_until(lambda: sum(s.get_video_stats()["sent_frames"] for s in senders) > 50)
    b.release()
    senders[0].release()
    stop.set()
    for t in threads:
        t.join(10)
    for s in senders[1:]:
        s.release()
    assert not errors, errors
    with b_rec.cond:
        frames = [f for _, _, f in b_rec.video]
    for frame in frames:
        assert np.array_equal(frame.as_numpy()[0], expected[0])


def test_first_remote_video_frame(service):
    a, a_rec, b, b_rec = pair(service, channel="first")

    def firsts():
        with b_rec.cond:
            return [e[1] for e in b_rec.events if e[0] == "first_video"]

    buf, _ = make_frame(F.VIDEO_PIXEL_RGBA, 16, 8)
    for _ in range(3):
        assert a.push_video_frame(ext(F.VIDEO_PIXEL_RGBA, buf, 16, 8)) == 0
    barrier(a, b_rec)
    assert [f[:3] for f in firsts()] == [("a", 16, 8)]
    assert firsts()[0][3] >= 0
    lu = b.get_local_user()
    assert lu.subscribe_video("a", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
    assert a.push_video_encoded_data(b"k", ar.EncodedVideoFrameInfo(codec_type=2, width=320,
                                                                    height=180)) == 0
    assert a.push_video_encoded_data(b"k", ar.EncodedVideoFrameInfo(codec_type=2)) == 0
    barrier(a, b_rec)
    assert [f[:3] for f in firsts()] == [("a", 16, 8), ("a", 320, 180)]
    assert a.unpublish_video() == 0 and a.publish_video() == 0
    assert a.push_video_encoded_data(b"k", ar.EncodedVideoFrameInfo(codec_type=2, width=2, height=2)) == 0
    barrier(a, b_rec)
    assert [f[:3] for f in firsts()][-1] == ("a", 2, 2) and len(firsts()) == 3
    # the sender leaves and joins again: its first frame is reported again
    assert a.disconnect() == 0
    assert a.connect("", "first", "a") == 0
    a_rec.wait_for(lambda: a_rec.names().count("connected") == 2)
    assert a.push_video_encoded_data(b"k", ar.EncodedVideoFrameInfo(codec_type=2, width=4, height=4)) == 0
    barrier(a, b_rec)
    assert [f[:3] for f in firsts()][-1] == ("a", 4, 4) and len(firsts()) == 4


def test_user_video_track_subscribed(service):
    a, a_rec = join(service, "tracks", "a", record=False, recorder=VideoRecorder())
    b, b_rec = join(service, "tracks", "b", record=False, recorder=VideoRecorder())

    def subs(rec):
        with rec.cond:
            return [e[1] for e in rec.events if e[0] == "video_subscribed"]

    lu = b.get_local_user()
    assert lu.subscribe_video("a") == 0            # a does not publish yet: no event
    assert a.publish_video() == 0                  # now b receives a's video
    b_rec.wait_for(lambda: len(subs(b_rec)) == 1)
    uid, info, track = subs(b_rec)[0]
    assert uid == "a" and track == ar.RemoteVideoTrack("a")
    assert isinstance(info, ar.VideoTrackInfo)
    assert (info.owner_uid, info.channel_id, info.encoded_frame_only) == (
        a.get_conn_info().internal_uid, "tracks", 0)
    assert lu.subscribe_video("a", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
    b_rec.wait_for(lambda: len(subs(b_rec)) == 2)
    assert subs(b_rec)[1][1].encoded_frame_only == 1
    assert lu.subscribe_video("a", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0  # same mode
    # a user who joins later and subscribes to everything hears of a's track on joining
    c_cfg = ar.RTCConnConfig(auto_subscribe_video=1)
    c, c_rec = join(service, "tracks", "c", record=False, recorder=VideoRecorder(), con_config=c_cfg)
    c_rec.wait_for(lambda: [s[0] for s in subs(c_rec)] == ["a"])
    barrier(a, b_rec, c_rec)
    assert len(subs(b_rec)) == 2 and len(subs(c_rec)) == 1
    assert subs(a_rec) == []                        # a subscribes to nobody


def test_fuzzed_frames_never_crash(service):
    """Random ExternalVideoFrame fields (sizes, formats, crops, buffers of
    random lengths and types): each push returns a code or raises a clear
    exception; the engine never reads outside the buffer (ASan in CI)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from agora_rtc._core import _engine

    a, _, b, b_rec = pair(service, channel="fuzz")
    ints = st.one_of(st.integers(-4, 40), st.sampled_from([2 ** 31, -(2 ** 31), 8192, 8194]))
    crop = st.one_of(st.integers(-2, 12), st.sampled_from([0, 0, 2, 2 ** 31]))
    buffers = st.one_of(st.binary(max_size=8000), st.none(), st.text(max_size=4),
                        st.builds(lambda n: np.zeros(n, np.uint8), st.integers(0, 8000)),
                        st.builds(lambda n: np.zeros((n, 4), np.uint8)[:, ::2], st.integers(1, 50)))

    @settings(max_examples=300, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(fmt=st.sampled_from([0, 1, 2, 3, 4, 5, 8, 10, 16, 99]), buf=buffers, stride=ints,
           height=ints, crops=st.lists(crop, min_size=4, max_size=4),
           rotation=st.sampled_from([0, 90, 45, -90]), meta=st.one_of(st.none(), st.binary(max_size=1100)),
           exact=st.booleans())
    def push(fmt, buf, stride, height, crops, rotation, meta, exact):
        size = _engine.video_buffer_size(fmt, stride, height) if 0 < stride < 9000 and 0 < height < 9000 else 0
        if exact and 0 < size < 1 << 20:
            buf = bytearray(size)   # the right size: the other fields decide
        frame = ar.ExternalVideoFrame(format=fmt, buffer=buf, stride=stride, height=height,
                                      crop_left=crops[0], crop_top=crops[1], crop_right=crops[2],
                                      crop_bottom=crops[3], rotation=rotation, metadata=meta)
        try:
            rc = a.push_video_frame(frame)
        except (TypeError, ValueError, NotSupportedError):
            return
        assert rc == 0

    push()
    barrier(a, b_rec)
    assert len(b_rec.video) == a.get_video_stats()["pushed_frames"]
    assert a.get_video_stats()["pushed_frames"] > 0   # the sweep reached the engine
