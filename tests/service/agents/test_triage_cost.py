"""Triage's name matching costs what the question costs, whatever the person uploaded.

It used to run one regular expression per uploaded name and compare every mention with every
other: names `a` and `as` and 8,000 characters of "as as as ..." held the event loop 1.2 s, and
20,000 names cost 2 s per question. Timings here are the fastest of a few calls (a call of a few
milliseconds that the shared machine's other work preempts takes ten times as long: seen as a
median at load 15), compared as ratios with generous bounds; the old code fails them by two orders
of magnitude.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from service.agents.triage import triage

# Every test here times calls (tests/README.md, "The fast run": timing tests run alone).
pytestmark = pytest.mark.timing

MANY_NAMES = frozenset(f"feature-{i}" for i in range(20_000)) | {"a", "as"}
FEW_NAMES = frozenset({"a", "as"})
MODELS = frozenset({"gpt-4o", "gpt-4o-mini"})
LONG = ("as " * 2_700)[:8_000]


def _fastest_s(work: Callable[[], object], runs: int = 5) -> float:
    work()  # the first call builds the index of these names
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def _asks(question: str, names: frozenset[str]) -> Callable[[], object]:
    # A fresh (equal) set each time, as each question reads the names from the database anew.
    return lambda: triage(
        question, history=[], known_features=frozenset(names), known_models=MODELS
    )


def test_a_long_question_over_twenty_thousand_names_takes_milliseconds() -> None:
    long_s = _fastest_s(_asks(LONG, MANY_NAMES))
    short_s = _fastest_s(_asks(LONG[:80], MANY_NAMES))  # the same words, a hundredth as many
    assert long_s < 0.2, f"an 8,000-character question took {long_s * 1000:.1f} ms"
    # Linear: 100 times the words cost about 100 times as much (quadratic was 10,000 times).
    assert long_s / short_s < 100 * 3, f"{long_s * 1e3:.2f} ms vs {short_s * 1e3:.3f} ms"


def test_the_cost_does_not_grow_with_the_number_of_names() -> None:
    one_name = frozenset({"as"})  # every word a mention of the one name: the longest walk
    many = one_name | {f"feature-{i}" for i in range(20_000)}
    few_s = _fastest_s(_asks(LONG, one_name))
    many_s = _fastest_s(_asks(LONG, many))
    assert many_s < 0.2, f"20,000 names: {many_s * 1000:.1f} ms for one question"
    assert many_s / few_s < 3, f"1 name: {few_s * 1e3:.2f} ms, 20,000: {many_s * 1e3:.2f} ms"


def test_doubling_the_question_about_doubles_the_cost() -> None:
    names = frozenset({"as", "support-bot"})
    half_s = _fastest_s(_asks(LONG[:4_000], names))
    whole_s = _fastest_s(_asks(LONG, names))
    assert whole_s / half_s < 4, f"4,000 chars: {half_s * 1e3:.2f} ms, 8,000: {whole_s * 1e3:.2f}"


def test_mentions_are_still_found_in_a_long_question() -> None:
    question = "as " * 1_000 + "what does the support bots cost?"
    names = MANY_NAMES - {"a", "as"} | {"support-bot"}
    result = triage(question, history=[], known_features=names, known_models=MODELS)
    assert result.scope.feature == "support-bot"
