# coding=utf-8
# An encoded-video sender on the original SDK's media node factory (the pre-2.3
# API that 2.4.9's api examples still use): create_media_node_factory,
# create_video_encoded_image_sender, create_custom_video_track_encoded,
# local_user.publish_video(track), and send_encoded_video_image(address, size,
# info) with a raw address as PyAV's packet.buffer_ptr gives. Frames come from
# <frames file>: records of [1 byte keyframe flag][4 bytes little-endian size][bytes].
# Loops over them at <fps> until SIGINT/SIGTERM, then prints "RESULT {json}".
# usage: encoded_video_sender.py <channel> <user> <frames file> <fps>
import asyncio
import ctypes
import json
import signal
import struct
import sys

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, RTCConnConfig
from agora.rtc.media_node_factory import *
from agora.rtc.video_encoded_image_sender import *
from agora.rtc.agora_base import *


def read_frames(path):
    frames = []
    with open(path, "rb") as f:
        while True:
            head = f.read(5)
            if len(head) < 5:
                return frames
            key, size = struct.unpack("<BI", head)
            frames.append((bool(key), f.read(size)))


async def main():
    channel, user, path, fps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    config = AgoraServiceConfig()
    config.appid = "porting-test"
    config.enable_video = 1
    service = AgoraService()
    service.initialize(config)
    conn = service.create_rtc_connection(RTCConnConfig(
        client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER,
        channel_profile=ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING))
    factory = service.create_media_node_factory()
    sender = factory.create_video_encoded_image_sender()
    track = service.create_custom_video_track_encoded(
        sender, SenderOptions(target_bitrate=1000, cc_mode=TCcMode.CC_ENABLED, codec_type=VideoCodecType.VIDEO_CODEC_H264))
    conn.connect(config.appid, channel, user)
    local_user = conn.get_local_user()
    local_user.publish_video(track)
    frames = read_frames(path)
    sent, codes = 0, {}
    while not stop.is_set():
        for key, data in frames:
            if stop.is_set():
                break
            buf = ctypes.create_string_buffer(data, len(data))
            info = EncodedVideoFrameInfo(codec_type=VideoCodecType.VIDEO_CODEC_H264, width=320, height=240,
                                         frames_per_second=fps, frame_type=3 if key else 4)
            ret = sender.send_encoded_video_image(ctypes.addressof(buf), len(data), info)
            codes[str(ret)] = codes.get(str(ret), 0) + 1
            sent += 1
            await asyncio.sleep(1.0 / fps)
    local_user.unpublish_video(track)
    sender.release()
    factory.release()
    conn.disconnect()
    conn.release()
    service.release()
    print("RESULT " + json.dumps({"sent": sent, "codes": codes}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
