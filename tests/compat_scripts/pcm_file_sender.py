# coding=utf-8
# A PCM sender in the style of the original SDK's 2.4 examples (RTCBaseProcess,
# push_pcm_data_from_file): asyncio, a service config whose log folder does not
# exist yet, create_rtc_connection(conn_config, publish_config), publish_audio,
# and a push loop gated on is_push_to_rtc_completed. Runs until SIGINT/SIGTERM,
# then prints "RESULT {json}". Run unchanged through `python -m agora_rtc.compat`.
# usage: pcm_file_sender.py <channel> <user> <file.pcm 16 kHz mono> <log dir>
import asyncio
import json
import os
import signal
import sys

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, RTCConnConfig
from agora.rtc.rtc_connection import *
from agora.rtc.agora_base import *


async def main():
    channel, user, pcm_path, log_dir = sys.argv[1:5]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, stop.set)
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    config = AgoraServiceConfig()
    config.appid = "porting-test"
    config.log_path = os.path.join(log_dir, "deeper", "agorasdk.log")   # folder made by the SDK
    service = AgoraService()
    service.initialize(config)
    conn = service.create_rtc_connection(
        RTCConnConfig(client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER,
                      channel_profile=ChannelProfileType.CHANNEL_PROFILE_LIVE_BROADCASTING),
        RtcConnectionPublishConfig(audio_profile=AudioProfileType.AUDIO_PROFILE_DEFAULT,
                                   audio_scenario=AudioScenarioType.AUDIO_SCENARIO_AI_SERVER,
                                   is_publish_audio=True, is_publish_video=False,
                                   audio_publish_type=AudioPublishType.AUDIO_PUBLISH_TYPE_PCM))
    conn.connect(config.appid, channel, user)
    conn.publish_audio()
    rounds, codes = 0, set()
    with open(pcm_path, "rb") as f:
        whole = bytearray(f.read())
    whole = whole[:len(whole) // 320 * 320]
    while not stop.is_set():
        if conn.is_push_to_rtc_completed():
            codes.add(conn.push_audio_pcm_data(memoryview(whole), 16000, 1))
            rounds += 1
        await asyncio.sleep(0.05)
    conn.disconnect()
    conn.release()
    service.release()
    print("RESULT " + json.dumps({"rounds": rounds, "codes": sorted(codes),
                                  "log_written": os.path.isfile(config.log_path)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
