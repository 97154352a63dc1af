"""Reading what the service stored, timed as the person waits: her history, a conversation's
messages, a search. Each wait is measured from the moment she asked to the moment she had it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from driver.actors.actor import Actor
from driver.actors.questions import TheirConversations, TheMessages, WhatTheSearchFinds

# What she reads, in words, and how.
Read = Callable[[Actor], Awaitable[object]]


def reads(search_words: str) -> dict[str, Read]:
    """The three reads of a busy account: her history, her latest conversation, a search."""
    return {
        "opening the history": lambda a: a.asks_for(TheirConversations()),
        "opening her conversation": lambda a: a.asks_for(TheMessages()),
        f'searching for "{search_words}"': lambda a: a.asks_for(WhatTheSearchFinds(search_words)),
    }


@dataclass
class Timings:
    """Each read's waits in seconds, and when the reading began and ended (monotonic)."""

    waits: dict[str, list[float]] = field(default_factory=dict)
    began: float = 0.0
    ended: float = 0.0


async def timed_in_turn(person: Actor, what: dict[str, Read], rounds: int) -> Timings:
    """Each read once per round, in turn, `rounds` times, one after the other."""
    timings = Timings({label: [] for label in what}, began=time.monotonic())
    for _ in range(rounds):
        for label, read in what.items():
            started = time.monotonic()
            await read(person)
            timings.waits[label].append(time.monotonic() - started)
    timings.ended = time.monotonic()
    return timings


async def timed_while(
    person: Actor, what: dict[str, Read], rounds: int, others: Awaitable[None]
) -> Timings:
    """The reads timed while `others` (a crowd asking) runs; both must finish."""
    timings, _ = await asyncio.gather(timed_in_turn(person, what, rounds), others)
    return timings


def share_during(timings: Timings, busy_until: Sequence[float]) -> float:
    """The share of the reading time during which at least one of the others was still busy
    (`busy_until`: when each of them was done, monotonic)."""
    if not busy_until or timings.ended <= timings.began:
        return 0.0
    busy = min(max(busy_until), timings.ended) - timings.began
    return max(0.0, busy) / (timings.ended - timings.began)
