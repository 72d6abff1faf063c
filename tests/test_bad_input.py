"""Wrong arguments raise TypeError/ValueError naming what was expected; use
after release raises ReleasedError; nothing crashes the engine."""
import asyncio
import inspect

import numpy as np
import pytest

import agora_rtc as ar
from conftest import Recorder, join, tone, wait_until


@pytest.fixture
def conn(service):
    c, rec = join(service, "bad-input", "a")
    yield c
    c.release()


def _ok_push(conn):
    """The connection still works after a rejected call."""
    assert conn.push_audio_pcm_data(np.zeros(160, np.int16), 16000, 1) == 0
    wait_until(conn.is_push_to_rtc_completed, what="push completion")


# ---------------------------------------------------------------------------
# push_audio_pcm_data: data

BAD_DATA = [
    pytest.param("abcd", TypeError, r"push_audio_pcm_data: expected .*(bytes-like|int16)", id="str"),
    pytest.param([1, 2, 3, 4], TypeError, r"push_audio_pcm_data: expected .*(bytes-like|int16)", id="list"),
    pytest.param((1, 2), TypeError, r"push_audio_pcm_data: expected .*(bytes-like|int16)", id="tuple"),
    pytest.param(np.zeros(160, np.float32), TypeError, r"int16", id="float32-array"),
    pytest.param(np.zeros(160, np.float64), TypeError, r"int16", id="float64-array"),
    pytest.param(np.zeros(160, np.int32), TypeError, r"int16", id="int32-array"),
    pytest.param(np.zeros(160, np.uint16), TypeError, r"int16", id="uint16-array"),
    pytest.param(np.zeros(160, ">i2"), TypeError, r"int16", id="big-endian-int16"),
    pytest.param(np.zeros(160, bool), TypeError, r"int16", id="bool-array"),
    pytest.param(None, TypeError, r"push_audio_pcm_data: expected .*(bytes-like|int16)", id="None"),
    pytest.param(1600, TypeError, r"push_audio_pcm_data: expected .*(bytes-like|int16)", id="int"),
    pytest.param(1.5, TypeError, r"push_audio_pcm_data: expected .*(bytes-like|int16)", id="float"),
    pytest.param(object(), TypeError, r"push_audio_pcm_data: expected .*(bytes-like|int16)", id="object"),
]


@pytest.mark.parametrize("data,exc,match", BAD_DATA)
def test_push_bad_data_type(conn, data, exc, match):
    with pytest.raises(exc, match=match):
        conn.push_audio_pcm_data(data, 16000, 1)
    _ok_push(conn)


@pytest.mark.parametrize("nbytes,channels", [(1, 1), (3, 1), (321, 1), (2, 2), (6, 2), (642, 2)])
def test_push_partial_sample_frame(conn, nbytes, channels):
    with pytest.raises(ValueError, match="whole number"):
        conn.push_audio_pcm_data(bytes(nbytes), 16000, channels)
    assert conn.get_send_stats()["pushed_samples"] == 0
    _ok_push(conn)


@pytest.mark.parametrize("make", [
    pytest.param(lambda: np.zeros(640, np.int16)[::2], id="strided"),
    pytest.param(lambda: np.zeros((160, 2), np.int16, order="F"), id="fortran-2d"),
    pytest.param(lambda: np.zeros((2, 320), np.int16).T, id="transposed"),
])
def test_push_non_contiguous(conn, make):
    with pytest.raises((TypeError, ValueError), match="push_audio_pcm_data: expected a C-contiguous"):
        conn.push_audio_pcm_data(make(), 16000, 2 if make().ndim == 2 else 1)
    _ok_push(conn)


@pytest.mark.parametrize("make", [
    pytest.param(lambda: memoryview(bytes(640))[::2], id="memoryview-of-bytes"),
    pytest.param(lambda: memoryview(np.zeros(640, np.int16))[::2], id="memoryview-of-numpy"),
])
def test_push_non_contiguous_memoryview(conn, make):
    with pytest.raises((TypeError, ValueError), match="push_audio_pcm_data: expected a C-contiguous"):
        conn.push_audio_pcm_data(make(), 16000, 1)
    _ok_push(conn)


def test_push_array_module_int16_accepted(conn):
    import array
    assert conn.push_audio_pcm_data(array.array("h", [0] * 160), 16000, 1) == 0
    with pytest.raises(TypeError, match="int16"):
        conn.push_audio_pcm_data(array.array("f", [0.0] * 160), 16000, 1)


def test_push_empty_is_harmless(conn):
    rc = conn.push_audio_pcm_data(b"", 16000, 1)
    assert rc == 0
    assert conn.is_push_to_rtc_completed()
    _ok_push(conn)


def test_push_huge_buffer(conn):
    """200 MB (over half an hour of 48 kHz stereo): queued or refused cleanly."""
    big = bytes(200 * 2 ** 20)
    try:
        rc = conn.push_audio_pcm_data(big, 48000, 2)
    except (ValueError, MemoryError, ar.AgoraError) as e:   # a clean refusal is fine
        assert str(e)
    else:
        assert rc == 0 or rc < 0
        if rc == 0:
            assert not conn.is_push_to_rtc_completed()
    assert conn.interrupt_audio() == 0
    assert conn.is_push_to_rtc_completed()
    del big
    _ok_push(conn)


# ---------------------------------------------------------------------------
# push_audio_pcm_data: format

@pytest.mark.parametrize("rate", [0, -16000, 12345, 11025, 96000, 192000])
def test_push_bad_sample_rate_value(conn, rate):
    with pytest.raises(ValueError, match=r"sample_rate must be one of .*16000.*48000"):
        conn.push_audio_pcm_data(np.zeros(160, np.int16), rate, 1)


@pytest.mark.parametrize("rate", [44100.0, 16000.0, True, "16000", None])
def test_push_bad_sample_rate_type(conn, rate):
    with pytest.raises(TypeError, match="sample_rate must be an int"):
        conn.push_audio_pcm_data(np.zeros(160, np.int16), rate, 1)


def test_push_numpy_integer_rate_accepted(conn):
    assert conn.push_audio_pcm_data(np.zeros(441, np.int16), np.int64(44100), np.int32(1)) == 0


@pytest.mark.parametrize("channels", [0, 3, -1, 6])
def test_push_bad_channels_value(conn, channels):
    with pytest.raises(ValueError, match="channels must be one of 1, 2"):
        conn.push_audio_pcm_data(np.zeros(1200, np.int16), 16000, channels)


@pytest.mark.parametrize("channels", [1.0, "1", True, None])
def test_push_bad_channels_type(conn, channels):
    with pytest.raises(TypeError, match="channels must be an int"):
        conn.push_audio_pcm_data(np.zeros(160, np.int16), 16000, channels)


@pytest.mark.parametrize("pts,exc", [(1.0, TypeError), ("0", TypeError), (None, TypeError),
                                     (True, TypeError), (2 ** 63, ValueError), (-(2 ** 63) - 1, ValueError)])
def test_push_bad_start_pts(conn, pts, exc):
    with pytest.raises(exc, match="start_pts"):
        conn.push_audio_pcm_data(np.zeros(160, np.int16), 16000, 1, pts)


def test_push_negative_start_pts_accepted(conn):
    assert conn.push_audio_pcm_data(np.zeros(160, np.int16), 16000, 1, start_pts=-5) == 0


# ---------------------------------------------------------------------------
# connect

BAD_IDS = [
    pytest.param("", ValueError, "must not be empty", id="empty"),
    pytest.param("x" * 65, ValueError, "at most 64 bytes", id="65-bytes"),
    pytest.param("é" * 33, ValueError, "at most 64 bytes", id="66-bytes-utf8"),
    pytest.param("a/b", ValueError, "may only contain", id="slash"),
    pytest.param("a*b", ValueError, "may only contain", id="star"),
    pytest.param("line\nbreak", ValueError, "may only contain", id="newline"),
    pytest.param("nul\x00", ValueError, "may only contain", id="nul"),
    pytest.param("quote'\"", ValueError, "may only contain", id="quotes"),
    pytest.param("café", ValueError, "may only contain", id="non-ascii"),
    pytest.param(None, TypeError, "must be a str", id="None"),
    pytest.param(b"chan", TypeError, "must be a str", id="bytes"),
    pytest.param(1.5, TypeError, "must be a str", id="float"),
    pytest.param(["chan"], TypeError, "must be a str", id="list"),
]


@pytest.mark.parametrize("bad,exc,match", BAD_IDS)
def test_connect_bad_channel_id(service, bad, exc, match):
    c = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    c.register_observer(rec)
    with pytest.raises(exc, match=match):
        c.connect("", bad, "user")
    with pytest.raises(exc, match=match):
        c.connect("", "good-channel", bad)
    # still usable
    assert c.connect("", "good-channel", "user") == 0
    rec.wait_event("connected")
    c.release()


def test_connect_id_limits_accepted(service):
    c = service.create_rtc_connection(ar.RTCConnConfig())
    rec = Recorder()
    c.register_observer(rec)
    allowed = "Az09 !#$%&()+-:;<=.>?@[]^_{}|~,"
    chan = (allowed * 3)[:64]
    assert c.connect("", chan, 12345) == 0          # numeric uid of older samples
    rec.wait_event("connected")
    info = c.get_conn_info()
    assert info.channel_id == chan and info.local_user_id == "12345"
    c.release()


@pytest.mark.parametrize("token", [b"tok", 5, 1.0])
def test_connect_bad_token(service, token):
    c = service.create_rtc_connection(ar.RTCConnConfig())
    with pytest.raises(TypeError, match="token must be a str"):
        c.connect(token, "chan", "u")
    c.release()


def test_connect_while_connected_returns_error(conn):
    rc = conn.connect("", "elsewhere", "b")
    assert rc == ar.errors.ERR_INVALID_STATE
    assert conn.get_conn_info().channel_id == "bad-input"


def test_renew_token_type(conn):
    with pytest.raises(TypeError, match="token must be a str"):
        conn.renew_token(None)
    assert conn.renew_token("new-token") == 0


# ---------------------------------------------------------------------------
# observers

class _ConnOnly(ar.IRTCConnectionObserver):
    pass


class _AudioOnly(ar.IAudioFrameObserver):
    pass


class _LocalOnly(ar.IRTCLocalUserObserver):
    pass


_REGISTER = [("register_observer", _ConnOnly), ("register_local_user_observer", _LocalOnly),
             ("register_audio_frame_observer", _AudioOnly)]
_WRONG = [("None", lambda: None), ("object", object), ("str", lambda: "observer"),
          ("class-not-instance", lambda: _ConnOnly), ("conn-observer", _ConnOnly),
          ("local-user-observer", _LocalOnly), ("audio-observer", _AudioOnly)]


@pytest.mark.parametrize("method,good,make_bad", [
    pytest.param(m, g, mk, id=f"{m}-{name}")
    for m, g in _REGISTER for name, mk in _WRONG if not isinstance(mk(), g)])
def test_register_wrong_observer_type(conn, method, good, make_bad):
    base = good.__mro__[1].__name__
    with pytest.raises(TypeError, match=f"observer must be an instance of a {base} subclass"):
        getattr(conn, method)(make_bad())
    assert getattr(conn, method)(good()) == 0


def test_register_audio_frame_observer_bad_vad_args(conn):
    obs = _AudioOnly()
    with pytest.raises(ValueError, match="enable_vad must be one of 0, 1"):
        conn.register_audio_frame_observer(obs, 2)
    with pytest.raises(TypeError, match="enable_vad must be an int"):
        conn.register_audio_frame_observer(obs, "1")
    with pytest.raises(TypeError, match="vad_configure must be an AudioVadConfigV2"):
        conn.register_audio_frame_observer(obs, 1, {"startVoiceProb": 70})
    cfg = ar.AudioVadConfigV2()
    cfg.startVoiceProb = 500                      # mutated after construction
    with pytest.raises(ValueError, match="startVoiceProb"):
        conn.register_audio_frame_observer(obs, 1, cfg)
    assert conn.register_audio_frame_observer(obs, True, ar.AudioVadConfigV2()) == 0
    assert conn.register_audio_frame_observer(obs, 1) == 0


VAD_BAD = [
    (dict(preStartRecognizeCount=-1), ValueError, "preStartRecognizeCount"),
    (dict(startRecognizeCount=0), ValueError, "startRecognizeCount"),
    (dict(stopRecognizeCount=0), ValueError, "stopRecognizeCount"),
    (dict(startRecognizeCount=1.5), TypeError, "startRecognizeCount must be an int"),
    (dict(startRecognizeCount=True), TypeError, "startRecognizeCount must be an int"),
    (dict(activePercent=0), ValueError, "activePercent"),
    (dict(activePercent=1.01), ValueError, "activePercent"),
    (dict(activePercent=float("nan")), ValueError, "activePercent"),
    (dict(activePercent="0.7"), TypeError, "activePercent must be a number"),
    (dict(inactivePercent=-0.1), ValueError, "inactivePercent"),
    (dict(inactivePercent=float("inf")), ValueError, "inactivePercent"),
    (dict(startVoiceProb=101), ValueError, "startVoiceProb"),
    (dict(startVoiceProb=-1), ValueError, "startVoiceProb"),
    (dict(stopVoiceProb=1000), ValueError, "stopVoiceProb"),
    (dict(rmsThreshold=10), ValueError, "RmsThreshold"),
    (dict(rmsThreshold=-200), ValueError, "RmsThreshold"),
    (dict(startRmsThreshold=1.0), ValueError, "startRmsThreshold"),
    (dict(stopRmsThreshold=-100.5), ValueError, "stopRmsThreshold"),
    (dict(adaptiveRmsFactor=-1), ValueError, "adaptiveRmsFactor"),
    (dict(adaptiveRmsFactor=100.5), ValueError, "adaptiveRmsFactor"),
]


@pytest.mark.parametrize("kwargs,exc,match", VAD_BAD, ids=[str(k) for k, _, _ in VAD_BAD])
def test_vad_config_out_of_range(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ar.AudioVadConfigV2(**kwargs)


def test_vad_config_edges_accepted():
    ar.AudioVadConfigV2(preStartRecognizeCount=0, startRecognizeCount=1, stopRecognizeCount=1,
                        activePercent=1.0, inactivePercent=1e-6, startVoiceProb=0,
                        stopVoiceProb=100, rmsThreshold=-100, adaptiveRmsFactor=0)
    ar.AudioVadConfigV2(rmsThreshold=0.0, adaptiveRmsFactor=100)


@pytest.mark.parametrize("channels,rate,exc,match", [
    (0, 16000, ValueError, "channels must be one of 1, 2"),
    (3, 16000, ValueError, "channels must be one of 1, 2"),
    (1, 0, ValueError, "sample_rate must be one of"),
    (1, 12345, ValueError, "sample_rate must be one of"),
    (1, 96000, ValueError, "sample_rate must be one of"),
    (1, 16000.0, TypeError, "sample_rate must be an int"),
    (1, True, TypeError, "sample_rate must be an int"),
    (1.0, 16000, TypeError, "channels must be an int"),
    (None, 16000, TypeError, "channels must be an int"),
])
def test_playback_parameters_bad(conn, channels, rate, exc, match):
    lu = conn.get_local_user()
    with pytest.raises(exc, match=match):
        lu.set_playback_audio_frame_before_mixing_parameters(channels, rate)
    assert lu.set_playback_audio_frame_before_mixing_parameters(2, 48000) == 0


@pytest.mark.parametrize("uid,exc", [("", ValueError), (None, TypeError), (b"a", TypeError),
                                     ("x" * 65, ValueError)])
def test_subscribe_bad_user_id(conn, uid, exc):
    lu = conn.get_local_user()
    with pytest.raises(exc, match="user_id"):
        lu.subscribe_audio(uid)
    with pytest.raises(exc, match="user_id"):
        lu.unsubscribe_audio(uid)


def test_set_user_role_bad(conn):
    lu = conn.get_local_user()
    with pytest.raises(ValueError, match="role must be one of 1, 2"):
        lu.set_user_role(3)
    with pytest.raises(TypeError, match="role must be an int"):
        lu.set_user_role("broadcaster")


def test_create_connection_bad_configs(service):
    with pytest.raises(TypeError, match="RTCConnConfig"):
        service.create_rtc_connection(None)
    with pytest.raises(TypeError, match="RtcConnectionPublishConfig"):
        service.create_rtc_connection(ar.RTCConnConfig(), "publish")
    with pytest.raises(ValueError, match="auto_subscribe_audio"):
        service.create_rtc_connection(ar.RTCConnConfig(auto_subscribe_audio=5))


def test_exception_handler_must_be_callable():
    with pytest.raises(TypeError, match="callable"):
        ar.set_observer_exception_handler(5)


# ---------------------------------------------------------------------------
# use after release

def _conn_calls():
    """Every public RTCConnection method with valid arguments."""
    pcm = np.zeros(160, np.int16)
    return {
        "connect": lambda c: c.connect("", "chan", "u"),
        "disconnect": lambda c: c.disconnect(),
        "renew_token": lambda c: c.renew_token("tok"),
        "get_conn_info": lambda c: c.get_conn_info(),
        "get_local_user": lambda c: c.get_local_user(),
        "local_user": lambda c: c.local_user,
        "register_observer": lambda c: c.register_observer(_ConnOnly()),
        "unregister_observer": lambda c: c.unregister_observer(),
        "register_local_user_observer": lambda c: c.register_local_user_observer(_LocalOnly()),
        "unregister_local_user_observer": lambda c: c.unregister_local_user_observer(),
        "register_audio_frame_observer": lambda c: c.register_audio_frame_observer(_AudioOnly()),
        "unregister_audio_frame_observer": lambda c: c.unregister_audio_frame_observer(),
        "publish_audio": lambda c: c.publish_audio(),
        "unpublish_audio": lambda c: c.unpublish_audio(),
        "push_audio_pcm_data": lambda c: c.push_audio_pcm_data(pcm, 16000, 1),
        "interrupt_audio": lambda c: c.interrupt_audio(),
        "is_push_to_rtc_completed": lambda c: c.is_push_to_rtc_completed(),
        "wait_push_completed": lambda c: c.wait_push_completed(0.1),
        "push_completed": lambda c: asyncio.run(asyncio.wait_for(c.push_completed(), 1)),
        "get_send_stats": lambda c: c.get_send_stats(),
        "get_audio_queue_stats": lambda c: c.get_audio_queue_stats(),
        "get_audio_delivery_stats": lambda c: c.get_audio_delivery_stats(),
        "get_encoded_audio_delivery_stats": lambda c: c.get_encoded_audio_delivery_stats(),
        "send_stream_message": lambda c: c.send_stream_message("hi"),
        "send_audio_meta_data": lambda c: c.send_audio_meta_data(b"m"),
        "get_agora_parameter": lambda c: c.get_agora_parameter(),
        "create_data_stream": lambda c: c.create_data_stream(True, True),
        "push_audio_encoded_data": lambda c: c.push_audio_encoded_data(
            b"\xf8\xff\xfe", ar.EncodedAudioFrameInfo(codec=ar.AudioCodecType.AUDIO_CODEC_OPUS)),
        "register_audio_encoded_frame_observer":
            lambda c: c.register_audio_encoded_frame_observer(ar.IAudioEncodedFrameObserver()),
        "unregister_audio_encoded_frame_observer": lambda c: c.unregister_audio_encoded_frame_observer(),
        "set_audio_processing": lambda c: c.set_audio_processing(True, True),
        # video
        "register_video_frame_observer": lambda c: c.register_video_frame_observer(_VideoOnly()),
        "unregister_video_frame_observer": lambda c: c.unregister_video_frame_observer(),
        "register_video_encoded_frame_observer":
            lambda c: c.register_video_encoded_frame_observer(_EncodedOnly()),
        "unregister_video_encoded_frame_observer": lambda c: c.unregister_video_encoded_frame_observer(),
        "publish_video": lambda c: c.publish_video(),
        "unpublish_video": lambda c: c.unpublish_video(),
        "push_video_frame": lambda c: c.push_video_frame(ar.ExternalVideoFrame(
            format=ar.VideoPixelFormat.VIDEO_PIXEL_I420, buffer=bytes(24), stride=4, height=4)),
        "push_video_encoded_data": lambda c: c.push_video_encoded_data(
            b"\x00\x00\x00\x01", ar.EncodedVideoFrameInfo(codec_type=2, frame_type=3)),
        "get_video_stats": lambda c: c.get_video_stats(),
        # the original's calls that name why they cannot work here
        "enable_encryption": lambda c: c.enable_encryption(0, ar.EncryptionConfig()),
        "set_video_encoder_configuration": lambda c: c.set_video_encoder_configuration(
            ar.VideoEncoderConfiguration()),
        "set_simulcast_stream": lambda c: c.set_simulcast_stream(False),
    }


class _VideoOnly(ar.IVideoFrameObserver):
    pass


class _EncodedOnly(ar.IVideoEncodedFrameObserver):
    pass


def _public_members(cls):
    return sorted(name for name, _ in inspect.getmembers(cls) if not name.startswith("_"))


# "release" is the one method that stays valid (idempotent); attributes that
# are plain data are not calls.
_NOT_CALLS = {"release", "con_config", "publish_config", "last_interrupt"}


def test_every_connection_method_is_covered():
    """Guard: a new public method must be added to _conn_calls (and so be
    checked for ReleasedError)."""
    missing = set(_public_members(ar.RTCConnection)) - set(_conn_calls()) - _NOT_CALLS
    assert not missing, f"add use-after-release checks for: {sorted(missing)}"


def _lu_calls():
    return {
        "set_user_role": lambda lu: lu.set_user_role(1),
        "publish_audio": lambda lu: lu.publish_audio(),
        "unpublish_audio": lambda lu: lu.unpublish_audio(),
        "subscribe_audio": lambda lu: lu.subscribe_audio("x"),
        "unsubscribe_audio": lambda lu: lu.unsubscribe_audio("x"),
        "subscribe_all_audio": lambda lu: lu.subscribe_all_audio(),
        "unsubscribe_all_audio": lambda lu: lu.unsubscribe_all_audio(),
        "set_playback_audio_frame_before_mixing_parameters":
            lambda lu: lu.set_playback_audio_frame_before_mixing_parameters(1, 16000),
        "set_audio_volume_indication_parameters":
            lambda lu: lu.set_audio_volume_indication_parameters(200, 3, True),
        "publish_video": lambda lu: lu.publish_video(),
        "unpublish_video": lambda lu: lu.unpublish_video(),
        "subscribe_video": lambda lu: lu.subscribe_video("x", ar.VideoSubscriptionOptions()),
        "unsubscribe_video": lambda lu: lu.unsubscribe_video("x"),
        "subscribe_all_video": lambda lu: lu.subscribe_all_video(),
        "unsubscribe_all_video": lambda lu: lu.unsubscribe_all_video(),
        "send_intra_request": lambda lu: lu.send_intra_request("x"),
        "unregister_audio_frame_observer": lambda lu: lu.unregister_audio_frame_observer(),
    }


_RELEASE_BUGS = {}  # every public method raises ReleasedError after release


def _released_connections(service, how):
    """Connections released in different ways, with their LocalUser fetched before."""
    if how == "idle":
        conns = [service.create_rtc_connection(ar.RTCConnConfig())]
    else:
        a, _ = join(service, "released", "a")
        b, rb = join(service, "released", "b")
        assert a.push_audio_pcm_data(tone(1), 16000, 1) == 0
        rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 3)
        conns = [a, b]
    lus = [c.get_local_user() for c in conns]
    if how == "service-released":
        assert service.release() == 0
    else:
        for c in conns:
            assert c.release() == 0
    return list(zip(conns, lus))


_HOW = ["idle", "connected", "service-released"]


@pytest.mark.parametrize("how", _HOW)
@pytest.mark.parametrize("name", [pytest.param(n, marks=_RELEASE_BUGS.get(n, ()))
                                  for n in _conn_calls()])
def test_connection_method_after_release(service, how, name):
    if not hasattr(ar.RTCConnection, name):
        pytest.skip(f"RTCConnection.{name} does not exist in this build")
    for conn, _ in _released_connections(service, how):
        with pytest.raises(ar.ReleasedError):
            _conn_calls()[name](conn)
            pytest.fail(f"RTCConnection.{name} did not raise after release ({how})")


@pytest.mark.parametrize("how", _HOW)
@pytest.mark.parametrize("name", list(_lu_calls()))
def test_local_user_method_after_release(service, how, name):
    for conn, lu in _released_connections(service, how):
        with pytest.raises(ar.ReleasedError):
            _lu_calls()[name](lu)
            pytest.fail(f"LocalUser.{name} did not raise after release ({how})")


@pytest.mark.parametrize("how", _HOW)
def test_release_twice_is_fine(service, how):
    for conn, lu in _released_connections(service, how):
        assert conn.release() == 0
        assert conn.release() == 0
        assert "released" in repr(conn)
    assert service.release() == 0
    assert service.release() == 0


def test_released_error_is_an_invalid_state_error():
    assert issubclass(ar.ReleasedError, ar.InvalidStateError)
    assert issubclass(ar.InvalidStateError, RuntimeError)


def test_service_release_releases_connections():
    svc = ar.AgoraService()
    svc.initialize(ar.AgoraServiceConfig(appid="test"))
    a, ra = join(svc, "svc-release", "a")
    b, rb = join(svc, "svc-release", "b")
    idle = svc.create_rtc_connection(ar.RTCConnConfig())
    a.push_audio_pcm_data(tone(2), 16000, 1)
    rb.wait_for(lambda: len(rb.frames.get("a", [])) >= 5)
    assert svc.release() == 0
    for c in (a, b, idle):
        with pytest.raises(ar.ReleasedError):
            c.get_conn_info()
        with pytest.raises(ar.ReleasedError):
            c.push_audio_pcm_data(np.zeros(160, np.int16), 16000, 1)
        assert c.release() == 0
    assert svc.release() == 0                       # twice is fine
    with pytest.raises(ar.ReleasedError):
        svc.create_rtc_connection(ar.RTCConnConfig())
    with pytest.raises(ar.ReleasedError):
        svc.initialize(ar.AgoraServiceConfig(appid="test"))


def test_service_not_initialized():
    svc = ar.AgoraService()
    with pytest.raises(ar.InvalidStateError, match="initialize"):
        svc.create_rtc_connection(ar.RTCConnConfig())
    assert svc.release() == 0
    with pytest.raises(ar.ReleasedError):
        svc.create_rtc_connection(ar.RTCConnConfig())


def test_service_initialize_twice_and_bad_config(service):
    with pytest.raises(ar.InvalidStateError, match="already initialized"):
        service.initialize(ar.AgoraServiceConfig(appid="test"))
    with pytest.raises(TypeError, match="AgoraServiceConfig"):
        ar.AgoraService().initialize({"appid": "x"})


def test_context_managers_release():
    with ar.AgoraService(ar.AgoraServiceConfig(appid="test")) as svc:
        with svc.create_rtc_connection(ar.RTCConnConfig()) as c:
            assert c.get_local_user() is not None
        with pytest.raises(ar.ReleasedError):
            c.get_local_user()
    with pytest.raises(ar.ReleasedError):
        svc.create_rtc_connection(ar.RTCConnConfig())
