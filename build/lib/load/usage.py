"""The usage each load-test person uploads before asking: Alice's month from
features/conversation/golden_path.feature, repeated over more days when a bigger table is asked
for, and the total the answer must then state."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

# (model, feature, requests, input tokens, output tokens, cost): $3,785.00 in total.
GOLDEN_MONTH = (
    ("gpt-4o", "support-bot", 400000, 320000000, 60000000, Decimal("1400.00")),
    ("gpt-4o", "nightly-report", 3000, 30000000, 6000000, Decimal("135.00")),
    ("claude-opus-4", "contract-review", 20000, 100000000, 10000000, Decimal("2250.00")),
)
# Rows are dated 1 to 28 days ago: inside the assistant's 30-day window (docs/protocol-notes.md).
DAYS = 28


def usage_records(size: int, today: date | None = None) -> list[dict[str, Any]]:
    """`size` records: the golden month's rows, each repeat on an earlier day (and, past 28
    days, under a numbered feature name so no two rows describe the same day and feature)."""
    today = today or datetime.now(UTC).date()
    records = []
    for index in range(size):
        model, feature, requests, tokens_in, tokens_out, cost = GOLDEN_MONTH[index % 3]
        repeat = index // 3
        if repeat >= DAYS:
            feature = f"{feature}-{repeat // DAYS}"
        records.append(
            {
                "day": (today - timedelta(days=1 + repeat % DAYS)).isoformat(),
                "model": model,
                "feature": feature,
                "requests": requests,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "cost_usd": float(cost),
            }
        )
    return records


def spent(records: list[dict[str, Any]]) -> str:
    """The total as the answer states it, e.g. "$3,785.00"."""
    total = sum((Decimal(str(r["cost_usd"])) for r in records), Decimal(0))
    return f"${total:,.2f}"
