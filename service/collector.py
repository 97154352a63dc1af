"""Python's cyclic garbage collector, set for a server that allocates a great deal and keeps
little of it (docs/capacity.md, sixth round).

A crowd's work allocates containers by the million (events, frames, futures, tasks), nearly all
freed by reference counting as soon as they are done with. With the default threshold (a
collection of the youngest generation every 700 allocations more than frees) the collector ran
hundreds of times a second under a crowd, and each full collection walked every object the
instance holds, the modules and the open chats included, with the event loop stopped. Now the
objects of a started instance (modules, settings, pools, routes) are frozen out of every
collection, and the youngest generation is collected every `YOUNG_THRESHOLD` allocations.
Cycles are still collected, later: at most that many containers wait for it.
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator

from aiohttp import web

YOUNG_THRESHOLD = 10_000


async def tuned_collector(_: web.Application) -> AsyncIterator[None]:
    """For the instance's life (the last of its startup steps: what they made is kept)."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
