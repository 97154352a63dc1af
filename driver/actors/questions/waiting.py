"""Questions about waiting in line and being refused as busy: what became of the questions a
person tried to ask (noted by tasks/waiting.py), her place in line, and her time in it.

While a question waits, the person is told their place at least every second as it moves (an
`agent_thinking` carrying `queued.position`, issue 19): `TheirTimeInLine` reads that from what
her device received.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.actors.questions.answers import TheAnswer, TheEvent
from driver.client.contract import AGENT_COMPLETED, AGENT_STARTED, ErrorCode, TimedEvent
from driver.client.errors import SendRefused
from driver.client.stream import RunStream

Outcome = RunStream | SendRefused  # a question taken (its run) or refused
Noted = Note[Outcome] | Note[list[Outcome]]


def _outcomes(actor: Actor, note: Noted) -> list[Outcome]:
    noted: Outcome | list[Outcome] = actor.notes.read(cast("Note[Any]", note))
    return list(noted) if isinstance(noted, list) else [noted]


@dataclass(frozen=True)
class TheRefusals:
    """For each question noted under `note`: its refusal, or None where it was taken."""

    note: Noted

    async def answered_by(self, actor: Actor) -> list[SendRefused | None]:
        return [o if isinstance(o, SendRefused) else None for o in _outcomes(actor, self.note)]


@dataclass(frozen=True)
class TheRefusal:
    """The refusal of the question noted under `note`, or None if it was taken."""

    note: Note[Outcome]

    async def answered_by(self, actor: Actor) -> SendRefused | None:
        outcome = actor.notes.read(self.note)
        return outcome if isinstance(outcome, SendRefused) else None


@dataclass(frozen=True)
class HowManyWereRefusedAsBusy:
    """How many of the questions noted under `note` were refused because the service was busy."""

    note: Noted

    async def answered_by(self, actor: Actor) -> int:
        outcomes = _outcomes(actor, self.note)
        return sum(1 for o in outcomes if isinstance(o, SendRefused) and o.code == ErrorCode.BUSY)


@dataclass(frozen=True)
class HowManyWereTaken:
    """How many of the questions noted under `note` were taken (not refused)."""

    note: Noted

    async def answered_by(self, actor: Actor) -> int:
        return sum(1 for o in _outcomes(actor, self.note) if isinstance(o, RunStream))


@dataclass(frozen=True)
class HowManyTakenWereAnswered:
    """How many of the questions noted under `note` that were taken got their answer (each
    waited for up to `within` seconds)."""

    note: Noted
    within: float

    async def answered_by(self, actor: Actor) -> int:
        taken = [o for o in _outcomes(actor, self.note) if isinstance(o, RunStream)]
        finals = await asyncio.gather(*(run.wait_final(self.within) for run in taken))
        return sum(1 for final in finals if final.type == AGENT_COMPLETED)


@dataclass(frozen=True)
class ThePlaceInLine:
    """The place in line the service gave their last question (None: not put in line)."""

    within: float

    async def answered_by(self, actor: Actor) -> int | None:
        started = await actor.asks_for(TheEvent(AGENT_STARTED, self.within))
        queued = started.frame.get("payload", {}).get("queued")
        if not isinstance(queued, dict):
            return None
        position = queued.get("position")
        return position if isinstance(position, int) else None


@dataclass(frozen=True)
class WhetherTheyAreAnswered:
    """Whether their last question got its answer (not an error) within `within` seconds."""

    within: float

    async def answered_by(self, actor: Actor) -> bool:
        return (await actor.asks_for(TheAnswer(self.within))).type == AGENT_COMPLETED


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


@dataclass(frozen=True)
class TheirTimeInLine:
    """Their last question, from asking to the first event that is not a place in line (the
    assistant starting on the question, or its end)."""

    async def answered_by(self, actor: Actor) -> TimeInLine:
        run = actor.asked_last()
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
