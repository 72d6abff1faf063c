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


class LocalUser:
    """Local user of one RTCConnection (all methods return 0 or a negative code)."""

    def __init__(self, connection):
        self._conn = weakref.ref(connection)
        self._audio_track = LocalAudioTrack(connection)

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
