"""The agent of bench_fleet.py: joins its room and records in Redis (hash
``<namespace>:bench:<room>``) when it joined and when it first heard the room's human."""
import time

import agora_rtc as ar


class Ears(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    def __init__(self, ctx):
        self.ctx = ctx
        self.key = f"{ctx.namespace}:bench:{ctx.room}"
        self.heard = False

    def on_connected(self, conn, info, reason):
        self.ctx.redis.hset(self.key, "joined", repr(time.time()))

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame,
                                              vad_result_state, vad_result_bytearray):
        if not self.heard and uid.startswith("human") and frame.rms > 50:
            self.heard = True
            self.ctx.redis.hset(self.key, mapping={"heard": repr(time.time()),
                                                   "worker": self.ctx.worker_id})


def entry(ctx):
    ears = Ears(ctx)
    ctx.connect(ears, audio_frame_observer=ears)
    ctx.wait()
