"""Keyset pages of a person's threads and of a thread's messages (service/http/paging.py)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import InvalidRequest, NotFound
from service.store.models import Message, Thread


async def thread_page(
    session: AsyncSession, *, user_id: uuid.UUID, limit: int, before: uuid.UUID | None
) -> list[Thread]:
    """Newest first; with `before`, the threads that come after that one."""
    query = select(Thread).where(Thread.user_id == user_id)
    if before is not None:
        cursor = await session.scalar(
            select(Thread).where(Thread.id == before, Thread.user_id == user_id)
        )
        if cursor is None:
            raise InvalidRequest("before names none of your conversations")
        query = query.where(tuple_(Thread.updated_at, Thread.id) < (cursor.updated_at, cursor.id))
    rows = await session.scalars(
        query.order_by(Thread.updated_at.desc(), Thread.id.desc()).limit(limit)
    )
    return list(rows)


async def message_page(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    thread_id: uuid.UUID,
    limit: int,
    before: uuid.UUID | None,
) -> list[Message]:
    """The newest `limit` messages (before `before`, if given), oldest first."""
    owned = await session.scalar(
        select(Thread.id).where(Thread.id == thread_id, Thread.user_id == user_id)
    )
    if owned is None:
        raise NotFound("No such conversation")
    query = select(Message).where(Message.thread_id == thread_id)
    if before is not None:
        cursor = await session.scalar(
            select(Message).where(Message.id == before, Message.thread_id == thread_id)
        )
        if cursor is None:
            raise InvalidRequest("before names no message of this conversation")
        query = query.where(tuple_(Message.created_at, Message.id) < (cursor.created_at, cursor.id))
    rows = await session.scalars(
        query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    )
    return list(reversed(list(rows)))
