"""Storing a run's events: a transient failure is retried, and a seq is never skipped.

A run's events are numbered 1, 2, 3 ... with no gap (the contract's first invariant). A seq is
taken only once its event is stored: after a failure that outlasts the retries, the next event
(the run's `agent_error`, or the recovery's) gets the same number, never the next one.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from service.store import conversations, run_log
from service.store.conversations import RunTakenOver
from service.store.db import Sessions

log = logging.getLogger("service.runs")

T = TypeVar("T")
# Pauses before the second and third attempts: about a second for a database to come back.
RETRY_DELAYS_S = (0.2, 0.8)


async def store_event(sessions: Sessions, run_id: uuid.UUID, envelope: dict[str, Any]) -> None:
    """Store one event, retrying dependency failures; raise the last one if all attempts fail.

    A commit whose answer was lost may have happened: on a retry, finding this very event
    stored counts as success (anything else at that seq means recovery took the run over)."""
    for attempt, delay in enumerate((0.0, *RETRY_DELAYS_S)):
        if delay:
            await asyncio.sleep(delay)
        try:
            async with sessions() as session:
                await conversations.append_event(
                    session,
                    run_id=run_id,
                    seq=envelope["seq"],
                    type_=envelope["type"],
                    envelope=envelope,
                )
            return
        except IntegrityError as exc:  # (run_id, seq) is taken
            if attempt and await _stored_already(sessions, run_id, envelope):
                return
            raise RunTakenOver(str(run_id)) from exc
        except (DBAPIError, OSError, ConnectionError, TimeoutError) as exc:
            if attempt == len(RETRY_DELAYS_S):
                raise
            log.warning(
                "event %s not stored (attempt %d), retrying: %s",
                envelope["event_id"],
                attempt + 1,
                type(exc).__name__,
                extra={"run_id": run_id},
            )


async def _stored_already(sessions: Sessions, run_id: uuid.UUID, envelope: dict[str, Any]) -> bool:
    seq = envelope["seq"]
    async with sessions() as session:
        found = await run_log.events_between(session, run_id=run_id, first=seq, last=seq)
    return found is not None and found[0] == envelope


async def uninterruptible(work: Awaitable[T]) -> T:
    """Run `work` to its end even if the caller is cancelled meanwhile (a deadline, a shutdown):
    the cancellation is re-raised once the work is done."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        raise
