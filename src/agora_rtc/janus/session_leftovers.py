"""What a Janus session leaves in a room that outlives it.

A VideoRoom room, the remote publishers added to it and the RTP forwarders of
its publishers belong to the room, not to the session that created them: when
Janus drops a session (it timed the session out, e.g. after a freeze longer
than ``session_timeout``, or its WebSocket closed) but keeps running, our
remote publisher and the forwards to our socket stay. A connection that
rebuilds its session then finds its own participant id taken (error 436) and
keeps receiving the old forwards next to the new ones. These helpers clear
that up; `JanusLink` uses them when it rebuilds a session (never on a first
connect, where a taken id means another participant has it).
"""
from __future__ import annotations

import logging
from typing import Any, Collection, Optional, Tuple

from agora_rtc.janus.client import (ERR_ID_EXISTS, ERR_NO_SUCH_FEED, JanusError, JanusPluginError,
                                    RemotePublisher, VideoRoom)

__all__ = ["add_publisher_replacing_leftover", "stop_leftover_forwards"]

log = logging.getLogger("agora_rtc.janus")


def add_publisher_replacing_leftover(room: VideoRoom, room_id: int, publisher_id: int,
                                     secret: Optional[str], **add_kwargs: Any) -> RemotePublisher:
    """``add_remote_publisher`` with id `publisher_id`; when the id is taken (436) by
    our own publisher of a dropped session, remove that one (its forwards go
    with it) and add ours again."""
    try:
        return room.add_remote_publisher(room_id, id=publisher_id, secret=secret, **add_kwargs)
    except JanusPluginError as e:
        if e.code != ERR_ID_EXISTS:
            raise
    log.info("room %s: removing our publisher %s left by the dropped session", room_id, publisher_id)
    try:
        room.remove_remote_publisher(room_id, publisher_id, secret=secret)
    except JanusPluginError as e:
        if e.code != ERR_NO_SUCH_FEED:
            raise
    return room.add_remote_publisher(room_id, id=publisher_id, secret=secret, **add_kwargs)


def stop_leftover_forwards(room: VideoRoom, room_id: int, host: str, port: int,
                           first_ssrc: int, next_ssrc: int, *, secret: Optional[str],
                           admin_key: Optional[str], data_ports: Collection[int] = (),
                           keep: Collection[Tuple[Any, Any]] = ()) -> int:
    """Stop the forwards to ``host:port`` whose SSRC is in ``[first_ssrc, next_ssrc)``
    (the ones the dropped session made; those of the new session have SSRCs from
    `next_ssrc` on), and the data forwards (which have no SSRC) to ``host`` at one of
    `data_ports` (the dropped session's data sockets) but those in `keep`
    ((publisher_id, stream_id) of the new session's forwards: a port may be reused).
    Returns how many were stopped."""
    stopped = 0
    for pub in room.listforwarders(room_id, secret=secret):
        if not isinstance(pub, dict):
            continue
        for fwd in pub.get("forwarders") or []:
            if not isinstance(fwd, dict):
                continue
            ssrc = fwd.get("ssrc")
            old_data = (fwd.get("type") == "data" and fwd.get("host") == host
                        and fwd.get("port") in data_ports
                        and (pub.get("publisher_id"), fwd.get("stream_id")) not in keep)
            if not old_data and (fwd.get("host") != host or fwd.get("port") != port
                                 or not isinstance(ssrc, int) or not first_ssrc <= ssrc < next_ssrc):
                continue
            try:
                room.stop_rtp_forward(room_id, pub.get("publisher_id"), fwd.get("stream_id"),
                                      secret=secret, admin_key=admin_key)
                stopped += 1
            except (JanusError, ValueError) as e:
                log.info("room %s: leftover forward (ssrc %s) not stopped: %s", room_id, ssrc, e)
    return stopped
