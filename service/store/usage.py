"""Repository functions for the usage records the agent reasons over."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import InvalidRequest
from service.plans import DEFAULT_PLAN, Plan
from service.store.models import UsageRecord, User


class TooMuchUsage(InvalidRequest):
    """An upload beyond what one account may hold: 413, with the contract's error body."""

    status = 413


async def add_usage(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    records: Sequence[UsageRecord],
    max_per_plan: Mapping[Plan, int],
    max_per_day: int,
) -> int:
    """Store the records, or none when they would take the person past either bound (the
    account's, which its plan sets, or a day's)."""
    # One upload at a time per person (the row lock), so two cannot both squeeze under a bound.
    plan_name = await session.scalar(select(User.plan).where(User.id == user_id).with_for_update())
    plan = Plan(plan_name) if plan_name is not None else DEFAULT_PLAN
    max_per_person = max_per_plan[plan]
    held = await session.scalar(
        select(func.count()).select_from(UsageRecord).where(UsageRecord.user_id == user_id)
    )
    if (held or 0) + len(records) > max_per_person:
        await session.rollback()
        raise TooMuchUsage(
            f"An account on the {plan.title} plan keeps at most {max_per_person:,} usage "
            f"records; you have {held:,}, "
            f"so these {len(records):,} do not fit"
        )
    adding = Counter(record.day for record in records)
    per_day = await session.execute(
        select(UsageRecord.day, func.count())
        .where(UsageRecord.user_id == user_id, UsageRecord.day.in_(list(adding)))
        .group_by(UsageRecord.day)
    )
    held_on = dict(per_day.all())
    over = sorted(day for day, n in adding.items() if held_on.get(day, 0) + n > max_per_day)
    if over:
        await session.rollback()
        raise TooMuchUsage(
            f"A day holds at most {max_per_day:,} usage records; {over[0].isoformat()} would "
            f"hold {held_on.get(over[0], 0) + adding[over[0]]:,}"
        )
    for record in records:
        record.user_id = user_id
    session.add_all(records)
    await session.commit()
    return len(records)


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
    return {name: total for name, total in rows}
