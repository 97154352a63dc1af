"""How long an answer takes, as a ratio to the service's own floor measured in the same run.

The floor is a ping round trip on an open chat (the cheapest thing the service does); the
measured paths are opening the chat, the first progress and the answer, each from the moment
the person acted: for one person alone, then for crowds asking at the same moment (default 20,
100 and 1,000 people, each with their own account and usage). Ratios, not seconds, so a faster
or slower machine compares fairly; the seconds follow for the product's budgets (chat open
<= 2 s, first progress <= 5 s, answer <= 60 s). Every crowd also prints each question's fate
(answered with the person's own figures, each error, never acknowledged, never ended): under
too much load the tool reports what went wrong instead of stopping.

    python bench/answer_latency.py [--crowds 20,100,1000] [--rounds 5] [--repeat 3]
        [--instances 2 --proxy] [--profile reports/profile] [--json figures.json]

`--repeat N` asks each crowd N times (the figures pool every round); `--open-at-once K` opens the
chats K at a time (the questions still come all at once); `--instances 2 --proxy` puts nginx in
front of two instances and asks through it; `--profile DIR` records each crowd's rounds with
py-spy (DIR/crowd-N-<pid>.txt, collapsed stacks; summarise with bench/profile_summary.py);
`--json PATH` writes the figures in seconds, for comparing runs. Each crowd also prints the CPU
time of the service, PostgreSQL and Redis per question, and their work (transactions, rows,
Redis commands) per question. `--idle-chats N --tabs T` first opens N more chats on the first
instance (N / T other people, T each, with bench/crowd.py), holds them open while the crowds
ask (from a process of their own: answering their pings must not slow this one's clock), then
pings every one and reports the service's memory per open chat (issue 19: 10,000 open while
1,000 ask).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import psutil
from crowd import HeldElsewhere  # bench/crowd.py, beside this file
from redis.asyncio import Redis

from driver.actors.questions import HowTheirQuestionEnded, TheAnswer, TheRunAsked
from driver.actors.tasks import (
    Ask,
    CheckEverythingSeen,
    Customer,
    Everyone,
    Leave,
    OpenChat,
    SettleIn,
    WaitUntilTheirQuestionEnds,
    customers_of,
)
from driver.client.errors import ApiError, HandshakeRefused, SendRefused, SocketClosed
from driver.evidence import latency
from driver.evidence.latency import Figures
from fixtures.cast import Cast
from harness.forked import SWITCH as FORKSERVER_SWITCH
from harness.stack import Stack, StackConfig

# Accounts are created this many at a time: each sign-up and sign-in is an argon2 hash, and the
# service answers any call within 5 s or gives up, so a thousand at once would mostly fail.
SIGN_UPS_AT_ONCE = 10
ANSWER_WITHIN_S = 90.0  # longer than the 60 s budget, so a late answer is seen as late
VERIFY_AT_ONCE = 20
FLOOR_PINGS = 20


async def _settle_in(customer: Customer, gate: asyncio.Semaphore) -> str | None:
    """Sign up, sign in and load the usage; the failure, or None."""
    try:
        await customer.person.attempts_to(SettleIn(gate))
    except (ApiError, aiohttp.ClientError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    return None


async def _arrive(cast: Cast, count: int) -> list[Customer]:
    customers = customers_of([cast.person(f"Customer{n:04d}") for n in range(1, count + 1)])
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
    await person.attempts_to(Ask(customer.question))
    run = await person.asks_for(TheRunAsked())
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
    # Per event of the answered runs (by seq): seconds from the ask to its arrival.
    timeline: dict[int, list[float]] = field(default_factory=dict)

    def add(self, other: Round) -> None:
        for key, samples in other.waits.items():
            self.waits[key] += samples
        self.fates.update(other.fates)
        for seq, arrivals in other.timeline.items():
            self.timeline.setdefault(seq, []).extend(arrivals)

    def describe_timeline(self) -> str:
        """Median arrival of each event after the ask: where an answer's time goes."""
        return ", ".join(
            f"{seq}:{statistics.median(arrivals):.2f}"
            for seq, arrivals in sorted(self.timeline.items())
        )


async def _crowd_round(customers: Sequence[Customer], opening: int | None = None) -> Round:
    """Everyone opens the chat at the same moment (at most `opening` at a time when given: to
    time the questions of a crowd whose arrival all at once the instance refuses), then everyone
    asks at the same moment."""
    gate = asyncio.Semaphore(opening or len(customers))

    async def open_one(customer: Customer) -> tuple[float, str | None]:
        async with gate:
            return await _open(customer)

    for customer in customers:
        await customer.person.attempts_to(
            Leave()
        )  # a fresh chat each round: opening is measured too
    opened = await asyncio.gather(*(open_one(c) for c in customers))
    present = [c for c, (_, problem) in zip(customers, opened, strict=True) if problem is None]
    asked = await asyncio.gather(*(_ask(c) for c in present))
    acked = [c for c, problem in zip(present, asked, strict=True) if problem is None]
    await Everyone(acked).attempts_to(WaitUntilTheirQuestionEnds(ANSWER_WITHIN_S))
    result = Round()
    result.fates.update(problem for _, problem in opened if problem is not None)
    result.fates.update(problem for problem in asked if problem is not None)
    result.fates.update((await Everyone(acked).asks_for(HowTheirQuestionEnded())).values())
    runs = [r for c in acked if (r := c.person.last_run) is not None]
    ended = [r for r in runs if r.final is not None]
    result.waits["open"] = [seconds for seconds, problem in opened if problem is None]
    result.waits["first"] = [latency.first_progress(r) for r in runs]
    result.waits["answer"] = [latency.answer_time(r) for r in ended]
    result.waits["gap"] = [latency.longest_step_gap(r)[0] for r in ended]
    for run in ended:
        for event in run.events:
            if run.asked_at is not None and event.seq is not None:
                result.timeline.setdefault(event.seq, []).append(event.at - run.asked_at)
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


@contextlib.contextmanager
def _profiled(folder: Path | None, name: str, pids: Sequence[int]) -> Iterator[None]:
    """py-spy records each service process (collapsed stacks) while the block runs."""
    if folder is None:
        yield
        return
    # On the PATH, or installed into this Python's environment (.venv/bin, not activated).
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        raise SystemExit("--profile needs py-spy (pip install py-spy; root may be needed)")
    folder.mkdir(parents=True, exist_ok=True)
    record = [spy, "record", "--rate", "200", "--format", "raw", "--nonblocking"]
    recorders = [
        subprocess.Popen(
            [*record, "--pid", str(pid), "--output", str(folder / f"{name}-{pid}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for recorder in recorders:
            recorder.wait(timeout=60)


@dataclass(frozen=True)
class Options:
    crowds: list[int]
    rounds: int
    repeat: int
    profile: Path | None
    pids: Sequence[int]
    database_url: str
    redis_url: str
    # The processes whose CPU time is counted: service instances, PostgreSQL, Redis.
    processes: dict[str, list[int]]
    opening: int | None = None


# What PostgreSQL and Redis count of their own work (the whole server: other databases are idle).
_PG_COUNTS = """
SELECT sum(xact_commit)::bigint AS transactions, sum(tup_inserted)::bigint AS rows_inserted,
       sum(tup_returned + tup_fetched)::bigint AS rows_read
FROM pg_stat_database
"""


def _cpu_ms(pids: Sequence[int]) -> int:
    """CPU time (user + system, ms) of these processes and their children so far (PostgreSQL
    serves each connection from a child process)."""
    total = 0.0
    for pid in pids:
        try:
            root = psutil.Process(pid)
            for process in [root, *root.children(recursive=True)]:
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return round(total * 1000)


async def _counts(options: Options) -> Counter[str]:
    """CPU ms per process kind, PostgreSQL's transactions and rows, Redis's calls per command,
    so far."""
    counts: Counter[str] = Counter(
        {f"cpu ms {kind}": _cpu_ms(pids) for kind, pids in options.processes.items()}
    )
    # This process asks for everyone: when it is as busy as the service, its own lag is measured.
    mine = psutil.Process().cpu_times()
    counts["cpu ms client"] = round((mine.user + mine.system) * 1000)
    connection = await asyncpg.connect(options.database_url)
    try:
        row = await connection.fetchrow(_PG_COUNTS)
        counts.update({f"postgres {key}": int(value) for key, value in row.items()})
    finally:
        await connection.close()
    redis = Redis.from_url(options.redis_url)
    try:
        for command, stats in (await redis.info("commandstats")).items():
            counts[f"redis {command.removeprefix('cmdstat_')}"] = int(stats["calls"])
    finally:
        await redis.aclose()
    return counts


def _per_question(before: Counter[str], after: Counter[str], questions: int) -> dict[str, float]:
    spent = after - before
    if not questions:
        return {}
    return {k: v / questions for k, v in sorted(spent.items()) if v / questions >= 0.05}


async def _bench(url: str, options: Options) -> dict[str, dict[str, float]]:
    """Prints the figures; returns them in seconds, per crowd and wait (p50/p99/max, count)."""
    crowds, rounds = options.crowds, options.rounds
    report: dict[str, dict[str, float]] = {}
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as session:
        cast = Cast(url, session, "benchmark")
        everyone = await _arrive(cast, max(crowds))
        if not everyone:
            print("no account could be created: nothing to measure")
            return report
        first = everyone[0]
        await first.person.attempts_to(OpenChat())
        # Fewer pings than a socket's burst of frames (service/delivery/chat/socket_limits.py):
        # past it the service answers rate_limited, never pong.
        floor = statistics.median(
            [await first.person.chat.sockets["laptop"].ping() for _ in range(FLOOR_PINGS)]
        )
        print(
            f"floor: ping round trip, median of {FLOOR_PINGS} = {floor * 1000:.2f} ms "
            "(ratios are to it)"
        )
        alone = [await _one_question(first) for _ in range(rounds)]
        print(_ratio_row("1 person", "first progress", [a[0] for a in alone], floor))
        print(_ratio_row("1 person", "answer", [a[1] for a in alone], floor))
        for size in crowds:
            people = everyone[:size]
            label = f"{len(people)} people at once"
            merged = Round()
            started = time.monotonic()
            before = await _counts(options)
            with _profiled(options.profile, f"crowd-{size}", options.pids):
                for _ in range(max(1, round(rounds * 20 / size)) * options.repeat):
                    merged.add(await _crowd_round(people, options.opening))
            spent = _per_question(before, await _counts(options), len(merged.waits["first"]))
            for key, samples in merged.waits.items():
                if (figures := _figures(samples)) is not None:
                    report[f"{size} {key}"] = {
                        "p50": figures.p50,
                        "p99": figures.p99,
                        "max": figures.max,
                        "count": len(samples),
                    }
            report[f"{size} fates"] = {k: float(v) for k, v in merged.fates.items()}
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
            # Opening the chat is counted too: everyone reopens it for each round.
            report[f"{size} per question"] = spent
            print(f"{label:<24} {'event arrivals':<15} (seq:median s) {merged.describe_timeline()}")
            described = ", ".join(f"{k} {v:.1f}" for k, v in spent.items())
            print(f"{label:<24} {'per question':<15} {described}")
            broken = await _contract_problems(people)
            print(
                f"{label:<24} {'fates':<15} "
                + ", ".join(f"{fate} {n}" for fate, n in merged.fates.most_common())
                + f"; {broken} saw a stream that broke the chat contract; {took:.1f} s"
            )
        await asyncio.gather(*(c.person.attempts_to(Leave()) for c in everyone))
    return report


async def _with_idle_chats(
    url: str, options: Options, idle: HeldElsewhere | None
) -> dict[str, dict[str, float]]:
    """The crowds' figures, measured while `idle`'s chats are held open (none: as is)."""
    if idle is None:
        return await _bench(url, options)
    try:
        report = await _bench(url, options)
    finally:
        at_end = await asyncio.to_thread(idle.check, "the idle chats, after the crowds")
    report["idle chats"] = {
        key: float(str(idle.figures[key])) for key in ("opened", "answered_ping", "kb_per_chat")
    } | {"answered_ping_after": float(str(at_end["answered_ping"]))}
    return report


def _sizes(text: str) -> list[int]:
    sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("crowd sizes are positive numbers: 20,100,1000")
    return sizes


def main() -> int:
    # Capacity figures come from the process a deployment runs (`python -m service`), not from
    # instances forked from the suite's warmed fork server (harness/forked.py).
    os.environ.setdefault(FORKSERVER_SWITCH, "0")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crowds", type=_sizes, default=[20, 100, 1000])
    parser.add_argument("--rounds", type=int, default=5, help="questions of one person alone")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of each crowd, times")
    parser.add_argument("--instances", type=int, default=1, help="service instances")
    parser.add_argument("--proxy", action="store_true", help="ask through nginx (the balancer)")
    parser.add_argument("--profile", type=Path, help="py-spy each crowd into this folder")
    parser.add_argument("--json", type=Path, help="write the figures (seconds) here")
    parser.add_argument(
        "--open-at-once", type=int, help="chats opening at a time (default: the whole crowd)"
    )
    parser.add_argument("--idle-chats", type=int, default=0, help="chats held open meanwhile")
    parser.add_argument("--tabs", type=int, default=20, help="idle chats per person")
    args = parser.parse_args()
    extra = {"MAX_CHATS_PER_PERSON": str(max(20, args.tabs))} if args.idle_chats else {}
    config = StackConfig.from_env(instances=args.instances, proxy=args.proxy, extra_env=extra)
    with Stack(config) as stack:
        url = stack.proxy_url if args.proxy else stack.service_urls[0]
        pids = [service.pid for service in stack.services]
        processes = {"service": pids}
        if stack.postgres is not None and stack.redis is not None:
            processes |= {"postgres": [stack.postgres.pid], "redis": [stack.redis.pid]}
        if stack.nginx is not None:  # the balancer's share of the machine (its workers)
            processes["nginx"] = [stack.nginx.pid]
        options = Options(
            args.crowds,
            args.rounds,
            max(1, args.repeat),
            args.profile,
            pids,
            stack.database_url,
            stack.redis_url,
            processes,
            args.open_at_once,
        )
        # 200 at a time: a crowd of 10,000 arriving at once is bench/crowd.py's own measurement.
        idle = (
            HeldElsewhere(stack, chats=args.idle_chats, tabs=args.tabs, at_once=200)
            if args.idle_chats
            else None
        )
        try:
            report = asyncio.run(_with_idle_chats(url, options, idle))
        finally:
            if idle is not None:
                idle.close()
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
