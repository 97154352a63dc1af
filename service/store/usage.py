"""Repository functions for the usage records the agent reasons over."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.store.models import UsageRecord


async def add_usage(
    session: AsyncSession, *, user_id: uuid.UUID, records: Sequence[UsageRecord]
) -> int:
    for record in records:
        record.user_id = user_id
    session.add_all(records)
    await session.commit()
    return len(records)


async def usage_between(
    session: AsyncSession, *, user_id: uuid.UUID, since: date, until: date
) -> list[UsageRecord]:
    rows = await session.scalars(
        select(UsageRecord)
        .where(UsageRecord.user_id == user_id, UsageRecord.day.between(since, until))
        .order_by(UsageRecord.day, UsageRecord.id)
    )
    return list(rows)


async def distinct_names(session: AsyncSession, *, user_id: uuid.UUID, of: str) -> set[str]:
    """Every `model` or `feature` name the person ever reported."""
    column = {"model": UsageRecord.model, "feature": UsageRecord.feature}[of]
    rows = await session.scalars(select(column).where(UsageRecord.user_id == user_id).distinct())
    return set(rows)


async def usage_totals(
    session: AsyncSession, *, user_id: uuid.UUID, since: date, until: date, by: str
) -> dict[str, Decimal]:
    """Total cost grouped by `model` or `feature`."""
    column = {"model": UsageRecord.model, "feature": UsageRecord.feature}[by]
    rows = await session.execute(
        select(column, func.sum(UsageRecord.cost_usd))
        .where(UsageRecord.user_id == user_id, UsageRecord.day.between(since, until))
        .group_by(column)
        .order_by(column)
    )
    return {name: total for name, total in rows.tuples()}
