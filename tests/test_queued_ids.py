"""dispatch="queued": the channel and user ids reach the observer right when the
queue keeps them as str per user (a small cache, not a decode per frame), also
with more users than the cache holds and with ids that share prefixes or reach
the 64-byte limit."""
import pytest

import agora_rtc as ar
from conftest import Recorder, join, tone


class ChannelRecorder(Recorder):
    """A Recorder that also keeps the channel id and the uid object of every frame."""

    def __init__(self):
        super().__init__()
        self.channels = set()
        self.uid_objects = {}

    def on_playback_audio_frame_before_mixing(self, lu, channel_id, uid, frame, state, vad_bytes):
        with self.cond:
            self.channels.add(channel_id)
            self.uid_objects.setdefault(uid, set()).add(id(uid))
        super().on_playback_audio_frame_before_mixing(lu, channel_id, uid, frame, state, vad_bytes)


def queued_listener(service, channel):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    rec = ChannelRecorder()
    conn.register_observer(rec)
    conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 16000)
    assert conn.register_audio_frame_observer(rec, dispatch="queued") == 0
    assert conn.connect("", channel, "listener") == 0
    rec.wait_event("connected")
    return conn, rec


# more users than the queue's 64 id places: some share places and are evicted in turns
UIDS = ["u1", "u10", "u11", "u1x", "u2", "u 1", "x" * 64, "x" * 63 + "y", "caller+4930123"] + \
    [f"m{i}" for i in range(71)]


def test_every_frame_carries_its_own_users_id_with_more_users_than_cached_ids(service):
    conn, rec = queued_listener(service, "ids-ch")
    sent = {}
    senders = [join(service, "ids-ch", uid, record=False) for uid in UIDS]
    for i, (uid, (sender, _)) in enumerate(zip(UIDS, senders)):
        sent[uid] = tone(0.5, freq=200.0 + 7 * i, seed=100 + i)
        assert sender.push_audio_pcm_data(sent[uid], 16000, 1) == 0
    for uid, x in sent.items():
        rec.wait_samples(uid, x.nbytes, timeout=60)
        # a frame labelled with the wrong id would put another user's samples here
        assert rec.pcm(uid)[:x.nbytes] == x.tobytes(), uid
    assert set(rec.frames) == set(UIDS)
    assert rec.channels == {"ids-ch"}
    assert conn.get_audio_queue_stats()["dropped"] == 0


@pytest.mark.parametrize("users", [1, 3])
def test_a_users_id_is_made_once_not_per_frame(service, users):
    conn, rec = queued_listener(service, "ids-once")
    uids = [f"caller{i}" for i in range(users)]
    xs = []
    for i, uid in enumerate(uids):
        sender, _ = join(service, "ids-once", uid, record=False)
        xs.append(tone(0.5, seed=7 + i))
        assert sender.push_audio_pcm_data(xs[-1], 16000, 1) == 0
    for uid, x in zip(uids, xs):
        rec.wait_samples(uid, x.nbytes, timeout=60)
        assert rec.pcm(uid)[:x.nbytes] == x.tobytes()
        assert len(rec.frames[uid]) >= 50
        assert len(rec.uid_objects[uid]) == 1      # the same str object for all its frames
