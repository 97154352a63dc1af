"""Per-socket limits on questions: a flood is refused, then the socket is closed (4429).

Each socket has its own bucket, so one person's flood costs nobody else anything beyond the
frames it manages to send before the close.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

SEND_BURST = 10  # questions a socket may send back to back
SEND_PER_SECOND = 1.0  # and then, sustained
REFUSALS_BEFORE_CLOSE = 10  # refused questions within a minute that are tolerated
REFUSAL_WINDOW_S = 60.0
CLOSE_RATE_LIMITED = 4429


def _now() -> float:
    return time.monotonic()


@dataclass
class SendRateLimit:
    burst: int = SEND_BURST
    per_second: float = SEND_PER_SECOND
    refusals_before_close: int = REFUSALS_BEFORE_CLOSE
    _tokens: float = field(init=False)
    _at: float = field(init=False, default_factory=_now)
    _refusals: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)

    def allow(self) -> bool:
        """Take one question from the bucket; False (and one refusal counted) when empty."""
        now = _now()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.per_second)
        self._at = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self._refusals = [t for t in self._refusals if now - t < REFUSAL_WINDOW_S]
        self._refusals.append(now)
        return False

    @property
    def exhausted(self) -> bool:
        """More refusals within the window than tolerated: time to close the socket."""
        now = _now()
        recent = sum(1 for t in self._refusals if now - t < REFUSAL_WINDOW_S)
        return recent > self.refusals_before_close

    @property
    def retry_after_s(self) -> float:
        return max(0.0, (1.0 - self._tokens) / self.per_second)
