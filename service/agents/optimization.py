"""Spend totals and savings over a period, following the rules documented in `catalogue`.

The period is 30 calendar days ending today, both ends included (`analysis_period`). Because it
spans 30 days, what the usage of the period would have cost less IS the monthly saving estimate:
no scaling or extrapolation.

Money stays exact (`Decimal`) while computing. Every amount stored in an `Analysis` is rounded to
cents once, half up: totals after summing the records, each saving after computing it for its
(feature, model) pair. Batching discounts what remains after the rounded switch saving, so the
savings of a pair never exceed its cost, and the monthly savings total is the sum of the rounded
savings, so the lines of a report add up to its total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from service.agents import catalogue
from service.agents.model import Analysis, Saving, Scope, UsageRecord, cents, name_key, usd

PERIOD_DAYS = 30


def analysis_period(today: date) -> tuple[date, date]:
    """The 30 days analysed: `today - 29 days` to `today`, inclusive."""
    return today - timedelta(days=PERIOD_DAYS - 1), today


def select(
    records: Iterable[UsageRecord], *, scope: Scope, period_start: date, period_end: date
) -> list[UsageRecord]:
    """The records of the period (inclusive) that the scope covers (names compared loosely)."""
    feature = name_key(scope.feature) if scope.feature else None
    model = name_key(scope.model) if scope.model else None
    return [
        record
        for record in records
        if period_start <= record.day <= period_end
        and (feature is None or name_key(record.feature) == feature)
        and (model is None or name_key(record.model) == model)
    ]


def analyse(
    records: Sequence[UsageRecord], *, scope: Scope, period_start: date, period_end: date
) -> Analysis:
    chosen = select(records, scope=scope, period_start=period_start, period_end=period_end)
    return _analysis(
        chosen, _savings, scope=scope, period_start=period_start, period_end=period_end
    )


def estimate(
    records: Sequence[UsageRecord], *, scope: Scope, period_start: date, period_end: date
) -> Analysis:
    """The simpler estimate that answers when the savings analysis cannot run: from the spend
    alone, only what batching the background features would save (half of what they cost, on
    the models with a known batch discount). No token counts, no model switches."""
    chosen = select(records, scope=scope, period_start=period_start, period_end=period_end)
    found = _analysis(
        chosen, _batching_only, scope=scope, period_start=period_start, period_end=period_end
    )
    return replace(found, estimate=True)


def _analysis(
    chosen: Sequence[UsageRecord],
    savings_of: Callable[[str, str, Sequence[UsageRecord]], list[Saving]],
    *,
    scope: Scope,
    period_start: date,
    period_end: date,
) -> Analysis:
    groups: defaultdict[tuple[str, str], list[UsageRecord]] = defaultdict(list)
    for record in chosen:
        groups[record.feature, record.model].append(record)
    # Both savings of a pair stay together, the pair that saves most first.
    found = {pair: savings_of(*pair, rows) for pair, rows in groups.items()}
    ranked = sorted(found, key=lambda pair: (-_total(found[pair]), pair))
    savings = tuple(saving for pair in ranked for saving in found[pair])
    return Analysis(
        period_start=period_start,
        period_end=period_end,
        scope=scope,
        total_spend_usd=cents(_spend(chosen)),
        spend_by_model=_spend_by(chosen, lambda record: record.model),
        spend_by_feature=_spend_by(chosen, lambda record: record.feature),
        savings=savings,
        monthly_savings_usd=_total(savings),
    )


def _spend(records: Iterable[UsageRecord]) -> Decimal:
    return sum((record.cost_usd for record in records), Decimal(0))


def _total(savings: Iterable[Saving]) -> Decimal:
    return sum((saving.monthly_savings_usd for saving in savings), Decimal(0))


def _spend_by(
    records: Sequence[UsageRecord], key: Callable[[UsageRecord], str]
) -> dict[str, Decimal]:
    """Spend per name, largest first."""
    totals: defaultdict[str, Decimal] = defaultdict(Decimal)
    for record in records:
        totals[key(record)] += record.cost_usd
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    return {name: cents(amount) for name, amount in ranked}


def _savings(feature: str, model: str, rows: Sequence[UsageRecord]) -> list[Saving]:
    """The savings of one (feature, model) pair: a model switch, then batching of what remains."""
    if catalogue.price_of(model) is None:
        return []
    cost = _spend(rows)
    switch = _model_switch(feature, model, rows, cost)
    remaining = cost - switch.monthly_savings_usd if switch else cost
    batching = _batching(feature, model, remaining, switch)
    return [saving for saving in (switch, batching) if saving is not None]


def _batching_only(feature: str, model: str, rows: Sequence[UsageRecord]) -> list[Saving]:
    if catalogue.price_of(model) is None:
        return []
    batching = _batching(feature, model, _spend(rows), None)
    return [batching] if batching else []


def _model_switch(
    feature: str, model: str, rows: Sequence[UsageRecord], cost: Decimal
) -> Saving | None:
    economy = catalogue.economy_alternative(model)
    requests = sum(row.requests for row in rows)
    input_tokens = sum(row.input_tokens for row in rows)
    output_tokens = sum(row.output_tokens for row in rows)
    light = catalogue.is_light_workload(
        requests=requests, input_tokens=input_tokens, output_tokens=output_tokens
    )
    if economy is None or not light:
        return None
    economy_cost = catalogue.token_cost(
        economy, input_tokens=input_tokens, output_tokens=output_tokens
    )
    saved = cents(cost - economy_cost)
    if saved <= 0:
        return None
    average_in = _per_request(input_tokens, requests)
    average_out = _per_request(output_tokens, requests)
    return Saving(
        kind="model_switch",
        feature=feature,
        model=model,
        target_model=economy.model,
        monthly_cost_usd=cents(cost),
        monthly_savings_usd=saved,
        rationale=f"light workload: {average_in:,} input / {average_out:,} output tokens"
        " per request",
    )


def _batching(feature: str, model: str, remaining: Decimal, switch: Saving | None) -> Saving | None:
    saved = cents(remaining * catalogue.BATCH_DISCOUNT)
    if not catalogue.is_non_interactive(feature) or saved <= 0:
        return None
    after = f" left after the switch to {switch.target_model}" if switch else ""
    return Saving(
        kind="batching",
        feature=feature,
        model=model,
        target_model=None,
        monthly_cost_usd=cents(remaining),
        monthly_savings_usd=saved,
        rationale=f"non-interactive work: the batch API halves the {usd(remaining)}{after}",
    )


def _per_request(tokens: int, requests: int) -> Decimal:
    return (Decimal(tokens) / requests).quantize(Decimal(1), rounding=ROUND_HALF_UP)
