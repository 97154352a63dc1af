"""The load gate's judgement (load/promises.py, load/verdict.py): one place holds the promises,
each promised figure is one check, and any miss fails the run."""

from __future__ import annotations

from pathlib import Path

import pytest

from load.promises import PROMISES, promise_for
from load.verdict import Measured, Verdict, judge

HUNDRED, THOUSAND = promise_for(100), promise_for(1000)


def kept_by(promise_crowd: int = 100, **figures: object) -> Measured:
    """A run that keeps the promise for `promise_crowd`, but for `figures`."""
    promise = promise_for(promise_crowd)
    base: dict[str, object] = {
        "first_progress_p99_s": promise.first_progress_p99_s,
        "answer_p99_s": promise.answer_p99_s,
        "longest_silence_s": promise.longest_silence_s,
        "chat_open_p99_s": promise.chat_open_p99_s,
        "fates": {"answered": 100},
    }
    return Measured(**{**base, **figures})  # type: ignore[arg-type]


def test_each_crowd_is_held_to_the_promise_of_the_smallest_crowd_at_least_as_large() -> None:
    assert [p.crowd for p in PROMISES] == sorted(p.crowd for p in PROMISES)
    assert promise_for(1) is promise_for(100) is HUNDRED
    assert promise_for(101) is promise_for(1000) is THOUSAND
    assert promise_for(10_000) is THOUSAND  # beyond the largest crowd listed: the largest's
    assert (HUNDRED.first_progress_p99_s, HUNDRED.answer_p99_s) == (0.1, 0.5)
    assert (THOUSAND.first_progress_p99_s, THOUSAND.answer_p99_s) == (1.0, 3.0)
    assert THOUSAND.longest_silence_s == 1.0
    with pytest.raises(ValueError):
        promise_for(0)


def test_a_run_exactly_at_every_bound_keeps_the_promise() -> None:
    verdict = judge(HUNDRED, kept_by())
    assert verdict.kept, verdict.table()
    assert verdict.summary == "promises: all 5 kept (the promise for 100 people asking at once)"


@pytest.mark.parametrize(
    ("figures", "missed"),
    [
        ({"first_progress_p99_s": 0.161}, "first progress p99 161 ms, promised <= 100 ms"),
        ({"answer_p99_s": 0.656}, "answer p99 656 ms, promised <= 500 ms"),
        ({"longest_silence_s": 1.001}, "longest silence 1,001 ms, promised <= 1,000 ms"),
        ({"chat_open_p99_s": 2.5}, "chat open p99 2,500 ms, promised <= 2,000 ms"),
        ({"answer_p99_s": None}, "answer p99 no sample, promised <= 500 ms"),
        ({"fates": {"answered": 99, "refused: busy": 1}}, "nothing lost 1 of 100 unanswered"),
        ({"fates": {}}, "nothing lost 0 of 0 unanswered"),
        ({"failing": {"contract: seq 3 after 1": 2}}, "nothing lost 2 contract: seq 3 after 1"),
    ],
)
def test_each_missed_figure_fails_the_run_and_is_named(
    figures: dict[str, object], missed: str
) -> None:
    verdict = judge(HUNDRED, kept_by(**figures))
    assert not verdict.kept
    assert verdict.summary.startswith("promises: 1 of 5 MISSED"), verdict.summary
    assert missed in verdict.summary
    assert "MISSED" in verdict.table()


def test_the_same_run_keeps_the_larger_crowds_promise_and_misses_the_smaller_ones() -> None:
    run = kept_by(1000, first_progress_p99_s=0.9, answer_p99_s=2.5)
    assert judge(THOUSAND, run).kept
    assert not judge(HUNDRED, run).kept


def test_the_verdict_travels_through_its_file(tmp_path: Path) -> None:
    verdict = judge(HUNDRED, kept_by(first_progress_p99_s=0.2))
    verdict.write(tmp_path / "promises.json")
    again = Verdict.read(tmp_path / "promises.json")
    assert again == verdict and not again.kept
