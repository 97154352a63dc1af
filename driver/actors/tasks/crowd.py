"""Many people at once: customers each with their own usage and question, and `Everyone`, who
performs a task (or answers a question) all at the same moment, each person on their own.

Every person's sockets are watched by their StreamVerifier (invariant 4: only their own runs);
what each person did is on their own notepad, what the scene remembers about the group is on the
cast's (`CROWD`, `IDLE_CROWD`, ...).
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from driver.actors.actor import DEFAULT_DEVICE, Actor, Question, Task
from driver.actors.notepad import Note
from driver.actors.tasks.accounts import LoadUsage, SignIn, SignUp
from driver.actors.tasks.conversation import Ask
from driver.actors.tasks.devices import Leave, OpenChat
from driver.client.contract import ErrorCode
from driver.client.errors import ApiError, SendRefused
from driver.client.socket import ChatSocket

T = TypeVar("T")

USAGE_DAYS_AGO = 10

# How often a sign-up or sign-in is tried while the service says to come back later: "temporarily
# unavailable", or "rate limited" when a crowd from one address outruns its password-hashing turn.
SIGN_UP_ATTEMPTS = 4
COME_BACK_LATER = (ErrorCode.TEMPORARILY_UNAVAILABLE, ErrorCode.RATE_LIMITED)


@dataclass(frozen=True)
class Customer:
    person: Actor
    spent: str  # what their usage adds up to, as the assistant writes it ("$1,234.00")
    question: str
    cents: int = 0  # the same total in cents

    def __post_init__(self) -> None:
        # A crowd's reads as each answer arrives would weigh on the timings it measures; each
        # customer's stored answer is checked afterwards instead (questions/crowd.py).
        self.person.lookout.enabled = False
        self.person.notes.write(AS_A_CUSTOMER, self)


# What each person remembers.
AS_A_CUSTOMER = Note[Customer]("their own usage and question, as a customer")
CHAT_OPENED_AFTER = Note[float]("how long the chat took to open")
CHATS_KEPT_OPEN = Note[list[ChatSocket]]("the chats they keep open without asking")
QUESTION_ENDED_BY = Note[float]("when they had stopped waiting for their answer")
LEFT_AT = Note[float]("when they had left")
# What the scene remembers about the group (on the cast's notepad).
CROWD = Note[list[Customer]]("the crowd of customers")
IDLE_CROWD = Note[list[Customer]]("the customers who keep chats open without asking")
SERVICE_MEMORY_WITH_IDLE_CHATS = Note[int]("the service's memory once the idle chats were open")


def customer(person: Actor, number: int) -> Customer:
    """The `number`th customer of a crowd: their own question and a usage total of their own."""
    cents = 100_000 + 1_111 * number
    question = f"How can we cut our model spend? (asked by {person.name})"
    return Customer(person, f"${cents // 100:,}.{cents % 100:02d}", question, cents)


def customers_of(people: Sequence[Actor]) -> list[Customer]:
    """The people as a crowd's customers, numbered in order (each a usage total of their own)."""
    return [customer(p, number) for number, p in enumerate(people, start=1)]


class Everyone:
    """A group acting at the same moment (screenplay has no crowd of its own: this is gathering
    their tasks): each person performs the task or answers the question themselves."""

    def __init__(self, people: Sequence[Customer] | Sequence[Actor]) -> None:
        self.people = [p.person if isinstance(p, Customer) else p for p in people]

    async def attempts_to(self, *tasks: Task) -> None:
        """Each task in turn, performed by every one of them at the same moment; fails, saying
        how many of them did not manage it and why, unless every one did."""
        for task in tasks:
            outcomes = await asyncio.gather(
                *(person.attempts_to(task) for person in self.people), return_exceptions=True
            )
            failed = [o for o in outcomes if isinstance(o, BaseException)]
            if failed:
                why = Counter(
                    f"refused: {o.code}" if isinstance(o, SendRefused) else type(o).__name__
                    for o in failed
                )
                not_done = getattr(task, "not_done", f"could not {type(task).__name__}")
                raise AssertionError(
                    f"{len(failed)} of {len(self.people)} {not_done} ({dict(why)}); "
                    f"the first: {failed[0]}"
                ) from failed[0]

    async def should(self, *checks: Task) -> None:
        """Every one of them performs the checks (`See`); fails listing what was wrong for
        anyone, one line each."""
        outcomes = await asyncio.gather(
            *(person.should(*checks) for person in self.people), return_exceptions=True
        )
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        for failure in failed:
            if not isinstance(failure, AssertionError):
                raise failure
        if failed:
            raise AssertionError("\n".join(str(f) for f in failed))

    async def asks_for(self, question: Question[T]) -> dict[str, T]:
        """Each one's answer, by name, asked at the same moment."""
        answers = await asyncio.gather(*(p.asks_for(question) for p in self.people))
        return {p.name: a for p, a in zip(self.people, answers, strict=True)}


def _usage_costing(cents: int) -> list[dict[str, object]]:
    day = (datetime.now(UTC).date() - timedelta(days=USAGE_DAYS_AGO)).isoformat()
    return [
        {
            "day": day,
            "model": "gpt-4o",
            "feature": "support-bot",
            "requests": 1000,
            "input_tokens": 1_000_000,
            "output_tokens": 100_000,
            "cost_usd": cents / 100,
        }
    ]


@dataclass(frozen=True)
class SettleIn:
    """As a customer: sign up and sign in (while holding `gate`, if any: each is an argon2
    hash), then load their usage. A call the service asks to come back later is tried again
    after the wait it names, as an app would."""

    gate: asyncio.Semaphore | None = None
    not_done = "customers could not settle in"

    async def perform_as(self, actor: Actor) -> None:
        async with self.gate or contextlib.nullcontext():
            try:
                await _patiently(lambda: actor.attempts_to(SignUp()))
            except ApiError as error:
                if error.code != ErrorCode.CONFLICT:  # an attempt given up on did create it
                    raise
            await _patiently(lambda: actor.attempts_to(SignIn()))
        if actor.user_id is None:
            actor.user_id = (await actor.api.me(actor.access_token)).user_id
        cents = actor.notes.read(AS_A_CUSTOMER).cents
        await actor.attempts_to(LoadUsage(_usage_costing(cents)))


async def _patiently(action: Callable[[], Awaitable[object]]) -> None:
    for attempt in range(1, SIGN_UP_ATTEMPTS + 1):
        try:
            await action()
            return
        except ApiError as error:
            if error.code not in COME_BACK_LATER or attempt == SIGN_UP_ATTEMPTS:
                raise
            await asyncio.sleep(error.retry_after or 1.0)


@dataclass(frozen=True)
class AskAboutTheirSpend:
    """As a customer, ask their own question (a new conversation)."""

    not_done = "questions were not taken"

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(Ask(actor.notes.read(AS_A_CUSTOMER).question))


@dataclass(frozen=True)
class OpenChatTimed:
    """Open the chat; the seconds from starting to open it to having it open (handshake and
    sign-in check included) are noted under CHAT_OPENED_AFTER."""

    not_done = "chats did not open"

    async def perform_as(self, actor: Actor) -> None:
        started = time.monotonic()
        await actor.attempts_to(OpenChat())
        socket = actor.chat.socket(DEFAULT_DEVICE, actor.name)
        actor.notes.write(CHAT_OPENED_AFTER, socket.opened_at - started)


@dataclass(frozen=True)
class KeepChatsOpen:
    """Open the chat in `tabs` tabs at the same moment, and ask nothing (CHATS_KEPT_OPEN)."""

    tabs: int
    not_done = "customers could not open their tabs"

    async def perform_as(self, actor: Actor) -> None:
        tabs = [f"tab {n}" for n in range(1, self.tabs + 1)]
        await asyncio.gather(*(actor.attempts_to(OpenChat(tab)) for tab in tabs))
        actor.notes.write(CHATS_KEPT_OPEN, [actor.chat.socket(tab, actor.name) for tab in tabs])


@dataclass(frozen=True)
class WaitUntilTheirQuestionEnds:
    """Wait until their last question has ended or `within` seconds have passed since it was
    asked; never fails for a question that did not end (the figures count it as never). When
    they stopped waiting is noted under QUESTION_ENDED_BY."""

    within: float

    async def perform_as(self, actor: Actor) -> None:
        run = actor.last_run
        if run is not None and run.asked_at is not None:
            left = run.asked_at + self.within - time.monotonic()
            with contextlib.suppress(AssertionError):
                await run.wait_final(max(0.0, left))
        actor.notes.write(QUESTION_ENDED_BY, time.monotonic())


@dataclass(frozen=True)
class LeaveTheChat:
    """Hang up every device; when they had left is noted under LEFT_AT."""

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(Leave())
        actor.notes.write(LEFT_AT, time.monotonic())
