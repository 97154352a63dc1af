"""How long people waited, as figures a product owner reads: percentiles, budgets, gaps.

Every wait is measured from what the person did (the moment they asked, the moment they started
opening the chat) to when their client received something, never from the start of a step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from driver.client.stream import RunStream

# A wait that never ended (no event at all, no answer) counts as infinitely long: over any budget.
NEVER = math.inf


def percentile(samples: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest sample that at least `share` of them do not
    exceed (p99 of 100 samples is the 99th smallest)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Figures:
    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, samples: Sequence[float]) -> Figures:
        return cls(
            count=len(samples),
            p50=percentile(samples, 0.50),
            p95=percentile(samples, 0.95),
            p99=percentile(samples, 0.99),
            max=max(samples),
        )


@dataclass(frozen=True)
class Series:
    """One measured wait: each person's seconds, and the budget it is held to (None: shown for
    context only)."""

    label: str
    seconds: Mapping[str, float]
    budget: float | None = None
    notes: Mapping[str, str] = field(default_factory=dict)  # why a person's wait is what it is
    counted: str = "people"  # what the samples are, for messages and charts

    @property
    def figures(self) -> Figures:
        return Figures.of(list(self.seconds.values()))

    def over_budget(self) -> dict[str, float]:
        if self.budget is None:
            return {}
        return {who: s for who, s in self.seconds.items() if s > self.budget}

    def share_within_budget(self) -> float:
        return 1.0 - len(self.over_budget()) / len(self.seconds) if self.seconds else 0.0

    def worst(self, count: int = 5) -> str:
        """The longest waits, for a failure message: `Customer007 7.21 s (last event: ...)`."""
        ordered = sorted(self.seconds.items(), key=lambda item: item[1], reverse=True)[:count]
        return "; ".join(
            f"{who} {describe_seconds(s)}" + (f" ({self.notes[who]})" if who in self.notes else "")
            for who, s in ordered
        )


def describe_seconds(seconds: float) -> str:
    return "never" if math.isinf(seconds) else f"{seconds:.2f} s"


# -- waits of one run, from the moment its question was asked
def first_progress(run: RunStream) -> float:
    if run.asked_at is None or not run.events:
        return NEVER
    return run.events[0].at - run.asked_at


def answer_time(run: RunStream) -> float:
    final = run.final
    if run.asked_at is None or final is None:
        return NEVER
    return final.at - run.asked_at


def longest_step_gap(run: RunStream) -> tuple[float, str]:
    """The longest time between two consecutive events the client received, and between which
    two (`tool_executing "usage_report"` -> `tool_completed "usage_report"`)."""
    if run.final is None:
        return NEVER, f"the run never ended ({run.where_it_stopped()})"
    gaps = [
        (later.at - earlier.at, f"{earlier.describe()} -> {later.describe()}")
        for earlier, later in zip(run.events, run.events[1:], strict=False)
    ]
    return max(gaps, default=(0.0, "a single event"))


async def timed(action: Callable[[], Awaitable[object]], times: int) -> list[float]:
    """Do it `times` times, one after the other; the seconds each took, as the person waited."""
    waits = []
    for _ in range(times):
        started = time.monotonic()
        await action()
        waits.append(time.monotonic() - started)
    return waits
