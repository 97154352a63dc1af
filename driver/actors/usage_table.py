"""Usage records from a feature file's table (columns model, feature, requests, input tokens,
output tokens, cost), as the service's usage upload takes them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

# Usage "in the last month" is dated well inside the assistant's 30-day window.
DAYS_AGO = 10


def last_month() -> date:
    return datetime.now(UTC).date() - timedelta(days=DAYS_AGO)


def usage_record(row: Mapping[str, str], day: date) -> dict[str, Any]:
    return {
        "day": day.isoformat(),
        "model": row["model"],
        "feature": row["feature"],
        "requests": int(row["requests"]),
        "input_tokens": int(row["input tokens"]),
        "output_tokens": int(row["output tokens"]),
        "cost_usd": float(row["cost"]),
    }


def usage_records(
    rows: Iterable[Mapping[str, str]], day: date | None = None
) -> list[dict[str, Any]]:
    """Every row dated `day` (default: ten days ago, inside the last month)."""
    return [usage_record(row, day or last_month()) for row in rows]
