"""The agent tests/test_fleet.py runs in its worker processes: it joins its room,
and records in Redis (list ``<namespace>:test:heard:<room>``) the first time it
hears a human there. Metadata {"raise": "why"} makes the entry raise."""
import time

import agora_rtc as ar


class Ears(ar.IRTCConnectionObserver, ar.IAudioFrameObserver):
    def __init__(self, ctx):
        self.ctx = ctx
        self.heard = False

    def on_playback_audio_frame_before_mixing(self, local_user, channel_id, uid, frame,
                                              vad_result_state, vad_result_bytearray):
        if not self.heard and uid.startswith("human") and frame.rms > 50:
            self.heard = True
            self.ctx.redis.rpush(f"{self.ctx.namespace}:test:heard:{self.ctx.room}",
                                 f"{self.ctx.worker_id} {time.time()!r}")


def entry(ctx):
    if "raise" in ctx.metadata:
        raise RuntimeError(ctx.metadata["raise"])
    ears = Ears(ctx)
    ctx.connect(ears, audio_frame_observer=ears)
    ctx.wait()
