"""Many people at once: each with their own usage and question, checked one by one afterwards.

Every person's sockets are watched by their StreamVerifier (invariant 4: only their own runs);
`problems_of` adds what a person's stored conversation and run record must show.
"""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from driver.actors.actor import Actor
from driver.actors.questions import TheAnswer, TheMessages, TheRecordOfTheRun, answer_text
from driver.actors.tasks import Ask, Leave, LoadUsage, OpenChat, SignIn, SignUp
from driver.client.contract import AGENT_COMPLETED, AGENT_STARTED, ErrorCode
from driver.client.errors import ApiError, SendRefused, SocketClosed
from driver.client.socket import ChatSocket
from driver.client.stream import RunStream
from driver.oracle.answers import stated_total

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
        # customer's stored answer is checked afterwards instead (`problems_of`).
        self.person.lookout.enabled = False


def customer(person: Actor, number: int) -> Customer:
    """The `number`th customer of a crowd: their own question and a usage total of their own."""
    cents = 100_000 + 1_111 * number
    question = f"How can we cut our model spend? (asked by {person.name})"
    return Customer(person, f"${cents // 100:,}.{cents % 100:02d}", question, cents)


def usage_costing(cents: int) -> list[dict[str, object]]:
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


async def settle_in(customer: Customer, gate: asyncio.Semaphore) -> None:
    """Sign up and sign in (while holding `gate`: each is an argon2 hash), then load the usage.
    A call the service asks to come back later is tried again after the wait it names, as an app
    would."""
    person = customer.person
    async with gate:
        try:
            await _patiently(lambda: person.attempts_to(SignUp()))
        except ApiError as error:
            if error.code != ErrorCode.CONFLICT:  # an attempt the service gave up on did create it
                raise
        await _patiently(lambda: person.attempts_to(SignIn()))
    if person.user_id is None:
        person.user_id = (await person.api.me(person.access_token)).user_id
    await person.attempts_to(LoadUsage(usage_costing(customer.cents)))


async def _patiently(action: Callable[[], Awaitable[object]]) -> None:
    for attempt in range(1, SIGN_UP_ATTEMPTS + 1):
        try:
            await action()
            return
        except ApiError as error:
            if error.code not in COME_BACK_LATER or attempt == SIGN_UP_ATTEMPTS:
                raise
            await asyncio.sleep(error.retry_after or 1.0)


async def arrive(people: Sequence[Actor], *, at_once: int | None = None) -> list[Customer]:
    """Everyone signs up, signs in and loads usage of a different total, all at once, or
    `at_once` people at a time (a sign-up and a sign-in each cost an argon2 hash: a hundred
    at the same moment queue behind the service's few hashing threads past its 5 s limit)."""
    gate = asyncio.Semaphore(at_once or len(people) or 1)
    customers = [customer(p, number) for number, p in enumerate(people, start=1)]
    await asyncio.gather(*(settle_in(c, gate) for c in customers))
    return customers


async def ask_at_once(customers: Sequence[Customer]) -> None:
    """Everyone asks at the same moment; fails, saying how many questions were not taken and
    why, unless every one was acknowledged."""
    outcomes = await asyncio.gather(
        *(c.person.attempts_to(Ask(c.question)) for c in customers), return_exceptions=True
    )
    failed = [o for o in outcomes if isinstance(o, BaseException)]
    if failed:
        why = Counter(
            f"refused: {o.code}" if isinstance(o, SendRefused) else type(o).__name__ for o in failed
        )
        raise AssertionError(
            f"{len(failed)} of {len(customers)} questions were not taken ({dict(why)}); "
            f"the first: {failed[0]}"
        ) from failed[0]


async def seen_problems(customer: Customer, timeout: float = 20.0) -> list[str]:
    """What is wrong with what this customer's sockets showed them (their verifier's findings,
    isolation included) and with the spend they were told."""
    person = customer.person
    await person.asks_for(TheAnswer(timeout))
    found = person.verifier.findings(require_finished=False)
    told = stated_total(answer_text(person))
    if told != customer.spent:
        found.append(f"{person.name} was told a spend of {told}, not their own {customer.spent}")
    return found


async def stored_problems(customer: Customer) -> list[str]:
    """What is wrong with the conversation and run record the service stored for them."""
    person = customer.person
    run = person.last_run
    if run is None:
        return [f"{person.name} never asked"]
    found: list[str] = []
    said = [(m.role, m.text) for m in await person.asks_for(TheMessages())]
    if said != [("user", customer.question), ("assistant", answer_text(person))]:
        found.append(f"{person.name}'s stored conversation holds {said}")
    log = await person.asks_for(TheRecordOfTheRun(run.run_id))
    strangers = [e for e in log if e.get("run_id") != run.run_id]
    if strangers or [e.get("seq") for e in log] != list(range(1, len(log) + 1)):
        found.append(f"{person.name}'s stored record is not their run alone, in order: {log}")
    elif (log[0].get("type"), log[-1].get("type")) != (AGENT_STARTED, AGENT_COMPLETED):
        found.append(f"{person.name}'s stored record does not run from start to answer")
    return found


# -- many people at once, timed (features/performance/, bench/)
async def open_at_once(customers: Sequence[Customer]) -> dict[str, float]:
    """Everyone opens the chat at the same moment; each person's seconds from starting to open
    it to having it open (handshake and sign-in check included)."""

    async def one(customer: Customer) -> float:
        started = time.monotonic()
        socket = await customer.person.attempts_to(OpenChat())
        return socket.opened_at - started

    waits = await asyncio.gather(*(one(c) for c in customers))
    return {c.person.name: wait for c, wait in zip(customers, waits, strict=True)}


async def keep_open(customers: Sequence[Customer], tabs: int) -> list[ChatSocket]:
    """Every customer opens the chat in `tabs` tabs, everyone at the same moment."""
    return await asyncio.gather(
        *(c.person.attempts_to(OpenChat(f"tab {n}")) for c in customers for n in range(1, tabs + 1))
    )


async def silent_among(sockets: Sequence[ChatSocket], within: float) -> list[str]:
    """The chats (by name) that were closed or did not answer a ping within `within` seconds."""

    async def silent(socket: ChatSocket) -> str | None:
        if not socket.is_open:
            return f"{socket.name}: closed"
        try:
            await socket.ping(timeout=within)
        except (SocketClosed, TimeoutError, AssertionError) as error:
            return f"{socket.name}: {type(error).__name__}"
        return None

    return [s for s in await asyncio.gather(*(silent(s) for s in sockets)) if s is not None]


async def wait_until_all_ended(customers: Sequence[Customer], within: float) -> None:
    """Wait until every question has ended or `within` seconds have passed since it was asked;
    never raises for a run that did not end (the figures count it as never)."""

    async def one(customer: Customer) -> None:
        run = customer.person.last_run
        if run is None or run.asked_at is None:
            return
        left = run.asked_at + within - time.monotonic()
        with contextlib.suppress(AssertionError):
            await run.wait_final(max(0.0, left))

    await asyncio.gather(*(one(c) for c in customers))


def fate(customer: Customer) -> str:
    """How the question ended for this customer: `answered`, `wrong figures`, `agent_error
    <code>`, `never ended` or `never asked`."""
    run = customer.person.last_run
    if run is None:
        return "never asked"
    final = run.final
    if final is None:
        return "never ended"
    if final.type != AGENT_COMPLETED:
        return f"{final.type} {final.payload.get('error')}"
    told = stated_total(str(final.payload.get("text")))
    return "answered" if told == customer.spent else "wrong figures"


def fates(customers: Sequence[Customer]) -> Counter[str]:
    return Counter(fate(c) for c in customers)


def runs(customers: Sequence[Customer]) -> dict[str, RunStream]:
    """Each customer's last question, by name."""
    return {c.person.name: c.person.last_run for c in customers if c.person.last_run is not None}


async def leave(customers: Sequence[Customer]) -> None:
    await asyncio.gather(*(c.person.attempts_to(Leave()) for c in customers))


@dataclass(frozen=True)
class Visit:
    """When everyone's question had ended and when they had all left (monotonic)."""

    all_ended_at: float
    left_at: float


async def visit(customers: Sequence[Customer], within: float) -> Visit:
    """Everyone opens the chat at once, then asks at once, waits until their question has ended
    (at most `within` seconds), then everyone leaves."""
    await open_at_once(customers)
    await ask_at_once(customers)
    await wait_until_all_ended(customers, within)
    ended = time.monotonic()
    await leave(customers)
    return Visit(ended, time.monotonic())
