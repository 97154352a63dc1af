"""Tasks of a company's usage as a feature file's table gives it (columns model, feature,
requests, input tokens, output tokens, cost; or days ago): uploaded as the service takes it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from driver.actors.actor import Actor
from driver.actors.tasks.accounts import LoadUsage

# Usage "in the last month" is dated well inside the assistant's 30-day window.
DAYS_AGO = 10

# The golden path's month (features/conversation/golden_path.feature), for scenarios about
# something else: $3,785.00 spent, about $1,383.50 a month to save ($1,316.00 on support-bot).
A_MONTH_OF_USAGE = [
    ("gpt-4o", "support-bot", 400000, 320000000, 60000000, 1400.00),
    ("gpt-4o", "nightly-report", 3000, 30000000, 6000000, 135.00),
    ("claude-opus-4", "contract-review", 20000, 100000000, 10000000, 2250.00),
]


@dataclass(frozen=True)
class LoadUsageOfLastMonth:
    """Upload the table's rows, each dated in the last month."""

    rows: Sequence[Mapping[str, str]]

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(LoadUsage(usage_records(self.rows)))


@dataclass(frozen=True)
class LoadUsageByDay:
    """Upload the table's rows, each dated its `days ago` before today."""

    rows: Sequence[Mapping[str, str]]

    async def perform_as(self, actor: Actor) -> None:
        today = datetime.now(UTC).date()
        records = [_record(row, today - timedelta(days=int(row["days ago"]))) for row in self.rows]
        await actor.attempts_to(LoadUsage(records))


@dataclass(frozen=True)
class LoadAMonthOfUsage:
    """Upload the golden path's month of usage ($3,785.00 spent)."""

    async def perform_as(self, actor: Actor) -> None:
        day = _last_month().isoformat()
        records = [
            {
                "day": day,
                "model": model,
                "feature": feature,
                "requests": requests,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "cost_usd": cost,
            }
            for model, feature, requests, tokens_in, tokens_out, cost in A_MONTH_OF_USAGE
        ]
        await actor.attempts_to(LoadUsage(records))


def usage_records(rows: Iterable[Mapping[str, str]]) -> list[dict[str, Any]]:
    """Every row of the table, dated ten days ago (inside the last month)."""
    return [_record(row, _last_month()) for row in rows]


def _last_month() -> date:
    return datetime.now(UTC).date() - timedelta(days=DAYS_AGO)


def _record(row: Mapping[str, str], day: date) -> dict[str, Any]:
    return {
        "day": day.isoformat(),
        "model": row["model"],
        "feature": row["feature"],
        "requests": int(row["requests"]),
        "input_tokens": int(row["input tokens"]),
        "output_tokens": int(row["output tokens"]),
        "cost_usd": float(row["cost"]),
    }
