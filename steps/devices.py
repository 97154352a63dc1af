"""Devices and the servers they reach: opening, going offline, reconnecting, stalling."""

from __future__ import annotations

from typing import Any

from driver import delivery, refusals
from driver.actors.questions import HowTheChatWasClosed
from driver.actors.tasks import OpenChat, Reconnect
from fixtures import balancer, security
from fixtures.context import ScenarioContext, given, then, when
from fixtures.servers import servers_of


def _servers(ctx: ScenarioContext) -> Any:
    return servers_of(security.stack_of(ctx))


@given("{name}'s {device:DeviceName} is on a server where {kind:ServerKind}")
def step_device_on_server(ctx: ScenarioContext, name: str, device: str, kind: str) -> None:
    """The person's device will use a server set up as described (slow tools, small buffers...)."""
    ctx.cast.person(name).chat.serve_from(device, _servers(ctx).url(kind))


@given("{name}'s {device:DeviceName} is on a second server")
def step_device_on_second_server(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device will use a second server of the same service."""
    ctx.cast.person(name).chat.serve_from(device, _servers(ctx).url("second"))


@given("{name}'s {device:DeviceName} is open")
async def step_device_open(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person has the chat open on that device."""
    await ctx.cast.person(name).attempts_to(OpenChat(device))


@given("{name}'s {device:DeviceName} went offline")
async def step_device_offline(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device lost its connection to the chat."""
    await delivery.drop_connection(ctx.cast.person(name), device)


@given("{name}'s {device:DeviceName} is open on a poor connection that lets nothing through")
async def step_device_stalled(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device has the chat open on a connection that lets nothing through."""
    (await delivery.open_on_poor_link(ctx.cast.person(name), device)).stop_reading()


@when("{name}'s {device:DeviceName} gets through again")
def step_device_reads_again(ctx: ScenarioContext, name: str, device: str) -> None:
    """The stalled device's connection lets things through again."""
    ctx.cast.person(name).chat.sockets[device].start_reading()


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
def step_shut_down(ctx: ScenarioContext, name: str, device: str) -> None:
    """The server the person's device is on shuts down for maintenance."""
    _servers(ctx).shut_down(delivery.server_of(ctx.cast.person(name), device))


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
    await balancer.open_on_different_servers(ctx.http, ctx.balancer, person, ("laptop", "phone"))


@when("{name}'s {device:DeviceName} reconnects and reaches another server than before")
async def step_reconnect_elsewhere(ctx: ScenarioContext, name: str, device: str) -> None:
    """The person's device reconnects through the balancer and lands on the other server."""
    person = ctx.cast.person(name)
    await balancer.reconnect_elsewhere(ctx.http, ctx.balancer, person, device)
