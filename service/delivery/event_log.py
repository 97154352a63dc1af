"""Run events are stored and published in batches: one INSERT and one Redis round trip carry
every event that is ready at that moment, whatever the number of runs.

A transaction per event (a pooled connection, a ping, BEGIN, INSERT, COMMIT, then a Redis
pipeline) was most of an instance's work under load: at 300 simultaneous questions the pools ran
dry and runs failed. Each run still waits for its own event to be stored and published
before it emits the next, so a run's events stay in order and nothing is sent before it is
stored; events of different runs now share round trips (group commit).

Under a crowd every run's step waited for two round trips, one batch at a time: the INSERT, then
the Redis pipeline that fans the events out to the other instances. Now up to `WRITERS` batches
are stored at once (a run never has two events in flight, so its order holds), and an event is
delivered to this instance's sockets as soon as it is stored, its run going on at once; the
fan-out to other instances follows in the background, in the order the events were stored (one
publisher), and what is still queued is sent before the instance stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from service.delivery.bus import Bus
from service.delivery.streams import Outgoing
from service.metrics import DEPENDENCY_ERRORS, EVENTS_SENT
from service.store.conversations import RunTakenOver
from service.store.hot_path import REFUSED, HotPath, KeptStage

log = logging.getLogger("service.event_log")

MAX_BATCH = 500
# Batches stored at once (each on its own pooled connection): more would only queue in PostgreSQL.
WRITERS = 4
# At shutdown, how long the events stored but not yet fanned out may take to go.
FLUSH_S = 2.0
# A failed batch is tried again after these pauses (a statement already stored counts as
# stored: service/store/hot_path.py), then its runs are told; a seq is never skipped.
RETRY_DELAYS_S = (0.2, 0.8)


@dataclass(eq=False)
class _Pending:
    """One run's events that are stored together (all or none), in seq order."""

    user_id: uuid.UUID
    envelopes: list[dict[str, Any]]
    # Each event's JSON, encoded once: stored, streamed, published and sent as it is.
    texts: list[str]
    # The results of the stages these events say finished, kept in the same statement.
    stages: list[KeptStage]
    done: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def resolve(self, error: BaseException | None = None) -> None:
        if self.done.done():  # its run stopped waiting (cancelled); nothing to tell
            return
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)


class EventLog:
    def __init__(
        self, store: HotPath, bus: Bus, *, max_batch: int = MAX_BATCH, writers: int = WRITERS
    ) -> None:
        self._store = store
        self._bus = bus
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._writers = asyncio.Semaphore(writers)
        self._writing: set[asyncio.Task[None]] = set()
        # Stored events, in the order they were stored, for the other instances.
        self._outgoing: asyncio.Queue[list[Outgoing]] = asyncio.Queue()

    async def append(
        self, user_id: uuid.UUID, envelopes: list[dict[str, Any]], stages: list[KeptStage]
    ) -> None:
        """Store one run's events (in one statement: all or none, with the stage results they
        announce) in PostgreSQL, then publish them; RunTakenOver if a seq is taken (another
        instance ended the run meanwhile: service/runs/recovery.py)."""
        pending = _Pending(user_id, envelopes, [json.dumps(e) for e in envelopes], stages)
        self._queue.put_nowait(pending)
        await pending.done

    async def append_with(
        self,
        user_id: uuid.UUID,
        envelopes: list[dict[str, Any]],
        store: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        """Have `store` write the events (given their JSON) in a statement of its own, with
        what they announce (the answer), then publish them as if they had gone in a batch;
        whatever `store` raises (RunTakenOver...) goes to the caller and nothing is sent."""
        texts = [json.dumps(e) for e in envelopes]
        await store(texts)
        self._stored([_Pending(user_id, envelopes, texts, [])])

    async def run(self) -> None:
        """Write batches until cancelled (after the runs have drained), then send the other
        instances what they have not had yet."""
        publisher = asyncio.create_task(self._publish())
        try:
            while True:
                await self._writers.acquire()
                try:
                    batch = [await self._queue.get()]
                except asyncio.CancelledError:
                    self._writers.release()
                    raise
                while len(batch) < self._max_batch and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                task = asyncio.create_task(self._write_one(batch))
                self._writing.add(task)
                task.add_done_callback(self._writing.discard)
        finally:
            await asyncio.gather(*self._writing, return_exceptions=True)
            publisher.cancel()
            await asyncio.gather(publisher, return_exceptions=True)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_S):
                    await self._flush()

    async def _write_one(self, batch: list[_Pending]) -> None:
        try:
            await self._write(batch)
        finally:
            self._writers.release()

    async def _publish(self) -> None:
        while True:
            frames = await self._outgoing.get()
            while not self._outgoing.empty():
                frames += self._outgoing.get_nowait()
            await self._bus.publish_elsewhere(frames)

    async def _flush(self) -> None:
        frames: list[Outgoing] = []
        while not self._outgoing.empty():
            frames += self._outgoing.get_nowait()
        await self._bus.publish_elsewhere(frames)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            taken = await self._store_retried(
                [e for p in batch for e in p.envelopes],
                [t for p in batch for t in p.texts],
                [s for p in batch for s in p.stages],
            )
        except REFUSED as exc:
            if len(batch) > 1:  # one event PostgreSQL refuses must not fail the others
                for pending in batch:
                    await self._write([pending])
                return
            _fail(batch, exc)
            return
        except Exception as exc:
            _fail(batch, exc)
            return
        stored = [p for p in batch if not any(_key(e) in taken for e in p.envelopes)]
        for pending in batch:
            if any(_key(e) in taken for e in pending.envelopes):  # ended elsewhere meanwhile
                pending.resolve(RunTakenOver(pending.envelopes[0]["run_id"]))
        self._stored(stored)

    def _stored(self, stored: list[_Pending]) -> None:
        """Events now in PostgreSQL: to this instance's sockets at once, to the others in the
        order they were stored; then their runs go on."""
        frames = [
            Outgoing(p.user_id, e, t)
            for p in stored
            for e, t in zip(p.envelopes, p.texts, strict=True)
        ]
        with contextlib.suppress(Exception):  # delivering never fails a stored event
            self._bus.deliver_here(frames)
        self._outgoing.put_nowait(frames)
        # Counted by type, a batch at a time: a labels() look-up per event was 3 % of a crowd.
        for kind, count in Counter(e["type"] for p in stored for e in p.envelopes).items():
            EVENTS_SENT.labels(kind).inc(count)
        for pending in stored:
            pending.resolve()

    async def _store_retried(
        self, envelopes: list[dict[str, Any]], texts: list[str], stages: list[KeptStage]
    ) -> set[tuple[str, int]]:
        """Store the events, trying again after each of RETRY_DELAYS_S while a dependency fails
        (an event PostgreSQL refuses is not tried again)."""
        delays = iter(RETRY_DELAYS_S)
        while True:
            try:
                return await self._store.append_events(envelopes, texts, stages)
            except REFUSED:
                raise
            except Exception as exc:
                DEPENDENCY_ERRORS.labels("postgres").inc()
                log.warning("%d events not stored: %s", len(envelopes), type(exc).__name__)
                delay = next(delays, None)
                if delay is None:
                    raise
            await asyncio.sleep(delay)


def _key(envelope: dict[str, Any]) -> tuple[str, int]:
    return (str(envelope["run_id"]), int(envelope["seq"]))


def _fail(batch: list[_Pending], error: BaseException) -> None:
    """Tell each run its event was not stored."""
    for pending in batch:
        pending.resolve(error)
