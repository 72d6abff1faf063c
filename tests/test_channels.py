"""Channels on the in-process network: membership events, per-user streams,
isolation, reconnects, subscriptions, publishing, stream messages and audio
metadata. Ordering guarantees used here: one delivery thread per service
calls the observers in event order (see conftest.barrier)."""
import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, barrier, frame_count, join, tone, wait_until


def _noise(n, seed):
    return np.random.default_rng(seed).integers(-20000, 20000, n, dtype=np.int16)


def _events(rec, name):
    with rec.cond:
        return [e[1] for e in rec.events if e[0] == name]


def _push_wait(conn, pcm, rate=16000, channels=1, start_pts=0):
    assert conn.push_audio_pcm_data(pcm, rate, channels, start_pts) == 0
    wait_until(conn.is_push_to_rtc_completed, what="push completion")


def _padded_len(n, frame=160):
    return -(-n // frame) * frame


# ---------------------------------------------------------------------------
# membership

def test_three_users_everyone_hears_everyone(service):
    users = ["alice", "bob", "carol", "dave"]
    conns = {u: join(service, "room", u) for u in users}
    pcm = {u: _noise(1600 + 37 * i, seed=i) for i, u in enumerate(users)}
    for u in users:
        assert conns[u][0].push_audio_pcm_data(pcm[u], 16000, 1) == 0
    for u in users:
        wait_until(conns[u][0].is_push_to_rtc_completed, what=f"{u} completion")
    for listener in users:
        rec = conns[listener][1]
        for speaker in users:
            if speaker == listener:
                continue
            rec.wait_samples(speaker, _padded_len(pcm[speaker].size) * 2)
    for listener in users:
        rec = conns[listener][1]
        assert listener not in rec.frames, "a user must not hear itself"
        assert set(rec.frames) == set(users) - {listener}
        for speaker in set(users) - {listener}:
            got = np.frombuffer(rec.pcm(speaker), np.int16)
            assert got.size == _padded_len(pcm[speaker].size)
            np.testing.assert_array_equal(got[:pcm[speaker].size], pcm[speaker])
            assert not got[pcm[speaker].size:].any()
        joined = {e[0] for e in _events(rec, "joined")}
        assert joined == set(users) - {listener}


def test_join_events_for_early_and_late_joiners(service):
    a, ra = join(service, "lobby", "a")
    b, rb = join(service, "lobby", "b")
    ra.wait_event("joined", "b")
    rb.wait_event("joined", "a")            # the newcomer learns about users already there
    c, rc = join(service, "lobby", "c")
    ra.wait_event("joined", "c")
    rb.wait_event("joined", "c")
    rc.wait_for(lambda: {e[0] for e in _events(rc, "joined")} == {"a", "b"})
    assert [e[0] for e in _events(ra, "joined")] == ["b", "c"]


def test_user_left_on_disconnect(service):
    a, ra = join(service, "leave", "a")
    b, rb = join(service, "leave", "b")
    ra.wait_event("joined", "b")
    assert b.disconnect() == 0
    ra.wait_event("left", "b")
    assert ("b", ar.UserOfflineReasonType.USER_OFFLINE_QUIT) in _events(ra, "left")
    assert _events(ra, "left") == [("b", 0)]
    rb.wait_event("disconnected")
    info, reason = _events(rb, "disconnected")[0]
    assert info.state == ar.ConnectionState.CONNECTION_STATE_DISCONNECTED
    assert info.channel_id == "leave" and info.local_user_id == "b"
    assert b.get_conn_info().state == ar.ConnectionState.CONNECTION_STATE_DISCONNECTED


def test_user_left_on_release(service):
    a, ra = join(service, "leave2", "a")
    b, rb = join(service, "leave2", "b")
    ra.wait_event("joined", "b")
    b.release()
    ra.wait_event("left", "b", 0)


def test_two_channels_are_isolated(service):
    # the same user ids in both channels: allowed, and still separate
    a1, ra1 = join(service, "chan-one", "a")
    b1, rb1 = join(service, "chan-one", "b")
    a2, ra2 = join(service, "chan-two", "a")
    b2, rb2 = join(service, "chan-two", "b")
    c2, rc2 = join(service, "chan-two", "c")
    x1, x2 = _noise(1600, 1), _noise(1600, 2)
    assert a1.push_audio_pcm_data(x1, 16000, 1) == 0
    assert a2.push_audio_pcm_data(x2, 16000, 1) == 0
    for conn in (a1, a2):
        wait_until(conn.is_push_to_rtc_completed)
    rb1.wait_samples("a", x1.size * 2)
    rb2.wait_samples("a", x2.size * 2)
    tag1 = barrier(a1, rb1)
    tag2 = barrier(a2, rb2, rc2)
    np.testing.assert_array_equal(np.frombuffer(rb1.pcm("a"), np.int16), x1)
    np.testing.assert_array_equal(np.frombuffer(rb2.pcm("a"), np.int16), x2)
    np.testing.assert_array_equal(np.frombuffer(rc2.pcm("a"), np.int16), x2)
    assert set(rb1.frames) == {"a"}
    assert {e[0] for e in _events(ra1, "joined")} == {"b"}
    assert {e[0] for e in _events(rb1, "joined")} == {"a"}
    assert {e[0] for e in _events(ra2, "joined")} == {"b", "c"}
    # messages stay in their channel (same sender id "a" in both)
    assert [e[1] for e in _events(rb1, "message")] == [tag1]
    assert [e[1] for e in _events(rb2, "message")] == [tag2]
    assert [e[1] for e in _events(rc2, "message")] == [tag2]
    # channel membership reported by the connection
    assert a1.get_conn_info().channel_id == "chan-one"
    assert a2.get_conn_info().channel_id == "chan-two"
    # leaving one channel is not seen in the other
    b1.disconnect()
    ra1.wait_event("left", "b")
    barrier(b2, ra2)
    assert _events(ra2, "left") == []


def test_reconnect_after_disconnect(service):
    a, ra = join(service, "pool", "a")
    b, rb = join(service, "pool", "b")
    for round_ in range(3):
        x = _noise(800, seed=round_)
        with rb.cond:
            rb.frames.clear()
        _push_wait(a, x, start_pts=round_ * 1000)
        rb.wait_samples("a", x.size * 2)
        np.testing.assert_array_equal(np.frombuffer(rb.pcm("a"), np.int16), x)
        assert a.disconnect() == 0
        ra.wait_for(lambda: len(_events(ra, "disconnected")) == round_ + 1)
        rb.wait_for(lambda: len(_events(rb, "left")) == round_ + 1)
        n_conn = len(_events(ra, "connected"))
        assert a.connect("", "pool", "a") == 0
        ra.wait_for(lambda: len(_events(ra, "connected")) == n_conn + 1)
        rb.wait_for(lambda: len(_events(rb, "joined")) == round_ + 2)
    assert _events(ra, "failure") == []


def test_connection_pool_moves_between_channels(service):
    pooled = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    pooled.register_observer(rec)
    pooled.register_audio_frame_observer(rec)
    listeners = {}
    for ch in ("pool-1", "pool-2", "pool-3"):
        listeners[ch] = join(service, ch, "listener")
    for i, ch in enumerate(("pool-1", "pool-2", "pool-3")):
        assert pooled.connect("", ch, f"bot-{i}") == 0
        rec.wait_for(lambda: len(_events(rec, "connected")) == i + 1)
        assert pooled.get_conn_info().channel_id == ch
        assert pooled.get_conn_info().local_user_id == f"bot-{i}"
        assert pooled.publish_audio() == 0
        x = _noise(480, seed=i)
        _push_wait(pooled, x)
        lrec = listeners[ch][1]
        lrec.wait_samples(f"bot-{i}", 160 * 3 * 2)
        np.testing.assert_array_equal(np.frombuffer(lrec.pcm(f"bot-{i}"), np.int16), x)
        assert pooled.disconnect() == 0
        lrec.wait_event("left", f"bot-{i}", 0)
    # every listener heard only its own bot
    for i, ch in enumerate(("pool-1", "pool-2", "pool-3")):
        assert set(listeners[ch][1].frames) == {f"bot-{i}"}
    pooled.release()


def test_duplicate_user_id_fails(service):
    a, ra = join(service, "dup", "same")
    b, rb = join(service, "dup", "other")
    ra.wait_event("joined", "other")
    c = service.create_rtc_connection(ar.RTCConnConfig())
    rc = Recorder()
    c.register_observer(rc)
    assert c.connect("", "dup", "same") == 0
    rc.wait_event("failure")
    info, reason = _events(rc, "failure")[0]
    assert reason == ar.ConnectionChangedReasonType.CONNECTION_CHANGED_REJECTED_BY_SERVER
    assert info.state == 5                                   # FAILED
    assert info.channel_id == "dup" and info.local_user_id == "same"
    assert "connected" not in rc.names()
    assert c.send_stream_message("x") == ar.errors.ERR_NOT_READY
    # the original holder is unaffected and hears no join/leave
    barrier(a, rb)
    barrier(b, ra)
    assert _events(ra, "joined") == [("other",)] and "left" not in ra.names()
    assert _events(rb, "joined") == [("same",)]
    # after the holder leaves, the id can be taken
    a.disconnect()
    assert c.connect("", "dup", "same") == 0
    rc.wait_event("connected")
    c.release()


def test_audience_is_invisible_and_hears(service):
    a, ra = join(service, "aud", "a")
    cfg = ar.RTCConnConfig(client_role_type=ar.ClientRoleType.CLIENT_ROLE_AUDIENCE)
    b, rb = join(service, "aud", "listener", con_config=cfg, publish=False)
    rb.wait_event("joined", "a")
    x = _noise(800, 4)
    _push_wait(a, x)
    rb.wait_samples("a", x.size * 2)
    barrier(a, rb)
    c, rc = join(service, "aud", "c")              # later events flush a's queue
    ra.wait_event("joined", "c")
    assert _events(ra, "joined") == [("c",)]
    assert "listener" not in {e[0] for e in _events(rc, "joined")}
    b.disconnect()                                  # invisible when leaving too
    c.disconnect()
    ra.wait_event("left", "c")
    assert _events(ra, "left") == [("c", 0)]


# ---------------------------------------------------------------------------
# subscriptions and publishing

def test_unsubscribe_and_resubscribe_one_user(service):
    a, ra = join(service, "subs", "a")
    b, rb = join(service, "subs", "b")
    c, rc = join(service, "subs", "c")
    lu = b.get_local_user()
    # before: b hears a
    _push_wait(a, tone(0.05))
    rb.wait_samples("a", 800 * 2)

    assert lu.unsubscribe_audio("a") == 0
    n_a = frame_count(rb, "a")
    x = _noise(1600, 9)
    y = _noise(1600, 10)
    _push_wait(a, x, start_pts=10_000)          # a speaks: c hears it, b must not
    _push_wait(c, y)                            # c speaks: b still hears c
    rc.wait_samples("a", (800 + x.size) * 2)
    rb.wait_samples("c", y.size * 2)
    barrier(a, rb, rc)
    assert frame_count(rb, "a") == n_a
    np.testing.assert_array_equal(np.frombuffer(rb.pcm("c"), np.int16), y)

    assert lu.subscribe_audio("a") == 0
    z = _noise(1600, 11)
    _push_wait(a, z, start_pts=20_000)
    rb.wait_for(lambda: frame_count(rb, "a") >= n_a + 10)
    new = [f for f in rb.frames["a"][n_a:]]
    assert [f.presentation_ms for f in new] == [20_000 + 10 * k for k in range(10)]
    np.testing.assert_array_equal(np.frombuffer(b"".join(bytes(f.buffer) for f in new), np.int16), z)


def test_unsubscribe_all_and_subscribe_all(service):
    a, ra = join(service, "suball", "a")
    b, rb = join(service, "suball", "b")
    c, rc = join(service, "suball", "c")
    lu = b.get_local_user()
    assert lu.unsubscribe_all_audio() == 0
    _push_wait(a, tone(0.05))
    _push_wait(c, tone(0.05))
    rc.wait_samples("a", 800 * 2)
    barrier(a, rb)
    barrier(c, rb)
    assert rb.frames == {}
    assert lu.subscribe_all_audio() == 0
    _push_wait(a, tone(0.05))
    _push_wait(c, tone(0.05))
    rb.wait_samples("a", 800 * 2)
    rb.wait_samples("c", 800 * 2)


def test_auto_subscribe_off_hears_nothing_until_subscribe(service):
    a, ra = join(service, "nosub", "a")
    c, rc = join(service, "nosub", "c")
    cfg = ar.RTCConnConfig(auto_subscribe_audio=0)
    b, rb = join(service, "nosub", "b", con_config=cfg)
    rb.wait_event("joined", "a")
    _push_wait(a, tone(0.1))
    _push_wait(c, tone(0.1))
    rc.wait_samples("a", 1600 * 2)
    barrier(a, rb)
    barrier(c, rb)
    assert rb.frames == {}
    assert "subscribed" not in rb.names()

    assert b.get_local_user().subscribe_audio("a") == 0
    x = _noise(1600, 21)
    _push_wait(a, x)
    _push_wait(c, tone(0.1))
    rb.wait_samples("a", x.size * 2)
    barrier(c, rb)
    np.testing.assert_array_equal(np.frombuffer(rb.pcm("a"), np.int16), x)
    assert "c" not in rb.frames                  # still not subscribed to c


def test_subscribe_before_the_user_joins(service):
    cfg = ar.RTCConnConfig(auto_subscribe_audio=0)
    b, rb = join(service, "presub", "b", con_config=cfg)
    assert b.get_local_user().subscribe_audio("late") == 0
    a, ra = join(service, "presub", "late")
    _push_wait(a, tone(0.05))
    rb.wait_samples("late", 800 * 2)


def test_unpublish_stops_audio_and_publish_resumes(service):
    a, ra = join(service, "pub", "a")
    b, rb = join(service, "pub", "b")
    _push_wait(a, tone(0.05))
    rb.wait_samples("a", 800 * 2)
    n = frame_count(rb, "a")

    assert a.unpublish_audio() == 0
    ra.wait_event("unpublished")
    assert a.push_audio_pcm_data(tone(0.1), 16000, 1, start_pts=50_000) == 0
    c, rc = join(service, "pub", "c")
    barrier(a, rb, rc)
    assert frame_count(rb, "a") == n
    assert "a" not in rc.frames

    assert a.publish_audio() == 0
    ra.wait_for(lambda: ra.names().count("published") == 2)
    assert a.push_audio_pcm_data(tone(0.05), 16000, 1, start_pts=90_000) == 0
    # the new audio arrives (whatever was held while unpublished may precede it)
    rb.wait_for(lambda: any(f.presentation_ms >= 90_000 for f in rb.frames["a"]))
    rc.wait_for(lambda: any(f.presentation_ms >= 90_000 for f in rc.frames.get("a", [])))


def test_publish_twice_and_unpublish_twice_are_harmless(service):
    a, ra = join(service, "pub2", "a")
    assert a.publish_audio() == 0
    assert a.unpublish_audio() == 0
    assert a.unpublish_audio() == 0
    ra.wait_event("unpublished")
    barrier(a)
    assert ra.names().count("unpublished") == 1


# ---------------------------------------------------------------------------
# stream messages

def test_stream_message_non_ascii_str(service):
    a, ra = join(service, "msg", "a")
    b, rb = join(service, "msg", "b")
    text = "héllo wörld — 日本語 🎤 ✓"
    assert a.send_stream_message(text) == 0
    rb.wait_event("message", "a")
    uid, data, length = _events(rb, "message")[0]
    assert uid == "a"
    assert isinstance(data, bytes)
    assert data == text.encode("utf-8")
    assert length == len(text.encode("utf-8")) == len(data)
    assert data.decode("utf-8") == text


def test_stream_message_binary_all_byte_values(service):
    a, ra = join(service, "bin", "a")
    b, rb = join(service, "bin", "b")
    payload = bytes(range(256))
    for kind in (bytes, bytearray, memoryview):
        assert a.send_stream_message(kind(payload)) == 0
    rb.wait_for(lambda: len(_events(rb, "message")) == 3)
    for uid, data, length in _events(rb, "message"):
        assert (uid, data, length) == ("a", payload, 256)
    # the sender never receives its own messages
    barrier(b, ra)
    assert all(e[0] != "a" for e in _events(ra, "message"))


def test_stream_message_order_and_fanout(service):
    a, ra = join(service, "order", "a")
    # 300 messages in a burst: above Agora's 60/s, so the limit is switched off
    assert a.get_agora_parameter().set_bool("agora_rtc.stream_message_rate_limit", False) == 0
    receivers = [join(service, "order", u)[1] for u in ("b", "c", "d")]
    sent = [f"msg-{i}".encode() * (1 + i % 7) for i in range(300)]
    for m in sent:
        assert a.send_stream_message(m) == 0
    for rec in receivers:
        rec.wait_for(lambda: len(_events(rec, "message")) >= len(sent))
        assert [e[1] for e in _events(rec, "message")] == sent
        assert all(e[2] == len(e[1]) for e in _events(rec, "message"))


def test_stream_message_limits(service):
    a, ra = join(service, "limits", "a")
    b, rb = join(service, "limits", "b")
    assert a.send_stream_message(b"x" * 1024) == 0
    with pytest.raises(ValueError, match="1024"):
        a.send_stream_message(b"x" * 1025)
    # the limit is in bytes, not characters
    with pytest.raises(ValueError, match="1024"):
        a.send_stream_message("日" * 342)          # 1026 bytes
    assert a.send_stream_message("日" * 341) == 0   # 1023 bytes
    rc = a.send_stream_message(b"")                 # empty: sent or refused, never a crash
    assert isinstance(rc, int) and rc <= 0
    with pytest.raises(TypeError, match="str, bytes"):
        a.send_stream_message(12)
    with pytest.raises(TypeError):
        a.send_stream_message(None)
    rb.wait_for(lambda: any(e[1] == b"x" * 1024 for e in _events(rb, "message")))
    rb.wait_for(lambda: any(e[1] == ("日" * 341).encode() for e in _events(rb, "message")))


def test_send_before_connected_not_ready(service):
    c = service.create_rtc_connection(ar.RTCConnConfig())
    assert c.send_stream_message("early") == ar.errors.ERR_NOT_READY
    assert c.send_audio_meta_data(b"early") == ar.errors.ERR_NOT_READY
    # and after disconnect
    a, ra = join(service, "late-send", "a")
    a.disconnect()
    assert a.send_stream_message("gone") == ar.errors.ERR_NOT_READY
    c.release()


# ---------------------------------------------------------------------------
# audio metadata

def test_audio_metadata_round_trip(service):
    a, ra = join(service, "meta", "a")
    b, rb = join(service, "meta", "b")
    c, rc = join(service, "meta", "c")
    payloads = [b"\x00\xff" * 32, bytes(range(64)), "ünï".encode(), b"m"]
    for p in payloads:
        assert a.send_audio_meta_data(p) == 0
    assert a.send_audio_meta_data("ünï") == 0
    for rec in (rb, rc):
        rec.wait_for(lambda: len(_events(rec, "metadata")) == 5)
        assert _events(rec, "metadata") == [("a", p) for p in payloads] + [("a", "ünï".encode())]
    with pytest.raises(ValueError, match="64"):
        a.send_audio_meta_data(b"y" * 65)
    with pytest.raises(ValueError, match="64"):
        a.send_audio_meta_data("é" * 33)           # 66 bytes
    with pytest.raises(TypeError):
        a.send_audio_meta_data(3.5)
    barrier(a, rb)
    assert len(_events(rb, "metadata")) == 5
