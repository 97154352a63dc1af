"""What the person sees while the assistant works."""

from __future__ import annotations

from driver.actors.interactions import HasTheSameFiguresAsTheFirstTime, IsEqualTo, See
from driver.actors.questions import (
    TheAnswer,
    TheAnswerSinceAsking,
    TheAnswerText,
    TheFirstEventSinceAsking,
    TheKindsOfEventSeen,
    TheLongestPause,
    TheStagesSeen,
)
from driver.actors.tasks import AskTheSameAgain
from driver.client.contract import EVENT_TYPES, EventType
from fixtures.context import ScenarioContext, then, when

ANSWER_TIMEOUT_S = 15.0


@then("{name} sees the assistant start working within {seconds:g} seconds")
async def step_started_within(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The person sees the assistant start working within the time given of asking."""
    await ctx.cast.person(name).asks_for(TheFirstEventSinceAsking(EventType.AGENT_STARTED, seconds))


@then(
    "{name} sees every kind of progress, in order, ending with the answer within {seconds:g} seconds"
)
async def step_every_kind_in_order(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """The person sees every kind of progress, first seen in order, and the answer within the time given."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswerSinceAsking(seconds))
    seen = await person.asks_for(TheKindsOfEventSeen())
    # A successful run shows every kind of progress, first seen in this order.
    expected = [e for e in EventType if e != EventType.AGENT_ERROR]
    firsts = sorted(set(seen), key=seen.index)
    assert firsts == expected, (
        f"{name} saw the kinds of progress in this order: {', '.join(firsts)}; "
        f"expected {', '.join(expected)}"
    )
    assert set(EVENT_TYPES) >= set(seen), f"{name} saw unknown kinds of progress: {seen}"


@then("{name} sees the assistant work through these stages, in order:")
async def step_stages(ctx: ScenarioContext, name: str) -> None:
    """The assistant works through the table's stages (tools, then the answer), in that order."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    expected = [(row["stage"], row["tool named"]) for row in ctx.table]
    await person.should(See(TheStagesSeen(), IsEqualTo(expected, saw="saw (stage, tool)")))


@then("each step reached {name} within {seconds:g} second of the one before, up to the answer")
async def step_no_long_pause(ctx: ScenarioContext, name: str, seconds: float) -> None:
    """No step reached the person more than the time given after the one before it."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswer(ANSWER_TIMEOUT_S))
    pause, step = await person.asks_for(TheLongestPause())
    assert pause <= seconds, f"{name} waited {pause:.2f} s for {step} (at most {seconds:g} s)"


@when("{name} asks the same question again in a new conversation")
async def step_ask_same_again(ctx: ScenarioContext, name: str) -> None:
    """The person asks her last question again, in a new conversation."""
    await ctx.cast.person(name).attempts_to(AskTheSameAgain())


@then("{name} is told the same figures as the first time")
async def step_same_figures(ctx: ScenarioContext, name: str) -> None:
    """The person is told the same figures as the first time."""
    answer = TheAnswerText(within=ANSWER_TIMEOUT_S)
    await ctx.cast.person(name).should(See(answer, HasTheSameFiguresAsTheFirstTime()))
