"""Protocol edges and hostile SIP against the agent's SIP user agent: SIPp (Debian
``sip-tester``) scenarios (tests/sipp/ and the INVITEs built below) and raw datagrams.
Each must get a clear answer or be dropped, never crash the process or leave a call
stuck; after each, the agent still answers OPTIONS and has no call left."""
import os
import shutil
import socket
import subprocess

import pytest

import agora_rtc as ar
from conftest import join, wait_until

SIPP = shutil.which("sipp")
pytestmark = pytest.mark.skipif(SIPP is None, reason="SIPp (Debian sip-tester) is not installed")
SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sipp")

INVITE = """<?xml version="1.0" encoding="UTF-8"?>
<scenario name="invite-{name}">
  <send retrans="500">
    <![CDATA[
      INVITE sip:agent@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:agent@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
{headers}      Content-Length: [len]

{body}
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="{status}"/>
  <send>
    <![CDATA[
      ACK sip:agent@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch-4]
      From: <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag[call_number]
      To: <sip:agent@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""

SDP_UNKNOWN_CODECS = """v=0
o=- 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [local_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 96 97
a=rtpmap:96 FANCY/16000
a=rtpmap:97 iLBC/8000"""

SDP_GARBAGE = """v=0
this is not SDP at all
m=audio notaport RTP/AVP zero
c=IN IP9 ::::"""

SDP_NO_ADDRESS = """v=0
o=- 1 1 IN IP4 [local_ip]
s=-
t=0 0
m=audio [auto_media_port] RTP/AVP 0"""


def invite(name, status, body="", content_type="application/sdp", extra=""):
    headers = (f"      Content-Type: {content_type}\n" if body else "") + extra
    return INVITE.format(name=name, status=status, body=body, headers=headers)


@pytest.fixture
def agent():
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="sip-hostile", transport_url="sip://127.0.0.1:0"))
    conn, rec = join(svc, "agent", "bot", record=False)
    yield svc, conn, rec
    conn.release()
    svc.release()


def sipp(svc, scenario_path, tmp_path, *, calls=1, rate=10, service="agent", timeout=30, extra=()):
    """Run SIPp against the agent; returns its exit code (0: every call went as scripted).
    ``extra``: more SIPp arguments (e.g. its media address for play_pcap_audio)."""
    cmd = [SIPP, f"127.0.0.1:{svc.sip.port}", "-sf", scenario_path, "-i", "127.0.0.1", "-p", "0",
           "-m", str(calls), "-r", str(rate), "-s", service, "-nostdin", "-timeout", f"{timeout}s",
           "-timeout_error", "-recv_timeout", "10s", "-trace_err", *extra]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = proc.communicate(timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode != 0:
        logs = [f for f in os.listdir(tmp_path) if f.endswith("_errors.log")]
        text = "".join(open(os.path.join(tmp_path, f)).read()[-2000:] for f in logs)
        print(err.decode(errors="replace")[-2000:], text)
    return proc.returncode


def write(tmp_path, name, text):
    path = tmp_path / f"{name}.xml"
    path.write_text(text)
    return str(path)


def rss_kb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def still_fine(svc, tmp_path):
    assert sipp(svc, os.path.join(SCENARIOS, "options.xml"), tmp_path) == 0
    wait_until(lambda: svc.sip.stats()["calls"] == 0, timeout=10, what="no call left")


def test_options_keepalive(agent, tmp_path):
    svc, _, _ = agent
    before = svc.sip.stats()["options"]
    still_fine(svc, tmp_path)
    assert svc.sip.stats()["options"] == before + 1


@pytest.mark.parametrize("name,body", [
    ("no-offer", ""),
    ("unknown-codecs", SDP_UNKNOWN_CODECS),
    ("garbage-sdp", SDP_GARBAGE),
    ("no-address", SDP_NO_ADDRESS),
])
def test_unusable_offers_get_488(agent, tmp_path, name, body):
    svc, conn, rec = agent
    before = svc.sip.stats()["rejected_offers"]
    assert sipp(svc, write(tmp_path, name, invite(name, 488, body)), tmp_path) == 0
    assert svc.sip.stats()["rejected_offers"] == before + 1
    assert "joined" not in rec.names()
    still_fine(svc, tmp_path)


def test_caller_cancels_while_ringing(agent, tmp_path):
    svc, conn, rec = agent
    ended = []
    conn.phone.on_call_ended = ended.append
    # the application takes its time: the caller gives up first
    import threading
    release = threading.Event()
    conn.phone.call_filter = lambda call: release.wait(10) and False
    code = sipp(svc, os.path.join(SCENARIOS, "cancel.xml"), tmp_path)
    release.set()
    assert code == 0
    still_fine(svc, tmp_path)
    assert "joined" not in rec.names()


def test_reinvite_changes_codec(agent, tmp_path):
    """A re-INVITE moving the call from PCMU to PCMA: answered in PCMA, and the line's
    media follows (the caller stays in the channel: no leave, no second join)."""
    import threading
    svc, conn, rec = agent
    codecs = []
    conn.phone.on_call_ended = lambda call: codecs.append(call.codec)
    result = []
    runner = threading.Thread(target=lambda: result.append(
        sipp(svc, os.path.join(SCENARIOS, "reinvite_codec.xml"), tmp_path)), daemon=True)
    runner.start()
    runner.join(timeout=60)
    assert result == [0]
    wait_until(lambda: codecs, timeout=10, what="the call's end")
    assert codecs == ["PCMA"]
    assert [e[0] for e in rec.events].count("joined") == 1
    still_fine(svc, tmp_path)


def test_huge_header_and_flood(agent, tmp_path):
    svc, conn, rec = agent
    huge = "      Subject: " + "x" * 30000 + "\n"
    # a 30 kB header: answered (488: no offer) or dropped by the parser, never a crash
    sipp(svc, write(tmp_path, "huge", invite("huge", 488, "", extra=huge)), tmp_path, timeout=15)
    still_fine(svc, tmp_path)
    # a flood of 400 INVITEs at 200/s for a channel nobody is in: each answered 404
    flood = invite("flood", 404, SDP_UNKNOWN_CODECS.replace("96 97", "0").replace(
        "a=rtpmap:96 FANCY/16000\na=rtpmap:97 iLBC/8000", "a=rtpmap:0 PCMU/8000"))
    flood = flood.replace("sip:agent@", "sip:[service]@")
    path = write(tmp_path, "flood", flood)
    assert sipp(svc, path, tmp_path, calls=400, rate=200, service="nobody", timeout=60) == 0
    assert svc.sip.stats()["invites"] >= 400
    still_fine(svc, tmp_path)
    # a second, larger flood leaves no trace: no call, no memory kept per rejected INVITE
    rss = rss_kb()
    assert sipp(svc, path, tmp_path, calls=1000, rate=300, service="nobody", timeout=90) == 0
    still_fine(svc, tmp_path)
    if "libasan" not in os.environ.get("LD_PRELOAD", ""):   # ASan's quarantine keeps freed memory
        assert rss_kb() - rss < 16 * 1024, (rss, rss_kb())


def test_malformed_datagrams(agent, tmp_path):
    """Raw datagrams no SIP stack should accept: missing mandatory headers, a bad
    request line, binary junk, an empty datagram, a Content-Length past the end."""
    svc, conn, rec = agent
    head = ("INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK{n}\r\n"
            "Max-Forwards: 70\r\n")
    msgs = [
        (head + "To: <sip:agent@127.0.0.1>\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"),  # no From, Call-ID
        (head + "From: <sip:x@y>;tag=1\r\nTo: <sip:agent@127.0.0.1>\r\nCall-ID: a\r\n"
         "CSeq: banana\r\nContent-Length: 0\r\n\r\n"),
        (head + "From: <sip:x@y>;tag=1\r\nTo: <sip:agent@127.0.0.1>\r\nCall-ID: b\r\n"
         "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 5000\r\n\r\nv=0\r\n"),
        "NOT A SIP MESSAGE\r\n\r\n",
        "INVITE\r\n\r\n",
        "",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for m in msgs:
            s.sendto(m.encode(), ("127.0.0.1", svc.sip.port))
        s.sendto(os.urandom(1400), ("127.0.0.1", svc.sip.port))
    still_fine(svc, tmp_path)
    assert "joined" not in rec.names()
