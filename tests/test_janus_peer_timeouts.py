"""The verdicts of the Janus peer watchdog (agora_rtc.janus.peer_timeouts), on
a clock the test drives: silence alone is no verdict, Janus must answer and
the silence must go on after that answer; a frozen Janus that comes back, a
sender heard again, and WebRTC publishers are never declared dead."""
import pytest

from agora_rtc.janus.peer_timeouts import PeerTimeouts

A, B = (11, 20000), (12, 20001)        # (publisher id, forward SSRC)


def look(judge, now, activity, answer=None):
    """One watchdog look at time `now`; `answer`: Janus's participants, or None (no answer)."""
    said_bye, dead, ask = judge.review([A, B], activity, now)
    if ask:
        judge.janus_answered(ask, answer, now)
    return said_bye, dead, ask


REMOTE = {A[0]: {"id": A[0], "remote": True}, B[0]: {"id": B[0], "remote": True}}


def test_a_dead_publisher_is_confirmed_after_janus_answered_and_the_silence_went_on():
    j = PeerTimeouts(timeout=5, confirm=1.5)
    assert look(j, 0.0, {A[1]: (4999, False), B[1]: (10, False)}, REMOTE) == ([], [], [])
    assert look(j, 0.1, {A[1]: (5100, False), B[1]: (10, False)}, REMOTE) == ([], [], [A])
    assert look(j, 1.0, {A[1]: (6000, False), B[1]: (10, False)}, REMOTE) == ([], [], [])
    assert look(j, 1.6, {A[1]: (6600, False), B[1]: (10, False)}, REMOTE) == ([], [A], [])
    assert look(j, 1.7, {A[1]: (6700, False), B[1]: (10, False)}, REMOTE)[1] == []   # once


def test_no_answer_from_janus_is_no_verdict_and_a_sender_heard_again_is_cleared():
    j = PeerTimeouts(timeout=5, confirm=1.5)
    for t in range(10):                              # Janus frozen: everyone silent, no answer
        assert look(j, float(t), {A[1]: (5000 + 1000 * t, False), B[1]: (5000 + 1000 * t, False)},
                    None)[1] == []
    # Janus answers at t=10 (both still silent), then their keepalives arrive
    assert look(j, 10.0, {A[1]: (15000, False), B[1]: (15000, False)}, REMOTE)[2] == [A, B]
    assert look(j, 11.0, {A[1]: (200, False), B[1]: (16000, False)}, REMOTE) == ([], [], [])
    assert look(j, 11.6, {A[1]: (800, False), B[1]: (16600, False)}, REMOTE) == ([], [B], [])
    assert look(j, 20.0, {A[1]: (900, False)}, REMOTE) == ([], [], [])


def test_bye_webrtc_and_forget():
    j = PeerTimeouts(timeout=2, confirm=1.5)
    webrtc = {A[0]: {"id": A[0]}, B[0]: {"id": B[0], "remote": True}}
    assert look(j, 0.0, {A[1]: (3000, False), B[1]: (0, True)}, webrtc) == ([B], [], [A])
    assert j.watched([A, B]) == [B]                  # a browser is Janus's to hang up
    assert look(j, 9.0, {A[1]: (12000, False)}, webrtc)[1] == []
    j.forget(A[0])                                   # it left; the next one with its id is watched
    assert j.watched([A]) == [A]
    with pytest.raises(ValueError):
        PeerTimeouts(timeout=0)
