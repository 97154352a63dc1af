"""The agent pipeline: triage, the spend and savings arithmetic, the report and the run's steps."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

import pytest

from service.agents import catalogue
from service.agents.model import (
    AgentStep,
    Analysis,
    Answer,
    Intent,
    KnownNames,
    Saving,
    Scope,
    Thinking,
    ToolFailed,
    ToolFinished,
    ToolStarted,
    UsageRecord,
)
from service.agents.optimization import analyse, analysis_period
from service.agents.pipeline import run_agent
from service.agents.reasoner import DeterministicReasoner
from service.agents.report import polite_refusal, write_report
from service.agents.triage import triage

TODAY = date(2026, 11, 21)
START, END = analysis_period(TODAY)


def usage(
    feature: str,
    model: str,
    requests: int,
    input_tokens: int,
    output_tokens: int,
    cost: str,
    day: date = TODAY,
) -> UsageRecord:
    return UsageRecord(day, model, feature, requests, input_tokens, output_tokens, Decimal(cost))


# support-bot: 800 input / 150 output tokens per request on a premium model -> light workload.
SUPPORT_BOT = usage("support-bot", "gpt-4o", 10_000, 8_000_000, 1_500_000, "2000.00")
# nightly-report: already on the economy model, but its name says it can wait for a batch API.
NIGHTLY_REPORT = usage("nightly-report", "gpt-4o-mini", 500, 1_000_000, 300_000, "300.00")


EVERYTHING = Scope()


def analysed(*records: UsageRecord, scope: Scope = EVERYTHING) -> Analysis:
    return analyse(records, scope=scope, period_start=START, period_end=END)


class MemoryUsage:
    """A company's usage data held in memory; `failing` names the call that raises."""

    def __init__(self, *records: UsageRecord, failing: str | None = None) -> None:
        self._records = records
        self._failing = failing

    async def records(self, *, since: date, until: date) -> Sequence[UsageRecord]:
        if self._failing == "records":
            raise ConnectionError("usage store unreachable")
        return [record for record in self._records if since <= record.day <= until]

    async def known_names(self) -> KnownNames:
        if self._failing == "known_names":
            raise ConnectionError("usage store unreachable")
        return KnownNames(
            features=frozenset(record.feature for record in self._records),
            models=frozenset(record.model for record in self._records),
        )


async def run(
    question: str,
    data: MemoryUsage,
    history: Sequence[str] = (),
    steps: list[AgentStep] | None = None,
) -> list[AgentStep]:
    steps = [] if steps is None else steps
    async for step in run_agent(
        question, history=history, usage=data, reasoner=DeterministicReasoner(), today=TODAY
    ):
        steps.append(step)
    return steps


def assert_tools_paired(steps: Sequence[AgentStep]) -> None:
    """Each ToolStarted is directly followed, after no other tool step, by its ToolFinished."""
    tool_steps = [step for step in steps if isinstance(step, ToolStarted | ToolFinished)]
    assert len(tool_steps) % 2 == 0, tool_steps
    for started, finished in zip(tool_steps[::2], tool_steps[1::2], strict=True):
        assert isinstance(started, ToolStarted) and isinstance(finished, ToolFinished)
        assert (started.call_id, started.tool) == (finished.call_id, finished.tool)
        assert finished.duration_ms >= 0
    call_ids = [step.call_id for step in tool_steps if isinstance(step, ToolStarted)]
    assert len(set(call_ids)) == len(call_ids)


# --- catalogue ------------------------------------------------------------------------------


def test_catalogue_matches_names_loosely_and_never_switches_unknown_models() -> None:
    assert catalogue.price_of("GPT-4o") == catalogue.price_of("gpt-4o")
    assert catalogue.price_of("mistral-large") is None
    assert catalogue.economy_alternative("mistral-large") is None
    assert catalogue.economy_alternative("gpt-4o-mini") is None  # already economy
    switches = {
        model: getattr(catalogue.economy_alternative(model), "model", None)
        for model in ("gpt-4o", "gpt-4.1", "o3", "claude-opus-4", "claude-sonnet-4")
    }
    assert switches == {
        "gpt-4o": "gpt-4o-mini",
        "gpt-4.1": "gpt-4.1-mini",
        "o3": "o4-mini",
        "claude-opus-4": "claude-haiku-4",
        "claude-sonnet-4": "claude-haiku-4",
    }


def test_token_cost_uses_prices_per_million_tokens() -> None:
    mini = catalogue.price_of("gpt-4o-mini")
    assert mini is not None
    # 8,000,000 x $0.15/M + 1,500,000 x $0.60/M = $1.20 + $0.90
    assert catalogue.token_cost(mini, input_tokens=8_000_000, output_tokens=1_500_000) == Decimal(
        "2.10"
    )


# --- optimization ---------------------------------------------------------------------------


def test_analysis_period_is_thirty_days_ending_today() -> None:
    assert (START, END) == (date(2026, 10, 23), date(2026, 11, 21))
    assert (END - START).days + 1 == 30


def test_light_premium_workload_moves_and_background_work_is_batched() -> None:
    analysis = analysed(SUPPORT_BOT, NIGHTLY_REPORT)

    # $2,000.00 + $300.00
    assert analysis.total_spend_usd == Decimal("2300.00")
    assert analysis.spend_by_model == {"gpt-4o": Decimal("2000.00"), "gpt-4o-mini": Decimal("300")}
    assert analysis.spend_by_feature == {
        "support-bot": Decimal("2000.00"),
        "nightly-report": Decimal("300.00"),
    }
    assert analysis.savings == (
        # $2,000.00 - $2.10 at gpt-4o-mini prices (test_token_cost_uses_prices_per_million_tokens)
        Saving(
            kind="model_switch",
            feature="support-bot",
            model="gpt-4o",
            target_model="gpt-4o-mini",
            monthly_cost_usd=Decimal("2000.00"),
            monthly_savings_usd=Decimal("1997.90"),
            rationale="light workload: 800 input / 150 output tokens per request",
        ),
        # half of $300.00
        Saving(
            kind="batching",
            feature="nightly-report",
            model="gpt-4o-mini",
            target_model=None,
            monthly_cost_usd=Decimal("300.00"),
            monthly_savings_usd=Decimal("150.00"),
            rationale="non-interactive work: the batch API halves the $300.00",
        ),
    )
    # $1,997.90 + $150.00
    assert analysis.monthly_savings_usd == Decimal("2147.90")


def test_switch_and_batching_of_one_feature_do_not_count_a_dollar_twice() -> None:
    # 1,000 requests averaging 1,000 input / 200 output tokens on gpt-4o, $40.00.
    digest = usage("weekly-digest", "GPT-4o", 1_000, 1_000_000, 200_000, "40.00")

    switch, batching = analysed(digest).savings

    # at gpt-4o-mini prices: 1,000,000 x $0.15/M + 200,000 x $0.60/M = $0.15 + $0.12 = $0.27
    assert (switch.kind, switch.target_model) == ("model_switch", "gpt-4o-mini")
    assert switch.monthly_savings_usd == Decimal("39.73")  # $40.00 - $0.27
    # the batch API halves what is left: $0.27 / 2 = $0.135, rounded half up
    assert (batching.kind, batching.monthly_cost_usd) == ("batching", Decimal("0.27"))
    assert batching.monthly_savings_usd == Decimal("0.14")
    assert analysed(digest).monthly_savings_usd == Decimal("39.87")  # $39.73 + $0.14 < $40.00


@pytest.mark.parametrize(
    ("record", "why"),
    [
        # 5,000 input tokens per request: a heavy workload keeps its premium model
        (usage("legal-review", "claude-opus-4", 100, 500_000, 20_000, "9.00"), "heavy"),
        # 1,501 input tokens per request: just over the light workload limit of 1,500
        (usage("support-bot", "claude-sonnet-4", 2, 3_002, 800, "1.00"), "over the limit"),
        # light, but the economy model would cost more than the $0.01 actually paid (never negative)
        (usage("support-bot", "gpt-4o", 1_000, 1_000_000, 0, "0.01"), "already cheap"),
        # light and non-interactive, but nothing is known about this model's prices
        (usage("nightly-export", "mistral-large", 10, 1_000, 100, "50.00"), "unknown model"),
    ],
)
def test_no_saving_is_suggested(record: UsageRecord, why: str) -> None:
    analysis = analysed(record)
    assert analysis.savings == (), why
    assert analysis.monthly_savings_usd == Decimal(0)


def test_light_workload_limit_is_inclusive() -> None:
    # exactly 1,500 input / 400 output tokens per request; at claude-haiku-4 prices
    # 3,000 x $1/M + 800 x $5/M = $0.003 + $0.004 = $0.007, so $1.00 - $0.007 = $0.993 -> $0.99
    chat = usage("chat", "claude-sonnet-4", 2, 3_000, 800, "1.00")
    (switch,) = analysed(chat).savings
    assert (switch.target_model, switch.monthly_savings_usd) == ("claude-haiku-4", Decimal("0.99"))


def test_only_the_period_and_the_scope_are_analysed() -> None:
    records = [
        usage("support-bot", "gpt-4o", 1, 10, 10, "1.00", day=START - timedelta(days=1)),
        usage("support-bot", "gpt-4o", 1, 10, 10, "2.00", day=START),
        usage("Support_Bot", "gpt-4o", 1, 10, 10, "4.00", day=END),
        usage("support-bot", "gpt-4o", 1, 10, 10, "8.00", day=END + timedelta(days=1)),
        usage("nightly-report", "gpt-4o", 1, 10, 10, "16.00"),
    ]
    scope = Scope(feature="support bot")
    analysis = analyse(records, scope=scope, period_start=START, period_end=END)
    assert analysis.total_spend_usd == Decimal("6.00")  # $2.00 on the first day + $4.00 on the last
    assert set(analysis.spend_by_feature) == {"support-bot", "Support_Bot"}


# --- triage ---------------------------------------------------------------------------------

FEATURES = {"support-bot", "nightly_report", "Code Review"}
MODELS = {"gpt-4o", "gpt-4o-mini", "claude-opus-4"}


@pytest.mark.parametrize(
    ("question", "history", "intent", "scope"),
    [
        ("How can we cut our model spend?", [], Intent.SPEND, Scope()),
        ("Where does our AI budget go?", [], Intent.SPEND, Scope()),
        ("How much does the support bot cost us?", [], Intent.SPEND, Scope("support-bot")),
        (
            "what about only the support bot?",
            ["Cut spend?"],
            Intent.FOLLOW_UP,
            Scope("support-bot"),
        ),
        ("and for GPT-4o?", ["Cut spend?"], Intent.FOLLOW_UP, Scope(model="gpt-4o")),
        ("and gpt-4o-mini?", ["Cut spend?"], Intent.FOLLOW_UP, Scope(model="gpt-4o-mini")),
        ("only the nightly reports", ["Cut spend?"], Intent.FOLLOW_UP, Scope("nightly_report")),
        (
            "code review on claude opus 4?",
            ["Hi"],
            Intent.FOLLOW_UP,
            Scope("Code Review", "claude-opus-4"),
        ),
        ("what about the savings then?", ["Cut spend?"], Intent.FOLLOW_UP, Scope()),
        # A follow-up that names nothing continues the latest earlier question that named one.
        (
            "And what would that save in a year?",
            ["Cut spend?", "What about only the support bot?"],
            Intent.FOLLOW_UP,
            Scope("support-bot"),
        ),
        (
            "and what would that save in a year?",
            ["only gpt-4o", "what about the support bot?", "and the savings?"],
            Intent.FOLLOW_UP,
            Scope("support-bot"),
        ),
        ("And what would that save in a year?", [], Intent.SPEND, Scope()),
        ("What's the weather in Paris?", [], Intent.UNSUPPORTED, Scope()),
        ("write me a poem", ["Cut spend?"], Intent.UNSUPPORTED, Scope()),
        ("what about Paris?", ["Cut spend?"], Intent.UNSUPPORTED, Scope()),
    ],
)
def test_triage(question: str, history: list[str], intent: Intent, scope: Scope) -> None:
    result = triage(question, history=history, known_features=FEATURES, known_models=MODELS)
    assert (result.intent, result.scope) == (intent, scope), result.reason


def test_triage_narrows_to_nothing_when_two_features_are_named() -> None:
    question = "Compare the support bot and code review costs"
    result = triage(question, history=[], known_features=FEATURES, known_models=MODELS)
    assert (result.intent, result.scope) == (Intent.SPEND, Scope())


# --- report ---------------------------------------------------------------------------------


def test_report_states_spend_savings_models_and_features() -> None:
    text = write_report(analysed(SUPPORT_BOT, NIGHTLY_REPORT), "How can we cut our model spend?")
    assert text.startswith(
        "Over the last 30 days (2026-10-23 to 2026-11-21) your company spent $2,300.00 on AI"
        " models.\nBy model: gpt-4o $2,000.00, gpt-4o-mini $300.00.\n"
        "By feature: support-bot $2,000.00, nightly-report $300.00.\n"
    )
    assert "You could save about $2,147.90 a month:" in text
    assert (
        "- Move the support-bot feature from gpt-4o to gpt-4o-mini: about $1,997.90 a month "
        "(light workload: 800 input / 150 output tokens per request)."
    ) in text
    assert "- Send the nightly-report requests on gpt-4o-mini through the batch API" in text


@pytest.mark.parametrize(
    "question",
    ["And what would that save in a year?", "What could we save per year?", "annually?"],
)
def test_report_adds_the_yearly_savings_when_asked_about_a_year(question: str) -> None:
    text = write_report(analysed(SUPPORT_BOT, NIGHTLY_REPORT), question)
    # 12 x $2,147.90, the monthly figure as the report states it (rounded per saving).
    assert text.endswith("That is about $25,774.80 a year: 12 months at $2,147.90.\n")
    assert "a year" not in write_report(analysed(SUPPORT_BOT), "How can we cut our spend?")


def test_yearly_savings_are_twelve_rounded_months() -> None:
    # $0.01 on gpt-4o for 8,000 input tokens, $0.0012 on gpt-4o-mini: $0.0088 saved a month,
    # stated as $0.01 (half up); the year is 12 x $0.01, not $0.1056 rounded to $0.11.
    analysis = analysed(usage("support-bot", "gpt-4o", 800, 8_000, 0, "0.01"))
    assert analysis.monthly_savings_usd == Decimal("0.01")
    assert analysis.yearly_savings_usd == Decimal("0.12")


def test_report_names_its_scope() -> None:
    analysis = analysed(SUPPORT_BOT, NIGHTLY_REPORT, scope=Scope(feature="support-bot"))
    text = write_report(analysis, "what about only the support bot?")
    assert text.startswith("For the support-bot feature, over the last 30 days")
    assert "spent $2,000.00" in text and "save about $1,997.90 a month" in text
    assert "nightly-report" not in text


def test_report_without_usage_asks_for_some() -> None:
    text = write_report(analysed(), "How can we cut our model spend?")
    assert "no AI usage to analyse" in text
    assert "spent $0.00" in text and "save about $0.00 a month" in text
    assert "Upload your usage records" in text


def test_report_without_savings_says_so() -> None:
    heavy = usage("legal-review", "claude-opus-4", 100, 500_000, 20_000, "9.00")
    text = write_report(analysed(heavy), "Can we save?")
    assert "spent $9.00" in text and "claude-opus-4" in text and "legal-review" in text
    assert "I found no savings to suggest, so the estimated savings are $0.00 a month" in text


def test_report_says_which_models_it_has_no_prices_for() -> None:
    text = write_report(analysed(usage("chat", "mistral-large", 1, 1, 1, "3.00")), "Spend?")
    assert "I have no prices for mistral-large" in text


def test_refusal_says_what_the_assistant_can_do() -> None:
    text = polite_refusal("What's the weather in Paris?")
    assert text.startswith("Sorry, I can't help with that.")
    assert "AI spend" in text and "save" in text
    assert polite_refusal("Hello there").startswith("Hello!")


# --- pipeline -------------------------------------------------------------------------------


async def test_spend_question_runs_every_tool_and_answers_with_figures() -> None:
    steps = await run("How can we cut our model spend?", MemoryUsage(SUPPORT_BOT, NIGHTLY_REPORT))

    kinds = [
        (type(step).__name__, getattr(step, "tool", None))
        for step in steps
        if not isinstance(step, Answer)
    ]
    assert kinds == [
        ("Thinking", None),
        ("ToolStarted", "triage"),
        ("ToolFinished", "triage"),
        ("Thinking", None),
        ("ToolStarted", "usage_report"),
        ("ToolFinished", "usage_report"),
        ("ToolStarted", "savings_optimizer"),
        ("ToolFinished", "savings_optimizer"),
    ]
    assert_tools_paired(steps)
    summaries = [step.summary for step in steps if isinstance(step, ToolFinished)]
    assert summaries[1:] == [
        "2 records, $2,300.00 over 30 days",
        "2 opportunities, about $2,147.90 a month",
    ]
    answer = steps[-1]
    assert isinstance(answer, Answer) and answer.analysis is not None
    assert answer.analysis.monthly_savings_usd == Decimal("2147.90")
    assert "$2,300.00" in answer.text and "$2,147.90" in answer.text


async def test_follow_up_narrows_the_data_read() -> None:
    data = MemoryUsage(SUPPORT_BOT, NIGHTLY_REPORT)
    steps = await run("what about only the support bot?", data, history=["Cut our spend?"])
    started = [step for step in steps if isinstance(step, ToolStarted)]
    assert started[1].args == {
        "since": "2026-10-23",
        "until": "2026-11-21",
        "feature": "support-bot",
        "model": None,
    }
    answer = steps[-1]
    assert isinstance(answer, Answer) and answer.analysis is not None
    assert answer.analysis.total_spend_usd == Decimal("2000.00")


async def test_a_year_follow_up_keeps_the_scope_of_the_thread() -> None:
    data = MemoryUsage(SUPPORT_BOT, NIGHTLY_REPORT)
    question = "And what would that save in a year?"
    history = ["Cut our spend?", "What about only the support bot?"]
    steps = await run(question, data, history=history)
    answer = steps[-1]
    assert isinstance(answer, Answer) and answer.analysis is not None
    assert answer.analysis.scope == Scope("support-bot")
    assert "about $23,974.80 a year" in answer.text  # 12 x $1,997.90, the support bot's saving
    # Without the thread it is a question about the whole company: another figure.
    alone = (await run(question, data))[-1]
    assert isinstance(alone, Answer) and "about $25,774.80 a year" in alone.text


async def test_unsupported_question_still_thinks_and_uses_triage() -> None:
    steps = await run("What's the weather in Paris?", MemoryUsage(SUPPORT_BOT))
    assert [type(step) for step in steps] == [Thinking, ToolStarted, ToolFinished, Answer]
    assert_tools_paired(steps)
    answer = steps[-1]
    assert isinstance(answer, Answer) and answer.analysis is None
    assert answer.text == polite_refusal("What's the weather in Paris?")


async def test_no_usage_yet_still_completes_with_zero_figures() -> None:
    steps = await run("How can we cut our model spend?", MemoryUsage())
    assert_tools_paired(steps)
    answer = steps[-1]
    assert isinstance(answer, Answer) and answer.analysis is not None
    assert answer.analysis.total_spend_usd == 0 and answer.analysis.monthly_savings_usd == 0
    assert "Upload your usage records" in answer.text


@pytest.mark.parametrize(
    ("failing", "tool"), [("known_names", "triage"), ("records", "usage_report")]
)
async def test_failing_data_source_closes_its_tool_then_fails_the_run(
    failing: str, tool: str
) -> None:
    steps: list[AgentStep] = []
    with pytest.raises(ToolFailed) as failed:
        await run(
            "How can we cut our model spend?",
            MemoryUsage(SUPPORT_BOT, failing=failing),
            steps=steps,
        )
    assert failed.value.tool == tool
    assert_tools_paired(steps)
    last = steps[-1]
    assert isinstance(last, ToolFinished) and (last.tool, last.status) == (tool, "error")
