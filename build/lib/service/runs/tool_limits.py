"""Limits on the agent's tools: each read of the usage data has a time budget.

The pipeline (service/agents/) turns a read that fails into `ToolFailed`, so a data source that
takes longer than `timeout_s` ends the run with `agent_error` `tool_failed` instead of holding it
until the run's deadline. `delay_s` is for tests only: it makes the data source slow, so a
scenario can have a run in flight (AGENT_TOOL_DELAY_SECONDS, always 0 in a deployment).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from service.agents.model import KnownNames, UsageRecord
from service.agents.pipeline import UsageSource


@dataclass(frozen=True)
class ToolLimits:
    timeout_s: float = 10.0
    delay_s: float = 0.0


class LimitedUsage:
    """A UsageSource whose every read waits `delay_s`, then must finish within `timeout_s`."""

    def __init__(self, source: UsageSource, limits: ToolLimits) -> None:
        self._source = source
        self._limits = limits

    async def records(self, *, since: date, until: date) -> Sequence[UsageRecord]:
        async with asyncio.timeout(self._limits.timeout_s):
            await self._slow_down()
            return await self._source.records(since=since, until=until)

    async def known_names(self) -> KnownNames:
        async with asyncio.timeout(self._limits.timeout_s):
            await self._slow_down()
            return await self._source.known_names()

    async def _slow_down(self) -> None:
        if self._limits.delay_s > 0:
            await asyncio.sleep(self._limits.delay_s)
