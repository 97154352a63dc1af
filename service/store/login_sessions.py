"""Repository functions for login sessions and their refresh-token families.

A login is a session (`login_sessions`); every refresh token of that login carries its id
(`refresh_tokens.session_id`), so revoking the session revokes the whole family at once. A login
also has an absolute end (its start plus SESSION_MAX_AGE_SECONDS): renewals slide the refresh
token's expiry, never past that end.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from service.store.models import LoginSession, RefreshToken


async def start_session(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    session_id: uuid.UUID,
    token_hash: str,
    expires_at: datetime,
) -> None:
    """A new login and the first refresh token of its family, in one transaction."""
    session.add(LoginSession(id=session_id, user_id=user_id))
    await session.flush()
    session.add(
        RefreshToken(
            user_id=user_id, session_id=session_id, token_hash=token_hash, expires_at=expires_at
        )
    )
    await session.commit()


class Outcome(enum.Enum):
    ROTATED = "rotated"  # the token was live: spent now, a successor stored
    REUSED = "reused"  # the token was already spent: theft or a replay, revoke the family
    REVOKED = "revoked"  # the family was already ended (logout, reuse, password change)
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Rotation:
    outcome: Outcome
    user_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    expires_at: datetime | None = None  # of the successor, when ROTATED


async def rotate_refresh_token(
    session: AsyncSession,
    *,
    token_hash: str,
    successor_hash: str,
    expires_at: datetime,
    max_age: timedelta,
) -> Rotation:
    """Spend a refresh token and store its successor, atomically. The successor expires at
    `expires_at` or at the login's absolute end (its start plus `max_age`), whichever is first;
    a login past its end is EXPIRED, whatever its token says.

    The conditional UPDATE is the arbiter between concurrent refreshes of one token: PostgreSQL
    lets exactly one of them see `spent_at IS NULL`; the others find it spent (a reuse).
    """
    spent = (
        await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == token_hash,
                RefreshToken.spent_at.is_(None),
                RefreshToken.expires_at > func.now(),
            )
            .values(spent_at=func.now())
            .returning(RefreshToken.user_id, RefreshToken.session_id)
        )
    ).first()
    if spent is None:
        await session.rollback()
        return await _why_not_live(session, token_hash=token_hash)
    user_id, session_id = spent
    seconds = max_age.total_seconds()
    ends_at = LoginSession.created_at + func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    login = (
        await session.execute(
            select(LoginSession.revoked_at, ends_at, ends_at <= func.now())
            .where(LoginSession.id == session_id)
            .with_for_update()
        )
    ).one()
    revoked_at, login_ends_at, over = login
    if revoked_at is not None:
        # Ended meanwhile (a logout racing this refresh): keep the token spent, issue nothing.
        await session.commit()
        return Rotation(Outcome.REVOKED, user_id, session_id)
    if over:
        await session.commit()  # spent: the login is over for good
        return Rotation(Outcome.EXPIRED, user_id, session_id)
    successor_expires_at = min(expires_at, login_ends_at)
    session.add(
        RefreshToken(
            user_id=user_id,
            session_id=session_id,
            token_hash=successor_hash,
            expires_at=successor_expires_at,
        )
    )
    await session.commit()
    return Rotation(Outcome.ROTATED, user_id, session_id, successor_expires_at)


async def _why_not_live(session: AsyncSession, *, token_hash: str) -> Rotation:
    row = (
        await session.execute(
            select(
                RefreshToken.user_id,
                RefreshToken.session_id,
                RefreshToken.spent_at,
                RefreshToken.expires_at <= func.now(),
                LoginSession.revoked_at,
            )
            .outerjoin(LoginSession, LoginSession.id == RefreshToken.session_id)
            .where(RefreshToken.token_hash == token_hash)
        )
    ).first()
    if row is None:
        return Rotation(Outcome.UNKNOWN)
    user_id, session_id, spent_at, expired, revoked_at = row
    if revoked_at is not None:
        return Rotation(Outcome.REVOKED, user_id, session_id)
    if spent_at is not None:
        return Rotation(Outcome.REUSED, user_id, session_id)
    if expired:
        return Rotation(Outcome.EXPIRED, user_id, session_id)
    return Rotation(Outcome.UNKNOWN)


async def revoke_sessions(
    session: AsyncSession,
    *,
    reason: str,
    session_ids: Collection[uuid.UUID] = (),
    user_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """End the given sessions, or every live session of a person; returns the ids ended now."""
    ids = await end_sessions(session, reason=reason, session_ids=session_ids, user_id=user_id)
    await session.commit()
    return ids


async def end_sessions(
    session: AsyncSession,
    *,
    reason: str,
    session_ids: Collection[uuid.UUID] = (),
    user_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """As `revoke_sessions`, within the caller's transaction (the caller commits)."""
    conditions: list[ColumnElement[bool]] = [LoginSession.revoked_at.is_(None)]
    if user_id is not None:
        conditions.append(LoginSession.user_id == user_id)
    if session_ids:
        conditions.append(LoginSession.id.in_(list(session_ids)))
    elif user_id is None:
        return []
    ended = await session.scalars(
        update(LoginSession)
        .where(*conditions)
        .values(revoked_at=func.now(), revoked_reason=reason)
        .returning(LoginSession.id)
    )
    return list(ended)


async def revoked_among(
    session: AsyncSession, *, session_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these sessions are ended (the source of truth behind the fast mirror)."""
    if not session_ids:
        return set()
    rows = await session.scalars(
        select(LoginSession.id).where(
            LoginSession.id.in_(list(session_ids)), LoginSession.revoked_at.is_not(None)
        )
    )
    return set(rows)


async def revoked_since(
    session: AsyncSession,
    *,
    seconds: float,
    after: tuple[datetime, uuid.UUID] | None = None,
    limit: int = 1000,
) -> list[tuple[datetime, uuid.UUID]]:
    """One page of the sessions ended within the last `seconds`, oldest first, as (revoked_at,
    id); `after` is the last row of the previous page. Paged so a mass logout never has to be
    read (or held) whole."""
    conditions: list[ColumnElement[bool]] = [
        LoginSession.revoked_at > func.now() - func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    ]
    if after is not None:
        conditions.append(tuple_(LoginSession.revoked_at, LoginSession.id) > tuple_(*after))
    rows = await session.execute(
        select(LoginSession.revoked_at, LoginSession.id)
        .where(*conditions)
        .order_by(LoginSession.revoked_at, LoginSession.id)
        .limit(limit)
    )
    return [(at, i) for at, i in rows if at is not None]
