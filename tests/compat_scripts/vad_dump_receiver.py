# coding=utf-8
# A receiver in the style of the original SDK's example_audio_vad: audio frame
# observer with the V2 VAD (positional AudioVadConfigV2), every frame written to
# the original's VadDump (open / write(frame, bytes, state) / close), and
# LocalUser.unregister_audio_frame_observer at the end. Leaves after hearing
# <utterances> complete utterances (or <seconds>), then prints "RESULT {json}".
# usage: vad_dump_receiver.py <channel> <user> <dump dir> <utterances> <seconds>
import json
import sys
import threading

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, AudioSubscriptionOptions, RTCConnConfig
from agora.rtc.rtc_connection import *
from agora.rtc.audio_frame_observer import *
from agora.rtc.voice_detection import *
from agora.rtc.utils.vad_dump import VadDump
from agora.rtc.agora_base import *


class DumpingObserver(IAudioFrameObserver):
    def __init__(self, dump, wanted):
        super().__init__()
        self.dump, self.wanted = dump, wanted
        self.frames, self.states, self.speech_bytes, self.stops = 0, {}, 0, 0
        self.done = threading.Event()

    def on_playback_audio_frame_before_mixing(self, agora_local_user, channelId, uid, audio_frame: AudioFrame,
                                              vad_result_state: int, vad_result_bytearray: bytearray):
        self.dump.write(audio_frame, vad_result_bytearray, vad_result_state)
        self.frames += 1
        states = self.states.setdefault(uid, [])      # the VAD's state changes, per user
        if vad_result_state != 0 and (not states or states[-1] != vad_result_state):
            states.append(vad_result_state)
        if vad_result_state in (1, 2, 3):
            self.speech_bytes += len(vad_result_bytearray)
        if vad_result_state == 3:
            self.stops += 1
            if self.stops >= self.wanted:
                self.done.set()
        return 1


def main():
    channel, user, dump_dir, wanted, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    config = AgoraServiceConfig()
    config.appid = "porting-test"
    service = AgoraService()
    service.initialize(config)
    conn = service.create_rtc_connection(RTCConnConfig(
        auto_subscribe_audio=1, auto_subscribe_video=0,
        client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER,
        channel_profile=ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING,
        audio_subs_options=AudioSubscriptionOptions(packet_only=0, pcm_data_only=1, bytes_per_sample=2,
                                                    number_of_channels=1, sample_rate_hz=16000)))
    dump = VadDump(dump_dir)
    dump.open()
    observer = DumpingObserver(dump, wanted)
    local_user = conn.get_local_user()
    local_user.set_playback_audio_frame_before_mixing_parameters(1, 16000)
    conn.register_audio_frame_observer(observer, 1, AudioVadConfigV2(16, 30, 50, 0.7, 0.5, 70, 70, -50))
    conn.connect(config.appid, channel, user)
    print("READY", flush=True)
    observer.done.wait(seconds)
    local_user.unregister_audio_frame_observer()
    dump.close()
    conn.disconnect()
    conn.release()
    service.release()
    print("RESULT " + json.dumps({"frames": observer.frames, "states": observer.states,
                                  "stops": observer.stops, "speech_bytes": observer.speech_bytes,
                                  "dump": dump.path}), flush=True)


if __name__ == "__main__":
    main()
