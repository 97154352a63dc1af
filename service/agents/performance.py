"""The performance analysis: what each feature costs per request and per thousand tokens.

Over the same 30 days and scope as the savings analysis. A feature's unit costs divide its exact
spend (the records' costs summed, unrounded) by its requests, or by its input plus output tokens
over 1,000, and are rounded once, half up, to a hundredth of a cent ($0.0001): a request often
costs less than a cent, so cents would show most of them as $0.00. A feature with no requests
(or no tokens) has no cost per request (or per thousand tokens) and is left out of that list.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from service.agents.model import Scope, UsageRecord, cents, usd
from service.agents.optimization import PERIOD_DAYS, select

UNIT = Decimal("0.0001")
MAX_LISTED = 10
# A question about tokens is answered by the cost per thousand tokens first; any other one by the
# cost per request first. Both lists are always in the answer, so the figures never depend on it.
_ABOUT_TOKENS = re.compile(r"\btokens?\b", re.IGNORECASE)
_Value = Callable[["UnitCost"], Decimal | None]  # one of a feature's unit costs


@dataclass(frozen=True)
class UnitCost:
    feature: str
    spend_usd: Decimal
    requests: int
    tokens: int
    per_request_usd: Decimal | None
    per_thousand_tokens_usd: Decimal | None


@dataclass(frozen=True)
class UnitCosts:
    period_start: date
    period_end: date
    scope: Scope
    features: tuple[UnitCost, ...]


def unit_costs(
    records: Sequence[UsageRecord], *, scope: Scope, period_start: date, period_end: date
) -> UnitCosts:
    chosen = select(records, scope=scope, period_start=period_start, period_end=period_end)
    spend: defaultdict[str, Decimal] = defaultdict(Decimal)
    requests: defaultdict[str, int] = defaultdict(int)
    tokens: defaultdict[str, int] = defaultdict(int)
    for record in chosen:
        spend[record.feature] += record.cost_usd
        requests[record.feature] += record.requests
        tokens[record.feature] += record.input_tokens + record.output_tokens
    features = tuple(
        UnitCost(
            feature=feature,
            spend_usd=cents(spend[feature]),
            requests=requests[feature],
            tokens=tokens[feature],
            per_request_usd=_per(spend[feature], requests[feature]),
            per_thousand_tokens_usd=_per(spend[feature] * 1000, tokens[feature]),
        )
        for feature in sorted(spend)
    )
    return UnitCosts(period_start, period_end, scope, features)


def write_performance_report(costs: UnitCosts, question: str) -> str:
    """The costliest feature for the measure the question asks about, then every feature's cost
    per request and per thousand tokens, the costliest first."""
    period = (
        f"the last {PERIOD_DAYS} days ({costs.period_start.isoformat()} to "
        f"{costs.period_end.isoformat()})"
    )
    by_request = _ranked(costs.features, lambda cost: cost.per_request_usd)
    by_tokens = _ranked(costs.features, lambda cost: cost.per_thousand_tokens_usd)
    if not by_request and not by_tokens:
        return (
            f"There is no AI usage to work out unit costs for {costs.scope.describe()} in "
            f"{period}. Upload your usage records (day, model, feature, requests, tokens and "
            "cost) and ask again.\n"
        )
    lead = "Over" if costs.scope == Scope() else f"For {costs.scope.describe()}, over"
    if _ABOUT_TOKENS.search(question) and by_tokens:
        top = by_tokens[0]
        first = (
            f"{lead} {period}, the feature that cost the most per thousand tokens was "
            f"{top.feature}: {_unit(top.per_thousand_tokens_usd)} per thousand tokens "
            f"({usd(top.spend_usd)} for {top.tokens:,} tokens)."
        )
    else:
        top = by_request[0]
        first = (
            f"{lead} {period}, the feature that cost the most per request was {top.feature}: "
            f"{_unit(top.per_request_usd)} a request ({usd(top.spend_usd)} for "
            f"{top.requests:,} requests)."
        )
    lines = [
        first,
        f"Cost per request: {_listed(by_request, lambda cost: cost.per_request_usd)}.",
        "Cost per thousand tokens: "
        f"{_listed(by_tokens, lambda cost: cost.per_thousand_tokens_usd)}.",
    ]
    return "\n".join(lines) + "\n"


def _per(amount: Decimal, count: int) -> Decimal | None:
    return (amount / count).quantize(UNIT, rounding=ROUND_HALF_UP) if count > 0 else None


def _ranked(costs: Iterable[UnitCost], value: _Value) -> list[UnitCost]:
    """The features that have that unit cost, the costliest first (ties by name)."""
    known = [cost for cost in costs if value(cost) is not None]
    return sorted(known, key=lambda cost: (-(value(cost) or Decimal(0)), cost.feature))


def _listed(ranked: Sequence[UnitCost], value: _Value) -> str:
    if not ranked:
        return "none (no requests or tokens recorded)"
    text = ", ".join(f"{cost.feature} {_unit(value(cost))}" for cost in ranked[:MAX_LISTED])
    if len(ranked) > MAX_LISTED:
        text += f", and {len(ranked) - MAX_LISTED:,} more features"
    return text


def _unit(amount: Decimal | None) -> str:
    return f"${amount or Decimal(0):,.4f}"
