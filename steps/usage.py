"""The usage data the assistant reasons over."""

from __future__ import annotations

from driver.actors.tasks import LoadAMonthOfUsage, LoadUsageByDay, LoadUsageOfLastMonth
from fixtures.context import ScenarioContext, given


@given("{name}'s company spent this in the last month:")
async def step_usage(ctx: ScenarioContext, name: str) -> None:
    """The person's company has the usage of the table on record for last month."""
    await ctx.cast.person(name).attempts_to(LoadUsageOfLastMonth(list(ctx.table)))


@given("{name}'s company has a month of AI usage on record")
async def step_month_of_usage(ctx: ScenarioContext, name: str) -> None:
    """The person's company has the golden path's month of usage on record ($3,785.00 spent)."""
    await ctx.cast.person(name).attempts_to(LoadAMonthOfUsage())


@given("{name}'s company recorded this usage:")
async def step_usage_by_day(ctx: ScenarioContext, name: str) -> None:
    """The person's company has the table's usage on record, each row so many days ago."""
    await ctx.cast.person(name).attempts_to(LoadUsageByDay(list(ctx.table)))
