"""Repository functions for people and their passwords."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Conflict
from service.plans import DEFAULT_PLAN, Plan
from service.store.login_sessions import end_sessions
from service.store.models import User


async def create_user(session: AsyncSession, *, email: str, name: str, password_hash: str) -> User:
    user = User(email=email, name=name, password_hash=password_hash)
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("An account with this email already exists") from exc
    return user


async def find_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    return await session.scalar(select(User).where(User.email == email))


async def get_user(session: AsyncSession, *, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def change_password(
    session: AsyncSession, *, user_id: uuid.UUID, password_hash: str
) -> list[uuid.UUID]:
    """Store the new hash and end every session of the person in ONE transaction: either both
    happen or neither (a failure halfway must not leave the old sessions alive under a new
    password). Returns the sessions ended."""
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )
    ended = await end_sessions(session, reason="password_changed", user_id=user_id)
    await session.commit()
    return ended


async def plans_of(
    session: AsyncSession, *, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Plan]:
    """These people's plans (the default for an account that is gone: it is refused elsewhere)."""
    rows = await session.execute(select(User.id, User.plan).where(User.id.in_(list(user_ids))))
    found = {user_id: Plan(plan) for user_id, plan in rows}
    return {user_id: found.get(user_id, DEFAULT_PLAN) for user_id in user_ids}


async def set_plan(
    session: AsyncSession, *, email: str, plan: Plan
) -> tuple[uuid.UUID, Plan] | None:
    """Move the account of `email` to `plan`: its id and its plan before, or None when there is
    no such account."""
    row = (
        await session.execute(
            select(User.id, User.plan).where(User.email == email.strip().lower()).with_for_update()
        )
    ).first()
    if row is None:
        return None
    await session.execute(
        update(User).where(User.email == email.strip().lower()).values(plan=plan.value)
    )
    await session.commit()
    return row.id, Plan(row.plan)
