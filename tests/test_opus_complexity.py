"""agora_rtc.opus_complexity: the libopus complexity of the Opus the RTP
transport sends, through the public parameter API. alice publishes to bob
through a logging UDP relay (tests/test_rtp_transport.py); what is checked is
the Opus payloads on the wire: the encoder is deterministic, so two senders at
the same complexity fed the same speech send the same bytes, and a sender at
another complexity sends other bytes, which bob still hears as the speech."""
import numpy as np
import pytest

from agora_rtc.agora_parameter import DEFAULT_OPUS_COMPLEXITY, OPUS_COMPLEXITY
from agora_rtc.errors import ERR_INVALID_ARGUMENT

from conftest import wait_until
from test_rtp_transport import PT_OPUS, Pair, Relay, parse_rtp, pcm, speech, tracked_ncc

PACKETS = 40    # the first 800 ms of the talk


def test_range_and_type_are_checked(service):
    params = service.get_agora_parameter()
    assert params.get_int(OPUS_COMPLEXITY) == DEFAULT_OPUS_COMPLEXITY == 10
    for bad in (-1, 11):
        assert params.set_int(OPUS_COMPLEXITY, bad) == ERR_INVALID_ARGUMENT
    assert params.set_parameters('{"agora_rtc.opus_complexity": "5"}') == ERR_INVALID_ARGUMENT
    assert params.get_int(OPUS_COMPLEXITY) == 10      # nothing refused was stored
    assert params.set_int(OPUS_COMPLEXITY, 0) == 0
    assert params.get_int(OPUS_COMPLEXITY) == 0


def talk(service, x, complexity=None):
    """alice's Opus payloads (the first PACKETS) for speech x, and bob's PCM."""
    relay = None

    def via(port):
        nonlocal relay
        relay = Relay(port)
        return relay.port

    p = Pair(service, via=via)
    try:
        if complexity is not None:      # set on the connection, after it was made
            assert p.a.get_agora_parameter().set_int(OPUS_COMPLEXITY, complexity) == 0
        assert p.a.push_audio_pcm_data(x, 16000) == 0
        wait_until(lambda: p.a.is_push_to_rtc_completed(), timeout=15)
        wait_until(lambda: p.rb.frame_count("alice") >= len(x) // 160, timeout=10,
                   what="bob heard the talk")
        rtp = [parse_rtp(d) for _, d in relay.log if len(d) > 12 and d[1] & 0x7F == PT_OPUS]
        assert len(rtp) >= PACKETS
        return [r["payload"] for r in rtp[:PACKETS]], pcm(p.rb, "alice")
    finally:
        p.release()
        relay.close()


def test_complexity_is_applied_to_the_sent_opus(service):
    x = speech(1.5)
    default_a, _ = talk(service, x)
    default_b, _ = talk(service, x)
    set_on_conn, heard = talk(service, x, complexity=0)
    params = service.get_agora_parameter()
    assert params.set_int(OPUS_COMPLEXITY, 0) == 0    # connections made from now on
    from_service, _ = talk(service, x)
    assert params.set_int(OPUS_COMPLEXITY, DEFAULT_OPUS_COMPLEXITY) == 0

    assert default_a == default_b                 # same complexity, same bytes
    assert set_on_conn == from_service            # the service's value reaches new connections
    assert set_on_conn != default_a               # ... and complexity 0 is another encoding
    mean, scores = tracked_ncc(heard, x)
    assert mean > 0.7, scores                      # which bob hears as the speech
