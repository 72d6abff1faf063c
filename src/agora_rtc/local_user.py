"""LocalUser: the local participant of a connection (role, subscriptions,
the format of received frames). Obtained with RTCConnection.get_local_user()."""
from __future__ import annotations

import weakref

from agora_rtc._validation import check_choice, check_user_id
from agora_rtc.agora_base import ClientRoleType

# Observer frames are exactly 10 ms: 22050 Hz (220.5 samples) cannot be a playback format.
_RATES = (8000, 16000, 24000, 32000, 44100, 48000)


class LocalAudioTrack:
    """The connection's outgoing audio track (PCM pushed with push_audio_pcm_data)."""

    def __init__(self, connection):
        self._conn = weakref.ref(connection)

    @property
    def connection(self):
        return self._conn()

    def __repr__(self):
        return f"LocalAudioTrack(connection={self._conn()!r})"


class LocalVideoTrack:
    """The connection's outgoing video track (frames pushed with push_video_frame
    or push_video_encoded_data)."""

    def __init__(self, connection):
        self._conn = weakref.ref(connection)

    @property
    def connection(self):
        return self._conn()

    def __repr__(self):
        return f"LocalVideoTrack(connection={self._conn()!r})"


class RemoteAudioTrack:
    """A remote user's audio as heard by this connection."""

    def __init__(self, user_id: str):
        self.user_id = user_id

    def __repr__(self):
        return f"RemoteAudioTrack(user_id={self.user_id!r})"

    def __eq__(self, other):
        return isinstance(other, RemoteAudioTrack) and other.user_id == self.user_id

    def __hash__(self):
        return hash(self.user_id)


class RemoteVideoTrack:
    """A remote user's video as received by this connection."""

    def __init__(self, user_id: str):
        self.user_id = user_id

    def __repr__(self):
        return f"RemoteVideoTrack(user_id={self.user_id!r})"

    def __eq__(self, other):
        return isinstance(other, RemoteVideoTrack) and other.user_id == self.user_id

    def __hash__(self):
        return hash(self.user_id)


class LocalUser:
    """Local user of one RTCConnection (all methods return 0 or a negative code)."""

    def __init__(self, connection):
        self._conn = weakref.ref(connection)
        self._audio_track = LocalAudioTrack(connection)
        self._video_track = LocalVideoTrack(connection)

    @property
    def connection(self):
        conn = self._conn()
        if conn is None:
            from agora_rtc.errors import ReleasedError
            raise ReleasedError("the connection of this LocalUser no longer exists")
        return conn

    def get_local_audio_track(self) -> LocalAudioTrack:
        return self._audio_track

    def set_user_role(self, role) -> int:
        """Broadcaster (1) or audience (2); on the local network the role is
        fixed at join, so a change while connected returns ERR_NOT_SUPPORTED."""
        check_choice("set_user_role", "role", role, tuple(int(r) for r in ClientRoleType))
        return self.connection._set_user_role(int(role))

    def publish_audio(self, track=None) -> int:
        return self.connection.publish_audio()

    def unpublish_audio(self, track=None) -> int:
        return self.connection.unpublish_audio()

    def subscribe_audio(self, user_id) -> int:
        return self.connection._subscribe(check_user_id("subscribe_audio", user_id), True)

    def unsubscribe_audio(self, user_id) -> int:
        return self.connection._subscribe(check_user_id("unsubscribe_audio", user_id), False)

    def subscribe_all_audio(self) -> int:
        return self.connection._subscribe(None, True)

    def unsubscribe_all_audio(self) -> int:
        return self.connection._subscribe(None, False)

    def set_playback_audio_frame_before_mixing_parameters(self, channels, sample_rate) -> int:
        """Format of the frames given to on_playback_audio_frame_before_mixing
        (converted natively from whatever the sender sent)."""
        check_choice("set_playback_audio_frame_before_mixing_parameters", "channels", channels, (1, 2))
        check_choice("set_playback_audio_frame_before_mixing_parameters", "sample_rate", sample_rate, _RATES)
        return self.connection._set_playback_format(int(channels), int(sample_rate))

    # ---- video ----

    def get_local_video_track(self) -> LocalVideoTrack:
        return self._video_track

    def publish_video(self, track=None) -> int:
        return self.connection.publish_video()

    def unpublish_video(self, track=None) -> int:
        return self.connection.unpublish_video()

    def subscribe_video(self, user_id, options=None) -> int:
        """Receive ``user_id``'s video: raw I420 frames (to the video frame
        observer) or, with ``VideoSubscriptionOptions(encodedFrameOnly=True)``,
        encoded frames (to the encoded frame observer). Subscribing again
        changes the mode. The local network has no codec: frames of the other
        kind are not converted (counted in ``get_video_stats``). Returns 0."""
        from agora_rtc._video_validation import subscription_encoded_only
        uid = check_user_id("subscribe_video", user_id)
        enc = subscription_encoded_only("subscribe_video", options)
        return self.connection._video._subscribe(uid, True, enc)

    def unsubscribe_video(self, user_id) -> int:
        return self.connection._video._subscribe(check_user_id("unsubscribe_video", user_id), False)

    def subscribe_all_video(self, options=None) -> int:
        """Receive every remote user's video (raw, or encoded with encodedFrameOnly);
        replaces per-user subscriptions."""
        from agora_rtc._video_validation import subscription_encoded_only
        enc = subscription_encoded_only("subscribe_all_video", options)
        return self.connection._video._subscribe(None, True, enc)

    def unsubscribe_all_video(self) -> int:
        return self.connection._video._subscribe(None, False)

    def send_intra_request(self, remote_uid) -> int:
        """Ask ``remote_uid`` for a key frame. On the local network the user gets
        ``IRTCLocalUserObserver.on_intra_request_received(local_user)`` (it is up
        to the sender's code to push a key frame). Returns 0, ERR_NOT_READY when
        not connected, ERR_INVALID_ARGUMENT when no such user is in the channel,
        ERR_NOT_SUPPORTED on the Janus transport."""
        uid = check_user_id("send_intra_request", remote_uid)
        return self.connection._video._send_intra_request(uid)
