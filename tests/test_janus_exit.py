"""Nobody is left a ghost: an agent that is stopped (SIGTERM, SIGINT, an app's
own handler) leaves Janus cleanly, and one that dies without leaving (SIGKILL)
is reported left by the others and taken out of the room by them.

Agent "alice" runs in a subprocess (a signal needs a process of its own) and
talks to "bob" in this process through a real Janus; Janus itself is asked
(listparticipants) whether alice's publisher is still in the room."""
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from agora_rtc.janus.client import JanusClient
from agora_rtc.janus.link import FORWARD_SSRC_BASE, USER_OFFLINE_DROPPED, USER_OFFLINE_QUIT, janus_id
from conftest import Recorder, tone, wait_until

pytestmark = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)


@pytest.fixture(scope="module")
def janus():
    with JanusServer(websocket=True) as srv:      # the HTTP and the WebSocket API
        yield srv


@pytest.fixture
def janus_api(janus):
    with JanusClient(janus.url) as client:
        yield client.videoroom(admin_key=janus.admin_key)


def listed(vr, channel, uid):
    """Whether Janus lists `uid` in the room of `channel` (False when there is no room)."""
    try:
        return any(p.get("id") == janus_id(uid) for p in vr.listparticipants(janus_id(channel)))
    except ar.AgoraError:
        return False


# The agent of the subprocess: joins, talks (or stays silent), prints "ready",
# then waits to be stopped. argv: url, channel, mode.
ALICE = textwrap.dedent(r'''
    import os, signal, sys, threading, time
    # alice starts as from a terminal, with Python's own SIGINT handler, even when the test
    # run itself was started in the background (a shell starts `cmd &` with SIGINT ignored,
    # which every child inherits; the SDK rightly leaves an ignored SIGINT alone)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np
    import agora_rtc as ar
    url, channel, mode = sys.argv[1:4]
    if mode == "app-handler":
        def on_term(signum, frame):
            print("app-handler-ran", flush=True)
            print("shutdown-finished" if ar.shutdown() else "shutdown-timed-out", flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, on_term)
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url))
    print("sigterm-handler", "sdk" if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
          and getattr(signal.getsignal(signal.SIGTERM), "__module__", "") == "agora_rtc._exit"
          else "app-or-default", flush=True)
    conn = svc.create_rtc_connection(ar.RTCConnConfig())
    connected = threading.Event()
    class Obs(ar.IRTCConnectionObserver):
        def on_connected(self, c, info, reason):
            connected.set()
    conn.register_observer(Obs())
    conn.connect("", channel, "alice")
    assert connected.wait(20)
    conn.publish_audio()
    if mode != "silent":
        t = np.arange(16000 * 60) / 16000.0
        conn.push_audio_pcm_data((8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16), 16000, 1)
    print("ready", flush=True)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("keyboard-interrupt", flush=True)
        raise
''')


RUNNING = []


@pytest.fixture(autouse=True)
def no_alice_left_behind():
    """A failed test must not leave an agent running (it would keep sending to Janus ports)."""
    yield
    while RUNNING:
        proc = RUNNING.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def start_alice(tmp_path, url, channel, mode="talking"):
    script = tmp_path / "alice.py"
    script.write_text(ALICE)
    env = dict(os.environ, SKBUILD_EDITABLE_VERBOSE="0")
    proc = subprocess.Popen([sys.executable, str(script), url, channel, mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    RUNNING.append(proc)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.strip())
        if line.strip() == "ready":
            return proc, lines
    proc.kill()
    out, err = proc.communicate()
    raise AssertionError(f"alice did not get ready: {lines} {out}\n{err}")


def finish(proc, lines):
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"alice did not exit: {lines} {out}\n{err}")
    return lines + out.split(), err


def bob(svc, channel):
    conn = svc.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    conn.register_observer(rec)
    conn.register_audio_frame_observer(rec)
    assert conn.connect("", channel, "bob") == 0
    rec.wait_event("connected", timeout=20)
    assert conn.publish_audio() == 0
    return conn, rec


def left_reasons(rec, uid):
    with rec.cond:
        return [args[1] for name, args in rec.events if name == "left" and args[0] == uid]


def hear_alice(rec):
    rec.wait_event("joined", "alice", timeout=20)
    rec.wait_for(lambda: sum(f.rms > 80 for f in rec.frames.get("alice", [])) >= 20, timeout=20)


@pytest.mark.parametrize("how", ["sigterm", "sigint"])
def test_stopped_agent_leaves_janus_cleanly(janus, janus_api, tmp_path, how):
    url = f"{janus.transport_url}?admin_key={janus.admin_key}"
    channel = f"exit-{how}"
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
        b, rec = bob(svc, channel)
        proc, lines = start_alice(tmp_path, url, channel)
        assert "sigterm-handler sdk" in lines          # installed: the app has none
        hear_alice(rec)                                 # mid-call: alice is talking
        assert listed(janus_api, channel, "alice")
        proc.send_signal(signal.SIGTERM if how == "sigterm" else signal.SIGINT)
        # the clean path (reason QUIT: Janus said alice unpublished), not the timeout (DROPPED)
        rec.wait_for(lambda: left_reasons(rec, "alice"), timeout=10)
        assert left_reasons(rec, "alice") == [USER_OFFLINE_QUIT]
        assert not listed(janus_api, channel, "alice")
        out, err = finish(proc, lines)
        if how == "sigterm":
            assert proc.returncode == -signal.SIGTERM, (proc.returncode, err)   # the default action
        else:
            assert "keyboard-interrupt" in out and "KeyboardInterrupt" in err
        b.release()


def test_app_handler_keeps_running_and_shutdown_leaves(janus, janus_api, tmp_path):
    url = f"{janus.transport_url}?admin_key={janus.admin_key}"
    channel = "exit-app-handler"
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
        b, rec = bob(svc, channel)
        proc, lines = start_alice(tmp_path, url, channel, mode="app-handler")
        assert "sigterm-handler app-or-default" in lines   # the SDK left the app's handler alone
        hear_alice(rec)
        proc.send_signal(signal.SIGTERM)
        rec.wait_for(lambda: left_reasons(rec, "alice"), timeout=10)
        assert left_reasons(rec, "alice") == [USER_OFFLINE_QUIT]
        assert not listed(janus_api, channel, "alice")
        out, err = finish(proc, lines)
        assert proc.returncode == 3, err                     # the app's handler decided the exit
        assert "app-handler-ran" in out and "shutdown-finished" in out
        b.release()


@pytest.mark.parametrize("api", ["http", "ws"])
def test_killed_agent_is_dropped_and_removed_from_janus(janus, janus_api, tmp_path, api):
    timeout = 3
    base = janus.transport_url if api == "http" else janus.ws_transport_url
    url = f"{base}?admin_key={janus.admin_key}&peer_timeout={timeout}"
    channel = f"exit-sigkill-{api}"
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
        b, rec = bob(svc, channel)
        proc, lines = start_alice(tmp_path, url, channel, mode="silent")
        rec.wait_event("joined", "alice", timeout=20)
        # a silent agent is alive: its keepalives reach bob, it is not dropped
        wait_until(lambda: b._rtp_stats()["keepalives_received"] >= 2 * timeout + 2,
                   timeout=30, interval=0.1, what="keepalives from a silent alice")
        assert left_reasons(rec, "alice") == []
        assert rec.frames.get("alice", []) == []           # keepalives are not audio
        assert b._rtp_stats()["lost"] == 0
        proc.kill()                                        # no chance to leave
        proc.communicate()
        rec.wait_for(lambda: left_reasons(rec, "alice"), timeout=30)
        assert left_reasons(rec, "alice") == [USER_OFFLINE_DROPPED]
        wait_until(lambda: not listed(janus_api, channel, "alice"), timeout=10, interval=0.1,
                   what="the dead publisher removed from Janus")
        b.release()


def test_keepalives_do_not_disturb_the_next_talk_spurt(janus):
    url = f"{janus.transport_url}?admin_key={janus.admin_key}"
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
        a, ra = bob(svc, "exit-spurts")      # "bob" is just a name here
        c = svc.create_rtc_connection(ar.RTCConnConfig())
        rc = Recorder()
        c.register_observer(rc)
        c.register_audio_frame_observer(rc)
        assert c.connect("", "exit-spurts", "carol") == 0
        rc.wait_event("connected", timeout=20)
        rc.wait_event("joined", "bob", timeout=20)
        for _ in range(2):
            before = a._rtp_stats()["keepalives_sent"]
            wait_until(lambda: a._rtp_stats()["keepalives_sent"] >= before + 2, timeout=10,
                       interval=0.05, what="keepalives while silent")
            n = len(rc.frames.get("bob", []))
            assert a.push_audio_pcm_data(tone(0.5), 16000, 1) == 0
            rc.wait_for(lambda: sum(f.rms > 80 for f in rc.frames.get("bob", [])[n:]) >= 40, timeout=10)
        stats = c._rtp_stats()
        assert stats["keepalives_received"] >= 4
        assert stats["lost"] == 0 and stats["malformed"] == 0
        a.disconnect()
        assert a._rtp_stats()["byes_sent"] == 1              # RTCP BYE on a clean leave
        rc.wait_event("left", "bob", USER_OFFLINE_QUIT, timeout=10)
        c.release()
        a.release()


def test_rtcp_bye_is_honoured(janus):
    url = f"{janus.transport_url}?admin_key={janus.admin_key}"
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
        a, ra = bob(svc, "exit-bye")
        c = svc.create_rtc_connection(ar.RTCConnConfig())
        rc = Recorder()
        c.register_observer(rc)
        assert c.connect("", "exit-bye", "carol") == 0
        rc.wait_event("connected", timeout=20)
        rc.wait_event("joined", "bob", timeout=20)
        # an RTCP BYE (RR + BYE) naming the SSRC carol receives bob's audio with
        # (the first forward of this connection), sent to carol's socket
        ssrc = FORWARD_SSRC_BASE
        bye = struct.pack("!BBHI", 0x80, 201, 1, 12345) + struct.pack("!BBHI", 0x81, 203, 1, ssrc)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(bye, ("127.0.0.1", c._rtp_stats()["local_port"]))
        rc.wait_event("left", "bob", USER_OFFLINE_QUIT, timeout=10)
        assert c._rtp_stats()["byes_received"] == 1
        c.release()
        a.release()


def test_peer_timeout_is_validated():
    with pytest.raises(ValueError, match="peer_timeout"):
        ar.AgoraService(ar.AgoraServiceConfig(appid="t",
                                              transport_url="janus://127.0.0.1:1?peer_timeout=0.5"))
    with pytest.raises(ValueError, match="peer_timeout"):
        ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url="janus://127.0.0.1:1?peer_timeout=x"))


def test_shutdown_releases_every_service_and_refuses_inside_a_callback():
    errors = []

    class CallsShutdown(Recorder):
        def on_user_joined(self, conn, uid):
            super().on_user_joined(conn, uid)
            try:
                ar.shutdown()
            except ar.InvalidStateError as exc:
                errors.append(exc)

    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="t"))       # the local network
    a = svc.create_rtc_connection(ar.RTCConnConfig())
    b = svc.create_rtc_connection(ar.RTCConnConfig())
    rec = CallsShutdown()
    a.register_observer(rec)
    assert a.connect("", "exit-local", "a") == 0 and b.connect("", "exit-local", "b") == 0
    rec.wait_event("joined", "b", timeout=5)
    wait_until(lambda: errors, timeout=5, what="shutdown from inside a callback")
    assert "observer callback" in str(errors[0])
    assert ar.shutdown(timeout=10) is True
    with pytest.raises(ar.ReleasedError):
        svc.create_rtc_connection(ar.RTCConnConfig())
    with pytest.raises(ar.ReleasedError):
        a.connect("", "exit-local", "a")
    assert ar.shutdown() is True                                   # idempotent
