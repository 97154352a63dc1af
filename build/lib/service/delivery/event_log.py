"""Run events are stored and published in batches: one INSERT and one Redis round trip carry
every event that is ready at that moment, whatever the number of runs.

A transaction per event (a pooled connection, a ping, BEGIN, INSERT, COMMIT, then a Redis
pipeline) was most of an instance's work under load: at 300 simultaneous questions the pools ran
dry and runs failed. Each run still waits for its own event to be stored and published
before it emits the next, so a run's events stay in order and nothing is sent before it is
stored; events of different runs now share round trips (group commit).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from service.delivery.bus import Bus
from service.metrics import DEPENDENCY_ERRORS, EVENTS_SENT
from service.store.conversations import RunTakenOver
from service.store.hot_path import HotPath

log = logging.getLogger("service.event_log")

MAX_BATCH = 500
# A failed batch is tried again after these pauses (a statement already stored counts as
# stored: service/store/hot_path.py), then its runs are told; a seq is never skipped.
RETRY_DELAYS_S = (0.2, 0.8)
# What PostgreSQL refuses about the events themselves (not a dependency failure).
REFUSED = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)


@dataclass(eq=False)
class _Pending:
    user_id: uuid.UUID
    envelope: dict[str, Any]
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
    def __init__(self, store: HotPath, bus: Bus, *, max_batch: int = MAX_BATCH) -> None:
        self._store = store
        self._bus = bus
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()

    async def append(self, user_id: uuid.UUID, envelope: dict[str, Any]) -> None:
        """Store the event in PostgreSQL, then publish it; RunTakenOver if its seq is taken (another
        instance ended the run meanwhile: service/runs/recovery.py)."""
        pending = _Pending(user_id, envelope)
        self._queue.put_nowait(pending)
        await pending.done

    async def run(self) -> None:
        """Write batches until cancelled (after the runs have drained)."""
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            await self._write(batch)

    async def _write(self, batch: list[_Pending]) -> None:
        try:
            taken = await self._store_retried([p.envelope for p in batch])
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
        stored = [p for p in batch if _key(p.envelope) not in taken]
        for pending in batch:
            if _key(pending.envelope) in taken:  # another instance ended the run meanwhile
                pending.resolve(RunTakenOver(pending.envelope["run_id"]))
        with contextlib.suppress(Exception):  # publishing never fails a stored event
            await self._bus.publish_many([(p.user_id, p.envelope) for p in stored])
        for pending in stored:
            EVENTS_SENT.labels(pending.envelope["type"]).inc()
            pending.resolve()

    async def _store_retried(self, envelopes: list[dict[str, Any]]) -> set[tuple[str, int]]:
        """Store the events, trying again after each of RETRY_DELAYS_S while a dependency fails
        (an event PostgreSQL refuses is not tried again)."""
        delays = iter(RETRY_DELAYS_S)
        while True:
            try:
                return await self._store.append_events(envelopes)
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
