"""`resume`: replay exactly the events a socket missed, then let live ones through.

1. Hold this socket's live events (`ReplayGate`) while the `resume` frame is answered.
2. For each run asked for: ask PostgreSQL whose run it is and its newest seq (the top); read the
   events after `last_seq` up to the top from the run's Redis stream, or from PostgreSQL when
   the stream does not hold every one of them (trimmed, expired, Redis down); queue `resumed`
   {from, to} and those events, at the pace the client reads them.
3. Release the held live events, minus those a replay already queued.

An event is published only after it is stored, so one published before step 1 is within the top
read in step 2, and one published after step 1 is held: nothing falls between the replay and the
live events, and the gate drops what both would send. Answers per run: `resumed`,
`resync_required` (the gap cannot be filled exactly: `last_seq` is beyond the top, or the log has
a hole), or an `error` whose `ref` is the run id (`not_found`; `temporarily_unavailable` when
neither store can answer). Never a partial replay. See docs/protocol-notes.md, "`resume` answers".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.contract import ControlType, Frame, control_frame
from service.delivery import streams
from service.delivery.chat.hub import Connection, Hub
from service.errors import NotFound, TemporarilyUnavailable
from service.resilience.deadlines import within
from service.resilience.failures import as_service_error
from service.resilience.outage_log import OutageNotice
from service.store import run_log
from service.store.db import Sessions

log = logging.getLogger("service.replay")
# One line per outage, not one per catch-up (the instance has one replayer).
_STREAM_DOWN = OutageNotice(log, "replay from the run streams")

T = TypeVar("T")
# A replay waits at most this long for a client that has stopped reading; then it is too slow.
REPLAY_STALL_S = 10.0
# All the PostgreSQL reads of one `resume` frame together wait at most this long: a frozen
# database answers `temporarily_unavailable` (or the stream alone), never silence.
RESUME_DB_BUDGET_S = 2.5


@dataclass(frozen=True)
class Outcome:
    frames: list[Frame]
    replayed_to: int | None = None  # the last seq queued by the replay, if it replayed
    source: str = field(default="", compare=False)  # "stream" or "log", for the logs


@dataclass(frozen=True)
class Replayer:
    sessions: Sessions
    redis: Redis
    hub: Hub

    async def resume(self, connection: Connection, runs: tuple[tuple[uuid.UUID, int], ...]) -> None:
        """Answer one `resume` frame. Replayed frames wait for room in the outbox (the client's
        pace sets the replay's); live events wait in the gate meanwhile."""
        connection.gate.hold()
        replayed_to: dict[str, int] = {}
        db_deadline = time.monotonic() + RESUME_DB_BUDGET_S
        try:
            for run_id, last_seq in runs:
                outcome = await self._answer(connection.user_id, run_id, last_seq, db_deadline)
                self._log(connection, run_id, last_seq, outcome)
                for frame in outcome.frames:
                    if not await _put(connection, frame):
                        self.hub.too_slow(connection)
                        return  # the client resumes again after reconnecting
                if outcome.replayed_to is not None:
                    replayed_to[str(run_id)] = outcome.replayed_to
        finally:
            # Released whatever happened: a failed replay must not swallow live events.
            live = connection.gate.release(replayed_to)
        for frame in live:
            if not connection.offer(frame):
                self.hub.too_slow(connection)
                return

    @staticmethod
    def _log(connection: Connection, run_id: uuid.UUID, last_seq: int, outcome: Outcome) -> None:
        answer = outcome.frames[0] if outcome.frames else {}
        kind = str(answer.get("error") or answer.get("type"))
        source = f" from the {outcome.source}" if outcome.source else ""
        context = {"user_id": connection.user_id, "run_id": run_id}
        log.info("resume after seq %d: %s%s", last_seq, kind, source, extra=context)

    async def _answer(
        self, user_id: uuid.UUID, run_id: uuid.UUID, last_seq: int, db_deadline: float
    ) -> Outcome:
        first = last_seq + 1
        try:
            top = await _bounded(db_deadline, self._top(user_id, run_id))
        except NotFound:
            return Outcome([NotFound("No such run to resume").frame(str(run_id))])
        except Exception as exc:
            if as_service_error(exc) is None:
                raise
            return await self._from_stream_alone(user_id, run_id, first)
        if last_seq > top:
            return Outcome([_resync_required(run_id)])
        if first > top:
            return Outcome([_resumed(run_id, first, top)], top)
        events = await self._from_stream(user_id, run_id, first, top)
        source = "stream"
        if events is None:
            source = "log"
            try:
                events = await _bounded(db_deadline, self._events(run_id, first, top))
            except Exception as exc:
                if as_service_error(exc) is None:
                    raise
                return Outcome([_unavailable(run_id)])
        if events is None:
            return Outcome([_resync_required(run_id)], source=source)
        return Outcome([_resumed(run_id, first, top), *events], top, source)

    async def _top(self, user_id: uuid.UUID, run_id: uuid.UUID) -> int:
        async with self.sessions() as session:
            return await run_log.top_seq(session, user_id=user_id, run_id=run_id)

    async def _events(self, run_id: uuid.UUID, first: int, last: int) -> list[Frame] | None:
        async with self.sessions() as session:
            return await run_log.events_between(session, run_id=run_id, first=first, last=last)

    async def _from_stream(
        self, user_id: uuid.UUID, run_id: uuid.UUID, first: int, last: int
    ) -> list[Frame] | None:
        try:
            found = await streams.read_exactly(self.redis, run_id, first=first, last=last)
        except (RedisError, OSError, ValueError) as exc:
            _STREAM_DOWN.failed(exc, run_id=run_id)
            return None
        _STREAM_DOWN.ok()
        if found is None or found.owner != str(user_id):
            return None
        return found.events

    async def _from_stream_alone(
        self, user_id: uuid.UUID, run_id: uuid.UUID, first: int
    ) -> Outcome:
        """PostgreSQL is unreachable: the stream alone can answer if it holds the run (its
        owner's) from `first` on. Nothing new is stored meanwhile, so its newest is the top.
        Anything else is `temporarily_unavailable`, whoever's run it is (no existence oracle)."""
        try:
            found = await streams.read_to_top(self.redis, run_id, first=first)
        except (RedisError, OSError, ValueError):
            found = None
        if found is None or found.owner != str(user_id):
            return Outcome([_unavailable(run_id)])
        top = first - 1 + len(found.events)
        return Outcome([_resumed(run_id, first, top), *found.events], top, "stream")


async def _bounded(deadline: float, work: Coroutine[Any, Any, T]) -> T:
    """`work` within what is left of the frame's database budget (DependencyTimeout past it)."""
    return await within(max(0.0, deadline - time.monotonic()), work, what="the database")


async def _put(connection: Connection, frame: Frame) -> bool:
    """Queue a frame, waiting for room while the client reads; False if it stops reading
    (or is gone) for REPLAY_STALL_S."""
    deadline = time.monotonic() + REPLAY_STALL_S
    while not connection.offer(frame):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or connection.ws.closed or connection.closer.asked:
            return False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(min(remaining, 0.5)):
                await connection.outbox.put(frame)
                return True
    return True


def _resumed(run_id: uuid.UUID, first: int, top: int) -> Frame:
    return control_frame(ControlType.RESUMED, {"run_id": str(run_id), "from": first, "to": top})


def _resync_required(run_id: uuid.UUID) -> Frame:
    return control_frame(ControlType.RESYNC_REQUIRED, {"run_id": str(run_id)})


def _unavailable(run_id: uuid.UUID) -> Frame:
    message = "Cannot replay this run right now; resume again shortly"
    return TemporarilyUnavailable(message).frame(str(run_id))
