"""One agent run: triage -> data -> optimization -> report, as a stream of steps.

Every run starts with a thought and the triage tool, so even a refused question shows the
assistant thinking and using a tool. Each `ToolStarted` is followed by its `ToolFinished`, also
when the usage data cannot be read: that call reports `status="error"` and the tool is tried
again under a new call (`TOOL_ATTEMPTS` in all), so the person sees the failure and the retry;
when every attempt fails the run raises `ToolFailed`. A savings analysis that fails every attempt
is replaced by a simpler estimate (the `savings_estimate` tool), and the answer says so. A
question about cost per request or per thousand tokens gets the performance analysis instead.
Any other exception is a bug and propagates as it is; so do cancellation and timeouts, which
can leave a tool call open for the caller to close. A step marked `more` is followed at once by
the next one (never by a read, a model's answer or a long computation), so the service sends
the two together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Generic, Literal, Protocol, TypeVar
from uuid import uuid4

from service.agents import catalogue
from service.agents.model import (
    AgentStep,
    Analysis,
    Answer,
    Intent,
    Kept,
    KnownNames,
    Scope,
    Thinking,
    ToolFailed,
    ToolFinished,
    ToolStarted,
    TriageResult,
    UsageRecord,
    usd,
)
from service.agents.optimization import PERIOD_DAYS, analyse, analysis_period, estimate, select
from service.agents.performance import unit_costs, write_performance_report
from service.agents.reasoner import Reasoner

MAX_ARG_CHARS = 1000
IN_PLACE_RECORDS = 500
# A tool whose dependency fails is tried this many times in all, a short pause apart: a dropped
# connection or a busy moment passes; a dependency that stays down ends the run soon enough.
TOOL_ATTEMPTS = 2
RETRY_PAUSE_S = 0.1
T = TypeVar("T")


class UsageSource(Protocol):
    """The usage data of the person asking (the service reads it from its store)."""

    async def records(self, *, since: date, until: date) -> Sequence[UsageRecord]:
        """The records with `since <= day <= until`."""
        ...

    async def known_names(self) -> KnownNames:
        """The feature and model names in the usage data, whatever the day (at most
        `name_index.NAMES_READ` of each, the most recently reported)."""
        ...


class Optimizer(Protocol):
    """The savings analysis (the service may wrap it, as it wraps the usage data)."""

    async def analyse(
        self, records: Sequence[UsageRecord], *, scope: Scope, period_start: date, period_end: date
    ) -> Analysis: ...


class LocalOptimizer:
    """The savings analysis computed here (`optimization.analyse`)."""

    async def analyse(
        self, records: Sequence[UsageRecord], *, scope: Scope, period_start: date, period_end: date
    ) -> Analysis:
        return await _computed(
            len(records),
            analyse,
            records,
            scope=scope,
            period_start=period_start,
            period_end=period_end,
        )


async def run_agent(
    question: str,
    *,
    history: Sequence[str],
    usage: UsageSource,
    reasoner: Reasoner,
    today: date,
    optimizer: Optimizer | None = None,
    kept: Kept | None = None,
) -> AsyncIterator[AgentStep]:
    """Answer `question`; `history` holds the thread's earlier questions, oldest first.

    With `kept` (the run carried on from an instance that died), a stage its person was told had
    finished is not done again, its kept result is used; a stage announced but unfinished is
    finished under the call id already announced (its thought and announcement not repeated)."""
    kept = kept or Kept()
    if "triage" in kept.told and kept.triage is not None:
        triaged = kept.triage
    else:
        if "triage" not in kept.open_calls:
            yield Thinking(
                f'You asked: "{_shorten(question)}". First: is this about your AI spend?',
                more=True,
            )
        # The question in full is in the thread already; its tool call names only its
        # beginning, so the event stays small (an 8,000-character question of emoji is 96 KB).
        args: dict[str, object] = {"question": _shorten(question, MAX_ARG_CHARS)}
        if kept.triage is not None:
            call = _Call("triage", args, kept)
            if not call.announced:
                yield call.started()
            triaged = kept.triage
        else:
            tried = _Tried[KnownNames]()
            async for step in _attempts("triage", args, usage.known_names, tried, kept):
                yield step
            call, names = tried.call, tried.result
            triaged = await reasoner.triage(
                question,
                history=history,
                known_features=names.features,
                known_models=names.models | catalogue.MODELS,
            )
        # A refusal is written next (by a model, perhaps: seconds), a plan follows at once.
        more = triaged.intent is not Intent.UNSUPPORTED
        yield call.finished(triaged.reason, more=more, output=triaged)

    if triaged.intent is Intent.UNSUPPORTED:
        yield Answer(await reasoner.refuse(question), analysis=None)
        return

    scope = triaged.scope
    start, end = analysis_period(today)
    performance = triaged.intent is Intent.PERFORMANCE
    if "usage_report" in kept.told and kept.records is not None:
        records: Sequence[UsageRecord] = kept.records
    else:
        if "usage_report" not in kept.open_calls:
            then = (
                "work out what each feature costs per request and per thousand tokens"
                if performance
                else "total the spend by model and feature, then look for light requests on "
                "premium models and for background work that a batch API could take"
            )
            yield Thinking(
                f"Plan: read the usage of {scope.describe()} from {start} to {end}, {then}.",
                more=True,
            )
        args = {
            "since": start.isoformat(),
            "until": end.isoformat(),
            "feature": scope.feature,
            "model": scope.model,
        }
        if kept.records is not None:
            call = _Call("usage_report", args, kept)
            if not call.announced:
                yield call.started()
            records = kept.records
        else:
            read = _Tried[Sequence[UsageRecord]]()
            async for step in _attempts(
                "usage_report", args, lambda: usage.records(since=start, until=end), read, kept
            ):
                yield step
            call, found = read.call, read.result
            records = await _computed(
                len(found), select, found, scope=scope, period_start=start, period_end=end
            )
        spent = usd(sum((record.cost_usd for record in records), Decimal(0)))
        yield call.finished(
            f"{_count(len(records), 'record')}, {spent} over {PERIOD_DAYS} days",
            more=True,
            output=tuple(records),
        )

    if performance:
        call = _Call("performance_analyzer", {"records": len(records)}, kept)
        if not call.announced:
            yield call.started()
        costs = await _computed(
            len(records), unit_costs, records, scope=scope, period_start=start, period_end=end
        )
        yield call.finished(
            f"cost per request and per thousand tokens of {_count(len(costs.features), 'feature')}"
        )
        yield Answer(write_performance_report(costs, question), analysis=None)
        return

    if {"savings_optimizer", "savings_estimate"} & kept.told and kept.analysis is not None:
        analysis = kept.analysis
    else:
        if kept.analysis is not None:
            call = _Call("savings_optimizer", {"records": len(records)}, kept)
            if not call.announced:
                yield call.started()
            analysis = kept.analysis
        else:
            optimized = _Tried[Analysis]()
            savings = optimizer or LocalOptimizer()
            try:
                async for step in _attempts(
                    "savings_optimizer",
                    {"records": len(records)},
                    lambda: savings.analyse(
                        records, scope=scope, period_start=start, period_end=end
                    ),
                    optimized,
                    kept,
                    failure="could not run the savings analysis",
                ):
                    yield step
                call, analysis = optimized.call, optimized.result
            except ToolFailed:
                # The simpler estimate needs only the records' spend, which are already here.
                call = _Call("savings_estimate", {"records": len(records)}, kept)
                if not call.announced:
                    yield call.started()
                analysis = await _computed(
                    len(records), estimate, records, scope=scope, period_start=start, period_end=end
                )
        yield call.finished(
            f"{_count(len(analysis.savings), 'opportunity', 'opportunities')}, "
            f"about {usd(analysis.monthly_savings_usd)} a month"
            + (" (an estimate)" if analysis.estimate else ""),
            output=analysis,
        )

    yield Answer(await reasoner.write_report(analysis, question), analysis=analysis)


class _Tried(Generic[T]):
    """What `_attempts` leaves: the call that succeeded (still open) and its result."""

    call: _Call
    result: T


async def _attempts(
    tool: str,
    args: dict[str, object],
    work: Callable[[], Awaitable[T]],
    tried: _Tried[T],
    kept: Kept,
    *,
    failure: str = "could not read your usage data",
) -> AsyncIterator[AgentStep]:
    """Announce `tool` and run `work`, up to `TOOL_ATTEMPTS` times: each failed attempt is
    finished with `status="error"` (saying whether it is tried again) and the next one is a new
    call. The call that succeeds is left open in `tried`; when none does, `ToolFailed`. The
    first attempt finishes a call a run handed over had announced already (`kept`)."""
    for attempt in range(1, TOOL_ATTEMPTS + 1):
        call = _Call(tool, args, kept if attempt == 1 else Kept())
        if not call.announced:
            yield call.started()
        try:
            result = await work()
        except Exception as error:
            last = attempt == TOOL_ATTEMPTS
            yield call.finished(failure if last else f"{failure}; trying again", status="error")
            if last:
                raise ToolFailed(tool, f"{failure[0].upper()}{failure[1:]}.") from error
            await asyncio.sleep(RETRY_PAUSE_S)
            continue
        tried.call, tried.result = call, result
        return


class _Call:
    """One tool call: its id, and the clock from its announcement to its result. A call that a
    run handed over had announced already keeps its id (`announced`)."""

    def __init__(self, tool: str, args: dict[str, object], kept: Kept) -> None:
        self.tool = tool
        self.args = args
        announced = kept.open_calls.get(tool)
        self.announced = announced is not None
        self.call_id = announced or uuid4().hex
        self.since = time.monotonic()

    def started(self) -> ToolStarted:
        self.since = time.monotonic()
        return ToolStarted(call_id=self.call_id, tool=self.tool, args=self.args)

    def finished(
        self,
        summary: str,
        *,
        status: Literal["ok", "error"] = "ok",
        more: bool = False,
        output: TriageResult | tuple[UsageRecord, ...] | Analysis | None = None,
    ) -> ToolFinished:
        duration_ms = round((time.monotonic() - self.since) * 1000)
        return ToolFinished(self.call_id, self.tool, status, summary, duration_ms, more, output)


async def _computed(records: int, work: Callable[..., T], *args: object, **kwargs: object) -> T:
    """`work(...)` over that many records: in place when they are few (microseconds), else off
    the event loop (up to 15,000 records: tens of milliseconds)."""
    if records <= IN_PLACE_RECORDS:
        return work(*args, **kwargs)
    return await asyncio.to_thread(work, *args, **kwargs)


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else many or one + 's'}"


def _shorten(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
