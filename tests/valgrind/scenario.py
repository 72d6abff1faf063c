"""A short scenario for valgrind memcheck (run by scripts/check_valgrind.sh): the local
network with VAD, direct and queued delivery, stream messages, metadata,
interrupts; an RTP/Opus pair over loopback UDP (encode, jitter buffer,
decode) with garbage datagrams mixed in; raw video encoded to VP8 and scaled
down; standalone AudioVadV2; then every
object released. Prints "scenario done" at the end."""
import socket
import sys
import threading
import time

import numpy as np

import agora_rtc as ar
from agora_rtc.rtc_connection import RTCConnection


class Obs(ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver, ar.IAudioFrameObserver):
    def __init__(self):
        self.connected = threading.Event()
        self.frames = 0
        self.messages = 0

    def on_connected(self, conn, info, reason):
        self.connected.set()

    def on_stream_message(self, lu, uid, sid, data, length):
        self.messages += 1

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
        self.frames += 1
        bytes(frame.buffer)


class RtpConnection(RTCConnection):
    def _native_open(self, service, *args, transport=0):
        super()._native_open(service, *args, transport=1)


def offered(conn):
    """Frames the connection's audio-frame observer was offered: delivered or
    dropped by the bounded backlog (valgrind runs ~30x slower, so on a loaded
    machine the observer may fall more than max_backlog_ms behind)."""
    stats = conn.get_audio_delivery_stats()
    return stats["pushed"] + stats["dropped"]


def wait(what, pred, state, timeout=300.0):
    # generous: under valgrind on a machine with both cores busy this scenario
    # took 43 s instead of 10 s; the timeout only catches a real hang
    end = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > end:
            sys.exit(f"timed out waiting for {what}: {state()}")
        time.sleep(0.01)


TONE = (8000 * np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000)).astype(np.int16)


def local_network(svc):
    conns, obs = [], []
    for i, mode in enumerate(["direct", "queued", "direct"]):
        c = svc.create_rtc_connection(ar.RTCConnConfig())
        o = Obs()
        c.register_observer(o)
        c.register_local_user_observer(o)
        c.register_audio_frame_observer(o, 1, ar.AudioVadConfigV2(), dispatch=mode)
        assert c.connect("", "vg", f"u{i}") == 0
        o.connected.wait(30)
        c.publish_audio()
        conns.append(c)
        obs.append(o)
    conns[0].push_audio_pcm_data(TONE[:8000], 16000, 1)
    conns[1].push_audio_pcm_data(np.tile(TONE[:4410], 2), 44100, 2)
    for k in range(20):
        conns[2].send_stream_message(f"message {k}")
        conns[2].send_audio_meta_data(b"meta")
    wait("40 frames at u2 and 20 messages at u0",
         lambda: offered(conns[2]) >= 40 and obs[0].messages >= 20,
         lambda: f"u2 frames {obs[2].frames}, stats {conns[2].get_audio_delivery_stats()}, "
                 f"u0 messages {obs[0].messages}")
    conns[0].push_audio_pcm_data(TONE, 16000, 1)
    conns[0].interrupt_audio()
    conns[1].disconnect()
    for c in conns:
        c.release()


def rtp_pair(svc):
    a, b = RtpConnection(svc, ar.RTCConnConfig()), RtpConnection(svc, ar.RTCConnConfig())
    oa, ob = Obs(), Obs()
    for c, o in ((a, oa), (b, ob)):
        c.register_observer(o)
    b.register_audio_frame_observer(ob, 1, ar.AudioVadConfigV2())
    _, a_port = a._rtp_open(b"127.0.0.1")
    _, b_port = b._rtp_open(b"127.0.0.1")
    a.connect("", "room", "alice")
    b.connect("", "room", "bob")
    a._rtp_set_publish_target(b"127.0.0.1", b_port, 0, 1000)
    b._rtp_add_remote(1000, b"alice")
    a.publish_audio()
    a._post_event(0, None, 1)
    b._post_event(0, None, 1)
    a.push_audio_pcm_data(TONE, 16000, 1)
    wait("30 frames at bob over RTP", lambda: offered(b) >= 30,
         lambda: f"bob frames {ob.frames}, stats {b.get_audio_delivery_stats()}, rtp {b._rtp_stats()}")
    # then garbage and half-valid RTP/RTCP to bob (after the frames counted above: a datagram
    # with alice's SSRC and a wild sequence number may legitimately restart her stream)
    received = b._rtp_stats()["packets_received"]
    junk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rng = np.random.default_rng(1)
    for n in range(50):
        pkt = bytearray(rng.integers(0, 256, int(rng.integers(0, 300)), dtype=np.uint8).tobytes())
        if pkt and n % 2:
            pkt[0] = 0x80
            if len(pkt) > 12:
                pkt[8:12] = (1000).to_bytes(4, "big")
        junk.sendto(bytes(pkt), ("127.0.0.1", b_port))
    junk.close()
    wait("every datagram counted at bob", lambda: b._rtp_stats()["packets_received"] >= received + 50,
         lambda: f"rtp {b._rtp_stats()}")
    a.release()
    b.release()


def video_scaling(svc):
    """Raw frames (I420 and RGBA) encoded to VP8 and scaled down into small boxes.
    libswscale writes whole SIMD vectors, past the end of rows of other widths: the
    encoder's scaled planes must be padded (a heap overflow the Python API fuzzer found)."""
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # never read
    sink.bind(("127.0.0.1", 0))
    c = RtpConnection(svc, ar.RTCConnConfig())
    assert c._rtp_open(b"127.0.0.1")[0] == 0
    c.connect("", "video", "painter")
    assert c._rtp_set_publish_target(b"127.0.0.1", sink.getsockname()[1], 0, 1000) == 0
    assert c._rtp_set_video_publish(1010, 1, 96) == 0          # VP8
    c._post_event(0, None, 1)
    assert c.publish_video() == 0
    rng = np.random.default_rng(2)
    for box in [(6, 6), (2, 2), (10, 4), (34, 22), (18, 30)]:
        c.set_video_encoder_configuration(ar.VideoEncoderConfiguration(
            dimensions=ar.VideoDimensions(*box), frame_rate=15, bitrate=100))
        for fmt, size in ((1, 64 * 48 * 3 // 2), (4, 64 * 48 * 4)):
            frame = ar.ExternalVideoFrame(type=1, format=fmt, stride=64, height=48,
                                          buffer=rng.integers(0, 256, size, dtype=np.uint8).tobytes())
            assert c.push_video_frame(frame) == 0
    c.release()
    sink.close()


def standalone_vad():
    vad = ar.AudioVadV2(ar.AudioVadConfigV2())
    for i in range(100):
        vad.process(TONE[160 * (i % 100):160 * (i % 100 + 1)].tobytes().ljust(320, b"\0"), 16000, 1)
    vad.release()


def main():
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="valgrind"))
    local_network(svc)
    rtp_pair(svc)
    video_scaling(svc)
    standalone_vad()
    svc.release()
    print("scenario done", flush=True)


if __name__ == "__main__":
    main()
