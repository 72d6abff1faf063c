"""Room leases: the one agent serving a room is the holder of its lease key.

A lease is a Redis string ``"<worker id> <job id>"`` with a TTL. It is taken with
SET NX, renewed by its holder (a Lua script: renew only what we hold; a worker renews
all of its leases with one call), and released by its holder only. A holder that dies stops renewing and the room is free after
the TTL. After a Redis restart that lost the key, the holder takes it again at its
next renewal; if someone else holds it by then, the renewal fails and the holder's
session stops, so a room is never served twice.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import redis

# renew each key held by its holder (ARGV: ttl, then the holders in the order of KEYS):
# 1 renewed, 2 taken again (the key was gone), 0 held by someone else
_RENEW_ALL = """
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  if v == ARGV[i + 1] then redis.call('PEXPIRE', key, ARGV[1]) out[i] = 1
  elseif not v then redis.call('SET', key, ARGV[i + 1], 'PX', ARGV[1]) out[i] = 2
  else out[i] = 0 end
end
return out
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class Leases:
    def __init__(self, client: redis.Redis, ttl_ms: int) -> None:
        self.r = client
        self.ttl_ms = int(ttl_ms)
        self._renew_all = client.register_script(_RENEW_ALL)
        self._release = client.register_script(_RELEASE)

    def acquire(self, key: str, holder: str) -> bool:
        return bool(self.r.set(key, holder, nx=True, px=self.ttl_ms))

    def renew_all(self, leases: Sequence[Tuple[str, str]]) -> List[bool]:
        """Renew each (key, holder); True for each still held (renewed, or taken again
        after a Redis restart lost it). One round trip for all: a worker's leases stay
        renewed within their TTL however many sessions it runs."""
        if not leases:
            return []
        keys = [k for k, _ in leases]
        done = self._renew_all(keys=keys, args=[self.ttl_ms, *(h for _, h in leases)])
        return [int(v) > 0 for v in done]

    def release(self, key: str, holder: str) -> None:
        self._release(keys=[key], args=[holder])

    def holder(self, key: str) -> Optional[str]:
        v = self.r.get(key)
        return v.decode() if isinstance(v, bytes) else v
