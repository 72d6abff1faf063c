"""The Janus control plane against a real Janus 1.1.2 (loopback only).

Skipped, with the reason, when the `janus` binary is not installed. Every
socket is on 127.0.0.1; RTP packets are hand-built (Janus relays without
decoding). Waits are on events/conditions, never fixed sleeps for success.
"""
import os
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from agora_rtc import AgoraError
from agora_rtc.janus import (ERR_NO_SUCH_FEED, ERR_ROOM_EXISTS, ERR_UNAUTHORIZED,
                             JANUS_MISSING_REASON, OPUS_PT, JanusClient, JanusError,
                             JanusPluginError, JanusServer, JanusSessionLost, JanusTimeoutError,
                             VideoRoomControl, janus_available)
from agora_rtc.janus.server import TEMPLATE_DIR

needs_janus = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)

LOOPBACK = "127.0.0.1"
SECRET = "room-secret"
FWD_SSRC = 0x5EED0001          # the SSRC we choose for the forward (demultiplex key)
PUB_SSRC = 1000                # remote publisher, stream mindex 0: 1000 + 10*0


# --------------------------------------------------------------------------- helpers
class Events:
    """Thread-safe event recorder with waiting."""

    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def add(self, *item):
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait_for(self, pred, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred(self.items):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
            return True


def rtp_packet(seq, ts, ssrc=PUB_SSRC, pt=OPUS_PT, payload=b""):
    """A minimal RTP header (V=2, no padding/extension/CSRC) + payload."""
    return struct.pack("!BBHII", 0x80, pt & 0x7F, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


def parse_rtp(data):
    b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    assert b0 >> 6 == 2
    cc = b0 & 0x0F
    off = 12 + 4 * cc
    if b0 & 0x10:   # header extension
        _, words = struct.unpack("!HH", data[off:off + 4])
        off += 4 + 4 * words
    end = len(data) - (data[-1] if b0 & 0x20 else 0)
    return {"pt": b1 & 0x7F, "seq": seq, "ts": ts, "ssrc": ssrc, "payload": data[off:end]}


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOOPBACK, 0))
    s.settimeout(0.05)
    return s


def recv_rtp(sock, count, timeout=3.0):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        try:
            data, _ = sock.recvfrom(2048)
        except socket.timeout:
            continue
        got.append(parse_rtp(data))
    return got


def send_and_collect(sock, pub, first_seq, n=5, timeout=3.0):
    """Send n RTP packets to the remote publisher from `sock` and collect the forwarded ones.

    The forward may need a moment before Janus relays (first packets are not
    lost here, but re-send until everything arrived to stay robust)."""
    payloads = [b"opus-frame-%d" % (first_seq + i) for i in range(n)]
    for i, p in enumerate(payloads):
        sock.sendto(rtp_packet(first_seq + i, 960 * (first_seq + i), payload=p), (pub.ip, pub.port))
    return payloads, recv_rtp(sock, n, timeout)


def proc_sockets(pid):
    """[(proto, ip, port, state)] of the sockets process `pid` holds (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    out = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        path = Path(f"/proc/{pid}/net/{proto}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            f = line.split()
            if f[9] not in inodes:
                continue
            hexip, hexport = f[1].split(":")
            raw = bytes.fromhex(hexip)
            if len(raw) == 4:
                ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
            else:   # four little-endian 32-bit words
                ip = socket.inet_ntop(socket.AF_INET6,
                                      b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            out.append((proto, ip, int(hexport, 16), f[3]))
    return out


def children_named(name):
    """PIDs of our child processes called `name` (zombies included)."""
    me = os.getpid()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == me and comm == name:
            found.append(int(d))
    return found


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def janus():
    """One Janus for the module's non-destructive tests."""
    if not janus_available():
        pytest.skip(JANUS_MISSING_REASON)
    with JanusServer() as server:
        yield server


@pytest.fixture
def client(janus):
    c = JanusClient(janus.url, request_timeout=5.0)
    c.connect()
    yield c
    c.close()


_room_ids = iter(range(5000, 6000))


@pytest.fixture
def room(client, janus):
    """A fresh room (created with the admin key and a secret), destroyed afterwards."""
    vr = client.videoroom(admin_key=janus.admin_key)
    rid = next(_room_ids)
    assert not vr.exists(rid)
    vr.create(rid, secret=SECRET, publishers=8, audiocodec="opus")
    yield vr, rid
    if client.connected and vr.exists(rid):
        for p in vr.listparticipants(rid):
            if p.get("remote"):
                vr.remove_remote_publisher(rid, p["id"], secret=SECRET)
        vr.destroy(rid, secret=SECRET)


# --------------------------------------------------------------------------- tests
def test_templates_render_loopback_only_videoroom_http(tmp_path):
    """The committed templates (no Janus needed) give a loopback-only, VideoRoom+HTTP config."""
    assert sorted(p.name for p in TEMPLATE_DIR.glob("*.jcfg.in")) == [
        "janus.jcfg.in", "janus.plugin.videoroom.jcfg.in", "janus.transport.http.jcfg.in",
        "janus.transport.websockets.jcfg.in"]
    srv = JanusServer(http_port=18088, admin_key="k-test")
    srv.admin_port = 17088
    conf = srv.render_config(tmp_path / "conf")
    core = (conf / "janus.jcfg").read_text()
    http = (conf / "janus.transport.http.jcfg").read_text()
    vr = (conf / "janus.plugin.videoroom.jcfg").read_text()
    assert 'interface = "127.0.0.1"' in core
    assert 'rtp_port_range = "42000-42999"' in core
    assert "daemonize = false" in core and "broadcast = false" in core
    plugins_disable = core.split("plugins: {")[1].split("}")[0]
    assert "libjanus_videoroom.so" not in plugins_disable and "libjanus_echotest.so" in plugins_disable
    transports_disable = core.split("transports: {")[1].split("}")[0]
    assert "libjanus_http.so" not in transports_disable
    assert "libjanus_websockets.so" in transports_disable
    assert "port = 18088" in http and 'ip = "127.0.0.1"' in http
    assert "admin_http = false" in http and 'admin_ip = "127.0.0.1"' in http
    assert 'admin_key = "k-test"' in vr and "lock_rtp_forward = true" in vr
    with pytest.raises(ValueError):
        JanusServer(host="0.0.0.0")


@needs_janus
def test_server_runs_loopback_only(janus):
    info = janus.server_info
    assert info["version_string"] == "1.1.2"
    assert list(info["plugins"]) == ["janus.plugin.videoroom"]
    assert list(info["transports"]) == ["janus.transport.http"]
    assert not info.get("events")
    assert info["local-ip"] == LOOPBACK
    socks = proc_sockets(janus.pid)
    listening = [s for s in socks if s[0].startswith("tcp") and s[3] == "0A"]
    assert listening == [("tcp", LOOPBACK, janus.http_port, "0A")]
    assert janus.url == f"http://127.0.0.1:{janus.http_port}/janus"
    assert "RTP port range: 42000 -- 42999" in janus.log_path.read_text()


@needs_janus
def test_errors_are_typed(client, janus, room):
    vr, rid = room
    with pytest.raises(JanusPluginError) as e:
        vr.create(rid, secret=SECRET)
    assert e.value.code == ERR_ROOM_EXISTS and isinstance(e.value, AgoraError)
    assert vr.ensure(rid, secret=SECRET) is False
    with pytest.raises(JanusPluginError) as e:   # wrong admin key (lock_rtp_forward)
        vr.rtp_forward(rid, 1, host=LOOPBACK, port=9, ssrc=1, secret=SECRET, admin_key="nope")
    assert e.value.code == ERR_UNAUTHORIZED
    with pytest.raises(JanusPluginError) as e:   # nobody with that id: 428, no retry with wait=0
        vr.rtp_forward(rid, 999, host=LOOPBACK, port=9, ssrc=1, secret=SECRET, wait=0)
    assert e.value.code == ERR_NO_SUCH_FEED and e.value.request == "rtp_forward"
    with pytest.raises(JanusPluginError) as e:
        vr.destroy(rid, secret="wrong")
    assert e.value.code == ERR_UNAUTHORIZED
    with pytest.raises(JanusError) as e:         # core error: unknown handle
        client.request({"janus": "message", "body": {"request": "exists", "room": 1}},
                       handle_id=123456789)
    assert e.value.code == 459 and not isinstance(e.value, JanusPluginError)
    assert client.connected


@needs_janus
def test_publish_forward_and_presence(client, janus, room):
    vr, rid = room
    joined, left = Events(), Events()
    ctl = VideoRoomControl(client, on_publisher_joined=lambda *a: joined.add(*a),
                           on_publisher_left=lambda pid: left.add(pid))
    assert ctl.join(rid) == []      # nobody publishing yet

    sock = udp_socket()             # we send from and receive on the same socket
    pub = vr.add_remote_publisher(rid, id=4242, display="agent", secret=SECRET)
    assert (pub.ip, pub.id) == (LOOPBACK, 4242) and pub.port > 0 and pub.rtcp_port > 0
    assert pub.ssrc(0) == PUB_SSRC
    # Asynchronous registration: forward at once (the helper retries on 428).
    fwd = vr.rtp_forward(rid, pub.id, host=LOOPBACK, port=sock.getsockname()[1], ssrc=FWD_SSRC,
                         pt=OPUS_PT, secret=SECRET)
    assert fwd.ssrc == FWD_SSRC and fwd.pt == OPUS_PT and fwd.stream_id > 0

    entry = vr.wait_for_participant(rid, pub.id, timeout=2.0)
    assert entry["publisher"] is True and entry.get("remote") is True
    assert entry["display"] == "agent"

    payloads, got = send_and_collect(sock, pub, first_seq=100)
    assert len(got) == len(payloads), f"forwarded {len(got)}/{len(payloads)} packets"
    assert {p["ssrc"] for p in got} == {FWD_SSRC}
    assert {p["pt"] for p in got} == {OPUS_PT}
    assert [p["payload"] for p in got] == payloads
    assert [p["seq"] for p in got] == list(range(100, 105))      # sequence numbers kept

    # A packet with any other SSRC is dropped by Janus.
    sock.sendto(rtp_packet(7, 7, ssrc=4321, payload=b"bad"), (pub.ip, pub.port))
    assert recv_rtp(sock, 1, timeout=0.3) == []

    assert joined.wait_for(lambda ev: any(e[0] == pub.id for e in ev), 3.0)
    pid, display, streams = next(e for e in joined.items if e[0] == pub.id)
    assert display == "agent"
    assert streams[0]["type"] == "audio" and streams[0]["mid"] == "0"
    assert streams[0]["codec"] == "opus"

    vr.stop_rtp_forward(fwd, secret=SECRET)
    sock.sendto(rtp_packet(200, 0, payload=b"after-stop"), (pub.ip, pub.port))
    assert recv_rtp(sock, 1, timeout=0.3) == []

    # Leave order: remote publisher first (before any room destroy).
    vr.remove_remote_publisher(rid, pub.id, secret=SECRET)
    assert left.wait_for(lambda ev: pub.id in [e[0] for e in ev], 3.0)
    assert pub.id not in ctl.publishers
    deadline = time.monotonic() + 2
    while any(p["id"] == pub.id for p in vr.listparticipants(rid)):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    ctl.leave()
    sock.close()


@needs_janus
def test_control_reports_existing_publishers_and_room_destroy(client, janus, room):
    vr, rid = room
    pub = vr.add_remote_publisher(rid, id=77, display="early", secret=SECRET, wait=2.0)
    joined, left, destroyed = Events(), Events(), Events()
    ctl = VideoRoomControl(client, on_publisher_joined=lambda *a: joined.add(*a),
                           on_publisher_left=lambda pid: left.add(pid),
                           on_room_destroyed=lambda r: destroyed.add(r))
    existing = ctl.join(rid)
    assert [p["id"] for p in existing] == [pub.id]
    assert joined.wait_for(lambda ev: [e[0] for e in ev] == [pub.id], 3.0)
    vr.remove_remote_publisher(rid, pub.id, secret=SECRET)   # always before destroy (1.1.2 leak)
    assert left.wait_for(lambda ev: [e[0] for e in ev] == [pub.id], 3.0)
    vr.destroy(rid, secret=SECRET)
    assert destroyed.wait_for(lambda ev: ev == [(rid,)], 3.0)
    ctl.leave()


@needs_janus
def test_keepalive_keeps_session(janus):
    threads_before = set(threading.enumerate())
    c = JanusClient(janus.url, keepalive_interval=0.2)
    try:
        c.connect()
        sid = c.session_id
        deadline = time.monotonic() + 5
        while c.keepalives_sent < 3:
            assert time.monotonic() < deadline, "keepalive thread did not run"
            time.sleep(0.05)
        c.keepalive()
        assert c.connected and c.session_id == sid
        assert c.videoroom().exists(1) is False
    finally:
        t0 = time.monotonic()
        c.close()
        assert time.monotonic() - t0 < 1.0, "close() must wake the long poll at once"
    assert set(threading.enumerate()) - threads_before == set(), "client threads left running"
    assert not c.connected
    with pytest.raises(JanusSessionLost):
        c.keepalive()


@needs_janus
def test_kill_mid_session_then_restart_and_recreate():
    lost = Events()
    others = set(children_named("janus"))      # e.g. the module fixture's server
    with JanusServer() as server:
        port_before = server.http_port
        c = JanusClient(server.url, request_timeout=3.0, keepalive_interval=1.0,
                        on_session_lost=lambda reason, err: lost.add(reason, err))
        c.connect()
        vr = c.videoroom(admin_key=server.admin_key)
        vr.create(1, secret=SECRET)
        ctl = VideoRoomControl(c)
        ctl.join(1)
        vr.add_remote_publisher(1, id=5, secret=SECRET, wait=2.0)

        t0 = time.monotonic()
        pid = server.pid
        server.kill()                                   # crash: SIGKILL
        assert lost.wait_for(lambda ev: len(ev) == 1, 5.0), "session loss not reported"
        detect = time.monotonic() - t0
        assert detect < 3.0, f"loss detected after {detect:.3f} s"
        print(f"session loss detected {detect * 1000:.1f} ms after SIGKILL")
        assert not c.connected and c.lost and not ctl.handle.alive
        with pytest.raises(JanusSessionLost):
            vr.exists(1)
        assert not Path(f"/proc/{pid}").exists()
        time.sleep(0.2)
        assert len(lost.items) == 1                     # reported exactly once

        server.restart()
        assert server.running and server.pid != pid
        assert server.http_port == port_before          # same URL after restart
        c.reconnect()
        assert c.connected
        vr = c.videoroom(admin_key=server.admin_key)
        assert not vr.exists(1)                         # Janus forgot everything
        vr.create(1, secret=SECRET)
        pub = vr.add_remote_publisher(1, id=5, secret=SECRET)
        sock = udp_socket()
        fwd = vr.rtp_forward(1, pub.id, host=LOOPBACK, port=sock.getsockname()[1],
                             ssrc=FWD_SSRC + 1, secret=SECRET)
        payloads, got = send_and_collect(sock, pub, first_seq=1)
        assert [p["payload"] for p in got] == payloads
        assert {p["ssrc"] for p in got} == {fwd.ssrc}
        vr.stop_rtp_forward(fwd, secret=SECRET)
        vr.close_room(1, [pub.id], secret=SECRET)       # remove publisher, then destroy
        c.close()
        sock.close()
        assert len(lost.items) == 1                     # a clean close is not a loss
    assert not server.running and set(children_named("janus")) == others


@needs_janus
def test_stop_by_pid_leaves_nothing():
    others = set(children_named("janus"))      # e.g. the module fixture's server
    server = JanusServer(stop_timeout=3.0)
    server.start()
    pid, port = server.pid, server.http_port
    assert set(children_named("janus")) == others | {pid}
    assert server.stop() == 0                           # graceful SIGTERM
    assert not Path(f"/proc/{pid}").exists() and set(children_named("janus")) == others
    with pytest.raises(OSError):
        socket.create_connection((LOOPBACK, port), timeout=0.5).close()
    assert server.stop() is None                        # idempotent

    # A Janus that does not react to SIGTERM (stopped) is SIGKILLed after the timeout.
    server.start()
    pid = server.pid
    os.kill(pid, 19)                                     # SIGSTOP
    t0 = time.monotonic()
    assert server.stop(timeout=0.5) == -9
    assert 0.4 < time.monotonic() - t0 < 3.0
    assert not Path(f"/proc/{pid}").exists() and set(children_named("janus")) == others
    server.close()


@needs_janus
def test_request_timeout_is_typed():
    """A stopped (SIGSTOP) Janus: requests time out with JanusTimeoutError, then it recovers."""
    with JanusServer() as server:
        c = JanusClient(server.url, request_timeout=0.5, keepalive_interval=60)
        c.connect()
        os.kill(server.pid, 19)                          # SIGSTOP: accepts TCP, never answers
        stat = Path(f"/proc/{server.pid}/stat")
        deadline = time.monotonic() + 2                  # the signal is asynchronous
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
            assert time.monotonic() < deadline
            time.sleep(0.005)
        try:
            with pytest.raises((JanusTimeoutError, JanusSessionLost)):
                c.info()
        finally:
            os.kill(server.pid, 18)                      # SIGCONT
        c.close()


@needs_janus
def test_callbacks_may_make_async_requests(client, janus, room):
    """A callback runs on the dispatch thread, so it can wait for an async reply
    (delivered by the long-poll thread) without deadlocking."""
    vr, rid = room
    results = Events()

    def on_joined(pid, display, streams):
        second = VideoRoomControl(client)
        results.add("second-join", [p["id"] for p in second.join(rid)])   # join = ack + event
        second.leave()

    ctl = VideoRoomControl(client, on_publisher_joined=on_joined)
    ctl.join(rid)
    pub = vr.add_remote_publisher(rid, id=31, secret=SECRET)
    assert results.wait_for(lambda ev: len(ev) == 1, 5.0)
    assert results.items == [("second-join", [pub.id])]
    vr.remove_remote_publisher(rid, pub.id, secret=SECRET)
    ctl.leave()


@needs_janus
def test_srtp_forward_is_encrypted(client, janus, room):
    """rtp_forward with srtp_suite/srtp_crypto: header in clear, payload encrypted + auth tag."""
    import base64
    vr, rid = room
    sock = udp_socket()
    pub = vr.add_remote_publisher(rid, id=88, secret=SECRET)
    key = base64.b64encode(bytes(range(30))).decode()       # 16-byte key + 14-byte salt
    fwd = vr.rtp_forward(rid, pub.id, host=LOOPBACK, port=sock.getsockname()[1], ssrc=FWD_SSRC + 2,
                         secret=SECRET, srtp_suite=80, srtp_crypto=key)
    assert fwd.srtp is True
    payload = b"clear-opus-payload"
    got = []
    deadline = time.monotonic() + 3
    while not got and time.monotonic() < deadline:
        sock.sendto(rtp_packet(1, 960, payload=payload), (pub.ip, pub.port))
        try:
            got.append(sock.recvfrom(2048)[0])
        except socket.timeout:
            pass
    assert got, "no SRTP packet forwarded"
    pkt = got[0]
    hdr = parse_rtp(pkt)
    assert hdr["ssrc"] == fwd.ssrc and hdr["pt"] == OPUS_PT
    assert len(pkt) == 12 + len(payload) + 10                 # 80-bit auth tag
    assert payload not in pkt
    with pytest.raises(ValueError):
        vr.rtp_forward(rid, pub.id, host=LOOPBACK, port=9, ssrc=1, srtp_suite=80)
    vr.stop_rtp_forward(fwd, secret=SECRET)
    vr.remove_remote_publisher(rid, pub.id, secret=SECRET)
    sock.close()


def test_templates_render_ice_interfaces_and_websocket(tmp_path):
    """ICE gathering is restricted only when asked; the WebSocket API is loaded only when asked,
    bound to the same loopback address."""
    plain = JanusServer(http_port=18088, admin_key="k-test")
    plain.admin_port = 17088
    conf = plain.render_config(tmp_path / "plain")
    assert "ice_enforce_list" not in (conf / "janus.jcfg").read_text()
    core = (conf / "janus.jcfg").read_text()
    assert "libjanus_websockets.so" in core.split("transports: {")[1].split("}")[0]

    srv = JanusServer(host="127.0.0.2", http_port=18088, admin_key="k-test",
                      ice_interfaces=["agora-web0"], websocket=True)
    srv.admin_port, srv.ws_port = 17088, 18188
    conf = srv.render_config(tmp_path / "ws")
    core = (conf / "janus.jcfg").read_text()
    assert 'ice_enforce_list = "agora-web0"' in core.split("nat: {")[1].split("}")[0]
    assert "libjanus_websockets.so" not in core.split("transports: {")[1].split("}")[0]
    ws = (conf / "janus.transport.websockets.jcfg").read_text()
    assert "ws_port = 18188" in ws and 'ws_ip = "127.0.0.2"' in ws and "admin_ws = false" in ws
    assert srv.ws_url == "ws://127.0.0.2:18188/" and srv.ws_transport_url == "janus+ws://127.0.0.2:18188"
    for bad in ("", "a,b", 'x"y', "has space"):
        with pytest.raises(ValueError, match="ice_interfaces"):
            JanusServer(ice_interfaces=[bad])
