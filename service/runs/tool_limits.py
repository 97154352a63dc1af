"""Limits on the agent's tools: each read of the usage data has a time budget.

The pipeline (service/agents/) turns a read that fails into `ToolFailed`, so a data source that
takes longer than `timeout_s` ends the run with `agent_error` `tool_failed` instead of holding it
until the run's deadline. `delay_s` is for tests only: it makes the data source slow, so a
scenario can have a run in flight (AGENT_TOOL_DELAY_SECONDS, always 0 in a deployment).
`failed_reads` and `failed_analyses` are for tests too: the first reads of the usage records, and
the first savings analyses, of each run fail as a dropped connection would (the pipeline then
retries, or estimates), AGENT_USAGE_READ_FAILURES and AGENT_SAVINGS_ANALYSIS_FAILURES.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from service.agents.model import Analysis, KnownNames, Scope, UsageRecord
from service.agents.pipeline import LocalOptimizer, UsageSource


@dataclass(frozen=True)
class ToolLimits:
    timeout_s: float = 10.0
    delay_s: float = 0.0
    failed_reads: int = 0
    failed_analyses: int = 0


class DependencyFailed(ConnectionError):
    """The fault a test asked for: a tool's dependency dropped the connection."""


class LimitedUsage:
    """A UsageSource whose every read waits `delay_s`, then must finish within `timeout_s`."""

    def __init__(self, source: UsageSource, limits: ToolLimits) -> None:
        self._source = source
        self._limits = limits
        self._reads = 0

    async def records(self, *, since: date, until: date) -> Sequence[UsageRecord]:
        self._reads += 1
        async with asyncio.timeout(self._limits.timeout_s):
            await self._slow_down()
            if self._reads <= self._limits.failed_reads:
                raise DependencyFailed("the usage data dropped the connection (test fault)")
            return await self._source.records(since=since, until=until)

    async def known_names(self) -> KnownNames:
        async with asyncio.timeout(self._limits.timeout_s):
            await self._slow_down()
            return await self._source.known_names()

    async def _slow_down(self) -> None:
        if self._limits.delay_s > 0:
            await asyncio.sleep(self._limits.delay_s)


class FailingFirstOptimizer:
    """The savings analysis of one run, whose first `limits.failed_analyses` tries fail."""

    def __init__(self, limits: ToolLimits) -> None:
        self._left = limits.failed_analyses
        self._optimizer = LocalOptimizer()

    async def analyse(
        self, records: Sequence[UsageRecord], *, scope: Scope, period_start: date, period_end: date
    ) -> Analysis:
        if self._left > 0:
            self._left -= 1
            raise DependencyFailed("the savings analysis could not run (test fault)")
        return await self._optimizer.analyse(
            records, scope=scope, period_start=period_start, period_end=period_end
        )
