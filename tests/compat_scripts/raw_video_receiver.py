# coding=utf-8
# A raw-video receiver in the style of the original SDK's example_video_yuv_receive /
# example_pcm_yuv_receive: auto_subscribe_video and an IVideoFrameObserver whose
# on_frame writes each picture's planes (row by row, by their strides) to <out>.
# Leaves after <count> pictures (or <seconds>) and prints "RESULT {json}" with each
# picture's user and size.
# usage: raw_video_receiver.py <channel> <user> <out> <count> <seconds>
import json
import sys
import threading

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, RTCConnConfig
from agora.rtc.rtc_connection import *
from agora.rtc.video_frame_observer import IVideoFrameObserver, VideoFrame
from agora.rtc.agora_base import *


class SavingObserver(IVideoFrameObserver):
    def __init__(self, out, count):
        super().__init__()
        self.out, self.count, self.frames = out, count, []
        self.done = threading.Event()

    def on_frame(self, channel_id, remote_uid, frame: VideoFrame):
        if self.done.is_set():
            return 1
        w, h = frame.width, frame.height
        for plane, stride, rows, cols in ((frame.y_buffer, frame.y_stride, h, w),
                                          (frame.u_buffer, frame.u_stride, h // 2, w // 2),
                                          (frame.v_buffer, frame.v_stride, h // 2, w // 2)):
            for r in range(rows):
                self.out.write(plane[r * stride:r * stride + cols])
        self.frames.append({"uid": remote_uid, "size": [w, h]})
        if len(self.frames) >= self.count:
            self.done.set()
        return 1


def main():
    channel, user, path, count, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    config = AgoraServiceConfig()
    config.appid = "porting-test"
    config.enable_video = 1
    service = AgoraService()
    service.initialize(config)
    conn = service.create_rtc_connection(RTCConnConfig(auto_subscribe_audio=1, auto_subscribe_video=1,
                                                       client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER))
    with open(path, "wb") as out:
        observer = SavingObserver(out, count)
        conn.register_video_frame_observer(observer)
        conn.connect(config.appid, channel, user)
        observer.done.wait(seconds)
        conn.unregister_video_frame_observer()
    conn.disconnect()
    conn.release()
    service.release()
    print("RESULT " + json.dumps({"frames": observer.frames}), flush=True)


if __name__ == "__main__":
    main()
