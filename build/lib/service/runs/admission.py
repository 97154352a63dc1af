"""Admission control: a bounded number of runs in flight per instance, the rest queued in order.

Under a thousand simultaneous questions, starting every run at once made them compete for the
same database connections until the pools timed out: runs failed halfway and leases lapsed.
Now a run takes a place when its question is acknowledged: a slot if one is free,
otherwise the next place in a first-come queue (its `agent_started` says which). Beyond the
queue's bound the question is refused before anything is stored (`busy`, with `retry_after`),
so load never fails a run that was accepted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass, field

# Runs mostly wait for PostgreSQL. At 100 people asking at once, 128 slots start everyone at
# once (answer p99 0.7 s here, against 0.9 s with 32 slots and up to 1.4 s between two steps of a
# queued run); at 1,000 they keep the database and both cores busy without piling up work.
RUNS_IN_FLIGHT = 128
RUNS_QUEUED = 2000
# Until a run has finished, the expected duration used for `retry_after`.
DEFAULT_RUN_S = 1.0
SMOOTHING = 0.1


@dataclass(eq=False)
class Place:
    """A run's place: `position` 0 means it may start now; otherwise it waits for `ready`."""

    position: int
    ready: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Admission:
    def __init__(self, *, in_flight: int = RUNS_IN_FLIGHT, queued: int = RUNS_QUEUED) -> None:
        self.max_in_flight = in_flight
        self.max_queued = queued
        self._running = 0
        self._waiting: deque[Place] = deque()
        self._run_s = DEFAULT_RUN_S  # moving average of how long a run holds its slot

    @property
    def running(self) -> int:
        return self._running

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def has_room(self) -> bool:
        """Whether one more question can be taken (run now or queued)."""
        return self._running < self.max_in_flight or len(self._waiting) < self.max_queued

    def retry_after_s(self) -> int:
        """Seconds until the queue has probably moved on enough to take another question."""
        rounds = (len(self._waiting) + 1) / max(1, self.max_in_flight)
        return max(1, math.ceil(rounds * self._run_s))

    def enter(self) -> Place:
        """Take a slot, or the next place in the queue (callers check `has_room` first)."""
        if self._running < self.max_in_flight and not self._waiting:
            self._running += 1
            place = Place(0)
            place.ready.set_result(None)
            return place
        place = Place(len(self._waiting) + 1)
        self._waiting.append(place)
        return place

    async def wait(self, place: Place) -> None:
        """Until the place's slot is free; leaving the queue if cancelled while waiting."""
        try:
            await asyncio.shield(place.ready)
        except asyncio.CancelledError:
            if place.ready.done() and not place.ready.cancelled():
                self.leave(0.0, counted=False)  # the slot arrived as we were cancelled
            else:
                place.ready.cancel()
                self._discard(place)
            raise

    def leave(self, held_s: float, *, counted: bool = True) -> None:
        """A run gives its slot back (to the first in the queue, if any)."""
        if counted:
            self._run_s += SMOOTHING * (held_s - self._run_s)
        while self._waiting:
            place = self._waiting.popleft()
            if not place.ready.done():
                place.ready.set_result(None)
                return
        self._running -= 1

    def _discard(self, place: Place) -> None:
        try:
            self._waiting.remove(place)
        except ValueError:
            pass


class Slot:
    """`async with Slot(admission, place):` holds the run's slot for the block's duration."""

    def __init__(self, admission: Admission, place: Place) -> None:
        self._admission = admission
        self._place = place
        self._since = 0.0

    async def __aenter__(self) -> None:
        await self._admission.wait(self._place)
        self._since = time.monotonic()

    async def __aexit__(self, *_: object) -> None:
        self._admission.leave(time.monotonic() - self._since)
