"""Many phone calls at once on one sip:// service, placed by SIPp (Debian sip-tester,
started here on loopback, stopped by PID): releasing the connections with their calls
up ends every call at once, and the end of a call is never lost when the SIP agent's
events pile up faster than the application takes them."""
import os
import shutil
import signal
import subprocess
import sys
import threading

import pytest

import agora_rtc as ar
from conftest import Recorder, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from _sipp import call_scenario  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("sipp") is None, reason="SIPp (Debian sip-tester) is not installed")


@pytest.fixture
def sip_service():
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="sip-many", transport_url="sip://127.0.0.1:0"))
    yield svc
    svc.release()


@pytest.fixture
def sipp(tmp_path):
    """start(port, n, pause_ms): SIPp places n calls to channels ch0..ch<n-1>, each
    held pause_ms before its BYE; stopped by PID at the end."""
    procs = []

    def start(port, n, pause_ms, name="calls"):
        run_dir = tmp_path / name
        run_dir.mkdir()
        (run_dir / "channels.csv").write_text("SEQUENTIAL\n" + "".join(f"ch{i}\n" for i in range(n)))
        (run_dir / "call.xml").write_text(
            call_scenario(name, callee="[field0]", payload_type=0, encoding="PCMU/8000", pause_ms=pause_ms))
        proc = subprocess.Popen(["sipp", f"127.0.0.1:{port}", "-sf", "call.xml", "-inf", "channels.csv",
                                 "-i", "127.0.0.1", "-p", "0", "-m", str(n), "-l", str(n), "-r", "50",
                                 "-nostdin", "-timeout", "60s"],
                                cwd=run_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        return proc
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def agents(svc, n):
    out = []
    for i in range(n):
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        rec = Recorder()
        conn.register_observer(rec)
        assert conn.connect("", f"ch{i}", "bot") == 0
        out.append((conn, rec))
    return out


def test_releasing_connections_with_calls_up_ends_every_call_at_once(sip_service, sipp):
    n = 30
    lines = agents(sip_service, n)
    sipp(sip_service.sip.port, n, pause_ms=60000)
    wait_until(lambda: all(c.phone.call is not None and c.phone.call.state == "up" for c, _ in lines),
               timeout=60, what="every call up")
    for conn, rec in lines:
        rec.wait_event("joined", timeout=20)
    ended = []
    for i, (conn, rec) in enumerate(lines):
        line = conn.phone
        call = line.call
        line.on_call_ended = ended.append
        if i % 2:
            conn.release()        # every observer goes with it
        else:
            conn.disconnect()     # the observers stay: on_user_left(caller) comes
        # over when release / disconnect returns: nothing waited for the SIP agent's CLOSED event
        assert call.state == "ended" and call.reason == "hung up"
    assert len(ended) == n
    for conn, rec in lines[::2]:
        rec.wait_event("left", timeout=20)
        conn.release()
    wait_until(lambda: sip_service.sip.stats()["calls"] == 0, timeout=20, what="the SIP agent's calls gone")


def test_the_end_of_a_call_is_not_lost_while_the_application_lags(sip_service, sipp):
    """The call filters run one at a time on the endpoint's thread. Calls 0..149 are
    answered; the filter of call 150 blocks while calls 151..299 ring and calls 0..149
    hang up: 149 INCOMING + 150 CLOSED events wait, more than the agent's bounded queue
    of 256. The INCOMING ones may be turned away (503) beyond it; every CLOSED event
    must still reach its line, so no call stays up for ever."""
    n, blocker = 300, 150
    gate = threading.Event()
    lines = agents(sip_service, n)
    lines[blocker][0].phone.call_filter = lambda call: gate.wait(60)
    sipp(sip_service.sip.port, n, pause_ms=3000)
    # calls 0..149 over in the agent, call 150 and those behind it ringing
    wait_until(lambda: (lambda st: st["invites"] >= n and st["calls"] <= n - blocker)(sip_service.sip.stats()),
               timeout=60, what="the first calls hung up while the filter blocks")
    gate.set()
    wait_until(lambda: sip_service.sip.stats()["calls"] == 0, timeout=60, what="the SIP agent's calls gone")
    wait_until(lambda: all(c.phone.call is None or c.phone.call.state == "ended" for c, _ in lines),
               timeout=60, what="every line's call ended")
    assert all(c.phone.call is not None and c.phone.call.reason == "BYE" for c, _ in lines[:blocker])
    for conn, _ in lines:
        conn.release()
