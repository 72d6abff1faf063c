"""Encoded video on the janus transport: VP8 and H.264 frames (real
bitstreams from vpxenc / ffmpeg) pushed by one agent arrive byte for byte at
another agent's encoded observer through a real Janus 1.1.2, keyframe
requests travel as RTCP PLI (receiver -> Janus -> sender), and the RTP media
plane alone (two RTP connections and a lossy relay, no Janus) drops frames
after a loss until a keyframe, asking for it with a PLI. Tests wait on
conditions, never on time."""
import os
import socket
import struct
import sys
import time

import pytest

import agora_rtc as ar
from agora_rtc.errors import ERR_INVALID_ARGUMENT, ERR_NOT_SUPPORTED, InvalidArgumentError
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from conftest import wait_until
from test_rtp_transport import EV_CONNECTED, Relay, RtpConnection
from test_video import VideoRecorder

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
import video_source  # noqa: E402

KEY, DELTA = 3, 4               # VideoFrameType
CODEC = {"vp8": 1, "h264": 2}   # VideoCodecType
FRAME_MS = 33


def frames_of(codec, **kw):
    reason = video_source.missing_tools(codec)
    if reason:
        pytest.skip(reason)
    return (video_source.vp8_frames if codec == "vp8" else video_source.h264_access_units)(**kw)


def info_of(codec, f, i):
    return ar.EncodedVideoFrameInfo(codec_type=CODEC[codec], width=f.width, height=f.height,
                                    frames_per_second=30, frame_type=KEY if f.keyframe else DELTA,
                                    capture_time_ms=1000 + FRAME_MS * i)


def received(rec, uid):
    with rec.cond:
        return [(bytes(buf)[:length], info) for u, buf, length, info in rec.encoded if u == uid]


def push_paced(conn, codec, frames, start=0):
    """Push like a 30 fps camera would (frames are not paced by the SDK)."""
    for i, f in enumerate(frames, start):
        assert conn.push_video_encoded_data(f.data, info_of(codec, f, i)) == 0
        time.sleep(FRAME_MS / 1000)


def assert_same(got, frames, codec):
    assert [d for d, _ in got] == [f.data for f in frames]
    for (_, info), f in zip(got, frames):
        assert info.codec_type == CODEC[codec]
        assert info.frame_type == (KEY if f.keyframe else DELTA)
        assert (info.width, info.height) == (f.width, f.height)


# ------------------------------------------------------------------ through Janus

janus_only = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)


@pytest.fixture(scope="module")
def janus():
    if not janus_available():
        pytest.skip(JANUS_MISSING_REASON)
    with JanusServer() as srv:
        yield srv


def janus_url(srv, video, srtp=None):
    return f"{srv.transport_url}?admin_key={srv.admin_key}&video={video}" + (f"&srtp={srtp}" if srtp else "")


def video_member(svc, channel, uid):
    conn = svc.create_rtc_connection(ar.RTCConnConfig())
    rec = VideoRecorder()
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    conn.register_video_encoded_frame_observer(rec)
    assert conn.connect("", channel, uid) == 0
    rec.wait_event("connected", timeout=20)
    assert conn.publish_video() == 0
    return conn, rec


def video_forwarded(conn):
    return conn._rtp_stats()["video_remotes"] == 1


@janus_only
@pytest.mark.parametrize("codec,srtp", [("vp8", None), ("h264", None), ("vp8", 80)])
def test_encoded_frames_pass_through_janus_byte_exact(janus, codec, srtp):
    """srtp=80: the forward Janus makes to bob is SRTP with its own key."""
    frames = frames_of(codec, frames=24, keyint=12)
    url = janus_url(janus, codec, srtp)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
        a, ra = video_member(svc, f"jv-{codec}-{srtp}", "alice")
        b, rb = video_member(svc, f"jv-{codec}-{srtp}", "bob")
        rb.wait_event("joined", "alice", timeout=20)
        opts = ar.VideoSubscriptionOptions(encodedFrameOnly=True)
        assert b.get_local_user().subscribe_video("alice", opts) == 0
        wait_until(lambda: video_forwarded(b), timeout=20)       # Janus forwards alice's video to bob
        assert not video_forwarded(a)                            # alice did not subscribe to bob
        push_paced(a, codec, frames)
        rb.wait_for(lambda: len(received(rb, "alice")) == len(frames), timeout=30)
        assert_same(received(rb, "alice"), frames, codec)
        rb.wait_event("first_video", "alice", frames[0].width, frames[0].height)
        sa, sb = a._rtp_stats(), b._rtp_stats()
        assert sa["video_frames_sent"] == len(frames) and sa["video_packets_sent"] > len(frames)
        assert sb["video_frames_received"] == len(frames) and sb["video_frames_lost"] == 0
        assert sb["unknown_ssrc"] == 0 and sb["srtp_errors"] == 0
        assert b.get_video_stats()["received_encoded"] == len(frames)
        # unsubscribing stops the forward
        assert b.get_local_user().unsubscribe_video("alice") == 0
        wait_until(lambda: b._rtp_stats()["video_remotes"] == 0, timeout=10)


@janus_only
@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_intra_request_travels_as_pli_through_janus(janus, codec):
    """bob's send_intra_request -> PLI to Janus's feedback port of the forward ->
    Janus asks the remote publisher (alice) -> alice's on_intra_request_received."""
    frames = frames_of(codec, frames=2, keyint=12)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, codec))) as svc:
        a, ra = video_member(svc, f"jpli-{codec}", "alice")
        b, rb = video_member(svc, f"jpli-{codec}", "bob")
        rb.wait_event("joined", "alice", timeout=20)
        assert b.get_local_user().subscribe_video("alice", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
        wait_until(lambda: video_forwarded(b), timeout=20)
        # a keyframe first: bob needs no keyframe of his own, and alice's RTCP
        # (an SR after her first frame) lets Janus latch where to send its PLIs
        push_paced(a, codec, frames[:1])
        rb.wait_for(lambda: len(received(rb, "alice")) == 1, timeout=20)
        assert "intra" not in ra.names()
        assert b.get_local_user().send_intra_request("alice") == 0
        ra.wait_event("intra", timeout=20)
        assert b._rtp_stats()["plis_sent"] >= 1
        assert a._rtp_stats()["plis_received"] >= 1
        assert a.get_video_stats()["intra_requests"] >= 1
        # nobody's video is forwarded to alice: no such user to ask
        assert a.get_local_user().send_intra_request("bob") == ERR_INVALID_ARGUMENT


@janus_only
def test_loss_before_janus_is_repaired_by_a_keyframe_on_pli(janus):
    """alice's packets of frame 3 are lost on the way to Janus: bob skips the
    frames that depend on it, his PLI reaches alice through Janus, and from the
    next keyframe on he gets every frame again."""
    frames = frames_of("vp8", frames=20, keyint=10)
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, "vp8"))) as svc:
        a = svc.create_rtc_connection(ar.RTCConnConfig())
        relays = []
        real_target = a._rtp_set_publish_target

        def via_relay(ip, port, rtcp_port, ssrc):   # our RTP goes to Janus through a lossy relay
            relays.append(FrameDropRelay(port, {3}))
            return real_target(ip, relays[-1].port, rtcp_port, ssrc)

        a._rtp_set_publish_target = via_relay
        ra = VideoRecorder()
        a.register_observer(ra)
        a.register_local_user_observer(ra)
        try:
            assert a.connect("", "jv-loss", "alice") == 0
            ra.wait_event("connected", timeout=20)
            assert a.publish_video() == 0
            b, rb = video_member(svc, "jv-loss", "bob")
            rb.wait_event("joined", "alice", timeout=20)
            assert b.get_local_user().subscribe_video("alice", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
            push_paced(a, "vp8", frames[:10])
            ra.wait_event("intra", timeout=20)          # bob -> Janus -> alice
            push_paced(a, "vp8", frames[10:], start=10)
            rb.wait_for(lambda: len(received(rb, "alice")) == 3 + 10, timeout=20)
            assert_same(received(rb, "alice"), frames[:3] + frames[10:], "vp8")
            stats = b._rtp_stats()
            assert stats["plis_sent"] >= 1 and stats["video_frames_lost"] >= 1
            assert relays[0].dropped >= 1
        finally:
            a.release()
            for r in relays:
                r.close()


@janus_only
def test_janus_video_bad_input(janus):
    """Another codec than the connection's, and H.264 that is not Annex B are
    refused; nothing crashes (raw frames are encoded: test_janus_video_encode.py)."""
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, "h264"))) as svc:
        a, _ = video_member(svc, "jv-bad", "alice")
        vp8 = ar.EncodedVideoFrameInfo(codec_type=1, frame_type=KEY)
        assert a.push_video_encoded_data(b"\x10\x02\x00\x9d\x01\x2a", vp8) == ERR_NOT_SUPPORTED
        h264 = ar.EncodedVideoFrameInfo(codec_type=2, frame_type=KEY)
        for junk in (b"\x65\x88\x84", b"\x00\x00\x01", b"\x00\x00\x00\x00"):
            with pytest.raises(InvalidArgumentError, match="Annex B"):
                a.push_video_encoded_data(junk, h264)
        assert a.push_video_encoded_data(b"\x00\x00\x00\x01\x65\x88\x84\x00", h264) == 0
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=janus_url(janus, "vp9"))) as svc:
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        with pytest.raises(ValueError, match="video must be vp8, h264 or none"):
            conn.connect("", "jv-bad", "x")
        assert conn.get_conn_info().state == 1            # refused before joining: still disconnected


# ------------------------------------------------------------------ media plane alone

VIDEO_SSRC = 1010
PT = {"vp8": 96, "h264": 107}


class KeyframeSender(VideoRecorder):
    """Counts intra requests (the sender's code decides what to do with them)."""


def rtp_pair(service, codec, relay_factory):
    """a sends video through a relay to b; b's keyframe requests go straight to
    a's socket (the PLI names SSRC 1010, a's video stream)."""
    a, b = RtpConnection(service, ar.RTCConnConfig()), RtpConnection(service, ar.RTCConnConfig())
    ra, rb = KeyframeSender(), VideoRecorder()
    a.register_local_user_observer(ra)
    b.register_local_user_observer(rb)
    b.register_video_encoded_frame_observer(rb)
    rc, a_port = a._rtp_open()
    rc2, b_port = b._rtp_open()
    assert rc == rc2 == 0
    relay = relay_factory(b_port)
    for conn, ch, uid in ((a, "rv", "a"), (b, "rv", "b")):
        conn._connect(b"", ch.encode(), uid.encode())
    assert a._rtp_set_publish_target(b"127.0.0.1", relay.port, 0, 1000) == 0
    assert a._rtp_set_video_publish(VIDEO_SSRC, CODEC[codec], PT[codec]) == 0
    assert b._rtp_add_remote(VIDEO_SSRC, b"a", video_codec=CODEC[codec]) == 0
    assert b._rtp_set_remote_feedback(VIDEO_SSRC, b"127.0.0.1", a_port) == 0
    for conn in (a, b):
        assert conn._post_event(EV_CONNECTED, None, 1) == 0
    assert b.get_local_user().subscribe_video("a", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
    assert a.publish_video() == 0
    return a, ra, b, rb, relay


class FrameDropRelay(Relay):
    """Drops every packet of the frames whose RTP timestamps are in `drop_frames`
    (frame index from the first timestamp seen, 33 ms apart at 90 kHz)."""

    def __init__(self, dst_port, drop_frames, **kw):
        super().__init__(dst_port, **kw)
        self.drop_frames = set(drop_frames)
        self.first_ts = None
        self.dropped = 0

    def _send(self, data):
        if len(data) >= 12 and (data[1] & 0x7F) in (96, 107):
            ts = struct.unpack("!I", data[4:8])[0]
            if self.first_ts is None:
                self.first_ts = ts
            if ((ts - self.first_ts) & 0xFFFFFFFF) // (FRAME_MS * 90) in self.drop_frames:
                self.dropped += 1
                return
        super()._send(data)


class PaddingRelay(Relay):
    """Inserts a padding-only video packet (P bit, empty payload, as browsers
    send for bandwidth probing) after every third video packet, renumbering the
    stream so the padding packets take sequence numbers of their own."""

    def __init__(self, dst_port, **kw):
        super().__init__(dst_port, **kw)
        self.extra = 0
        self.inserted = 0
        self.n = 0

    def _send(self, data):
        if len(data) < 12 or (data[1] & 0x7F) not in (96, 107):
            return super()._send(data)
        seq = (struct.unpack("!H", data[2:4])[0] + self.extra) & 0xFFFF
        super()._send(data[:2] + struct.pack("!H", seq) + data[4:])
        self.n += 1
        if self.n % 3 == 0:
            self.extra += 1
            self.inserted += 1
            pad = bytes(7) + b"\x08"  # 8 padding bytes, the last one says how many
            super()._send(bytes([data[0] | 0x20, data[1] & 0x7F]) + struct.pack("!H", (seq + 1) & 0xFFFF)
                          + data[4:12] + pad)


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_padding_only_packets_are_not_losses(service, codec):
    frames = frames_of(codec, frames=8, keyint=4, width=640, height=480)
    a, _, b, rb, relay = rtp_pair(service, codec, PaddingRelay)
    try:
        push_paced(a, codec, frames)
        rb.wait_for(lambda: len(received(rb, "a")) == len(frames), timeout=10)
        assert_same(received(rb, "a"), frames, codec)
        assert relay.inserted > 0
        stats = b._rtp_stats()
        assert stats["video_frames_lost"] == 0 and stats["plis_sent"] == 0
    finally:
        for c in (a, b):
            c.release()
        relay.close()


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_loss_drops_frames_until_a_keyframe_requested_by_pli(service, codec):
    frames = frames_of(codec, frames=20, keyint=10)
    a, ra, b, rb, relay = rtp_pair(service, codec, lambda port: FrameDropRelay(port, {3}))
    try:
        push_paced(a, codec, frames[:10])                 # frame 3 is lost on the way
        ra.wait_event("intra", timeout=10)                # b asked a for a keyframe (PLI)
        stats = b._rtp_stats()
        assert stats["plis_sent"] >= 1 and stats["video_frames_lost"] >= 1
        assert relay.dropped >= 1
        push_paced(a, codec, frames[10:], start=10)       # the sender answers: frame 10 is a keyframe
        rb.wait_for(lambda: len(received(rb, "a")) == 3 + 10, timeout=10)
        got = received(rb, "a")
        assert_same(got, frames[:3] + frames[10:], codec)  # 4..9 refer to the lost frame: never delivered
        assert b._rtp_stats()["video_frames_skipped"] >= 5
        assert a.get_video_stats()["intra_requests"] >= 1
    finally:
        for c in (a, b):
            c.release()
        relay.close()


@pytest.mark.parametrize("codec", ["vp8", "h264"])
def test_reordered_and_duplicated_packets_are_put_back_in_order(service, codec):
    # big frames (many packets each) so that swaps happen inside frames; the relay
    # holds some packets 10 ms (within the 40 ms reorder window)
    frames = frames_of(codec, frames=12, keyint=4, width=640, height=480)
    a, _, b, rb, relay = rtp_pair(service, codec, lambda port: Relay(port, reorder=0.2, dup=0.1, late_s=0.01,
                                                                   seed=7))
    try:
        push_paced(a, codec, frames)
        rb.wait_for(lambda: len(received(rb, "a")) == len(frames), timeout=10)
        assert_same(received(rb, "a"), frames, codec)
        assert relay.counts["reorder"] > 0 and relay.counts["dup"] > 0
        assert b._rtp_stats()["video_frames_lost"] == 0
    finally:
        for c in (a, b):
            c.release()
        relay.close()


def test_first_delta_frame_asks_for_a_keyframe(service):
    """A receiver that joins mid-stream (first frame a delta) skips until a
    keyframe and asks for one; garbage datagrams on the video SSRC crash nothing."""
    frames = frames_of("vp8", frames=12, keyint=10)
    a, ra, b, rb, relay = rtp_pair(service, "vp8", lambda port: FrameDropRelay(port, {0}))
    try:
        push_paced(a, "vp8", frames[:4])
        ra.wait_event("intra", timeout=10)
        # garbage with b's video SSRC straight to b's socket
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        port = b._rtp_stats()["local_port"]
        rng = __import__("random").Random(11)
        for n in range(200):
            body = os.urandom(n % 60)
            s.sendto(struct.pack("!BBHII", 0x80 | (n & 0x20), 96 | (n & 0x80), rng.randrange(65536),
                                 n * 7, VIDEO_SSRC) + body, ("127.0.0.1", port))
        s.close()
        push_paced(a, "vp8", frames[10:], start=10)
        # the keyframe answering the PLI arrives intact; nothing before it was a
        # frame of a's (random bytes that happen to parse may pass: no SRTP here)
        rb.wait_for(lambda: frames[10].data in [d for d, _ in received(rb, "a")], timeout=10)
        got = [d for d, _ in received(rb, "a")]
        assert not {f.data for f in frames[:10]} & set(got[:got.index(frames[10].data)])
    finally:
        for c in (a, b):
            c.release()
        relay.close()


def test_rtp_video_calls_bad_input(service):
    a = RtpConnection(service, ar.RTCConnConfig())
    try:
        assert a._rtp_set_video_publish(VIDEO_SSRC, 1, 96) < 0                 # socket not open
        assert a._rtp_open()[0] == 0
        assert a._rtp_set_video_publish(VIDEO_SSRC, 9, 96) == ERR_INVALID_ARGUMENT   # unknown codec
        assert a._rtp_set_video_publish(VIDEO_SSRC, 1, 200) == ERR_INVALID_ARGUMENT  # bad PT
        assert a._rtp_add_remote(5, b"u", video_codec=7) == ERR_INVALID_ARGUMENT
        assert a._rtp_add_remote(5, b"u", video_codec=1) == 0
        assert a._rtp_add_remote(5, b"v", video_codec=1) < 0                    # SSRC taken
        assert a._rtp_add_remote(5, b"w") < 0                                   # ... by video
        assert a._rtp_set_remote_feedback(6, b"127.0.0.1", 9) == ERR_INVALID_ARGUMENT  # unknown SSRC
        assert a._rtp_set_remote_feedback(5, b"not-an-ip", 9) == ERR_INVALID_ARGUMENT
        with pytest.raises(InvalidArgumentError):
            a._rtp_set_remote_feedback(5, b"127.0.0.1", 0)
        assert a._rtp_remove_remote(5) == 0
        assert a._rtp_remove_remote(5) == ERR_INVALID_ARGUMENT
    finally:
        a.release()


def test_keyframe_requests_and_garbage_rtcp_at_the_sender(service):
    """PLI and FIR naming our video SSRC are intra requests; other SSRCs, other
    feedback and random RTCP-looking bytes are not, and never crash."""
    a, ra, b, rb, relay = rtp_pair(service, "vp8", lambda port: Relay(port))
    try:
        port = a._rtp_stats()["local_port"]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        pli = struct.pack("!BBHII", 0x81, 206, 2, 1, VIDEO_SSRC)
        fir = struct.pack("!BBHIIIB3x", 0x84, 206, 4, 1, 0, VIDEO_SSRC, 7)
        other = struct.pack("!BBHII", 0x81, 206, 2, 1, VIDEO_SSRC + 1)
        nack = struct.pack("!BBHIII", 0x81, 205, 3, 1, VIDEO_SSRC, 0)
        for d in (other, nack):
            s.sendto(d, ("127.0.0.1", port))
        rng = __import__("random").Random(3)
        for n in range(300):
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
            s.sendto(bytes([0x80 | rng.randrange(32), rng.choice((200, 201, 205, 206))]) + body,
                     ("127.0.0.1", port))
        s.sendto(pli, ("127.0.0.1", port))
        ra.wait_event("intra", timeout=10)
        s.sendto(fir, ("127.0.0.1", port))
        wait_until(lambda: a._rtp_stats()["plis_received"] >= 2, timeout=10)
        s.close()
        assert a._rtp_stats()["plis_received"] == 2          # the PLI and the FIR, nothing else
        assert a.get_video_stats()["intra_requests"] == 2
    finally:
        for c in (a, b):
            c.release()
        relay.close()


def test_sequence_restart_far_behind_is_followed(service):
    """A sender whose sequence numbers restart far behind (more than the reorder
    window of packets in a row) is followed; one-packet VP8 keyframes sent by hand."""
    key = next(f for f in frames_of("vp8", width=64, height=48, frames=1, keyint=1) if f.keyframe)
    b = RtpConnection(service, ar.RTCConnConfig())
    rb = VideoRecorder()
    b.register_video_encoded_frame_observer(rb)
    try:
        assert b._rtp_open()[0] == 0
        b._connect(b"", b"rs", b"b")
        assert b._rtp_add_remote(VIDEO_SSRC, b"a", video_codec=1) == 0
        assert b._post_event(EV_CONNECTED, None, 1) == 0
        assert b.get_local_user().subscribe_video("a", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
        port = b._rtp_stats()["local_port"]
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

        def send(seq, n):
            for k in range(n):
                hdr = struct.pack("!BBHII", 0x80, 0x80 | 96, (seq + k) & 0xFFFF, 3000 * (seq + k), VIDEO_SSRC)
                desc = bytes([0x90, 0x80, 0x80 | ((seq + k) >> 8 & 0x7F), (seq + k) & 0xFF])
                s.sendto(hdr + desc + key.data, ("127.0.0.1", port))

        send(30000, 3)
        rb.wait_for(lambda: len(received(rb, "a")) == 3, timeout=10)
        send(1000, 70)                       # 29000 behind: late at first, then followed
        rb.wait_for(lambda: len(received(rb, "a")) >= 3 + 70 - 64, timeout=10)
        s.close()
        assert all(d == key.data for d, _ in received(rb, "a"))
        assert b._rtp_stats()["video_late"] >= 64
    finally:
        b.release()


def test_any_capture_time_is_carried(service):
    """Capture times anywhere in the accepted range (also going backwards) only
    shape the 90 kHz timestamps: every frame arrives, in order."""
    frames = frames_of("vp8", frames=4, keyint=4)
    a, _, b, rb, relay = rtp_pair(service, "vp8", lambda port: Relay(port))
    try:
        for f, cap in zip(frames, (1, 2 ** 62 - 1, 0, 5)):
            info = info_of("vp8", f, 0)
            info.capture_time_ms = cap
            assert a.push_video_encoded_data(f.data, info) == 0
        rb.wait_for(lambda: len(received(rb, "a")) == len(frames), timeout=10)
        assert [d for d, _ in received(rb, "a")] == [f.data for f in frames]
    finally:
        for c in (a, b):
            c.release()
        relay.close()
