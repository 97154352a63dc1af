"""The usage data the assistant reasons over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from behave import given

# Usage "in the last month" is dated well inside the assistant's 30-day window.
DAYS_AGO = 10


@given("{name}'s company spent this in the last month:")
async def step_usage(ctx: Any, name: str) -> None:
    day = (datetime.now(UTC).date() - timedelta(days=DAYS_AGO)).isoformat()
    records = [
        {
            "day": day,
            "model": row["model"],
            "feature": row["feature"],
            "requests": int(row["requests"]),
            "input_tokens": int(row["input tokens"]),
            "output_tokens": int(row["output tokens"]),
            "cost_usd": float(row["cost"]),
        }
        for row in ctx.table
    ]
    await ctx.cast.person(name).load_usage(records)
