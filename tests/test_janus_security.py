"""Access control and privacy on the Janus transport (SECURITY.md): the token
is the room secret (and pin with ``pin=token``), admin keys and tokens never
reach a log record, and ``srtp=80`` makes every receive leg SRTP."""
import logging

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc.janus import JANUS_MISSING_REASON, JanusServer, janus_available
from conftest import Recorder

pytestmark = pytest.mark.skipif(not janus_available(), reason=JANUS_MISSING_REASON)

ADMIN_KEY = "ak-do-not-log-0123456789abcdef"
TOKEN = "room-token-do-not-log-4242"


@pytest.fixture(scope="module")
def janus():
    with JanusServer(admin_key=ADMIN_KEY) as srv:
        yield srv


def url(srv, **params):
    query = "&".join(f"{k}={v}" for k, v in {"admin_key": ADMIN_KEY, **params}.items())
    return f"{srv.transport_url}?{query}"


def member(svc, channel, uid, token=TOKEN, expect="connected"):
    conn = svc.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    conn.register_audio_frame_observer(rec)
    assert conn.connect(token, channel, uid) == 0
    rec.wait_for(lambda: any(e[0] in ("connected", "failure") for e in rec.events), timeout=20)
    assert rec.names()[-1] == expect if expect == "failure" else expect in rec.names(), rec.events
    if expect == "connected":
        assert conn.publish_audio() == 0
    return conn, rec


def hear(a, rb, uid):
    x = (8000 * np.sin(np.arange(16000) * 2 * np.pi * 300 / 16000)).astype(np.int16)
    assert a.push_audio_pcm_data(x, 16000, 1) == 0
    rb.wait_for(lambda: len(rb.frames.get(uid, [])) >= 30, timeout=20)


class _Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts = []

    def emit(self, record):
        self.texts.append(self.format(record))    # message, args and traceback


@pytest.fixture
def all_logs():
    handler = _Everything()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    sdk = [logging.getLogger(n) for n in ("agora_rtc", "agora_rtc.janus")]
    old = [lg.level for lg in sdk]
    for lg in sdk:
        lg.setLevel(logging.DEBUG)
    yield handler.texts
    root.removeHandler(handler)
    root.setLevel(old_level)
    for lg, level in zip(sdk, old):
        lg.setLevel(level)


def test_admin_key_and_token_never_logged(janus, all_logs):
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url(janus))) as svc:
        a, ra = member(svc, "sec-logs", "alice")
        b, rb = member(svc, "sec-logs", "bob")
        rb.wait_event("joined", "alice", timeout=20)
        hear(a, rb, "alice")
        # forced error: a wrong token (room secret) is refused by Janus
        bad, rbad = member(svc, "sec-logs", "mallory", token="wrong-token", expect="failure")
        bad.release()
        a.disconnect()
        b.disconnect()
    # forced error: a wrong admin key cannot set up forwards (warnings with tracebacks)
    wrong = f"{janus.transport_url}?admin_key=wrong-{ADMIN_KEY[::-1]}"
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url(janus))) as svc1, \
            ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=wrong)) as svc2:
        c, _ = member(svc1, "sec-logs-2", "carol")
        d = svc2.create_rtc_connection(ar.RTCConnConfig())
        rd = Recorder()
        d.register_observer(rd)
        assert d.connect(TOKEN, "sec-logs-2", "dave") == 0
        rd.wait_for(lambda: any(e[0] in ("connected", "failure") for e in rd.events), timeout=20)
        c.release()
        d.release()
    # forced error: a malformed URL holding the key; the message redacts it
    with pytest.raises(ValueError) as info:
        ar.AgoraService(ar.AgoraServiceConfig(
            appid="t", transport_url=f"janus://127.0.0.1:notaport/janus?admin_key={ADMIN_KEY}"))
    assert ADMIN_KEY not in str(info.value)
    assert ADMIN_KEY not in repr(ar.agora_base.parse_transport_url(url(janus)))

    assert len(all_logs) > 5, all_logs           # the run did log (session, errors, ...)
    assert any("WARNING" in t for t in all_logs), all_logs
    leaked = [t for t in all_logs if ADMIN_KEY in t or TOKEN in t or ADMIN_KEY[::-1] in t]
    assert leaked == []


def test_srtp_receive_legs(janus):
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url(janus, srtp=80))) as svc:
        a, ra = member(svc, "sec-srtp", "alice")
        b, rb = member(svc, "sec-srtp", "bob")
        rb.wait_event("joined", "alice", timeout=20)
        hear(a, rb, "alice")
        # Janus confirmed SRTP on the forward, and the engine decrypted what it decoded
        forwards = list(b._link._forwards.values())
        assert forwards and all(f.srtp for f in forwards)
        st = b._rtp_stats()
        assert st["frames_decoded"] >= 15 and st["srtp_errors"] == 0 and st["malformed"] == 0
        a.release()
        b.release()


def test_bad_srtp_and_pin_options_are_refused(janus):
    for bad in ("srtp=81", "srtp=", "pin=1234"):
        with pytest.raises(ValueError, match="srtp|pin"):
            ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=f"{url(janus)}&{bad}"))


def test_pin_from_token(janus):
    with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url(janus, pin="token"))) as svc:
        a, ra = member(svc, "sec-pin", "alice")
        b, rb = member(svc, "sec-pin", "bob")
        rb.wait_event("joined", "alice", timeout=20)
        hear(a, rb, "alice")
        bad, _ = member(svc, "sec-pin", "mallory", token="wrong-token", expect="failure")
        bad.release()
        a.release()
        b.release()
