"""Delivery under faults (issue 22): the last events before a release are
delivered; a slow audio observer keeps a bounded backlog with counted drops
and never holds back connection events."""
import agora_rtc as ar
from conftest import Recorder


def test_disconnect_then_immediate_release_delivers_on_disconnected():
    runs = 30
    for i in range(runs):
        svc = ar.AgoraService(ar.AgoraServiceConfig(appid="fence"))
        conn = svc.create_rtc_connection(ar.RTCConnConfig())
        peer = svc.create_rtc_connection(ar.RTCConnConfig())
        rec, rpeer = Recorder(), Recorder()
        conn.register_observer(rec)
        peer.register_observer(rpeer)
        assert conn.connect("", f"fence-{i}", "agent") == 0
        assert peer.connect("", f"fence-{i}", "peer") == 0
        rec.wait_event("connected")
        rec.wait_event("joined", "peer")
        assert peer.disconnect() == 0     # queues on_user_left for the agent
        assert conn.disconnect() == 0     # queues on_disconnected
        svc.release()                     # at once: both are delivered first
        assert rec.names().count("disconnected") == 1, (i, rec.names())
        assert ("left", ("peer", 0)) in [(n, a[:2]) for n, a in rec.events], (i, rec.events)
        assert rpeer.names().count("disconnected") == 1, (i, rpeer.names())


def test_release_of_a_connected_connection_reports_on_disconnected():
    with ar.AgoraService(ar.AgoraServiceConfig(appid="fence")) as svc:
        for i in range(10):
            conn = svc.create_rtc_connection(ar.RTCConnConfig())
            rec = Recorder()
            conn.register_observer(rec)
            assert conn.connect("", "fence-rel", f"u{i}") == 0
            rec.wait_event("connected")
            conn.release()
            assert rec.names()[-1] == "disconnected", rec.names()
