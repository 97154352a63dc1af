"""Questions a customer of a crowd answers about their own question: how it ended, how long
each step of it took, what the service stored for them, which of their idle chats went silent."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from driver.actors.actor import Actor
from driver.actors.questions.history import TheMessages, TheRecordOfTheRun
from driver.actors.tasks.crowd import AS_A_CUSTOMER, CHATS_KEPT_OPEN
from driver.client.contract import AGENT_COMPLETED
from driver.client.errors import SocketClosed
from driver.client.socket import ChatSocket
from driver.evidence import latency
from driver.oracle.answers import stated_total


@dataclass(frozen=True)
class HowTheirQuestionEnded:
    """`answered`, `wrong figures` (not their own spend), `agent_error <code>`, `never ended`
    or `never asked`."""

    async def answered_by(self, actor: Actor) -> str:
        run = actor.last_run
        if run is None:
            return "never asked"
        final = run.final
        if final is None:
            return "never ended"
        if final.type != AGENT_COMPLETED:
            return f"{final.type} {final.payload.get('error')}"
        told = stated_total(str(final.payload.get("text")))
        return "answered" if told == actor.notes.read(AS_A_CUSTOMER).spent else "wrong figures"


@dataclass(frozen=True)
class Waits:
    """How long their question's steps took, in seconds from asking (inf: never)."""

    first_progress: float
    answer: float
    longest_pause: float
    longest_pause_between: str
    where_it_stopped: str
    ended_at: float | None  # time.monotonic() of its final event


@dataclass(frozen=True)
class TheWaitsOfTheirQuestion:
    """The waits of their last question as they lived them; None if they never asked."""

    async def answered_by(self, actor: Actor) -> Waits | None:
        run = actor.last_run
        if run is None:
            return None
        pause, between = latency.longest_step_gap(run)
        return Waits(
            latency.first_progress(run),
            latency.answer_time(run),
            pause,
            between,
            run.where_it_stopped(),
            run.final.at if run.final is not None else None,
        )


@dataclass(frozen=True)
class Stored:
    """What the service stored for their last question."""

    run_id: str | None  # None: they never asked
    said: list[tuple[str, str]]  # their conversation: (role, text) in order
    record: list[dict[str, Any]]  # the run's stored events


@dataclass(frozen=True)
class WhatWasStoredForThem:
    """Their stored conversation and the stored record of their last question."""

    async def answered_by(self, actor: Actor) -> Stored:
        run = actor.last_run
        if run is None:
            return Stored(None, [], [])
        said = [(m.role, m.text) for m in await actor.asks_for(TheMessages())]
        record = await actor.asks_for(TheRecordOfTheRun(run.run_id))
        return Stored(run.run_id, said, list(record))


@dataclass(frozen=True)
class WhichOfTheirChatsAreSilent:
    """Their chats kept open (by name) that were closed or did not answer a ping within
    `within` seconds."""

    within: float

    async def answered_by(self, actor: Actor) -> list[str]:
        within = self.within

        async def silent(socket: ChatSocket) -> str | None:
            if not socket.is_open:
                return f"{socket.name}: closed"
            try:
                await socket.ping(timeout=within)
            except (SocketClosed, TimeoutError, AssertionError) as error:
                return f"{socket.name}: {type(error).__name__}"
            return None

        chats = actor.notes.read(CHATS_KEPT_OPEN)
        return [s for s in await asyncio.gather(*(silent(c) for c in chats)) if s is not None]
