"""Phone calls over SIP against a real phone: baresip (Debian), started on loopback
by each test with a config directory of its own (tests/baresip_phone.py) and stopped
by PID. The agent is a normal connection on a ``sip://`` service: the caller is a
remote user of its channel."""
import os
import time

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.errors import InvalidStateError
from conftest import Recorder, join, wait_until
from baresip_phone import BARESIP, BaresipPhone, read_wav, write_wav, phones  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(BARESIP is None, reason="baresip (Debian) is not installed")

SPEECH = "/usr/share/asterisk/sounds/fr_CA_f_June/cancelled.wav"   # 8 kHz recorded speech
VAD_START, VAD_SPEAKING, VAD_STOP = 1, 2, 3
ANSWER_HZ = 440.0


def dominant_hz(pcm, rate):
    x = pcm.astype(np.float64) * np.hanning(pcm.size)
    spectrum = np.abs(np.fft.rfft(x))
    return np.fft.rfftfreq(pcm.size, 1.0 / rate)[int(np.argmax(spectrum))]


def assert_heard_answer(phone, rate=8000):
    """The phone's recording holds about a second or more of the agent's ANSWER_HZ tone."""
    answer = phone.heard()
    assert answer is not None
    loud = np.abs(answer.astype(np.int32)) > 2000
    assert loud.sum() > rate * 1.0
    seg = answer[np.argmax(loud):][:rate]
    assert abs(dominant_hz(seg, rate) - ANSWER_HZ) < 10


def talk_to_callee_and_hang_up(conn, rec, callee, call, name="callee"):
    """An outbound call from the agent: wait until it is up and the callee is heard, answer
    with the tone, hang up, and check the callee's recording holds the answer."""
    assert conn.phone.wait("up", timeout=20), call
    rec.wait_event("joined", name, timeout=10)
    rec.wait_for(lambda: VAD_START in vad_states(rec, name), timeout=20)
    assert conn.push_audio_pcm_data(tone(1.5).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="answer sent")
    time.sleep(0.5)
    assert conn.phone.hangup() is True
    callee.wait_event("CALL_CLOSED")
    assert_heard_answer(callee)


def tone(seconds, rate=16000, hz=ANSWER_HZ, amp=8000):
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * hz * t) * amp).astype(np.int16)


@pytest.fixture
def question(tmp_path):
    """The caller's question: 1 s of silence, recorded speech, 3 s of silence (8 kHz WAV)."""
    if not os.path.exists(SPEECH):
        pytest.skip("asterisk-core-sounds-fr-wav is not installed")
    speech, rate = read_wav(SPEECH)
    assert rate == 8000
    path = str(tmp_path / "question.wav")
    write_wav(path, np.concatenate([np.zeros(8000, np.int16), speech, np.zeros(3 * 8000, np.int16)]))
    return path


@pytest.fixture
def sip_service():
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="sip-test",
                                                transport_url="sip://127.0.0.1:0?dial=allow"))
    yield svc
    svc.release()


def agent_uri(svc, channel="agent"):
    return f"sip:{channel}@127.0.0.1:{svc.sip.port}"


def vad_states(rec, uid):
    with rec.cond:
        return [s for s, _ in rec.vad.get(uid, [])]


@pytest.mark.parametrize("codec,ptime", [("PCMU", None), ("PCMA", None), ("PCMA", 30), ("PCMU", 40),
                                         ("G722", None)])
def test_incoming_call_heard_answered_and_hung_up_by_the_caller(sip_service, phones, question, codec,
                                                                ptime):
    """ptime: the phone's packets are 30 / 40 ms long (a=ptime), heard in full; the agent
    answers in packets of that length. G.722: wideband both ways (16 kHz decoded, and the
    phone's recording of the answer is 16 kHz)."""
    conn, rec = join(sip_service, "agent", "bot", vad=ar.AudioVadConfigV2())
    if codec == "G722":   # baresip's file source must be at the codec's rate
        q, _ = read_wav(question)
        question = question.replace(".wav", "_16k.wav")
        write_wav(question, np.interp(np.arange(q.size * 2) / 2, np.arange(q.size), q)
                  .astype(np.int16), rate=16000)
    phone = phones(source=question, codecs=(codec,), ptime=ptime)
    phone.dial(agent_uri(sip_service))
    rec.wait_event("joined", "phone", timeout=20)
    assert conn.phone.call.codec == codec
    assert conn.phone.call.direction == "inbound" and conn.phone.call.called_user == "agent"
    phone.wait_event("CALL_ESTABLISHED")
    # the caller's speech: 10 ms frames at the observer's 16 kHz, with a VAD start and stop
    rec.wait_for(lambda: VAD_STOP in vad_states(rec, "phone"), timeout=20)
    states = vad_states(rec, "phone")
    assert states.index(VAD_START) < states.index(VAD_STOP)
    with rec.cond:
        frames = list(rec.frames["phone"])
    assert all(f.samples_per_sec == 16000 and f.samples_per_channel == 160 for f in frames)
    heard = np.frombuffer(rec.pcm("phone"), np.int16).astype(np.float64)
    assert np.sqrt(np.mean(heard ** 2)) > 300        # speech, not silence
    stats = conn._rtp_stats()
    assert stats["frames_decoded"] > 50 and stats["malformed"] == 0 and stats["decode_errors"] == 0
    if ptime:   # fewer, longer packets, each heard as ptime / 20 pieces of 20 ms
        assert stats["frames_decoded"] > 1.3 * stats["rtp_received"]
    # the agent answers with PCM: the phone hears it (its decoded-audio recording)
    assert conn.push_audio_pcm_data(tone(1.5).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="answer sent")
    time.sleep(0.5)
    phone.hangup()                                   # BYE from the phone
    rec.wait_event("left", "phone", 0, timeout=15)
    assert conn.phone.wait("ended", timeout=10) and conn.phone.call.reason == "BYE"
    phone.wait_event("CALL_CLOSED")
    answer = phone.heard()
    assert answer is not None
    heard_rate = phone.heard_format()[0]
    assert heard_rate == (16000 if codec == "G722" else 8000)
    loud = np.abs(answer.astype(np.int32)) > 2000
    assert loud.sum() > heard_rate * 1.0            # about 1.5 s of the answer came through
    seg = answer[np.argmax(loud):][:heard_rate]
    assert abs(dominant_hz(seg, heard_rate) - ANSWER_HZ) < 10
    conn.release()


def test_dtmf_both_ways_and_hold(sip_service, phones, tmp_path, question):
    long_question = str(tmp_path / "long.wav")      # the phone ends its call when its file ends
    q, _ = read_wav(question)
    write_wav(long_question, np.concatenate([q, np.zeros(20 * 8000, np.int16)]))
    conn, rec = join(sip_service, "agent", "bot", recorder=Recorder())
    phone = phones(source=long_question)
    phone.dial(agent_uri(sip_service))
    rec.wait_event("joined", "phone", timeout=20)
    phone.wait_event("CALL_ESTABLISHED")
    for key in "1#9":
        phone.command("sndcode", key)               # RFC 4733 from the phone
    rec.wait_for(lambda: len([e for e in rec.events if e[0] == "dtmf"]) == 3, timeout=10)
    keys = [e[1] for e in rec.events if e[0] == "dtmf"]
    assert [k[:2] for k in keys] == [("phone", "1"), ("phone", "#"), ("phone", "9")]
    assert all(k[2] > 0 for k in keys)
    conn.phone.send_dtmf("42*D", duration_ms=80)     # and to the phone
    wait_until(lambda: sum(ev.get("type") == "CALL_DTMF_END" for ev in phone.events) == 4,
               timeout=10, what="keys heard by the phone")
    got = [ev.get("param") for ev in phone.events if ev.get("type") == "CALL_DTMF_START"]
    assert got == ["4", "2", "*", "D"]
    with pytest.raises(ValueError, match="0-9"):
        conn.phone.send_dtmf("5x")
    # hold and resume (re-INVITEs from the phone): the call stays up, the line knows
    phone.command("hold")
    wait_until(lambda: conn.phone.call.on_hold, timeout=10, what="on hold")
    phone.command("resume")
    wait_until(lambda: not conn.phone.call.on_hold, timeout=10, what="resumed")
    assert conn.phone.call.state == "up"
    # media flows again both ways: the phone's audio is heard, ours is sent
    heard_before, sent_before = conn._rtp_stats()["rtp_received"], conn._rtp_stats()["packets_sent"]
    assert conn.push_audio_pcm_data(tone(1.0).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="sent after resume")
    wait_until(lambda: conn._rtp_stats()["rtp_received"] > heard_before + 25, timeout=10,
               what="the phone's audio after resume")
    assert conn._rtp_stats()["packets_sent"] >= sent_before + 50
    phone.hangup()
    rec.wait_event("left", "phone", timeout=10)
    conn.release()


def test_opus_call(sip_service, phones, question, tmp_path):
    """A phone that prefers Opus (48 kHz, RFC 7587) gets it: heard with VAD, answered."""
    q, _ = read_wav(question)
    wide = str(tmp_path / "question48k.wav")
    t8 = np.arange(q.size) / 8000
    t48 = np.arange(q.size * 6) / 48000
    write_wav(wide, np.interp(t48, t8, q).astype(np.int16), rate=48000, channels=2)  # as opus/48000/2
    conn, rec = join(sip_service, "agent", "bot", vad=ar.AudioVadConfigV2())
    phone = phones(source=wide, codecs=("opus/48000/2", "PCMU"))
    phone.dial(agent_uri(sip_service))
    rec.wait_event("joined", "phone", timeout=20)
    assert conn.phone.call.codec == "opus"
    rec.wait_for(lambda: VAD_STOP in vad_states(rec, "phone"), timeout=20)
    assert conn._rtp_stats()["frames_decoded"] > 50
    assert conn.push_audio_pcm_data(tone(1.5).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="answer sent")
    time.sleep(0.5)
    phone.hangup()
    rec.wait_event("left", "phone", timeout=15)
    phone.wait_event("CALL_CLOSED")
    rate, channels = phone.heard_format()
    answer = phone.heard()[::channels]               # the first channel
    loud = np.abs(answer.astype(np.int32)) > 2000
    assert loud.sum() > rate * 0.5
    seg = answer[np.argmax(loud):][:rate]
    assert abs(dominant_hz(seg, rate) - ANSWER_HZ) < 10
    conn.release()


def test_comfort_noise_and_foreign_payloads_tolerated(sip_service, phones, question):
    """Comfort noise (PT 13) and unknown payload types on the caller's stream are skipped
    and counted, never played nor taken for garbage; the call goes on."""
    import socket
    import struct
    conn, rec = join(sip_service, "agent", "bot")
    phone = phones(source=question)
    phone.dial(agent_uri(sip_service))
    rec.wait_event("joined", "phone", timeout=20)
    # the stream's SSRC is learned from the phone's first packet
    wait_until(lambda: any(conn._rtp_remote_activity()), timeout=10, what="the phone's SSRC")
    ssrc = next(iter(conn._rtp_remote_activity()))
    port = conn._rtp_stats()["local_port"]
    before = conn._rtp_stats()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i, pt in enumerate([13, 13, 13, 19, 99]):
            header = struct.pack("!BBHII", 0x80, pt, 40000 + i, 1000 + 160 * i, ssrc)
            s.sendto(header + bytes([40]), ("127.0.0.1", port))
    wait_until(lambda: conn._rtp_stats()["other_payload"] >= before["other_payload"] + 5, timeout=10,
               what="the foreign payloads counted")
    after = conn._rtp_stats()
    assert after["malformed"] == before["malformed"] and after["decode_errors"] == 0
    frames = len(rec.frames.get("phone", []))
    wait_until(lambda: len(rec.frames.get("phone", [])) > frames + 50, timeout=10,
               what="the call going on")
    conn.release()


def test_agent_hangs_up(sip_service, phones, question):
    conn, rec = join(sip_service, "agent", "bot")
    phone = phones(source=question)
    phone.dial(agent_uri(sip_service))
    rec.wait_event("joined", "phone", timeout=20)
    phone.wait_event("CALL_ESTABLISHED")
    assert conn.phone.hangup() is True               # BYE from the agent
    phone.wait_event("CALL_CLOSED")
    rec.wait_event("left", "phone", timeout=10)
    assert conn.phone.hangup() is False              # nothing left to hang up
    assert sip_service.sip.stats()["calls"] == 0
    conn.release()


def test_declined_busy_and_unknown_channel(sip_service, phones, question):
    conn, rec = join(sip_service, "agent", "bot")
    seen = []

    def decline(call):
        seen.append(call)
        return False                                 # 603 Decline
    conn.phone.call_filter = decline
    phone = phones(source=question)
    phone.dial(agent_uri(sip_service))
    closed = phone.wait_event("CALL_CLOSED")
    assert "603" in closed.get("param", "") or "Decline" in closed.get("param", ""), closed
    assert seen and seen[0].remote_user == "phone"
    assert "joined" not in rec.names()
    # a filter may choose the status: 486 Busy Here
    conn.phone.call_filter = lambda call: 486
    phone2 = phones("phone2", source=question)
    phone2.dial(agent_uri(sip_service))
    closed = phone2.wait_event("CALL_CLOSED")
    assert "486" in closed.get("param", "") or "Busy" in closed.get("param", ""), closed
    # nobody in that channel: 404
    phone3 = phones("phone3", source=question)
    phone3.dial(agent_uri(sip_service, "nobody"))
    closed = phone3.wait_event("CALL_CLOSED")
    assert "404" in closed.get("param", "") or "Not Found" in closed.get("param", ""), closed
    conn.release()


def test_second_caller_hears_busy(sip_service, phones, question):
    conn, rec = join(sip_service, "agent", "bot")
    first = phones(source=question)
    first.dial(agent_uri(sip_service))
    rec.wait_event("joined", "phone", timeout=20)
    second = phones("second", source=question)
    second.dial(agent_uri(sip_service))
    closed = second.wait_event("CALL_CLOSED")
    assert "486" in closed.get("param", "") or "Busy" in closed.get("param", ""), closed
    assert conn.phone.call.remote_user == "phone" and conn.phone.call.state == "up"
    conn.release()                                   # hangs up: the first phone gets its BYE
    first.wait_event("CALL_CLOSED")


def test_outbound_dial_answered_and_interrupted(sip_service, phones, question):
    conn, rec = join(sip_service, "agent", "bot", vad=ar.AudioVadConfigV2())
    callee = phones("callee", source=question, auto_answer=True, codecs=("PCMA",))
    call = conn.phone.dial(callee.uri)
    assert conn.phone.wait("up", timeout=20), call
    rec.wait_event("joined", "callee", timeout=10)
    assert call.codec == "PCMA"
    rec.wait_for(lambda: VAD_START in vad_states(rec, "callee"), timeout=20)
    # a long answer, cut by interrupt_audio after about 1 s
    assert conn.push_audio_pcm_data(tone(6.0).tobytes(), 16000, 1) == 0
    time.sleep(1.2)
    conn.interrupt_audio()
    time.sleep(1.5)
    assert conn.phone.hangup() is True
    callee.wait_event("CALL_CLOSED")
    rec.wait_event("left", "callee", timeout=10)
    heard = callee.heard()
    loud = np.abs(heard.astype(np.int32)) > 2000
    first, last = int(np.argmax(loud)), heard.size - int(np.argmax(loud[::-1]))
    played = (last - first) / 8000
    assert 0.5 < played < 3.0, played              # cut: not the 6 s pushed
    # a clean cut: after the last loud sample, silence (no tail of the answer)
    assert np.abs(heard[last + 80:].astype(np.int32)).max(initial=0) < 2000


def test_outbound_dial_cancelled_and_refused(sip_service, phones, question):
    conn, rec = join(sip_service, "agent", "bot")
    callee = phones("callee", source=question)       # rings, nobody answers
    call = conn.phone.dial(callee.uri)
    callee.wait_event("CALL_INCOMING")
    assert conn.phone.hangup() is True               # CANCEL while it rings
    callee.wait_event("CALL_CLOSED")
    assert call.state == "ended"
    assert "joined" not in rec.names()
    # refused by the callee while it rings (baresip rejects it: a 4xx/6xx answer)
    n_incoming = sum(ev.get("type") == "CALL_INCOMING" for ev in callee.events)
    call = conn.phone.dial(callee.uri)
    wait_until(lambda: sum(ev.get("type") == "CALL_INCOMING" for ev in callee.events) > n_incoming,
               timeout=15, what="second ring")
    callee.hangup()
    assert not conn.phone.wait("up", timeout=15)
    assert call.state == "ended" and call.status >= 400, call
    assert "joined" not in rec.names()
    with pytest.raises(ValueError, match="sip:user@host"):
        conn.phone.dial("tel:+1555")
    conn.release()


def test_outbound_early_media(sip_service, phones, question):
    """A callee that sends 183 Session Progress with SDP (early media) joins the channel
    before it answers, and our audio goes to the address of its 183 (baresip's early mode
    neither sends audio nor reports on it, so the flow is checked on our side); CANCEL
    ends it."""
    conn, rec = join(sip_service, "agent", "bot")
    callee = phones("callee", source=question, answer_mode="early")
    call = conn.phone.dial(callee.uri)
    rec.wait_event("joined", "callee", timeout=20)
    assert call.early_media and call.state == "ringing"
    assert conn.push_audio_pcm_data(tone(1.0).tobytes(), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, timeout=10, what="early audio sent")
    stats = conn._rtp_stats()
    assert stats["packets_sent"] >= 50 and stats["send_errors"] == 0
    assert conn.phone.hangup() is True               # CANCEL: it never answered
    rec.wait_event("left", "callee", timeout=10)
    assert call.state == "ended"
    callee.wait_event("CALL_CLOSED")
    conn.release()


def test_inbound_early_media_before_answering(sip_service, phones, question):
    """The call filter asks for early media: the phone gets 183 with our SDP, the caller
    joins the channel while the call rings and our audio is sent to it; the filter's True
    then answers 200 on the same media (no second join)."""
    conn, rec = join(sip_service, "agent", "bot")
    seen = {}

    def early(call):
        conn.phone.start_early_media()
        conn.phone.start_early_media()               # a second call does nothing
        seen["early"], seen["state"] = call.early_media, call.state
        rec.wait_event("joined", "phone", timeout=20)   # raises when it does not come
        seen["joined"] = True
        phone.wait_event("CALL_PROGRESS")            # baresip saw the 183 with SDP
        assert conn.push_audio_pcm_data(tone(1.0).tobytes(), 16000, 1) == 0
        wait_until(conn.is_push_to_rtc_completed, timeout=10, what="early audio sent")
        seen["sent"] = conn._rtp_stats()["packets_sent"]
        return True
    conn.phone.call_filter = early
    with pytest.raises(InvalidStateError, match="call filter"):
        conn.phone.start_early_media()               # nothing rings
    phone = phones(source=question)
    phone.dial(agent_uri(sip_service))
    phone.wait_event("CALL_ESTABLISHED")
    assert seen.get("early") is True and seen.get("state") == "ringing" and seen.get("joined"), seen
    assert seen["sent"] >= 50, seen
    assert conn.phone.wait("up") and conn.phone.call.early_media
    assert rec.names().count("joined") == 1
    phone.hangup()
    rec.wait_event("left", "phone", timeout=15)
    conn.release()


def test_dial_needs_permission(phones):
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="sip-test", transport_url="sip://127.0.0.1:0"))
    try:
        conn, _ = join(svc, "agent", "bot", record=False)
        with pytest.raises(PermissionError, match="dial=allow"):
            conn.phone.dial("sip:someone@127.0.0.1:5999")
        conn.release()
    finally:
        svc.release()


def test_sip_transport_url_errors():
    from agora_rtc.base.transport_url import parse_transport_url
    t = parse_transport_url("sip://agent@127.0.0.1:5070?dial=allow")
    assert (t.scheme, t.host, t.port, t.user, t.params["dial"]) == ("sip", "127.0.0.1", 5070, "agent", "allow")
    assert parse_transport_url("sip://127.0.0.1").port == 5060
    with pytest.raises(ValueError, match="IP address to listen on"):
        parse_transport_url("sip://example.com:5060")
    with pytest.raises(ValueError, match="dial must be"):
        parse_transport_url("sip://127.0.0.1:0?dial=yes")
    with pytest.raises(ValueError, match="media_ip"):
        parse_transport_url("sip://127.0.0.1:0?media_ip=nowhere")
    t = parse_transport_url("sip://bob:pa55@127.0.0.1:0?registrar=pbx.example:5060&expires=300")
    assert (t.user, t.params["password"], t.params["registrar"]) == ("bob", "pa55", "pbx.example:5060")
    assert "pa55" not in repr(t)
    with pytest.raises(ValueError, match="password is for a registrar") as err:
        parse_transport_url("sip://bob:pa55@127.0.0.1:0")
    with pytest.raises(ValueError, match="registering needs the user"):
        parse_transport_url("sip://127.0.0.1:0?registrar=pbx.example")
    with pytest.raises(ValueError, match="registrar must be host"):
        parse_transport_url("sip://bob@127.0.0.1:0?registrar=a b")
    with pytest.raises(ValueError, match="expires must be") as err:
        parse_transport_url("sip://bob:pa55@127.0.0.1:0?registrar=pbx&expires=5")
    assert "pa55" not in str(err.value)
    assert parse_transport_url("sip://bob:pa55@127.0.0.1:0?registrar=pbx&keepalive=30").params["keepalive"] == "30"
    with pytest.raises(ValueError, match="keepalive must be"):
        parse_transport_url("sip://bob:pa55@127.0.0.1:0?registrar=pbx&keepalive=0")
    with pytest.raises(ValueError, match="keepalive sends OPTIONS to the registrar"):
        parse_transport_url("sip://bob@127.0.0.1:0?keepalive=30")


def test_one_connection_per_channel(sip_service):
    conn, _ = join(sip_service, "agent", "bot", record=False)
    other = sip_service.create_rtc_connection(ar.RTCConnConfig())
    with pytest.raises(ValueError, match="one connection per channel"):
        other.connect("", "agent", "bot2")
    other.release()
    conn.release()


def test_phone_agent_example(phones, question, tmp_path):
    """examples/phone_agent.py answers a baresip call: hears the question, answers it,
    hangs up when the caller presses '#', and exits after its one call."""
    import subprocess
    import sys
    from baresip_phone import free_udp_port
    port = free_udp_port()
    example = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "phone_agent.py")
    log = open(tmp_path / "agent.log", "w+")
    agent = subprocess.Popen([sys.executable, example, "--listen", f"127.0.0.1:{port}", "--calls", "1"],
                             stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: "dial sip:agent@" in open(tmp_path / "agent.log").read(), timeout=30,
                   what="the example listening")
        long_question = str(tmp_path / "long.wav")
        q, _ = read_wav(question)
        write_wav(long_question, np.concatenate([q, np.zeros(20 * 8000, np.int16)]))
        phone = phones(source=long_question)
        phone.dial(f"sip:agent@127.0.0.1:{port}")
        phone.wait_event("CALL_ESTABLISHED")
        wait_until(lambda: "answering with" in open(tmp_path / "agent.log").read(), timeout=30,
                   what="the example answering")
        time.sleep(1.0)
        phone.command("sndcode", "#")
        phone.wait_event("CALL_CLOSED")
        assert agent.wait(timeout=20) == 0
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
    text = open(tmp_path / "agent.log").read()
    assert "call from 'phone' answered (PCMU)" in text and "key '#' pressed" in text, text
    heard = phone.heard()
    assert heard is not None and (np.abs(heard.astype(np.int32)) > 1000).sum() > 2000


def test_registers_with_digest_auth_and_takes_calls_through_the_proxy(phones, question, tmp_path):
    """kamailio as registrar and proxy: the agent registers with digest authentication
    (a wrong password is refused), and a phone's call to the agent's AOR through the
    proxy reaches the agent's channel."""
    from kamailio_registrar import KAMAILIO, Kamailio
    if KAMAILIO is None:
        pytest.skip("kamailio (Debian) is not installed")
    kam = Kamailio(str(tmp_path / "kamailio"), "s3cret")
    try:
        bad = ar.AgoraService(ar.AgoraServiceConfig(
            appid="sip-test", transport_url=f"sip://agent:wrong@127.0.0.1:0?registrar={kam.address}"))
        try:
            assert not bad.sip.wait_registered(timeout=15)
            assert bad.sip.registration_status in (401, 403), bad.sip.registration_status
        finally:
            bad.release()
        svc = ar.AgoraService(ar.AgoraServiceConfig(
            appid="sip-test", transport_url=f"sip://agent:s3cret@127.0.0.1:0?registrar={kam.address}"))
        try:
            assert svc.sip.wait_registered(timeout=15), kam.log_text()[-2000:]
            call_through_the_proxy(svc, kam, phones, question)
        finally:
            svc.release()
    finally:
        kam.stop()


def call_through_the_proxy(svc, kam, phones, question, while_up=lambda: None):
    """A phone calls the agent's AOR at kamailio; the call reaches the agent's channel,
    ``while_up()`` runs, the phone hangs up (the BYE follows the proxy's route)."""
    conn, rec = join(svc, "agent", "bot")
    phone = phones(source=question)
    phone.dial(f"sip:agent@{kam.address}")
    rec.wait_event("joined", "phone", timeout=20)
    phone.wait_event("CALL_ESTABLISHED")
    while_up()
    phone.hangup()
    rec.wait_event("left", "phone", timeout=15)
    conn.release()


def test_options_keepalive_to_the_registrar(tmp_path):
    """keepalive=1: the agent sends an OPTIONS to its registrar (kamailio) every second and
    counts the answers."""
    from kamailio_registrar import KAMAILIO, Kamailio
    if KAMAILIO is None:
        pytest.skip("kamailio (Debian) is not installed")
    kam = Kamailio(str(tmp_path / "kamailio"), "s3cret")
    try:
        svc = ar.AgoraService(ar.AgoraServiceConfig(
            appid="sip-test",
            transport_url=f"sip://agent:s3cret@127.0.0.1:0?registrar={kam.address}&keepalive=1"))
        try:
            deadline = time.monotonic() + 30
            while svc.sip.stats()["keepalives_answered"] < 2 and time.monotonic() < deadline:
                time.sleep(0.2)
            st = svc.sip.stats()
            assert st["keepalives_answered"] >= 2, (st, kam.log_text()[-2000:])
            assert st["keepalives_sent"] >= st["keepalives_answered"]
            assert st["keepalive_status"] == 200, st
        finally:
            svc.release()
    finally:
        kam.stop()


def test_transfer_with_refer(sip_service, phones, question, tmp_path):
    """The agent hands a caller over to a human (REFER): the phone calls the human and
    leaves the agent's channel."""
    long_question = str(tmp_path / "long.wav")
    q, _ = read_wav(question)
    write_wav(long_question, np.concatenate([q, np.zeros(20 * 8000, np.int16)]))
    conn, rec = join(sip_service, "agent", "bot")
    human = phones("human", source=long_question, auto_answer=True)
    phone = phones(source=long_question)
    phone.dial(agent_uri(sip_service))
    rec.wait_event("joined", "phone", timeout=20)
    phone.wait_event("CALL_ESTABLISHED")
    with pytest.raises(ValueError, match="sip:user@host"):
        conn.phone.transfer("human")
    assert conn.phone.transfer(human.uri) == 202
    human.wait_event("CALL_ESTABLISHED")             # the phone called the human
    rec.wait_event("left", "phone", timeout=20)      # and left the agent
    assert conn.phone.wait("ended", timeout=10)
    with pytest.raises(InvalidStateError):
        conn.phone.transfer(human.uri)
    conn.release()


def test_reply_on_pause_answers_a_caller(sip_service, phones, question, tmp_path):
    """The agent toolkit runs unchanged on a phone call: ReplyOnPause gets the caller's
    utterance (16 kHz, from G.711) when they pause, and its reply reaches the phone."""
    from agora_rtc.agent.turn_taking import ReplyOnPause
    got = []

    def reply(audio):
        got.append(audio)
        yield (16000, tone(1.0).reshape(1, -1))
    long_question = str(tmp_path / "long.wav")
    q, _ = read_wav(question)
    write_wav(long_question, np.concatenate([q, np.zeros(20 * 8000, np.int16)]))
    conn, rec = join(sip_service, "agent", "bot", record=False)
    rop = ReplyOnPause(reply).start(conn)
    try:
        phone = phones(source=long_question)
        phone.dial(agent_uri(sip_service))
        rop.wait_for("reply_done", 1, timeout=30)
    finally:
        rop.stop()
    rate, utterance = got[0]
    assert rate == 16000 and utterance.shape[0] == 1 and utterance.size > 0.3 * 16000
    time.sleep(0.3)
    phone.hangup()
    phone.wait_event("CALL_CLOSED")
    heard = phone.heard()
    loud = np.abs(heard.astype(np.int32)) > 2000
    assert loud.sum() > 8000 * 0.6
    assert abs(dominant_hz(heard[np.argmax(loud):][:4000], 8000) - ANSWER_HZ) < 10
    conn.release()
