"""What the operator can read: the service's figures now, the figures once they show what is
expected (or the last read when time is up), what the service still holds for people who left.
The checks of what they show are resolutions (driver/actors/interactions/figures.py)."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from driver.actors.actor import Actor
from driver.client import operations
from driver.client.eventually import eventually
from driver.client.operations import Figures


class FigureCheck(Protocol):
    """What figures are held to (a resolution for `See`): what is wrong, in words."""

    def problems(self, actor: Actor, answer: Figures) -> list[str]: ...


@dataclass(frozen=True)
class TheFigures:
    """The figures of the operators' listener(s) at `operator_url` (several, comma-separated:
    each figure summed over them)."""

    operator_url: str

    async def answered_by(self, actor: Actor) -> Figures:
        return await operations.figures(actor.api.session, self.operator_url)


@dataclass(frozen=True)
class TheFiguresOnceTheyShow:
    """Read again and again: the first figures `check` finds nothing wrong with, or the last
    read once `within` seconds have passed since `since` (a monotonic moment; default: now)."""

    operator_url: str
    check: FigureCheck
    within: float = operations.SETTLE_S
    since: float | None = None

    async def answered_by(self, actor: Actor) -> Figures:
        read: list[Figures] = []

        async def shown() -> bool:
            read.append(await operations.figures(actor.api.session, self.operator_url))
            return not self.check.problems(actor, read[-1])

        start = time.monotonic() if self.since is None else self.since
        left = max(0.0, start + self.within - time.monotonic())
        try:
            await eventually(shown, timeout=left, interval=0.2, describe="the figures")
        except AssertionError:
            pass  # the last read says what was wrong
        return read[-1]


@dataclass(frozen=True)
class WhatIsStillHeld:
    """What `look` finds still held (each in words), looked at again every `every` seconds
    until nothing is, for at most `within` seconds."""

    look: Callable[[], Sequence[str]]
    within: float
    every: float = 1.0

    async def answered_by(self, actor: Actor) -> list[str]:
        found: list[list[str]] = []

        def nothing() -> bool:
            found.append(list(self.look()))
            return not found[-1]

        try:
            await eventually(nothing, timeout=self.within, interval=self.every, describe="held")
        except AssertionError:
            pass
        return found[-1]
