"""A crowd's visit as the operator watches it: the figures while they are there, and after they
have left, what the service still holds for them (chats, places, questions, connections)."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from driver.actors.tasks import (
    AskAboutTheirSpend,
    Customer,
    Everyone,
    Leave,
    OpenChatTimed,
    WaitUntilTheirQuestionEnds,
)
from driver.client.eventually import eventually
from driver.client.operations import Figures

OPEN_CHATS = "chat_open_connections"
RUNNING = "chat_runs_in_flight"
QUEUED = "chat_runs_queued"
PLACES = "chat_open_chat_places"
POOLS = ("sessions", "hot_path")


def connections(pool: str, state: str) -> str:
    """The figure of one pool's PostgreSQL connections in that state (`in_use`, `open`)."""
    return f"chat_database_connections{{pool={pool},state={state}}}"


@dataclass(frozen=True)
class WatchedVisit:
    during: Figures  # once everyone had the chat open, before anyone asked
    left_at: float  # monotonic: when the last of them had left


async def visit(
    customers: list[Customer], within: float, read: Callable[[], Awaitable[Figures]]
) -> WatchedVisit:
    """Everyone opens the chat at once (the operator reads the figures), asks at once, waits
    until their question has ended (at most `within` seconds), then everyone leaves."""
    await Everyone(customers).attempts_to(OpenChatTimed())
    during = await read()
    await Everyone(customers).attempts_to(AskAboutTheirSpend(), WaitUntilTheirQuestionEnds(within))
    await Everyone(customers).attempts_to(Leave())
    return WatchedVisit(during, time.monotonic())


def differences(
    figures: Figures, expected: Mapping[str, float], names: Mapping[str, str]
) -> list[str]:
    """Each figure that is not what was expected, in words."""
    return [
        f"{names[name]}: {figures.get(name, 'missing')}, not {value:g} ({name})"
        for name, value in expected.items()
        if figures.get(name) != value
    ]


def kept(pool: str) -> str:
    """The figure of the most connections that pool keeps open when idle."""
    return f"chat_database_connections_kept{{pool={pool}}}"


def over_kept(figures: Figures) -> list[str]:
    """Each pool with more connections open than it keeps when idle, in words."""
    return [
        f"{pool}: {figures.get(connections(pool, 'open'))} connections open, more than the "
        f"{figures.get(kept(pool))} it keeps when idle"
        for pool in POOLS
        if figures.get(connections(pool, "open"), float("inf")) > figures.get(kept(pool), -1.0)
    ]


async def until_figures(
    read: Callable[[], Awaitable[Figures]],
    check: Callable[[Figures], list[str]],
    *,
    since: float,
    within: float,
    what: str,
) -> Figures:
    """The figures once `check` finds nothing wrong, within `within` seconds of `since`."""

    async def settled() -> Figures:
        figures = await read()
        wrong = check(figures)
        if wrong:
            raise AssertionError("; ".join(wrong))
        return figures

    left = max(0.0, since + within - time.monotonic())
    found: Figures = await eventually(settled, timeout=left, interval=0.2, describe=what)
    return found
