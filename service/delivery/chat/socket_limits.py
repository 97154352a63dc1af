"""Per-socket limits: a budget of frames, and the tolerance of refused requests.

- Frames: every frame a client sends (questions, catch-ups, pings, garbage alike) spends one
  token of its socket's bucket, before anything is parsed; over budget, the frame is dropped
  unread and answered `rate_limited`. One socket can then cost an instance at most the parse
  of `FRAMES_PER_SECOND` frames a second, each bounded in cost (service/delivery/chat/frames.py).
- Refusals: past the tolerance (10 refused requests in a minute: over the frame budget, or over
  the person's limits on questions and resumes, service/delivery/chat/person_limits.py), the
  socket is closed with 4429, so a client that keeps pushing after being told to slow down is
  cut off.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from service.token_bucket import Bucket

REFUSALS_BEFORE_CLOSE = 10  # refused requests within a minute that are tolerated
REFUSAL_WINDOW_S = 60.0
# A person's client sends a ping every 20 s, a catch-up after a reconnect and a question now
# and then; the question limit (10 at once) and a catch-up on every open conversation fit in
# the burst with room to spare.
FRAME_BURST = 30.0
FRAMES_PER_SECOND = 10.0


def frame_budget() -> Bucket:
    """A new socket's budget of frames."""
    return Bucket(FRAME_BURST, FRAMES_PER_SECOND)


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
