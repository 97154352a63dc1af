"""How much one person may use the chat at once: open chats, questions, catching up."""

from __future__ import annotations

from driver.actors.questions import TheNoted
from driver.actors.tasks import (
    CAUGHT_UP,
    CHATS_OPENED,
    SPREAD_FLOOD,
    TURNED_AWAY,
    AskOnEveryChatAtOnce,
    CatchUpOnUnknownRuns,
    OpenMoreChats,
    TryToOpenChatOn,
    TryToOpenOneMoreChat,
)
from fixtures import balancing, security
from fixtures.cast import LAST_REFUSAL
from fixtures.context import ScenarioContext, given, then, when
from harness.servers import servers_of


def _two_servers(ctx: ScenarioContext) -> tuple[str, ...]:
    if not ctx.target.embedded:  # a deployment: its balancer spreads the chats
        return (ctx.target.service_url,)
    return (ctx.target.service_url, servers_of(security.stack_of(ctx)).url("second"))


@given("{name} has {count:d} chats open, spread over two servers")
async def step_chats_open(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person has that many chats open, spread over two servers."""
    person = ctx.cast.person(name)
    await person.attempts_to(OpenMoreChats(count, _two_servers(ctx)))
    chats = person.notes.read(CHATS_OPENED)
    if not ctx.target.embedded and not balancing.spread_over_servers(chats, f"{name}'s chats"):
        ctx.scenario.skip(balancing.NOT_SAID)


@when("{name} tries to open one more chat")
async def step_one_more_chat(ctx: ScenarioContext, name: str) -> None:
    """The person tries to open one more chat."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToOpenOneMoreChat(ctx.target.service_url))
    refused = await person.asks_for(TheNoted(TURNED_AWAY))
    ctx.cast.notes.write(LAST_REFUSAL, refused)  # read by steps/access.py


@when("{name} tries to open the chat on her {device:DeviceName}")
async def step_open_chat_on(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person tries to open the chat on that device (with that device's own sign-in)."""
    person = ctx.cast.person(name)
    await person.attempts_to(TryToOpenChatOn(device))
    refused = await person.asks_for(TheNoted(TURNED_AWAY))
    ctx.cast.notes.write(LAST_REFUSAL, refused)  # read by steps/access.py


@when("{name} sends {count:d} questions on each of her chats at once")
async def step_flood_across(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person sends that many questions on each of her open chats at the same moment."""
    await ctx.cast.person(name).attempts_to(AskOnEveryChatAtOnce(count))


@then(
    "only about {burst:d} of {name}'s questions are taken, and she is told to slow down for the others"
)
async def step_flood_slowed_as_one(ctx: ScenarioContext, burst: int, name: str) -> None:
    """Her chats share one allowance: about that many questions are taken, the rest told to slow down."""
    flood = await ctx.cast.person(name).asks_for(TheNoted(SPREAD_FLOOD))
    # A burst, then one a second: a flood that took longer earns its refill, no more.
    allowed = burst + int(flood.seconds)
    assert burst <= flood.accepted <= allowed, (
        f"{name} got {flood.accepted} questions taken (from {burst} to {allowed}): {flood}"
    )
    assert flood.accepted + flood.slowed_down == flood.asked, f"unanswered questions: {flood}"


@when(
    "{name}'s app asks {batches:d} times in a row to catch up on {size:d} conversations that do not exist"
)
async def step_catch_up_in_bulk(ctx: ScenarioContext, name: str, batches: int, size: int) -> None:
    """The person's app asks, batch after batch, to catch up on conversations that do not exist."""
    await ctx.cast.person(name).attempts_to(CatchUpOnUnknownRuns(batches, size))


@then(
    "{name} is told there is no such conversation for the first {count:d}, and to slow down for the rest"
)
async def step_catch_up_slowed(ctx: ScenarioContext, name: str, count: int) -> None:
    """The first catch-ups are answered "no such conversation", every one after is told to slow down."""
    catch_up = await ctx.cast.person(name).asks_for(TheNoted(CAUGHT_UP))
    looked_up, asked = catch_up.no_such_run, catch_up.asked_about
    assert looked_up == count, f"{name} had {looked_up} conversations looked up: {catch_up}"
    assert looked_up + catch_up.slowed_down * (asked // catch_up.batches) == asked, (
        f"{name} was not told to slow down for each request over the limit: {catch_up}"
    )
