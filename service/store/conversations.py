"""Repository functions for threads, messages, runs and run events.

Every read takes the caller's `user_id`: another person's thread or run is simply not found.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import NotFound
from service.store.models import Message, Run, RunEvent


async def earlier_questions(
    session: AsyncSession, *, thread_id: uuid.UUID, before: uuid.UUID, limit: int
) -> list[str]:
    """The person's `limit` latest earlier questions in the thread, oldest first (the follow-up
    context: triage reads no more, and a thread may hold thousands of 8,000 characters)."""
    anchor = select(Message.created_at).where(Message.id == before).scalar_subquery()
    rows = await session.scalars(
        select(Message.text)
        .where(Message.thread_id == thread_id, Message.role == "user", Message.created_at < anchor)
        .order_by(Message.created_at.desc())
        .limit(limit)
    )
    return list(rows)[::-1]


class RunTakenOver(Exception):
    """Another instance ended this run meanwhile (its lease had expired: service/runs/recovery.py).
    Nothing more of it is written; the instance that started it stops without a word."""


async def finish_run(session: AsyncSession, *, run_id: uuid.UUID, status: str) -> None:
    """Record how a run ended; a run already ended (elsewhere) keeps its first ending."""
    await session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "running")
        .values(status=status, finished_at=func.now())
    )
    await session.commit()


async def get_run(session: AsyncSession, *, user_id: uuid.UUID, run_id: uuid.UUID) -> Run:
    run = await session.scalar(select(Run).where(Run.id == run_id, Run.user_id == user_id))
    if run is None:
        raise NotFound("No such run")
    return run


async def run_events(
    session: AsyncSession, *, user_id: uuid.UUID, thread_id: uuid.UUID, run_id: uuid.UUID
) -> list[dict[str, Any]]:
    run = await get_run(session, user_id=user_id, run_id=run_id)
    if run.thread_id != thread_id:
        raise NotFound("No such run")
    rows = await session.scalars(
        select(RunEvent.envelope).where(RunEvent.run_id == run_id).order_by(RunEvent.seq)
    )
    return list(rows)


async def search_messages(
    session: AsyncSession, *, user_id: uuid.UUID, query: str, limit: int = 50
) -> list[Message]:
    tsquery = func.websearch_to_tsquery("english", query)
    rows = await session.scalars(
        select(Message)
        .where(Message.user_id == user_id, Message.search.op("@@")(tsquery))
        .order_by(func.ts_rank(Message.search, tsquery).desc(), Message.created_at.desc())
        .limit(limit)
    )
    return list(rows)
