"""The original SDK's names that agora_rtc has in another shape, through the
porting layer (agora_rtc.compat) on the in-process network: the media node
factory and its senders on published tracks, the video modules, the external
audio processor, VadDump's original API, EncryptionConfigInner, log folders,
LocalUser.unregister_audio_frame_observer and int64 start_pts. Each is judged
by what a receiving observer (or the dump on disk) got."""
import ctypes
import importlib
import json
import os
import struct
import wave

import numpy as np
import pytest

import agora_rtc as ar
from agora_rtc import compat
from conftest import Recorder, barrier, received_pts, tone, wait_until

ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "assets")


def speech_16k():
    with wave.open(os.path.join(ASSETS, "caller_question.wav")) as w:
        assert (w.getframerate(), w.getnchannels()) == (16000, 1)
        return w.readframes(w.getnframes())


@pytest.fixture
def orig():
    """The original's module namespaces (agora.rtc.*) while the hook is installed."""
    compat.install()
    try:
        yield lambda name: importlib.import_module("agora.rtc." + name)
    finally:
        compat.uninstall()


@pytest.fixture
def osvc(orig, tmp_path):
    cfg = orig("agora_service").AgoraServiceConfig()
    cfg.appid = "compat"
    cfg.log_path = str(tmp_path / "not" / "yet" / "there" / "agorasdk.log")
    svc = orig("agora_service").AgoraService()
    assert svc.initialize(cfg) == 0
    yield svc
    svc.release()


class VideoRecorder(Recorder, ar.IVideoFrameObserver, ar.IVideoEncodedFrameObserver):
    def __init__(self):
        super().__init__()
        self.video, self.encoded = [], []

    def on_frame(self, channel_id, remote_uid, frame):
        with self.cond:
            self.video.append((remote_uid, frame))
            self.cond.notify_all()

    def on_encoded_video_frame(self, uid, image_buffer, length, info):
        with self.cond:
            self.encoded.append((bytes(image_buffer), info))
            self.cond.notify_all()


def connect(svc, channel, uid, rec):
    conn = svc.create_rtc_connection(ar.RTCConnConfig())
    conn.register_observer(rec)
    conn.register_local_user_observer(rec)
    conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 16000)
    conn.register_audio_frame_observer(rec)
    assert conn.connect("", channel, uid) == 0
    rec.wait_event("connected")
    return conn


def test_log_path_in_a_missing_folder_is_created(osvc, tmp_path):
    log = tmp_path / "not" / "yet" / "there" / "agorasdk.log"
    assert log.is_file()
    nested = tmp_path / "second" / "level" / "sdk.log"
    assert osvc.set_log_file(str(nested)) == 0
    assert nested.is_file()


def test_pcm_sender_through_factory_and_published_track(orig, osvc):
    mnf = orig("media_node_factory")
    factory = osvc.create_media_node_factory()
    sender = factory.create_audio_pcm_data_sender()
    assert isinstance(sender, orig("audio_pcm_data_sender").AudioPcmDataSender)
    frame = orig("audio_pcm_data_sender").PcmAudioFrame()
    pcm = tone(0.3, amp=6000)
    frame.data = bytearray(pcm.tobytes())
    frame.samples_per_channel, frame.bytes_per_sample = len(pcm), 2
    frame.number_of_channels, frame.sample_rate = 1, 16000
    packed = 0x4003_0201_0000_0000                      # > 2**62: ids packed into the pts
    frame.present_time_ms = packed
    with pytest.raises(ar.InvalidStateError, match="publish_audio"):
        sender.send_audio_pcm_data(frame)             # its track is not published yet
    track = osvc.create_custom_audio_track_pcm(sender)

    a_rec, b_rec = Recorder(), Recorder()
    a = connect(osvc, "mnf", "a", a_rec)
    b = connect(osvc, "mnf", "b", b_rec)
    assert a.get_local_user().publish_audio(track) == 0
    assert sender.send_audio_pcm_data(frame) == 0
    b_rec.wait_samples("a", pcm.nbytes)
    barrier(a, b_rec)
    pts = received_pts(b_rec, "a")
    first = pts.index(packed)                                # the packed value, then +10 ms steps
    assert pts[first:first + 30] == [packed + 10 * i for i in range(30)]
    with b_rec.cond:
        got = b"".join(bytes(f.buffer) for f in b_rec.frames["a"][first:first + 30])
    assert got == pcm.tobytes()                              # every pushed sample arrived
    # the track belongs to a's connection: b's local user cannot publish it
    with pytest.raises(ValueError, match="another connection"):
        b.get_local_user().publish_audio(track)
    sender.release()
    with pytest.raises(ar.ReleasedError):
        sender.send_audio_pcm_data(frame)
    assert factory.release() == 0
    assert mnf.MediaNodeFactory is type(factory)


def test_video_senders_map_onto_push_video(orig, osvc):
    factory = orig("media_node_factory").MediaNodeFactory()
    raw_sender = factory.create_video_frame_sender()
    assert isinstance(raw_sender, orig("video_frame_sender").VideoFrameSender)
    a_rec, b_rec = VideoRecorder(), VideoRecorder()
    a = connect(osvc, "vid", "a", a_rec)
    b = connect(osvc, "vid", "b", b_rec)
    b.register_video_frame_observer(b_rec)
    assert b.get_local_user().subscribe_video("a") == 0
    assert a.get_local_user().publish_video(osvc.create_custom_video_track_frame(raw_sender)) == 0
    w, h = 64, 48
    i420 = np.random.default_rng(3).integers(0, 256, w * h * 3 // 2, np.uint8)
    vf = orig("video_frame_sender").ExternalVideoFrame()
    vf.buffer, vf.type, vf.format, vf.stride, vf.height = bytearray(i420.tobytes()), 1, 1, w, h
    vf.metadata = bytearray(b"hello metadata")
    assert raw_sender.send_video_frame(vf) == 0
    b_rec.wait_for(lambda: b_rec.video)
    uid, got = b_rec.video[0]
    assert uid == "a" and bytes(got.y_buffer) == i420[:w * h].tobytes()
    assert bytes(got.metadata) == b"hello metadata"

    # encoded: the original passed a raw address and a size (PyAV's packet.buffer_ptr)
    enc_sender = factory.create_video_encoded_image_sender()
    c_rec = VideoRecorder()
    c = connect(osvc, "vid2", "c", c_rec)
    d_rec = VideoRecorder()
    d = connect(osvc, "vid2", "d", d_rec)
    d.register_video_encoded_frame_observer(d_rec)
    assert d.get_local_user().subscribe_video("c", ar.VideoSubscriptionOptions(encodedFrameOnly=True)) == 0
    track = osvc.create_custom_video_track_encoded(enc_sender, ar.SenderOptions())
    assert c.get_local_user().publish_video(track) == 0
    payload = bytes(range(256)) * 3
    buf = ctypes.create_string_buffer(payload, len(payload))
    info = ar.EncodedVideoFrameInfo(codec_type=2, width=w, height=h, frame_type=3)
    assert enc_sender.send_encoded_video_image(ctypes.addressof(buf), len(payload), info) == 0
    assert enc_sender.send_encoded_video_image_withbytes(payload[:100], info) == 0
    d_rec.wait_for(lambda: len(d_rec.encoded) == 2)
    assert [e[0] for e in d_rec.encoded] == [payload, payload[:100]]
    assert d_rec.encoded[0][1].codec_type == 2
    with pytest.raises(ValueError, match="null address"):
        enc_sender.send_encoded_video_image(0, 10, info)
    # a sender feeds one connection
    with pytest.raises(ValueError, match="another connection"):
        a.get_local_user().publish_video(osvc.create_custom_video_track_encoded(enc_sender))


def test_video_modules_serve_agora_rtc_video_names(orig):
    assert orig("video_frame_observer").IVideoFrameObserver is ar.IVideoFrameObserver
    assert orig("video_encoded_frame_observer").IVideoEncodedFrameObserver is ar.IVideoEncodedFrameObserver
    assert orig("local_video_track").LocalVideoTrack is ar.LocalVideoTrack
    assert orig("remote_video_track").RemoteVideoTrack is ar.RemoteVideoTrack
    assert orig("video_encoded_image_sender").EncodedVideoFrameInfo is ar.EncodedVideoFrameInfo


def test_publish_audio_refuses_what_is_not_a_track(osvc):
    rec = Recorder()
    conn = connect(osvc, "bad", "a", rec)
    with pytest.raises(TypeError, match="LocalAudioTrack"):
        conn.get_local_user().publish_audio("track")
    with pytest.raises(TypeError, match="AudioPcmDataSender"):
        osvc.create_custom_audio_track_pcm(object())


def test_external_audio_processor_segments_speech(orig, osvc):
    eap = orig("external_audio_processor")

    class Sink(eap.IAudioSinkObserver):
        def __init__(self):
            self.frames = []

        def on_processed_audio_frame(self, processor, frame, vad_result_state, vad_result_data):
            self.frames.append((len(frame), frame.rms, frame.voice_prob, frame.presentation_ms,
                                vad_result_state, bytes(vad_result_data)))

    sink = Sink()
    proc = eap.ExternalAudioProcessor(osvc)
    apm = ar.APMConfig(agc_config=ar.AgcConfig(enabled=False))
    assert proc.initialize(apm, 16000, 1, ar.AudioVadConfigV2(), sink) == 0
    speech = np.concatenate([np.zeros(16000, np.int16), np.frombuffer(speech_16k(), np.int16),
                             np.zeros(16000, np.int16)]).tobytes()
    for i in range(0, len(speech), 3333 * 2):               # chunks that are not whole frames
        assert proc.push_audio_pcm_data(speech[i:i + 3333 * 2], 16000, 1, start_pts=1000) == 0
    assert len(sink.frames) == len(speech) // 320            # every whole 10 ms frame, once
    assert all(f[0] == 320 for f in sink.frames)
    assert [f[3] for f in sink.frames[:3]] == [1000, 1010, 1020]
    states = [f[4] for f in sink.frames]
    assert 1 in states and 3 in states and states.index(1) < states.index(3)
    assert sum(len(f[5]) for f in sink.frames) > 16000       # the speech segment's bytes
    assert max(f[1] for f in sink.frames) > 0 and max(f[2] for f in sink.frames) > 0
    with pytest.raises(ar.NotSupportedError, match="does not resample"):
        proc.push_audio_pcm_data(speech[:960], 48000, 1)
    proc.release()
    with pytest.raises(ar.ReleasedError):
        proc.push_audio_pcm_data(speech[:320], 16000, 1)


def test_vad_dump_original_api(orig, tmp_path):
    VadDump = orig("utils.vad_dump").VadDump
    dump = VadDump(str(tmp_path / "dump"))
    vad = ar.AudioVadV2(ar.AudioVadConfigV2())
    pcm = np.concatenate([np.zeros(8000, np.int16), np.frombuffer(speech_16k(), np.int16),
                          np.zeros(16000, np.int16)]).tobytes()
    frame0 = ar.AudioFrame.from_pcm(pcm[:320])
    dump.write(frame0, bytearray(), 0)                      # before open(): nothing written
    assert dump.open() == 0 and dump.open() == 1
    segment = bytearray()
    for i in range(0, len(pcm) - 319, 320):
        frame = ar.AudioFrame.from_pcm(pcm[i:i + 320])
        state, out = vad.process(frame)
        if state in (1, 2, 3):
            segment += out
        dump.write(frame, out, state)
    dump.close()
    folder = dump.path
    assert os.path.dirname(folder) == str(tmp_path / "dump") and len(os.path.basename(folder)) == 14
    with open(os.path.join(folder, "source_stream.pcm"), "rb") as f:
        assert f.read() == pcm[:len(pcm) // 320 * 320]
    utterances = sorted(n for n in os.listdir(folder) if n.startswith("vad_stream_"))
    assert utterances
    joined = b"".join(open(os.path.join(folder, n), "rb").read() for n in utterances)
    assert joined == bytes(segment) and len(joined) > 16000


def test_encryption_config_inner_round_trip(orig):
    base = orig("agora_base")
    cfg = base.EncryptionConfig(encryption_mode=7, encryption_key="k3y", encryption_kdf_salt=bytes(range(40)),
                                datastream_encryption_enabled=True)
    inner = base.EncryptionConfigInner.create(cfg)
    assert list(inner.encryption_kdf_salt) == list(range(32))  # the first 32 bytes
    back = inner.get()
    assert (back.encryption_mode, back.encryption_key, back.datastream_encryption_enabled) == (7, "k3y", True)
    empty = base.EncryptionConfigInner.create(base.EncryptionConfig(encryption_key="k"))
    assert bytes(empty.encryption_kdf_salt) == bytes(32)


def test_local_user_unregister_audio_frame_observer(osvc):
    a_rec, b_rec = Recorder(), Recorder()
    a = connect(osvc, "unreg", "a", a_rec)
    b = connect(osvc, "unreg", "b", b_rec)
    assert a.publish_audio() == 0
    assert a.push_audio_pcm_data(tone(0.1), 16000, 1) == 0
    b_rec.wait_samples("a", 3200)
    assert b.get_local_user().unregister_audio_frame_observer() == 0
    barrier(a, b_rec)
    before = len(b_rec.frames["a"])
    assert a.push_audio_pcm_data(tone(0.2), 16000, 1) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completed")
    barrier(a, b_rec)
    assert len(b_rec.frames["a"]) == before


def test_start_pts_accepts_all_of_int64(osvc):
    a_rec, b_rec = Recorder(), Recorder()
    a = connect(osvc, "pts", "a", a_rec)
    connect(osvc, "pts", "b", b_rec)
    assert a.publish_audio() == 0
    near_top = 2 ** 63 - 15                       # the third frame's offset passes the int64 top
    assert a.push_audio_pcm_data(tone(0.03), 16000, 1, start_pts=near_top) == 0
    wait_until(a.is_push_to_rtc_completed, what="push completed")
    for pts in (-(2 ** 63), struct.unpack("<q", struct.pack("<Q", 0x8000_0000_0000_0001))[0]):
        assert a.push_audio_pcm_data(tone(0.01), 16000, 1, start_pts=pts) == 0
    b_rec.wait_for(lambda: len(received_pts(b_rec, "a")) >= 5)
    got = received_pts(b_rec, "a")
    first = got.index(near_top)
    assert got[first:first + 3] == [near_top, near_top + 10, near_top + 20 - 2 ** 64]  # wraps modulo 2**64
    with pytest.raises(ValueError, match="int64"):
        a.push_audio_pcm_data(tone(0.01), 16000, 1, start_pts=2 ** 63)


def test_video_encoder_configuration_and_simulcast(orig, osvc):
    """The original's classes are taken; the low simulcast stream is refused with
    the original's error code (one video stream per publisher)."""
    base = orig("agora_base")
    conn = connect(osvc, "enc", "a", Recorder())
    cfg = base.VideoEncoderConfiguration(frame_rate=30, codec_type=base.VideoCodecType.VIDEO_CODEC_H264,
                                         dimensions=base.VideoDimensions(width=416, height=240),
                                         bitrate=1000, min_bitrate=333, encode_alpha=0)
    assert conn.set_video_encoder_configuration(cfg) == 0
    low = base.SimulcastStreamConfig(dimensions=base.VideoDimensions(width=384, height=216), bitrate=360,
                                     framerate=10)
    assert conn.set_simulcast_stream(True, low) == -4   # ERR_NOT_SUPPORTED


def test_enable_encryption_off_is_a_no_op_and_on_names_why(orig, osvc):
    conn = connect(osvc, "enc2", "a", Recorder())
    cfg = orig("agora_base").EncryptionConfig(encryption_mode=7, encryption_key="k")
    assert conn.enable_encryption(0, cfg) == 0
    with pytest.raises(ar.NotSupportedError, match="srtp=80"):
        conn.enable_encryption(1, cfg)
    with pytest.raises(TypeError, match="EncryptionConfig"):
        conn.enable_encryption(1, None)


def test_audio_consumer_on_a_pcm_sender(orig, osvc):
    AudioConsumer = orig("utils.audio_consumer").AudioConsumer
    sender = osvc.create_media_node_factory().create_audio_pcm_data_sender()
    consumer = AudioConsumer(pcm_sender=sender, sample_rate=16000, channels=1)   # before publishing
    with pytest.raises(ar.InvalidStateError, match="publish_audio"):
        consumer.push_pcm_data(tone(0.01).tobytes())
    a_rec, b_rec = Recorder(), Recorder()
    a = connect(osvc, "cons", "a", a_rec)
    connect(osvc, "cons", "b", b_rec)
    assert a.get_local_user().publish_audio(osvc.create_custom_audio_track_pcm(sender)) == 0
    pcm = tone(0.2, amp=5000)
    assert consumer.push_pcm_data(pcm.tobytes()) == 0
    wait_until(consumer.is_push_to_rtc_completed, what="consumer completed")
    assert consumer.consume() >= 20                       # the 20 frames pushed were sent
    b_rec.wait_samples("a", pcm.nbytes)
    with pytest.raises(TypeError, match="AudioPcmDataSender"):
        AudioConsumer(pcm_sender=object(), sample_rate=16000, channels=1)
    assert isinstance(AudioConsumer(a, 16000, 1), ar.AudioConsumer)  # a connection works too


def test_audio_consumer_without_a_sender_holds_what_is_pushed(orig):
    """The original's example_api_test makes AudioConsumer(pcm_sender=None, ...) and pushes a
    file into it without ever consuming: held, counted, bounded; consume() names why it cannot."""
    AudioConsumer = orig("utils.audio_consumer").AudioConsumer
    consumer = AudioConsumer(pcm_sender=None, sample_rate=16000, channels=1)
    pcm = tone(0.5).tobytes()
    assert consumer.push_pcm_data(pcm) == 0 and consumer.push_pcm_data(bytearray(pcm)) == 0
    assert consumer.len() == len(consumer) == 2 * len(pcm)
    assert not consumer.is_push_to_rtc_completed()
    with pytest.raises(ar.InvalidStateError, match="pcm_sender=None"):
        consumer.consume()
    with pytest.raises(ValueError, match="whole number"):
        consumer.push_pcm_data(b"\x00\x01\x02")
    with pytest.raises(TypeError, match="bytes-like"):
        consumer.push_pcm_data("not pcm")
    with pytest.raises(ValueError, match="at most 60 s"):
        consumer.push_pcm_data(bytes(16000 * 2 * 60))
    assert consumer.len() == 2 * len(pcm)                 # the refused push left nothing behind
    consumer.clear()
    assert consumer.len() == 0 and consumer.is_push_to_rtc_completed()
    consumer.release()
    assert consumer.consume() == -1
    with pytest.raises(ar.ReleasedError):
        consumer.push_pcm_data(pcm)


def test_apm_config_serializes_like_the_original(orig):
    base = orig("agora_base")
    cfg = base.APMConfig(ai_ns_config=base.AiNsConfig(ns_enabled=False, ai_ns_model_pref=3),
                         agc_config=base.AgcConfig(enabled=True))
    text = cfg._to_json_string()
    assert " " not in text                                # compact, as the original's
    doc = json.loads(text)
    assert doc["ans"] == {"enabled": False} and doc["agc"] == {"enabled": True}
    assert doc["sf_st_cfg"] == {"enabled": True, "ainsModelPref": 3}
    assert doc["aec"]["split_srate_for_48k"] == 16000 and doc["bghvs"]["frmSz"] == 160


def test_mixed_playback_format_is_refused_with_a_warning_and_the_code_goes_on(osvc, caplog):
    conn = connect(osvc, "mix", "a", Recorder())
    lu = conn.get_local_user()
    with caplog.at_level("WARNING", logger="agora_rtc"):
        assert lu.set_playback_audio_frame_parameters(1, 16000, 1, 320) == -4   # ERR_NOT_SUPPORTED
    assert "no mixed playback audio" in caplog.text
    with pytest.raises(ValueError, match="sample_rate"):
        lu.set_playback_audio_frame_parameters(1, 12345, 0, 320)
