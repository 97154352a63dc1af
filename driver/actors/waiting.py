"""A busy service: questions waiting in line, and questions refused until there is room.

The service runs a bounded number of questions at once and keeps a bounded line, so that load
queues or is refused early and clearly instead of failing runs: a question that has to wait is
acknowledged and told its place (`agent_started` with `queued.position`); one more than the line
holds, or than the asker's share of it, is refused with `busy` and a `retry_after`, and nothing
of it is kept. The line is fair: people's waiting questions take turns. While it waits, the
person is told their place at least every second as it moves (an `agent_thinking` carrying
`queued.position`, issue 19): `time_in_line` reads that from what their device received.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.questions import TheAnswer, TheEvent
from driver.actors.tasks import Ask, OpenChat
from driver.client.contract import AGENT_COMPLETED, AGENT_STARTED, ErrorCode, TimedEvent
from driver.client.errors import SendRefused
from driver.client.stream import RunStream

QUESTION = "How can we cut our model spend?"


async def ask_together(people: Sequence[Actor]) -> None:
    """Each asks at once; every question is acknowledged (they fit in the service's line)."""
    await asyncio.gather(*(person.attempts_to(Ask(QUESTION)) for person in people))


async def ask_many(person: Actor, count: int) -> list[RunStream | SendRefused]:
    """The person asks `count` questions at once (a flood): each one's run, or its refusal."""
    return list(await asyncio.gather(*(try_ask(person, QUESTION) for _ in range(count))))


def refused_busy(outcomes: Sequence[RunStream | SendRefused]) -> int:
    """How many of the questions were refused because the service was busy."""
    return sum(1 for o in outcomes if isinstance(o, SendRefused) and o.code == ErrorCode.BUSY)


async def all_taken_answered(outcomes: Sequence[RunStream | SendRefused], timeout: float) -> int:
    """How many of the questions that were taken got their answer (each within `timeout`)."""
    taken = [o for o in outcomes if isinstance(o, RunStream)]
    finals = await asyncio.gather(*(run.wait_final(timeout) for run in taken))
    return sum(1 for final in finals if final.type == AGENT_COMPLETED)


async def try_ask(
    person: Actor, question: str, device: str = DEFAULT_DEVICE
) -> RunStream | SendRefused:
    """Ask (on that device); the refusal instead of an acknowledgement, if the service refuses."""
    try:
        return await person.attempts_to(Ask(question, device=device))
    except SendRefused as refusal:
        return refusal


async def try_ask_at_once(
    person: Actor, question: str, devices: Sequence[str]
) -> list[RunStream | SendRefused]:
    """Ask the same question on each device (their chats opened first) at the same moment."""
    for device in devices:
        await person.attempts_to(OpenChat(device))
    return list(await asyncio.gather(*(try_ask(person, question, d) for d in devices)))


async def place_in_line(person: Actor, timeout: float) -> int | None:
    """The place in line the service gave the person's last question (None: not queued)."""
    started = await person.asks_for(TheEvent(AGENT_STARTED, timeout))
    queued = started.frame.get("payload", {}).get("queued")
    if not isinstance(queued, dict):
        return None
    position = queued.get("position")
    return position if isinstance(position, int) else None


async def answered(person: Actor, timeout: float) -> bool:
    return (await person.asks_for(TheAnswer(timeout))).type == AGENT_COMPLETED


async def ask_at_once(people: Sequence[Actor]) -> list[RunStream | SendRefused]:
    """Each asks at the same moment (a rush): each one's run, or its refusal."""
    return list(await asyncio.gather(*(try_ask(person, QUESTION) for person in people)))


def in_line(started: TimedEvent) -> bool:
    """Whether the question was put in line rather than worked on at once."""
    return isinstance(started.frame.get("payload", {}).get("queued"), dict)


@dataclass(frozen=True)
class Start:
    """How one question started: `seconds` from the ask to the assistant starting to work on
    it, when it did so without waiting in line; else None and `how` says what happened."""

    asked_at: float  # time.monotonic()
    seconds: float | None
    how: str


async def how_it_starts(person: Actor, timeout: float) -> Start:
    """The person asks once and sees how the assistant starts on it. A question refused or put
    in line did not start as usual; one put in line is waited for to its end, so the person
    asks one question at a time."""
    asked_at = time.monotonic()
    outcome = await try_ask(person, QUESTION)
    if isinstance(outcome, SendRefused):
        return Start(asked_at, None, f"refused ({outcome.code})")
    started = await outcome.wait_for(AGENT_STARTED, timeout, who=person.name)
    took = outcome.since_asked(started)
    if in_line(started):
        await outcome.wait_final(timeout, who=person.name)
        return Start(asked_at, None, f"put in line, told so after {took:.2f} s")
    return Start(asked_at, took, f"started after {took:.3f} s")


@dataclass(frozen=True)
class TimeInLine:
    """A question's wait in line as its person lived it."""

    places: list[int]  # every place they were told, in order (agent_started's first)
    longest_silence: float  # seconds without hearing anything, from asking to the first step
    silence_ended_by: str  # what broke that silence
    left_by: str  # the first step: the assistant starting on the question (or its end)

    def describe(self) -> str:
        told = ", ".join(str(p) for p in self.places) or "no place"
        return (
            f"told {told}; the longest silence was {self.longest_silence:.2f} s, until "
            f"{self.silence_ended_by}; the wait ended with {self.left_by}"
        )


def time_in_line(run: RunStream) -> TimeInLine:
    """From asking to the first event that is not a place in line (the assistant starting on
    the question, or its end)."""
    waiting: list[TimedEvent] = []
    for event in run.events:
        waiting.append(event)
        if event.place_in_line is None and event.type != AGENT_STARTED:
            break
    silences = []
    before = run.origin
    for event in waiting:
        silences.append((event.at - before, event.describe()))
        before = event.at
    longest, ended_by = max(silences, default=(0.0, "nothing"))
    places = [p for p in (e.place_in_line for e in waiting) if p is not None]
    left_by = waiting[-1].describe() if waiting else "nothing"
    return TimeInLine(places, longest, ended_by, left_by)
