"""Repository functions for people who sign in through an enterprise provider."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Conflict
from service.store.models import ExternalIdentity, User

# Not an argon2 hash: password sign-in can never succeed for these accounts.
NO_PASSWORD = "!enterprise-sign-in-only"


async def account_for(
    session: AsyncSession, *, issuer: str, subject: str, email: str, name: str
) -> uuid.UUID:
    """The account of the provider's person, created on the first sign-in.

    Accounts are linked by (issuer, subject) only, never by email: an existing password account
    with the same email is not taken over (409 conflict)."""
    for _ in range(2):  # a concurrent first sign-in may create it between our read and write
        known = await session.scalar(
            select(ExternalIdentity.user_id).where(
                ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject
            )
        )
        if known is not None:
            return known
        if await session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict("An account with this email already exists; sign in with its password")
        user = User(email=email, name=name, password_hash=NO_PASSWORD)
        session.add(user)
        try:
            await session.flush()
            session.add(ExternalIdentity(issuer=issuer, subject=subject, user_id=user.id))
            await session.commit()
        except IntegrityError:
            await session.rollback()
            continue
        return user.id
    raise Conflict("This account is being created by another sign-in; try again")
