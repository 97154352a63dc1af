"""Reading the figures out of the assistant's answer, as a person reading it would."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

_MONEY = r"\$[0-9][0-9,]*\.[0-9]{2}"
_TOTAL = re.compile(rf"spent ({_MONEY})")
_SAVINGS = re.compile(rf"save about ({_MONEY}) a month")
_YEARLY_SAVINGS = re.compile(rf"about ({_MONEY}) a year")


def stated_total(answer: str) -> str | None:
    """The total spend the answer states, e.g. "$3,785.00"."""
    found = _TOTAL.search(answer)
    return found.group(1) if found else None


def stated_monthly_savings(answer: str) -> str | None:
    """The estimated monthly savings the answer states, e.g. "$1,383.50"."""
    found = _SAVINGS.search(answer)
    return found.group(1) if found else None


def stated_yearly_savings(answer: str) -> str | None:
    """The estimated savings in a year the answer states, e.g. "$15,792.00"."""
    found = _YEARLY_SAVINGS.search(answer)
    return found.group(1) if found else None


def own_spend(
    records: Sequence[Mapping[str, Any]], question: str, *, today: date | None = None
) -> str:
    """What a person's own uploaded usage adds up to over the 30 days ending today, narrowed to
    the one feature the question names ("the support bot" names `support-bot`): the total an
    answer to that person must state, e.g. "$1,400.00"."""
    today = today or datetime.now(UTC).date()
    since = today - timedelta(days=29)
    words = question.casefold().replace("-", " ")
    features = {str(r["feature"]) for r in records}
    named = [
        f
        for f in features
        if re.search(rf"\b{re.escape(f.casefold().replace('-', ' '))}s?\b", words)
    ]
    chosen = [
        r
        for r in records
        if since <= date.fromisoformat(str(r["day"])) <= today
        and (len(named) != 1 or r["feature"] == named[0])
    ]
    total = sum((Decimal(str(r["cost_usd"])) for r in chosen), Decimal(0))
    return f"${total.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


_UNIT_MONEY = r"\$[0-9][0-9,]*\.[0-9]{4}"
_COSTLIEST = re.compile(
    rf"the feature that cost the most per (request|thousand tokens) was (\S+): ({_UNIT_MONEY})"
)
_UNIT_LIST = re.compile(r"^Cost per (request|thousand tokens): (.*)\.$", re.MULTILINE)
_UNIT_ITEM = re.compile(rf"(\S+) ({_UNIT_MONEY})")


def stated_costliest(answer: str) -> tuple[str, str, str] | None:
    """(measure, feature, amount) of the costliest feature the answer names first, e.g.
    ("request", "doc-search", "$0.5100")."""
    found = _COSTLIEST.search(answer)
    return (found.group(1), found.group(2), found.group(3)) if found else None


def stated_unit_costs(answer: str) -> dict[str, dict[str, str]]:
    """Each feature's stated costs by measure: {"doc-search": {"request": "$0.5100",
    "thousand tokens": "$0.0025"}}."""
    costs: dict[str, dict[str, str]] = {}
    for measure, items in _UNIT_LIST.findall(answer):
        for feature, amount in _UNIT_ITEM.findall(items):
            costs.setdefault(feature, {})[measure] = amount
    return costs
