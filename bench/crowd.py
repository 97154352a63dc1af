"""A crowd opening the chat at the same moment, and what the chats cost once open.

A plain asyncio client (the `websockets` library, no Locust, no driver): N chats, each person
with their own account (or `--tabs` chats per person), all start opening at the same moment.
It reports how many opened (at the first try, and after honouring `Retry-After` with
`--retry`), each refusal by status, and the time to open from that moment (p50, p99, max).
With `--idle S` the chats then stay open S seconds, every one is pinged, and the service's
resident memory with them open, against before, is divided by the chats: the memory per open
chat.

    python bench/crowd.py --chats 3000                       # a crowd at once, 1 instance
    python bench/crowd.py --chats 10000 --tabs 20 --at-once 200 --idle 30  # 500 people, 20 tabs

`bench/answer_latency.py --idle-chats N` holds chats open the same way (`HeldElsewhere`: in a
process of its own) while its crowds ask.

The stack is the embedded one (harness/stack.py). Extra service settings: `--env NAME=VALUE`
(repeatable). The people are prepared in bulk (harness/people_in_bulk.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import psutil
import websockets
from websockets.exceptions import InvalidStatus

from harness.people_in_bulk import Person, people
from harness.stack import Stack, StackConfig

# Time a refused chat may keep trying with --retry; the promise is "open within 10 s".
RETRY_WITHIN_S = 30.0
OPEN_TIMEOUT_S = 60.0
PING_TIMEOUT_S = 60.0
WARM_UP_CHATS = 20


@dataclass
class Opening:
    chat: websockets.ClientConnection | None = None
    took_s: float = 0.0  # from the moment everyone started
    attempts: int = 0
    refusals: tuple[str, ...] = ()  # "503 (Retry-After 1)", one per refused attempt
    failure: str | None = None  # the last, for a chat that never opened


async def _open(
    url: str, person: Person, start: asyncio.Event, began: list[float], *, retry: bool
) -> Opening:
    await start.wait()
    opening = Opening()
    refusals: list[str] = []
    while True:
        opening.attempts += 1
        try:
            opening.chat = await websockets.connect(
                url,
                additional_headers={"Authorization": f"Bearer {person.access}"},
                open_timeout=OPEN_TIMEOUT_S,
                ping_interval=None,  # the service pings; the client only answers
                compression=None,
                max_queue=4,
            )
        except InvalidStatus as refused:
            status = refused.response.status_code
            after = refused.response.headers.get("Retry-After")
            refusals.append(f"{status} (Retry-After {after})" if after else str(status))
            elapsed = time.monotonic() - began[0]
            if retry and after is not None and elapsed + float(after) < RETRY_WITHIN_S:
                await asyncio.sleep(float(after))
                continue
            opening.failure = refusals[-1]
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            opening.failure = f"{type(error).__name__}: {error}"[:120]
        break
    opening.took_s = time.monotonic() - began[0]
    opening.refusals = tuple(refusals)
    return opening


async def _ping(chat: websockets.ClientConnection) -> bool:
    try:
        await chat.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(PING_TIMEOUT_S):
            while True:
                if json.loads(await chat.recv()).get("type") == "pong":
                    return True
    except (websockets.WebSocketException, TimeoutError, OSError):
        return False


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def _rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 2**20


async def _crowd(
    url: str, owners: Sequence[Person], *, retry: bool, at_once: int = 0
) -> list[Opening]:
    start = asyncio.Event()
    began = [0.0]
    gate = asyncio.Semaphore(at_once or len(owners) or 1)

    async def one(person: Person) -> Opening:
        async with gate:
            return await _open(url, person, start, began, retry=retry)

    tasks = [asyncio.create_task(one(p)) for p in owners]
    await asyncio.sleep(0)  # every task waits on the start
    began[0] = time.monotonic()
    start.set()
    return await asyncio.gather(*tasks)


@contextlib.contextmanager
def _profiled(pid: int, into: Path | None) -> Iterator[None]:
    """py-spy samples the service while the crowd arrives (collapsed stacks, for flame graphs
    or `sort | uniq`)."""
    if into is None:
        yield
        return
    # pip installs py-spy beside this interpreter, which need not be on PATH (.venv/bin).
    binary = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    spy = subprocess.Popen(
        [
            binary,
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--output",
            str(into),
            "--rate",
            "200",
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1)  # attached before the crowd starts
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=30)


def report(openings: Sequence[Opening]) -> dict[str, object]:
    opened = [o for o in openings if o.chat is not None]
    times = [o.took_s for o in opened]
    first_try = sum(1 for o in opened if o.attempts == 1)
    refused = Counter(r.split(" ")[0] for o in openings for r in o.refusals[:1])
    failures = Counter(o.failure for o in openings if o.failure is not None)
    figures = {
        "chats": len(openings),
        "opened": len(opened),
        "opened_first_try": first_try,
        "refused_first_try": dict(refused),
        "never_opened": dict(failures),
        "open_p50_s": round(_percentile(times, 0.50), 3),
        "open_p99_s": round(_percentile(times, 0.99), 3),
        "open_max_s": round(max(times, default=float("nan")), 3),
    }
    print(
        f"{len(opened)} of {len(openings)} chats opened ({first_try} at the first try); "
        f"refused at the first try: {dict(refused) or 'none'}; never opened: "
        f"{dict(failures) or 'none'}"
    )
    print(
        f"time to open from the common start: p50 {figures['open_p50_s']} s, "
        f"p99 {figures['open_p99_s']} s, max {figures['open_max_s']} s"
    )
    return figures


@dataclass
class Held:
    """A crowd's chats, opened and held: what opening them cost, and the service's memory
    before them."""

    openings: list[Opening]
    figures: dict[str, object]
    rss_before_mb: float

    @property
    def chats(self) -> list[websockets.ClientConnection]:
        return [o.chat for o in self.openings if o.chat is not None]


async def open_crowd(
    stack: Stack,
    *,
    chats: int,
    tabs: int = 1,
    at_once: int = 0,
    retry: bool = False,
    profile: Path | None = None,
) -> Held:
    """`chats` chats of `-(-chats // tabs)` people prepared in bulk, `tabs` each, opening at the
    same moment on the stack's first instance (at most `at_once` at a time when given)."""
    service = stack.services[0]
    url = service.url.replace("http", "ws", 1) + "/ws"
    persons = -(-chats // tabs)
    prepared = time.monotonic()
    crowd = await people(stack.database_url, stack.jwt, persons + 1, tag="crowd")
    print(f"{persons} people prepared in {time.monotonic() - prepared:.1f} s")
    warm = await _crowd(url, [crowd[-1]] * min(WARM_UP_CHATS, tabs), retry=True)
    assert all([await _ping(o.chat) for o in warm if o.chat is not None])
    for o in warm:
        if o.chat is not None:
            await o.chat.close()
    await asyncio.sleep(1)  # the closed chats' handlers finish (memory, not timing)
    before = _rss_mb(service.pid)
    owners = [crowd[n // tabs] for n in range(chats)]
    process, client = psutil.Process(service.pid), psutil.Process()
    cpu_before, client_before = sum(process.cpu_times()[:2]), sum(client.cpu_times()[:2])
    with _profiled(service.pid, profile):
        openings = await _crowd(url, owners, retry=retry, at_once=at_once)
    figures = report(openings)
    # CPU, unlike seconds, hardly moves with what else the machine is doing.
    cpu_ms = (sum(process.cpu_times()[:2]) - cpu_before) * 1000 / len(owners)
    client_ms = (sum(client.cpu_times()[:2]) - client_before) * 1000 / len(owners)
    print(
        f"CPU while the crowd arrived, per chat: service {cpu_ms:.2f} ms, "
        f"this client {client_ms:.2f} ms (load average {os.getloadavg()[0]:.1f})"
    )
    figures["service_cpu_ms_per_chat"] = round(cpu_ms, 2)
    figures["client_cpu_ms_per_chat"] = round(client_ms, 2)
    return Held(openings, figures, before)


async def still_open(stack: Stack, held: Held, *, label: str) -> dict[str, object]:
    """Pings every held chat and divides the service's memory growth since before they opened
    by the chats: how many answered, and the memory per open chat."""
    chats = held.chats
    answered = sum(await asyncio.gather(*(_ping(c) for c in chats)))
    after = _rss_mb(stack.services[0].pid)
    per_chat_kb = (after - held.rss_before_mb) * 1024 / max(1, len(chats))
    print(f"{label}: {answered} of {len(chats)} open chats answered a ping")
    print(
        f"service resident memory: {held.rss_before_mb:.1f} MB before, {after:.1f} MB with the "
        f"chats: {per_chat_kb:.1f} KB per open chat"
    )
    return {
        "answered_ping": answered,
        "rss_before_mb": round(held.rss_before_mb, 1),
        "rss_after_mb": round(after, 1),
        "kb_per_chat": round(per_chat_kb, 1),
    }


async def close_all(held: Held) -> None:
    await asyncio.gather(*(c.close() for c in held.chats), return_exceptions=True)


class HeldElsewhere:
    """A crowd's chats opened and held by a process of their own (forked before any event loop
    runs), so that answering the service's pings for thousands of chats does not slow the
    process that times other people's questions: `figures` once they are open, `check` pings
    them all again, `close` closes them."""

    def __init__(self, stack: Stack, *, chats: int, tabs: int, at_once: int) -> None:
        context = multiprocessing.get_context("fork")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_hold, args=(child, stack, chats, tabs, at_once), daemon=True
        )
        self._process.start()
        self.figures: dict[str, object] = self._pipe.recv()

    def check(self, label: str) -> dict[str, object]:
        self._pipe.send(label)
        figures: dict[str, object] = self._pipe.recv()
        return figures

    def close(self) -> None:
        self._pipe.send(None)
        self._process.join(timeout=60)


def _hold(pipe: Connection, stack: Stack, chats: int, tabs: int, at_once: int) -> None:
    async def holding() -> None:
        held = await open_crowd(stack, chats=chats, tabs=tabs, at_once=at_once, retry=True)
        await asyncio.sleep(5)  # the handshakes' work settles: the memory is that of open chats
        label = f"{len(held.chats)} chats held open"
        pipe.send(
            held.figures | {"opened": len(held.chats)} | await still_open(stack, held, label=label)
        )
        while (label := await asyncio.to_thread(pipe.recv)) is not None:
            pipe.send(await still_open(stack, held, label=label))
        await close_all(held)

    asyncio.run(holding())


async def measure(stack: Stack, args: argparse.Namespace) -> dict[str, object]:
    held = await open_crowd(
        stack,
        chats=args.chats,
        tabs=args.tabs,
        at_once=args.at_once,
        retry=args.retry,
        profile=args.profile,
    )
    figures = held.figures
    if args.idle > 0:
        process = psutil.Process(stack.services[0].pid)
        idle_cpu = sum(process.cpu_times()[:2])
        await asyncio.sleep(args.idle)
        # The heartbeat (a ping per chat every 20 s, one timer each): its cost while idle.
        idle_ms = (sum(process.cpu_times()[:2]) - idle_cpu) * 1000 / args.idle
        print(f"service CPU while {len(held.chats)} chats idled: {idle_ms:.0f} ms per second")
        figures["idle_cpu_ms_per_s"] = round(idle_ms)
        figures |= await still_open(stack, held, label=f"after {args.idle:g} s idle")
    await close_all(held)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=3000)
    parser.add_argument("--tabs", type=int, default=1, help="chats per person")
    parser.add_argument(
        "--at-once", type=int, default=0, help="open at most this many at a time (0: all)"
    )
    parser.add_argument("--retry", action="store_true", help="honour Retry-After and retry")
    parser.add_argument("--idle", type=float, default=0.0, help="seconds to hold the chats open")
    parser.add_argument("--env", action="append", default=[], help="a service setting NAME=VALUE")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    parser.add_argument("--profile", type=Path, help="py-spy the service into this file")
    parser.add_argument("--logs", type=Path, help="keep the stack's logs in this directory")
    args = parser.parse_args(argv)
    extra = dict(item.split("=", 1) for item in args.env)
    extra.setdefault("MAX_CHATS_PER_PERSON", str(max(args.tabs, 1)))
    config = StackConfig.from_env(extra_env=extra, log_dir=args.logs)
    with Stack(config) as stack:
        figures = asyncio.run(measure(stack, args))
    if args.json:
        print(json.dumps(figures))
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
