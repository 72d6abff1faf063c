"""A fleet of agent workers dispatched through Redis (README "Running a fleet").

* `Worker` runs many agent sessions in one process and takes jobs ("an agent for
  room R on Janus J") from a Redis stream with a consumer group
  (``python -m agora_rtc.fleet worker my_agent:entry --redis redis://...``);
* `Dispatcher` places rooms on Janus servers by load and queues jobs
  (``dispatch(room, metadata)``); its `RoomWatcher` dispatches when the first human
  joins a room;
* a room is served by one agent: the holder of its lease key (`agora_rtc.fleet.leases`);
* every Redis key is listed in `agora_rtc.fleet.keys`.

Needs the ``redis`` package (extra ``fleet``).
"""
from agora_rtc.fleet.dispatcher import Dispatcher, NoJanusError, RoomWatcher
from agora_rtc.fleet.jobs import Job, JobError
from agora_rtc.fleet.keys import Keys
from agora_rtc.fleet.redis_server import REDIS_MISSING_REASON, RedisServer, redis_server_available
from agora_rtc.fleet.session import AgentContext
from agora_rtc.fleet.worker import Worker

__all__ = ["Worker", "Dispatcher", "RoomWatcher", "NoJanusError", "AgentContext", "Job",
           "JobError", "Keys", "RedisServer", "redis_server_available", "REDIS_MISSING_REASON"]
