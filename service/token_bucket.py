"""One token bucket for every limit kept in this process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Bucket:
    """A token bucket in this process (the same arithmetic as the shared limits' `_TAKE` in Redis):
    the per-socket frame budget, and the fallbacks of the per-person limits while Redis is away."""

    burst: float
    per_second: float
    tokens: float = field(init=False)
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = self.burst

    def take(self, cost: float = 1.0) -> float:
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
