"""After a crowd has left: what the service still holds for them, as the operator's figures
show it (open chats, questions, chat places, database connections) and as the shared cache
keeps it."""

from __future__ import annotations

from driver.actors.interactions import (
    OPEN_CHATS,
    PLACES,
    NoDatabaseConnectionBeyondIdle,
    NothingLeft,
    See,
    WhileTheyWereThere,
    nothing_held,
)
from driver.actors.questions import TheFiguresOnceTheyShow, TheNoted, WhatIsStillHeld
from driver.actors.tasks import CROWD, OPERATOR, WATCHED_VISIT, WatchTheCrowdVisit
from fixtures.context import ScenarioContext, then, when
from fixtures.security import stack_of
from harness import kept_for_people
from harness.servers import servers_of, setup_profile

ANSWER_BUDGET_S = 60.0  # the seed plans' minute for every answer
# A chat place lapses this long after its server last renewed it (service: TICKET_TTL_S, 60 s).
PLACE_LIFETIME_S = 70.0


def _operator_url(ctx: ScenarioContext) -> str:
    profile = setup_profile(ctx.scenario.effective_tags)
    assert profile is not None, "this step needs a @server: tag: a server of the scenario's own"
    return servers_of(stack_of(ctx)).get(profile).operator_url


@when(
    "they all open the chat, ask about their spend and leave once answered, the operator watching"
)
async def step_watched_visit(ctx: ScenarioContext) -> None:
    """The crowd opens the chat (the operator reads the figures), asks at once and leaves once answered."""
    operator, crowd = ctx.cast.person(OPERATOR), ctx.cast.notes.read(CROWD)
    await operator.attempts_to(WatchTheCrowdVisit(crowd, ANSWER_BUDGET_S, _operator_url(ctx)))


@then(
    "while they were there, the operator saw {count:d} chats open and {places:d} chat places held"
)
async def step_figures_during(ctx: ScenarioContext, count: int, places: int) -> None:
    """Once everyone had the chat open, the open chats and the places held were exactly those given."""
    operator = ctx.cast.person(OPERATOR)
    names = {OPEN_CHATS: "open chats", PLACES: "chat places held"}
    expected = {OPEN_CHATS: float(count), PLACES: float(places)}
    await operator.should(See(TheNoted(WATCHED_VISIT), WhileTheyWereThere(expected, names)))


@then(
    "within {seconds:g} seconds of their leaving, the operator sees no chat open, no question "
    "running or waiting, and no chat place held"
)
async def step_nothing_held(ctx: ScenarioContext, seconds: float) -> None:
    """Soon after everyone left, open chats, questions running and waiting, and places held are all 0."""
    operator = ctx.cast.person(OPERATOR)
    left_at = (await operator.asks_for(TheNoted(WATCHED_VISIT))).left_at
    held = nothing_held(f"{seconds:g} s after they left, the operator still saw")
    figures = TheFiguresOnceTheyShow(_operator_url(ctx), held, within=seconds, since=left_at)
    await operator.should(See(figures, held))


@then(
    "within {seconds:g} seconds of their leaving, the operator sees no database connection in "
    "use, and no more open than the service keeps when idle"
)
async def step_connections_back(ctx: ScenarioContext, seconds: float) -> None:
    """Soon after everyone left, no PostgreSQL connection is in use and each pool is back to its idle size at most."""
    operator = ctx.cast.person(OPERATOR)
    left_at = (await operator.asks_for(TheNoted(WATCHED_VISIT))).left_at
    idle = NoDatabaseConnectionBeyondIdle(
        f"{seconds:g} s after they left, the service still held database connections for them"
    )
    figures = TheFiguresOnceTheyShow(_operator_url(ctx), idle, within=seconds, since=left_at)
    await operator.should(See(figures, idle))


@then(
    "whatever the service still keeps about them lapses by itself, and none of their chat places is kept"
)
async def step_nothing_kept_for_good(ctx: ScenarioContext) -> None:
    """The shared cache holds no chat place of theirs, and every other note about them has an expiry."""
    ids = [c.person.user_id for c in ctx.cast.notes.read(CROWD) if c.person.user_id is not None]
    redis_url = stack_of(ctx).redis_url
    kept = kept_for_people.kept_for(redis_url, ids)
    assert not kept.for_good, "after they left: " + "; ".join(kept.problems)

    # The crowd's customers come back in several scenarios: a place held for them on a server an
    # earlier scenario stopped (so it could not give it back) lapses within its lifetime. This
    # visit's own places are given back at once (the operator saw none held, above).
    places = WhatIsStillHeld(
        lambda: kept_for_people.kept_for(redis_url, ids).places, PLACE_LIFETIME_S
    )
    await ctx.cast.person(OPERATOR).should(
        See(places, NothingLeft(f"{PLACE_LIFETIME_S:g} s after they left, chat places still held"))
    )
