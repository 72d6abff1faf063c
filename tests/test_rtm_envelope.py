"""The RTM envelope of the Janus path (agora_rtc.rtm.envelope): messages cut into
datagrams and put back together per sender; a lost datagram drops its message
whole, counted once; memory stays bounded whatever arrives."""
import random

import pytest

from agora_rtc.rtm import envelope as env
from agora_rtc.rtm.base import MAX_MESSAGE_BYTES


def collect():
    got = []
    return got, env.Reassembler(lambda sender, m: got.append((sender, m)))


def test_the_largest_message_round_trips_in_datagrams_of_one_stream_message():
    big = bytes(random.Random(1).randrange(256) for _ in range(MAX_MESSAGE_BYTES))
    datagrams = env.encode(7, 3, 0, "ü" * 32, "c" * 32, big)     # longest names
    assert len(datagrams) == env.MAX_FRAGMENTS == 33
    assert max(map(len, datagrams)) == env.DATAGRAM_BYTES
    got, r = collect()
    for d in datagrams:
        r.push("alice", d)
    assert got == [("alice", (3, 0, "ü" * 32, "c" * 32, big))] and r.dropped == 0
    with pytest.raises(ValueError, match="at most"):
        env.encode(0, 1, 0, "", "", bytes(env.MAX_BODY_BYTES))


def test_a_lost_datagram_drops_its_message_once_and_a_skipped_message_is_counted():
    got, r = collect()
    big = env.encode(0, 1, 0, "", "", b"x" * 5000)               # 5 datagrams
    for i, d in enumerate(big):
        if i != 2:
            r.push("a", d)
    for seq in (1, 3):                                           # 2 never comes at all
        for d in env.encode(seq, 1, 1, "", "", b"m%d" % seq):
            r.push("a", d)
    assert [m[1][4] for m in got] == [b"m1", b"m3"] and r.dropped == 2
    # a message whose first datagram was lost: counted once, not per remaining fragment
    for d in env.encode(4, 1, 0, "", "", b"y" * 3000)[1:]:
        r.push("a", d)
    assert r.dropped == 3
    # senders are apart; one that left loses what it had begun
    r.push("b", env.encode(0, 1, 0, "", "", b"z" * 2000)[0])
    r.forget("b")
    assert r.dropped == 4 and len(got) == 2


def test_garbage_never_raises_and_memory_stays_bounded():
    rnd = random.Random(25)
    got, r = collect()
    for i in range(20000):
        n = rnd.choice((0, 1, 6, 7, 8, 100, 1017, 1024, 1025, 2000))
        d = bytearray(rnd.randrange(256) for _ in range(n))
        if d and rnd.random() < 0.7:
            d[0] = env.VERSION                                   # looks like ours
            if n >= 7:
                d[6] = rnd.randrange(1, 40)                      # count, sometimes too many
                d[5] = rnd.randrange(0, d[6] + 1)
        r.push(f"u{rnd.randrange(200)}", bytes(d))
    assert len(r._partial) <= env.MAX_SENDERS
    assert all(len(p.parts) < p.count <= env.MAX_FRAGMENTS for p in r._partial.values())
    assert r.malformed > 0 and r.dropped > 0
    # and a real message still gets through afterwards
    for d in env.encode(123456, 1, 1, "", "", "still here ✓".encode()):
        r.push("u1", d)
    assert got[-1] == ("u1", (1, 1, "", "", "still here ✓".encode()))
