"""Password hashing work, bounded and shared fairly between the addresses asking for it.

argon2 costs tens of milliseconds of CPU and 19 MiB per hash, and sign-up needs no account: one
address sending hundreds of sign-ups at once used to queue hundreds of hashes in front of every
other person's sign-in (a real sign-in answered 503 after 5 s). Here:

- hashes run on `workers` threads of their own (not the default executor the rest shares);
- each peer address waits in its own queue, and a free worker serves the addresses in turn, so
  one address's backlog delays another person by at most about one hash;
- an address whose queue is full, or whose turn could not come before the request deadline, is
  refused at once, and a hash that waited `max_wait_s` after all is refused then: 429
  `rate_limited` with Retry-After (never a 503 at the request deadline). A steady stream (a
  thousand sign-ups a minute from one load generator) queues and succeeds; only a burst far
  beyond that is refused.

The address is `request.remote`: the TCP peer, or behind a proxy named in TRUSTED_PROXIES the
client it forwards for (service/http/proxies.py). Behind a proxy that is not trusted every
person shares one queue (then the bounds still hold, the fairness does not).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from service.errors import RateLimited

T = TypeVar("T")
# Starting estimate of one hash (measured ones replace it), and how fast the estimate moves.
FIRST_ESTIMATE_S = 0.1
SMOOTHING = 0.2


class HashingPool:
    def __init__(
        self,
        *,
        workers: int,
        max_waiting_per_address: int,
        max_waiting: int,
        max_wait_s: float,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hashing")
        self._workers = workers
        self._max_per_address = max_waiting_per_address
        self._max_waiting = max_waiting
        self._max_wait_s = max_wait_s
        self._busy = 0
        self._waiting = 0
        # Addresses in turn order, each with its tickets (resolved when a worker is theirs).
        self._queues: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()
        self._hash_s = FIRST_ESTIMATE_S

    async def run(self, address: str, work: Callable[..., T], *args: object) -> T:
        """`work(*args)` on a hashing thread, when it is this address's turn."""
        ticket = self._enqueue(address)
        try:
            await asyncio.wait_for(asyncio.shield(ticket), self._max_wait_s)
        except BaseException as exc:
            if ticket.done() and not ticket.cancelled():
                self._release()  # the turn came just as the wait ended
            else:
                ticket.cancel()
                self._withdraw(address, ticket)
            if isinstance(exc, TimeoutError):  # the estimate was too hopeful: refuse now
                raise self._refused(self._max_wait_s) from None
            raise
        began = time.monotonic()
        job = asyncio.get_running_loop().run_in_executor(self._executor, work, *args)
        # The worker is free again when the hash ends, even if the request has given up.
        job.add_done_callback(lambda _: self._finished(time.monotonic() - began))
        return await asyncio.shield(job)

    def _enqueue(self, address: str) -> asyncio.Future[None]:
        queue = self._queues.get(address)
        waiting_here = len(queue) if queue else 0
        # With fair turns, this address gets a worker share of workers / addresses waiting.
        turns = max(1, len(self._queues) + (queue is None))
        expected_s = (waiting_here + 1) * self._hash_s * turns / self._workers
        if (
            waiting_here >= self._max_per_address
            or self._waiting >= self._max_waiting
            or expected_s > self._max_wait_s
        ):
            raise self._refused(expected_s)
        ticket = asyncio.get_running_loop().create_future()
        self._queues.setdefault(address, deque()).append(ticket)
        self._waiting += 1
        self._dispatch()
        return ticket

    @staticmethod
    def _refused(wait_s: float) -> RateLimited:
        return RateLimited(
            "Too many password checks from your address at once; try again shortly",
            retry_after=max(1, math.ceil(wait_s)),
        )

    def _withdraw(self, address: str, ticket: asyncio.Future[None]) -> None:
        queue = self._queues.get(address)
        if queue is not None and ticket in queue:
            queue.remove(ticket)
            self._waiting -= 1
            if not queue:
                del self._queues[address]

    def _dispatch(self) -> None:
        """Give free workers to the waiting addresses, one ticket per address in turn."""
        while self._busy < self._workers and self._queues:
            address, queue = next(iter(self._queues.items()))
            ticket = queue.popleft()
            self._waiting -= 1
            if queue:
                self._queues.move_to_end(address)
            else:
                del self._queues[address]
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
        for queue in self._queues.values():
            for ticket in queue:
                with contextlib.suppress(asyncio.InvalidStateError):
                    ticket.cancel()
        self._queues.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
