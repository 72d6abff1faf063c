"""RTM messages on the Janus data path: their envelope, cut into datagrams and put
back together (the wire format is shared with examples/web/rtm.js, the browsers'
RTM client).

A message is a body: ``kind | message type | len(to) | to | len(custom) | custom |
payload`` (kind: RtmChannelType; to: the user of a user message, else empty),
sent as 1..MAX_FRAGMENTS datagrams, each at most one stream message
(AGORA_MAX_STREAM_MESSAGE bytes): ``VERSION | sequence (u32, big endian) | index |
count | a slice of the body``. The sequence numbers a sender's messages in one
room; Janus relays one sender's datagrams in order, so a receiver keeps one
message being put together per sender: a datagram that does not continue it (a
fragment lost, a sequence skipped) drops what it had and the message it belongs
to, and each dropped message is counted once (a jump of more than MAX_GAP
sequence numbers is a sender that started anew, not counted).
"""
from __future__ import annotations

import struct
from collections import OrderedDict
from typing import Callable, List, Optional, Tuple

VERSION = 2
DATAGRAM_BYTES = 1024                       # one stream message (AGORA_MAX_STREAM_MESSAGE)
_HEAD = struct.Struct(">BIBB")              # version, sequence, index, count
FRAGMENT_BYTES = DATAGRAM_BYTES - _HEAD.size
MAX_BODY_BYTES = 5 + 64 + 32 + 32 * 1024    # header with the longest names + RTM's 32 KiB
MAX_FRAGMENTS = -(-MAX_BODY_BYTES // FRAGMENT_BYTES)
MAX_SENDERS = 64                            # messages being put together at once, per room
MAX_GAP = 1024                              # sequence jumps counted as lost messages


def encode(seq: int, kind: int, message_type: int, to: str, custom: str, payload: bytes) -> List[bytes]:
    """The datagrams of one message (sequence number `seq`)."""
    t, c = to.encode("utf-8"), custom.encode("utf-8")
    body = bytes([kind, message_type, len(t)]) + t + bytes([len(c)]) + c + payload
    if len(body) > MAX_BODY_BYTES:
        raise ValueError(f"an RTM message body is at most {MAX_BODY_BYTES} bytes, got {len(body)}")
    count = max(1, -(-len(body) // FRAGMENT_BYTES))
    seq &= 0xFFFFFFFF
    return [_HEAD.pack(VERSION, seq, i, count) + body[i * FRAGMENT_BYTES:(i + 1) * FRAGMENT_BYTES]
            for i in range(count)]


def decode_body(body: bytes) -> Optional[Tuple[int, int, str, str, bytes]]:
    """(kind, message type, to, custom, payload), or None for a malformed body."""
    try:
        n = body[2]
        to = body[3:3 + n].decode("utf-8")
        m = body[3 + n]
        custom = body[4 + n:4 + n + m].decode("utf-8")
        if len(to.encode()) != n or len(custom.encode()) != m:
            return None
        return body[0], body[1], to, custom, bytes(body[4 + n + m:])
    except (IndexError, UnicodeDecodeError):
        return None


class _Partial:
    __slots__ = ("seq", "count", "parts")

    def __init__(self, seq: int, count: int) -> None:
        self.seq, self.count, self.parts = seq, count, []


class Reassembler:
    """Puts one room's datagrams back into messages, per sender (see the module
    docstring). Memory: at most MAX_SENDERS partial messages of at most
    MAX_BODY_BYTES each (the oldest sender's is dropped, counted, past that).
    Not thread-safe: one caller at a time."""

    def __init__(self, deliver: Callable[[str, Tuple[int, int, str, str, bytes]], None]) -> None:
        self.deliver = deliver
        self.dropped = 0            # messages lost on the way (a fragment or a whole message)
        self.malformed = 0          # datagrams that are not ours or not well formed
        self._partial: "OrderedDict[str, _Partial]" = OrderedDict()
        self._next: dict = {}       # sender -> sequence number expected next
        self._lost: dict = {}       # sender -> the last message counted lost

    def forget(self, sender: str) -> None:
        """The sender left: what it had begun is dropped (counted), its numbering forgotten."""
        if self._partial.pop(sender, None) is not None:
            self.dropped += 1
        self._next.pop(sender, None)
        self._lost.pop(sender, None)

    def _count_lost(self, sender: str, seq: int) -> None:
        """Message `seq` of `sender` is lost: counted once, whatever else of it comes."""
        if self._lost.get(sender) != seq:
            self._lost[sender] = seq
            self.dropped += 1

    def push(self, sender: str, datagram: bytes) -> None:
        if len(datagram) <= _HEAD.size or len(datagram) > DATAGRAM_BYTES:
            self.malformed += 1
            return
        version, seq, index, count = _HEAD.unpack_from(datagram)
        if version != VERSION or not 0 < count <= MAX_FRAGMENTS or index >= count:
            self.malformed += 1
            return
        p = self._partial.get(sender)
        if p is None or (seq, index, count) != (p.seq, len(p.parts), p.count):
            if p is not None:                  # its next fragment never came
                del self._partial[sender]
                self._count_lost(sender, p.seq)
            if index != 0:                     # a message whose beginning never came
                self._count_lost(sender, seq)
                self._next[sender] = (seq + 1) & 0xFFFFFFFF
                return
            expected = self._next.get(sender)
            skipped = (seq - expected) & 0xFFFFFFFF if expected is not None else 0
            if skipped <= MAX_GAP:             # messages of which nothing came (a larger
                self.dropped += skipped        # jump is a sender that started anew)
            self._next[sender] = (seq + 1) & 0xFFFFFFFF
            p = _Partial(seq, count)
            self._partial[sender] = p
            while len(self._partial) > MAX_SENDERS:
                self._partial.popitem(last=False)
                self.dropped += 1
        p.parts.append(datagram[_HEAD.size:])
        if len(p.parts) < p.count:
            return
        del self._partial[sender]
        parsed = decode_body(b"".join(p.parts))
        if parsed is None:
            self.malformed += 1
            return
        self.deliver(sender, parsed)
