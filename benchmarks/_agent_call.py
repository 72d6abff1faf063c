"""One agent calls another over SIP on loopback (the callee's channel "ear", the caller's
"mouth"): used by bench_sip_latency.py and tests/test_sip_pauses.py."""
from __future__ import annotations

import contextlib

import agora_rtc as ar


@contextlib.contextmanager
def agent_to_agent_call(ear):
    """Yield (caller connection, callee connection, PhoneCall) once the call is up and
    ``ear`` (the callee's connection and audio frame observer, with a ``joined`` Event)
    has seen the caller join; release both services at the end."""
    callee = ar.AgoraService(ar.AgoraServiceConfig(appid="call-b", transport_url="sip://127.0.0.1:0"))
    caller = ar.AgoraService(ar.AgoraServiceConfig(appid="call-a",
                                                   transport_url="sip://talker@127.0.0.1:0?dial=allow"))
    a = b = None
    try:
        b = callee.create_rtc_connection(ar.RTCConnConfig())
        b.register_observer(ear)
        b.register_audio_frame_observer(ear)
        b.connect("", "ear", "bot")
        b.publish_audio()
        a = caller.create_rtc_connection(ar.RTCConnConfig())
        a.connect("", "mouth", "talker")
        a.publish_audio()
        call = a.phone.dial(f"sip:ear@127.0.0.1:{callee.sip.port}")
        if not a.phone.wait("up", timeout=20) or not ear.joined.wait(20):
            raise RuntimeError(f"the call was not answered: {call}")
        yield a, b, call
    finally:
        for c in (a, b):
            if c is not None:
                c.release()
        caller.release()
        callee.release()
