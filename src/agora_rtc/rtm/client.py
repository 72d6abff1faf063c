"""RTMClient: the original SDK's ``agora.rtm`` client (RTM 2.x message channels,
user messages, presence, link-state events) on agora_rtc's in-process network.

Every client of a process meets the others in one in-process hub, per app id
(the local network's counterpart for RTM): channels are made by subscribing,
a channel message reaches every other client subscribed to it with messages
on, a user message reaches that user's logged-in client, presence tells
subscribers that asked for it who is in the channel (a snapshot when they
subscribe, then joins and leaves of the users that are not quiet). Calls
return at once ``(error code, request id)`` as the original's do; their
results and every event reach the client's IRtmEventHandler on the client's
own event thread, in order. Bad arguments (wrong types, an empty or too long
name, a message over MAX_MESSAGE_BYTES) raise InvalidArgumentError / TypeError
naming what was expected; what the original reports with a code (not logged
in, not subscribed, too often, the receiver offline) is reported with its
RTM 2.x code (RtmErrorCode).
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Deque, Dict, Optional, Tuple

from agora_rtc.base.checks import type_name
from agora_rtc.base.transport_url import parse_transport_url, resolve_transport_url
from agora_rtc.errors import InvalidArgumentError
from agora_rtc.rtm import base
from agora_rtc.rtm.base import (MAX_CUSTOM_TYPE_BYTES, MAX_MESSAGE_BYTES, MAX_NAME_BYTES,
                                MAX_SUBSCRIBED_CHANNELS, MESSAGES_PER_SEC, IRtmEventHandler,
                                LinkStateEvent, MessageEvent, PresenceEvent, PublishOptions,
                                RtmChannelType, RtmConfig, RtmErrorCode, RtmLinkOperation,
                                RtmLinkState, RtmLinkStateChangeReason, RtmMessageType,
                                RtmPresenceEventType, RtmServiceType, SnapshotInfo,
                                SubscribeOptions, UserState)

_log = logging.getLogger("agora_rtc.rtm")
E = type("E", (), {code.name: int(code) for code in RtmErrorCode})  # plain ints, as the original's
VERSION = "agora_rtc-rtm-local-1"


def _name(what: str, name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what}: {name} must be a str, got {type_name(value)}")
    raw = value.encode("utf-8")
    if not raw or len(raw) > MAX_NAME_BYTES or "\0" in value:
        raise InvalidArgumentError(f"{what}: {name} must be 1..{MAX_NAME_BYTES} bytes without NUL, "
                                   f"got {len(raw)} bytes")
    return value


def _payload(what: str, message: Any) -> Tuple[bytes, int]:
    if isinstance(message, str):
        data, kind = message.encode("utf-8"), RtmMessageType.RTM_MESSAGE_TYPE_STRING
    elif isinstance(message, (bytes, bytearray, memoryview)):
        data, kind = bytes(message), RtmMessageType.RTM_MESSAGE_TYPE_BINARY
    else:
        raise TypeError(f"{what}: message must be str, bytes, bytearray or memoryview, "
                        f"got {type_name(message)}")
    if not data:
        raise InvalidArgumentError(f"{what}: message must not be empty")
    if len(data) > MAX_MESSAGE_BYTES:
        raise InvalidArgumentError(f"{what}: at most {MAX_MESSAGE_BYTES} bytes per message "
                                   f"(Agora's limit), got {len(data)}")
    return data, kind


class _Subscription:
    __slots__ = ("client", "options")

    def __init__(self, client: "RTMClient", options: SubscribeOptions):
        self.client, self.options = client, options


class _LocalHub:
    """The process's RTM network: logged-in clients and channel subscriptions per app id."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: Dict[Tuple[str, str], "RTMClient"] = {}
        self.channels: Dict[Tuple[str, str], Dict[str, _Subscription]] = {}

    # all under self.lock
    def login(self, c: "RTMClient") -> Optional["RTMClient"]:
        key = (c.app_id, c.user_id)
        old = self.users.get(key)
        self.users[key] = c
        return old if old is not c else None

    def logout(self, c: "RTMClient") -> None:
        for name in list(c._subscribed):
            self.unsubscribe(c, name)
        if self.users.get((c.app_id, c.user_id)) is c:
            del self.users[(c.app_id, c.user_id)]

    def members(self, c: "RTMClient", name: str) -> Dict[str, _Subscription]:
        return self.channels.setdefault((c.app_id, name), {})

    def subscribe(self, c: "RTMClient", name: str, options: SubscribeOptions) -> None:
        members = self.members(c, name)
        members[c.user_id] = _Subscription(c, options)
        c._subscribed.add(name)
        if not options.be_quiet:
            self._presence(members, c, name, RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL)

    def unsubscribe(self, c: "RTMClient", name: str) -> None:
        members = self.channels.get((c.app_id, name), {})
        sub = members.pop(c.user_id, None)
        c._subscribed.discard(name)
        if not members:
            self.channels.pop((c.app_id, name), None)
        if sub is not None and not sub.options.be_quiet:
            self._presence(members, c, name, RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_REMOTE_LEAVE_CHANNEL)

    def snapshot(self, c: "RTMClient", name: str) -> SnapshotInfo:
        members = self.channels.get((c.app_id, name), {})
        return SnapshotInfo([UserState(uid) for uid, s in members.items() if not s.options.be_quiet])

    @staticmethod
    def _presence(members, c: "RTMClient", name: str, kind: int) -> None:
        for uid, sub in members.items():
            if uid != c.user_id and sub.options.with_presence:
                sub.client._emit("on_presence_event", PresenceEvent(
                    type=int(kind), channel_type=int(RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE),
                    channel_name=name, publisher=c.user_id, state_items=[], state_item_count=0,
                    interval=None, snapshot=None))


_hub = _LocalHub()


class RTMClient:
    """An RTM client (see the module docstring). ``create_rtm_client(config)`` makes one."""

    def __init__(self, config: RtmConfig) -> None:
        if not isinstance(config, RtmConfig):
            raise TypeError(f"RTMClient: config must be an RtmConfig, got {type_name(config)}")
        self.app_id = _name("RTMClient", "config.app_id", config.app_id)
        self.user_id = _name("RTMClient", "config.user_id", config.user_id)
        handler = config.event_handler
        if handler is not None and not isinstance(handler, IRtmEventHandler):
            raise TypeError("RTMClient: config.event_handler must be an IRtmEventHandler, "
                            f"got {type_name(handler)}")
        self.config = config
        self.is_valid = True
        self.dropped_events = 0
        self._handler = handler
        self._state = RtmLinkState.RTM_LINK_STATE_IDLE
        self._subscribed: set = set()
        self._next_request = 0
        self._sent: Deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._events: Deque[tuple] = collections.deque()
        self._cond = threading.Condition(self._lock)
        self._closing = False
        url = resolve_transport_url(None)
        self._janus = None
        if not parse_transport_url(url).is_local:
            from agora_rtc.rtm.janus_net import JanusRtm
            self._janus = JanusRtm(self, url)   # between processes, through Janus
        self._thread = threading.Thread(target=self._run_events, daemon=True,
                                        name=f"agora_rtc-rtm-{self.user_id}")
        self._thread.start()

    # ---- events ----

    def _emit(self, method: str, *args) -> None:
        with self._cond:
            if self._closing:
                return
            if len(self._events) >= base.MAX_PENDING_EVENTS:
                self._events.popleft()
                self.dropped_events += 1
                if self.dropped_events == 1 or self.dropped_events % 1000 == 0:
                    _log.warning("rtm client %r: its event handler is too slow, %d events dropped",
                                 self.user_id, self.dropped_events)
            self._events.append((method, args))
            self._cond.notify()

    def _run_events(self) -> None:
        while True:
            with self._cond:
                while not self._events and not self._closing:
                    self._cond.wait()
                if not self._events:
                    return
                method, args = self._events.popleft()
            handler = self._handler
            if handler is None:
                continue
            try:
                getattr(handler, method)(*args)
            except Exception:  # a handler's bug must not stop the events of the others
                _log.exception("rtm client %r: %s raised", self.user_id, method)

    def _link(self, new: int, operation: int, reason_code: int, reason: str,
              affected: Optional[list] = None, resumed: bool = False) -> None:
        previous, self._state = self._state, new
        self._emit("on_link_state_event", LinkStateEvent(   # plain ints, as the original's
            current_state=int(new), previous_state=int(previous),
            service_type=int(RtmServiceType.RTM_SERVICE_TYPE_MESSAGE), operation=int(operation),
            reason_code=int(reason_code), reason=reason,
            affected_channels=sorted(self._subscribed) if affected is None else affected,
            unrestored_channels=[], is_resumed=resumed, timestamp=int(time.time() * 1000)))

    def _request(self) -> int:
        self._next_request += 1
        return self._next_request

    def _usable(self, connecting_ok: bool = False) -> int:
        if not self.is_valid:
            return E.RTM_ERROR_INSTANCE_ALREADY_RELEASED
        if self._state != RtmLinkState.RTM_LINK_STATE_CONNECTED and not (
                connecting_ok and self._state == RtmLinkState.RTM_LINK_STATE_CONNECTING):
            return E.RTM_ERROR_NOT_LOGIN
        return E.RTM_ERROR_OK

    # ---- the original's API ----

    def login(self, token: str) -> Tuple[int, int]:
        if not isinstance(token, str):
            raise TypeError(f"login: token must be a str, got {type_name(token)}")
        with _hub.lock:
            if not self.is_valid:
                return E.RTM_ERROR_INSTANCE_ALREADY_RELEASED, 0
            rid = self._request()
            if self._state == RtmLinkState.RTM_LINK_STATE_CONNECTED:
                self._emit("on_login_result", rid, E.RTM_ERROR_DUPLICATE_OPERATION)
                return E.RTM_ERROR_OK, rid
            self._link(RtmLinkState.RTM_LINK_STATE_CONNECTING, RtmLinkOperation.RTM_LINK_OPERATION_LOGIN,
                       RtmLinkStateChangeReason.RTM_LINK_STATE_CHANGE_REASON_LOGIN, "login")
            if self._janus is not None:
                self._janus.login(token, rid)    # CONNECTED and the result when Janus answers
                return E.RTM_ERROR_OK, rid
            old = _hub.login(self)
            if old is not None:   # the same user id logs in elsewhere: the old client is out
                channels = sorted(old._subscribed)
                _hub.logout(old)
                old._link(RtmLinkState.RTM_LINK_STATE_FAILED, RtmLinkOperation.RTM_LINK_OPERATION_SERVER_REJECT,
                          RtmLinkStateChangeReason.RTM_LINK_STATE_CHANGE_REASON_SAME_UID_LOGIN,
                          "the same user id logged in elsewhere", channels)
            self._link(RtmLinkState.RTM_LINK_STATE_CONNECTED, RtmLinkOperation.RTM_LINK_OPERATION_LOGIN,
                       RtmLinkStateChangeReason.RTM_LINK_STATE_CHANGE_REASON_LOGIN_SUCCESS, "login success")
            self._emit("on_login_result", rid, E.RTM_ERROR_OK)
            return E.RTM_ERROR_OK, rid

    def logout(self) -> Tuple[int, int]:
        with _hub.lock:
            rc = self._usable()
            if rc != E.RTM_ERROR_OK:
                return rc, 0
            rid = self._request()
            channels = sorted(self._subscribed)
            if self._janus is not None:
                self._janus.logout()
                self._subscribed.clear()
            else:
                _hub.logout(self)
            self._link(RtmLinkState.RTM_LINK_STATE_IDLE, RtmLinkOperation.RTM_LINK_OPERATION_LOGOUT,
                       RtmLinkStateChangeReason.RTM_LINK_STATE_CHANGE_REASON_LOGOUT, "logout", channels)
            self._emit("on_logout_result", rid, E.RTM_ERROR_OK)
            return E.RTM_ERROR_OK, rid

    def renew_token(self, token: str) -> Tuple[int, int]:
        if not isinstance(token, str):
            raise TypeError(f"renew_token: token must be a str, got {type_name(token)}")
        with _hub.lock:
            rc = self._usable()
            if rc != E.RTM_ERROR_OK:
                return rc, 0
            rid = self._request()
            self._emit("on_renew_token_result", rid, int(RtmServiceType.RTM_SERVICE_TYPE_MESSAGE), "",
                       E.RTM_ERROR_OK)
            return E.RTM_ERROR_OK, rid

    def subscribe(self, channel_name: str, options: Optional[SubscribeOptions] = None) -> Tuple[int, int]:
        channel_name = _name("subscribe", "channel_name", channel_name)
        if options is None:
            options = SubscribeOptions()
        if not isinstance(options, SubscribeOptions):
            raise TypeError(f"subscribe: options must be a SubscribeOptions, got {type_name(options)}")
        with _hub.lock:
            rc = self._usable(connecting_ok=True)   # a login in progress (through Janus)
            if rc != E.RTM_ERROR_OK:
                return rc, 0
            rid = self._request()
            if channel_name in self._subscribed:
                error = E.RTM_ERROR_DUPLICATE_OPERATION
            elif len(self._subscribed) >= MAX_SUBSCRIBED_CHANNELS:
                error = E.RTM_ERROR_CHANNEL_INSTANCE_EXCEED_LIMITATION
            elif self._janus is not None:   # the result comes when the channel's room is joined
                self._subscribed.add(channel_name)
                self._janus.subscribe(channel_name, options, rid)
                return E.RTM_ERROR_OK, rid
            else:
                error = E.RTM_ERROR_OK
                _hub.subscribe(self, channel_name, options)
            self._emit("on_subscribe_result", rid, channel_name, error)
            if error == E.RTM_ERROR_OK and options.with_presence:
                self._emit("on_presence_event", PresenceEvent(
                    type=int(RtmPresenceEventType.RTM_PRESENCE_EVENT_TYPE_SNAPSHOT),
                    channel_type=int(RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE), channel_name=channel_name,
                    publisher="", state_items=[], state_item_count=0, interval=None,
                    snapshot=_hub.snapshot(self, channel_name)))
            return E.RTM_ERROR_OK, rid

    def unsubscribe(self, channel_name: str) -> Tuple[int, int]:
        channel_name = _name("unsubscribe", "channel_name", channel_name)
        with _hub.lock:
            rc = self._usable()
            if rc != E.RTM_ERROR_OK:
                return rc, 0
            rid = self._request()
            error = E.RTM_ERROR_OK if channel_name in self._subscribed else E.RTM_ERROR_CHANNEL_NOT_SUBSCRIBED
            if error == E.RTM_ERROR_OK and self._janus is not None:
                self._subscribed.discard(channel_name)
                self._janus.unsubscribe(channel_name)
            elif error == E.RTM_ERROR_OK:
                _hub.unsubscribe(self, channel_name)
            self._emit("on_unsubscribe_result", rid, channel_name, error)
            return E.RTM_ERROR_OK, rid

    def publish(self, channel_name: str, message, options: Optional[PublishOptions] = None) -> Tuple[int, int]:
        """A message to a channel's subscribers (``RTM_CHANNEL_TYPE_MESSAGE``) or to one user
        (``RTM_CHANNEL_TYPE_USER``, channel_name = the user id). str is sent as UTF-8 (a
        STRING message), bytes-likes as they are (BINARY); ``options.message_type`` is what
        receivers are told when given. At most MAX_MESSAGE_BYTES bytes, MESSAGES_PER_SEC
        messages per second (above: RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_TOO_FREQUENT, not sent)."""
        channel_name = _name("publish", "channel_name", channel_name)
        data, kind = _payload("publish", message)
        if options is None:
            options = PublishOptions(channel_type=RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE,
                                     message_type=kind)
        if not isinstance(options, PublishOptions):
            raise TypeError(f"publish: options must be a PublishOptions, got {type_name(options)}")
        if options.channel_type not in (RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE,
                                        RtmChannelType.RTM_CHANNEL_TYPE_USER):
            raise InvalidArgumentError("publish: options.channel_type must be RTM_CHANNEL_TYPE_MESSAGE (1) "
                                       f"or RTM_CHANNEL_TYPE_USER (3), got {options.channel_type!r}")
        custom = options.custom_type or ""
        if not isinstance(custom, str) or len(custom.encode("utf-8")) > MAX_CUSTOM_TYPE_BYTES:
            raise InvalidArgumentError(f"publish: options.custom_type must be a str of at most "
                                       f"{MAX_CUSTOM_TYPE_BYTES} bytes")
        with _hub.lock:
            rc = self._usable()
            if rc != E.RTM_ERROR_OK:
                return rc, 0
            now = time.monotonic()
            while self._sent and now - self._sent[0] >= 1.0:
                self._sent.popleft()
            if len(self._sent) >= MESSAGES_PER_SEC:
                return E.RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_TOO_FREQUENT, 0
            self._sent.append(now)
            rid = self._request()
            user = options.channel_type == RtmChannelType.RTM_CHANNEL_TYPE_USER
            event = MessageEvent(channel_type=int(options.channel_type), message_type=int(options.message_type),
                                 channel_name=self.user_id if user else channel_name, channel_topic="",
                                 message=data, message_length=len(data), publisher=self.user_id,
                                 custom_type=custom)
            error = E.RTM_ERROR_OK
            if self._janus is not None:   # the result comes once its datagrams left
                error = self._janus.publish(channel_name, user, int(options.message_type), custom, data, rid)
                if error == E.RTM_ERROR_OK:
                    return E.RTM_ERROR_OK, rid
            elif user:
                to = _hub.users.get((self.app_id, channel_name))
                if to is None:
                    error = E.RTM_ERROR_CHANNEL_RECEIVER_OFFLINE
                else:
                    to._emit("on_message_event", event)
            else:
                for uid, sub in _hub.channels.get((self.app_id, channel_name), {}).items():
                    if uid != self.user_id and sub.options.with_message:
                        sub.client._emit("on_message_event", event)
            self._emit("on_publish_result", rid, error)
            return E.RTM_ERROR_OK, rid

    def send_channel_message(self, channel_name: str, message) -> Tuple[int, int]:
        return self.publish(channel_name, message, PublishOptions(
            channel_type=RtmChannelType.RTM_CHANNEL_TYPE_MESSAGE,
            message_type=RtmMessageType.RTM_MESSAGE_TYPE_BINARY))

    def send_user_message(self, user_id: str, message) -> Tuple[int, int]:
        return self.publish(user_id, message, PublishOptions(
            channel_type=RtmChannelType.RTM_CHANNEL_TYPE_USER,
            message_type=RtmMessageType.RTM_MESSAGE_TYPE_BINARY))

    @property
    def dropped_messages(self) -> int:
        """Messages to this client lost on the way through Janus (a datagram of theirs
        lost: the message is dropped whole); 0 on the in-process network."""
        return self._janus.counters()[0] if self._janus is not None else 0

    @property
    def malformed_datagrams(self) -> int:
        """Datagrams that reached this client through Janus and were no part of any RTM
        message (not ours, or not well formed): ignored and counted; 0 in-process."""
        return self._janus.counters()[1] if self._janus is not None else 0

    def get_version(self) -> str:
        return VERSION

    def get_error_reason(self, error_code: int) -> str:
        try:
            return RtmErrorCode(error_code).name
        except ValueError:
            return ""

    def release(self) -> int:
        """Log out (the others see this user leave) and stop the event thread once the
        events already queued were delivered. Calls after it return
        RTM_ERROR_INSTANCE_ALREADY_RELEASED."""
        with _hub.lock:
            if not self.is_valid:
                return E.RTM_ERROR_OK
            if self._janus is not None:
                self._janus.release()
            elif self._state == RtmLinkState.RTM_LINK_STATE_CONNECTED:
                _hub.logout(self)
            self.is_valid = False
        with self._cond:
            self._closing = True
            self._cond.notify()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        return E.RTM_ERROR_OK

    def _is_valid(self) -> bool:
        return self.is_valid

    def __repr__(self) -> str:
        return f"RTMClient(app_id={self.app_id!r}, user_id={self.user_id!r}, state={self._state.name})"


def create_rtm_client(config: RtmConfig) -> RTMClient:
    return RTMClient(config)
