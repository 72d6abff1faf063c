# coding=utf-8
# An echo agent in the style of the original SDK's example_audio_pcm_loopback:
# the audio frame observer hands each heard 10 ms frame back to the asyncio loop
# (call_soon_threadsafe), which pushes it with a start_pts packing ids into all
# 64 bits. Leaves after echoing <frames> frames (or <seconds>), printing "RESULT {json}".
# usage: echo_back_agent.py <channel> <user> <frames> <seconds>
import asyncio
import json
import struct
import sys

from agora.rtc.agora_service import AgoraServiceConfig, AgoraService, RTCConnConfig
from agora.rtc.rtc_connection import *
from agora.rtc.audio_frame_observer import *
from agora.rtc.agora_base import *


def pack_ids(version, session, sentence, chunk):
    # 4 x 16 bits, top bit set: above 2**62, as the loopback example's packing
    return struct.unpack("<q", struct.pack("<HHHH", chunk, sentence, session, 0x8000 | version))[0]


class EchoObserver(IAudioFrameObserver):
    def __init__(self, conn, loop, wanted, done):
        super().__init__()
        self.conn, self.loop, self.wanted, self.done = conn, loop, wanted, done
        self.echoed, self.codes = 0, {}

    def _push(self, pcm, pts):
        if self.done.is_set():
            # echoed enough: stop, so the queue can drain while the speaker talks on (with a
            # pair of frames per 20 ms RTP pull against one cut per 10 ms tick, a queue fed
            # forever may never look empty, depending on the two clocks' phase)
            return
        ret = self.conn.push_audio_pcm_data(pcm, 16000, 1, pts)
        self.codes[str(ret)] = self.codes.get(str(ret), 0) + 1
        self.echoed += 1
        if self.echoed >= self.wanted:
            self.done.set()

    def on_playback_audio_frame_before_mixing(self, agora_local_user, channelId, uid, audio_frame: AudioFrame,
                                              vad_result_state: int, vad_result_bytearray: bytearray):
        pts = pack_ids(1, 7, self.echoed // 100, self.echoed % 100)
        self.loop.call_soon_threadsafe(self._push, bytes(audio_frame.buffer), pts)
        return 1


async def main():
    channel, user, wanted, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    config = AgoraServiceConfig()
    config.appid = "porting-test"
    service = AgoraService()
    service.initialize(config)
    conn = service.create_rtc_connection(RTCConnConfig(auto_subscribe_audio=1,
                                                       client_role_type=ClientRoleType.CLIENT_ROLE_BROADCASTER))
    done = asyncio.Event()
    observer = EchoObserver(conn, asyncio.get_running_loop(), wanted, done)
    conn.get_local_user().set_playback_audio_frame_before_mixing_parameters(1, 16000)
    conn.register_audio_frame_observer(observer, 0, None)
    conn.connect(config.appid, channel, user)
    conn.publish_audio()
    try:
        await asyncio.wait_for(done.wait(), seconds)
    except asyncio.TimeoutError:
        pass
    while not conn.is_push_to_rtc_completed():   # let the last echoes leave
        await asyncio.sleep(0.05)
    conn.disconnect()
    conn.release()
    service.release()
    print("RESULT " + json.dumps({"echoed": observer.echoed, "codes": observer.codes}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
