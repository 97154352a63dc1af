"""Plans: what each segment may use (issue 18). The one table of quotas.

Every account has a plan (Free unless an operator or enterprise sign-in says otherwise), and
the plan sets the person's quotas. Without them every per-person limit multiplied by the number
of free sign-ups; with them the generous figures belong to the plans people pay for.

- `questions_per_day`: questions one person may ask per UTC day, all chats and instances
  together (counted in Redis: service/delivery/chat/daily_questions.py).
- `usage_records`: usage records one account keeps (service/store/usage.py).
- `open_chats`: chats one person may hold open at once (service/delivery/chat/person_limits.py).
- `line_places`: questions one person may have waiting for a run slot on one instance.
- `line_reach`: how full the line may be (a multiple of RUNS_QUEUED) and still take one more
  question of this plan's people: a Free flood fills the line to 1.0, an Enterprise person's
  question still gets in (and, having nothing running, goes first: service/runs/admission.py).

The Free figures are the limits every account had before plans existed, so nobody lost anything
the day plans came; `PLAN_QUOTAS` overrides any figure (docs/operations.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Plan(StrEnum):
    FREE = "free"
    EARLY = "early"
    MID = "mid"
    ENTERPRISE = "enterprise"

    @property
    def title(self) -> str:  # type: ignore[override]
        return self.value.capitalize()


DEFAULT_PLAN = Plan.FREE


@dataclass(frozen=True)
class Quotas:
    questions_per_day: int
    usage_records: int
    open_chats: int
    line_places: int
    line_reach: float


# questions_per_day, usage_records, open_chats, line_places, line_reach
PLANS: Mapping[Plan, Quotas] = {
    Plan.FREE: Quotas(200, 100_000, 20, 5, 1.0),
    Plan.EARLY: Quotas(1_000, 250_000, 40, 10, 1.1),
    Plan.MID: Quotas(5_000, 500_000, 80, 20, 1.25),
    Plan.ENTERPRISE: Quotas(50_000, 1_000_000, 200, 50, 1.5),
}

_LIMITS = {
    "questions_per_day": (1, 10_000_000),
    "usage_records": (1, 100_000_000),
    "open_chats": (1, 10_000),
    "line_places": (1, 1_000_000),
    "line_reach": (1.0, 10.0),
}


def cache_key(user_id: object) -> str:
    """Where Redis keeps a person's plan for the chat's handshake (delivery/chat/plan_cache.py);
    the operator's command deletes it when it changes the plan."""
    return f"plan:{user_id}"


def parse_plan(value: str) -> Plan:
    """A plan by its name, any case (`Enterprise`, `mid`), or ValueError naming the plans."""
    try:
        return Plan(value.strip().lower())
    except ValueError:
        known = ", ".join(p.title for p in Plan)
        raise ValueError(f"{value!r} is not a plan; the plans are {known}") from None


def with_overrides(text: str, base: Mapping[Plan, Quotas] = PLANS) -> dict[Plan, Quotas]:
    """The table with `PLAN_QUOTAS` applied: comma-separated `plan.quota=figure`, e.g.
    `free.questions_per_day=3,mid.open_chats=4`. ValueError says what is wrong."""
    table = dict(base)
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, equals, figure = item.partition("=")
        plan_name, dot, quota = name.strip().partition(".")
        if not equals or not dot or quota not in _LIMITS:
            raise ValueError(f"{item!r} is not plan.quota=figure (quotas: {', '.join(_LIMITS)})")
        plan = parse_plan(plan_name)
        low, high = _LIMITS[quota]
        try:
            number: float = float(figure) if quota == "line_reach" else int(figure)
        except ValueError:
            raise ValueError(f"{item!r}: {figure.strip()!r} is not a number") from None
        if not low <= number <= high:
            raise ValueError(f"{item!r}: {quota} must be between {low:g} and {high:g}")
        changes: dict[str, Any] = {quota: number}
        table[plan] = dataclasses.replace(table[plan], **changes)
    return table
