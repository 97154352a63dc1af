"""Reading what the service stored, timed as the person waits: her history, a conversation's
messages, a search. Each wait is measured from the moment she asked to the moment she had it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from driver.actors.actor import Actor, Question
from driver.actors.notepad import Note
from driver.actors.tasks.crowd import AskAboutTheirSpend, Customer, Everyone


@dataclass(frozen=True)
class TimedReads:
    """What she read, in words, and each read's wait in seconds."""

    what: str
    waits: list[float]


@dataclass
class Timings:
    """Each read's waits in seconds, and when the reading began and ended (monotonic)."""

    waits: dict[str, list[float]] = field(default_factory=dict)
    began: float = 0.0
    ended: float = 0.0


TIMED_READS = Note[TimedReads]("her reads, timed")
READ_WHILE_THEY_ASKED = Note[Timings]("her reads, timed while a crowd asked")


@dataclass(frozen=True)
class ReadTimed:
    """Read it (`what`, in words: the question she asks) `times` times, one after the other,
    each one timed (TIMED_READS)."""

    what: str
    read: Question[Any]
    times: int

    async def perform_as(self, actor: Actor) -> None:
        waits = []
        for _ in range(self.times):
            started = time.monotonic()
            await actor.asks_for(self.read)
            waits.append(time.monotonic() - started)
        actor.notes.write(TIMED_READS, TimedReads(self.what, waits))


@dataclass(frozen=True)
class ReadWhileTheyAsk:
    """Each read (what she reads, in words: the question she asks) once per round, in turn,
    `rounds` times, while the crowd asks about their spend at the same moment; both must finish
    (READ_WHILE_THEY_ASKED)."""

    reads: dict[str, Question[Any]]
    rounds: int
    crowd: list[Customer]

    async def perform_as(self, actor: Actor) -> None:
        what = self.reads
        timings = Timings({label: [] for label in what}, began=time.monotonic())

        async def in_turn() -> None:
            for _ in range(self.rounds):
                for label, read in what.items():
                    started = time.monotonic()
                    await actor.asks_for(read)
                    timings.waits[label].append(time.monotonic() - started)
            timings.ended = time.monotonic()

        await asyncio.gather(in_turn(), Everyone(self.crowd).attempts_to(AskAboutTheirSpend()))
        actor.notes.write(READ_WHILE_THEY_ASKED, timings)
