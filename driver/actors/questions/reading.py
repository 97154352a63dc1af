"""Questions about her reads timed while a crowd asked."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.tasks.crowd import Customer
from driver.actors.tasks.reading import READ_WHILE_THEY_ASKED


@dataclass(frozen=True)
class HowMuchOfHerReadingWasWhileTheyWaited:
    """The share of her reading time during which at least one of the crowd was still waiting
    for their answer (0 to 1)."""

    crowd: list[Customer]

    async def answered_by(self, actor: Actor) -> float:
        timings = actor.notes.read(READ_WHILE_THEY_ASKED)
        runs = [c.person.last_run for c in self.crowd]
        busy_until = [r.final.at for r in runs if r is not None and r.final is not None]
        if not busy_until or timings.ended <= timings.began:
            return 0.0
        busy = min(max(busy_until), timings.ended) - timings.began
        return max(0.0, busy) / (timings.ended - timings.began)
