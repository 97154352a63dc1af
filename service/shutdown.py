"""A stop that always ends: each resource gets a bounded close, and a last-resort watchdog
ends the process when the whole shutdown overruns its bound (a dependency that never answers,
a task that swallows its cancellation, a pool waiting for a connection nobody gives back).

An instance that never exits after SIGTERM holds its port and its connections until someone
kills it: a supervisor's stop, a rolling restart or a CI run waits for it for ever."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import sys
from collections.abc import Awaitable, Iterable
from typing import Any

log = logging.getLogger("service")

# What one resource's close may take at shutdown (a Redis or PostgreSQL round trip is short
# timeouts and milliseconds; a close that takes longer is waiting for something that will not come).
CLOSE_TIMEOUT_S = 5.0
# Beyond the drain and aiohttp's grace for handlers: every resource's bounded close.
CLOSES_S = 20.0
# A loop so blocked that the watchdog's own callback cannot run: the thread stacks, then exit.
BLOCKED_LOOP_S = 5.0
EXIT_OVERRUN = 70  # EX_SOFTWARE: the stop overran its bound and was cut short


async def bounded(
    what: str, closing: Awaitable[object], *, timeout_s: float = CLOSE_TIMEOUT_S
) -> None:
    """Await a close for at most timeout_s; then give up on it (cancelled) and say so."""
    try:
        await asyncio.wait_for(closing, timeout_s)
    except TimeoutError:
        log.warning("shutdown: %s did not close within %g s; left behind", what, timeout_s)


async def cancelled(what: str, tasks: Iterable[asyncio.Future[Any]]) -> None:
    """Cancel background tasks and wait for them to end, at most CLOSE_TIMEOUT_S: one that
    swallows its cancellation is left behind (and named) instead of holding up the stop."""
    pending = [task for task in tasks if not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, left = await asyncio.wait(pending, timeout=CLOSE_TIMEOUT_S)
    for task in left:
        log.warning("shutdown: %s did not end within %g s: %r", what, CLOSE_TIMEOUT_S, task)


def shutdown_bound_s(drain_s: float, handlers_grace_s: float) -> float:
    """The longest a graceful stop may take: the runs' drain, aiohttp's grace for handlers, the
    closes."""
    return drain_s + handlers_grace_s + CLOSES_S


def arm_watchdog(bound_s: float) -> None:
    """From now on the process ends within bound_s (plus BLOCKED_LOOP_S if its event loop is
    stuck): what was still waiting is logged (tasks and threads), then it exits EXIT_OVERRUN."""
    loop = asyncio.get_running_loop()
    loop.call_later(bound_s, _give_up, bound_s)
    faulthandler.dump_traceback_later(bound_s + BLOCKED_LOOP_S, exit=True)


def _give_up(bound_s: float) -> None:
    waiting = "\n".join(_awaiting(task) for task in asyncio.all_tasks())
    log.error(
        "shutdown: not done within %g s; exiting with what still waits:\n%s", bound_s, waiting
    )
    faulthandler.dump_traceback(all_threads=True)
    sys.stderr.flush()
    os._exit(EXIT_OVERRUN)


def _awaiting(task: asyncio.Task[Any]) -> str:
    """The task and the chain of coroutines it awaits, innermost last (Task.print_stack shows
    only the outermost frame of a suspended task)."""
    lines = [repr(task)]
    step: Any = task.get_coro()
    while step is not None:
        frame = getattr(step, "cr_frame", None) or getattr(step, "gi_frame", None)
        if frame is not None:
            code = frame.f_code
            lines.append(f"  {code.co_filename}:{frame.f_lineno} in {code.co_qualname}")
        step = getattr(step, "cr_await", None) or getattr(step, "gi_yieldfrom", None)
    return "\n".join(lines)
