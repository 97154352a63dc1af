"""Per-socket tolerance of refused requests: past it, the socket is closed (4429).

Questions and resumes are limited per person, across sockets and instances
(`service/delivery/chat/chat_limits.py`); each socket counts the refusals it got, so a client
that keeps pushing after being told to slow down is cut off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

REFUSALS_BEFORE_CLOSE = 10  # refused requests within a minute that are tolerated
REFUSAL_WINDOW_S = 60.0


@dataclass
class SendRateLimit:
    refusals_before_close: int = REFUSALS_BEFORE_CLOSE
    _refusals: list[float] = field(init=False, default_factory=list)

    def refused(self) -> None:
        """Count one refused request."""
        now = time.monotonic()
        self._refusals = [t for t in self._refusals if now - t < REFUSAL_WINDOW_S]
        self._refusals.append(now)

    @property
    def exhausted(self) -> bool:
        """More refusals within the window than tolerated: time to close the socket."""
        now = time.monotonic()
        recent = sum(1 for t in self._refusals if now - t < REFUSAL_WINDOW_S)
        return recent > self.refusals_before_close
