"""A stop ends even when something in it waits for ever (service/shutdown.py): a close that never
returns is cut at its bound, a task that swallows its cancellation is left behind, and past the
whole stop's bound the process exits, saying what still waited. Real processes."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import time

import pytest

from harness.services import exited
from service.shutdown import CLOSE_TIMEOUT_S, EXIT_OVERRUN, bounded, cancelled

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

STUCK_STOP = textwrap.dedent(
    """
    import asyncio
    from service.shutdown import arm_watchdog

    async def close_that_never_returns() -> None:
        await asyncio.Event().wait()

    async def main() -> None:
        arm_watchdog(0.5)
        await close_that_never_returns()

    asyncio.run(main())
    """
)


async def test_a_stop_stuck_past_its_bound_ends_the_process_and_says_what_waited() -> None:
    began = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", STUCK_STOP, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await exited(process, what="a process whose stop waits for ever", timeout_s=20)
    said = stderr.decode(errors="replace")
    assert process.returncode == EXIT_OVERRUN, f"exit {process.returncode}: {said[-1500:]}"
    assert "close_that_never_returns" in said, said[-1500:]
    assert time.monotonic() - began < 15


async def test_a_close_that_never_returns_is_given_up_at_its_bound() -> None:
    async with asyncio.timeout(5):  # a failure, not a hang, when the bound is gone
        await bounded("a close that never returns", asyncio.Event().wait(), timeout_s=0.2)


async def test_a_task_that_swallows_its_cancellation_does_not_hold_up_the_stop() -> None:
    let_go = asyncio.Event()

    async def stubborn() -> None:
        while not let_go.is_set():
            try:
                await let_go.wait()
            except asyncio.CancelledError:
                continue

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S + 5):  # a failure, not a hang, when unbounded
            await cancelled("a stubborn task", [task])
        assert not task.done(), "the task was meant to ignore its cancellation"
    finally:
        let_go.set()
        await asyncio.wait_for(task, 5)
