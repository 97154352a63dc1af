"""Bounded waits on a dependency that may be frozen.

`asyncio.timeout` cancels the work, then waits for the work's own cleanup, and that cleanup
(rolling back, returning a connection to the pool, closing a socket politely) talks to the same
frozen server: a 1 s timeout measured 10 s and more against a frozen PostgreSQL. `within` answers
on time instead and leaves the cancelled work to finish its cleanup in the background.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")
# An HTTP request (not the chat socket, which lives long) gets this long; a dependency that does
# not answer in time turns into 503 temporarily_unavailable (service/resilience/failures.py
# maps the timeout).
REQUEST_TIMEOUT_S = 5.0
CHAT_PATH = "/ws"

# Cancelled work still cleaning up; kept referenced so it is not garbage collected mid-way.
_abandoned: set[asyncio.Task[Any]] = set()


class DependencyTimeout(TimeoutError):
    """A dependency did not answer in time (mapped to `temporarily_unavailable`)."""


async def within(seconds: float, work: Coroutine[Any, Any, T], *, what: str) -> T:
    """The result of `work`, or DependencyTimeout after `seconds` whatever its cleanup does."""
    task = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        _abandon(task)
        raise
    if task in done:
        return task.result()
    _abandon(task)
    raise DependencyTimeout(f"{what} did not answer within {seconds:g} s")


@web.middleware
async def deadline_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.path == CHAT_PATH:
        return await handler(
            request
        )  # the chat bounds its own waits (service/http/chat/handler.py)
    # Any other route gets the deadline whatever its headers say (an `Upgrade: websocket`
    # header used to switch it off anywhere).

    async def handle() -> web.StreamResponse:
        return await handler(request)

    return await within(REQUEST_TIMEOUT_S, handle(), what=f"{request.method} {request.path}")


def _abandon(task: asyncio.Task[Any]) -> None:
    task.cancel()
    _abandoned.add(task)
    task.add_done_callback(_forget)


def _forget(task: asyncio.Task[Any]) -> None:
    _abandoned.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: a failure of abandoned work is expected, not news


async def uninterruptible(work: Awaitable[T]) -> T:
    """Run `work` to its end even if the caller is cancelled meanwhile (a deadline, a shutdown):
    the cancellation is re-raised once the work is done."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        raise
