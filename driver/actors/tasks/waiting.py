"""A busy service: questions waiting in line, and questions refused until there is room.

The service runs a bounded number of questions at once and keeps a bounded line, so that load
queues or is refused early and clearly instead of failing runs: a question that has to wait is
acknowledged and told its place (`agent_started` with `queued.position`); one more than the line
holds, or than the asker's share of it, is refused with `busy` and a `retry_after`, and nothing
of it is kept. The line is fair: people's waiting questions take turns. Each try's outcome (the
run, or the refusal) is noted for questions/waiting.py to read.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.questions.answers import TheAnswer
from driver.actors.questions.waiting import Outcome
from driver.actors.tasks.conversation import Ask
from driver.actors.tasks.crowd import Customer
from driver.actors.tasks.devices import OpenChat
from driver.client.contract import AGENT_COMPLETED, AGENT_STARTED, TimedEvent
from driver.client.errors import SendRefused
from driver.client.eventually import eventually
from driver.oracle import refusals

QUESTION = "How can we cut our model spend?"


@dataclass(frozen=True)
class Start:
    """How one question started: `seconds` from the ask to the assistant starting to work on
    it, when it did so without waiting in line; else None and `how` says what happened."""

    asked_at: float  # time.monotonic()
    seconds: float | None
    how: str


ASKED = Note[Outcome]("how her last question was taken")
ASKED_AT = Note[float]("when she last tried to ask")
ASKED_ON_EACH = Note[list[Outcome]]("how the question she sent from each device was taken")
ASKED_MANY = Note[list[Outcome]]("how each of her questions asked at once was taken")
STARTS = Note[list[Start]]("how each of her questions started")
FATES = Note[list[str]]("what became of each of her questions, in words")


async def _try_ask(actor: Actor, question: str, device: str = DEFAULT_DEVICE) -> Outcome:
    try:
        await actor.attempts_to(Ask(question, device=device))
        return actor.asked_last()
    except SendRefused as refusal:
        return refusal


@dataclass(frozen=True)
class TryToAsk:
    """Ask (on that device); the run, or the refusal if the service refuses, is noted under
    ASKED (and when she tried under ASKED_AT)."""

    question: str = QUESTION
    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(ASKED_AT, time.monotonic())
        actor.notes.write(ASKED, await _try_ask(actor, self.question, self.device))


@dataclass(frozen=True)
class TryToAskOnEachAtOnce:
    """Ask the same question on each device (their chats opened first) at the same moment
    (ASKED_ON_EACH, in the devices' order)."""

    question: str
    devices: tuple[str, ...]

    async def perform_as(self, actor: Actor) -> None:
        for device in self.devices:
            await actor.attempts_to(OpenChat(device))
        asked = [_try_ask(actor, self.question, d) for d in self.devices]
        actor.notes.write(ASKED_ON_EACH, list(await asyncio.gather(*asked)))


@dataclass(frozen=True)
class AskManyAtOnce:
    """Ask `count` questions at once (a flood); each one's run or refusal (ASKED_MANY)."""

    count: int

    async def perform_as(self, actor: Actor) -> None:
        asked = [_try_ask(actor, QUESTION) for _ in range(self.count)]
        actor.notes.write(ASKED_MANY, list(await asyncio.gather(*asked)))


@dataclass(frozen=True)
class OpenChatOn:
    """Open the chat on that device, connected to that chat server (`ws://.../ws`)."""

    ws_url: str
    device: str = DEFAULT_DEVICE

    async def perform_as(self, actor: Actor) -> None:
        actor.chat.device_ws_urls[self.device] = self.ws_url
        await actor.attempts_to(OpenChat(self.device))


def _in_line(started: TimedEvent) -> bool:
    """Whether the question was put in line rather than worked on at once."""
    return isinstance(started.frame.get("payload", {}).get("queued"), dict)


async def _how_it_starts(actor: Actor, within: float) -> Start:
    """Ask once and see how the assistant starts on it. A question refused or put in line did
    not start as usual; one put in line is waited for to its end, so she asks one question at
    a time."""
    asked_at = time.monotonic()
    outcome = await _try_ask(actor, QUESTION)
    if isinstance(outcome, SendRefused):
        return Start(asked_at, None, f"refused ({outcome.code})")
    started = await outcome.wait_for(AGENT_STARTED, within, who=actor.name)
    took = outcome.since_asked(started)
    if _in_line(started):
        await outcome.wait_final(within, who=actor.name)
        return Start(asked_at, None, f"put in line, told so after {took:.2f} s")
    return Start(asked_at, took, f"started after {took:.3f} s")


@dataclass(frozen=True)
class AskUntilItStartsAsUsual:
    """Ask one question at a time, one every `every` seconds, until the assistant starts on one
    within `usual` seconds; fails once a question asked after `until` (monotonic) would be
    needed. Each question's start is noted under STARTS; each is waited for up to `within`."""

    usual: float
    until: float
    every: float
    within: float
    describe: str  # the failure, in the scenario's words

    async def perform_as(self, actor: Actor) -> None:
        starts = actor.notes.write(STARTS, [])

        async def as_usual() -> Start:
            start = await _how_it_starts(actor, self.within)
            starts.append(start)
            assert start.asked_at <= self.until, "past the deadline"
            assert start.seconds is not None and start.seconds <= self.usual, start.how
            return start

        await eventually(
            as_usual,
            timeout=max(0.0, self.until - time.monotonic()),
            interval=self.every,
            describe=self.describe,
        )


@dataclass(frozen=True)
class AskOneAfterAnother:
    """Ask `count` questions, each once the one before is answered (each waited for up to
    `within` seconds); what became of each, in words ("answered", or why it was refused or not
    answered), is noted under FATES."""

    count: int
    within: float

    async def perform_as(self, actor: Actor) -> None:
        fates = []
        for i in range(self.count):
            question = f"Question {i + 1}: how can we cut our spend?"
            outcome = await _try_ask(actor, question)
            if isinstance(outcome, SendRefused):
                fates.append(f"refused because {refusals.reason(outcome)}")
                continue
            final = await actor.asks_for(TheAnswer(self.within))
            fates.append("answered" if final.type == AGENT_COMPLETED else final.type)
        actor.notes.write(FATES, fates)


# What the scene remembers about a rush bigger than the line (on the cast's notepad).
RUSH = Note[list[Customer]]("the customers who asked all at once, more than the line holds")
KEPT_BEFORE_THE_RUSH = Note[dict[str, int]]("each one's conversations before the rush")
