"""The OpenAI-compatible provider against the simulated LLM server (real HTTP, no mocks): the
model only writes the intro, the figures stay the optimizer's, failures fall back or fail clearly
within the budget, and retries are bounded."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from harness.llm_server import DEFAULT_TEXT, LlmServer
from service.agents.llm import LlmReasoner, LlmUnavailable, reasoner_for
from service.agents.llm_settings import LlmSettings
from service.agents.model import Analysis, Scope
from service.agents.reasoner import DeterministicReasoner
from service.settings import SettingsError

ANALYSIS = Analysis(
    period_start=date(2026, 10, 1),
    period_end=date(2026, 10, 30),
    scope=Scope(),
    total_spend_usd=Decimal("3785.00"),
    spend_by_model={"gpt-4o": Decimal("1535.00"), "claude-opus-4": Decimal("2250.00")},
    spend_by_feature={"support-bot": Decimal("1400.00")},
    savings=(),
    monthly_savings_usd=Decimal("0"),
)
QUESTION = "How can we cut our model spend?"


@pytest.fixture(scope="module")
def llm() -> Iterator[LlmServer]:
    with LlmServer() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(llm: LlmServer) -> None:
    llm.set_mode("answer")
    llm.forget_requests()


def provider(llm: LlmServer, **overrides: object) -> LlmReasoner:
    settings = {
        "base_url": llm.base_url,
        "model": "simulated-model",
        "api_key": "sk-test",
        "timeout_s": 0.25,
        "retries": 2,
        **overrides,
    }
    budget = float(settings.pop("budget_s", 5.0))  # type: ignore[arg-type]
    return LlmReasoner(LlmSettings(**settings), budget_s=budget)  # type: ignore[arg-type]


async def plain_report() -> str:
    return await DeterministicReasoner().write_report(ANALYSIS, QUESTION)


async def test_the_model_writes_the_intro_and_the_figures_stay_computed(llm: LlmServer) -> None:
    reasoner = provider(llm)
    try:
        answer = await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()
    assert answer == f"{DEFAULT_TEXT}\n{await plain_report()}"
    [request] = llm.requests
    assert request.model == "simulated-model"
    assert request.authorization == "Bearer sk-test"
    assert "$3,785.00" in request.messages[-1]["content"]  # it sees the figures it must not state


@pytest.mark.parametrize("stream", [False, True])
async def test_a_streamed_answer_is_put_together(llm: LlmServer, stream: bool) -> None:
    llm.set_mode("stream")
    reasoner = provider(llm, stream=stream)
    try:
        answer = await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()
    assert answer.splitlines()[0] == DEFAULT_TEXT


async def test_a_model_that_declines_leaves_the_plain_report(llm: LlmServer) -> None:
    llm.set_mode("decline")  # `content: null` and a `refusal`: no intro, not the word "None"
    reasoner = provider(llm)
    try:
        assert await reasoner.write_report(ANALYSIS, QUESTION) == await plain_report()
    finally:
        await reasoner.aclose()
    assert len(llm.requests) == 1  # an answer, not a failure to retry


async def test_an_intro_stating_amounts_is_dropped(llm: LlmServer) -> None:
    llm.set_mode("answer", text="You could save $9,999.00 a month!")
    reasoner = provider(llm)
    try:
        assert await reasoner.write_report(ANALYSIS, QUESTION) == await plain_report()
    finally:
        await reasoner.aclose()


@pytest.mark.parametrize(
    ("mode", "options"),
    [
        ("error", {"status": 503}),
        ("garbage", {}),
        ("hang", {}),
        ("slow", {"delay_s": 2.0}),
    ],
)
async def test_failures_fall_back_after_bounded_retries(
    llm: LlmServer, mode: str, options: dict[str, float]
) -> None:
    llm.set_mode(mode, **options)  # type: ignore[arg-type]
    reasoner = provider(llm)
    began = time.monotonic()
    try:
        answer = await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()
    took = time.monotonic() - began
    assert answer == await plain_report()
    assert len(llm.requests) == 3  # the first attempt and two retries, no more
    assert took < 3 * 0.25 + 0.2 + 0.4 + 0.5, took  # timeouts plus backoff, nothing unbounded


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.mark.parametrize(
    ("mode", "options", "outcome"),
    [
        ("answer", {}, "ok"),
        ("error", {"status": 503}, "server_error"),
        ("error", {"status": 429}, "rate_limited"),
        ("error", {"status": 401}, "client_error"),
        ("garbage", {}, "unreadable"),
        ("hang", {}, "timeout"),
    ],
)
async def test_every_attempt_and_fallback_is_counted_for_operators(
    llm: LlmServer, mode: str, options: dict[str, float], outcome: str
) -> None:
    llm.set_mode(mode, **options)  # type: ignore[arg-type]
    attempts_before = counted("chat_llm_attempts_total", outcome=outcome)
    fallbacks_before = counted("chat_llm_fallbacks_total", reason="unavailable")
    reasoner = provider(llm)
    try:
        await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()
    attempts = counted("chat_llm_attempts_total", outcome=outcome) - attempts_before
    assert attempts == len(llm.requests)
    fell_back = counted("chat_llm_fallbacks_total", reason="unavailable") - fallbacks_before
    assert fell_back == (0 if outcome == "ok" else 1)


async def test_an_unusable_sentence_is_counted_as_a_fallback(llm: LlmServer) -> None:
    llm.set_mode("answer", text="You could save $9,999.00 a month!")
    before = counted("chat_llm_fallbacks_total", reason="unusable_answer")
    reasoner = provider(llm)
    try:
        await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()
    assert counted("chat_llm_fallbacks_total", reason="unusable_answer") - before == 1


async def test_an_unreachable_model_is_counted_as_a_connection_error(llm: LlmServer) -> None:
    before = counted("chat_llm_attempts_total", outcome="connection_error")
    reasoner = provider(llm, base_url="http://127.0.0.1:9/v1", retries=0)
    try:
        await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()
    assert counted("chat_llm_attempts_total", outcome="connection_error") - before == 1


async def test_a_client_error_is_not_retried(llm: LlmServer) -> None:
    llm.set_mode("error", status=401)
    reasoner = provider(llm)
    try:
        assert await reasoner.write_report(ANALYSIS, QUESTION) == await plain_report()
    finally:
        await reasoner.aclose()
    assert len(llm.requests) == 1


async def test_the_budget_caps_every_attempt(llm: LlmServer) -> None:
    llm.set_mode("hang")
    reasoner = provider(llm, timeout_s=10.0, budget_s=1.0)
    began = time.monotonic()
    try:
        await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()
    assert time.monotonic() - began < 1.3


async def test_without_fallback_the_failure_is_reported(llm: LlmServer) -> None:
    llm.set_mode("error", status=500)
    reasoner = provider(llm, fallback=False)
    try:
        with pytest.raises(LlmUnavailable, match="language model"):
            await reasoner.write_report(ANALYSIS, QUESTION)
    finally:
        await reasoner.aclose()


async def test_an_unreachable_model_falls_back(llm: LlmServer) -> None:
    reasoner = provider(llm, base_url="http://127.0.0.1:9/v1")
    try:
        assert await reasoner.write_report(ANALYSIS, QUESTION) == await plain_report()
    finally:
        await reasoner.aclose()


async def test_settings_and_the_default_reasoner() -> None:
    settings = LlmSettings.from_env(
        {"LLM_BASE_URL": "http://127.0.0.1:1/v1/", "LLM_FALLBACK": "none", "LLM_RETRIES": "0"}
    )
    assert (settings.base_url, settings.fallback, settings.retries) == (
        "http://127.0.0.1:1/v1",
        False,
        0,
    )
    with pytest.raises(SettingsError):
        LlmSettings.from_env({"LLM_BASE_URL": "file:///etc/passwd"})
    with pytest.raises(SettingsError):
        LlmSettings.from_env({"LLM_FALLBACK": "maybe"})
    async with reasoner_for(LlmSettings(), run_deadline_s=30) as reasoner:
        assert isinstance(reasoner, DeterministicReasoner)
