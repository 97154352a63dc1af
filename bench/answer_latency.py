"""How long an answer takes, as a ratio to the service's own floor measured in the same run.

The floor is a ping round trip on an open chat (the cheapest thing the service does); the
measured paths are opening the chat, the first progress and the answer, each from the moment
the person acted: for one person alone, then for crowds asking at the same moment (default 20,
100 and 1,000 people, each with their own account and usage). Ratios, not seconds, so a faster
or slower machine compares fairly; the seconds follow for the product's budgets (chat open
<= 2 s, first progress <= 5 s, answer <= 60 s). Every crowd also prints each question's fate
(answered with the person's own figures, each error, never acknowledged, never ended): under
too much load the tool reports what went wrong instead of stopping.

    python bench/answer_latency.py [--crowds 20,100,1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import aiohttp

from driver import crowd, latency
from driver.actors.questions import TheAnswer
from driver.actors.tasks import Ask, CheckEverythingSeen, Leave, OpenChat
from driver.crowd import Customer
from driver.errors import ApiError, HandshakeRefused, SendRefused, SocketClosed
from driver.latency import Figures
from fixtures.cast import Cast
from fixtures.stack import Stack, StackConfig

# Accounts are created this many at a time: each sign-up and sign-in is an argon2 hash, and the
# service answers any call within 5 s or gives up, so a thousand at once would mostly fail.
SIGN_UPS_AT_ONCE = 10
ANSWER_WITHIN_S = 90.0  # longer than the 60 s budget, so a late answer is seen as late
VERIFY_AT_ONCE = 20


async def _settle_in(customer: Customer, gate: asyncio.Semaphore) -> str | None:
    """Sign up, sign in and load the usage; the failure, or None."""
    try:
        await crowd.settle_in(customer, gate)
    except (ApiError, aiohttp.ClientError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    return None


async def _arrive(cast: Cast, count: int) -> list[Customer]:
    customers = [crowd.customer(cast.person(f"Customer{n:04d}"), n) for n in range(1, count + 1)]
    gate = asyncio.Semaphore(SIGN_UPS_AT_ONCE)
    started = time.monotonic()
    failures = await asyncio.gather(*(_settle_in(c, gate) for c in customers))
    failed = Counter(f for f in failures if f is not None)
    print(
        f"{count} accounts signed up and signed in, {SIGN_UPS_AT_ONCE} at a time, in "
        f"{time.monotonic() - started:.1f} s" + (f"; failed: {dict(failed)}" if failed else "")
    )
    return [c for c, f in zip(customers, failures, strict=True) if f is None]


async def _one_question(customer: Customer) -> tuple[float, float]:
    """(seconds to the first progress, seconds to the answer) for one question."""
    person = customer.person
    run = await person.attempts_to(Ask(customer.question))
    await person.asks_for(TheAnswer(30))
    return latency.first_progress(run), latency.answer_time(run)


async def _open(customer: Customer) -> tuple[float, str | None]:
    """Seconds from starting to open the chat to having it open, or the refusal."""
    started = time.monotonic()
    try:
        await customer.person.attempts_to(OpenChat())
    except (HandshakeRefused, SocketClosed, OSError, TimeoutError) as error:
        return latency.NEVER, f"chat not opened: {_reason(error)}"
    return time.monotonic() - started, None


async def _ask(customer: Customer) -> str | None:
    """Ask; None once acknowledged, else why not."""
    try:
        await customer.person.attempts_to(Ask(customer.question))
    except SendRefused as refusal:
        return f"refused: {refusal.code}"
    except (AssertionError, SocketClosed, OSError) as error:
        return f"not acknowledged: {_reason(error)}"
    return None


def _reason(error: BaseException) -> str:
    if isinstance(error, HandshakeRefused):
        return f"{error.status} {error.code}"
    if isinstance(error, SocketClosed):
        return f"closed {error.code}"
    if isinstance(error, AssertionError):
        return "no acknowledgement in time"
    return type(error).__name__


@dataclass
class Round:
    """What one crowd saw: seconds per person for each measured wait, and every fate."""

    waits: dict[str, list[float]] = field(
        default_factory=lambda: {"open": [], "first": [], "answer": [], "gap": []}
    )
    fates: Counter[str] = field(default_factory=Counter)

    def add(self, other: Round) -> None:
        for key, samples in other.waits.items():
            self.waits[key] += samples
        self.fates.update(other.fates)


async def _crowd_round(customers: Sequence[Customer]) -> Round:
    """Everyone opens the chat at the same moment, then everyone asks at the same moment."""
    for customer in customers:
        await customer.person.attempts_to(
            Leave()
        )  # a fresh chat each round: opening is measured too
    opened = await asyncio.gather(*(_open(c) for c in customers))
    present = [c for c, (_, problem) in zip(customers, opened, strict=True) if problem is None]
    asked = await asyncio.gather(*(_ask(c) for c in present))
    acked = [c for c, problem in zip(present, asked, strict=True) if problem is None]
    await crowd.wait_until_all_ended(acked, ANSWER_WITHIN_S)
    result = Round()
    result.fates.update(problem for _, problem in opened if problem is not None)
    result.fates.update(problem for problem in asked if problem is not None)
    result.fates.update(crowd.fate(c) for c in acked)
    runs = [r for c in acked if (r := c.person.last_run) is not None]
    ended = [r for r in runs if r.final is not None]
    result.waits["open"] = [seconds for seconds, problem in opened if problem is None]
    result.waits["first"] = [latency.first_progress(r) for r in runs]
    result.waits["answer"] = [latency.answer_time(r) for r in ended]
    result.waits["gap"] = [latency.longest_step_gap(r)[0] for r in ended]
    return result


async def _contract_problems(customers: Sequence[Customer]) -> int:
    """How many people saw a stream that broke the chat contract (their verifier's findings)."""
    gate = asyncio.Semaphore(VERIFY_AT_ONCE)

    async def one(customer: Customer) -> bool:
        async with gate:
            try:
                await customer.person.attempts_to(CheckEverythingSeen())
            except (AssertionError, ApiError, aiohttp.ClientError, TimeoutError):
                return True
            return False

    return sum(await asyncio.gather(*(one(c) for c in customers)))


def _figures(samples: list[float]) -> Figures | None:
    return Figures.of(samples) if samples else None


def _ratio_row(label: str, what: str, samples: list[float], floor: float) -> str:
    f = _figures(samples)
    if f is None:
        return f"{label:<24} {what:<15} (none)"
    return (
        f"{label:<24} {what:<15} p50 {f.p50 / floor:8.1f}x  p95 {f.p95 / floor:8.1f}x  "
        f"p99 {f.p99 / floor:8.1f}x   (seconds: p50 {latency.describe_seconds(f.p50)}, "
        f"p99 {latency.describe_seconds(f.p99)}, max {latency.describe_seconds(f.max)})"
    )


async def _bench(url: str, crowds: list[int], rounds: int) -> None:
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        cast = Cast(url, session, "benchmark")
        everyone = await _arrive(cast, max(crowds))
        if not everyone:
            print("no account could be created: nothing to measure")
            return
        first = everyone[0]
        await first.person.attempts_to(OpenChat())
        floor = statistics.median(
            [await first.person.chat.sockets["laptop"].ping() for _ in range(50)]
        )
        print(f"floor: ping round trip, median of 50 = {floor * 1000:.2f} ms (ratios are to it)")
        alone = [await _one_question(first) for _ in range(rounds)]
        print(_ratio_row("1 person", "first progress", [a[0] for a in alone], floor))
        print(_ratio_row("1 person", "answer", [a[1] for a in alone], floor))
        for size in crowds:
            people = everyone[:size]
            label = f"{len(people)} people at once"
            merged = Round()
            started = time.monotonic()
            for _ in range(max(1, round(rounds * 20 / size))):
                merged.add(await _crowd_round(people))
            took = time.monotonic() - started
            for key, what in (("open", "chat open"), ("first", "first progress")):
                print(_ratio_row(label, what, merged.waits[key], floor))
            print(_ratio_row(label, "answer", merged.waits["answer"], floor))
            gaps = _figures(merged.waits["gap"])
            if gaps is not None:
                print(
                    f"{label:<24} {'longest pause':<15} p99 {gaps.p99:.2f} s, "
                    f"max {gaps.max:.2f} s (between two steps of one answer)"
                )
            broken = await _contract_problems(people)
            print(
                f"{label:<24} {'fates':<15} "
                + ", ".join(f"{fate} {n}" for fate, n in merged.fates.most_common())
                + f"; {broken} saw a stream that broke the chat contract; {took:.1f} s"
            )
        await asyncio.gather(*(c.person.attempts_to(Leave()) for c in everyone))


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("crowd sizes are positive numbers: 20,100,1000")
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crowds", type=_sizes, default=[20, 100, 1000])
    parser.add_argument("--rounds", type=int, default=5, help="questions of one person alone")
    args = parser.parse_args()
    with Stack(StackConfig.from_env()) as stack:
        asyncio.run(_bench(stack.service_urls[0], args.crowds, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
