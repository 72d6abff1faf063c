"""Phone callers through Twilio Media Streams: a caller is a remote user of a channel.

The endpoint (agora_rtc.telephony.TwilioMediaStreams) is mounted in a Starlette
app served by uvicorn on loopback; tests/twilio_client.py plays Twilio's side
with frames written by hand from Twilio's published format and audio encoded
by CPython's audioop. The agent is an ordinary connection of the same service.
"""
import base64
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

import agora_rtc as ar
from agora_rtc.agent import ReplyOnPause
from agora_rtc.telephony import TwilioCallObserver, TwilioMediaStreams
from conftest import asset_pcm, join, wait_until
from twilio_client import STOP, FakeTwilio, lin2ulaw, to_8k, ulaw2lin
from websockets.exceptions import ConnectionClosed

QUESTION_8K = to_8k(asset_pcm("caller_question.wav").tobytes())
ANSWER_8K = to_8k(asset_pcm("agent_answer.wav").tobytes())
CALLER = "+15551234567"
CHANNEL = "phone"


class Calls(TwilioCallObserver):
    def __init__(self):
        self.cond = threading.Condition()
        self.log = []

    def _add(self, *entry):
        with self.cond:
            self.log.append(entry)
            self.cond.notify_all()

    def on_call_started(self, call): self._add("started", call)
    def on_dtmf(self, call, digit): self._add("dtmf", digit)
    def on_mark(self, call, name): self._add("mark", name)
    def on_call_ended(self, call, reason): self._add("ended", reason)

    def wait(self, *entry, timeout=15.0):
        with self.cond:
            ok = self.cond.wait_for(lambda: any(e[:len(entry)] == entry for e in self.log), timeout)
        assert ok, f"timed out waiting for {entry}; log {self.log}"
        return next(e for e in self.log if e[:len(entry)] == entry)


class Server:
    """uvicorn in a thread of this process (the agent's in-process network is here)."""

    def __init__(self, app):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started, timeout=15, what="uvicorn to start")

    def stop(self):
        self.server.should_exit = True
        self.thread.join(15)
        self.sock.close()
        assert not self.thread.is_alive()


@pytest.fixture
def phone(service):
    agent, rec = join(service, CHANNEL, "agent", rate=16000, vad=ar.AudioVadConfigV2())
    calls = Calls()
    endpoint = TwilioMediaStreams(service, CHANNEL, observer=calls)
    server = Server(Starlette(routes=[Mount("/telephone", app=endpoint)]))
    url = f"ws://127.0.0.1:{server.port}/telephone/handler"
    yield agent, rec, endpoint, calls, url, server
    server.stop()


def media_ulaw(client):
    return b"".join(base64.b64decode(m["media"]["payload"]) for m in client.events("media"))


def test_twiml_answer_points_twilio_at_the_stream(phone):
    *_, server = phone
    body = b"CallSid=CA1&From=%2B15551234567&To=%2B15557654321&Direction=inbound"
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/telephone/incoming", data=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200 and resp.headers["content-type"] == "application/xml"
        root = ET.fromstring(resp.read())
    stream = root.find("./Connect/Stream")
    assert root.tag == "Response" and stream is not None
    assert stream.get("url") == f"wss://127.0.0.1:{server.port}/telephone/handler"
    params = {p.get("name"): p.get("value") for p in stream.findall("Parameter")}
    assert params == {"From": CALLER, "To": "+15557654321", "Direction": "inbound"}


def test_call_is_a_remote_user_both_ways(phone):
    agent, rec, endpoint, calls, url, _ = phone
    client = FakeTwilio(url)
    client.connected()
    client.start()
    rec.wait_event("joined", CALLER)
    call = calls.wait("started")[1]
    assert (call.user_id, call.channel_id, call.call_sid) == (CALLER, CHANNEL, client.ids["call"])
    assert endpoint.find_call(CALLER) is call

    # caller -> agent: the recorded question, mu-law in real time (then 0.5 s of line silence),
    # reaches the agent whole with VAD start and stop (whether the chunks joined into one
    # stream depends on the machine's timing: benchmarks/bench_telephony.py measures it)
    spoken = lin2ulaw(QUESTION_8K) + b"\xff" * 4000
    client.media(spoken, real_time=True)
    frames = -(-len(spoken) // 80)
    wait_until(lambda: call.connection.get_send_stats()["sent_frames"] >= frames, timeout=20,
               what="the caller's audio to be sent into the channel")
    assert call.connection.get_send_stats()["sent_frames"] == frames
    rec.wait_for(lambda: len(rec.frames.get(CALLER, [])) >= frames, timeout=20)
    states = [s for s, _ in rec.vad[CALLER]]
    assert states.index(1) < states.index(3)
    assert {f.samples_per_sec for f in rec.frames[CALLER]} == {16000}   # the rate the agent asked for

    # agent -> caller: pushed audio comes back as media messages, sample for sample in mu-law
    assert agent.push_audio_pcm_data(ANSWER_8K, 8000, 1) == 0
    wait_until(agent.is_push_to_rtc_completed, timeout=20, what="the answer to leave")
    padded = ANSWER_8K + bytes(-len(ANSWER_8K) % 160)            # the last 10 ms frame is padded
    # a mark follows what the call has heard so far: wait for the answer's last frames, which
    # may still be on their way through the engine when the push completes
    wait_until(lambda: call.stats["media_out"] >= len(padded) // 160, timeout=20,
               what="the call to hear the whole answer")
    call.send_mark("answer-end")
    client.wait_for(lambda: client.events("mark"), what="the mark")
    mark = client.events("mark")[0]
    assert mark == {"event": "mark", "streamSid": client.ids["stream"], "mark": {"name": "answer-end"}}
    assert media_ulaw(client) == lin2ulaw(padded)
    assert all(m["streamSid"] == client.ids["stream"] and set(m) == {"event", "streamSid", "media"}
               for m in client.events("media"))
    assert client.received.index(mark) == len(client.received) - 1   # after the audio it follows

    client.mark("answer-end")                                    # Twilio: that audio has played
    calls.wait("mark", "answer-end")
    for digit in "1#":
        client.dtmf(digit)
    calls.wait("dtmf", "#")
    assert call.digits == "1#"
    # the agent hears the keys as a SIP caller's: its local-user observer, the caller's id
    rec.wait_event("dtmf", CALLER, "#", timeout=10)
    assert [e[1] for e in rec.events if e[0] == "dtmf"] == [(CALLER, "1", 0), (CALLER, "#", 0)]
    assert call.stats["dtmf_not_relayed"] == 0

    client.stop()
    rec.wait_event("left", CALLER)
    assert client.wait_closed() == (1000, "stream stopped")
    calls.wait("ended", "stop")
    assert endpoint.calls == {}
    client.close()


def test_agent_interrupt_sends_clear(phone):
    agent, rec, endpoint, calls, url, _ = phone
    client = FakeTwilio(url)
    client.connected()
    client.start()
    rec.wait_event("joined", CALLER)
    assert agent.push_audio_pcm_data(ANSWER_8K, 8000, 1) == 0
    client.wait_for(lambda: len(client.events("media")) >= 30, what="30 ms x 10 of the answer")
    agent.interrupt_audio()
    client.wait_for(lambda: client.events("clear"), what="clear")
    clear = client.events("clear")[0]
    assert clear == {"event": "clear", "streamSid": client.ids["stream"]}
    call = endpoint.find_call(CALLER)
    assert call.stats["clears"] == 1
    # nothing of the cut answer is sent after the clear (frames still on their way are dropped)
    wait_until(agent.is_push_to_rtc_completed, what="the agent's queue to be empty")
    call.send_mark("after-clear")
    client.wait_for(lambda: client.events("mark"), what="the mark after the clear")
    after = client.received[client.received.index(clear) + 1:]
    assert [m["event"] for m in after] == ["mark"]
    assert len(client.events("media")) < len(ANSWER_8K) // 160      # 10 ms frames of the whole answer
    # the agent talks again: heard in full
    before, before_out = len(client.events("media")), call.stats["media_out"]
    assert agent.push_audio_pcm_data(ANSWER_8K[:8000], 8000, 1) == 0      # 8000 bytes: 0.5 s
    wait_until(agent.is_push_to_rtc_completed, timeout=20, what="the new answer to leave")
    wait_until(lambda: call.stats["media_out"] - before_out >= 50, timeout=20, what="the call to hear it")
    call.send_mark("second")
    client.wait_for(lambda: len(client.events("mark")) == 2, what="the second mark")
    assert len(client.events("media")) - before == 50
    client.close()                                               # the socket closes without stop
    rec.wait_event("left", CALLER)
    calls.wait("ended", "socket closed")


def test_hang_up_from_the_agent_side(phone):
    agent, rec, endpoint, calls, url, _ = phone
    client = FakeTwilio(url)
    client.connected()
    client.start()
    call = calls.wait("started")[1]
    call.hang_up()                                  # from this (non-loop) thread
    assert client.wait_closed() == (1000, "hang up")
    rec.wait_event("left", CALLER)
    calls.wait("ended", "hang up")
    client.close()


def test_reply_on_pause_answers_a_phone_caller_unchanged(phone):
    agent, rec, endpoint, calls, url, _ = phone
    answer = asset_pcm("agent_answer.wav")

    def reply(audio):
        yield 16000, answer[np.newaxis, :]

    rop = ReplyOnPause(reply).start(agent)
    client = FakeTwilio(url)
    try:
        client.connected()
        client.start()
        client.media(lin2ulaw(QUESTION_8K) + b"\xff" * 8000, real_time=True)
        rop.wait_for("reply_done", 1, timeout=40)
        wait_until(agent.is_push_to_rtc_completed, timeout=20, what="the reply to leave")
        call = endpoint.find_call(CALLER)
        wait_until(lambda: call.stats["media_out"] * 80 >= answer.size // 2, timeout=20,
                   what="the call to hear the reply")
        call.send_mark("reply-end")
        client.wait_for(lambda: client.events("mark"), what="the mark after the reply")
    finally:
        rop.stop()
    utterances = rop.events("utterance")
    assert utterances and all(e.user_id == CALLER for e in utterances)
    interrupts = rop.events("interrupted")
    # each interrupted reply was cleared from Twilio's buffer
    assert call.stats["clears"] == len(client.events("clear")) >= (1 if interrupts else 0)
    heard = np.frombuffer(ulaw2lin(media_ulaw(client)), np.int16).astype(np.float64)
    # the whole last reply came back (8 kHz; the engine resampled the 16 kHz answer)
    assert heard.size >= answer.size // 2
    assert np.sqrt(np.mean(heard ** 2)) > 300
    client.send(STOP % client._next())
    rec.wait_event("left", CALLER)
    client.close()


BAD_INPUT = [
    # (frames after the WebSocket opens, close code, words of the reason)
    pytest.param(['{"event": "start", '], 1007, "not JSON", id="malformed-json"),
    pytest.param(['["event", "start"]'], 1007, "JSON object", id="not-an-object"),
    pytest.param(["[" * 30000 + "]" * 30000], 1007, "not JSON", id="deeply-nested"),
    pytest.param(['{"event": 7}'], 1008, "event", id="event-not-a-string"),
    pytest.param(["START", '{"event": "dance", "streamSid": "MZ00000000000000000000000000000001"}'],
                 1008, "unknown event", id="unknown-event"),
    pytest.param(['{"event": "media", "sequenceNumber": "2", "media": {"track": "inbound", "chunk": "1", '
                  '"timestamp": "5", "payload": "AAAA"}, "streamSid": "MZ1"}'], 1008, "media before start",
                 id="media-before-start"),
    pytest.param(["START", '{"event": "media", "sequenceNumber": "2", "media": {"track": "inbound", '
                  '"chunk": "1", "timestamp": "5", "payload": "not base64!"}, '
                  '"streamSid": "MZ00000000000000000000000000000001"}'], 1007, "base64", id="bad-base64"),
    pytest.param(["START", '{"event": "media", "sequenceNumber": "2", "media": {"track": "inbound", '
                  '"chunk": "1", "timestamp": "5", "payload": "' + "A" * 100_000 + '"}, '
                  '"streamSid": "MZ00000000000000000000000000000001"}'], 1009, "at most", id="oversized"),
    pytest.param([b"\x00\x01binary"], 1003, "text frames", id="binary-frame"),
    pytest.param(["START", "START"], 1008, "already started", id="second-start"),
    pytest.param(["START", '{"event": "dtmf", "streamSid": "MZ00000000000000000000000000000001", '
                  '"sequenceNumber": "2", "dtmf": {"track": "inbound_track", "digit": "X"}}'],
                 1008, "digit", id="bad-dtmf-digit"),
    pytest.param(["START", '{"event": "stop", "sequenceNumber": "2", "streamSid": "MZother", '
                  '"stop": {"accountSid": "AC1", "callSid": "CA1"}}'], 1008, "streamSid", id="wrong-stream"),
    pytest.param(['{"event": "start", "sequenceNumber": "1", "start": {"accountSid": "AC1", "streamSid": "MZ1", '
                  '"callSid": "CA1", "tracks": ["inbound"], "customParameters": {}, "mediaFormat": '
                  '{"encoding": "audio/x-alaw", "sampleRate": 8000, "channels": 1}}, "streamSid": "MZ1"}'],
                 1008, "mediaFormat", id="not-mulaw"),
    pytest.param(['{"event": "start", "sequenceNumber": "1", "start": {"accountSid": "AC1", "streamSid": "MZ1", '
                  '"tracks": ["inbound"], "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, '
                  '"channels": 1}}, "streamSid": "MZ1"}'], 1008, "callSid", id="start-without-callSid"),
    pytest.param(["START", '{"event": "connected", "protocol": "Call", "version": "1.0.0"}'],
                 1008, "first message", id="connected-after-start"),
]


@pytest.mark.parametrize("frames,code,words", BAD_INPUT)
def test_bad_input_closes_with_a_clear_reason(phone, frames, code, words):
    agent, rec, endpoint, calls, url, _ = phone
    client = FakeTwilio(url)
    client.connected()
    for frame in frames:
        if frame == "START":
            client.start()
            rec.wait_event("joined", CALLER)
        else:
            client.send(frame)
    got_code, reason = client.wait_closed()
    assert got_code == code and words in reason, (got_code, reason)
    if "START" in frames:
        rec.wait_event("left", CALLER)                # the caller left the channel
    wait_until(lambda: endpoint.calls == {}, what="the call to be forgotten")
    client.close()
    # the endpoint still answers the next call
    good = FakeTwilio(url, call="CA00000000000000000000000000000002")
    good.connected()
    good.start()
    calls.wait("started")
    good.stop()
    assert good.wait_closed()[0] == 1000
    good.close()


def test_media_faster_than_real_time_is_refused(phone):
    agent, rec, endpoint, calls, url, _ = phone
    client = FakeTwilio(url)
    client.connected()
    client.start()
    rec.wait_event("joined", CALLER)
    try:
        client.media(bytes([0xFF]) * 8000 * 30)      # 30 s of silence at once
    except ConnectionClosed:
        pass                                         # closed by the endpoint while sending
    code, reason = client.wait_closed()
    assert code == 1008 and "faster than real time" in reason
    rec.wait_event("left", CALLER)
    client.close()


def test_outbound_call_joins_as_the_number_called(phone):
    agent, rec, endpoint, calls, url, _ = phone
    client = FakeTwilio(url)
    client.connected()
    client.send('{"event": "start", "sequenceNumber": "1", "start": {"accountSid": "AC1", "streamSid": "MZ7", '
                '"callSid": "CA7", "tracks": ["inbound"], "customParameters": {"From": "+15550000001", '
                '"To": "+15550000002", "Direction": "outbound-api"}, "mediaFormat": {"encoding": "audio/x-mulaw", '
                '"sampleRate": 8000, "channels": 1}}, "streamSid": "MZ7"}')
    rec.wait_event("joined", "+15550000002")
    client.close()
    rec.wait_event("left", "+15550000002")


def twilio_signature(token, url, fields):
    """Twilio's documented webhook signature, written out here independently."""
    import hashlib
    import hmac
    data = url + "".join(k + v for k, v in sorted(fields))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_with_an_auth_token_only_signed_webhooks_start_streams(service):
    agent, rec = join(service, "signed", "agent")
    endpoint = TwilioMediaStreams(service, "signed", auth_token="s3cret")
    server = Server(Starlette(routes=[Mount("/telephone", app=endpoint)]))
    try:
        hook = f"http://127.0.0.1:{server.port}/telephone/incoming"
        fields = [("CallSid", "CA1"), ("From", CALLER), ("To", "+15557654321")]
        body = "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in fields).encode()

        def post(signature):
            req = urllib.request.Request(hook, data=body, headers={"X-Twilio-Signature": signature})
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    return resp.status, resp.read()
            except urllib.error.HTTPError as err:
                return err.code, err.read()

        assert post("wrong")[0] == 403
        assert post(twilio_signature("other-token", hook, fields))[0] == 403
        status, twiml = post(twilio_signature("s3cret", hook, fields))
        assert status == 200
        params = {p.get("name"): p.get("value") for p in ET.fromstring(twiml).iter("Parameter")}
        token = params.pop("agora_rtc_stream_token")
        assert len(token) >= 32 and params == {"From": CALLER, "To": "+15557654321"}

        url = f"ws://127.0.0.1:{server.port}/telephone/handler"
        start = ('{"event": "start", "sequenceNumber": "1", "start": {"accountSid": "AC1", "streamSid": "MZ1", '
                 '"callSid": "CA1", "tracks": ["inbound"], "customParameters": {"From": "+15551234567"%s}, '
                 '"mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}}, '
                 '"streamSid": "MZ1"}')
        with_token = start % f', "agora_rtc_stream_token": "{token}"'
        for frame in (start % "", start % ', "agora_rtc_stream_token": "made-up"'):
            intruder = FakeTwilio(url)
            intruder.send(frame)
            code, reason = intruder.wait_closed()
            assert code == 1008 and "stream token" in reason
            intruder.close()
        client = FakeTwilio(url)
        client.send(with_token)
        rec.wait_event("joined", CALLER)
        wait_until(lambda: endpoint.find_call(CALLER) is not None, what="the call to start")
        assert "agora_rtc_stream_token" not in endpoint.find_call(CALLER).custom_parameters
        replay = FakeTwilio(url, call="CA2")            # the same token a second time
        replay.send(with_token)
        assert replay.wait_closed()[0] == 1008
        replay.close()
        client.close()
        rec.wait_event("left", CALLER)
    finally:
        server.stop()


def test_two_speakers_at_once_are_mixed(phone):
    agent, rec, endpoint, calls, url, _ = phone
    second, _ = join(endpoint.service, CHANNEL, "agent-2", record=False)
    client = FakeTwilio(url)
    client.connected()
    client.start()
    rec.wait_event("joined", CALLER)
    t = np.arange(8000) / 8000
    low = (6000 * np.sin(2 * np.pi * 300 * t)).astype(np.int16)
    high = (6000 * np.sin(2 * np.pi * 1700 * t)).astype(np.int16)
    assert agent.push_audio_pcm_data(low, 8000, 1) == 0 and second.push_audio_pcm_data(high, 8000, 1) == 0
    wait_until(lambda: agent.is_push_to_rtc_completed() and second.is_push_to_rtc_completed(), timeout=20,
               what="both to leave")
    call = endpoint.find_call(CALLER)
    wait_until(lambda: call.stats["media_out"] >= 100, timeout=20, what="the call to hear both")
    call.send_mark("end")
    client.wait_for(lambda: client.events("mark"), what="the mark")
    n = len(client.events("media"))
    # one message per 10 ms, not one per speaker: 100, plus at most the prefill burst
    # (frame_mixer.py) of the talker heard second, sent before anyone else was heard
    assert 100 <= n <= 100 + 15
    heard = np.frombuffer(ulaw2lin(media_ulaw(client)), np.int16).astype(np.float64)[2400:7200]
    spectrum = np.abs(np.fft.rfft(heard))
    freqs = np.fft.rfftfreq(heard.size, 1 / 8000)
    peaks = sorted(freqs[np.argsort(spectrum)[-2:]])
    assert abs(peaks[0] - 300) < 5 and abs(peaks[1] - 1700) < 5   # both voices in one stream
    client.close()
    second.release()


def test_hang_up_from_a_dtmf_callback(service):
    agent, rec = join(service, "keypad", "agent")

    class HangUpOnZero(Calls):
        def on_dtmf(self, call, digit):
            super().on_dtmf(call, digit)
            if digit == "0":
                call.hang_up()                  # on the event loop, inside the reader

    calls = HangUpOnZero()
    server = Server(TwilioMediaStreams(service, "keypad", observer=calls))   # served unmounted
    try:
        client = FakeTwilio(f"ws://127.0.0.1:{server.port}/handler")
        client.connected()
        client.start()
        client.dtmf("7")
        client.dtmf("0")
        assert client.wait_closed() == (1000, "hang up")
        calls.wait("ended", "hang up")
        rec.wait_event("left", CALLER)
        assert [e[1] for e in calls.log if e[0] == "dtmf"] == ["7", "0"]
        client.close()
    finally:
        server.stop()


def test_streams_beyond_max_calls_are_refused(service):
    agent, rec = join(service, "busy", "agent")
    server = Server(TwilioMediaStreams(service, "busy", max_calls=1))
    try:
        url = f"ws://127.0.0.1:{server.port}/handler"
        first = FakeTwilio(url)
        first.start()
        rec.wait_event("joined", CALLER)
        second = FakeTwilio(url, call="CA00000000000000000000000000000002", from_="+15550000002")
        second.start()
        assert second.wait_closed() == (1013, "the endpoint has 1 calls (max_calls)")
        second.close()
        first.stop()
        first.wait_closed()
        first.close()
        rec.wait_event("left", CALLER)
        third = FakeTwilio(url, call="CA00000000000000000000000000000003", from_="+15550000003")
        third.start()                            # the first call's place is free again
        rec.wait_event("joined", "+15550000003")
        third.close()
    finally:
        server.stop()


def test_server_shutdown_ends_calls(service):
    agent, rec = join(service, "shutdown", "agent")
    calls = Calls()
    server = Server(TwilioMediaStreams(service, "shutdown", observer=calls))
    client = FakeTwilio(f"ws://127.0.0.1:{server.port}/handler")
    client.start()
    rec.wait_event("joined", CALLER)
    server.stop()
    rec.wait_event("left", CALLER)
    reason = calls.wait("ended")[1]
    assert reason in ("server shut down", "socket closed")
    client.close()
