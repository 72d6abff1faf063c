"""LocalUser: the local participant of a connection (role, subscriptions,
the format of received frames). Obtained with RTCConnection.get_local_user()."""
from __future__ import annotations

import logging
import weakref

from agora_rtc.base.checks import check_choice, check_int, check_user_id
from agora_rtc.base.enums import ClientRoleType
from agora_rtc.base.sample_rates import PLAYBACK_SAMPLE_RATES
from agora_rtc.errors import ERR_NOT_SUPPORTED

#: Longest volume-indication interval (ms) the engine accepts.
MAX_VOLUME_INDICATION_INTERVAL_MS = 60000

# Observer frames are exactly 10 ms: 22050 Hz (220.5 samples) cannot be a playback format.
_RATES = PLAYBACK_SAMPLE_RATES
_log = logging.getLogger("agora_rtc")


class _LocalTrack:
    """One of the connection's outgoing tracks; holds the connection weakly."""

    def __init__(self, connection):
        self._conn = weakref.ref(connection)

    @property
    def connection(self):
        return self._conn()

    def __repr__(self):
        return f"{type(self).__name__}(connection={self._conn()!r})"


    def _published_on(self, connection) -> None:
        """Called when a local user publishes this track: a track belongs to
        one connection."""
        if self._conn() is not connection:
            raise ValueError(f"{type(self).__name__} belongs to another connection "
                             f"({self._conn()!r}); publish it with that connection's local user")


def _attach(track, kind, what: str, connection) -> None:
    if track is None:
        return
    if not isinstance(track, kind):
        raise TypeError(f"LocalUser.{what}: track must be a {kind.__name__} or None, "
                        f"got {type(track).__name__}")
    track._published_on(connection)


class LocalAudioTrack(_LocalTrack):
    """The connection's outgoing audio track (PCM pushed with push_audio_pcm_data)."""


class LocalVideoTrack(_LocalTrack):
    """The connection's outgoing video track (frames pushed with push_video_frame
    or push_video_encoded_data)."""


class _RemoteTrack:
    """A remote user's track as this connection receives it: identified by the user id
    (equal tracks of the same kind compare equal and hash alike)."""

    def __init__(self, user_id: str):
        self.user_id = user_id

    def __repr__(self):
        return f"{type(self).__name__}(user_id={self.user_id!r})"

    def __eq__(self, other):
        return type(other) is type(self) and other.user_id == self.user_id

    def __hash__(self):
        return hash((type(self).__name__, self.user_id))


class RemoteAudioTrack(_RemoteTrack):
    """A remote user's audio as heard by this connection."""


class RemoteVideoTrack(_RemoteTrack):
    """A remote user's video as received by this connection."""


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
        _attach(track, LocalAudioTrack, "publish_audio", self.connection)
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

    def unregister_audio_frame_observer(self) -> int:
        """Same as ``RTCConnection.unregister_audio_frame_observer`` (the
        original's examples call it on the local user)."""
        return self.connection.unregister_audio_frame_observer()

    def set_playback_audio_frame_before_mixing_parameters(self, channels, sample_rate) -> int:
        """Format of the frames given to on_playback_audio_frame_before_mixing
        (converted natively from whatever the sender sent)."""
        check_choice("set_playback_audio_frame_before_mixing_parameters", "channels", channels, (1, 2))
        check_choice("set_playback_audio_frame_before_mixing_parameters", "sample_rate", sample_rate, _RATES)
        return self.connection._set_playback_format(int(channels), int(sample_rate))

    def set_playback_audio_frame_parameters(self, channels, sample_rate, mode=0, samples_per_call=0) -> int:
        """The original's format of the *mixed* playback audio
        (``on_playback_audio_frame``: every remote user mixed into one stream).
        agora_rtc delivers each remote user's frames separately
        (``on_playback_audio_frame_before_mixing``, format set by
        :meth:`set_playback_audio_frame_before_mixing_parameters`) and makes no
        mix, so this checks its arguments, logs a warning and returns
        ERR_NOT_SUPPORTED (-4); ported code goes on, and its mixed-audio callback
        is never called."""
        name = "set_playback_audio_frame_parameters"
        check_choice(name, "channels", channels, (1, 2))
        check_choice(name, "sample_rate", sample_rate, _RATES)
        check_int(name, "mode", mode)
        check_int(name, "samples_per_call", samples_per_call)
        _log.warning("%s: agora_rtc makes no mixed playback audio (on_playback_audio_frame is never called); "
                     "each remote user's frames go to on_playback_audio_frame_before_mixing", name)
        return ERR_NOT_SUPPORTED

    def set_audio_volume_indication_parameters(self, interval_ms, smooth=3, report_vad=False) -> int:
        """Report the remote users' volumes every ``interval_ms``.

        ``IRTCLocalUserObserver.on_audio_volume_indication(local_user, speakers,
        speaker_number, total_volume)`` is then called once per interval (also
        when nobody was heard: an empty list), and ``on_active_speaker(local_user,
        user_id)`` each time the most active remote speaker changes. Everything
        is computed natively from the labels of each received 10 ms frame; while
        it is on, received audio is analysed even without an audio-frame observer.

        Parameters
        ----------
        interval_ms : int
            <= 0 turns the indication off. Otherwise a multiple of 10 ms (the
            frame length), at most 60000; Agora recommends >= 200.
        smooth : int
            0..10 (default 3, Agora's recommendation). Each frame's volume is
            smoothed with ``s += (smooth + 1) / 11 * (v - s)``: 10 follows every
            frame (most sensitive), 0 is the slowest.
        report_vad : bool or int
            Fill :attr:`AudioVolumeInfo.vad`: 1 when at least 30 % of the user's
            frames in the interval were voiced (voice_prob >= 50 and level >=
            -50 dBFS). Off: vad is always 0.

        Notes
        -----
        ``speakers`` lists every remote user heard in the interval, loudest
        first, as :class:`AudioVolumeInfo`: ``volume`` 0..255 is the peak of the
        smoothed frame volume, where a frame's volume is 510 x its linear RMS
        (digital silence 0, -40 dBFS noise 5, speech near -20 dBFS about 51,
        -6 dBFS RMS or louder 255); ``voice_pitch`` is the mean pitch (Hz) of its
        voiced frames. ``total_volume`` is the volume of the mix, sqrt of the
        sum of the squared volumes (uncorrelated voices), at most 255. The
        active speaker is the user that was, most often in an interval, the
        loudest voiced user with a smoothed volume >= 8.

        Returns
        -------
        int
            0.
        """
        what = "set_audio_volume_indication_parameters"
        interval = check_int(what, "interval_ms", interval_ms)
        if interval > 0 and (interval % 10 or interval > MAX_VOLUME_INDICATION_INTERVAL_MS):
            raise ValueError(f"{what}: interval_ms must be <= 0 (off) or a multiple of 10 "
                             f"up to {MAX_VOLUME_INDICATION_INTERVAL_MS}, got {interval}")
        smooth = check_int(what, "smooth", smooth)
        if not 0 <= smooth <= 10:
            raise ValueError(f"{what}: smooth must be 0..10, got {smooth}")
        vad = check_choice(what, "report_vad", int(report_vad) if isinstance(report_vad, bool)
                           else report_vad, (0, 1))
        return self.connection._set_volume_indication(max(interval, 0), smooth, vad)

    # ---- video ----

    def get_local_video_track(self) -> LocalVideoTrack:
        return self._video_track

    def publish_video(self, track=None) -> int:
        _attach(track, LocalVideoTrack, "publish_video", self.connection)
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
        return self._video_subscribed(uid, True, self.connection._video._subscribe(uid, True, enc))

    def unsubscribe_video(self, user_id) -> int:
        uid = check_user_id("unsubscribe_video", user_id)
        return self._video_subscribed(uid, False, self.connection._video._subscribe(uid, False))

    def _video_subscribed(self, uid, subscribed, rc) -> int:
        """After the engine took the subscription: the Janus transport starts or
        stops forwarding that video (synchronously, so frames can follow)."""
        if rc == 0:
            self.connection._video_subscription_changed(
                None if uid is None else uid.decode("utf-8"), subscribed)
        return rc

    def subscribe_all_video(self, options=None) -> int:
        """Receive every remote user's video (raw, or encoded with encodedFrameOnly);
        replaces per-user subscriptions."""
        from agora_rtc._video_validation import subscription_encoded_only
        enc = subscription_encoded_only("subscribe_all_video", options)
        return self._video_subscribed(None, True, self.connection._video._subscribe(None, True, enc))

    def unsubscribe_all_video(self) -> int:
        return self._video_subscribed(None, False, self.connection._video._subscribe(None, False))

    def send_intra_request(self, remote_uid) -> int:
        """Ask ``remote_uid`` for a key frame. On the local network the user gets
        ``IRTCLocalUserObserver.on_intra_request_received(local_user)`` (it is up
        to the sender's code to push a key frame). On the Janus transport an
        RTCP PLI goes to Janus for that user's forwarded video (at most one per
        300 ms per stream; Janus itself asks a publisher at most once a second),
        and Janus asks the publisher for a keyframe: a browser encodes one, an
        agora_rtc agent gets on_intra_request_received. Returns 0,
        ERR_NOT_READY when not connected, ERR_INVALID_ARGUMENT when no such user
        is in the channel (Janus: no forwarded video of that user)."""
        uid = check_user_id("send_intra_request", remote_uid)
        return self.connection._video._send_intra_request(uid)
