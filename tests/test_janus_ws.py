"""The janus+ws transport: the Janus JSON API over its WebSocket transport
(JanusWsClient on agora_rtc.janus.websocket, an adapter over the `websockets`
package). What the adapter promises (pings answered, fragments joined, masked
frames out, protocol errors and handshake failures as WebSocketError) is tested
against a scripted local server that writes raw frames; the API and the SDK
transport against a real Janus 1.1.2 started here (loopback only)."""
import os
import socket
import struct
import threading
import wave

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.janus import (JANUS_MISSING_REASON, JanusError, JanusServer, JanusSessionLost,
                             JanusWsClient, VideoRoomControl, janus_available)
from agora_rtc.janus.websocket import WebSocket, WebSocketClosed, WebSocketError
from conftest import Recorder

needs_janus = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)
ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")


# --------------------------------------------------------------------------- framing

class ScriptedServer:
    """Accepts one connection, answers the handshake (or a wrong one), sends
    `frames` and records the bytes the client sent."""

    def __init__(self, frames, accept_override=None, status="101 Switching Protocols"):
        self.frames, self.accept_override, self.status = frames, accept_override, status
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import base64
        import hashlib
        conn, _ = self.sock.accept()
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(4096)
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (ln.partition(":") for ln in head.decode().split("\r\n")[1:] if ln)}
        accept = self.accept_override or base64.b64encode(hashlib.sha1(
            (fields["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        # the subprotocol is answered only when the client asked for one (RFC 6455 4.2.2)
        proto = ("Sec-WebSocket-Protocol: janus-protocol\r\n"
                 if "janus-protocol" in fields.get("sec-websocket-protocol", "") else "")
        conn.sendall((f"HTTP/1.1 {self.status}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n{proto}\r\n").encode())
        for f in self.frames:
            conn.sendall(f)
        conn.settimeout(2.0)
        try:
            while True:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                self.received += chunk
        except OSError:
            pass
        conn.close()
        self.sock.close()


def frame(opcode, payload, fin=True, rsv=0):
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    if n < 126:
        head += bytes([n])
    elif n < 65536:
        head += bytes([126]) + struct.pack("!H", n)
    else:
        head += bytes([127]) + struct.pack("!Q", n)
    return head + payload


def unmask_client_frames(data):
    """Decode the (masked) frames a client sent: [(opcode, payload)]."""
    out = []
    while len(data) >= 2:
        op, n = data[0] & 0x0F, data[1] & 0x7F
        assert data[1] & 0x80, "client frames must be masked"
        off = 2
        if n == 126:
            n, off = struct.unpack_from("!H", data, 2)[0], 4
        elif n == 127:
            n, off = struct.unpack_from("!Q", data, 2)[0], 10
        mask, body = data[off:off + 4], data[off + 4:off + 4 + n]
        out.append((op, bytes(b ^ mask[i % 4] for i, b in enumerate(body))))
        data = data[off + 4 + n:]
    return out


def test_websocket_fragments_ping_and_close():
    big = ("x" * 70000).encode()
    srv = ScriptedServer([frame(0x1, b'{"a":', fin=False), frame(0x9, b"hi"),  # a ping between fragments
                          frame(0x0, b"1}"), frame(0x1, big), frame(0x8, struct.pack("!H", 1000))])
    ws = WebSocket.connect("127.0.0.1", srv.port, "/", subprotocol="janus-protocol")
    assert ws.recv() == '{"a":1}'
    assert ws.recv() == big.decode()
    with pytest.raises(WebSocketClosed, match="1000"):
        ws.recv()
    assert ws.closed
    with pytest.raises(WebSocketClosed):
        ws.send_text("after close")
    srv.thread.join(5)
    sent = unmask_client_frames(srv.received)
    assert (0xA, b"hi") in sent                   # the ping was answered with its payload
    assert sent[-1][0] == 0x8                      # and we closed in turn


def test_websocket_masks_text_frames_of_every_size():
    srv = ScriptedServer([])
    ws = WebSocket.connect("127.0.0.1", srv.port, "/")
    msgs = ["", "é" * 3, "y" * 200, "z" * 70000]
    for m in msgs:
        ws.send_text(m)
    ws.close()
    srv.thread.join(5)
    sent = unmask_client_frames(srv.received)
    assert [p.decode() for op, p in sent if op == 0x1] == msgs


@pytest.mark.parametrize("frames, error", [
    ([frame(0x1, b"{}", rsv=0x40)], "reserved bits"),
    ([frame(0x0, b"orphan continuation")], "1002 .*continuation"),
    ([frame(0x5, b"")], "1002 .*opcode"),
    ([bytes([0x81, 127]) + struct.pack("!Q", 1 << 40)], "1009 .*exceeds limit of 16777216"),
    ([b"\x81"], "closed"),                         # truncated, then EOF
])
def test_websocket_protocol_errors_raise_cleanly(frames, error):
    srv = ScriptedServer(frames)
    ws = WebSocket.connect("127.0.0.1", srv.port, "/")
    with pytest.raises(WebSocketClosed, match=error):   # a broken peer ends the connection
        ws.recv()
    assert ws.closed
    with pytest.raises(WebSocketClosed, match=error):   # and every later recv says why
        ws.recv()
    ws.close()


def test_websocket_handshake_checks():
    srv = ScriptedServer([], accept_override="bm90IHRoZSBrZXk=")
    with pytest.raises(WebSocketError, match="Sec-WebSocket-Accept"):
        WebSocket.connect("127.0.0.1", srv.port, "/")
    srv = ScriptedServer([], status="404 Not Found")
    with pytest.raises(WebSocketError, match="refused"):
        WebSocket.connect("127.0.0.1", srv.port, "/")


def test_ws_client_rejects_other_urls():
    for url in ("http://127.0.0.1:8088/janus", "wss://127.0.0.1:8989", "janus://h:1"):
        with pytest.raises(ValueError, match="janus\\+ws:// or ws://"):
            JanusWsClient(url)
    with pytest.raises(ValueError, match="no host"):
        JanusWsClient("ws://:8188")


# --------------------------------------------------------------------------- against Janus

@pytest.fixture(scope="module")
def janus():
    if not janus_available():
        pytest.skip(JANUS_MISSING_REASON)
    with JanusServer(websocket=True) as srv:
        yield srv


@needs_janus
def test_ws_api_rooms_publishers_and_events(janus):
    assert list(janus.server_info["transports"]) == ["janus.transport.http", "janus.transport.websockets"]
    with JanusWsClient(janus.ws_url) as c:
        assert c.info()["version_string"] == "1.1.2"
        vr = c.videoroom(admin_key=janus.admin_key)
        room = 4711
        assert vr.ensure(room, publishers=4) is True and vr.exists(room)
        joined, left = [], []
        seen = threading.Event()
        ctl = VideoRoomControl(c, on_publisher_joined=lambda pid, d, s: (joined.append((pid, d)), seen.set()),
                               on_publisher_left=lambda pid: (left.append(pid), seen.set()))
        ctl.join(room, display="watcher")
        pub = vr.add_remote_publisher(room, id=99, display="remote-99", iface=janus.host)
        assert pub.port > 0 and pub.ssrc(0) == 1000
        assert seen.wait(10) and joined == [(99, "remote-99")]
        seen.clear()
        vr.remove_remote_publisher(room, 99)
        assert seen.wait(10) and left == [99]
        with pytest.raises(JanusError) as err:        # plugin errors arrive with their code
            vr.create(room, publishers=4)
        assert err.value.code == 427
        ctl.leave(timeout=5)
        vr.destroy(room)


@needs_janus
def test_ws_session_lost_when_janus_is_killed(janus):
    lost = threading.Event()
    c = JanusWsClient(janus.ws_url, on_session_lost=lambda reason, err: lost.set())
    c.connect()
    try:
        janus.kill()
        assert lost.wait(10) and c.lost
        with pytest.raises(JanusSessionLost):
            c.keepalive(timeout=2)
    finally:
        c.close()
        janus.restart()


def _speech():
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


@needs_janus
def test_agents_talk_over_janus_ws_and_survive_a_restart(janus):
    url = f"{janus.ws_transport_url}?admin_key={janus.admin_key}"
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
        members = {}
        for uid in ("alice", "bob"):
            conn = svc.create_rtc_connection(ar.RTCConnConfig())
            rec = Recorder()
            conn.register_observer(rec)
            conn.register_audio_frame_observer(rec, 1, ar.AudioVadConfigV2())
            assert conn.connect("", "janus-ws-room", uid) == 0
            rec.wait_event("connected", timeout=20)
            assert conn.publish_audio() == 0
            members[uid] = (conn, rec)
        (a, ra), (b, rb) = members["alice"], members["bob"]
        rb.wait_event("joined", "alice", timeout=20)
        x = np.concatenate([_speech(), np.zeros(16000, np.int16)])
        assert a.push_audio_pcm_data(x, 16000, 1) == 0
        rb.wait_for(lambda: 3 in [s for s, _ in rb.vad.get("alice", [])], timeout=30)
        assert np.abs(np.frombuffer(rb.pcm("alice"), dtype=np.int16)).max() > 1000
        assert b._rtp_stats()["unknown_ssrc"] == 0

        janus.kill()                                   # the sockets close: sessions lost at once
        ra.wait_event("lost", timeout=20)
        janus.restart()
        ra.wait_event("reconnected", timeout=30)
        rb.wait_event("reconnected", timeout=30)
        before = len(rb.frames.get("alice", []))
        a.push_audio_pcm_data(_speech(), 16000, 1)
        rb.wait_for(lambda: sum(f.rms > 80 for f in rb.frames.get("alice", [])[before:]) > 50, timeout=30)
