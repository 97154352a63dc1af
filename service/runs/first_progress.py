"""First progress before further steps: while questions are arriving, the runs already started
hold their next steps until every arriving question has had its `agent_started` (or a short
bound passes).

The instance is one event loop. When a crowd asks at once, the first runs' steps (reasoning,
the tools' reads and arithmetic, their events) took the loop while the later questions of the
same crowd still waited to be stored and told that work had started: at 100 at once the first
progress of the last ones came after most of the crowd's other work (docs/capacity.md, fourth
round). The crowd's total work is the same either way; this only puts everyone's first progress
first. The bound keeps a steady stream of arrivals from holding the runs back for long.
"""

from __future__ import annotations

import asyncio
import contextlib

# How long a started run holds its steps for arrivals at most: about as long as a crowd of 100
# takes to arrive (0.05 s let the first runs go on while most of the crowd waited; 0.3 s put
# the first progress p50 of 100 at once at 0.14 s, against 0.35 s with no hold, and the answer
# p99 at 0.96 s against 1.36 s). Under a steady stream of questions a run waits no longer.
HOLD_S = 0.25


class FirstProgress:
    """Counts the questions between their arrival and their `agent_started` (or their refusal);
    `settled()` waits until there are none."""

    def __init__(self, *, hold_s: float = HOLD_S) -> None:
        self.hold_s = hold_s
        self._arriving = 0
        self._settled = asyncio.Event()
        self._settled.set()

    @property
    def arriving(self) -> int:
        return self._arriving

    def came(self) -> None:
        """A question arrived (or a run was started for it): its first progress is pending."""
        self._arriving += 1
        self._settled.clear()

    def went(self) -> None:
        """Its first progress is out, or it will have none (refused, failed, a duplicate)."""
        self._arriving = max(0, self._arriving - 1)
        if not self._arriving:
            self._settled.set()

    async def settled(self) -> None:
        """Until no question waits for its first progress, at most `hold_s`."""
        if self._settled.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.hold_s):
                await self._settled.wait()
