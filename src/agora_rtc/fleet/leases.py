"""Room leases: the one agent serving a room is the holder of its lease key.

A lease is a Redis string ``"<worker id> <job id>"`` with a TTL. It is taken with
SET NX, renewed by its holder (a Lua script: renew only what we hold), and released
by its holder only. A holder that dies stops renewing and the room is free after
the TTL. After a Redis restart that lost the key, the holder takes it again at its
next renewal; if someone else holds it by then, the renewal fails and the holder's
session stops, so a room is never served twice.
"""
from __future__ import annotations

from typing import Optional

import redis

# 1 renewed, 2 taken again (the key was gone), 0 held by someone else
_RENEW = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Leases:
    def __init__(self, client: redis.Redis, ttl_ms: int) -> None:
        self.r = client
        self.ttl_ms = int(ttl_ms)
        self._renew = client.register_script(_RENEW)
        self._release = client.register_script(_RELEASE)

    def acquire(self, key: str, holder: str) -> bool:
        return bool(self.r.set(key, holder, nx=True, px=self.ttl_ms))

    def renew(self, key: str, holder: str) -> bool:
        """True while we hold it (renewed or taken again)."""
        return int(self._renew(keys=[key], args=[holder, self.ttl_ms])) > 0

    def release(self, key: str, holder: str) -> None:
        self._release(keys=[key], args=[holder])

    def holder(self, key: str) -> Optional[str]:
        v = self.r.get(key)
        return v.decode() if isinstance(v, bytes) else v
