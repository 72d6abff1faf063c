# coding=utf-8
# An agent written for the original Agora Python Server SDK (2.3/2.4), in the
# style of its examples: imports from agora.rtc.*, observers subclassing the
# original's class names, configs filled attribute by attribute, positional
# AudioVadConfigV2, names leaked by `import *` (logger, time). Run UNCHANGED by
# tests/test_compat.py through `python -m agora_rtc.compat`.
import json
import threading
import wave

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, AudioSubscriptionOptions, RTCConnConfig
from agora.rtc.rtc_connection import *
from agora.rtc.audio_frame_observer import *
from agora.rtc.local_user import *
from agora.rtc.local_user_observer import *
from agora.rtc.rtc_connection_observer import IRTCConnectionObserver
from agora.rtc.voice_detection import *
from agora.rtc.utils.audio_consumer import AudioConsumer
from agora.rtc.agora_base import *


class ExampleConnectionObserver(IRTCConnectionObserver):
    def __init__(self):
        super(ExampleConnectionObserver, self).__init__()
        self.connected = threading.Event()
        self.joined = []

    def on_connected(self, agora_rtc_conn, conn_info: RTCConnInfo, reason):
        logger.info(f"on_connected, agora_rtc_conn={agora_rtc_conn}, local_user_id={conn_info.local_user_id}, state={conn_info.state}, internal_uid={conn_info.internal_uid} ,reason={reason}")
        self.connected.set()

    def on_user_joined(self, agora_rtc_conn, user_id):
        self.joined.append(user_id)


class ExampleLocalUserObserver(IRTCLocalUserObserver):
    def __init__(self):
        super(ExampleLocalUserObserver, self).__init__()
        self.messages = []
        self.got_message = threading.Event()

    def on_stream_message(self, agora_local_user, user_id, stream_id, data, length):
        self.messages.append((user_id, bytes(data).decode("utf-8"), length))
        self.got_message.set()
        return 0


class MyAudioFrameObserver(IAudioFrameObserver):
    def __init__(self):
        super(MyAudioFrameObserver, self).__init__()
        self.states = []
        self.vad_bytes = 0
        self.samples_per_sec = set()
        self.stopped = threading.Event()

    def on_playback_audio_frame_before_mixing(self, agora_local_user, channelId, uid, audio_frame: AudioFrame, vad_result_state: int, vad_result_bytearray: bytearray):
        self.samples_per_sec.add(audio_frame.samples_per_sec)
        if vad_result_state in (1, 2, 3) and vad_result_bytearray != None:
            if not self.states or self.states[-1] != vad_result_state:
                self.states.append(vad_result_state)
            self.vad_bytes += len(vad_result_bytearray)
            if vad_result_state == 3:
                self.stopped.set()
        return 1


def main():
    appid, channel_id, audio_file = sys.argv[1], sys.argv[2], sys.argv[3]

    config = AgoraServiceConfig()
    config.appid = appid
    config.audio_scenario = AudioScenarioType.AUDIO_SCENARIO_AI_SERVER
    agora_service = AgoraService()
    agora_service.initialize(config)

    sub_opt = AudioSubscriptionOptions(
        packet_only=0,
        pcm_data_only=1,
        bytes_per_sample=2,
        number_of_channels=1,
        sample_rate_hz=16000
    )
    con_config = RTCConnConfig(
        auto_subscribe_audio=1,
        auto_subscribe_video=0,
        client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER,
        channel_profile=ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING,
        audio_recv_media_packet=0,
        audio_subs_options=sub_opt,
        enable_audio_recording_or_playout=0,
    )
    publish_config = RtcConnectionPublishConfig(
        audio_profile=AudioProfileType.AUDIO_PROFILE_DEFAULT,
        audio_scenario=AudioScenarioType.AUDIO_SCENARIO_AI_SERVER,
        is_publish_audio=True,
        is_publish_video=False,
        audio_publish_type=AudioPublishType.AUDIO_PUBLISH_TYPE_PCM,
        video_publish_type=VideoPublishType.VIDEO_PUBLISH_TYPE_NONE,
    )

    # the agent: receives with the SDK's built-in VAD
    agent = agora_service.create_rtc_connection(con_config, publish_config)
    conn_observer = ExampleConnectionObserver()
    local_observer = ExampleLocalUserObserver()
    audio_observer = MyAudioFrameObserver()
    agent.register_observer(conn_observer)
    agent.register_local_user_observer(local_observer)
    localuser = agent.get_local_user()
    localuser.set_playback_audio_frame_before_mixing_parameters(1, 16000)
    vad_configure = AudioVadConfigV2(16, 30, 50, 0.7, 0.5, 70, 70, -50)
    agent.register_audio_frame_observer(audio_observer, 1, vad_configure)
    agent.connect(appid, channel_id, "1000")
    localuser.subscribe_all_audio()

    # the caller: pushes pcm
    caller = agora_service.create_rtc_connection(con_config, publish_config)
    caller_observer = ExampleConnectionObserver()
    caller.register_observer(caller_observer)
    caller.connect(appid, channel_id, "2000")
    if not (conn_observer.connected.wait(20) and caller_observer.connected.wait(20)):
        raise SystemExit("not connected")
    caller.publish_audio()

    with wave.open(audio_file, "rb") as w:
        pcm = w.readframes(w.getnframes())
        sample_rate = w.getframerate()
    silence = bytes(sample_rate // 100 * 2 * 100)  # 1 s, so the VAD sees the stop
    ret = caller.push_audio_pcm_data(pcm + silence, sample_rate, 1)
    logger.info(f"push_audio_pcm_data ret={ret}")
    audio_observer.stopped.wait(30)
    caller.send_stream_message("turn-done".encode("utf-8"))
    local_observer.got_message.wait(10)

    result = {
        "push_ret": ret,
        "states": audio_observer.states,
        "vad_bytes": audio_observer.vad_bytes,
        "samples_per_sec": sorted(audio_observer.samples_per_sec),
        "joined": conn_observer.joined,
        "messages": local_observer.messages,
        "consumer_class": AudioConsumer.__name__,
    }
    print("RESULT " + json.dumps(result), flush=True)

    caller.disconnect()
    agent.disconnect()
    caller.release()
    agent.release()
    agora_service.release()


if __name__ == "__main__":
    main()
