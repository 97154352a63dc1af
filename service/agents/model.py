"""The agent pipeline's vocabulary: usage data, triage results, analyses and the steps of a run."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Literal

CENT = Decimal("0.01")
MONTHS_PER_YEAR = 12


def cents(amount: Decimal) -> Decimal:
    """Round a dollar amount to cents, half up (the one rounding rule of the pipeline)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def usd(amount: Decimal) -> str:
    """Format dollars for people: `$12,345.67`."""
    return f"${cents(amount):,.2f}"


def name_key(name: str) -> str:
    """Compare feature and model names loosely: "Support Bot", "support_bot" -> "support-bot"."""
    return re.sub(r"[\W_]+", "-", name.casefold()).strip("-")


@dataclass(frozen=True)
class UsageRecord:
    """One day of one feature's traffic to one model, as the company uploaded it."""

    day: date
    model: str
    feature: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


@dataclass(frozen=True)
class KnownNames:
    """The feature and model names found in a company's usage data (what triage can recognise)."""

    features: frozenset[str]
    models: frozenset[str]


class Intent(Enum):
    SPEND = "spend"
    FOLLOW_UP = "follow_up"
    PERFORMANCE = "performance"  # what each feature costs per request / per thousand tokens
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Scope:
    """What a question is about; `None` means every feature (or every model)."""

    feature: str | None = None
    model: str | None = None

    def describe(self) -> str:
        if self.feature and self.model:
            return f"the {self.feature} feature on {self.model}"
        if self.feature:
            return f"the {self.feature} feature"
        if self.model:
            return f"the {self.model} model"
        return "the whole company"


@dataclass(frozen=True)
class TriageResult:
    intent: Intent
    scope: Scope
    reason: str


@dataclass(frozen=True)
class Saving:
    """One way to spend less on one (feature, model) pair, in dollars per month."""

    kind: Literal["model_switch", "batching"]
    feature: str
    model: str
    target_model: str | None
    monthly_cost_usd: Decimal
    monthly_savings_usd: Decimal
    rationale: str


@dataclass(frozen=True)
class Analysis:
    period_start: date
    period_end: date
    scope: Scope
    total_spend_usd: Decimal
    spend_by_model: dict[str, Decimal]
    spend_by_feature: dict[str, Decimal]
    savings: tuple[Saving, ...]
    monthly_savings_usd: Decimal
    # The simpler estimate that stands in when the savings analysis cannot run (batching only).
    estimate: bool = False

    @property
    def days(self) -> int:
        return (self.period_end - self.period_start).days + 1

    @property
    def yearly_savings_usd(self) -> Decimal:
        """Twelve months of the (already rounded) monthly savings: $1,316.00 -> $15,792.00."""
        return cents(self.monthly_savings_usd * MONTHS_PER_YEAR)


# `more` on a step: the next one follows at once (nothing is read or asked in between), so the
# service may store and send the two together, one round trip instead of two (issue 19).


@dataclass(frozen=True)
class Thinking:
    text: str
    more: bool = False


@dataclass(frozen=True)
class ToolStarted:
    call_id: str
    tool: str
    args: dict[str, object]
    more: bool = False


@dataclass(frozen=True)
class ToolFinished:
    call_id: str
    tool: str
    status: Literal["ok", "error"]
    summary: str
    duration_ms: int
    more: bool = False
    # The stage's result, kept with the run before its person is told it finished (Kept).
    output: TriageResult | tuple[UsageRecord, ...] | Analysis | None = None


@dataclass(frozen=True)
class Answer:
    text: str
    analysis: Analysis | None


AgentStep = Thinking | ToolStarted | ToolFinished | Answer


@dataclass(frozen=True)
class Kept:
    """What a run already did on an instance that died (service/runs/stages.py), for the one
    that carries it on: the results of its finished stages, the tools its person was told had
    finished, and the tool calls announced but never completed (tool -> call id), which the run
    completes rather than announcing them again."""

    triage: TriageResult | None = None
    records: Sequence[UsageRecord] | None = None
    analysis: Analysis | None = None
    told: frozenset[str] = frozenset()
    open_calls: Mapping[str, str] = field(default_factory=dict)


class ToolFailed(Exception):
    """A tool of the pipeline could not do its work; `message` is safe to show to the user."""

    def __init__(self, tool: str, message: str) -> None:
        super().__init__(f"{tool}: {message}")
        self.tool = tool
        self.message = message
