"""One agent run: triage -> data -> optimization -> report, as a stream of steps.

Every run starts with a thought and the triage tool, so even a refused question shows the
assistant thinking and using a tool. Each `ToolStarted` is followed by its `ToolFinished`, also
when the usage data cannot be read: that tool reports `status="error"`, then the run raises
`ToolFailed`. Any other exception is a bug and propagates as it is; so do cancellation and
timeouts, which can leave a tool call open for the caller to close. A step marked `more` is
followed at once by the next one (never by a read, a model's answer or a long computation), so
the service sends the two together.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol, TypeVar
from uuid import uuid4

from service.agents import catalogue
from service.agents.model import (
    AgentStep,
    Analysis,
    Answer,
    Intent,
    Kept,
    KnownNames,
    Thinking,
    ToolFailed,
    ToolFinished,
    ToolStarted,
    TriageResult,
    UsageRecord,
    usd,
)
from service.agents.optimization import PERIOD_DAYS, analyse, analysis_period, select
from service.agents.reasoner import Reasoner

MAX_ARG_CHARS = 1000
IN_PLACE_RECORDS = 500
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


async def run_agent(
    question: str,
    *,
    history: Sequence[str],
    usage: UsageSource,
    reasoner: Reasoner,
    today: date,
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
        # The question in full is in the thread already; its tool call names only its
        # beginning, so the event stays small (an 8,000-character question of emoji is 96 KB).
        call = _Call("triage", {"question": _shorten(question, MAX_ARG_CHARS)}, kept)
        if not call.announced:
            yield Thinking(
                f'You asked: "{_shorten(question)}". First: is this about your AI spend?',
                more=True,
            )
            yield call.started()
        if kept.triage is not None:
            triaged = kept.triage
        else:
            try:
                names = await usage.known_names()
            except Exception as error:
                yield call.finished("could not read your usage data", status="error")
                raise ToolFailed("triage", "Could not read your usage data.") from error
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
    if "usage_report" in kept.told and kept.records is not None:
        records: Sequence[UsageRecord] = kept.records
    else:
        args: dict[str, object] = {
            "since": start.isoformat(),
            "until": end.isoformat(),
            "feature": scope.feature,
            "model": scope.model,
        }
        call = _Call("usage_report", args, kept)
        if not call.announced:
            yield Thinking(
                f"Plan: read the usage of {scope.describe()} from {start} to {end}, total the "
                "spend by model and feature, then look for light requests on premium models and "
                "for background work that a batch API could take.",
                more=True,
            )
            yield call.started()
        if kept.records is not None:
            records = kept.records
        else:
            try:
                found = await usage.records(since=start, until=end)
            except Exception as error:
                yield call.finished("could not read your usage data", status="error")
                raise ToolFailed("usage_report", "Could not read your usage data.") from error
            records = await _computed(
                len(found), select, found, scope=scope, period_start=start, period_end=end
            )
        spent = usd(sum((record.cost_usd for record in records), Decimal(0)))
        yield call.finished(
            f"{_count(len(records), 'record')}, {spent} over {PERIOD_DAYS} days",
            more=True,
            output=tuple(records),
        )

    if "savings_optimizer" in kept.told and kept.analysis is not None:
        analysis = kept.analysis
    else:
        call = _Call("savings_optimizer", {"records": len(records)}, kept)
        if not call.announced:
            yield call.started()
        if kept.analysis is not None:
            analysis = kept.analysis
        else:
            analysis = await _computed(
                len(records), analyse, records, scope=scope, period_start=start, period_end=end
            )
        yield call.finished(
            f"{_count(len(analysis.savings), 'opportunity', 'opportunities')}, "
            f"about {usd(analysis.monthly_savings_usd)} a month",
            output=analysis,
        )

    yield Answer(await reasoner.write_report(analysis, question), analysis=analysis)


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
