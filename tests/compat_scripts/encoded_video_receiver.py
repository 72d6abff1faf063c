# coding=utf-8
# An encoded-video receiver in the style of the original SDK's
# example_video_encoded_receive: subscribe_all_video(encodedFrameOnly) and an
# IVideoEncodedFrameObserver. Leaves after <count> frames (or <seconds>) and
# prints "RESULT {json}" with each frame's SHA-1, type and size.
# usage: encoded_video_receiver.py <channel> <user> <count> <seconds>
import hashlib
import json
import sys
import threading

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, RTCConnConfig
from agora.rtc.rtc_connection import *
from agora.rtc.video_encoded_frame_observer import IVideoEncodedFrameObserver
from agora.rtc.agora_base import *


class CollectingObserver(IVideoEncodedFrameObserver):
    def __init__(self, count):
        super().__init__()
        self.count, self.frames = count, []
        self.done = threading.Event()

    def on_encoded_video_frame(self, uid, image_buffer, length, video_encoded_frame_info):
        self.frames.append({"uid": uid, "sha1": hashlib.sha1(bytes(image_buffer)).hexdigest(), "length": length,
                            "type": video_encoded_frame_info.frame_type,
                            "codec": video_encoded_frame_info.codec_type,
                            "size": [video_encoded_frame_info.width, video_encoded_frame_info.height]})
        if len(self.frames) >= self.count:
            self.done.set()
        return 1


def main():
    channel, user, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    config = AgoraServiceConfig()
    config.appid = "porting-test"
    config.enable_video = 1
    service = AgoraService()
    service.initialize(config)
    conn = service.create_rtc_connection(RTCConnConfig(auto_subscribe_audio=1, auto_subscribe_video=1,
                                                       client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER))
    observer = CollectingObserver(count)
    conn.get_local_user().subscribe_all_video(VideoSubscriptionOptions(type=VideoStreamType.VIDEO_STREAM_HIGH,
                                                                       encodedFrameOnly=True))
    conn.register_video_encoded_frame_observer(observer)
    conn.connect(config.appid, channel, user)
    observer.done.wait(seconds)
    conn.unregister_video_encoded_frame_observer()
    conn.disconnect()
    conn.release()
    service.release()
    print("RESULT " + json.dumps({"frames": observer.frames}), flush=True)


if __name__ == "__main__":
    main()
