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


# The golden path's month (features/conversation/golden_path.feature), for scenarios about
# something else: $3,785.00 spent, about $1,383.50 a month to save ($1,316.00 on support-bot).
A_MONTH_OF_USAGE = [
    ("gpt-4o", "support-bot", 400000, 320000000, 60000000, 1400.00),
    ("gpt-4o", "nightly-report", 3000, 30000000, 6000000, 135.00),
    ("claude-opus-4", "contract-review", 20000, 100000000, 10000000, 2250.00),
]


@given("{name}'s company has a month of AI usage on record")
async def step_month_of_usage(ctx: Any, name: str) -> None:
    day = (datetime.now(UTC).date() - timedelta(days=DAYS_AGO)).isoformat()
    records = [
        {
            "day": day,
            "model": model,
            "feature": feature,
            "requests": requests,
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "cost_usd": cost,
        }
        for model, feature, requests, tokens_in, tokens_out, cost in A_MONTH_OF_USAGE
    ]
    await ctx.cast.person(name).load_usage(records)


@given("{name}'s company recorded this usage:")
async def step_usage_by_day(ctx: Any, name: str) -> None:
    today = datetime.now(UTC).date()
    records = [
        {
            "day": (today - timedelta(days=int(row["days ago"]))).isoformat(),
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
