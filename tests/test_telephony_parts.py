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
