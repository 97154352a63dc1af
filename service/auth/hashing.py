"""Password hashing work, bounded and shared fairly: between sign-ins and sign-ups, and between
the clients asking for each.

argon2 costs tens of milliseconds of CPU and 19 MiB per hash, and sign-up needs no account: one
address sending hundreds of sign-ups at once used to queue hundreds of hashes in front of every
other person's sign-in (a real sign-in answered 503 after 5 s). Here:

- hashes run on `workers` threads of their own (not the default executor the rest shares);
- there are two lines, sign-ins and sign-ups. While both have someone waiting, a free worker
  goes to them in turn, so sign-ins keep at least half of the hashing however many sign-ups
  come, from however many addresses: a sign-up flood cannot take it (and a sign-in flood leaves
  sign-ups half as well). Each line has its own bounds, so a full sign-up line refuses only
  sign-ups;
- within a line each client waits in its own queue, and the line serves its clients in turn, so
  one client's backlog delays another person by at most about one hash of that line;
- a client whose queue is full, or whose turn could not come before the request deadline, is
  refused at once, and a hash that waited `max_wait_s` after all is refused then: 429
  `rate_limited` with Retry-After (never a 503 at the request deadline). A steady stream (a
  thousand sign-ups a minute from one load generator) queues and succeeds; only a burst far
  beyond that is refused.

Who one client is (an address, an IPv6 /64, behind trusted proxies the client they name) is the
caller's to say: service/http/clients.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from service.errors import RateLimited

T = TypeVar("T")
# Starting estimate of one hash (measured ones replace it), and how fast the estimate moves.
FIRST_ESTIMATE_S = 0.1
SMOOTHING = 0.2


class Line(enum.Enum):
    """Which line a hash waits in."""

    # An existing account's: a sign-in's check, a signed-in person's password change.
    SIGN_IN = "sign-in"
    # A new account's password.
    SIGN_UP = "sign-up"


@dataclass
class _Waiting:
    # Clients in turn order, each with its tickets (resolved when a worker is theirs).
    queues: OrderedDict[str, deque[asyncio.Future[None]]] = field(default_factory=OrderedDict)
    count: int = 0


class HashingPool:
    def __init__(
        self,
        *,
        workers: int,
        max_waiting_per_client: int,
        max_waiting: int,
        max_wait_s: float,
    ) -> None:
        """`max_waiting_per_client` and `max_waiting` bound each line on its own."""
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hashing")
        self._workers = workers
        self._max_per_client = max_waiting_per_client
        self._max_waiting = max_waiting
        self._max_wait_s = max_wait_s
        self._busy = 0
        self._lines = {line: _Waiting() for line in Line}
        self._served_last = Line.SIGN_UP
        self._hash_s = FIRST_ESTIMATE_S

    async def run(self, line: Line, client: str, work: Callable[..., T], *args: object) -> T:
        """`work(*args)` on a hashing thread, when it is this client's turn in `line`."""
        ticket = self._enqueue(line, client)
        try:
            await asyncio.wait_for(asyncio.shield(ticket), self._max_wait_s)
        except BaseException as exc:
            if ticket.done() and not ticket.cancelled():
                self._release()  # the turn came just as the wait ended
            else:
                ticket.cancel()
                self._withdraw(line, client, ticket)
            if isinstance(exc, TimeoutError):  # the estimate was too hopeful: refuse now
                raise self._refused(self._max_wait_s) from None
            raise
        began = time.monotonic()
        job = asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        # The worker is free again when the hash ends, even if the request has given up.
        job.add_done_callback(lambda _: self._finished(time.monotonic() - began))
        return await asyncio.shield(job)

    def waiting(self, line: Line) -> int:
        return self._lines[line].count

    def _enqueue(self, line: Line, client: str) -> asyncio.Future[None]:
        waiting = self._lines[line]
        queue = waiting.queues.get(client)
        waiting_here = len(queue) if queue else 0
        # With fair turns, this client gets a worker share of workers / clients waiting in its
        # line, halved while the other line waits too.
        turns = max(1, len(waiting.queues) + (queue is None))
        lines = 1 + any(w.count for other, w in self._lines.items() if other is not line)
        expected_s = (waiting_here + 1) * self._hash_s * turns * lines / self._workers
        if (
            waiting_here >= self._max_per_client
            or waiting.count >= self._max_waiting
            or expected_s > self._max_wait_s
        ):
            raise self._refused(expected_s)
        ticket = asyncio.get_running_loop().create_future()
        waiting.queues.setdefault(client, deque()).append(ticket)
        waiting.count += 1
        self._dispatch()
        return ticket

    @staticmethod
    def _refused(wait_s: float) -> RateLimited:
        return RateLimited(
            "Too many password checks from your address at once; try again shortly",
            retry_after=max(1, math.ceil(wait_s)),
        )

    def _withdraw(self, line: Line, client: str, ticket: asyncio.Future[None]) -> None:
        waiting = self._lines[line]
        queue = waiting.queues.get(client)
        if queue is not None and ticket in queue:
            queue.remove(ticket)
            waiting.count -= 1
            if not queue:
                del waiting.queues[client]

    def _next_line(self) -> Line | None:
        """The line whose turn it is: the other one than last time, when both have someone."""
        ready = [line for line, waiting in self._lines.items() if waiting.queues]
        if not ready:
            return None
        line = ready[0] if len(ready) == 1 or ready[0] is not self._served_last else ready[1]
        self._served_last = line
        return line

    def _dispatch(self) -> None:
        """Give free workers to the lines in turn, and in each line one ticket per client in
        turn."""
        while self._busy < self._workers and (line := self._next_line()) is not None:
            waiting = self._lines[line]
            client, queue = next(iter(waiting.queues.items()))
            ticket = queue.popleft()
            waiting.count -= 1
            if queue:
                waiting.queues.move_to_end(client)
            else:
                del waiting.queues[client]
            if not ticket.done():
                self._busy += 1
                ticket.set_result(None)

    def _finished(self, took_s: float) -> None:
        self._hash_s += SMOOTHING * (took_s - self._hash_s)
        self._release()

    def _release(self) -> None:
        self._busy -= 1
        self._dispatch()

    def close(self) -> None:
        for waiting in self._lines.values():
            for queue in waiting.queues.values():
                for ticket in queue:
                    with contextlib.suppress(asyncio.InvalidStateError):
                        ticket.cancel()
            waiting.queues.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
