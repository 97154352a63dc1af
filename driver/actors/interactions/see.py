"""See: ask a question, hold the answer to a resolution, fail in the scenario's words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from driver.actors.actor import Actor, Question
from driver.oracle.answers import own_spend, stated_total

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)


class Resolution(Protocol[T_contra]):
    """What an answer is held to: what is wrong with it, in words (empty: nothing)."""

    def problems(self, actor: Actor, answer: T_contra) -> list[str]: ...


@dataclass(frozen=True)
class See(Generic[T]):
    """Ask the question and hold the answer to the resolution; an AssertionError listing what
    is wrong, if anything is."""

    question: Question[T]
    resolution: Resolution[T]

    async def perform_as(self, actor: Actor) -> None:
        answer = await actor.asks_for(self.question)
        problems = self.resolution.problems(actor, answer)
        if problems:
            raise AssertionError("\n".join(problems))


@dataclass(frozen=True)
class StatesTheirOwnSpend:
    """An answer's text states the spend of their own usage (`own_spend`), not someone else's
    or nobody's."""

    def problems(self, actor: Actor, answer: str) -> list[str]:
        question = actor.asked_last().question or ""
        expected, stated = own_spend(actor.usage, question), stated_total(answer)
        if stated == expected:
            return []
        return [
            f"{actor.name} was told a spend of {stated}, but {actor.name}'s own usage adds "
            f"up to {expected}:\n{answer}"
        ]
