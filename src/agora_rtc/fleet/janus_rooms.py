"""The few VideoRoom requests the fleet makes to its Janus servers: does a room
exist, create a room, list rooms and their participants, remove a publisher a
killed worker left, is the server answering.

One Janus session per server URL, opened at first use and opened again after
any failure (a restarted Janus has forgotten the old one).
"""
from __future__ import annotations

import threading
import urllib.parse
from typing import Dict, List, Optional, Tuple

from agora_rtc.janus.client import (ERR_NO_SUCH_FEED, ERR_NO_SUCH_ROOM, JanusClient, JanusError,
                                    JanusPluginError, VideoRoom)
from agora_rtc.janus.link import H264_PROFILE, ROOM_VIDEO_CODECS, janus_id
from agora_rtc.janus.ws_client import JanusWsClient


def room_id(room: str) -> int:
    """The numeric Janus room id of a channel id (as the SDK maps it when joining)."""
    return janus_id(room)


def _api_url(transport_url: str) -> Tuple[str, Optional[str]]:
    """(URL for the Janus client, admin key) of a janus:// or janus+ws:// transport URL."""
    u = urllib.parse.urlsplit(transport_url)
    admin_key = (urllib.parse.parse_qs(u.query).get("admin_key") or [None])[0]
    return urllib.parse.urlunsplit((u.scheme, u.netloc, u.path, "", "")), admin_key


class JanusRooms:
    def __init__(self, request_timeout: float = 3.0) -> None:
        self.request_timeout = float(request_timeout)
        self._lock = threading.Lock()
        self._rooms: Dict[str, VideoRoom] = {}
        self._clients: Dict[str, JanusClient] = {}

    def _videoroom(self, transport_url: str) -> VideoRoom:
        with self._lock:
            vr = self._rooms.get(transport_url)
            if vr is not None and vr.handle.client.connected:
                return vr
            old = self._clients.pop(transport_url, None)
            if old is not None:
                old.close(destroy=False)
            url, admin_key = _api_url(transport_url)
            cls = JanusWsClient if url.startswith("janus+ws") else JanusClient
            client = cls(url, request_timeout=self.request_timeout, stall_timeout=None)
            client.connect()
            vr = client.videoroom(admin_key=admin_key)
            self._clients[transport_url], self._rooms[transport_url] = client, vr
            return vr

    def _call(self, transport_url: str, fn):
        try:
            return fn(self._videoroom(transport_url))
        except JanusError:
            with self._lock:                      # next call opens a new session
                self._rooms.pop(transport_url, None)
            raise

    def ensure(self, transport_url: str, room: str) -> bool:
        """Create the room as the SDK would when joining it; True if this call created it."""
        return self._call(transport_url, lambda vr: vr.ensure(
            room_id(room), audiocodec="opus", videocodec=ROOM_VIDEO_CODECS,
            h264_profile=H264_PROFILE))

    def rooms(self, transport_url: str) -> List[Tuple[int, int]]:
        """[(room id, participants)] of every room (private ones too: needs the admin key)."""
        def ask(vr: VideoRoom):
            data = vr.handle.message({"request": "list", "admin_key": vr.admin_key} if vr.admin_key
                                     else {"request": "list"})
            return [(int(r["room"]), int(r.get("num_participants", 0))) for r in data.get("list") or []]
        return self._call(transport_url, ask)

    def participants(self, transport_url: str, room: int) -> List[dict]:
        return self._call(transport_url, lambda vr: vr.listparticipants(room))

    def participants_if_exists(self, transport_url: str, room: str) -> Optional[List[dict]]:
        """The participants of the room (channel id), or None when it does not exist."""
        def ask(vr: VideoRoom):
            try:
                return vr.listparticipants(room_id(room))
            except JanusPluginError as e:
                if e.code == ERR_NO_SUCH_ROOM:
                    return None
                raise
        return self._call(transport_url, ask)

    def remove_publisher(self, transport_url: str, room: str, publisher_id: int) -> None:
        """Remove a remote publisher from the room (gone already is fine)."""
        def remove(vr: VideoRoom):
            try:
                vr.remove_remote_publisher(room_id(room), publisher_id)
            except JanusPluginError as e:
                if e.code != ERR_NO_SUCH_FEED:
                    raise
        self._call(transport_url, remove)

    def answering(self, transport_url: str) -> bool:
        try:
            self._call(transport_url, lambda vr: vr.handle.client.info(timeout=self.request_timeout))
            return True
        except (JanusError, OSError):
            return False

    def close(self) -> None:
        with self._lock:
            for c in self._clients.values():
                try:
                    c.close(destroy=True)
                except Exception:
                    pass
            self._clients.clear()
            self._rooms.clear()
