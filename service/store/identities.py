"""Repository functions for people who sign in through an enterprise provider."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Conflict, Forbidden
from service.plans import Plan
from service.store.models import ExternalIdentity, User

# Not an argon2 hash: password sign-in can never succeed for these accounts.
NO_PASSWORD = "!enterprise-sign-in-only"


async def account_for(
    session: AsyncSession, *, issuer: str, subject: str, email: str, name: str
) -> uuid.UUID:
    """The account of the provider's person, created on the first sign-in.

    Accounts are linked by (issuer, subject) only, never by email: an existing password account
    with the same email is not taken over (409 conflict).

    Plans (issue 18): the issuer is the one an Enterprise customer's contract configured, so an
    account its first sign-in creates is on the Enterprise plan. Enterprise sign-in is for
    Enterprise accounts only: a linked account an operator has since moved to another plan (the
    contract ended) is refused (403 forbidden) until it is moved back."""
    for _ in range(2):  # a concurrent first sign-in may create it between our read and write
        known = await session.execute(
            select(User.id, User.plan)
            .join(ExternalIdentity, ExternalIdentity.user_id == User.id)
            .where(ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)
        )
        row = known.first()
        if row is not None:
            if row.plan != Plan.ENTERPRISE:
                raise Forbidden(
                    f"Enterprise sign-in is for accounts on the Enterprise plan; this one is on "
                    f"the {Plan(row.plan).title} plan"
                )
            user_id: uuid.UUID = row.id
            return user_id
        if await session.scalar(select(User.id).where(User.email == email)) is not None:
            raise Conflict("An account with this email already exists; sign in with its password")
        user = User(email=email, name=name, password_hash=NO_PASSWORD, plan=Plan.ENTERPRISE.value)
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
