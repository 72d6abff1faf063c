"""Enums, config dataclasses, validation and transport URL resolution (agora_rtc.agora_base)."""

from __future__ import annotations

import dataclasses

import pytest

from agora_rtc.agora_base import (
    DEFAULT_PREFILL_MS,
    TRANSPORT_URL_ENV,
    AgoraServiceConfig,
    APMConfig,
    AreaCode,
    AudioCodecType,
    AudioProfileType,
    AudioPublishType,
    AudioScenarioType,
    AudioSubscriptionOptions,
    AudioVolumeInfo,
    ChannelProfileType,
    ClientRoleType,
    ConnectionChangedReasonType,
    ConnectionState,
    EncodedAudioFrameInfo,
    EncodedVideoFrameInfo,
    ExternalVideoFrame,
    LocalAudioStats,
    LocalAudioTrackStats,
    PcmAudioFrame,
    RemoteAudioState,
    RemoteAudioStateReason,
    RemoteAudioTrackStats,
    RTCConnConfig,
    RtcConnectionPublishConfig,
    RTCConnInfo,
    RTCStats,
    SenderOptions,
    TCcMode,
    UserOfflineReasonType,
    VideoCodecType,
    VideoDimensions,
    VideoEncoderConfiguration,
    VideoFrame,
    VideoPixelFormat,
    VideoPublishType,
    VideoStreamType,
    VideoSubscriptionOptions,
    parse_transport_url,
    resolve_transport_url,
)

# ---------------------------------------------------------------------------
# Enum values (Agora's numbers; ported code passes and compares raw ints)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "value"),
    [
        (ClientRoleType.CLIENT_ROLE_BROADCASTER, 1),
        (ClientRoleType.CLIENT_ROLE_AUDIENCE, 2),
        (ChannelProfileType.CHANNEL_PROFILE_COMMUNICATION, 0),
        (ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING, 1),
        (AudioScenarioType.AUDIO_SCENARIO_DEFAULT, 0),
        (AudioScenarioType.AUDIO_SCENARIO_GAME_STREAMING, 3),
        (AudioScenarioType.AUDIO_SCENARIO_CHATROOM, 5),
        (AudioScenarioType.AUDIO_SCENARIO_CHORUS, 7),
        (AudioScenarioType.AUDIO_SCENARIO_MEETING, 8),
        (AudioScenarioType.AUDIO_SCENARIO_AI_SERVER, 9),
        (AudioScenarioType.AUDIO_SCENARIO_AI_CLIENT, 10),
        (VideoCodecType.VIDEO_CODEC_NONE, 0),
        (VideoCodecType.VIDEO_CODEC_VP8, 1),
        (VideoCodecType.VIDEO_CODEC_H264, 2),
        (VideoCodecType.VIDEO_CODEC_H265, 3),
        (VideoCodecType.VIDEO_CODEC_GENERIC, 6),
        (VideoCodecType.VIDEO_CODEC_AV1, 12),
        (VideoCodecType.VIDEO_CODEC_VP9, 13),
        (VideoCodecType.VIDEO_CODEC_GENERIC_JPEG, 20),
        (ConnectionState.CONNECTION_STATE_DISCONNECTED, 1),
        (ConnectionState.CONNECTION_STATE_CONNECTING, 2),
        (ConnectionState.CONNECTION_STATE_CONNECTED, 3),
        (ConnectionState.CONNECTION_STATE_RECONNECTING, 4),
        (ConnectionState.CONNECTION_STATE_FAILED, 5),
        (ConnectionChangedReasonType.CONNECTION_CHANGED_JOIN_SUCCESS, 1),
        (ConnectionChangedReasonType.CONNECTION_CHANGED_LEAVE_CHANNEL, 5),
        (ConnectionChangedReasonType.CONNECTION_CHANGED_INVALID_TOKEN, 8),
        (ConnectionChangedReasonType.CONNECTION_CHANGED_SAME_UID_LOGIN, 19),
        (AudioPublishType.AUDIO_PUBLISH_TYPE_NONE, 0),
        (AudioPublishType.AUDIO_PUBLISH_TYPE_PCM, 1),
        (AudioPublishType.AUDIO_PUBLISH_TYPE_ENCODED_PCM, 2),
        (VideoPublishType.VIDEO_PUBLISH_TYPE_NONE, 0),
        (VideoPublishType.VIDEO_PUBLISH_TYPE_YUV, 1),
        (VideoPublishType.VIDEO_PUBLISH_TYPE_ENCODED_IMAGE, 2),
        (VideoPixelFormat.VIDEO_PIXEL_I420, 1),
        (VideoPixelFormat.VIDEO_PIXEL_BGRA, 2),
        (VideoPixelFormat.VIDEO_PIXEL_NV21, 3),
        (VideoPixelFormat.VIDEO_PIXEL_RGBA, 4),
        (VideoPixelFormat.VIDEO_PIXEL_NV12, 8),
        (UserOfflineReasonType.USER_OFFLINE_QUIT, 0),
        (UserOfflineReasonType.USER_OFFLINE_DROPPED, 1),
        (UserOfflineReasonType.USER_OFFLINE_BECOME_AUDIENCE, 2),
        (AreaCode.AREA_CODE_CN, 1),
        (AreaCode.AREA_CODE_GLOB, 0xFFFFFFFF),
        (AudioProfileType.AUDIO_PROFILE_DEFAULT, 0),
        (AudioCodecType.AUDIO_CODEC_OPUS, 1),
        (AudioCodecType.AUDIO_CODEC_AACLC, 8),
        (RemoteAudioState.REMOTE_AUDIO_STATE_DECODING, 2),
        (RemoteAudioStateReason.REMOTE_AUDIO_REASON_REMOTE_OFFLINE, 7),
        (VideoStreamType.VIDEO_STREAM_LOW, 1),
        (TCcMode.CC_DISABLED, 1),
    ],
    ids=lambda x: x.name if hasattr(x, "name") else str(x),
)
def test_enum_values(member, value):
    assert member == value
    assert int(member) == value
    assert type(member)(value) == member


def test_vp9_accepts_the_original_value_5_as_alias():
    assert VideoCodecType(5) is VideoCodecType.VIDEO_CODEC_VP9
    assert VideoCodecType(13) is VideoCodecType.VIDEO_CODEC_VP9
    # The alias is only for construction; the member's value is Agora 4.x's 13.
    assert VideoCodecType.VIDEO_CODEC_VP9.value == 13
    with pytest.raises(ValueError):
        VideoCodecType(4)


def test_certification_reason_alias():
    reason = ConnectionChangedReasonType
    agora_spelling = reason.CONNECTION_CHANGED_CERTIFICATION_VERYFY_FAILURE
    assert reason.CONNECTION_CHANGED_CERTIFICATION_VERIFY_FAILURE is agora_spelling
    assert reason(22) is agora_spelling


# ---------------------------------------------------------------------------
# Construction: empty, filled by attribute, defaults
# ---------------------------------------------------------------------------


def test_service_config_empty_and_filled_by_attribute():
    config = AgoraServiceConfig()
    assert config.audio_scenario == AudioScenarioType.AUDIO_SCENARIO_AI_SERVER == 9
    assert config.channel_profile == ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING
    assert config.area_code == AreaCode.AREA_CODE_GLOB
    assert config.enable_audio_processor == 1
    assert config.enable_audio_device == 0
    assert config.transport_url == ""
    assert config.prefill_ms == DEFAULT_PREFILL_MS
    assert config.log_file_size_kb == 5 * 1024

    config.appid = "my-app-id"
    config.log_path = "./agorasdk.log"
    config.enable_video = 1
    config.use_string_uid = 1
    config.audio_scenario = AudioScenarioType.AUDIO_SCENARIO_CHORUS
    config._validated()
    assert config.appid == "my-app-id"


def test_service_config_misspelled_muted_flag_alias():
    # The original spells it should_callbck_when_muted; both spellings work.
    assert AgoraServiceConfig(should_callbck_when_muted=1).should_callback_when_muted == 1
    config = AgoraServiceConfig()
    config.should_callbck_when_muted = 1
    assert config.should_callback_when_muted == 1
    config.should_callback_when_muted = 0
    assert config.should_callbck_when_muted == 0
    # The alias is not a second field.
    names = {f.name for f in dataclasses.fields(AgoraServiceConfig)}
    assert "should_callback_when_muted" in names
    assert "should_callbck_when_muted" not in names


def test_effective_log_file_size_honours_legacy_log_size():
    config = AgoraServiceConfig()
    assert config.effective_log_file_size_kb == 5 * 1024
    config.log_size = 512 * 1024  # bytes, SDK 2.1 style
    assert config.effective_log_file_size_kb == 512
    config.log_file_size_kb = 2048  # explicit KB wins
    assert config.effective_log_file_size_kb == 2048


def test_conn_config_defaults_fix_silent_bots():
    config = RTCConnConfig()
    assert config.auto_subscribe_audio == 1  # the original's 0 hears nobody
    assert config.client_role_type == ClientRoleType.CLIENT_ROLE_BROADCASTER
    assert isinstance(config.audio_subs_options, AudioSubscriptionOptions)
    # default_factory: each config gets its own options object
    assert RTCConnConfig().audio_subs_options is not config.audio_subs_options
    config._validated()


def test_conn_config_as_in_agora_samples():
    config = RTCConnConfig(
        client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER,
        channel_profile=ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING,
        auto_subscribe_audio=1,
        audio_subs_options=AudioSubscriptionOptions(
            packet_only=0, pcm_data_only=1, bytes_per_sample=2,
            number_of_channels=1, sample_rate_hz=16000),
    )
    config._validated()
    config.audio_subs_options.sample_rate_hz = 44100
    config._validated()


def test_publish_config_defaults():
    config = RtcConnectionPublishConfig()
    assert config.audio_publish_type == AudioPublishType.AUDIO_PUBLISH_TYPE_PCM
    assert config.video_publish_type == VideoPublishType.VIDEO_PUBLISH_TYPE_NONE
    assert config.audio_scenario == AudioScenarioType.AUDIO_SCENARIO_AI_SERVER
    assert config.is_publish_audio is True
    assert config.is_publish_video is False
    options = config.video_encoded_image_sender_options
    assert isinstance(options, SenderOptions)
    assert options.codec_type == VideoCodecType.VIDEO_CODEC_H264
    assert options.cc_mode == TCcMode.CC_ENABLED
    assert options.target_bitrate == 4160
    config._validated()


def test_publish_config_accepts_legacy_vp9():
    config = RtcConnectionPublishConfig(
        is_publish_video=True,
        video_publish_type=VideoPublishType.VIDEO_PUBLISH_TYPE_ENCODED_IMAGE,
        video_encoded_image_sender_options=SenderOptions(codec_type=5),
    )
    config._validated()


@pytest.mark.parametrize(
    "cls",
    [
        AgoraServiceConfig, AudioSubscriptionOptions, RTCConnConfig, RtcConnectionPublishConfig,
        SenderOptions, VideoSubscriptionOptions, RTCConnInfo, RTCStats, AudioVolumeInfo,
        LocalAudioTrackStats, RemoteAudioTrackStats, EncodedAudioFrameInfo,
        EncodedVideoFrameInfo, ExternalVideoFrame, VideoFrame, PcmAudioFrame,
        VideoEncoderConfiguration, VideoDimensions, APMConfig,
    ],
)
def test_every_dataclass_can_be_created_empty(cls):
    obj = cls()
    assert dataclasses.is_dataclass(obj)
    # and filled by attribute
    first = dataclasses.fields(obj)[0].name
    setattr(obj, first, getattr(obj, first))


def test_report_fields_keep_original_names():
    info = RTCConnInfo(id=1, channel_id="ch", state=ConnectionState.CONNECTION_STATE_CONNECTED,
                       local_user_id="bot", internal_uid=10086)
    assert (info.channel_id, info.local_user_id, info.internal_uid) == ("ch", "bot", 10086)
    volume = AudioVolumeInfo(user_id="42", volume=200, vad=1, voice_pitch=180.0)
    assert volume.user_id == "42"
    stats = RTCStats(connection_id=1, tx_audio_bytes=10, rx_packet_loss_rate=3)
    assert stats.tx_audio_bytes == 10 and stats.user_count == 0
    assert LocalAudioStats is LocalAudioTrackStats
    frame = EncodedAudioFrameInfo()
    assert frame.codec == AudioCodecType.AUDIO_CODEC_AACLC
    assert (frame.sample_rate, frame.capture_time_ms) == (16000, -1)
    assert VideoEncoderConfiguration().dimensions == VideoDimensions(640, 360)
    assert ExternalVideoFrame().type == 1


# ---------------------------------------------------------------------------
# Validation: clear errors naming the field and what was expected
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"sample_rate_hz": 12345}, ValueError,
         r"AudioSubscriptionOptions\.sample_rate_hz must be one of 8000, 16000, 24000, "
         r"32000, 44100, 48000 .*got 12345"),
        ({"sample_rate_hz": 16000.0}, TypeError,
         r"AudioSubscriptionOptions\.sample_rate_hz must be an int, got float"),
        ({"number_of_channels": 3}, ValueError,
         r"AudioSubscriptionOptions\.number_of_channels must be 1 or 2 .*got 3"),
        ({"bytes_per_sample": 4}, ValueError,
         r"AudioSubscriptionOptions\.bytes_per_sample must be 2 .*got 4"),
        ({"packet_only": 1, "pcm_data_only": 1}, ValueError, r"mutually exclusive"),
        ({"pcm_data_only": 7}, ValueError, r"AudioSubscriptionOptions\.pcm_data_only must be 0/1"),
    ],
)
def test_audio_subscription_options_validation(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        AudioSubscriptionOptions(**kwargs)._validated()


def test_audio_subscription_rejects_22050_playback():
    with pytest.raises(ValueError, match="sample_rate_hz must be one of 8000, 16000, 24000"):
        AudioSubscriptionOptions(sample_rate_hz=22050)._validated()


def test_audio_subscription_options_zero_means_default():
    AudioSubscriptionOptions()._validated()
    for rate in (8000, 16000, 24000, 32000, 44100, 48000):
        options = AudioSubscriptionOptions(sample_rate_hz=rate, number_of_channels=2,
                                           bytes_per_sample=2)
        options._validated()


@pytest.mark.parametrize(
    ("attr", "value", "exc", "match"),
    [
        ("appid", 1234, TypeError, r"AgoraServiceConfig\.appid must be a str, got int 1234"),
        ("audio_scenario", 4, ValueError,
         r"AgoraServiceConfig\.audio_scenario must be a valid AudioScenarioType "
         r"\(.*9=AUDIO_SCENARIO_AI_SERVER.*\), got 4"),
        ("channel_profile", "live", TypeError,
         r"AgoraServiceConfig\.channel_profile must be a valid ChannelProfileType"),
        ("transport_url", "http://example.com", ValueError,
         r"AgoraServiceConfig\.transport_url must be '' / 'local://\.\.\.' / 'janus://host:port' / "
         r"'janus\+ws://host:port' / 'sip://\[user@\]ip:port', got 'http://example\.com'"),
        ("transport_url", 42, TypeError, r"AgoraServiceConfig\.transport_url must be a str"),
        ("transport_url", "janus://:8088", ValueError,
         r"AgoraServiceConfig\.transport_url needs a host"),
        ("transport_url", "janus://host:70000", ValueError,
         r"AgoraServiceConfig\.transport_url has an invalid port"),
        ("prefill_ms", 600, ValueError,
         r"AgoraServiceConfig\.prefill_ms must be between 0 and 500, got 600"),
        ("prefill_ms", -10, ValueError,
         r"AgoraServiceConfig\.prefill_ms must be between 0 and 500, got -10"),
        ("enable_video", 2, ValueError,
         r"AgoraServiceConfig\.enable_video must be 0/1 or a bool, got 2"),
        ("log_file_size_kb", -1, ValueError,
         r"AgoraServiceConfig\.log_file_size_kb must be >= 0, got -1"),
        ("area_code", True, TypeError, r"AgoraServiceConfig\.area_code must be an int, got bool"),
        ("apm_config", {}, TypeError,
         r"AgoraServiceConfig\.apm_config must be an APMConfig or None"),
    ],
)
def test_service_config_validation(attr, value, exc, match):
    config = AgoraServiceConfig()
    setattr(config, attr, value)
    with pytest.raises(exc, match=match):
        config._validated()


@pytest.mark.parametrize(
    "url",
    ["", "local://", "local://hub-a", "janus://127.0.0.1:8088", "janus://127.0.0.1",
     "janus+ws://127.0.0.1:8188", "janus://localhost:8088/janus?admin_key=k"],
)
def test_service_config_accepts_transport_urls(url):
    config = AgoraServiceConfig(transport_url=url)
    config._validated()


@pytest.mark.parametrize(
    ("attr", "value", "exc", "match"),
    [
        ("client_role_type", 3, ValueError,
         r"RTCConnConfig\.client_role_type must be a valid ClientRoleType "
         r"\(1=CLIENT_ROLE_BROADCASTER, 2=CLIENT_ROLE_AUDIENCE\), got 3"),
        ("channel_profile", 2, ValueError,
         r"RTCConnConfig\.channel_profile must be a valid ChannelProfileType"),
        ("auto_subscribe_audio", "yes", TypeError,
         r"RTCConnConfig\.auto_subscribe_audio must be 0/1 or a bool"),
        ("max_port", 70000, ValueError,
         r"RTCConnConfig\.max_port must be between 0 and 65535, got 70000"),
        ("audio_subs_options", None, TypeError,
         r"RTCConnConfig\.audio_subs_options must be an AudioSubscriptionOptions, got NoneType"),
    ],
)
def test_conn_config_validation(attr, value, exc, match):
    config = RTCConnConfig()
    setattr(config, attr, value)
    with pytest.raises(exc, match=match):
        config._validated()


def test_conn_config_validates_nested_options_and_port_order():
    config = RTCConnConfig(audio_subs_options=AudioSubscriptionOptions(sample_rate_hz=11025))
    with pytest.raises(ValueError, match=r"AudioSubscriptionOptions\.sample_rate_hz .*got 11025"):
        config._validated()
    config = RTCConnConfig(min_port=5000, max_port=4000)
    with pytest.raises(ValueError,
                       match=r"RTCConnConfig\.min_port must not exceed RTCConnConfig\.max_port"):
        config._validated()


@pytest.mark.parametrize(
    ("attr", "value", "exc", "match"),
    [
        ("audio_publish_type", 3, ValueError,
         r"RtcConnectionPublishConfig\.audio_publish_type must be a valid AudioPublishType .*got 3"),
        ("video_publish_type", -1, ValueError,
         r"RtcConnectionPublishConfig\.video_publish_type must be a valid VideoPublishType .*got -1"),
        ("audio_profile", AudioProfileType.AUDIO_PROFILE_NUM, ValueError,
         r"RtcConnectionPublishConfig\.audio_profile must be a valid AudioProfileType .*got 7"),
        ("audio_scenario", 1, ValueError, r"RtcConnectionPublishConfig\.audio_scenario"),
        ("is_publish_audio", "true", TypeError,
         r"RtcConnectionPublishConfig\.is_publish_audio must be 0/1 or a bool"),
        ("video_encoded_image_sender_options", {}, TypeError,
         r"RtcConnectionPublishConfig\.video_encoded_image_sender_options must be a SenderOptions"),
    ],
)
def test_publish_config_validation(attr, value, exc, match):
    config = RtcConnectionPublishConfig()
    setattr(config, attr, value)
    with pytest.raises(exc, match=match):
        config._validated()


def test_publish_config_validates_sender_options():
    config = RtcConnectionPublishConfig(video_encoded_image_sender_options=SenderOptions(codec_type=4))
    with pytest.raises(
        ValueError,
        match=r"RtcConnectionPublishConfig\.video_encoded_image_sender_options\.codec_type "
              r"must be a valid VideoCodecType .*got 4"):
        config._validated()


# ---------------------------------------------------------------------------
# Transport URL: parsing and the environment variable fallback
# ---------------------------------------------------------------------------


def test_parse_transport_url_defaults():
    assert parse_transport_url("").is_local
    assert parse_transport_url("local://").is_local
    assert parse_transport_url("local://hub-a").host == "hub-a"
    http = parse_transport_url("janus://127.0.0.1")
    assert (http.scheme, http.host, http.port, http.path) == ("janus", "127.0.0.1", 8088, "/janus")
    ws = parse_transport_url("janus+ws://127.0.0.1")
    assert (ws.scheme, ws.port) == ("janus+ws", 8188)
    custom = parse_transport_url("janus://10.0.0.2:9000/api?admin_key=secret")
    assert (custom.port, custom.path, custom.params) == (9000, "/api", {"admin_key": "secret"})


def test_env_var_name():
    assert TRANSPORT_URL_ENV == "AGORA_RTC_TRANSPORT_URL"


def test_resolve_transport_url_default_is_local(monkeypatch):
    monkeypatch.delenv(TRANSPORT_URL_ENV, raising=False)
    assert resolve_transport_url(AgoraServiceConfig()) == "local://"
    assert resolve_transport_url(None) == "local://"


def test_resolve_transport_url_uses_env_when_config_empty(monkeypatch):
    monkeypatch.setenv(TRANSPORT_URL_ENV, "janus://127.0.0.1:8088")
    config = AgoraServiceConfig()
    config.appid = "sample-code-sets-only-this"
    assert resolve_transport_url(config) == "janus://127.0.0.1:8088"


def test_resolve_transport_url_config_wins_over_env(monkeypatch):
    monkeypatch.setenv(TRANSPORT_URL_ENV, "janus://127.0.0.1:8088")
    assert resolve_transport_url(AgoraServiceConfig(transport_url="local://")) == "local://"
    padded = AgoraServiceConfig(transport_url=" janus+ws://h:8188 ")
    assert resolve_transport_url(padded) == "janus+ws://h:8188"


def test_resolve_transport_url_blank_env_is_ignored(monkeypatch):
    monkeypatch.setenv(TRANSPORT_URL_ENV, "   ")
    assert resolve_transport_url(AgoraServiceConfig()) == "local://"


def test_resolve_transport_url_names_the_env_var_on_error(monkeypatch):
    monkeypatch.setenv(TRANSPORT_URL_ENV, "ftp://nowhere")
    with pytest.raises(ValueError,
                       match=r"environment variable AGORA_RTC_TRANSPORT_URL must be .*'ftp://nowhere'"):
        resolve_transport_url(AgoraServiceConfig())


def test_resolve_transport_url_names_the_field_on_error(monkeypatch):
    monkeypatch.delenv(TRANSPORT_URL_ENV, raising=False)
    with pytest.raises(ValueError, match=r"AgoraServiceConfig\.transport_url must be"):
        resolve_transport_url(AgoraServiceConfig(transport_url="udp://1.2.3.4"))


# ---------------------------------------------------------------------------
# agora_base is a facade over agora_rtc.base (one module per subject)
# ---------------------------------------------------------------------------


def test_facade_reexports_the_subject_modules_objects():
    import pickle

    import agora_rtc
    from agora_rtc import agora_base
    from agora_rtc.base import configs, enums, frames, reports, transport_url

    homes = {}
    for module in (enums, configs, frames, reports, transport_url):
        for name in module.__all__:
            assert name not in homes, f"{name} defined in two subject modules"
            homes[name] = module
    # Every public name of the facade is defined in exactly one subject module
    # (or is the rate table), and is the same object there, here and in agora_rtc.
    for name in agora_base.__all__:
        if name == "SUPPORTED_SAMPLE_RATES":
            continue
        assert getattr(agora_base, name) is getattr(homes[name], name), name
        assert getattr(agora_rtc, name) is getattr(agora_base, name), name
    # `from agora_rtc.agora_base import *` yields exactly __all__.
    namespace: dict = {}
    exec("from agora_rtc.agora_base import *", namespace)
    assert set(namespace) - {"__builtins__"} == set(agora_base.__all__)
    # Records survive pickling and keep their reprs.
    cfg = agora_base.AgoraServiceConfig(appid="app", prefill_ms=40)
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert repr(cfg).startswith("AgoraServiceConfig(log_path='', log_size=0,")
    assert pickle.loads(pickle.dumps(agora_base.VideoCodecType(5))) is agora_base.VideoCodecType.VIDEO_CODEC_VP9


def test_one_table_of_sample_rates_used_everywhere():
    from agora_rtc import local_user, rtc_connection, voice_detection
    from agora_rtc.agent import audio_modality, turn_taking
    from agora_rtc.base import sample_rates
    from agora_rtc.compat import external_audio_processor

    table = sample_rates.SUPPORTED_SAMPLE_RATES
    assert table == (8000, 16000, 22050, 24000, 32000, 44100, 48000)
    # 10 ms frames need a whole number of samples: every rate of the table but 22050 Hz.
    assert sample_rates.PLAYBACK_SAMPLE_RATES == (8000, 16000, 24000, 32000, 44100, 48000)
    from agora_rtc.agora_base import SUPPORTED_SAMPLE_RATES
    assert SUPPORTED_SAMPLE_RATES is table
    assert rtc_connection.PCM_SAMPLE_RATES is table
    assert turn_taking._PUSH_RATES is table and audio_modality._PUSH_RATES is table
    for module in (local_user, voice_detection, external_audio_processor):
        assert module._RATES is sample_rates.PLAYBACK_SAMPLE_RATES, module.__name__


def test_one_set_of_argument_checks():
    from agora_rtc import _validation, agora_base
    from agora_rtc.base import checks

    for name in ("check_int", "check_choice", "check_id", "check_user_id", "as_payload"):
        assert getattr(_validation, name) is getattr(checks, name)
    assert agora_base._check_int is checks.check_field_int
    # The two ways a subject is named: a call argument and a configuration field.
    with pytest.raises(TypeError, match=r"^push_audio_pcm_data: sample_rate must be an int, got float$"):
        checks.check_int("push_audio_pcm_data", "sample_rate", 1.5)
    with pytest.raises(TypeError, match=r"^AgoraServiceConfig\.prefill_ms must be an int, got float 1\.5$"):
        checks.check_field_int("AgoraServiceConfig", "prefill_ms", 1.5)
    with pytest.raises(ValueError, match=r"^AgoraServiceConfig\.prefill_ms must be between 0 and 500, got 900$"):
        AgoraServiceConfig(prefill_ms=900)._validated()
    with pytest.raises(ValueError, match=r"^f: n must be one of 1, 2, got 3$"):
        checks.check_choice("f", "n", 3, (1, 2))
    import numpy as np
    assert checks.check_int("f", "n", np.int16(7)) == 7 and checks.check_field_int("R", "n", np.int64(7)) == 7
    for bad in (True, "7", 7.0, None):
        with pytest.raises(TypeError):
            checks.check_int("f", "n", bad)
        with pytest.raises(TypeError):
            checks.check_field_int("R", "n", bad)
