"""One token bucket, two places it lives: in Redis, shared by every instance (`TAKE`), and in
this process (`Bucket`) while Redis is unreachable. Same arithmetic in both: `burst` tokens at
once, then `per_second`; taking `cost` answers 0, or the seconds until it could be taken.

The chat's question, catch-up and frame limits (service/delivery/chat/) and the signed-in API's
budget (service/auth/api_budget.py) use it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Redis's clock (TIME), never the instance's: every instance refills the same bucket the same
# way, whatever its own clock says. Scripts that need `now` start with it.
REDIS_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# KEYS[1] the bucket; ARGV burst, tokens per second, cost. Returns the seconds to wait (0: taken).
TAKE = (
    REDIS_NOW
    + """
local burst, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""
)


@dataclass
class Bucket:
    """A token bucket in this process (the same arithmetic as `TAKE`)."""

    burst: float
    per_second: float
    tokens: float = field(init=False)
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, cost: float = 1) -> float:
        """0 when `cost` tokens were taken, else the seconds until they could be."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= cost:
            self.tokens -= cost
            return 0.0
        return (cost - self.tokens) / self.per_second

    @property
    def full(self) -> bool:
        return self.tokens + (time.monotonic() - self.at) * self.per_second >= self.burst
