"""Many callers at once, one round trip: calls made while one is on its way ride the next together.

A crowd's handshakes each asked Redis the same three things (is this session ended, what is this
person's plan, one more chat for them), one round trip each: at 3,000 at once the round trips,
not the answers, kept the event loop busy. A `Coalescer` sends the first call at once and
gathers every call made meanwhile into the next one (at most `max_batch` each), so a lone call
waits for nothing and a crowd pays one round trip per batch. With `flights` above one, that many
batches may be on their way at once: a call that finds fewer goes at once, so one slow batch (a
statement waiting for a lock) does not hold back the calls behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

MAX_BATCH = 500


class Coalescer(Generic[K, V]):
    """`fetch` takes the batch's items and returns one result per item, in order; if it raises,
    every caller of that batch gets the error."""

    def __init__(
        self,
        fetch: Callable[[list[K]], Awaitable[Sequence[V]]],
        *,
        max_batch: int = MAX_BATCH,
        flights: int = 1,
    ) -> None:
        self._fetch = fetch
        self._max_batch = max_batch
        self._flights = flights
        self._waiting: list[tuple[K, asyncio.Future[V]]] = []
        self._flying: set[asyncio.Task[None]] = set()

    async def __call__(self, item: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        # A flight that has just landed is done before its callback forgets it.
        if sum(not flight.done() for flight in self._flying) < self._flights:
            flight = asyncio.create_task(self._fly())
            self._flying.add(flight)
            flight.add_done_callback(self._flying.discard)
        return await future

    async def _fly(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            try:
                results = await self._fetch([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:  # cancelled (shutdown): nobody waits forever
                for _, future in batch + self._waiting:
                    future.cancel()
                self._waiting.clear()
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():  # its caller may have given up meanwhile
                    future.set_result(result)
