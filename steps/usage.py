"""The usage data the assistant reasons over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from driver.actors.tasks import LoadUsage
from driver.actors.usage_table import last_month, usage_record, usage_records
from fixtures.context import ScenarioContext, given


@given("{name}'s company spent this in the last month:")
async def step_usage(ctx: ScenarioContext, name: str) -> None:
    """The person's company has the usage of the table on record for last month."""
    records = usage_records(ctx.table)
    await ctx.cast.person(name).attempts_to(LoadUsage(records))


# The golden path's month (features/conversation/golden_path.feature), for scenarios about
# something else: $3,785.00 spent, about $1,383.50 a month to save ($1,316.00 on support-bot).
A_MONTH_OF_USAGE = [
    ("gpt-4o", "support-bot", 400000, 320000000, 60000000, 1400.00),
    ("gpt-4o", "nightly-report", 3000, 30000000, 6000000, 135.00),
    ("claude-opus-4", "contract-review", 20000, 100000000, 10000000, 2250.00),
]


@given("{name}'s company has a month of AI usage on record")
async def step_month_of_usage(ctx: ScenarioContext, name: str) -> None:
    """The person's company has the golden path's month of usage on record ($3,785.00 spent)."""
    day = last_month().isoformat()
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
    await ctx.cast.person(name).attempts_to(LoadUsage(records))


@given("{name}'s company recorded this usage:")
async def step_usage_by_day(ctx: ScenarioContext, name: str) -> None:
    """The person's company has the table's usage on record, each row so many days ago."""
    today = datetime.now(UTC).date()
    records = [usage_record(row, today - timedelta(days=int(row["days ago"]))) for row in ctx.table]
    await ctx.cast.person(name).attempts_to(LoadUsage(records))
