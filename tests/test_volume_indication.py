"""Volume indication and active speaker (LocalUser.set_audio_volume_indication_parameters,
IRTCLocalUserObserver.on_audio_volume_indication / on_active_speaker), computed
natively from each received frame's labels, on the local network with real
speech (examples/assets) against digital silence and a quiet noise floor.

No timing assertion: a test waits for the reports it needs; "no more reports"
is shown with the media clock itself (the clock that posts reports also sends
audio, so once a known amount of audio has been delivered in order after a
barrier, every report it would have posted is there)."""
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, barrier, join

ASSETS = Path(__file__).resolve().parent.parent / "examples" / "assets"


def _speech(name="caller_question.wav"):
    with wave.open(str(ASSETS / name)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


class VolumeRecorder(Recorder):
    def __init__(self):
        super().__init__()
        self.reports = []
        self.active = []

    def on_audio_volume_indication(self, lu, speakers, speaker_number, total_volume):
        with self.cond:
            self.reports.append((list(speakers), speaker_number, total_volume))
            self.cond.notify_all()

    def on_active_speaker(self, lu, user_id):
        with self.cond:
            self.active.append(user_id)
            self.cond.notify_all()

    def volumes(self, uid):
        with self.cond:
            return [s for r in self.reports for s in r[0] if s.user_id == uid]


def _bot(service, channel, *, record=False, interval=100, smooth=3, report_vad=True):
    bot, rec = join(service, channel, "bot", record=record, publish=False,
                    recorder=VolumeRecorder())
    assert bot.get_local_user().set_audio_volume_indication_parameters(interval, smooth, report_vad) == 0
    return bot, rec


def test_speech_is_loud_and_voiced_silence_is_zero(service):
    """Without any audio-frame observer: the speaking user gets high volumes and
    vad=1, the silent one volume 0 and vad=0; lists are sorted, consistent with
    speaker_number, and total_volume is the power sum; the speaker is the active one."""
    bot, rec = _bot(service, "vol-1")
    talker, _ = join(service, "vol-1", "talker", record=False)
    mute, _ = join(service, "vol-1", "mute", record=False)
    speech = _speech()
    assert talker.push_audio_pcm_data(speech, 16000, 1) == 0
    assert mute.push_audio_pcm_data(np.zeros_like(speech), 16000, 1) == 0
    assert talker.wait_push_completed(30) and mute.wait_push_completed(30)
    barrier(talker, rec)
    # the reports covering the last audio are posted by the clock within one interval
    rec.wait_for(lambda: len(rec.volumes("talker")) >= 20, timeout=10)

    talk, quiet = rec.volumes("talker"), rec.volumes("mute")
    assert max(s.volume for s in talk) >= 20
    assert quiet and all(s.volume == 0 and s.vad == 0 for s in quiet)
    assert any(s.vad == 1 for s in talk)
    assert any(80 <= s.voice_pitch <= 400 for s in talk if s.vad)
    with rec.cond:
        reports = list(rec.reports)
    for speakers, n, total in reports:
        assert n == len(speakers)
        vols = [s.volume for s in speakers]
        assert vols == sorted(vols, reverse=True)
        assert all(0 <= v <= 255 for v in vols)
        assert total == min(255, round(np.sqrt(sum(v * v for v in vols))))
        assert all(isinstance(s, ar.AudioVolumeInfo) for s in speakers)
    with rec.cond:
        assert rec.active and set(rec.active) == {"talker"}
        assert rec.active.count("talker") == 1  # reported once per change
    for c in (bot, talker, mute):
        c.release()


def test_active_speaker_follows_who_talks(service):
    """Two talkers one after the other: the active speaker changes to each."""
    bot, rec = _bot(service, "vol-2", interval=200)
    a, _ = join(service, "vol-2", "alice", record=False)
    b, _ = join(service, "vol-2", "bob", record=False)
    speech = _speech()
    silence = np.zeros_like(speech)
    a.push_audio_pcm_data(speech, 16000, 1)
    b.push_audio_pcm_data(silence, 16000, 1)
    rec.wait_for(lambda: "alice" in rec.active, timeout=15)
    a.wait_push_completed(30)
    b.wait_push_completed(30)
    a.push_audio_pcm_data(silence, 16000, 1)
    b.push_audio_pcm_data(_speech("caller_barge_in.wav"), 16000, 1)
    rec.wait_for(lambda: rec.active[-1:] == ["bob"], timeout=15)
    assert rec.active[0] == "alice"
    for c in (bot, a, b):
        c.release()


def test_report_vad_off_and_noise_floor(service):
    """report_vad=0 never sets vad; a -60 dBFS noise floor reads as volume <= 1
    and never makes an active speaker."""
    bot, rec = _bot(service, "vol-3", report_vad=False, smooth=10)
    talker, _ = join(service, "vol-3", "talker", record=False)
    noisy, _ = join(service, "vol-3", "noisy", record=False)
    speech = _speech()
    noise = np.random.default_rng(1).normal(0, 32768 * 10 ** (-60 / 20), speech.size)
    talker.push_audio_pcm_data(speech, 16000, 1)
    noisy.push_audio_pcm_data(noise.astype(np.int16), 16000, 1)
    talker.wait_push_completed(30)
    noisy.wait_push_completed(30)
    barrier(talker, rec)
    rec.wait_for(lambda: len(rec.volumes("noisy")) >= 20, timeout=10)
    assert all(s.vad == 0 for s in rec.volumes("talker") + rec.volumes("noisy"))
    assert max(s.volume for s in rec.volumes("talker")) >= 20
    assert all(s.volume <= 1 for s in rec.volumes("noisy"))
    assert "noisy" not in rec.active
    for c in (bot, talker, noisy):
        c.release()


def test_off_stops_reports_and_empty_reports_when_nobody_talks(service):
    bot, rec = _bot(service, "vol-4", record=True)
    rec.wait_for(lambda: len(rec.reports) >= 2)
    with rec.cond:
        assert all(r == ([], 0, 0) for r in rec.reports)  # nobody heard: empty lists
    talker, _ = join(service, "vol-4", "talker", record=False)
    assert bot.get_local_user().set_audio_volume_indication_parameters(0, 3, True) == 0
    barrier(talker, rec)  # a report posted before the call is delivered by now
    with rec.cond:
        before = len(rec.reports)
    talker.push_audio_pcm_data(_speech(), 16000, 1)
    talker.wait_push_completed(30)
    barrier(talker, rec)
    rec.wait_samples("talker", _speech().size * 2)  # ~4 s of clock ticks have run since
    with rec.cond:
        assert len(rec.reports) == before
    for c in (bot, talker):
        c.release()


def test_observer_frames_unaffected(service):
    """Volume indication alongside a VAD audio observer: frames keep coming,
    with their VAD states, exactly as without it."""
    bot, rec = join(service, "vol-5", "bot", publish=False, recorder=VolumeRecorder(),
                    vad=ar.AudioVadConfigV2())
    bot.get_local_user().set_audio_volume_indication_parameters(50, 3, True)
    talker, _ = join(service, "vol-5", "talker", record=False)
    speech = _speech()
    talker.push_audio_pcm_data(speech, 16000, 1)
    rec.wait_samples("talker", speech.size * 2, timeout=15)
    assert rec.pcm("talker")[:speech.size * 2] == speech.tobytes()
    assert any(s in (1, 2) for s, _ in rec.vad["talker"])
    assert any(s.vad for s in rec.volumes("talker"))
    for c in (bot, talker):
        c.release()


@pytest.mark.parametrize("args, exc, match", [
    ((15, 3, True), ValueError, "multiple of 10"),
    ((60010, 3, True), ValueError, "multiple of 10"),
    ((200, 11, True), ValueError, "smooth must be 0..10"),
    ((200, -1, True), ValueError, "smooth must be 0..10"),
    ((200, 3, 2), ValueError, "report_vad"),
    (("200", 3, True), TypeError, "interval_ms must be an int"),
    ((200, 3.0, True), TypeError, "smooth must be an int"),
    ((200, 3, None), TypeError, "report_vad must be an int"),
])
def test_bad_parameters(service, args, exc, match):
    conn = service.create_rtc_connection(ar.RTCConnConfig())
    with pytest.raises(exc, match=match):
        conn.get_local_user().set_audio_volume_indication_parameters(*args)
    assert conn.get_local_user().set_audio_volume_indication_parameters(-5, 0, False) == 0
    assert conn.get_local_user().set_audio_volume_indication_parameters(60000, 10, 1) == 0
    conn.release()
    with pytest.raises(ar.ReleasedError if hasattr(ar, "ReleasedError") else Exception):
        conn.get_local_user().set_audio_volume_indication_parameters(100, 3, True)


def test_concurrent_configuration_is_safe(service):
    """Reconfiguring from several threads while audio flows never crashes."""
    bot, rec = _bot(service, "vol-6", interval=10, smooth=10)
    talker, _ = join(service, "vol-6", "talker", record=False)
    talker.push_audio_pcm_data(_speech(), 16000, 1)
    lu = bot.get_local_user()

    def churn(seed):
        rng = np.random.default_rng(seed)
        for _ in range(300):
            lu.set_audio_volume_indication_parameters(int(rng.integers(0, 5)) * 10,
                                                      int(rng.integers(0, 11)), int(rng.integers(0, 2)))
    threads = [threading.Thread(target=churn, args=(i,), daemon=True) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lu.set_audio_volume_indication_parameters(10, 10, 1)
    rec.wait_for(lambda: len(rec.reports) >= 3, timeout=10)
    for c in (bot, talker):
        c.release()


janus_mod = pytest.importorskip("agora_rtc.janus")


@pytest.mark.skipif(not janus_mod.janus_available(), reason=janus_mod.JANUS_MISSING_REASON)
def test_volume_indication_through_janus():
    """Over a real Janus, with no audio-frame observer: the RTP playout decodes
    for the volume meter alone, and the speaker is reported and active."""
    with janus_mod.JanusServer() as srv:
        url = f"{srv.transport_url}?admin_key={srv.admin_key}"
        with ar.AgoraService(ar.AgoraServiceConfig(appid="t", transport_url=url)) as svc:
            bot = svc.create_rtc_connection(ar.RTCConnConfig())
            rec = VolumeRecorder()
            bot.register_observer(rec)
            bot.register_local_user_observer(rec)
            bot.get_local_user().set_audio_volume_indication_parameters(200, 3, True)
            assert bot.connect("", "janus-vol", "bot") == 0
            rec.wait_event("connected", timeout=20)
            talker = svc.create_rtc_connection(ar.RTCConnConfig())
            trec = Recorder()
            talker.register_observer(trec)
            assert talker.connect("", "janus-vol", "talker") == 0
            trec.wait_event("connected", timeout=20)
            talker.publish_audio()
            rec.wait_event("joined", "talker", timeout=20)
            talker.push_audio_pcm_data(_speech(), 16000, 1)
            rec.wait_for(lambda: "talker" in rec.active, timeout=20)
            assert max(s.volume for s in rec.volumes("talker")) >= 20
            assert any(s.vad for s in rec.volumes("talker"))
            for c in (bot, talker):
                c.release()
