"""A crowd without a service: `Everyone` acting at the same moment, and the questions that read
what each person noted of the questions they tried to ask."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from driver.actors.actor import Actor
from driver.actors.interactions import See
from driver.actors.questions import HowManyWereRefusedAsBusy, TheRefusals
from driver.actors.tasks import ASKED_MANY, Everyone
from driver.client.contract import ErrorCode
from driver.client.errors import SendRefused
from driver.client.stream import RunStream
from driver.evidence.transcript import Transcript


def people(*names: str) -> list[Actor]:
    return [Actor(n, f"{n.lower()}@example.com", "pw", Transcript("t")) for n in names]


@dataclass(frozen=True)
class Say:
    """Write the word down after yielding once, so everyone's turns interleave."""

    word: str
    log: list[str] = field(default_factory=list, compare=False)

    async def perform_as(self, actor: Actor) -> None:
        await asyncio.sleep(0)
        self.log.append(f"{actor.name}: {self.word}")


@dataclass(frozen=True)
class FailFor:
    """Fails for that person only."""

    name: str
    not_done = "people could not do it"

    async def perform_as(self, actor: Actor) -> None:
        if actor.name == self.name:
            raise ValueError(f"{actor.name} tripped")


@dataclass(frozen=True)
class TheirName:
    async def answered_by(self, actor: Actor) -> str:
        return actor.name.lower()


@dataclass(frozen=True)
class IsNotBob:
    def problems(self, actor: Actor, answer: str) -> list[str]:
        return [f"{actor.name} answered {answer}"] if answer == "bob" else []


async def test_everyone_does_each_task_at_once_before_the_next() -> None:
    log: list[str] = []
    await Everyone(people("Ann", "Bob")).attempts_to(Say("open", log), Say("ask", log))
    assert sorted(log[:2]) == ["Ann: open", "Bob: open"]
    assert sorted(log[2:]) == ["Ann: ask", "Bob: ask"]


async def test_everyone_says_how_many_could_not_and_why() -> None:
    with pytest.raises(AssertionError) as failed:
        await Everyone(people("Ann", "Bob", "Cy")).attempts_to(FailFor("Bob"))
    assert str(failed.value) == (
        "1 of 3 people could not do it ({'ValueError': 1}); the first: Bob tripped"
    )


async def test_everyone_answers_by_name_and_every_problem_is_listed() -> None:
    crowd = Everyone(people("Ann", "Bob"))
    assert await crowd.asks_for(TheirName()) == {"Ann": "ann", "Bob": "bob"}
    await Everyone(people("Ann", "Cy")).should(See(TheirName(), IsNotBob()))
    with pytest.raises(AssertionError, match=r"^Bob answered bob$"):
        await crowd.should(See(TheirName(), IsNotBob()))


async def test_only_refusals_for_a_busy_service_count_as_busy() -> None:
    (flooder,) = people("Mallory")
    busy = SendRefused(ErrorCode.BUSY, "busy", "m1", retry_after=2.0)
    slow_down = SendRefused(ErrorCode.RATE_LIMITED, "slow down", "m2", retry_after=1.0)
    asked: list[RunStream | SendRefused] = [busy, slow_down, busy]
    flooder.notes.write(ASKED_MANY, asked)
    assert await flooder.asks_for(HowManyWereRefusedAsBusy(ASKED_MANY)) == 2
    assert await flooder.asks_for(TheRefusals(ASKED_MANY)) == [busy, slow_down, busy]
