"""Control-plane liveness: a Janus that stops answering (frozen with SIGSTOP:
its sockets stay open, nothing is reset) is reported within a few seconds on
both transports, and its return is reported when it answers again (SIGCONT),
with the session kept and audio flowing again. Real Janus 1.1.2 (loopback,
started here, signalled and stopped by PID)."""
import os
import signal
import socket
import threading
import time
import wave
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.janus import (JANUS_MISSING_REASON, JanusClient, JanusServer, JanusSessionLost,
                             JanusTimeoutError, JanusWsClient, janus_available, liveness)
from agora_rtc.janus.websocket import WebSocket, WebSocketClosed
from conftest import Recorder

needs_janus = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)
ASSETS = os.path.join(os.path.dirname(__file__), "..", "examples", "assets")
TRANSPORTS = ["http", "ws"]
REPORT_TIMEOUT = 8.0   # the wanted bound is 3 s (stall_timeout 2 s); slack for a loaded machine
RECONNECTING = ar.ConnectionState.CONNECTION_STATE_RECONNECTING
CONNECTED = ar.ConnectionState.CONNECTION_STATE_CONNECTED
KEEP_ALIVE_TIMEOUT = ar.ConnectionChangedReasonType.CONNECTION_CHANGED_KEEP_ALIVE_TIMEOUT


@pytest.fixture(scope="module")
def janus():
    if not janus_available():
        pytest.skip(JANUS_MISSING_REASON)
    with JanusServer(websocket=True) as server:
        yield server


def _state(pid):
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


@contextmanager
def frozen(server):
    """SIGSTOP Janus for the block (waits until the kernel stopped it); SIGCONT after."""
    os.kill(server.pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + 5
        while _state(server.pid) != "T":             # the signal is asynchronous
            assert time.monotonic() < deadline, "Janus did not stop"
            time.sleep(0.005)
        yield
    finally:
        os.kill(server.pid, signal.SIGCONT)


def _client(janus, transport, **kw):
    return JanusWsClient(janus.ws_url, **kw) if transport == "ws" else JanusClient(janus.url, **kw)


class Reports:
    def __init__(self):
        self.items = []
        self.cond = threading.Condition()

    def add(self, *item):
        with self.cond:
            self.items.append(item)
            self.cond.notify_all()

    def wait(self, kind, timeout):
        with self.cond:
            return self.cond.wait_for(lambda: any(i[0] == kind for i in self.items), timeout)

    def kinds(self):
        with self.cond:
            return [i[0] for i in self.items]


def _watched_client(janus, transport, reports, **kw):
    return _client(janus, transport,
                   on_stalled=lambda reason: reports.add("stalled", reason),
                   on_resumed=lambda seconds: reports.add("resumed", seconds),
                   on_session_lost=lambda reason, err: reports.add("lost", reason), **kw)


# --------------------------------------------------------------------------- clients
@needs_janus
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_client_reports_a_frozen_janus_and_its_return(janus, transport):
    """Two clients of one server share one prober; a freeze longer than the request
    timeout (keepalives time out meanwhile) is a stall, not a lost session."""
    reports = [Reports(), Reports()]
    clients = [_watched_client(janus, transport, r, request_timeout=1.0, keepalive_interval=0.3)
               for r in reports]
    third = _client(janus, transport, request_timeout=10.0)
    try:
        for c in clients + [third]:
            c.connect()
        key_probers = [p for p in liveness.active_probers() if p.key[3] in (janus.http_port, janus.ws_port)]
        assert len(key_probers) == 1 and key_probers[0].running      # one per server, not per client
        assert [t.name for t in threading.enumerate()].count(key_probers[0]._thread.name) == 1
        assert not any(c.stalled for c in clients)
        with frozen(janus):
            for r, c in zip(reports, clients):
                assert r.wait("stalled", REPORT_TIMEOUT), f"stall not reported: {r.items}"
                assert c.stalled and c.connected
            # keepalives (every 0.3 s, 1 s timeout) fail meanwhile: still not lost
            deadline = time.monotonic() + 2.5
            while time.monotonic() < deadline:
                assert not any(c.lost for c in clients)
                time.sleep(0.05)
            # requests do not wait for a frozen server: not sent, typed error
            with pytest.raises(JanusTimeoutError, match="not sent"):
                clients[0].attach()
            # nor does closing: a third client leaves while Janus is still frozen
            closer = threading.Thread(target=third.close, daemon=True)
            closer.start()
            closer.join(REPORT_TIMEOUT)
            assert not closer.is_alive() and not third.connected
        for r, c in zip(reports, clients):
            assert r.wait("resumed", 15), f"return not reported: {r.items}"
            assert r.kinds() == ["stalled", "resumed"]                 # once each, no loss
            assert c.connected and not c.stalled
            c.keepalive(timeout=5)                                      # the same session works
            c.attach().detach()
    finally:
        for c in clients + [third]:
            c.close()
    assert not [p for p in liveness.active_probers() if p.key[3] in (janus.http_port, janus.ws_port)]


@needs_janus
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_frozen_then_killed_janus_is_a_lost_session(transport):
    with JanusServer(websocket=True) as server:
        reports = Reports()
        c = _watched_client(server, transport, reports)
        c.connect()
        try:
            with frozen(server):
                assert reports.wait("stalled", REPORT_TIMEOUT)
                os.kill(server.pid, signal.SIGKILL)                   # dies while stopped
                assert reports.wait("lost", 10), reports.items
            assert c.lost and not c.stalled and "resumed" not in reports.kinds()
            with pytest.raises(JanusSessionLost):
                c.keepalive(timeout=2)
        finally:
            c.close()


def test_liveness_parameters_are_checked():
    with pytest.raises(ValueError, match="probe_interval < stall_timeout"):
        JanusClient("http://127.0.0.1:8088/janus", probe_interval=2.0, stall_timeout=1.0)
    with pytest.raises(ValueError, match="probe_interval < stall_timeout"):
        JanusWsClient("ws://127.0.0.1:8188", probe_interval=0)
    JanusClient("http://127.0.0.1:8088/janus", probe_interval=5.0, stall_timeout=None)   # off


def test_websocket_wait_readable():
    """wait_readable: True once recv will return (a message, or the end of the
    connection), never taking a message away from recv."""
    from websockets.sync.server import serve

    peer, ready, release = [], threading.Event(), threading.Event()

    def handler(conn):
        peer.append(conn)
        ready.set()
        release.wait(10)   # then the server closes the connection

    with serve(handler, "127.0.0.1", 0) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ws = WebSocket.connect("127.0.0.1", server.socket.getsockname()[1], "/")
        try:
            assert ready.wait(5)
            assert not ws.wait_readable(0.05)            # nothing was sent
            peer[0].send("hello")
            peer[0].send("hi")
            assert ws.wait_readable(5.0)
            assert ws.wait_readable(0)                   # still there: recv has not taken it
            assert ws.recv() == "hello"
            assert ws.wait_readable(5.0)
            assert ws.recv() == "hi"
            assert not ws.wait_readable(0.05)
            release.set()
            assert ws.wait_readable(5.0)                 # the end is readable: recv raises, never blocks
            with pytest.raises(WebSocketClosed, match="1000"):
                ws.recv()
            assert ws.closed
        finally:
            release.set()
            ws.close()
        server.shutdown()


# --------------------------------------------------------------------------- agents
def _speech():
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def _transport_url(janus, transport):
    base = janus.ws_transport_url if transport == "ws" else janus.transport_url
    return f"{base}?admin_key={janus.admin_key}"


def _events(rec, name):
    with rec.cond:
        return [e[1] for e in rec.events if e[0] == name]


@needs_janus
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_agents_hear_a_frozen_janus_and_talk_again_after(janus, transport):
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=_transport_url(janus, transport))) as svc:
        (a, ra), (b, rb), (c, rc) = (_member(svc, f"freeze-{transport}", uid)
                                     for uid in ("alice", "bob", "carol"))
        rb.wait_event("joined", "alice", timeout=20)
        ra.wait_event("joined", "bob", timeout=20)

        with frozen(janus):
            rc.wait_event("lost", timeout=REPORT_TIMEOUT)
            # leaving does not wait for the frozen server (nothing is sent to it)
            leaving = threading.Thread(target=c.disconnect, daemon=True)
            leaving.start()
            leaving.join(REPORT_TIMEOUT)
            assert not leaving.is_alive(), "disconnect waited for the frozen Janus"
            rc.wait_event("disconnected", timeout=REPORT_TIMEOUT)
            for rec in (ra, rb):
                rec.wait_event("lost", timeout=REPORT_TIMEOUT)
                rec.wait_event("reconnecting", timeout=REPORT_TIMEOUT)
                assert _events(rec, "lost")[0][0].state == RECONNECTING
                info, reason = _events(rec, "reconnecting")[0]
                assert info.state == RECONNECTING and reason == KEEP_ALIVE_TIMEOUT
                assert "reconnected" not in rec.names()
        for rec in (ra, rb):
            rec.wait_event("reconnected", timeout=20)
            assert _events(rec, "reconnected")[0][0].state == CONNECTED
        # the session was kept: nobody left, and audio flows both ways again
        assert "left" not in ra.names() + rb.names()
        before_b, before_a = len(rb.frames.get("alice", [])), len(ra.frames.get("bob", []))
        assert a.push_audio_pcm_data(_speech(), 16000, 1) == 0
        assert b.push_audio_pcm_data(_speech(), 16000, 1) == 0
        rb.wait_for(lambda: sum(f.rms > 80 for f in rb.frames.get("alice", [])[before_b:]) > 50, timeout=30)
        ra.wait_for(lambda: sum(f.rms > 80 for f in ra.frames.get("bob", [])[before_a:]) > 50, timeout=30)
        b.disconnect()
        ra.wait_event("left", "bob", timeout=20)                     # presence events flow again


# --------------------------------------------------------------------------- a session Janus drops
class TcpRelay:
    """Loopback TCP relay to a port; `cut` closes every connection it carries
    (Janus destroys a session whose WebSocket closed, and keeps its room)."""

    def __init__(self, target_port):
        self.target = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.socks = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                down, _ = self.listener.accept()
                up = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            with self.lock:
                self.socks += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.listener.close()
        self.cut()


def _member(svc, channel, uid):
    conn = svc.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    conn.register_audio_frame_observer(rec)
    assert conn.connect("", channel, uid) == 0
    rec.wait_event("connected", timeout=20)
    assert conn.publish_audio() == 0
    return conn, rec


@needs_janus
def test_session_dropped_by_a_running_janus_is_rebuilt_in_the_room_it_left(janus):
    """Alice's WebSocket (through a relay) is cut: Janus destroys her session but keeps
    the room, her remote publisher and Bob's forward to her socket. Her rebuilt session
    replaces that publisher (its id is hers) and stops that forward, and they talk again."""
    from agora_rtc.janus.link import janus_id
    relay = TcpRelay(janus.ws_port)
    channel = "dropped-session"
    try:
        with ar.AgoraService(ar.AgoraServiceConfig(
                appid="t", transport_url=f"janus+ws://127.0.0.1:{relay.port}?admin_key={janus.admin_key}")) as svc_a, \
                ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=_transport_url(janus, "http"))) as svc_b:
            a, ra = _member(svc_a, channel, "alice")
            b, rb = _member(svc_b, channel, "bob")
            rb.wait_event("joined", "alice", timeout=20)
            ra.wait_event("joined", "bob", timeout=20)

            relay.cut()
            ra.wait_event("lost", timeout=REPORT_TIMEOUT)
            ra.wait_event("reconnected", timeout=30)

            with JanusClient(janus.url) as c:
                vr = c.videoroom(admin_key=janus.admin_key)
                room = janus_id(channel)
                publishers = [p for p in vr.listparticipants(room) if p.get("display") in ("alice", "bob")]
                assert sorted(p["display"] for p in publishers) == ["alice", "bob"]   # no ghost
                forwards = {p["publisher_id"]: p for p in vr.listforwarders(room)}
                bob_id = next(p["id"] for p in publishers if p["display"] == "bob")
                bob_audio = [f for f in forwards[bob_id]["forwarders"] if f.get("type") == "audio"]
                assert len(bob_audio) == 1, bob_audio            # the old forward to alice is stopped
                bob_data = [f for f in forwards[bob_id]["forwarders"] if f.get("type") == "data"]
                assert len(bob_data) == 1, bob_data              # and the old one of his messages

            before_b, before_a = len(rb.frames.get("alice", [])), len(ra.frames.get("bob", []))
            assert a.push_audio_pcm_data(_speech(), 16000, 1) == 0
            assert b.push_audio_pcm_data(_speech(), 16000, 1) == 0
            rb.wait_for(lambda: sum(f.rms > 80 for f in rb.frames.get("alice", [])[before_b:]) > 50, timeout=30)
            ra.wait_for(lambda: sum(f.rms > 80 for f in ra.frames.get("bob", [])[before_a:]) > 50, timeout=30)
            # bob's messages reach alice once (the dropped session's data forward is gone)
            assert b.send_stream_message("after the rebuild") == 0
            assert b.send_stream_message("and again") == 0

            def messages():
                return [e[1][1] for e in ra.events if e[0] == "message" and e[1][0] == "bob"]
            ra.wait_for(lambda: len(messages()) >= 2, timeout=20)
            time.sleep(0.3)
            assert [bytes(m) for m in messages()] == [b"after the rebuild", b"and again"]
    finally:
        relay.close()


@needs_janus
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_keepalive_follows_a_short_session_timeout(transport):
    """A Janus that drops sessions idle for 3 s keeps ours: the keepalive interval
    comes from its session-timeout (25 s would lose the session every time)."""
    with JanusServer(websocket=True, session_timeout=3) as server:
        reports = Reports()
        c = _watched_client(server, transport, reports)
        assert c.keepalive_interval == 25.0
        c.connect()
        try:
            sid = c.session_id
            ka0 = c.keepalives_sent
            deadline = time.monotonic() + 6                     # twice the session timeout
            while time.monotonic() < deadline:
                assert not reports.wait("lost", 0.1), reports.items
            assert c.connected and c.session_id == sid and c.keepalives_sent > ka0
            assert c.keepalive_interval == 1.0                  # a third of 3 s
        finally:
            c.close()
