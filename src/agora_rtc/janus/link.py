"""One RTCConnection's link to Janus: the control plane of the ``janus``
transport (JANUS.md). The engine carries the media (RTP/Opus on one UDP
socket per connection); this class drives the Janus JSON API around it:

connect  -> session, room exists/create, our UDP socket, add_remote_publisher
            (our audio enters the room), a control handle that hears publishers,
            then CONNECTED is posted into the engine;
publisher joins  -> rtp_forward of its audio to our socket with an SSRC we
            choose, add the stream to the engine; rtp_forward of its data
            stream (its data channel) to a socket of the engine's for that
            user; then USER_JOINED (from then on its messages arrive);
publisher leaves -> stop_rtp_forward, remove the stream, USER_LEFT;
server lost      -> LOST, then RECONNECTING until the session is rebuilt
            (RECONNECTED) or the connection is disconnected;
server stalled   -> (no answer for 2 s, janus/liveness.py) LOST, RECONNECTING
            (KEEP_ALIVE_TIMEOUT); RECONNECTED when it answers again with the
            session intact, else the "server lost" path;
disconnect       -> stop forwards, remove_remote_publisher (always before a
            room could be destroyed: Janus 1.1.2 leaks otherwise), leave, close.

Identity mapping. Janus 1.1.2 rooms and participants have numeric ids: a
channel or user id made of digits is used as is, any other string maps to a
stable 52-bit FNV-1a hash. The user id string travels as the publisher's
``display``, so remote users keep their names (browser users too).

Access control. The connection's token is the room ``secret`` (needed to
create the room, add our publisher and start or stop forwards; Janus refuses
them with a wrong token) and, when the URL has ``pin=token``, also the room
``pin`` (needed to join it, which our control handle does). An empty token
means a room without secret. The VideoRoom ``admin_key`` comes from the
transport URL (``janus://host:port?admin_key=...``) or from a JanusServer the
application started. Admin keys, secrets and SRTP keys are never logged.

Encryption of the receive legs. With ``srtp=80`` (or ``srtp=32``) in the URL,
every rtp_forward Janus makes to us is SRTP (AES-128-CM, HMAC-SHA1 80 or 32
bit tag) with a fresh random master key per forward, given to Janus in the
rtp_forward request (over the Janus API, so that API must itself be on a
private network or behind TLS) and to the engine's receive path; packets that
fail authentication are dropped and counted (``srtp_errors``). Our publish leg
(add_remote_publisher) is plain RTP: Janus 1.1's remote publishers cannot
take SRTP. See SECURITY.md.

Video (VP8 / H.264; raw pushes are encoded by the engine first). Our remote publisher has a
second stream, video at mindex 1 (SSRC 1010), of the codec chosen with
``video=vp8`` (default), ``video=h264`` or ``video=none`` (no video stream)
in the transport URL; the engine sends pushed encoded frames of that codec
on it (payload type 96 VP8, 107 H.264: what Janus 1.1.2 announces to
subscribers for a remote publisher). Rooms we create allow ``vp8,h264``.
They are created with ``h264_profile`` 42e01f (constrained baseline, level
3.1), which Janus gives our H.264 stream, so it offers subscribers
``profile-level-id=42e01f;packetization-mode=1``: without a profile Janus
1.1.2 writes no fmtp, which means packetization-mode 0 (single NAL units
only), while the engine packetizes with STAP-A and FU-A (Chromium 156
decodes them even so; a stricter receiver need not). Janus 1.1.2 cannot take
the profile per remote publisher stream: it validates that ``h264_profile``
as a boolean but reads a string. A room someone else created keeps its own
``h264_profile`` (or none). Push constrained baseline frames of level 3.1
or lower: the profile WebRTC browsers support.
A remote user's video stream (VP8 or H.264) is rtp_forwarded to our socket
only while this connection subscribes to that user's video
(subscribe_video / subscribe_all_video / auto_subscribe_video), with an SSRC
of its own and ``rtcp_port`` = our socket's port, so that Janus opens a
feedback socket for it: the engine sends its PLIs there (keyframe requests on
loss, on a first frame that is not a keyframe, and on send_intra_request)
and Janus forwards them to the publisher. Keyframe requests from Janus to our
publisher (a browser subscribed) arrive on our socket as PLIs for SSRC 1010
and become on_intra_request_received.

Data (stream messages and audio metadata, rtp_data.c). Our remote publisher
has a data stream after its media (mindex 1, or 2 with video; SSRC 1000 +
10 * mindex): each message we send is one datagram to it, and Janus relays it
on its data channels to every subscriber (browsers: janus.js ``ondata``) and
to every rtp_forward of our data. Every publisher with a data stream (a
browser that offered a data channel, another agent) is rtp_forwarded to a
socket of its own, which names the sender. A data forward carries neither
the stream id nor text/binary (Janus sends the bare message), so messages
arrive as stream 1; audio metadata is a binary message behind the tag
``b"\xffamd"`` (rtc_connection.JANUS_METADATA_TAG). The legs agent <-> Janus
are UDP (on the host or a private network: loss only under overload); the
legs Janus <-> browser are SCTP data channels, reliable and ordered.

Peers that die without leaving (SIGKILL, power loss). A remote publisher
in Janus 1.1.2 has no liveness of its own: when the process behind it dies,
it stays in the room for good, listed to everyone. So every agent sends RTP
while it is published (an RTP keepalive, padding only, each second when it
has nothing to say), and a watchdog thread looks at the forwards it
receives every 0.25 s: a remote user whose audio forward brought no RTP for
``peer_timeout`` seconds (transport URL ``&peer_timeout=S``, default 5, 0 =
off; RFC 3550 6.3.5 times a silent source out the same way) is, once
peer_timeouts.PeerTimeouts confirms it (Janus answered, the silence went on;
WebRTC publishers are never judged), reported left (on_user_left, reason
USER_OFFLINE_DROPPED) and removed from the room with
``remove_remote_publisher`` (the room secret this connection holds), so the
others hear Janus's ``unpublished`` too. A clean leave sends an RTCP BYE for
our streams first (Janus 1.1.2 uses the remote publisher's RTCP only to
latch; a BYE reaching our socket for a forwarded SSRC is honoured at once).
"""
from __future__ import annotations

import base64
import logging
import os
import threading
import time
from typing import Dict, Optional

from agora_rtc.janus.client import (ERR_NO_SUCH_FEED, VIDEO_PT, JanusClient, JanusError,
                                    RemotePublisher, RtpForwarder, VideoRoom, VideoRoomControl)
from agora_rtc.janus.peer_timeouts import PeerTimeouts
from agora_rtc.janus.session_leftovers import (add_publisher_replacing_leftover,
                                               stop_leftover_forwards)
from agora_rtc.janus.ws_client import JanusWsClient

_log = logging.getLogger("agora_rtc.janus")

# engine connection events (agora_rtc/rtp_transport.h)
EV_CONNECTED, EV_DISCONNECTED, EV_FAILURE, EV_USER_JOINED, EV_USER_LEFT, EV_LOST, \
    EV_RECONNECTING, EV_RECONNECTED = range(8)
REASON_JOIN_SUCCESS = 1
REASON_INTERRUPTED = 2
REASON_JOIN_FAILED = 4
REASON_LEAVE_CHANNEL = 5
REASON_LOST = 14
REASON_KEEP_ALIVE_TIMEOUT = 14        # CONNECTION_CHANGED_KEEP_ALIVE_TIMEOUT
USER_OFFLINE_QUIT = 0
USER_OFFLINE_DROPPED = 1
FORWARD_SSRC_BASE = 20000
VIDEO_MINDEX = 1                      # our publisher: audio at mindex 0, video at 1
                                      # and data after them (at 1 without video)
VIDEO_CODEC_IDS = {"vp8": 1, "h264": 2}   # Agora VIDEO_CODEC_TYPE
ROOM_VIDEO_CODECS = "vp8,h264"
H264_PROFILE = "42e01f"               # rooms we create: what subscribers are offered for H.264
DEFAULT_PEER_TIMEOUT = 5.0            # s of silence after which a remote publisher is dead
PEER_WATCH_INTERVAL = 0.25            # s between two looks at the forwards
PEER_CONFIRM = 1.5                    # s the silence must go on after Janus answered
PEER_REQUEST_TIMEOUT = 2.0            # s for the watchdog's Janus requests


def _check(rc: int, what: str) -> None:
    if rc < 0:
        from agora_rtc._core._engine import strerror
        raise RuntimeError(f"{what} failed: {strerror(rc)} ({rc})")


def _secret(body: dict, secret: Optional[str]) -> dict:
    if secret is not None:
        body["secret"] = secret
    return body


def janus_id(value: str) -> int:
    """Numeric Janus id of a channel or user id (digits kept, else a stable hash)."""
    if value.isdigit() and 0 < int(value) < 2 ** 53:
        return int(value)
    h = 0xcbf29ce484222325
    for b in value.encode("utf-8"):
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return (h >> 12) or 1  # 52 bits: exact in JSON numbers and JavaScript


class JanusLink:
    """Control plane of one connection (created by RTCConnection.connect)."""

    def __init__(self, conn, url, *, admin_key: Optional[str], bind_ip: str = "127.0.0.1",
                 publishers: int = 64, reconnect_interval: float = 1.0, pin_from_token=False,
                 srtp_suite: Optional[int] = None, video_codec: Optional[str] = "vp8",
                 peer_timeout: float = DEFAULT_PEER_TIMEOUT):
        if srtp_suite not in (None, 32, 80):
            raise ValueError(f"srtp must be 32 or 80, got {srtp_suite!r}")
        if video_codec not in (None, "none", *VIDEO_CODEC_IDS):
            raise ValueError(f"video must be vp8, h264 or none, got {video_codec!r}")
        self.video_codec = None if video_codec == "none" else video_codec
        self.peer_timeout = float(peer_timeout)
        self.srtp_suite = srtp_suite
        self.conn = conn
        self.url = url
        self.admin_key = admin_key
        self.bind_ip = bind_ip
        self.publishers = publishers
        self.reconnect_interval = reconnect_interval
        self.pin_from_token = pin_from_token
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._client: Optional[JanusClient] = None
        self._room: Optional[VideoRoom] = None
        self._control: Optional[VideoRoomControl] = None
        self._publisher: Optional[RemotePublisher] = None
        self._forwards: Dict[int, RtpForwarder] = {}   # janus publisher id -> forwarder
        self._users: Dict[int, str] = {}                # janus publisher id -> user id
        self._video_streams: Dict[int, dict] = {}       # janus publisher id -> its video stream
        self._vforwards: Dict[int, RtpForwarder] = {}   # janus publisher id -> video forwarder
        self._dforwards: Dict[int, RtpForwarder] = {}   # janus publisher id -> data forwarder
        self._lost_data_ports: set = set()               # data sockets of a dropped session
        self._vpending: set = set()                     # video forwards being set up
        self._vdone = threading.Condition(self._lock)   # signalled when one is set up
        self._next_ssrc = FORWARD_SSRC_BASE
        self._local_port = 0
        self._thread: Optional[threading.Thread] = None
        self._watchdog: Optional[threading.Thread] = None
        self._judge = PeerTimeouts(self.peer_timeout or DEFAULT_PEER_TIMEOUT, PEER_CONFIRM)
        self._stalled_client: Optional[JanusClient] = None   # reported stalled, not yet back
        # Publisher events arrive on the client's dispatch thread, possibly while the
        # connect thread is still inside _setup(): the engine only accepts USER_JOINED
        # once CONNECTED was posted, so joins seen before that wait here (in order).
        self._live = False
        self._held_joins: list = []
        self.room_id = 0
        self.user_id = ""
        self.secret: Optional[str] = None

    # ---- engine hand-off ----

    def _post(self, event: int, user_id: str = "", reason: int = 0) -> None:
        try:
            rc = self.conn._post_event(event, user_id.encode("utf-8"), reason)
        except Exception:  # the connection was released meanwhile
            _log.debug("event %d not posted: connection gone", event)
            return
        if rc < 0:
            _log.debug("event %d refused by the engine (%d)", event, rc)

    def _post_user(self, event: int, user_id: str, reason: int = 0) -> None:
        """USER_JOINED / USER_LEFT, held back until the connection is live."""
        with self._lock:
            if not self._live:
                if event == EV_USER_JOINED:
                    self._held_joins.append(user_id)
                elif user_id in self._held_joins:
                    self._held_joins.remove(user_id)
                return
            self._post(event, user_id, reason)

    def _go_live(self) -> None:
        """Post CONNECTED, then the joins seen while connecting (under the lock, so a
        leave on the dispatch thread cannot overtake its join)."""
        with self._lock:
            self._post(EV_CONNECTED, "", REASON_JOIN_SUCCESS)
            self._live = True
            held, self._held_joins = self._held_joins, []
            for user in held:
                self._post(EV_USER_JOINED, user)

    # ---- lifecycle ----

    def start(self, channel_id: str, user_id: str, token: str) -> None:
        """Asynchronous: the result is posted as CONNECTED or FAILURE."""
        self.room_id = janus_id(channel_id)
        self.user_id = user_id
        self.secret = token or None
        self._stop.clear()
        with self._lock:
            self._live = False
            self._held_joins = []
        self._thread = threading.Thread(target=self._run_connect, name="agora_rtc-janus",
                                        daemon=True)
        self._thread.start()
        if self.peer_timeout > 0:
            self._watchdog = threading.Thread(target=self._watch_peers, daemon=True,
                                              name="agora_rtc-janus-peers")
            self._watchdog.start()

    def _run_connect(self) -> None:
        try:
            self._setup()
        except Exception as exc:
            _log.warning("janus connect to room %s failed: %s", self.room_id, exc)
            self._teardown(quiet=True)
            self._post(EV_FAILURE, "", REASON_JOIN_FAILED)
            return
        self._go_live()

    def _setup(self, rebuild: bool = False) -> set:
        """Build the session; returns the ids of the publishers already in the room.
        `rebuild`: after a lost session, replace our publisher if the room kept it."""
        # ws:// URLs (transport janus+ws) use the WebSocket API, http:// the HTTP long poll
        client_class = JanusWsClient if self.url.startswith("ws://") else JanusClient
        client = client_class(self.url, on_session_lost=self._on_lost)
        client.on_stalled = lambda reason: self._on_stalled(client, reason)
        client.on_resumed = lambda seconds: self._on_resumed(client, seconds)
        client.connect()
        with self._lock:
            self._client = client
        room = client.videoroom(admin_key=self.admin_key, iface=self.bind_ip)
        self.pin = self.secret if self.pin_from_token else None
        room.ensure(self.room_id, secret=self.secret, pin=self.pin, publishers=self.publishers,
                    audiocodec="opus", videocodec=ROOM_VIDEO_CODECS, h264_profile=H264_PROFILE)
        if not self._local_port:
            rc, self._local_port = self.conn._rtp_open(self.bind_ip.encode())
            _check(rc, "rtp_open")
        streams = [{"type": "audio", "mid": "0", "mindex": 0, "codec": "opus", "fec": True}]
        if self.video_codec:
            streams.append({"type": "video", "mid": str(VIDEO_MINDEX), "mindex": VIDEO_MINDEX,
                            "codec": self.video_codec})
        data_mindex = len(streams)   # stream messages and audio metadata (rtp_data.c)
        streams.append({"type": "data", "mid": str(data_mindex), "mindex": data_mindex})
        if rebuild:
            pub = add_publisher_replacing_leftover(room, self.room_id, janus_id(self.user_id),
                                                   self.secret, display=self.user_id,
                                                   iface=self.bind_ip, streams=streams)
        else:
            pub = room.add_remote_publisher(self.room_id, id=janus_id(self.user_id),
                                            display=self.user_id, secret=self.secret,
                                            iface=self.bind_ip, streams=streams)
        _check(self.conn._rtp_set_publish_target(pub.ip.encode(), pub.port, pub.rtcp_port or 0,
                                                 pub.ssrc(0)), "rtp_set_publish_target")
        if self.video_codec:
            _check(self.conn._rtp_set_video_publish(pub.ssrc(VIDEO_MINDEX),
                                                    VIDEO_CODEC_IDS[self.video_codec],
                                                    VIDEO_PT[self.video_codec]),
                   "rtp_set_video_publish")
        _check(self.conn._rtp_set_data_publish(pub.ssrc(data_mindex)), "rtp_set_data_publish")
        control = VideoRoomControl(client, on_publisher_joined=self._on_publisher_joined,
                                   on_publisher_left=self._on_publisher_left)
        with self._lock:
            self._room, self._publisher, self._control = room, pub, control
        present = control.join(self.room_id, display=f"agora-rtc-control:{self.user_id}", pin=self.pin)
        return {p.get("id") for p in present}

    def stop(self) -> None:
        """Synchronous: leave Janus (BYE, forwards, publisher, control handle, session)."""
        self._stop.set()
        # the connect thread and a reconnect in progress finish their _setup
        # first, so the teardown below sees (and removes) all they created
        for t in (self._thread, getattr(self, "_reconnect_thread", None), self._watchdog):
            if t is not None and t is not threading.current_thread():
                t.join(timeout=15)
        try:
            self.conn._rtp_send_bye()
        except Exception:  # the connection was released meanwhile
            pass
        self._teardown(quiet=False)

    def _teardown(self, quiet: bool) -> None:
        with self._lock:
            client, room, control, pub = self._client, self._room, self._control, self._publisher
            forwards = list(self._forwards.values()) + list(self._vforwards.values())
            dforwards = [(self._users.get(pid), f) for pid, f in self._dforwards.items()]
            self._client = self._room = self._control = self._publisher = None
            self._forwards.clear()
            self._vforwards.clear()
            self._lost_data_ports.update(f.port for f in self._dforwards.values())
            self._dforwards.clear()
            self._video_streams.clear()
        for fwd in forwards:
            self._drop_forward(room, fwd)
        for user, fwd in dforwards:
            self._drop_data_forward(room, user, fwd)
        if room is not None and pub is not None:
            self._remove_publisher(room, pub)
        if control is not None:
            try:
                control.leave(timeout=2)
            except JanusError:
                pass
        if client is not None:
            client.close()

    def _remove_publisher(self, room: VideoRoom, pub: RemotePublisher) -> None:
        """remove_remote_publisher, before anything can destroy the room (JANUS.md).
        Janus 1.1.2 can answer 428 (no such remote publisher) to a removal that
        follows the add within milliseconds (disconnect while connecting): the
        publisher appears a moment later and would stay in the room for good,
        so a 428 is retried for up to a second."""
        for attempt in range(11):
            try:
                room.remove_remote_publisher(self.room_id, pub.id, secret=self.secret)
                return
            except JanusError as exc:
                if exc.code != 428 or attempt == 10:
                    _log.warning("could not remove our publisher %s from room %s: %s",
                                 pub.id, self.room_id, exc)
                    return
            time.sleep(0.1)

    # ---- publishers ----

    def _remove_engine_stream(self, ssrc: int) -> None:
        try:
            self.conn._rtp_remove_remote(ssrc)
        except Exception:  # the connection was released meanwhile
            pass

    def _drop_forward(self, room: Optional[VideoRoom], fwd: RtpForwarder) -> None:
        """Stop hearing one publisher: the engine stream first, then the Janus forward."""
        self._remove_engine_stream(fwd.ssrc)
        if room is not None:
            try:
                room.stop_rtp_forward(fwd, admin_key=self.admin_key, secret=self.secret)
            except JanusError:
                pass

    def _drop_data_forward(self, room: Optional[VideoRoom], user: Optional[str],
                           fwd: RtpForwarder) -> None:
        """Stop receiving one publisher's messages: the engine's socket, then the forward."""
        if user is not None:
            try:
                self.conn._rtp_remove_data_remote(user.encode("utf-8"))
            except Exception:  # the connection was released meanwhile
                pass
        if room is not None:
            try:
                room.stop_rtp_forward(fwd, admin_key=self.admin_key, secret=self.secret)
            except JanusError:
                pass

    def _start_data_forward(self, pid: int, user: str, stream: dict) -> None:
        """Forward a publisher's data stream (its data channel's messages) to a socket
        of the engine's own for that user."""
        with self._lock:
            room = self._room
            if room is None or pid in self._dforwards:
                return
        rc, port = self.conn._rtp_add_data_remote(user.encode("utf-8"))
        if rc < 0:
            _log.warning("cannot receive the messages of publisher %s (%s): engine error %d",
                         pid, user, rc)
            return
        try:
            # Janus sends a data forward's messages bare: pt and ssrc are not used
            fwd = room.rtp_forward(self.room_id, pid, host=self.bind_ip, port=port, ssrc=0,
                                   mid=str(stream.get("mid")), secret=self.secret,
                                   admin_key=self.admin_key)
        except Exception as exc:
            _log.warning("cannot receive the messages of publisher %s (%s): %s", pid, user, exc)
            self.conn._rtp_remove_data_remote(user.encode("utf-8"))
            return
        with self._lock:
            if self._room is room and self._users.get(pid) == user:
                self._dforwards[pid] = fwd
                return
        self._drop_data_forward(room, user, fwd)   # the publisher left (or we did) meanwhile

    def _new_leg(self):
        """(ssrc, srtp key or None, rtp_forward SRTP options) of a new forward."""
        with self._lock:
            ssrc = self._next_ssrc
            self._next_ssrc += 1
        if self.srtp_suite is None:
            return ssrc, None, {}
        key = os.urandom(30)   # master key (16) + salt (14), one per forward
        return ssrc, key, {"srtp_suite": self.srtp_suite, "srtp_crypto": base64.b64encode(key).decode()}

    def _on_publisher_joined(self, pid: int, display: Optional[str], streams) -> None:
        if self._publisher is not None and pid == self._publisher.id:
            return  # ourselves
        if display and display.startswith("agora-rtc-control:"):
            return
        audio = next((s for s in streams or [] if s.get("type") == "audio"), None)
        video = next((s for s in streams or [] if s.get("type") == "video"
                      and str(s.get("codec", "")).lower() in VIDEO_PT
                      and not s.get("disabled")), None)
        data = next((s for s in streams or [] if s.get("type") == "data"
                     and not s.get("disabled")), None)
        if audio is None and video is None and data is None:
            return
        user = display or str(pid)
        if video is not None:
            with self._lock:
                self._video_streams[pid] = dict(video, user=user)
        if audio is None:
            with self._lock:
                new_user = pid not in self._users
                self._users[pid] = user
            if data is not None:    # before the join: a joined user's messages arrive
                self._start_data_forward(pid, user, data)
            if new_user:
                self._post_user(EV_USER_JOINED, user)
            self.refresh_video()
            return
        with self._lock:
            room = self._room
            heard = pid in self._forwards
        if room is None:
            return
        if heard:   # a publisher we hear already whose streams changed (a data channel added)
            if data is not None:
                self._start_data_forward(pid, user, data)
            if video is not None:
                self.refresh_video()
            return
        ssrc, key, srtp = self._new_leg()
        try:
            _check(self.conn._rtp_add_remote(ssrc, user.encode("utf-8"), self.srtp_suite or 0, key),
                   "rtp_add_remote")
            fwd = room.rtp_forward(self.room_id, pid, host=self.bind_ip, port=self._local_port,
                                   ssrc=ssrc, mid=str(audio.get("mid", "0")),
                                   secret=self.secret, admin_key=self.admin_key, **srtp)
        except Exception as exc:
            _log.warning("cannot hear publisher %s (%s): %s", pid, user, exc)
            self._remove_engine_stream(ssrc)
            return
        with self._lock:
            self._forwards[pid] = fwd
            new_user = pid not in self._users
            self._users[pid] = user
        if data is not None:        # before the join: a joined user's messages arrive
            self._start_data_forward(pid, user, data)
        if new_user:
            self._post_user(EV_USER_JOINED, user)
        if video is not None:
            self.refresh_video()

    # ---- video forwards ----

    def refresh_video(self) -> None:
        """Forward each remote user's video while the connection subscribes to
        it, and stop the forwards of the others (called when a publisher joins
        and when the connection's video subscriptions change). Returns when
        the wanted forwards exist (also those another thread was setting up),
        so that frames sent from then on reach the connection."""
        with self._lock:
            if self._room is None:
                return
            streams = dict(self._video_streams)
        for pid, stream in streams.items():
            wanted = self.conn._wants_video(stream["user"])
            with self._lock:
                while pid in self._vpending and not self._stop.is_set():
                    self._vdone.wait(1.0)
                have = pid in self._vforwards
                if wanted and not have:
                    self._vpending.add(pid)
                fwd = self._vforwards.pop(pid, None) if not wanted else None
                room = self._room
            if wanted and not have:
                try:
                    self._start_video_forward(pid, stream)
                finally:
                    with self._lock:
                        self._vpending.discard(pid)
                        self._vdone.notify_all()
            elif fwd is not None:
                self._drop_forward(room, fwd)

    def _start_video_forward(self, pid: int, stream: dict) -> None:
        codec = str(stream.get("codec")).lower()
        user = stream["user"]
        with self._lock:
            room = self._room
        if room is None:
            return
        ssrc, key, srtp = self._new_leg()
        fwd = None
        try:
            _check(self.conn._rtp_add_remote(ssrc, user.encode("utf-8"), self.srtp_suite or 0, key,
                                             video_codec=VIDEO_CODEC_IDS[codec]), "rtp_add_remote(video)")
            # rtcp_port: Janus opens a feedback socket for this forward (its port comes back
            # as local_rtcp_port): our PLIs go there and Janus asks the publisher for a keyframe
            fwd = room.rtp_forward(self.room_id, pid, host=self.bind_ip, port=self._local_port,
                                   ssrc=ssrc, pt=VIDEO_PT[codec], mid=str(stream.get("mid")),
                                   rtcp_port=self._local_port, secret=self.secret,
                                   admin_key=self.admin_key, **srtp)
            if fwd.local_rtcp_port:
                ip = self._publisher.ip if self._publisher is not None else self.bind_ip
                _check(self.conn._rtp_set_remote_feedback(ssrc, ip.encode(), fwd.local_rtcp_port),
                       "rtp_set_remote_feedback")
        except Exception as exc:
            _log.warning("cannot receive the video of publisher %s (%s): %s", pid, user, exc)
            if fwd is not None:
                self._drop_forward(room, fwd)
            else:
                self._remove_engine_stream(ssrc)
            return
        with self._lock:
            if self._room is room and pid in self._video_streams:
                self._vforwards[pid] = fwd
                return
        self._drop_forward(room, fwd)   # the publisher left (or we did) meanwhile

    def _on_publisher_left(self, pid: int) -> None:
        self._judge.forget(pid)
        with self._lock:
            fwd = self._forwards.pop(pid, None)
            vfwd = self._vforwards.pop(pid, None)
            dfwd = self._dforwards.pop(pid, None)
            self._video_streams.pop(pid, None)
            user = self._users.pop(pid, None)
            room = self._room
        if fwd is not None:
            self._drop_forward(room, fwd)
        if vfwd is not None:
            self._drop_forward(room, vfwd)
        if dfwd is not None:
            self._drop_data_forward(room, user, dfwd)
        if user is not None:
            self._post_user(EV_USER_LEFT, user, USER_OFFLINE_QUIT)

    # ---- peers that died without leaving ----

    def _watch_peers(self) -> None:
        while not self._stop.wait(PEER_WATCH_INTERVAL):
            try:
                self._check_peers()
            except Exception:  # never let the watchdog die: log and look again
                _log.exception("checking the liveness of remote users failed")

    def _check_peers(self) -> None:
        """One look at every audio forward (verdicts: PeerTimeouts)."""
        with self._lock:
            if not self._live or self._room is None:
                return
            forwards = self._judge.watched([(pid, f.ssrc) for pid, f in self._forwards.items()])
        if not forwards:
            return
        try:
            activity = self.conn._rtp_remote_activity()
        except Exception:  # the connection was released meanwhile
            return
        said_bye, dead, ask = self._judge.review(forwards, activity, time.monotonic())
        for pid, ssrc in said_bye:
            self._peer_gone(pid, ssrc, USER_OFFLINE_QUIT, remove=False)
        for pid, ssrc in dead:
            _log.warning("user %s (janus publisher %s) sent nothing for %.1f s: reported left",
                         self._users.get(pid, pid), pid, self.peer_timeout + PEER_CONFIRM)
            self._peer_gone(pid, ssrc, USER_OFFLINE_DROPPED, remove=True)
        if ask:
            listed = self._list_participants()
            self._judge.janus_answered(ask, listed, time.monotonic())

    def _list_participants(self) -> Optional[Dict[int, dict]]:
        """The room's participants by id, or None when Janus does not answer soon."""
        with self._lock:
            room = self._room
        if room is None:
            return None
        try:
            data = room.handle.message({"request": "listparticipants", "room": self.room_id},
                                       timeout=PEER_REQUEST_TIMEOUT)
        except JanusError:
            return None
        return {p.get("id"): p for p in data.get("participants") or [] if isinstance(p, dict)}

    def _peer_gone(self, pid: int, ssrc: int, reason: int, *, remove: bool) -> None:
        """A remote user said BYE or went silent: stop hearing it, report it left and,
        for a dead one, take its publisher out of the room so nobody else sees a ghost."""
        with self._lock:
            fwd = self._forwards.get(pid)
            if fwd is None or fwd.ssrc != ssrc:
                return          # left (or was re-forwarded) meanwhile
            del self._forwards[pid]
            vfwd = self._vforwards.pop(pid, None)
            dfwd = self._dforwards.pop(pid, None)
            self._video_streams.pop(pid, None)
            user = self._users.pop(pid, None)
            room = self._room
        for f in (fwd, vfwd):
            if f is not None:
                self._drop_forward(room, f)
        if dfwd is not None:
            self._drop_data_forward(room, user, dfwd)
        if user is not None:
            self._post_user(EV_USER_LEFT, user, reason)
        if remove and room is not None:
            try:
                room.handle.message(_secret({"request": "remove_remote_publisher",
                                             "room": self.room_id, "id": pid}, self.secret),
                                    timeout=PEER_REQUEST_TIMEOUT)
            except JanusError as exc:
                if exc.code != ERR_NO_SUCH_FEED:   # 428: someone else removed it first
                    _log.warning("could not remove the dead publisher %s from room %s: %s",
                                 pid, self.room_id, exc)

    # ---- server loss ----

    def _on_lost(self, reason: str, error) -> None:
        if self._stop.is_set():
            return
        _log.warning("janus session lost (%s); reconnecting", reason)
        self._post(EV_LOST)
        t = threading.Thread(target=self._reconnect_loop, name="agora_rtc-janus-reconnect",
                             daemon=True)
        self._reconnect_thread = t
        t.start()

    def _stop_old_forwards(self, old_ssrcs_end: int) -> None:
        """A room that outlived our lost session still forwards to our socket with the
        old SSRCs (Janus dropped the session, not the room): stop those forwards."""
        with self._lock:
            room = self._room
            data_ports, self._lost_data_ports = self._lost_data_ports, set()
            keep = {(pid, f.stream_id) for pid, f in self._dforwards.items()}
        if room is None:
            return
        try:
            n = stop_leftover_forwards(room, self.room_id, self.bind_ip, self._local_port,
                                       FORWARD_SSRC_BASE, old_ssrcs_end, secret=self.secret,
                                       admin_key=self.admin_key, data_ports=data_ports, keep=keep)
        except JanusError as exc:
            _log.info("janus: leftover forwards of room %s not listed: %s", self.room_id, exc)
            return
        if n:
            _log.info("janus: stopped %d forwards of the lost session in room %s", n, self.room_id)

    def _on_stalled(self, client: JanusClient, reason: str) -> None:
        """The server stopped answering (frozen, stuck): LOST, then RECONNECTING with
        reason KEEP_ALIVE_TIMEOUT; the session is kept for when it answers again.
        Ignored while connecting or rebuilding (that path reports for itself)."""
        rebuild = getattr(self, "_reconnect_thread", None)
        with self._lock:
            if (self._stop.is_set() or not self._live or client is not self._client
                    or (rebuild is not None and rebuild.is_alive())):
                return
            self._stalled_client = client
        _log.debug("janus server not answering (%s); waiting for it", reason)   # the prober warns once
        self._post(EV_LOST)
        self._post(EV_RECONNECTING, "", REASON_KEEP_ALIVE_TIMEOUT)

    def _on_resumed(self, client: JanusClient, seconds: float) -> None:
        """The stalled server answers again and still knows our session: RECONNECTED
        (if it forgot it, the client reports the session lost instead: _on_lost)."""
        with self._lock:
            if self._stalled_client is not client:
                return
            self._stalled_client = None
            current = client is self._client and not self._stop.is_set()
        if current:
            _log.debug("janus server answers again after %.1f s", seconds)
            self._post(EV_RECONNECTED, "", REASON_JOIN_SUCCESS)

    def _reconnect_loop(self) -> None:
        self._teardown(quiet=True)
        known = {}
        with self._lock:
            known, self._users = dict(self._users), {}
        # publishers seen again after the rebuild are re-added silently
        self._users.update(known)
        with self._lock:
            old_ssrcs_end = self._next_ssrc   # forwards of the lost session have lower SSRCs
        while not self._stop.wait(self.reconnect_interval):
            self._post(EV_RECONNECTING, "", REASON_INTERRUPTED)
            try:
                present = self._setup(rebuild=True)
            except Exception as exc:
                _log.info("janus reconnect failed: %s", exc)
                self._teardown(quiet=True)
                continue
            self._stop_old_forwards(old_ssrcs_end)
            # users that did not come back have left
            with self._lock:
                gone = [(pid, u) for pid, u in known.items() if pid not in present]
                for pid, _ in gone:
                    self._users.pop(pid, None)
            for _, user in gone:
                self._post_user(EV_USER_LEFT, user, USER_OFFLINE_DROPPED)
            self._post(EV_RECONNECTED, "", REASON_JOIN_SUCCESS)
            return
