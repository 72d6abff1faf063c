# coding=utf-8
# A raw-video sender in the style of the original SDK's example_video_yuv_send /
# example_jpeg_send / example_pcm_yuv_send_receive: set_video_encoder_configuration
# (an H.264 request, the size and rate it wants), a low simulcast stream asked for,
# publish_video, then push_video_frame of I420 (or RGBA) frames read from <file>
# (frames back to back, <width> x <height>) at <fps>, looping, until SIGINT/SIGTERM.
# Prints "RESULT {json}" with the push return codes and set_simulcast_stream's.
# usage: raw_video_sender.py <channel> <user> <file> <width> <height> <fps> <i420|rgba> <enc width> <enc height>
import asyncio
import json
import signal
import sys

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, RTCConnConfig
from agora.rtc.rtc_connection import *
from agora.rtc.video_frame_sender import ExternalVideoFrame
from agora.rtc.agora_base import *


async def main():
    channel, user, path = sys.argv[1], sys.argv[2], sys.argv[3]
    width, height, fps = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    rgba = sys.argv[7] == "rgba"
    enc_width, enc_height = int(sys.argv[8]), int(sys.argv[9])
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
        auto_subscribe_audio=1, auto_subscribe_video=1,
        client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER,
        channel_profile=ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING))
    conn.connect(config.appid, channel, user)
    conn.set_video_encoder_configuration(VideoEncoderConfiguration(
        frame_rate=fps, codec_type=VideoCodecType.VIDEO_CODEC_H264,
        dimensions=VideoDimensions(width=enc_width, height=enc_height),
        bitrate=1000, min_bitrate=333, encode_alpha=0))
    simulcast = conn.set_simulcast_stream(True, SimulcastStreamConfig(
        dimensions=VideoDimensions(width=enc_width // 2, height=enc_height // 2), bitrate=300, framerate=fps // 2))
    conn.publish_video()
    frame_size = width * height * (4 if rgba else 3) // (1 if rgba else 2)
    with open(path, "rb") as f:
        data = f.read()
    frames = [bytearray(data[i:i + frame_size]) for i in range(0, len(data) - frame_size + 1, frame_size)]
    codes, sent = {}, 0
    while not stop.is_set():
        for buf in frames:
            if stop.is_set():
                break
            frame = ExternalVideoFrame()
            frame.buffer = buf
            frame.type = 1
            frame.format = 4 if rgba else 1
            frame.stride = width
            frame.height = height
            frame.timestamp = 0
            frame.metadata = bytearray(b"hello metadata")
            ret = conn.push_video_frame(frame)
            codes[str(ret)] = codes.get(str(ret), 0) + 1
            sent += 1
            await asyncio.sleep(1.0 / fps)
    conn.unpublish_video()
    conn.disconnect()
    conn.release()
    service.release()
    print("RESULT " + json.dumps({"sent": sent, "codes": codes, "simulcast": simulcast}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
