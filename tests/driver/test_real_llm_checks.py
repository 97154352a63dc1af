"""The `@real_llm` checks and the language-model client, proven against the simulated model
speaking the same OpenAI-compatible API (no real model can be fetched here): the service streams
the model's words into a real answer, the checks accept it, and they catch a figure the tools
never reported and words off the question. Plus the checks' own edges and how the suite is told
about a real model (fixtures/real_llm.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest

from driver.actors.abilities import CallTheApi, ChatOnDevices, ws_url_of
from driver.actors.actor import Actor
from driver.actors.interactions import HoldsOnlyTheAssistantsFigures, KeepsItsWordsOnAISpend, See
from driver.actors.questions import TheAnswer, TheAnswerText, answer_text
from driver.actors.tasks import Ask, Leave, LoadUsage, SignIn, SignUp
from driver.client.api import ChatApi
from driver.evidence.transcript import Transcript
from driver.oracle import held_prose
from fixtures.real_llm import RealModel, configured
from harness.llm_server import DEFAULT_TEXT, LlmServer
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

QUESTION = "How can we cut our model spend?"
# One feature on one model: every figure of a correct answer is one of the tools' totals.
USAGE = [
    {
        "day": (datetime.now(UTC).date() - timedelta(days=3)).isoformat(),
        "model": "gpt-4o",
        "feature": "support-bot",
        "requests": 400_000,
        "input_tokens": 320_000_000,
        "output_tokens": 60_000_000,
        "cost_usd": 1400.0,
    }
]
TOOL_EVENTS = [
    {"type": "tool_executing", "payload": {"tool": "usage_report", "args": {"since": "x"}}},
    {"type": "tool_completed", "payload": {"summary": "1 record, $1,400.00 over 30 days"}},
    {"type": "tool_completed", "payload": {"summary": "1 opportunity, about $1,316.00 a month"}},
]


# --- the checks -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("You spent $1,400.00 and could save $1,316", [("money", "1400"), ("money", "1316")]),
        ("about $1.3k a month", [("money", "1300")]),
        ("cut it by 40% or 12.5 percent", [("percent", "40"), ("percent", "12.5")]),
        ("some 1,400 dollars, or 90 USD", [("money", "1400"), ("money", "90")]),
        ("from 2026-10-01, 800 input / 150 output tokens per request", []),
    ],
)
def test_figures_are_read_as_a_reader_would(text: str, figures: list[tuple[str, str]]) -> None:
    assert [(f.kind, f.value) for f in held_prose.figures_in(text)] == [
        (kind, Decimal(value)) for kind, value in figures
    ]


def test_a_figure_is_held_only_when_a_tool_reported_it() -> None:
    held = "You spent $1,400 and could save about $1,316.00 a month."
    assert held_prose.unsupported_figures(held, TOOL_EVENTS) == []
    invented = "You could save $1,316.00, that is 94% of your $1,500.00 bill."
    assert [f.text for f in held_prose.unsupported_figures(invented, TOOL_EVENTS)] == [
        "94%",
        "$1,500.00",
    ]
    # A figure only the question or the answer itself states is no tool's.
    assert held_prose.unsupported_figures("$1,400.00", []) != []


def test_the_models_words_are_those_before_the_report() -> None:
    answer = "Here is where your budget goes.\nOver the last 30 days (a to b) you spent $1.00."
    assert held_prose.models_words(answer) == "Here is where your budget goes."
    assert held_prose.models_words("Over the last 30 days (a to b) ...") == ""
    assert held_prose.off_topic("Here is where your AI budget goes.") is None
    assert held_prose.off_topic("The weather in Lisbon is lovely.") is not None
    assert held_prose.off_topic("I'm sorry, but as an AI I cannot help with money.") is not None
    assert held_prose.off_topic("") is not None


# --- how the suite is told about a real model ------------------------------------------------
def test_a_real_model_is_configured_by_userdata_or_environment(tmp_path: Path) -> None:
    assert configured({}, {}) is None
    assert configured({"llm_url": "http://m/v1"}, {}) is None  # a model must be named too
    key = tmp_path / "key"
    key.write_text("sk-from-file\n")
    model = configured(
        {"llm_url": "http://m/v1/", "llm_model": "m1"},
        {"REAL_LLM_KEY_FILE": str(key), "REAL_LLM_STREAM": "true"},
    )
    assert model == RealModel("http://m/v1", "m1", "sk-from-file", stream=True)
    assert model.service_settings()["LLM_FALLBACK"] == "none"  # a failing model fails the run
    from_env = configured({}, {"REAL_LLM_URL": "http://e/v1", "REAL_LLM_MODEL": "e1"})
    assert from_env == RealModel("http://e/v1", "e1")


# --- the service's client against the simulated model, end to end -----------------------------
@pytest.fixture(scope="module")
def llm() -> Iterator[LlmServer]:
    with LlmServer() as server:
        yield server


@pytest.fixture(scope="module")
def stack(llm: LlmServer) -> Iterator[Stack]:
    # What fixtures/real_llm.py gives an instance, streaming: the simulated model stands in.
    model = RealModel(llm.base_url, "simulated-model", "sk-simulated", stream=True)
    with Stack(StackConfig.from_env(extra_env=model.service_settings())) as running:
        yield running


@pytest.fixture
async def alice(stack: Stack, llm: LlmServer) -> AsyncIterator[Actor]:
    llm.set_mode("answer")
    async with aiohttp.ClientSession() as session:
        api = ChatApi(stack.service_urls[0], session)
        person = Actor(
            "Alice",
            f"alice-{uuid.uuid4().hex[:8]}@example.com",
            "Alice has a long password",
            Transcript("real model checks"),
        ).who_can(CallTheApi(api), ChatOnDevices(ws_url_of(api.base_url)))
        await person.attempts_to(SignUp(), SignIn(), LoadUsage(USAGE))
        try:
            yield person
        finally:
            await person.attempts_to(Leave())


async def answered(alice: Actor) -> tuple[str, list[dict[str, object]]]:
    await alice.attempts_to(Ask(QUESTION))
    final = await alice.asks_for(TheAnswer(20))
    assert final.type == "agent_completed", final.describe()
    return answer_text(alice), [dict(event.frame) for event in alice.asked_last().events]


async def test_the_models_streamed_words_pass_the_checks(alice: Actor, llm: LlmServer) -> None:
    answer, events = await answered(alice)
    assert answer.splitlines()[0] == DEFAULT_TEXT
    assert llm.requests[-1].stream and llm.requests[-1].authorization == "Bearer sk-simulated"
    assert held_prose.unsupported_figures(answer, events) == []
    assert held_prose.figures_in(answer)  # the report's figures were there to check
    assert held_prose.off_topic(held_prose.models_words(answer)) is None
    # The same, as the @real_llm scenarios' Then steps check it.
    await alice.should(
        See(TheAnswerText(), HoldsOnlyTheAssistantsFigures()),
        See(TheAnswerText(), KeepsItsWordsOnAISpend()),
    )


async def test_a_figure_no_tool_reported_is_caught(alice: Actor, llm: LlmServer) -> None:
    llm.set_mode("answer", text="Good news: you could cut your model spend by 40% this month.")
    answer, events = await answered(alice)
    assert "40%" in answer  # through the client: its guard drops amounts, not percentages
    assert [f.text for f in held_prose.unsupported_figures(answer, events)] == ["40%"]
    with pytest.raises(AssertionError, match="figures the assistant never worked out: 40%"):
        await alice.should(See(TheAnswerText(), HoldsOnlyTheAssistantsFigures()))


async def test_words_off_the_question_are_caught(alice: Actor, llm: LlmServer) -> None:
    llm.set_mode("answer", text="The weather in Lisbon is lovely this week.")
    answer, _ = await answered(alice)
    assert held_prose.off_topic(held_prose.models_words(answer)) is not None
    with pytest.raises(AssertionError, match="never mentions AI, spend"):
        await alice.should(See(TheAnswerText(), KeepsItsWordsOnAISpend()))
