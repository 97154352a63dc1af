"""What the person sees while the assistant works."""

from __future__ import annotations

from typing import Any

from behave import then

from driver.contract import EVENT_TYPES


@then("{name} sees the assistant start working within {seconds:g} seconds")
async def step_started_within(ctx: Any, name: str, seconds: float) -> None:
    await ctx.cast.person(name).event_within("agent_started", seconds)


@then(
    "{name} sees every kind of progress, in order, ending with the answer within {seconds:g} seconds"
)
async def step_every_kind_in_order(ctx: Any, name: str, seconds: float) -> None:
    person = ctx.cast.person(name)
    await person.answer_within(seconds)
    seen = person.event_types_seen()
    expected = [
        "agent_started",
        "agent_thinking",
        "tool_executing",
        "tool_completed",
        "agent_completed",
    ]
    firsts = sorted(set(seen), key=seen.index)
    assert firsts == expected, (
        f"{name} saw the kinds of progress in this order: {', '.join(firsts)}; "
        f"expected {', '.join(expected)}"
    )
    assert set(EVENT_TYPES) >= set(seen), f"{name} saw unknown kinds of progress: {seen}"
