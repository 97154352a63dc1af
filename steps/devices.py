"""Devices and the servers they reach: opening, going offline, reconnecting, stalling."""

from __future__ import annotations

from typing import Any

from driver.actors.questions import (
    HowTheChatWasClosed,
    TheAnswersMissingOn,
    TheNoted,
    TheServerOf,
    WhatTheDeviceGotWrong,
)
from driver.actors.tasks import (
    DEFAULT_DEVICE,
    NETWORK_FROZE_AT,
    Ask,
    GetThroughAgain,
    GoOffline,
    NoticeTheNetworkFroze,
    OpenChat,
    OpenOnAStalledLink,
    Reconnect,
    ReconnectWhenAPlaceIsFree,
    TakeAFreedPlace,
)
from driver.oracle import refusals
from fixtures import balancing, security
from fixtures.context import ScenarioContext, given, then, when
from fixtures.device_network import device_network
from harness.servers import free_open_chats, heartbeat_s, servers_of, setup_profile


def _servers(ctx: ScenarioContext) -> Any:
    return servers_of(security.stack_of(ctx))


@given("{name}'s {device:DeviceName} is on a server where {kind:ServerKind}")
def step_device_on_server(ctx: ScenarioContext, name: str, device: str, kind: str) -> None:
    """The person's device will use a server set up as described (slow tools, small buffers...)."""
    ctx.cast.person(name).chat.serve_from(device, _servers(ctx).url(kind))


@given("{name}'s {device:DeviceName} is on a second server")
async def step_device_on_second_server(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device will use a second server of the same service."""
    person = ctx.cast.person(name)
    if not ctx.target.embedded:  # a deployment: the device opens apart from the laptop
        await person.attempts_to(balancing.OpenApart((DEFAULT_DEVICE, device)))
        if not await person.asks_for(TheNoted(balancing.SERVERS_SAID)):
            ctx.scenario.skip(balancing.NOT_SAID)
        return
    person.chat.serve_from(device, _servers(ctx).url("second"))


@given("{name}'s {device:DeviceName} is open")
async def step_device_open(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person has the chat open on that device."""
    await ctx.cast.person(name).attempts_to(OpenChat(device))


@given("{name}'s {device:DeviceName} went offline")
async def step_device_offline(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device lost its connection to the chat."""
    await ctx.cast.person(name).attempts_to(GoOffline(device))


@given("{name}'s {device:DeviceName} is open on a poor connection that lets nothing through")
async def step_device_stalled(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device has the chat open on a connection that lets nothing through."""
    await ctx.cast.person(name).attempts_to(OpenOnAStalledLink(device))


@when("{name}'s {device:DeviceName} gets through again")
async def step_device_reads_again(ctx: ScenarioContext, name: str, device: str) -> None:
    """The stalled device's connection lets things through again."""
    await ctx.cast.person(name).attempts_to(GetThroughAgain(device))


@when("{name}'s {device:DeviceName} reconnects")
async def step_reconnect(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device reconnects to the chat."""
    await ctx.cast.person(name).attempts_to(Reconnect(device))


@when("{name}'s {device:DeviceName} reconnects to the first server")
async def step_reconnect_to_first(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device reconnects, this time to the first server."""
    person = ctx.cast.person(name)
    person.chat.serve_from(device, ctx.target.service_url)
    await person.attempts_to(Reconnect(device))


@when("the server {name}'s {device:DeviceName} is on is shut down for maintenance")
async def step_shut_down(ctx: ScenarioContext, name: str, device: str) -> None:
    """The server the person's device is on shuts down for maintenance."""
    _servers(ctx).shut_down(await ctx.cast.person(name).asks_for(TheServerOf(device)))


@then("{name}'s {device:DeviceName} is told the server is going away")
async def step_told_going_away(ctx: ScenarioContext, name: str, device: str) -> None:
    """The device's chat is closed with the reason that the server is going away."""
    code = await ctx.cast.person(name).asks_for(HowTheChatWasClosed(device, within=5))
    refusals.expect_closed(code, "the server is going away", who=f"{name}'s {device}")


@then("{name}'s {device:DeviceName} is told it fell too far behind")
async def step_told_too_slow(ctx: ScenarioContext, name: str, device: str) -> None:
    # Generous: the phone first reads everything that was already on its way to it.
    """The device's chat is closed with the reason that it fell too far behind."""
    code = await ctx.cast.person(name).asks_for(HowTheChatWasClosed(device, within=15))
    refusals.expect_closed(code, "it fell too far behind", who=f"{name}'s {device}")


@given("{name}'s laptop and phone are open on different servers")
async def step_devices_on_different_servers(ctx: ScenarioContext, name: str) -> None:
    """The person's laptop and phone are open, the balancer having put them on different servers."""
    person = ctx.cast.person(name)
    await person.attempts_to(
        balancing.OpenOnDifferentServers(ctx.http, ctx.balancer, ("laptop", "phone"))
    )


@when("{name}'s {device:DeviceName} reconnects and reaches another server than before")
async def step_reconnect_elsewhere(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device reconnects through the balancer and lands on the other server."""
    person = ctx.cast.person(name)
    await person.attempts_to(balancing.ReconnectElsewhere(ctx.http, ctx.balancer, device))


# -- a device that vanishes (its network freezes: no close, no reset)
def _profile(ctx: ScenarioContext) -> str:
    profile = setup_profile(ctx.scenario.effective_tags)
    if profile is None:
        raise AssertionError("this step needs a @server: tag naming the scenario's server")
    return profile


@given("{name}'s plan lets her keep {count:d} chats open at once")
def step_plan_open_chats(ctx: ScenarioContext, name: str, count: int) -> None:
    """The person's plan allows that many open chats (the scenario's server is set up so)."""
    allowed = free_open_chats(_profile(ctx))
    assert allowed == count, f"{name}'s plan on this server allows {allowed} open chats"


@given("{name} has her phone open, and her laptop open over a network that may freeze")
async def step_laptop_on_fragile_network(ctx: ScenarioContext, name: str) -> None:
    """The person's phone is open, and her laptop reaches the server through a network that may freeze."""
    person = ctx.cast.person(name)
    ctx.device_network = device_network(ctx, "laptop", await person.asks_for(TheServerOf("laptop")))
    person.chat.serve_from("laptop", ctx.device_network.url)
    await person.attempts_to(OpenChat("phone"))
    await person.attempts_to(OpenChat("laptop"))


@given('{name} asked "{question}" on her {device:DeviceName}')
async def step_asked_on(ctx: ScenarioContext, name: str, question: str, device: str) -> None:
    """The person asked the question on that device (its answer still to come)."""
    await ctx.cast.person(name).attempts_to(Ask(question, device=device))


@when("the network under {name}'s laptop freezes without a word")
async def step_network_freezes(ctx: ScenarioContext, name: str) -> None:
    """Nothing gets through the laptop's network any more, and neither end is told."""
    ctx.device_network.freeze()
    await ctx.cast.person(name).attempts_to(NoticeTheNetworkFroze("laptop"))


@then(
    "the service lets go of {name}'s laptop within two of its heartbeats, so her tablet can take "
    "its place"
)
async def step_vanished_place_freed(ctx: ScenarioContext, name: str) -> None:
    """Within two heartbeats of the freeze the laptop's open-chat place is free: the tablet gets in."""
    person = ctx.cast.person(name)
    since = await person.asks_for(TheNoted(NETWORK_FROZE_AT))
    freed = TakeAFreedPlace("tablet", since=since, within=2 * heartbeat_s(_profile(ctx)))
    await person.attempts_to(freed)


@then("{name}'s phone has the whole answer, each step once and in order")
async def step_phone_has_everything(ctx: ScenarioContext, name: str) -> None:
    """The phone, open all along, received every step of the answer, once each and in order."""
    person = ctx.cast.person(name)
    await person.asks_for(TheAnswersMissingOn("phone"))
    wrong = await person.asks_for(WhatTheDeviceGotWrong("phone"))
    assert not wrong, f"{name}'s phone did not get everything:\n" + "\n".join(wrong)


@then(
    "{name}'s laptop, back on a working network, catches up on everything, each step once and in order"
)
async def step_laptop_catches_up(ctx: ScenarioContext, name: str) -> None:
    """With its network working again, the laptop reconnects and has every step, once each and in order."""
    person = ctx.cast.person(name)
    ctx.device_network.restore()
    await person.attempts_to(ReconnectWhenAPlaceIsFree("laptop", within=5))
    await person.asks_for(TheAnswersMissingOn("laptop"))
    wrong = await person.asks_for(WhatTheDeviceGotWrong("laptop"))
    assert not wrong, f"{name}'s laptop did not get everything:\n" + "\n".join(wrong)
