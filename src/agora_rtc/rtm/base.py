"""The records of agora_rtc.rtm: the original SDK's ``agora.rtm.rtm_base`` names
(enums, configs, events, options, IRtmEventHandler) and RTM 2.x's error codes,
link states and the limits agora_rtc enforces (Agora's documented ones:
docs.agora.io/en/signaling/reference/limitations)."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import List, Optional

#: Bytes per message (payload); Agora: "32 KB".
MAX_MESSAGE_BYTES = 32 * 1024
#: Messages a client may publish within any second (channel and user messages together).
MESSAGES_PER_SEC = 60
#: Channels one client may subscribe to at once.
MAX_SUBSCRIBED_CHANNELS = 50
#: Bytes of a user id or channel name.
MAX_NAME_BYTES = 64
#: Bytes of a publish option's custom_type.
MAX_CUSTOM_TYPE_BYTES = 32
#: Events a client's handler may have waiting (a handler slower than what arrives
#: loses the oldest beyond this, counted in RTMClient.dropped_events, with a warning).
MAX_PENDING_EVENTS = 10000


class RtmAreaCode(IntEnum):
    RTM_AREA_CODE_CN = 0x00000001
    RTM_AREA_CODE_NA = 0x00000002
    RTM_AREA_CODE_EU = 0x00000004
    RTM_AREA_CODE_AS = 0x00000008
    RTM_AREA_CODE_JP = 0x00000010
    RTM_AREA_CODE_IN = 0x00000020
    RTM_AREA_CODE_GLOB = 0xFFFFFFFF


class RtmLogLevel(IntEnum):
    RTM_LOG_LEVEL_NONE = 0x0000
    RTM_LOG_LEVEL_INFO = 0x0001
    RTM_LOG_LEVEL_WARN = 0x0002
    RTM_LOG_LEVEL_ERROR = 0x0004
    RTM_LOG_LEVEL_FATAL = 0x0008


class RtmEncryptionMode(IntEnum):
    RTM_ENCRYPTION_MODE_NONE = 0
    RTM_ENCRYPTION_MODE_AES_128_GCM = 1
    RTM_ENCRYPTION_MODE_AES_256_GCM = 2


class RtmServiceType(IntEnum):
    RTM_SERVICE_TYPE_NONE = 0x00000000
    RTM_SERVICE_TYPE_MESSAGE = 0x00000001
    RTM_SERVICE_TYPE_STREAM = 0x00000002


class RtmChannelType(IntEnum):
    RTM_CHANNEL_TYPE_NONE = 0
    RTM_CHANNEL_TYPE_MESSAGE = 1
    RTM_CHANNEL_TYPE_STREAM = 2
    RTM_CHANNEL_TYPE_USER = 3


class RtmMessageType(IntEnum):
    RTM_MESSAGE_TYPE_BINARY = 0
    RTM_MESSAGE_TYPE_STRING = 1


class RtmProxyType(IntEnum):
    RTM_PROXY_TYPE_NONE = 0
    RTM_PROXY_TYPE_HTTP = 1
    RTM_PROXY_TYPE_CLOUD_TCP = 2


class RtmPresenceEventType(IntEnum):
    RTM_PRESENCE_EVENT_TYPE_NONE = 0
    RTM_PRESENCE_EVENT_TYPE_SNAPSHOT = 1
    RTM_PRESENCE_EVENT_TYPE_INTERVAL = 2
    RTM_PRESENCE_EVENT_TYPE_REMOTE_JOIN_CHANNEL = 3
    RTM_PRESENCE_EVENT_TYPE_REMOTE_LEAVE_CHANNEL = 4
    RTM_PRESENCE_EVENT_TYPE_REMOTE_TIMEOUT = 5
    RTM_PRESENCE_EVENT_TYPE_REMOTE_STATE_CHANGED = 6
    RTM_PRESENCE_EVENT_TYPE_ERROR_OUT_OF_SERVICE = 7


class RtmLinkState(IntEnum):
    RTM_LINK_STATE_IDLE = 0
    RTM_LINK_STATE_CONNECTING = 1
    RTM_LINK_STATE_CONNECTED = 2
    RTM_LINK_STATE_DISCONNECTED = 3
    RTM_LINK_STATE_SUSPENDED = 4
    RTM_LINK_STATE_FAILED = 5


class RtmLinkOperation(IntEnum):
    RTM_LINK_OPERATION_LOGIN = 0
    RTM_LINK_OPERATION_LOGOUT = 1
    RTM_LINK_OPERATION_JOIN = 2
    RTM_LINK_OPERATION_LEAVE = 3
    RTM_LINK_OPERATION_SERVER_REJECT = 4
    RTM_LINK_OPERATION_AUTO_RECONNECT = 5
    RTM_LINK_OPERATION_RECONNECTED = 6
    RTM_LINK_OPERATION_HEARTBEAT_LOST = 7
    RTM_LINK_OPERATION_SERVER_TIMEOUT = 8
    RTM_LINK_OPERATION_NETWORK_CHANGE = 9


class RtmLinkStateChangeReason(IntEnum):
    RTM_LINK_STATE_CHANGE_REASON_UNKNOWN = 0
    RTM_LINK_STATE_CHANGE_REASON_LOGIN = 1
    RTM_LINK_STATE_CHANGE_REASON_LOGIN_SUCCESS = 2
    RTM_LINK_STATE_CHANGE_REASON_LOGOUT = 7
    RTM_LINK_STATE_CHANGE_REASON_SAME_UID_LOGIN = 27


class RtmErrorCode(IntEnum):
    """RTM 2.x error codes (the subset agora_rtc reports)."""
    RTM_ERROR_OK = 0
    RTM_ERROR_NOT_LOGIN = -10002
    RTM_ERROR_INVALID_APP_ID = -10003
    RTM_ERROR_INVALID_TOKEN = -10005
    RTM_ERROR_INVALID_USER_ID = -10006
    RTM_ERROR_INVALID_CHANNEL_NAME = -10008
    RTM_ERROR_INVALID_PARAMETER = -10014
    RTM_ERROR_DUPLICATE_OPERATION = -10017
    RTM_ERROR_INSTANCE_ALREADY_RELEASED = -10018
    RTM_ERROR_INVALID_CHANNEL_TYPE = -10019
    RTM_ERROR_CHANNEL_NOT_SUBSCRIBED = -11002
    RTM_ERROR_CHANNEL_INSTANCE_EXCEED_LIMITATION = -11005
    RTM_ERROR_CHANNEL_MESSAGE_LENGTH_EXCEED_LIMITATION = -11010
    RTM_ERROR_CHANNEL_PUBLISH_MESSAGE_TOO_FREQUENT = -11025
    RTM_ERROR_CHANNEL_CUSTOM_TYPE_LENGTH_OVERFLOW = -11029
    RTM_ERROR_CHANNEL_RECEIVER_OFFLINE = -11033


@dataclass
class RtmLogConfig:
    file_path: str = ""
    file_size_kb: int = 5 * 1024
    log_level: RtmLogLevel = RtmLogLevel.RTM_LOG_LEVEL_INFO


@dataclass(kw_only=True)
class RtmProxyConfig:
    proxy_type: int = RtmProxyType.RTM_PROXY_TYPE_NONE
    proxy_server: str = ""
    proxy_port: int = 0
    proxy_username: str = ""
    proxy_password: str = ""


@dataclass(kw_only=True)
class RtmPrivateConfig:
    service_type: RtmServiceType = RtmServiceType.RTM_SERVICE_TYPE_NONE
    access_point_hosts: Optional[List[str]] = None

    def __post_init__(self):
        if self.access_point_hosts is None:
            self.access_point_hosts = []


@dataclass(kw_only=True)
class RtmEncryptionConfig:
    encryption_mode: int = RtmEncryptionMode.RTM_ENCRYPTION_MODE_NONE
    encryption_key: str = ""
    encryption_salt: str = ""


@dataclass
class UserState:
    user_id: str
    states: dict = field(default_factory=dict)


@dataclass
class SnapshotInfo:
    """Who is subscribed to the channel (presence), when the snapshot was taken."""
    user_state_list: List[UserState] = field(default_factory=list)

    @property
    def user_count(self) -> int:
        return len(self.user_state_list)


class StateItem:
    pass


class IntervalInfo:
    pass


class TopicInfo:
    pass


class LockDetail:
    pass


class Metadata:
    pass


class HistoryMessage:
    pass


class User:
    pass


class ChannelInfo:
    pass


class ChannelInfoList:
    pass


@dataclass
class LinkStateEvent:
    current_state: int
    previous_state: int
    service_type: int
    operation: int
    reason_code: int
    reason: str
    affected_channels: List[str]
    unrestored_channels: List[str]
    is_resumed: bool
    timestamp: int


@dataclass
class MessageEvent:
    """``message`` is bytes (as in the original); for a user message
    ``channel_name`` is the publisher's user id."""
    channel_type: int
    message_type: int
    channel_name: str
    channel_topic: str
    message: bytes
    message_length: int
    publisher: str
    custom_type: str


@dataclass
class PresenceEvent:
    type: int
    channel_type: int
    channel_name: str
    publisher: str
    state_items: list
    state_item_count: int
    interval: Optional[IntervalInfo]
    snapshot: Optional[SnapshotInfo]


@dataclass
class TopicEvent:
    type: int
    channel_name: str
    publisher: str
    topic_infos: list
    topic_info_count: int


@dataclass
class LockEvent:
    channel_type: int
    event_type: int
    channel_name: str
    lock_detail_list: list
    count: int


@dataclass
class StorageEvent:
    channel_type: int
    storage_type: int
    event_type: int
    target: str
    data: Optional[Metadata]


@dataclass
class PublishOptions:
    channel_type: int = RtmChannelType.RTM_CHANNEL_TYPE_NONE
    message_type: int = RtmMessageType.RTM_MESSAGE_TYPE_BINARY
    custom_type: str = ""
    store_in_history: bool = False


@dataclass
class SubscribeOptions:
    with_message: bool = True
    with_metadata: bool = False
    with_presence: bool = False
    with_lock: bool = False
    be_quiet: bool = True


class IRtmEventHandler:
    """Subclass and override what you need; every callback runs on the client's
    event thread (one per client, in the order the events happened)."""

    def on_message_event(self, event: MessageEvent): pass
    def on_presence_event(self, event: PresenceEvent): pass
    def on_topic_event(self, event: TopicEvent): pass
    def on_lock_event(self, event: LockEvent): pass
    def on_storage_event(self, event: StorageEvent): pass
    def on_join_result(self, request_id, channel_name, user_id, error_code): pass
    def on_leave_result(self, request_id, channel_name, user_id, error_code): pass
    def on_connection_state_changed(self, channel_name, state, reason): pass
    def on_token_privilege_will_expire(self, channel_name): pass
    def on_subscribe_result(self, request_id: int, channel_name: str, error_code: int): pass
    def on_unsubscribe_result(self, request_id: int, channel_name: str, error_code: int): pass
    def on_publish_result(self, request_id: int, error_code: int): pass
    def on_login_result(self, request_id: int, error_code: int): pass
    def on_link_state_event(self, event: LinkStateEvent): pass
    def on_logout_result(self, request_id: int, error_code: int): pass
    def on_renew_token_result(self, request_id: int, server_type: int, channel_name: str,
                              error_code: int): pass


@dataclass(kw_only=True)
class RtmConfig:
    app_id: str = ""
    user_id: str = ""
    area_code: RtmAreaCode = RtmAreaCode.RTM_AREA_CODE_GLOB
    protocol_type: int = 0
    presence_timeout: int = 0
    heartbeat_interval: int = 0
    context: object = None
    use_string_user_id: int = 0
    multipath: int = 0
    isp_policy_enabled: int = 0
    event_handler: Optional[IRtmEventHandler] = None
    log_config: Optional[RtmLogConfig] = None
    proxy_config: Optional[RtmProxyConfig] = None
    encryption_config: Optional[RtmEncryptionConfig] = None
    private_config: Optional[RtmPrivateConfig] = None
