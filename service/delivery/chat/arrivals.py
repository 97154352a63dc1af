"""A crowd opening the chat at once takes turns at the handshake instead of all at the same time.

Measured (issue 19): 3,000 handshakes at the same moment on one instance each asked Redis three
times at once. The event loop, busy with all of them, came back to Redis's answers after their
0.5 s timeout: Redis looked frozen, its circuit breaker opened, the revocation check fell back to
PostgreSQL's small pool, and 2,998 of 3,000 were refused with 503. Letting `at_once` handshakes
do their checks while the others wait in line (first come, first served) keeps every round trip
short, so the whole crowd gets in, each in turn.

A refusal stays only for a real overload: more than `waiting` handshakes already in line, or a
turn that does not come within `wait_s`. It is a 503 `busy` (load, unlike `temporarily_unavailable`
for a dependency down) with `Retry-After`, which every client we ship honours by trying again
after that long.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time

from service.errors import Busy

# When the line is full, come back after about this long (or the time the line takes to move).
MIN_RETRY_AFTER_S = 1


class HandshakeLine:
    """At most `at_once` handshakes in progress; the others wait in order of arrival."""

    def __init__(self, *, at_once: int, waiting: int, wait_s: float) -> None:
        self.at_once = at_once
        self.max_waiting = waiting
        self.wait_s = wait_s
        self.in_progress = 0
        # Tickets in order of arrival; one whose holder gave up stays until its turn is skipped.
        self._line: collections.deque[asyncio.Future[None]] = collections.deque()
        self._waiting = 0
        # Handshakes let through per second lately: how long the line takes to move.
        self._passed = 0
        self._since = time.monotonic()
        self._rate = 0.0

    @property
    def waiting(self) -> int:
        return self._waiting

    def turn(self) -> Turn:
        """One handshake's turn: `take` it (or be refused), `give_back` once the chat is open."""
        return Turn(self)

    async def _enter(self) -> None:
        if self.in_progress < self.at_once and not self._line:
            self.in_progress += 1
            return
        if self._waiting >= self.max_waiting:
            raise self._refusal()
        ticket = asyncio.get_running_loop().create_future()
        self._line.append(ticket)
        self._waiting += 1
        try:
            async with asyncio.timeout(self.wait_s):
                await ticket
        except (TimeoutError, asyncio.CancelledError) as stop:
            if ticket.done() and not ticket.cancelled():  # the turn came at that very moment
                if isinstance(stop, TimeoutError):
                    return
                self._leave()  # the client left: the turn passes on
                raise
            ticket.cancel()  # skipped when its turn comes
            if isinstance(stop, TimeoutError):
                raise self._refusal() from None
            raise
        finally:
            self._waiting -= 1

    def _leave(self) -> None:
        self._count_pass()
        while self._line:
            ticket = self._line.popleft()
            if not ticket.done():
                ticket.set_result(None)  # the turn passes on: in_progress stays the same
                return
        self.in_progress -= 1

    def _count_pass(self) -> None:
        self._passed += 1
        now = time.monotonic()
        if (elapsed := now - self._since) >= 1.0:
            self._rate = self._passed / elapsed
            self._passed, self._since = 0, now

    def _refusal(self) -> Busy:
        # The time the line ahead takes to move at the pace seen lately, at least a second.
        ahead = self._waiting + self.in_progress
        pace = ahead / self._rate if self._rate > 0 else MIN_RETRY_AFTER_S  # no pace seen yet
        seconds = max(MIN_RETRY_AFTER_S, math.ceil(min(pace, self.wait_s)))
        return Busy(
            f"Many people are opening the chat right now; try again in {seconds} s",
            retry_after=seconds,
        )


class Turn:
    def __init__(self, line: HandshakeLine) -> None:
        self._line = line
        self._held = False

    async def take(self) -> None:
        """Wait in line; Busy (with retry_after) for a real overload."""
        await self._line._enter()
        self._held = True

    def give_back(self) -> None:
        """Let the next handshake in (again: nothing)."""
        if self._held:
            self._held = False
            self._line._leave()
