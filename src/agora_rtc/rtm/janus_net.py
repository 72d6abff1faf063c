"""RTM between processes (and hosts) through Janus: one RTMClient's network when
the transport URL (``AGORA_RTC_TRANSPORT_URL``, as for RTC) is a Janus one.

It rides on the VideoRoom data path of RTC connections (README, "Messages
through Janus"): login joins the app's lobby room (``rtm.<app id>``) with an
RTCConnection of a private AgoraService, whose members are the logged-in
users; each subscribed channel is a room of its own (``rtm.<app id>.<channel>``)
whose members are its subscribers. A message travels in a room: a channel
message in the channel's room, a user message in the lobby (every logged-in
client gets it and keeps only those addressed to its user).
Link states follow the lobby connection (lost -> DISCONNECTED, reconnected ->
CONNECTED). A message travels as 1..33 datagrams (rtm/envelope.py: up to RTM's
32 KiB), paced within the stream-message limits of the room's connection
(rtm/paced_sender.py: at most 24 KiB a second per client after a 4 KiB burst, so
a 32 KiB message needs at least 1.2 s to leave); a message of which a datagram
was lost is dropped and counted (RTMClient.dropped_messages). What the path cannot honour: a channel
message can be published only to a subscribed channel, be_quiet is not honoured
(a subscriber is a room member, seen by everyone's presence), and the login
token is not checked (RTM tokens are per user, a room secret is per room: the
rooms have none, so the Janus API must stay private, SECURITY.md). Browsers are
clients too: examples/web/rtm.js speaks the same rooms and envelope.
"""
from __future__ import annotations

import threading
from typing import Dict, Optional

from agora_rtc.rtm.base import (RtmChannelType, RtmLinkOperation, RtmLinkState,
                                RtmLinkStateChangeReason, RtmPresenceEventType,
                                MessageEvent, PresenceEvent, SnapshotInfo, UserState)
from agora_rtc.rtm.envelope import Reassembler, encode
from agora_rtc.rtm.paced_sender import PacedSender

MESSAGE_TOO_FREQUENT = -11025         # RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_TOO_FREQUENT
PUBLISH_FAILED = -11024               # RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_FAILED


class _Room:
    """One room: an RTCConnection and what its observers heard."""

    def __init__(self, net: "JanusRtm", name: str, on_up, on_message, presence: bool):
        import agora_rtc as ar
        self.net, self.name, self.on_up, self.on_message, self.presence = net, name, on_up, on_message, presence
        self.users: set = set()
        self.up = False
        self.seq = 0                          # of our next message in this room
        self.lock = threading.Lock()          # the reassembler's
        self.reassembler = Reassembler(lambda uid, parsed: on_message(self, uid, *parsed))
        self.conn = net.service.create_rtc_connection(ar.RTCConnConfig())
        obs = _Observer(self)
        self._obs = obs
        self.conn.register_observer(obs)
        self.conn.register_local_user_observer(obs)

    def close(self) -> None:
        try:
            self.conn.disconnect()
        finally:
            self.conn.release()


def _observer_bases():
    import agora_rtc as ar
    return ar.IRTCConnectionObserver, ar.IRTCLocalUserObserver


class _Observer(*_observer_bases()):
    def __init__(self, room: _Room):
        self.room = room

    def on_connected(self, conn, info, reason):
        self.room.up = True
        self.room.on_up(self.room, "connected")

    def on_connection_failure(self, conn, info, reason):
        self.room.on_up(self.room, "failed")

    def on_connection_lost(self, conn, info):
        self.room.on_up(self.room, "lost")

    def on_reconnected(self, conn, info, reason):
        self.room.on_up(self.room, "reconnected")

    def on_user_joined(self, conn, uid):
        self.room.users.add(uid)
        self.room.net.presence(self.room, uid, True)

    def on_user_left(self, conn, uid, reason):
        self.room.users.discard(uid)
        with self.room.lock:
            self.room.reassembler.forget(uid)
        self.room.net.presence(self.room, uid, False)

    def on_stream_message(self, lu, uid, stream_id, data, length):
        with self.room.lock:
            self.room.reassembler.push(uid, bytes(data))


class JanusRtm:
    """The network of one RTMClient through Janus (see the module docstring)."""

    def __init__(self, client, url: str):
        self.client, self.url = client, url
        self.service = None
        self.lobby: Optional[_Room] = None
        self.channels: Dict[str, _Room] = {}
        self.pending: Dict[int, int] = {}     # id(room) -> request id of its login / subscribe
        self.lock = threading.RLock()
        self.sender: Optional[PacedSender] = None
        self._dropped_before = (0, 0)         # counters() of the rooms closed since

    def _room_id(self, channel: Optional[str] = None) -> str:
        return f"rtm.{self.client.app_id}" + (f".{channel}" if channel else "")

    # ---- login / logout ----

    def login(self, token: str, rid: int) -> None:
        import agora_rtc as ar
        c = self.client
        with self.lock:
            if self.service is None:
                self.service = ar.AgoraService(ar.AgoraServiceConfig(appid=c.app_id, transport_url=self.url))
            # RTM tokens are per user, a room secret is per room: the rooms have none
            # (the Janus API and its network stay private: SECURITY.md)
            if self.sender is None:
                self.sender = PacedSender(f"agora_rtc-rtm-send-{c.user_id}")
            self.lobby = _Room(self, "", self._lobby_state, self._lobby_message, False)
            self.pending[id(self.lobby)] = rid
            self.lobby.conn.connect("", self._room_id(), c.user_id)

    def _lobby_state(self, room: _Room, what: str) -> None:
        c = self.client
        with self.lock:
            rid = self.pending.pop(id(room), None)
        if what == "connected":
            c._link(RtmLinkState.RTM_LINK_STATE_CONNECTED, RtmLinkOperation.RTM_LINK_OPERATION_LOGIN,
                    RtmLinkStateChangeReason.RTM_LINK_STATE_CHANGE_REASON_LOGIN_SUCCESS, "login success")
            c._emit("on_login_result", rid, 0)
        elif what == "failed":
            c._link(RtmLinkState.RTM_LINK_STATE_FAILED, RtmLinkOperation.RTM_LINK_OPERATION_LOGIN,
                    30, "the Janus link failed")   # RTM_LINK_STATE_CHANGE_REASON_CONNECTION_ERROR
            if rid is not None:
                c._emit("on_login_result", rid, -10012)  # RTM_ERROR_LOGIN_REJECTED
        elif what == "lost":
            c._link(RtmLinkState.RTM_LINK_STATE_DISCONNECTED, RtmLinkOperation.RTM_LINK_OPERATION_SERVER_TIMEOUT,
                    29, "the Janus link was lost")  # RTM_LINK_STATE_CHANGE_REASON_KEEP_ALIVE_TIMEOUT
        elif what == "reconnected":
            c._link(RtmLinkState.RTM_LINK_STATE_CONNECTED, RtmLinkOperation.RTM_LINK_OPERATION_RECONNECTED,
                    10, "reconnected", resumed=True)  # RTM_LINK_STATE_CHANGE_REASON_RECONNECT_SUCCESS

    def _lobby_message(self, room, uid, kind, message_type, to, custom, payload) -> None:
        c = self.client
        if kind != RtmChannelType.RTM_CHANNEL_TYPE_USER or to != c.user_id:
            return
        c._emit("on_message_event", MessageEvent(
            channel_type=int(RtmChannelType.RTM_CHANNEL_TYPE_USER), message_type=message_type,
            channel_name=uid, channel_topic="", message=payload, message_length=len(payload),
            publisher=uid, custom_type=custom))

    def counters(self) -> tuple:
        """(messages lost on the way, datagrams that were no part of a message) so far."""
        with self.lock:
            rooms = list(self.channels.values()) + ([self.lobby] if self.lobby else [])
            return (self._dropped_before[0] + sum(r.reassembler.dropped for r in rooms),
                    self._dropped_before[1] + sum(r.reassembler.malformed for r in rooms))

    def _close_room(self, room: _Room) -> None:
        with self.lock:
            d, m = self._dropped_before
            self._dropped_before = (d + room.reassembler.dropped, m + room.reassembler.malformed)
        room.close()

    def logout(self) -> None:
        with self.lock:
            rooms = list(self.channels.values()) + ([self.lobby] if self.lobby else [])
            self.channels.clear()
            self.lobby = None
            sender, self.sender = self.sender, None
        if sender is not None:   # what still waits is not sent: its result says so
            sender.close(PUBLISH_FAILED)
        for room in rooms:
            self._close_room(room)

    def release(self) -> None:
        self.logout()
        with self.lock:
            service, self.service = self.service, None
        if service is not None:
            service.release()

    # ---- channels ----

    def subscribe(self, name: str, options, rid: int) -> None:
        with self.lock:
            room = _Room(self, name, self._channel_state, self._channel_message, options.with_presence)
            room.options = options
            self.channels[name] = room
            self.pending[id(room)] = rid
            room.conn.connect("", self._room_id(name), self.client.user_id)

    def _channel_state(self, room: _Room, what: str) -> None:
        c = self.client
        with self.lock:
            rid = self.pending.pop(id(room), None)
        if rid is None:
            return
        c._emit("on_subscribe_result", rid, room.name, 0 if what == "connected" else -11021)
        if what == "connected" and room.presence:
            c._emit("on_presence_event", PresenceEvent(
                type=int(RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_SNAPSHOT),
                channel_type=int(RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE), channel_name=room.name,
                publisher="", state_items=[], state_item_count=0, interval=None,
                snapshot=SnapshotInfo([UserState(c.user_id)] + [UserState(u) for u in sorted(room.users)])))

    def _channel_message(self, room, uid, kind, message_type, to, custom, payload) -> None:
        if kind != RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE or not room.options.with_message:
            return
        self.client._emit("on_message_event", MessageEvent(
            channel_type=int(RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE), message_type=message_type,
            channel_name=room.name, channel_topic="", message=payload, message_length=len(payload),
            publisher=uid, custom_type=custom))

    def presence(self, room: _Room, uid: str, joined: bool) -> None:
        if room is self.lobby or not room.presence or not room.up:
            return
        kind = (RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL if joined
                else RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_LEAVE_CHANNEL)
        self.client._emit("on_presence_event", PresenceEvent(
            type=int(kind), channel_type=int(RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE),
            channel_name=room.name, publisher=uid, state_items=[], state_item_count=0,
            interval=None, snapshot=None))

    def unsubscribe(self, name: str) -> None:
        with self.lock:
            room = self.channels.pop(name, None)
        if room is not None:
            self._close_room(room)

    # ---- messages ----

    def publish(self, name: str, user: bool, message_type: int, custom: str, data: bytes, rid: int) -> int:
        """0 when queued (on_publish_result follows once sent), else an RTM error code."""
        with self.lock:
            room = self.lobby if user else self.channels.get(name)
            if room is None or not room.up or self.sender is None:
                return -11002 if not user else -11027   # NOT_SUBSCRIBED / NOT_CONNECTED
            if user and name not in room.users:
                return -11033                          # RECEIVER_OFFLINE
            kind = RtmChannelType.RTM_CHANNEL_TYPE_USER if user else RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE
            datagrams = encode(room.seq, int(kind), int(message_type), name if user else "", custom, data)
            sender = self.sender
            if not sender.submit(room.conn.send_stream_message, datagrams,
                                 lambda rc: self.client._emit("on_publish_result", rid,
                                                              0 if rc == 0 else PUBLISH_FAILED)):
                return MESSAGE_TOO_FREQUENT            # too much is waiting to be sent
            room.seq += 1
            return 0
