"""After a crowd has left: what the service still holds for them, as the operator's figures
show it (open chats, questions, chat places, database connections) and as the shared cache
keeps it."""

from __future__ import annotations

from driver.actors import leaving
from driver.actors.tasks import CROWD
from driver.client import operations
from driver.client.eventually import eventually
from driver.client.operations import Figures
from fixtures.context import ScenarioContext, then, when
from fixtures.security import stack_of
from harness import kept_for_people
from harness.servers import servers_of, setup_profile

ANSWER_BUDGET_S = 60.0  # the seed plans' minute for every answer
# A chat place lapses this long after its server last renewed it (service: TICKET_TTL_S, 60 s).
PLACE_LIFETIME_S = 70.0


def _profile(ctx: ScenarioContext) -> str:
    profile = setup_profile(ctx.scenario.effective_tags)
    assert profile is not None, "this step needs a @server: tag: a server of the scenario's own"
    return profile


async def _figures(ctx: ScenarioContext) -> Figures:
    url = servers_of(stack_of(ctx)).get(_profile(ctx)).operator_url
    return await operations.figures(ctx.http, url)


@when(
    "they all open the chat, ask about their spend and leave once answered, the operator watching"
)
async def step_watched_visit(ctx: ScenarioContext) -> None:
    """The crowd opens the chat (the operator reads the figures), asks at once and leaves once answered."""
    ctx.watched_visit = await leaving.visit(
        ctx.cast.notes.read(CROWD), ANSWER_BUDGET_S, lambda: _figures(ctx)
    )


@then(
    "while they were there, the operator saw {count:d} chats open and {places:d} chat places held"
)
def step_figures_during(ctx: ScenarioContext, count: int, places: int) -> None:
    """Once everyone had the chat open, the open chats and the places held were exactly those given."""
    names = {leaving.OPEN_CHATS: "open chats", leaving.PLACES: "chat places held"}
    expected = {leaving.OPEN_CHATS: float(count), leaving.PLACES: float(places)}
    wrong = leaving.differences(ctx.watched_visit.during, expected, names)
    assert not wrong, "while they were there the operator saw " + "; ".join(wrong)


@then(
    "within {seconds:g} seconds of their leaving, the operator sees no chat open, no question "
    "running or waiting, and no chat place held"
)
async def step_nothing_held(ctx: ScenarioContext, seconds: float) -> None:
    """Soon after everyone left, open chats, questions running and waiting, and places held are all 0."""
    names = {
        leaving.OPEN_CHATS: "open chats",
        leaving.RUNNING: "questions running",
        leaving.QUEUED: "questions waiting",
        leaving.PLACES: "chat places held",
    }
    await leaving.until_figures(
        lambda: _figures(ctx),
        lambda found: leaving.differences(found, dict.fromkeys(names, 0.0), names),
        since=ctx.watched_visit.left_at,
        within=seconds,
        what="the operator still saw something held for the people who left",
    )


@then(
    "within {seconds:g} seconds of their leaving, the operator sees no database connection in "
    "use, and no more open than the service keeps when idle"
)
async def step_connections_back(ctx: ScenarioContext, seconds: float) -> None:
    """Soon after everyone left, no PostgreSQL connection is in use and each pool is back to its idle size at most."""
    in_use = {leaving.connections(pool, "in_use"): 0.0 for pool in leaving.POOLS}
    names = {
        leaving.connections(pool, state): f"{pool} connections {state.replace('_', ' ')}"
        for pool in leaving.POOLS
        for state in ("in_use", "open")
    }

    def wrong(found: Figures) -> list[str]:
        return leaving.differences(found, in_use, names) + leaving.over_kept(found)

    await leaving.until_figures(
        lambda: _figures(ctx),
        wrong,
        since=ctx.watched_visit.left_at,
        within=seconds,
        what="the service still held database connections for the people who left",
    )


@then(
    "whatever the service still keeps about them lapses by itself, and none of their chat places is kept"
)
async def step_nothing_kept_for_good(ctx: ScenarioContext) -> None:
    """The shared cache holds no chat place of theirs, and every other note about them has an expiry."""
    ids = [c.person.user_id for c in ctx.cast.notes.read(CROWD) if c.person.user_id is not None]
    redis_url = stack_of(ctx).redis_url
    kept = kept_for_people.kept_for(redis_url, ids)
    assert not kept.for_good, "after they left: " + "; ".join(kept.problems)

    def no_places() -> None:
        places = kept_for_people.kept_for(redis_url, ids).places
        assert not places, f"{len(places)} chat places still held ({places[:3]})"

    # The crowd's customers come back in several scenarios: a place held for them on a server an
    # earlier scenario stopped (so it could not give it back) lapses within its lifetime. This
    # visit's own places are given back at once (the operator saw none held, above).
    await eventually(no_places, timeout=PLACE_LIFETIME_S, interval=1.0, describe="after they left")
