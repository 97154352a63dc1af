"""SeeEveryone: `See` for a group. Each person answers the question, each answer is held to the
resolution, and one failure lists what is wrong for anyone (a crowd's check reads as one)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from driver.actors.actor import Actor, Question
from driver.actors.interactions.see import Resolution

T = TypeVar("T")


@dataclass(frozen=True)
class SeeEveryone(Generic[T]):
    """Performed by whoever looks on (the operator): ask each of `people` the question, hold
    each answer to the resolution; an AssertionError under `heading` listing the first `limit`
    problems, those found before (`also`) first."""

    people: Sequence[Actor]
    question: Question[T]
    resolution: Resolution[T]
    heading: str
    also: Sequence[str] = ()
    limit: int = 10

    async def perform_as(self, actor: Actor) -> None:
        problems = list(self.also)
        for person in self.people:
            problems += self.resolution.problems(person, await person.asks_for(self.question))
        if not problems:
            return
        shown = "\n".join(f"  - {p}" for p in problems[: self.limit])
        more = len(problems) - self.limit
        raise AssertionError(
            f"{self.heading}:\n{shown}" + (f"\n  ... and {more} more" if more > 0 else "")
        )
