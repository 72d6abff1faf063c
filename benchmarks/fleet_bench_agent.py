"""The agent of bench_fleet.py: joins its room and records in Redis (hash
``<namespace>:bench:<room>``) when it called connect, when that call returned, when it
joined and when it first heard the room's human."""
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
    ctx.redis.hset(ears.key, "connect_at", repr(time.time()))
    ctx.connect(ears, audio_frame_observer=ears)
    ctx.redis.hset(ears.key, "connected_call_at", repr(time.time()))
    ctx.wait()


def short_session(ctx):
    """Joins for ``metadata["seconds"]``, then leaves; records its span (list
    ``<namespace>:bench:spans:<room>``: "start|end <worker> <job> <time>") so that the
    benchmark can check that no two agents ever served the room at once."""
    key = f"{ctx.namespace}:bench:spans:{ctx.room}"
    ctx.redis.rpush(key, f"start {ctx.worker_id} {ctx.job.id} {time.time()!r}")
    ctx.connect()
    ctx.wait(float(ctx.metadata.get("seconds", 1.0)))
    ctx.leave()                       # the agent has left the room when the span ends
    ctx.redis.rpush(key, f"end {ctx.worker_id} {ctx.job.id} {time.time()!r}")
