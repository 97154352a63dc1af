"""The assistant's analyses as a person follows them: its plan, its tools tried again, the
estimate that stands in for the savings analysis, and the cost of each feature per request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from driver.actors.interactions import (
    IsEqualTo,
    NamesTheCostliest,
    See,
    StatesWhatEachFeatureCosts,
)
from driver.actors.questions import (
    TheAnswer,
    TheAnswerText,
    TheToolAttempts,
    WhatTheAssistantThought,
)
from fixtures.context import ScenarioContext, then

ANSWER_TIMEOUT_S = 15.0


@then("{name} sees the usage report fail once and be tried again")
async def step_tool_retried(ctx: ScenarioContext, name: str) -> None:
    """The usage report is seen failing once, then working as a new step, and the question answered."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswerText(within=ANSWER_TIMEOUT_S))
    once_then_ok = IsEqualTo(
        ["error", "ok"],
        instead="{name} saw the usage report end {answer}, expected one failure then one success",
    )
    await person.should(See(TheToolAttempts("usage_report"), once_then_ok))


@then("{name} is told the savings are only an estimate")
async def step_told_estimate(ctx: ScenarioContext, name: str) -> None:
    """The answer says it is an estimate, made after the savings analysis was seen failing."""
    person = ctx.cast.person(name)
    answer = await person.asks_for(TheAnswerText(within=ANSWER_TIMEOUT_S))
    assert "This is an estimate" in answer, f"{name} was not told it is an estimate:\n{answer}"
    tried = await person.asks_for(TheToolAttempts("savings_optimizer"))
    estimated = await person.asks_for(TheToolAttempts("savings_estimate"))
    assert tried and "ok" not in tried and estimated == ["ok"], (
        f"{name} saw the savings analysis end {tried} and the estimate {estimated}"
    )


@then('{name} is told "{feature}" costs the most, at {amount} a request')
async def step_told_costliest(ctx: ScenarioContext, name: str, feature: str, amount: str) -> None:
    """The answer names the feature that costs the most per request, at exactly that cost."""
    answer = TheAnswerText(within=ANSWER_TIMEOUT_S)
    await ctx.cast.person(name).should(See(answer, NamesTheCostliest(feature, amount)))


@then("{name} is told what each feature costs:")
async def step_told_unit_costs(ctx: ScenarioContext, name: str) -> None:
    """The answer states each feature of the table, and no other, at exactly the table's costs."""
    expected = {
        row["feature"]: {
            "request": row["per request"],
            "thousand tokens": row["per thousand tokens"],
        }
        for row in ctx.table
    }
    answer = TheAnswerText(within=ANSWER_TIMEOUT_S)
    await ctx.cast.person(name).should(See(answer, StatesWhatEachFeatureCosts(expected)))


@then(
    "{name} hears, while the assistant works, that it will read the usage of {scope} over the "
    "last 30 days"
)
async def step_plan_names_period_and_scope(ctx: ScenarioContext, name: str, scope: str) -> None:
    """The plan said while working names that scope and the 30 days ending today, by date."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    today = datetime.now(UTC).date()
    promise = f"read the usage of {scope} from {today - timedelta(days=29)} to {today}"
    said = await person.asks_for(WhatTheAssistantThought())
    assert any(promise in thought for thought in said), (
        f"{name} never heard the assistant plan to {promise}; it said: {said}"
    )
