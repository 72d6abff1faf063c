"""A key a caller pressed, sent into the channel by the caller's connection (what the
Twilio endpoint does for its callers' DTMF): the other users' local-user observers get
on_dtmf_received with the caller's id, as for a SIP caller's RFC 4733 keys."""
import time

import agora_rtc as ar
from agora_rtc.errors import ERR_INVALID_ARGUMENT, ERR_NOT_SUPPORTED
from conftest import join


def test_key_reaches_the_other_users_not_the_sender(service):
    caller, rec_caller = join(service, "room", "caller", record=False)
    agent, rec_agent = join(service, "room", "agent", record=False)
    assert caller._send_dtmf_event(11, 120) == 0          # '#', held 120 ms
    assert caller._send_dtmf_event(3, 0) == 0             # '3', duration not known
    rec_agent.wait_event("dtmf", "caller", "3", timeout=10)
    assert [e[1] for e in rec_agent.events if e[0] == "dtmf"] == [("caller", "#", 120), ("caller", "3", 0)]
    time.sleep(0.2)
    assert "dtmf" not in rec_caller.names()
    caller.release()
    agent.release()


def test_bad_keys_and_states_are_refused(service):
    caller, _ = join(service, "room", "caller", record=False)
    for key, duration in ((16, 0), (-1, 0), (1, -1), (1, 70000)):
        assert caller._send_dtmf_event(key, duration) == ERR_INVALID_ARGUMENT, (key, duration)
    caller.disconnect()
    time.sleep(0.2)
    assert caller._send_dtmf_event(1, 0) < 0              # not connected
    caller.release()


def test_not_on_the_rtp_transport():
    """A SIP call's connection sends keys to the phone (conn.phone), not into the channel."""
    svc = ar.AgoraService(ar.AgoraServiceConfig(appid="dtmf-rtp", transport_url="sip://127.0.0.1:0"))
    conn, _ = join(svc, "agent", "bot", record=False)
    assert conn._send_dtmf_event(1, 0) == ERR_NOT_SUPPORTED
    conn.release()
    svc.release()
