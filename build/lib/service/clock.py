"""The service's notion of "today": the UTC date, the same on every instance."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_today() -> date:
    return datetime.now(UTC).date()
