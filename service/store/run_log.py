"""Reads of a run's stored event log for a replay: PostgreSQL has every event a run emitted."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import NotFound
from service.store.models import Run, RunEvent


async def top_seq(session: AsyncSession, *, user_id: uuid.UUID, run_id: uuid.UUID) -> int:
    """The seq of the run's newest stored event (0 before its first); NotFound unless the run
    is the person's own."""
    owned = await session.scalar(select(Run.id).where(Run.id == run_id, Run.user_id == user_id))
    if owned is None:
        raise NotFound("No such run")
    top = await session.scalar(select(func.max(RunEvent.seq)).where(RunEvent.run_id == run_id))
    return int(top or 0)


async def events_between(
    session: AsyncSession, *, run_id: uuid.UUID, first: int, last: int
) -> list[dict[str, Any]] | None:
    """Events `first..last` in order, or None if any of them is missing from the log."""
    rows = await session.execute(
        select(RunEvent.seq, RunEvent.envelope)
        .where(RunEvent.run_id == run_id, RunEvent.seq >= first, RunEvent.seq <= last)
        .order_by(RunEvent.seq)
    )
    found = list(rows)
    if [seq for seq, _ in found] != list(range(first, last + 1)):
        return None
    return [envelope for _, envelope in found]
