"""The figures the performance scenarios and the bench print: percentiles, budgets, pauses."""

from __future__ import annotations

import math

import pytest

from driver.client.contract import TimedEvent
from driver.client.stream import RunStream
from driver.evidence.latency import (
    NEVER,
    Figures,
    Series,
    answer_time,
    first_progress,
    longest_step_gap,
)
from fixtures.performance_evidence import figures_table, latency_chart


def _run(asked_at: float, *events: tuple[float, str]) -> RunStream:
    run = RunStream("run-1", owner="Alice's laptop")
    run.mark_asked("How can we cut our model spend?", asked_at)
    for seq, (at, kind) in enumerate(events, start=1):
        run.add(TimedEvent(at, {"type": kind, "run_id": "run-1", "seq": seq, "payload": {}}))
    return run


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(1, 101)]  # 1..100
    assert Figures.of(samples) == Figures(count=100, p50=50.0, p95=95.0, p99=99.0, max=100.0)
    assert Figures.of([3.0]).p99 == 3.0


def test_ninety_nine_in_a_hundred_within_the_budget() -> None:
    waits = {f"Customer{n:03d}": 1.0 for n in range(1, 100)}
    one_late = Series("first progress", {**waits, "Customer100": 7.0}, budget=5.0)
    assert one_late.share_within_budget() == pytest.approx(0.99)
    assert one_late.figures.p99 == 1.0
    two_late = Series("first progress", {**waits, "Customer099": NEVER, "Customer100": 7.0}, 5.0)
    assert two_late.share_within_budget() < 0.99
    assert two_late.over_budget() == {"Customer099": NEVER, "Customer100": 7.0}
    assert two_late.worst(1) == "Customer099 never"


def test_waits_count_from_the_question_and_a_missing_event_is_never() -> None:
    run = _run(
        10.0,
        (10.2, "agent_started"),
        (10.5, "agent_thinking"),
        (12.0, "tool_executing"),
        (12.1, "agent_completed"),
    )
    assert first_progress(run) == pytest.approx(0.2)
    assert answer_time(run) == pytest.approx(2.1)
    gap, between = longest_step_gap(run)
    assert gap == pytest.approx(1.5)
    assert between == "agent_thinking -> tool_executing"
    unanswered = _run(10.0, (10.2, "agent_started"))
    assert math.isinf(answer_time(unanswered))
    assert math.isinf(longest_step_gap(unanswered)[0])
    assert math.isinf(first_progress(_run(10.0)))


def test_the_chart_and_the_table_show_every_measure() -> None:
    series = [
        Series("first progress", {"Alice": 0.4, "Bob": NEVER}, budget=5.0),
        Series("the answer", {"Alice": 2.0}),
    ]
    assert latency_chart(series).startswith(b"\x89PNG")
    rows = figures_table(series).splitlines()
    assert rows[0].startswith("measure,count,p50 s")
    assert rows[1] == "first progress,2,0.400,never,never,never,5,1"
    assert rows[2] == "the answer,1,2.000,2.000,2.000,2.000,,"
