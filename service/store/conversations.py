"""Repository functions for threads, messages, runs and run events.

Every read takes the caller's `user_id`: another person's thread or run is simply not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import NotFound
from service.store.models import Message, Run, RunEvent, Thread

TITLE_CHARS = 80


@dataclass(frozen=True)
class Accepted:
    """A committed question: what the `ack` frame reports."""

    thread_id: uuid.UUID
    message_id: uuid.UUID
    run_id: uuid.UUID
    duplicate: bool


async def _existing(
    session: AsyncSession, *, user_id: uuid.UUID, client_msg_id: uuid.UUID
) -> Accepted | None:
    row = await session.scalar(
        select(Message).where(Message.user_id == user_id, Message.client_msg_id == client_msg_id)
    )
    if row is None or row.run_id is None:
        return None
    return Accepted(row.thread_id, row.id, row.run_id, duplicate=True)


async def accept_question(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    thread_id: uuid.UUID | None,
    client_msg_id: uuid.UUID,
    text: str,
    instance_id: str,
) -> Accepted:
    """Commit the question and its run together; a repeated client_msg_id is a duplicate."""
    if (seen := await _existing(session, user_id=user_id, client_msg_id=client_msg_id)) is not None:
        return seen
    if thread_id is None:
        thread = Thread(user_id=user_id, title=text.strip()[:TITLE_CHARS] or "New conversation")
        session.add(thread)
        await session.flush()
    else:
        owned = await session.scalar(
            select(Thread).where(Thread.id == thread_id, Thread.user_id == user_id)
        )
        if owned is None:
            raise NotFound("No such conversation")
        thread = owned
        thread.updated_at = datetime.now(UTC)
    run_id = uuid.uuid4()
    message = Message(
        thread_id=thread.id,
        user_id=user_id,
        role="user",
        text=text,
        client_msg_id=client_msg_id,
        run_id=run_id,
    )
    session.add(message)
    await session.flush()
    session.add(
        Run(
            id=run_id,
            thread_id=thread.id,
            user_id=user_id,
            input_message_id=message.id,
            instance_id=instance_id,
        )
    )
    try:
        await session.commit()
    except IntegrityError:
        # The same client_msg_id committed concurrently (a resend racing its original).
        await session.rollback()
        seen = await _existing(session, user_id=user_id, client_msg_id=client_msg_id)
        if seen is None:
            raise
        return seen
    return Accepted(thread.id, message.id, run_id, duplicate=False)


async def question_text(session: AsyncSession, *, run: Run) -> str:
    text = await session.scalar(select(Message.text).where(Message.id == run.input_message_id))
    if text is None:
        raise NotFound("No such question")
    return text


async def earlier_questions(
    session: AsyncSession, *, thread_id: uuid.UUID, before: uuid.UUID
) -> list[str]:
    """The person's earlier questions in the thread, oldest first (the follow-up context)."""
    anchor = select(Message.created_at).where(Message.id == before).scalar_subquery()
    rows = await session.scalars(
        select(Message.text)
        .where(Message.thread_id == thread_id, Message.role == "user", Message.created_at < anchor)
        .order_by(Message.created_at)
    )
    return list(rows)


class RunTakenOver(Exception):
    """Another instance ended this run meanwhile (its lease had expired: service/recovery.py).
    Nothing more of it is written; the instance that started it stops without a word."""


async def record_answer(
    session: AsyncSession, *, run: Run, text: str, status: str = "completed"
) -> uuid.UUID:
    """Commit the assistant's answer and close the run in one transaction, unless the run has
    already been ended elsewhere (RunTakenOver)."""
    closed = await session.execute(
        update(Run)
        .where(Run.id == run.id, Run.status == "running")
        .values(status=status, finished_at=func.now())
    )
    if getattr(closed, "rowcount", 1) == 0:
        await session.rollback()
        raise RunTakenOver(str(run.id))
    answer = Message(
        thread_id=run.thread_id, user_id=run.user_id, role="assistant", text=text, run_id=run.id
    )
    session.add(answer)
    await session.execute(
        update(Thread).where(Thread.id == run.thread_id).values(updated_at=func.now())
    )
    await session.commit()
    return answer.id


async def finish_run(session: AsyncSession, *, run_id: uuid.UUID, status: str) -> None:
    """Record how a run ended; a run already ended (elsewhere) keeps its first ending."""
    await session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "running")
        .values(status=status, finished_at=func.now())
    )
    await session.commit()


async def append_event(
    session: AsyncSession, *, run_id: uuid.UUID, seq: int, type_: str, envelope: dict[str, Any]
) -> None:
    session.add(RunEvent(run_id=run_id, seq=seq, type=type_, envelope=envelope))
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
