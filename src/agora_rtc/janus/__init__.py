"""The ``janus`` network transport's control plane (see JANUS.md).

* `JanusServer` runs a private, loopback-only Janus 1.1.2 from the config
  templates in ``agora_rtc/janus/config`` (tests, demos, local agents);
* `JanusClient` drives the Janus JSON API over HTTP long-poll (stdlib only),
  `JanusWsClient` over the WebSocket API (``janus+ws://``, on the `websockets` package);
* `agora_rtc.janus.liveness` pings each server in use (one thread per server
  per process) so that clients report a Janus that stops answering;
* `VideoRoom` wraps the VideoRoom requests the SDK needs (rooms, remote
  publishers, RTP forwarders) and `VideoRoomControl` reports publishers
  joining and leaving a room.
"""
from agora_rtc.janus.client import (ERR_HANDLE_NOT_FOUND, ERR_ID_EXISTS, ERR_NO_SUCH_FEED,
                                    ERR_NO_SUCH_ROOM, ERR_ROOM_EXISTS, ERR_SESSION_NOT_FOUND,
                                    ERR_UNAUTHORIZED, OPUS_PT, REMOTE_PUBLISHER_BASE_SSRC,
                                    REMOTE_PUBLISHER_SSRC_STEP, VIDEOROOM_PLUGIN, JanusClient,
                                    JanusError, JanusHandle, JanusPluginError, JanusSessionLost,
                                    JanusTimeoutError, JanusTransportError, RemotePublisher,
                                    RtpForwarder, VideoRoom, VideoRoomControl)
from agora_rtc.janus.ws_client import JANUS_WS_SUBPROTOCOL, JanusWsClient
from agora_rtc.janus.server import (DEFAULT_RTP_PORT_RANGE, JANUS_MISSING_REASON, TEMPLATE_DIR,
                                    JanusServer, JanusServerError, find_janus, janus_available)

__all__ = [
    "JanusServer", "JanusServerError", "find_janus", "janus_available", "JANUS_MISSING_REASON",
    "TEMPLATE_DIR", "DEFAULT_RTP_PORT_RANGE",
    "JanusClient", "JanusWsClient", "JANUS_WS_SUBPROTOCOL", "JanusHandle", "VideoRoom", "VideoRoomControl", "RemotePublisher",
    "RtpForwarder", "JanusError", "JanusPluginError", "JanusTransportError", "JanusTimeoutError",
    "JanusSessionLost", "VIDEOROOM_PLUGIN", "ERR_NO_SUCH_ROOM", "ERR_ROOM_EXISTS",
    "ERR_NO_SUCH_FEED", "ERR_UNAUTHORIZED", "ERR_ID_EXISTS", "ERR_SESSION_NOT_FOUND",
    "ERR_HANDLE_NOT_FOUND", "REMOTE_PUBLISHER_BASE_SSRC", "REMOTE_PUBLISHER_SSRC_STEP", "OPUS_PT",
]
