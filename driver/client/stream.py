"""One run's events as one socket received them, with waits that fail in business words."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from driver.client.contract import CLOSE_CODES, TimedEvent, short_id

# What seeing an event means to the person, for failure messages.
_SEEING = {
    "agent_started": "the assistant start working",
    "agent_thinking": "the assistant think aloud",
    "tool_executing": "the assistant start using a tool",
    "tool_completed": "the assistant finish using a tool",
}


class StreamStalled(AssertionError):
    """The awaited event never came; the message says what was seen instead."""


class RunStream:
    def __init__(self, run_id: str, *, owner: str) -> None:
        self.run_id = run_id
        self.owner = owner
        self.events: list[TimedEvent] = []
        self.asked_at: float | None = None
        self.question: str | None = None
        self.resync_required = False
        self.ended: str | None = None  # why no more events can come (the socket closed)
        self._changed = asyncio.Event()

    # -- fed by the socket
    def add(self, event: TimedEvent) -> None:
        self.events.append(event)
        self._wake()

    def mark_asked(self, question: str, at: float) -> None:
        self.question, self.asked_at = question, at

    def mark_resync_required(self) -> None:
        self.resync_required = True
        self._wake()

    def end(self, why: str) -> None:
        if self.ended is None:
            self.ended = why
        self._wake()

    # -- questions
    @property
    def final(self) -> TimedEvent | None:
        return next((e for e in self.events if e.is_final), None)

    @property
    def last(self) -> TimedEvent | None:
        return self.events[-1] if self.events else None

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    @property
    def origin(self) -> float:
        """When the question was asked, or else when the first event came."""
        if self.asked_at is not None:
            return self.asked_at
        return self.events[0].at if self.events else time.monotonic()

    def since_asked(self, event: TimedEvent) -> float:
        return event.at - self.origin

    def timeline(self) -> list[tuple[str, float]]:
        """Each event (`tool_executing "usage_report"`) with seconds since the question."""
        return [(e.describe(), round(self.since_asked(e), 4)) for e in self.events]

    def where_it_stopped(self) -> str:
        last = self.last
        if last is None:
            return "no event at all"
        return f"last event: {last.describe()} after {self.since_asked(last):.1f} s"

    # -- waits
    async def wait_final(self, timeout: float, *, who: str | None = None) -> TimedEvent:
        """The run's final event (agent_completed or agent_error)."""
        final = await self._wait(lambda: self.final, timeout)
        if final is None:
            raise StreamStalled(self._stalled(who or self.owner, "the assistant finish", timeout))
        return final

    async def wait_for(
        self, event_type: str, timeout: float, *, who: str | None = None
    ) -> TimedEvent:
        """The first event of that type, already received or still to come."""
        found = await self._wait(
            lambda: next((e for e in self.events if e.type == event_type), None), timeout
        )
        if found is None:
            what = f"a {event_type} event"
            raise StreamStalled(self._stalled(who or self.owner, what, timeout))
        return found

    async def wait_since_asked(
        self, event_type: str | None, within: float, *, who: str | None = None
    ) -> TimedEvent:
        """The first event of that type (None: the final event), which must have come within
        `within` seconds of the question: a person times the assistant from when they asked,
        not from when someone started looking."""
        who = who or self.owner
        if event_type is None:
            what = "the assistant finish"
            found = await self._wait(lambda: self.final, self._left(within))
        else:
            what = _SEEING.get(event_type, f"a {event_type} event")
            found = await self._wait(
                lambda: next((e for e in self.events if e.type == event_type), None),
                self._left(within),
            )
        if found is None:
            raise StreamStalled(self._stalled(who, what, within) + " of asking")
        took = self.since_asked(found)
        if took > within:
            raise StreamStalled(
                f"{who} saw {found.describe()} only {took:.2f} s after asking "
                f"(at most {within:g} s; run {short_id(self.run_id)})"
            )
        return found

    def _left(self, within: float) -> float:
        return max(0.0, self.origin + within - time.monotonic())

    async def _wait(
        self, found: Callable[[], TimedEvent | None], timeout: float
    ) -> TimedEvent | None:
        deadline = time.monotonic() + timeout
        while True:
            event = found()
            if event is not None or self.ended is not None or self.resync_required:
                return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            changed = self._changed
            try:
                async with asyncio.timeout(remaining):
                    await changed.wait()
            except TimeoutError:
                return None

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _stalled(self, who: str, what: str, timeout: float) -> str:
        run = f"run {short_id(self.run_id)}"
        if self.resync_required:
            where = self.where_it_stopped()
            return f"{who} never saw {what}: the service asked to resync {run} ({where})"
        if self.ended is not None:
            return f"{who} never saw {what}: {self.ended} ({run}, {self.where_it_stopped()})"
        return f"{who} never saw {what} within {timeout:g} s ({self.where_it_stopped()}, {run})"


def describe_close(code: int, reason: str) -> str:
    meaning = CLOSE_CODES.get(code, "not a chat.v1 close code")
    said = f" ({reason})" if reason and reason != meaning else ""
    return f"the connection closed with {code} {meaning}{said}"
