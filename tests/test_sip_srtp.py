"""SRTP on phone calls with SDES keys (RFC 4568 a=crypto): the transport URL's ``srtp=``
(off / optional / mandatory). baresip (Debian, its srtp module) calls the agent and is
called by it with ``mediaenc=srtp-mand`` (RTP/SAVP: it takes SRTP only, a plain packet
fails its authentication and is dropped), so its recording holds the agent's answer only
when what the agent sends is SRTP; the agent hears the caller only by decrypting it.
Refusals: a mandatory side against a plain one is a 488."""
import base64
import os
import shutil
import socket
import struct
import sys
import threading
import time

import numpy as np
import pytest

import agora_rtc as ar
from conftest import join, wait_until
from baresip_phone import BARESIP, BaresipPhone, read_wav, write_wav, phones  # noqa: F401 (the fixture)
from test_sip import (ANSWER_HZ, VAD_START, VAD_STOP, assert_heard_answer, dominant_hz, question,  # noqa: F401
                      talk_to_callee_and_hang_up, tone, vad_states)
from test_sip_hostile import SCENARIOS, sipp, still_fine

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from _sipp import call_scenario, free_udp_port  # noqa: E402  (the benchmarks' SIPp call)

needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="SIPp (Debian sip-tester) is not installed")

pytestmark = pytest.mark.skipif(BARESIP is None or not os.path.exists("/usr/lib/baresip/modules/srtp.so"),
                                reason="baresip with its srtp module (Debian) is not installed")


def service(srtp):
    return ar.AgoraService(ar.AgoraServiceConfig(
        appid="sip-srtp", transport_url=f"sip://127.0.0.1:0?dial=allow&srtp={srtp}"))


@pytest.mark.parametrize("srtp,mediaenc", [("mandatory", "srtp-mand"), ("optional", "srtp-mand"),
                                           ("mandatory", "srtp")])
def test_srtp_caller_heard_and_answered(phones, question, srtp, mediaenc):
    """mediaenc=srtp: baresip offers its keys in RTP/AVP (best-effort SDES), taken as well."""
    svc = service(srtp)
    conn, rec = join(svc, "agent", "bot", vad=ar.AudioVadConfigV2())
    phone = phones(source=question, codecs=("PCMU",), mediaenc=mediaenc)
    phone.dial(f"sip:agent@127.0.0.1:{svc.sip.port}")
    rec.wait_event("joined", "phone", timeout=20)
    assert conn.phone.call.srtp.startswith("AES_CM_128_HMAC_SHA1_")
    phone.wait_event("CALL_ESTABLISHED")
    # heard: the caller's speech decrypted (VAD start and stop)
    rec.wait_for(lambda: VAD_STOP in vad_states(rec, "phone"), timeout=20)
    states = vad_states(rec, "phone")
    assert states.index(VAD_START) < states.index(VAD_STOP)
    stats = conn._rtp_stats()
    assert stats["frames_decoded"] > 50 and stats["srtp_errors"] == 0
    # answered: baresip only plays what authenticates under the call's key
    assert conn.push_audio_pcm_data(tone(1.5).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="answer sent")
    time.sleep(0.5)
    phone.hangup()
    rec.wait_event("left", "phone", 0, timeout=15)
    phone.wait_event("CALL_CLOSED")
    assert_heard_answer(phone)
    conn.release()
    svc.release()


def test_srtp_call_dtmf_hold_and_resume(phones, question, tmp_path):
    """Keys pressed both ways travel inside SRTP. The phone's re-INVITEs (hold, resume) keep
    the call's keys: both are answered, and
    the phone's SRTP is still heard after them (baresip's recording stops at a hold, so
    the agent's answer is checked before it)."""
    long_question = str(tmp_path / "long.wav")      # the phone ends its call when its file ends
    q, _ = read_wav(question)
    write_wav(long_question, np.concatenate([q, np.zeros(20 * 8000, np.int16)]))
    svc = service("mandatory")
    conn, rec = join(svc, "agent", "bot")
    phone = phones(source=long_question, codecs=("PCMU",), mediaenc="srtp-mand")
    phone.dial(f"sip:agent@127.0.0.1:{svc.sip.port}")
    rec.wait_event("joined", "phone", timeout=20)
    phone.wait_event("CALL_ESTABLISHED")
    # DTMF (RFC 4733 telephone-events) inside SRTP, both ways
    for key in "1#":
        phone.command("sndcode", key)
    rec.wait_for(lambda: len([e for e in rec.events if e[0] == "dtmf"]) == 2, timeout=10)
    assert [e[1][:2] for e in rec.events if e[0] == "dtmf"] == [("phone", "1"), ("phone", "#")]
    conn.phone.send_dtmf("42", duration_ms=80)
    wait_until(lambda: sum(ev.get("type") == "CALL_DTMF_END" for ev in phone.events) == 2,
               timeout=10, what="keys heard by the phone")
    assert [ev.get("param") for ev in phone.events if ev.get("type") == "CALL_DTMF_START"] == ["4", "2"]
    assert conn.push_audio_pcm_data(tone(1.5).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="answer sent")
    time.sleep(0.5)
    phone.command("hold")
    wait_until(lambda: conn.phone.call.on_hold, timeout=10, what="on hold")
    phone.command("resume")
    wait_until(lambda: not conn.phone.call.on_hold, timeout=10, what="resumed")
    assert conn.phone.call.state == "up"
    heard_before = conn._rtp_stats()["rtp_received"]
    wait_until(lambda: conn._rtp_stats()["rtp_received"] > heard_before + 25, timeout=10,
               what="the phone's audio after resume")
    assert conn._rtp_stats()["srtp_errors"] == 0
    phone.hangup()
    rec.wait_event("left", "phone", 0, timeout=15)
    phone.wait_event("CALL_CLOSED")
    assert_heard_answer(phone)
    assert svc.sip.stats()["rejected_offers"] == 0
    conn.release()
    svc.release()


def test_srtp_outbound_call(phones, question):
    svc = service("mandatory")
    conn, rec = join(svc, "agent", "bot", vad=ar.AudioVadConfigV2())
    callee = phones("callee", source=question, auto_answer=True, codecs=("PCMA",), mediaenc="srtp-mand")
    call = conn.phone.dial(callee.uri)
    talk_to_callee_and_hang_up(conn, rec, callee, call)
    assert call.srtp.startswith("AES_CM_128_HMAC_SHA1_") and call.codec == "PCMA"
    assert conn._rtp_stats()["srtp_errors"] == 0
    conn.release()
    svc.release()


def test_plain_caller_optional_and_mandatory(phones, question):
    """optional: a plain caller gets a plain call; mandatory: it is refused (488), and so is
    an SRTP-only caller by an agent without SRTP (its RTP/SAVP offer)."""
    svc = service("optional")
    conn, rec = join(svc, "agent", "bot")
    phone = phones("plain", source=question, codecs=("PCMU",))
    phone.dial(f"sip:agent@127.0.0.1:{svc.sip.port}")
    rec.wait_event("joined", "plain", timeout=20)
    assert conn.phone.call.srtp == ""
    phone.hangup()
    rec.wait_event("left", "plain", 0, timeout=15)
    conn.release()
    svc.release()
    for agent_srtp, mediaenc in (("mandatory", None), ("off", "srtp-mand")):
        svc = service(agent_srtp)
        conn, rec = join(svc, "agent", "bot")
        phone = phones(f"refused-{agent_srtp}", source=question, codecs=("PCMU",), mediaenc=mediaenc)
        phone.dial(f"sip:agent@127.0.0.1:{svc.sip.port}")
        closed = phone.wait_event("CALL_CLOSED")
        assert "488" in closed.get("param", ""), closed
        assert svc.sip.stats()["rejected_offers"] == 1
        assert conn.phone.call is None
        conn.release()
        svc.release()


GOOD_KEY = base64.b64encode(bytes(range(30))).decode()
BAD_CRYPTO = [      # (profile, a=crypto line): none usable, each answered 488
    ("RTP/SAVP", f"a=crypto:1 F8_128_HMAC_SHA1_80 inline:{GOOD_KEY}"),       # unknown suite
    ("RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAAAAAA"),      # short key
    ("RTP/AVP", f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{GOOD_KEY[:-1]}!"),  # not base64
    ("RTP/AVP", f"a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:{GOOD_KEY}|2^20|1:4"),  # an MKI
    ("RTP/SAVP", ""),                                                         # no key at all
    ("RTP/SAVP", f"a=crypto:99999999999999 AES_CM_128_HMAC_SHA1_80 inline:{GOOD_KEY}"),  # huge tag
    ("RTP/AVP", "a=crypto"),                                                  # no value
    ("RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + "A" * 5000),   # a huge key
]


@needs_sipp
@pytest.mark.parametrize("srtp", ["optional", "mandatory"])
def test_unusable_crypto_gets_488(tmp_path, srtp):
    svc = service(srtp)
    conn, rec = join(svc, "agent", "bot", record=False)
    inf = tmp_path / "crypto.csv"
    inf.write_text("SEQUENTIAL\n" + "".join(f"{proto};{line}\n" for proto, line in BAD_CRYPTO))
    assert sipp(svc, os.path.join(SCENARIOS, "srtp_bad_crypto.xml"), tmp_path, calls=len(BAD_CRYPTO),
                extra=("-inf", str(inf))) == 0
    stats = svc.sip.stats()
    assert stats["rejected_offers"] == len(BAD_CRYPTO) and stats["invites"] == len(BAD_CRYPTO)
    still_fine(svc, tmp_path)            # alive, no call left
    assert "joined" not in rec.names()
    conn.release()
    svc.release()


def rtp_socket_pair():
    """UDP sockets on an even port and the next (RTP, RTCP) on loopback."""
    for _ in range(50):
        rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rtp.bind(("127.0.0.1", 0))
        port = rtp.getsockname()[1]
        rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            rtcp.bind(("127.0.0.1", port + 1))
            return rtp, rtcp
        except OSError:
            rtp.close()
            rtcp.close()
    raise RuntimeError("no free UDP port pair")


@needs_sipp
def test_packets_on_the_wire_are_srtp_and_srtcp(tmp_path):
    """SIPp offers RTP/AVP with an a=crypto line (as baresip's ``srtp`` mode); the agent
    answers with its own key under the offer's tag, and what it sends to the offer's
    address is SRTP (the 80-bit tag after each packet; 1 s of silence pushed is not the
    0xFF bytes of G.711 mu-law silence) and its RTCP is SRTCP (E flag + index + tag)."""
    svc = service("mandatory")
    conn, rec = join(svc, "agent", "bot", record=False)
    rtp, rtcp = rtp_socket_pair()
    got = {"rtp": [], "rtcp": []}
    stop = threading.Event()

    def read(sock, kind):
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                got[kind].append(sock.recv(4096))
            except socket.timeout:
                pass
    readers = [threading.Thread(target=read, args=(s, k), daemon=True) for s, k in ((rtp, "rtp"), (rtcp, "rtcp"))]
    for t in readers:
        t.start()
    scenario = tmp_path / "srtp.xml"
    scenario.write_text(call_scenario("srtp", media_port=rtp.getsockname()[1], pause_ms=4000, caller="sipp",
                                      sdp_extra=f"a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:{GOOD_KEY}"))
    result = []
    runner = threading.Thread(target=lambda: result.append(sipp(
        svc, str(scenario), tmp_path, timeout=30,
        extra=("-mi", "127.0.0.1", "-mp", str(free_udp_port()), "-trace_msg"))), daemon=True)
    runner.start()
    try:
        rec.wait_event("joined", "sipp", timeout=20)
        assert conn.phone.call.srtp == "AES_CM_128_HMAC_SHA1_80"
        assert conn.push_audio_pcm_data(bytes(32000), 16000, 1) == 0     # 1 s of silence
        rec.wait_event("left", "sipp", timeout=30)
        runner.join(timeout=30)
        assert result == [0]
        wait_until(lambda: got["rtcp"], timeout=5, what="our RTCP (the BYE at hang-up)")
    finally:
        stop.set()
        for t in readers:
            t.join()
        rtp.close()
        rtcp.close()
        runner.join(timeout=30)
    # the answer: our own key under the offer's tag, in the offer's profile
    logs = [f for f in os.listdir(tmp_path) if f.endswith("_messages.log")]
    text = open(os.path.join(tmp_path, logs[0]), errors="replace").read()
    answer = text[text.index("SIP/2.0 200 OK"):]
    assert "m=audio" in answer and "RTP/AVP" in answer.split("m=audio", 1)[1].splitlines()[0]
    crypto = [ln.strip() for ln in answer.splitlines() if ln.startswith("a=crypto:")]
    assert crypto and crypto[0].startswith("a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:")
    ours = crypto[0].split("inline:")[1]
    assert len(base64.b64decode(ours)) == 30 and ours != GOOD_KEY
    # SRTP: 12-byte header, 160 bytes of 20 ms mu-law, 10-byte tag; encrypted silence
    audio = [p for p in got["rtp"] if len(p) > 12 and p[1] & 0x7F == 0 and not p[0] & 0x20]
    assert len(audio) >= 25
    assert {len(p) for p in audio} == {12 + 160 + 10}
    assert all(p[12:172].count(0xFF) < 40 for p in audio)
    # SRTCP: compound RTCP (a multiple of 4) + 4-byte E|index + 10-byte tag
    for p in got["rtcp"]:
        assert len(p) % 4 == 2 and struct.unpack_from("!I", p, len(p) - 14)[0] & 0x80000000
    assert conn._rtp_stats()["srtp_errors"] == 0
    conn.release()
    svc.release()


REKEY_KEYS = {"A": bytes(range(30)),                 # the first INVITE's key (tag 1, _80)
              "B": bytes(range(30, 60)),            # the first re-INVITE's (tag 1, _80)
              "C": bytes(range(60, 90))}            # the second re-INVITE's (tag 3, _32)
REKEY_TONES = {"A": 400.0, "B": 1000.0, "C": 1600.0}


def srtp_tag_ok(master, packet, tag_len):
    """RFC 3711: the packet's authentication tag (HMAC-SHA1 truncated to tag_len) under
    the master key + salt (key derivation rate 0), for a rollover count of 0 or 1."""
    import hashlib
    import hmac
    from test_rtp_transport import _aes_cm_keystream
    salt = bytearray(master[16:])
    salt[7] ^= 1                                     # label 1: the authentication key
    k_a = _aes_cm_keystream(master[:16], bytes(salt) + b"\0\0", 20)
    return any(hmac.compare_digest(hmac.new(k_a, packet[:-tag_len] + struct.pack("!I", roc),
                                            hashlib.sha1).digest()[:tag_len], packet[-tag_len:])
               for roc in (0, 1))


def answers_crypto(tmp_path):
    """The a=crypto line of each of the agent's 200 OK answers with SDP in SIPp's trace."""
    logs = [f for f in os.listdir(tmp_path) if f.endswith("_messages.log")]
    text = open(os.path.join(tmp_path, logs[0]), errors="replace").read()
    out = []
    for message in text.split("SIP/2.0 200 OK")[1:]:
        lines = [ln.strip() for ln in message.split("-----")[0].splitlines()]
        crypto = [ln for ln in lines if ln.startswith("a=crypto:")]
        if crypto:
            out.append(crypto[0])
    return out


@needs_sipp
def test_phone_rekeys_mid_call_and_is_heard_under_each_key(tmp_path):
    """tests/sipp/srtp_rekey.xml: the phone re-keys twice in re-INVITEs (a new key, then a new
    suite, _32). The test sends the phone's RTP under all three keys at once (a tone each, its
    own SSRC): the agent hears the first key's tone, then the second's, then the third's, in
    that order and in one stream (no leave / join); what it sends is SRTP under the key of its
    answer: the same key after a re-key of the same suite, a new one (32-bit tags) for the
    new suite. A re-INVITE without a key is refused (488) and the call goes on to its BYE."""
    pytest.importorskip("cryptography")
    from test_rtp_transport import srtp_protect_80
    from twilio_client import lin2ulaw
    svc = service("mandatory")
    conn, rec = join(svc, "agent", "bot")
    rtp, rtcp = rtp_socket_pair()
    sent_by_agent = []
    stop = threading.Event()

    def read_agent():
        rtp.settimeout(0.2)
        while not stop.is_set():
            try:
                sent_by_agent.append(rtp.recv(4096))
            except socket.timeout:
                pass
    scenario = tmp_path / "rekey.xml"
    scenario.write_text(open(os.path.join(SCENARIOS, "srtp_rekey.xml")).read()
                        .replace("MEDIA_PORT", str(rtp.getsockname()[1])).replace("PHASE_MS", "2500"))
    result = []
    runner = threading.Thread(target=lambda: result.append(sipp(
        svc, str(scenario), tmp_path, timeout=60, extra=("-trace_msg",))), daemon=True)
    reader = threading.Thread(target=read_agent, daemon=True)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t = np.arange(160) / 8000.0
    try:
        reader.start()
        runner.start()
        rec.wait_event("joined", "sipp", timeout=20)
        agent = ("127.0.0.1", conn.phone.local_port)
        assert conn.push_audio_pcm_data(bytes(2 * 16000 * 14), 16000, 1) == 0   # 14 s of our stream
        n = 0
        while runner.is_alive() and n < 1500:             # every 20 ms, a packet under each key
            for i, (name, key) in enumerate(REKEY_KEYS.items()):
                tone = 8000 * np.sin(2 * np.pi * REKEY_TONES[name] * (t + n * 0.02))
                plain = struct.pack("!BBHII", 0x80, 0, n, n * 160, 0xA000 + i) + \
                    lin2ulaw(tone.astype(np.int16).tobytes())
                packet = srtp_protect_80(key[:16], key[16:], plain)
                sender.sendto(packet if name != "C" else packet[:-6], agent)   # C: 32-bit tag
            n += 1
            time.sleep(0.02)
        runner.join(timeout=30)
        assert result == [0]
        rec.wait_event("left", "sipp", timeout=10)
    finally:
        stop.set()
        sender.close()
        reader.join()
        rtp.close()
        rtcp.close()
        runner.join(timeout=30)
    assert [e[0] for e in rec.events].count("joined") == 1
    assert conn.phone.call.srtp == "AES_CM_128_HMAC_SHA1_32" and conn.phone.call.reason == "BYE"
    # heard: each key's tone in turn (100 ms windows; runs of at least 300 ms)
    heard = np.frombuffer(rec.pcm("sipp"), np.int16)
    order = []
    for w in range(len(heard) // 1600):
        win = heard[w * 1600:(w + 1) * 1600]
        if np.sqrt(np.mean(win.astype(np.float64) ** 2)) > 1000:
            name = min(REKEY_TONES, key=lambda k: abs(REKEY_TONES[k] - dominant_hz(win, 16000)))
            order.append(name)
    runs = [k for i, k in enumerate(order) if (i == 0 or order[i - 1] != k)
            and order[i:i + 3] == [k] * 3]
    assert [k for i, k in enumerate(runs) if i == 0 or runs[i - 1] != k] == ["A", "B", "C"], order
    # our answers: our key kept on a re-key of the same suite, a new one for the new suite
    crypto = answers_crypto(tmp_path)
    assert len(crypto) == 3, crypto
    assert crypto[0].startswith("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")
    assert crypto[1].startswith("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:")
    assert crypto[2].startswith("a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:")
    ours = [base64.b64decode(c.split("inline:")[1].split("|")[0]) for c in crypto]
    assert ours[0] == ours[1] and ours[2] != ours[0]
    # what we sent: SRTP under our first key (80-bit tags), then under the new one (32-bit)
    audio = [p for p in sent_by_agent if len(p) > 12 and p[1] & 0x7F == 0 and not p[0] & 0x20]
    first = [p for p in audio if len(p) == 12 + 160 + 10]
    last = [p for p in audio if len(p) == 12 + 160 + 4]
    assert len(first) >= 100 and len(last) >= 50, (len(first), len(last))
    assert all(srtp_tag_ok(ours[0], p, 10) for p in first)
    assert all(srtp_tag_ok(ours[2], p, 4) for p in last)
    assert audio.index(last[0]) > audio.index(first[-1])   # switched once, not back
    still_fine(svc, tmp_path)
    conn.release()
    svc.release()


@needs_sipp
def test_forged_packets_cannot_take_the_callers_stream(tmp_path):
    """An SRTP call's stream takes the SSRC of the first packet that authenticates: packets
    forged by someone without the key (another SSRC, sent first to the agent's RTP port) are
    dropped and counted (a flood of 20000 with an SSRC each keeps no memory), and the caller's SRTP (here sent by the test under the key SIPp
    offered, RFC 3711 in tests/test_rtp_transport.py) is heard."""
    pytest.importorskip("cryptography")
    from test_rtp_transport import srtp_protect_80
    svc = service("mandatory")
    conn, rec = join(svc, "agent", "bot")
    key = bytes(range(30))
    scenario = tmp_path / "srtp.xml"
    scenario.write_text(call_scenario("srtp-forged", pause_ms=8000, caller="sipp",
                                      sdp_extra=f"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:{GOOD_KEY}"))
    result = []
    runner = threading.Thread(target=lambda: result.append(sipp(
        svc, str(scenario), tmp_path, timeout=30, extra=("-mi", "127.0.0.1", "-mp", str(free_udp_port())))),
        daemon=True)
    runner.start()
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rec.wait_event("joined", "sipp", timeout=20)
        agent = ("127.0.0.1", conn.phone.local_port)
        for seq in range(20):        # forged: a made-up key, another SSRC, first on the wire
            plain = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0xBAD0BAD) + bytes(160)
            sender.sendto(srtp_protect_80(os.urandom(16), os.urandom(14), plain), agent)
        wait_until(lambda: conn._rtp_stats()["srtp_errors"] >= 20, timeout=5, what="forged packets dropped")
        # a flood of them, each with an SSRC of its own: no state is kept for any (bounded memory)
        from test_sip_hostile import rss_kb
        before = rss_kb()
        forged = bytearray(srtp_protect_80(os.urandom(16), os.urandom(14),
                                           struct.pack("!BBHII", 0x80, 0, 1, 160, 1) + bytes(160)))
        for i in range(20000):
            forged[8:12] = os.urandom(4)
            sender.sendto(forged, agent)
            if i % 500 == 0:
                time.sleep(0.005)            # the socket's receive queue keeps up
        wait_until(lambda: conn._rtp_stats()["srtp_errors"] >= 15000, timeout=10, what="the flood dropped")
        if "libasan" not in os.environ.get("LD_PRELOAD", ""):   # ASan's quarantine keeps freed memory
            assert rss_kb() - before < 16 * 1024
        loud = bytes([0x00, 0x80]) * 80          # mu-law full scale, alternating sign
        for seq in range(100):       # the caller: its SSRC, the offered key
            plain = struct.pack("!BBHII", 0x80, 0x80 if seq == 0 else 0, seq, seq * 160, 0x1234) + loud
            sender.sendto(srtp_protect_80(key[:16], key[16:], plain), agent)
            time.sleep(0.02)
        wait_until(lambda: len(rec.pcm("sipp")) >= 2 * 16000, timeout=10, what="the caller heard")
        runner.join(timeout=30)
        assert result == [0]
    finally:
        sender.close()
        runner.join(timeout=30)
    stats = conn._rtp_stats()
    assert stats["srtp_errors"] >= 20 and stats["rtp_received"] >= 90, stats
    heard = np.frombuffer(rec.pcm("sipp"), np.int16).astype(np.float64)
    assert np.sqrt(np.mean(heard ** 2)) > 1000       # the caller's loud signal, not silence
    conn.release()
    svc.release()
