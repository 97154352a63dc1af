"""The pipeline's retries, its estimate when the savings analysis cannot run, and the performance
analysis (issue 21, items 6 and 8), run in-process over usage data held in memory."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest

from service.agents.model import (
    AgentStep,
    Analysis,
    Answer,
    Intent,
    KnownNames,
    Scope,
    Thinking,
    ToolFailed,
    ToolFinished,
    ToolStarted,
    UsageRecord,
)
from service.agents.optimization import analyse
from service.agents.performance import unit_costs, write_performance_report
from service.agents.pipeline import run_agent
from service.agents.reasoner import DeterministicReasoner
from service.agents.triage import triage
from tests.service.agents.test_pipeline import (
    END,
    NIGHTLY_REPORT,
    START,
    SUPPORT_BOT,
    TODAY,
    assert_tools_paired,
    usage,
)


class FlakyUsage:
    """Usage data whose first `fails` reads of the records raise, as a dropped connection."""

    def __init__(self, *records: UsageRecord, fails: int = 0) -> None:
        self._records = records
        self._fails = fails

    async def records(self, *, since: date, until: date) -> Sequence[UsageRecord]:
        if self._fails > 0:
            self._fails -= 1
            raise ConnectionError("usage store unreachable")
        return [record for record in self._records if since <= record.day <= until]

    async def known_names(self) -> KnownNames:
        return KnownNames(
            features=frozenset(record.feature for record in self._records),
            models=frozenset(record.model for record in self._records),
        )


class BrokenOptimizer:
    """A savings analysis that never runs."""

    async def analyse(
        self, records: Sequence[UsageRecord], *, scope: Scope, period_start: date, period_end: date
    ) -> Analysis:
        raise ConnectionError("price list unreachable")


async def run(
    question: str, data: FlakyUsage, *, optimizer: BrokenOptimizer | None = None
) -> list[AgentStep]:
    return [
        step
        async for step in run_agent(
            question,
            history=(),
            usage=data,
            reasoner=DeterministicReasoner(),
            today=TODAY,
            optimizer=optimizer,
        )
    ]


def tools(steps: Sequence[AgentStep]) -> list[tuple[str, str]]:
    return [(step.tool, step.status) for step in steps if isinstance(step, ToolFinished)]


async def test_a_read_that_fails_once_is_retried_as_a_new_call_and_the_run_answers() -> None:
    steps = await run("How can we cut our model spend?", FlakyUsage(SUPPORT_BOT, fails=1))
    assert_tools_paired(steps)
    assert tools(steps) == [
        ("triage", "ok"),
        ("usage_report", "error"),
        ("usage_report", "ok"),
        ("savings_optimizer", "ok"),
    ]
    failed = [s for s in steps if isinstance(s, ToolFinished) and s.status == "error"]
    assert failed[0].summary == "could not read your usage data; trying again"
    answer = steps[-1]
    assert isinstance(answer, Answer) and answer.analysis is not None
    assert answer.analysis.total_spend_usd == Decimal("2000.00")


async def test_a_read_that_keeps_failing_ends_the_run_after_every_attempt() -> None:
    steps: list[AgentStep] = []
    with pytest.raises(ToolFailed):
        async for step in run_agent(
            "How can we cut our model spend?",
            history=(),
            usage=FlakyUsage(SUPPORT_BOT, fails=99),
            reasoner=DeterministicReasoner(),
            today=TODAY,
        ):
            steps.append(step)
    assert tools(steps)[1:] == [("usage_report", "error"), ("usage_report", "error")]


async def test_a_savings_analysis_that_cannot_run_is_replaced_by_an_estimate_that_says_so() -> None:
    steps = await run(
        "How can we cut our model spend?",
        FlakyUsage(SUPPORT_BOT, NIGHTLY_REPORT),
        optimizer=BrokenOptimizer(),
    )
    assert_tools_paired(steps)
    assert tools(steps)[2:] == [
        ("savings_optimizer", "error"),
        ("savings_optimizer", "error"),
        ("savings_estimate", "ok"),
    ]
    answer = steps[-1]
    assert isinstance(answer, Answer) and answer.analysis is not None
    # Only batching, from the spend: the nightly report's $300.00 at half price.
    assert answer.analysis.estimate and answer.analysis.monthly_savings_usd == Decimal("150.00")
    assert "This is an estimate" in answer.text
    assert "You could save about $150.00 a month" in answer.text


async def test_the_full_analysis_never_says_it_is_an_estimate() -> None:
    steps = await run("How can we cut our model spend?", FlakyUsage(SUPPORT_BOT, NIGHTLY_REPORT))
    answer = steps[-1]
    assert isinstance(answer, Answer) and "estimate:" not in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Which feature costs the most per request?",
        "What does each request cost us, feature by feature?",
        "Per call, which of our features is the priciest?",
        "What do we pay per 1,000 tokens for each feature?",
        "And per thousand tokens?",
        "Show me the unit cost of each feature",
    ],
)
def test_questions_about_unit_costs_go_to_the_performance_analysis(question: str) -> None:
    found = triage(question, history=(), known_features=(), known_models=())
    assert found.intent is Intent.PERFORMANCE


@pytest.mark.parametrize(
    "question",
    ["How can we cut our model spend?", "Where could we save money on AI models?"],
)
def test_questions_about_savings_stay_with_the_savings_analysis(question: str) -> None:
    found = triage(question, history=(), known_features=(), known_models=())
    assert found.intent is Intent.SPEND


async def test_the_performance_analysis_plans_reads_and_answers_with_unit_costs() -> None:
    steps = await run("Which feature costs the most per request?", FlakyUsage(SUPPORT_BOT))
    assert_tools_paired(steps)
    assert [s.tool for s in steps if isinstance(s, ToolStarted)] == [
        "triage",
        "usage_report",
        "performance_analyzer",
    ]
    plan = [s.text for s in steps if isinstance(s, Thinking)][1]
    assert f"read the usage of the whole company from {START} to {END}" in plan
    answer = steps[-1]
    assert isinstance(answer, Answer)
    # $2,000.00 / 10,000 requests; / 9,500 thousand tokens = 0.210526...
    assert "Cost per request: support-bot $0.2000." in answer.text
    assert "Cost per thousand tokens: support-bot $0.2105." in answer.text


def test_unit_costs_sum_a_feature_over_its_models_and_round_once_half_up() -> None:
    records = [
        usage("digest", "gpt-4o", 2, 1_000, 0, "0.00015"),
        usage("digest", "gpt-4o-mini", 2, 1_000, 0, "0.00015"),
    ]
    costs = unit_costs(records, scope=Scope(), period_start=START, period_end=END)
    (digest,) = costs.features
    # 0.0003 / 4 = 0.000075 -> $0.0001 (rounding each model's first: 0.000075 twice -> 0.0002)
    assert digest.per_request_usd == Decimal("0.0001")
    assert digest.per_thousand_tokens_usd == Decimal("0.0002")  # 0.0003 * 1000 / 2000 = 0.00015


def test_a_feature_without_requests_is_left_out_of_the_cost_per_request() -> None:
    records = [usage("backfill", "gpt-4o", 0, 5_000, 0, "1.00"), SUPPORT_BOT]
    costs = unit_costs(records, scope=Scope(), period_start=START, period_end=END)
    report = write_performance_report(costs, "cost per request?")
    assert "Cost per request: support-bot $0.2000." in report
    assert "backfill $0.2000" in report  # 1.00 * 1000 / 5000 tokens


def test_a_question_about_tokens_leads_with_the_costliest_per_thousand_tokens() -> None:
    # support-bot: $0.2000 a request, $0.2105 per thousand tokens; digest: $3.0000 a request
    # (heavier requests), $0.0300 per thousand tokens (100,000 tokens for $3.00).
    records = [SUPPORT_BOT, usage("digest", "gpt-4o", 1, 90_000, 10_000, "3.00")]
    costs = unit_costs(records, scope=Scope(), period_start=START, period_end=END)
    by_tokens = write_performance_report(costs, "Which feature costs the most per 1,000 tokens?")
    by_request = write_performance_report(costs, "Which feature costs the most per request?")
    assert "cost the most per thousand tokens was support-bot: $0.2105" in by_tokens
    assert "cost the most per request was digest: $3.0000 a request" in by_request
    # Same figures either way: only the opening sentence follows the wording.
    assert by_tokens.splitlines()[1:] == by_request.splitlines()[1:]


def test_no_usage_asks_for_an_upload() -> None:
    costs = unit_costs([], scope=Scope(), period_start=START, period_end=END)
    assert "Upload your usage records" in write_performance_report(costs, "per request?")


def test_estimate_and_analysis_agree_on_the_spend() -> None:
    full = analyse([SUPPORT_BOT, NIGHTLY_REPORT], scope=Scope(), period_start=START, period_end=END)
    assert full.total_spend_usd == Decimal("2300.00") and not full.estimate
