"""G.711 packets of any length on a call (a=ptime): SIPp (Debian ``sip-tester``) calls the
agent offering 30 ms packets and plays the A-law recording it ships (``g711a.pcap``, 30 ms
packets) at it; the agent must hear the speech in full, and answer in 30 ms packets (20 ms
when the offer's a=ptime is out of range or not a number); its 200 OK's SDP says so
(a=ptime:30, or no a=ptime for the default 20 ms)."""
import os
import shutil
import socket
import struct
import sys
import threading

import numpy as np
import pytest

import agora_rtc as ar
from conftest import join, wait_until
from test_sip_hostile import sipp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from _sipp import call_scenario, free_udp_port  # noqa: E402  (the benchmarks' SIPp call)

SIPP_PCAP = "/usr/share/sip-tester/g711a.pcap"
pytestmark = pytest.mark.skipif(shutil.which("sipp") is None or not os.path.exists(SIPP_PCAP),
                                reason="SIPp (Debian sip-tester, with its g711a.pcap) is not installed")

PACKETS = 100          # the first 3 s of the recording (speech from about 0.3 s on)
PACKET_MS = 30


def first_packets(src, dst, n):
    """A pcap of the first n records of src, as they are (30 ms RTP packets)."""
    with open(src, "rb") as f:
        data = f.read()
    off, out = 24, [data[:24]]
    for _ in range(n):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        out.append(data[off:off + 16 + incl])
        off += 16 + incl
    with open(dst, "wb") as f:
        f.write(b"".join(out))


def answer_sdp(tmp_path) -> str:
    """The SDP of the 200 OK to SIPp's INVITE, from its message trace (-trace_msg)."""
    logs = [f for f in os.listdir(tmp_path) if f.endswith("_messages.log")]
    assert logs, "SIPp wrote no message trace"
    text = open(os.path.join(tmp_path, logs[0]), errors="replace").read()
    head = text.index("SIP/2.0 200 OK")
    invite_answer = text[head:text.index("\n\n", text.index("\nv=0", head))]
    assert "CSeq: 1 INVITE" in invite_answer
    return invite_answer[invite_answer.index("\nv=0") + 1:]


@pytest.mark.parametrize("ptime_line,answer_bytes,answer_ptime", [
    ("a=ptime:30", 240, ["a=ptime:30"]),
    ("a=ptime:100000", 160, []),     # a length we do not send: our default, 20 ms
    ("a=ptime:x30", 160, []),        # not a number: ignored
], ids=["ptime30", "ptime-huge", "ptime-garbage"])
def test_30ms_packets_heard_in_full_and_answered_in_callers_ptime(tmp_path, ptime_line, answer_bytes,
                                                                  answer_ptime):
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="sip-ptime", transport_url="sip://127.0.0.1:0"))
    conn, rec = join(svc, "agent", "bot", vad=ar.AudioVadConfigV2())
    # where the agent's RTP goes (the offer's m= port): read here, packet by packet
    ours = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ours.bind(("127.0.0.1", 0))
    ours.settimeout(0.2)
    packets, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                packets.append(ours.recv(2048))
            except socket.timeout:
                pass
    reader = threading.Thread(target=read, daemon=True)   # never keeps the process alive
    reader.start()
    pcap = str(tmp_path / "first.pcap")
    first_packets(SIPP_PCAP, pcap, PACKETS)
    scenario = tmp_path / "ptime30.xml"
    scenario.write_text(call_scenario("ptime-30", payload_type=8, encoding="PCMA/8000",
                                      media_port=ours.getsockname()[1], sdp_extra=ptime_line,
                                      play_pcap=pcap, pause_ms=PACKETS * PACKET_MS + 2500,
                                      caller="sipp"))
    result = []
    runner = threading.Thread(target=lambda: result.append(sipp(
        svc, str(scenario), tmp_path, timeout=40,
        extra=("-mi", "127.0.0.1", "-mp", str(free_udp_port()), "-trace_msg"))), daemon=True)
    runner.start()
    try:
        rec.wait_event("joined", "sipp", timeout=20)
        assert conn.phone.call.codec == "PCMA"
        # the answer: 1 s of a tone, sent in the caller's packet length
        t = np.arange(16000) / 16000
        assert conn.push_audio_pcm_data((np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16)
                                        .tobytes(), 16000, 1) == 0
        rec.wait_event("left", "sipp", timeout=40)
        runner.join(timeout=40)
        assert result == [0]
    finally:
        stop.set()
        reader.join()
        ours.close()
        runner.join(timeout=60)
    # the 200 OK's SDP announces the packet length we send (a=ptime:30), none for 20 ms
    assert [ln.strip() for ln in answer_sdp(tmp_path).splitlines()
            if ln.startswith("a=ptime")] == answer_ptime
    # heard: every 30 ms packet decoded (no decode error), the speech in full
    stats = conn._rtp_stats()
    assert stats["decode_errors"] == 0
    heard_ms = PACKETS * PACKET_MS
    # 20 ms pieces of the 3 s (generous: a loaded machine may start the stream late)
    assert stats["frames_decoded"] >= 0.6 * heard_ms / 20
    pcm = np.frombuffer(rec.pcm("sipp"), np.int16).astype(np.float64)
    assert pcm.size >= 0.6 * heard_ms * 16                       # at the observer's 16 kHz
    frames = pcm[:pcm.size // 160 * 160].reshape(-1, 160)
    loud = np.sqrt(np.mean(frames ** 2, axis=1)) > 300
    assert loud.sum() * 10 >= 1000                               # >= 1 s of speech, not silence
    with rec.cond:
        states = [s for s, _ in rec.vad.get("sipp", [])]
    assert 1 in states                                           # VAD heard speech start
    # answered: PCMA, in the caller's ptime if we send it (30 ms: 240 bytes, timestamp
    # +240), else 20 ms, per packet (keepalives aside: padding only)
    audio = [p for p in packets if len(p) > 12 and p[1] & 0x7F == 8 and not p[0] & 0x20]
    assert len(audio) >= 25
    assert {len(p) - 12 for p in audio} == {answer_bytes}
    # within a round (a packet without the marker) the timestamp steps by 240
    steps = [(struct.unpack_from("!I", b, 4)[0] - struct.unpack_from("!I", a, 4)[0]) & 0xFFFFFFFF
             for a, b in zip(audio, audio[1:]) if not b[1] & 0x80]
    assert len(steps) >= 20 and set(steps) == {answer_bytes}
    conn.release()
    svc.release()
