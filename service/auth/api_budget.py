"""A per-person budget for the signed-in HTTP API (threads, messages, search, usage, me, ...).

Each person has a token bucket shared by every instance in Redis (`API_BURST` calls at once,
then `API_PER_SECOND`); a call past it is refused `rate_limited` with Retry-After. The bucket's
clock is Redis's own (`TIME` inside the script), so instances whose clocks disagree still share
one budget. While Redis is unreachable each instance keeps a local bucket per person instead:
the limit holds per instance rather than not at all.

The defaults are far above what a person's page or the load tool asks for: this stops a script
hammering the API, not a person reading their threads.
"""

from __future__ import annotations

import logging
import math
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.errors import RateLimited
from service.resilience.outage_log import OutageNotice
from service.token_bucket import Bucket

log = logging.getLogger("service.api_budget")
PREFIX = "api:budget:"
LOCAL_BUCKETS_MAX = 10_000  # people tracked by the local fallback before full buckets go

# KEYS[1] the person's bucket; ARGV burst, tokens per second. Returns the seconds to wait (0:
# taken). TIME is Redis's clock: every instance measures the refill on the same one.
TAKE = """
local burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""


class ApiBudget:
    def __init__(self, redis: Redis, *, burst: int, per_second: float) -> None:
        self._redis = redis
        self.burst = burst
        self.per_second = per_second
        self._local: dict[uuid.UUID, Bucket] = {}
        self._down = OutageNotice(log, "shared API budget (limiting locally)")

    async def spend(self, user_id: uuid.UUID) -> None:
        """Count one call of this person's, or raise RateLimited with the seconds to wait."""
        wait = await self._wait(user_id)
        if wait > 0:
            raise RateLimited(
                "Too many requests from this account; slow down",
                retry_after=max(1, math.ceil(wait)),
            )

    async def _wait(self, user_id: uuid.UUID) -> float:
        try:
            key = PREFIX + str(user_id)
            wait = await self._redis.eval(TAKE, 1, key, self.burst, self.per_second)
        except (RedisError, OSError) as exc:
            self._down.failed(exc)
        else:
            self._down.ok()
            return float(wait)
        if len(self._local) > LOCAL_BUCKETS_MAX:
            self._local = {k: b for k, b in self._local.items() if not b.full}
        return self._local.setdefault(user_id, Bucket(self.burst, self.per_second)).take()
