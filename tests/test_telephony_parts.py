"""The Twilio endpoint's parts: the mu-law tables against CPython's audioop for
every input, the interrupt notices, and a stream peer that never reads."""
import asyncio
import json
import logging

import numpy as np
import pytest

from agora_rtc.telephony import TwilioMediaStreams, pcm16_to_ulaw, ulaw_to_pcm16
from agora_rtc.telephony import twilio_call
from agora_rtc.telephony.twilio_call import TwilioCall
from conftest import join
from twilio_client import ACCOUNT_SID, START, lin2ulaw, ulaw2lin


def test_mulaw_matches_audioop_for_every_sample_and_code():
    every = np.arange(-32768, 32768, dtype=np.int16)
    assert pcm16_to_ulaw(every) == lin2ulaw(every.tobytes())
    assert pcm16_to_ulaw(every.tobytes()) == lin2ulaw(every.tobytes())
    codes = bytes(range(256))
    assert ulaw_to_pcm16(codes).tobytes() == ulaw2lin(codes)


def test_mulaw_rejects_what_is_not_int16():
    with pytest.raises(TypeError, match="int16"):
        pcm16_to_ulaw(np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="whole int16 samples"):
        pcm16_to_ulaw(b"\x00\x01\x02")


def test_interrupt_notices_reach_watchers_of_the_channel_only(service):
    a, _ = join(service, "notices", "a", record=False)
    seen, other = [], []
    stop = service.interrupt_notices.watch("notices", lambda uid, report: seen.append((uid, report)))
    service.interrupt_notices.watch("elsewhere", lambda uid, report: other.append(uid))

    def broken(uid, report):
        raise RuntimeError("a watcher's bug")
    stop_broken = service.interrupt_notices.watch("notices", broken)
    assert a.push_audio_pcm_data(np.zeros(8000, np.int16), 16000, 1) == 0
    assert a.interrupt_audio() == 0                   # a failing watcher does not fail it
    assert seen == [("a", a.last_interrupt)] and other == []
    stop()
    stop_broken()
    a.interrupt_audio()
    assert len(seen) == 1


def test_a_peer_that_never_reads_holds_bounded_audio(service, monkeypatch, caplog):
    monkeypatch.setattr(twilio_call, "MAX_OUTBOUND", 20)   # 200 ms instead of 3 s: a short test
    agent, rec = join(service, "slow", "agent")
    endpoint = TwilioMediaStreams(service, "slow")
    sent = []

    async def stuck_send(message):                # a socket whose peer never reads
        sent.append(message)
        await asyncio.Event().wait()

    async def main():
        call = TwilioCall(endpoint, stuck_send, asyncio.get_running_loop())
        ids = {"account": ACCOUNT_SID, "call": "CA9", "stream": "MZ9", "from_": "+15550009999"}
        assert await call.handle("start", json.loads(START % ids))
        assert agent.push_audio_pcm_data(np.full(8000, 1000, np.int16), 8000, 1) == 0   # 1 s
        while call.stats["media_out"] < 100:
            await asyncio.sleep(0.02)
        assert len(call._outbound) <= 20 and call._queued_media <= 20
        assert call.stats["dropped_out_ms"] == 10 * (call.stats["media_out"] - 20 - len(sent))
        await call.finish("test over")
        return call

    with caplog.at_level(logging.WARNING, logger="agora_rtc.telephony"):
        call = asyncio.run(main())
    assert len(sent) == 1                          # the first send never returned
    assert "not read fast enough" in caplog.text
    assert call.ended == "test over" and endpoint.calls == {}
    rec.wait_event("left", "+15550009999")        # finish left the channel


# ---- any text Twilio's side may send: the message readers raise ProtocolError and nothing else ----

from hypothesis import given, settings, strategies as st  # noqa: E402

from agora_rtc.telephony import twilio_messages as tm  # noqa: E402
from twilio_client import CONNECTED, DTMF, MARK, MEDIA, STOP  # noqa: E402

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=12)
IDS = {"account": ACCOUNT_SID, "call": "CA1", "stream": "MZ1", "from_": "+15550001111", "seq": 2}
VALID = [CONNECTED, START % IDS, MEDIA % dict(IDS, chunk=1, ts=20, payload="//79"), DTMF % dict(IDS, digit="5"),
         MARK % dict(IDS, name="m"), STOP % IDS]
READERS = {"start": tm.read_start, "media": tm.read_media_payload, "dtmf": tm.read_dtmf_digit,
           "mark": tm.read_mark_name}


def _read(text):
    try:
        event, message = tm.parse_message(text)
        reader = READERS.get(event)
        if reader is not None:
            result = reader(message)
            if event == "media":                 # what the call then reads of it
                assert isinstance(result[0], str) and isinstance(result[1], bytes)
    except tm.ProtocolError as exc:
        assert 1000 <= exc.code <= 1011 and exc.reason and len(exc.reason.encode()) < 200


def _mutate(value, path, new):
    if not path:
        return new
    key = path[0]
    if isinstance(value, dict) and value:
        key = sorted(value)[key % len(value)]
        return dict(value, **{key: _mutate(value[key], path[1:], new)})
    if isinstance(value, list) and value:
        i = key % len(value)
        return value[:i] + [_mutate(value[i], path[1:], new)] + value[i + 1:]
    return new


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VALID), st.lists(st.integers(0, 7), max_size=3), JSON)
def test_mutated_twilio_frames_raise_only_protocol_errors(frame, path, new):
    _read(json.dumps(_mutate(json.loads(frame), path, new)))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), JSON.map(json.dumps)))
def test_arbitrary_text_raises_only_protocol_errors(text):
    _read(text)


def test_frame_mixer_pairs_frames_of_two_talkers_in_order():
    from agora_rtc.telephony.frame_mixer import MAX_QUEUED_FRAMES, FrameMixer

    async def main():
        out = []
        mixer = FrameMixer(asyncio.get_running_loop(), out.append)
        a = [np.full(80, 100 * (i + 1), np.int16) for i in range(3)]
        b = [np.full(80, 10 * (i + 1), np.int16) for i in range(3)]
        mixer.add("a", a[0])                    # a alone: leaves at once
        assert [int(f[0]) for f in out] == [100]
        mixer.add("b", b[0])                    # now both talk: b's frame waits for a's next
        mixer.add("b", b[1])
        assert len(out) == 1
        mixer.add("a", a[1])
        mixer.add("a", a[2])                    # paired in order, whatever the arrival order
        assert [int(f[0]) for f in out] == [100, 210, 320]
        mixer.add("a", np.full(80, 30000, np.int16))
        mixer.add("b", np.full(80, 30000, np.int16))
        assert int(out[-1][0]) == 32767         # clipped, not wrapped
        mixer.add("a", a[0])                    # b silent: a's frame leaves after the wait
        await asyncio.sleep(0.1)
        assert int(out[-1][0]) == 100 and len(out) == 5
        for _ in range(MAX_QUEUED_FRAMES + 50):  # a stalled mix keeps a bounded queue
            mixer._queues.setdefault("x", __import__("collections").deque()).append(a[0])
        mixer.add("x", a[0])
        assert all(len(q) <= MAX_QUEUED_FRAMES for q in mixer._queues.values())
        mixer.close()

    asyncio.run(main())


def test_endpoint_arguments_are_checked(service):
    import agora_rtc as ar
    with pytest.raises(TypeError, match="initialized AgoraService"):
        TwilioMediaStreams(object(), "room")
    with pytest.raises(ValueError, match="channel"):
        TwilioMediaStreams(service, "no/slash")
    with pytest.raises(ValueError, match="https://"):
        TwilioMediaStreams(service, "room", public_url="http://example.com/telephone")
    with pytest.raises(ValueError, match="auth_token"):
        TwilioMediaStreams(service, "room", auth_token="")
    with pytest.raises(TypeError, match="TwilioCallObserver"):
        TwilioMediaStreams(service, "room", observer=object())
    janus = ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url="janus://127.0.0.1:1?admin_key=x"))
    try:
        with pytest.raises(ar.NotSupportedError, match="in-process network"):
            TwilioMediaStreams(janus, "room")
    finally:
        janus.release()
