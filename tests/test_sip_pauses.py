"""Pauses in a phone call are pauses, not loss: agent A dials agent B over
loopback (two ``sip://`` services, G.722 in 20 ms packets) and talks in
short spurts with silence between. A ends each spurt with its pause marker
(a keepalive right after the spurt's last packet); B's jitter buffer ends the
spurt there, and the silence up to the next spurt takes no piece numbers
(tests/native/test_rtp_reframe.c): on a clean path B counts no packet lost
and conceals nothing for the pauses, and hears every spurt."""
import os
import sys
import threading
import time

import numpy as np

import agora_rtc as ar

from conftest import wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "benchmarks"))
from _agent_call import agent_to_agent_call  # noqa: E402  (one agent calls another over SIP)

RATE = 16000
SPURT = (8000 * np.sin(2 * np.pi * 440 * np.arange(RATE * 3 // 10) / RATE)).astype(np.int16)
SPURTS = 8


class Ear(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    """B's observer: who joined, and the loud frames of each spurt heard."""

    def __init__(self):
        self.joined = threading.Event()
        self.loud_frames = 0
        self.last_loud = 0.0

    def on_user_joined(self, conn, uid):
        self.joined.set()

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad):
        if np.abs(np.frombuffer(frame.buffer, np.int16)).max() >= 2000:
            self.loud_frames += 1
            self.last_loud = time.monotonic()


def test_pauses_between_spurts_are_not_counted_lost():
    ear = Ear()
    with agent_to_agent_call(ear) as (a, b, call):
        assert call.codec.upper().startswith("G722"), call.codec
        time.sleep(0.3)
        for _ in range(SPURTS):
            assert a.push_audio_pcm_data(SPURT, RATE, 1) == 0
            wait_until(a.is_push_to_rtc_completed, timeout=10)
            time.sleep(0.5)  # the pause: 25 pieces of 20 ms nobody sent
        wait_until(lambda: time.monotonic() - ear.last_loud > 0.3, timeout=5)
        st = b._rtp_stats()
        print(f"\n{SPURTS} spurts with 0.5 s pauses: {st['keepalives_received']} keepalives, "
              f"lost {st['lost']}, late {st['late']}, plc {st['plc_frames']}, "
              f"played {st['packets_played']}, {ear.loud_frames} loud frames heard")
        assert st["keepalives_received"] >= SPURTS, st          # each spurt ended with its marker
        # every spurt heard (30 loud 10 ms frames each; its edges may fall under the threshold)
        assert ear.loud_frames >= SPURTS * 25, ear.loud_frames
        # the pauses (8 x 25 pieces) are not loss; a clean path loses nothing
        assert st["lost"] <= 1 and st["late"] == 0, st
        # and nothing is concealed for them (no underrun frames at a spurt's end)
        assert st["plc_frames"] <= 2, st
