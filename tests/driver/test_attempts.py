"""The checks of an attacker's attempts, without a service: what each says when it fails."""

from __future__ import annotations

from driver.actors.actor import Actor
from driver.actors.interactions import CutOffForFlooding, EachExplainedInTurn
from driver.actors.interactions.attempts import GARBLED_PROBLEM
from driver.actors.tasks import GARBLED
from driver.actors.tasks.attempts import Flood, garbled_in_a_row
from driver.client.contract import CloseCode, ErrorCode
from driver.client.models import ErrorFrame
from driver.evidence.transcript import Transcript
from driver.oracle import refusals

MALLORY = Actor("Mallory", "mallory@example.com", "a long password", Transcript("t"))


def _told(outcome: str, message: str = "what was wrong, in words") -> ErrorFrame:
    return ErrorFrame(refusals.REFUSALS[outcome].code, message, None, 0.0)


def test_every_garbled_message_has_what_is_wrong_with_it() -> None:
    assert set(GARBLED) == set(GARBLED_PROBLEM)
    assert set(GARBLED_PROBLEM.values()) <= set(refusals.BAD_MESSAGES)
    assert garbled_in_a_row(12)[10:] == garbled_in_a_row(2)  # round and round


def test_garbled_messages_explained_in_turn_pass_and_a_wrong_one_is_named() -> None:
    right = [_told(GARBLED_PROBLEM[name]) for name in garbled_in_a_row(11)]
    assert EachExplainedInTurn(11).problems(MALLORY, right) == []
    wrong = [*right[:3], _told("the request is of an unknown kind"), *right[4:10]]
    [problem] = EachExplainedInTurn(11).problems(MALLORY, wrong)
    assert problem.startswith("Mallory's garbled messages:")
    assert "10 explanations for 11 messages" in problem
    assert "message 3" not in problem
    assert "message 4 (a question without its reference): told the request is of an unknown" in (
        problem
    )
    silent = [*right[:10], _told(GARBLED_PROBLEM[garbled_in_a_row(11)[10]], " ")]
    assert "without a word of why" in EachExplainedInTurn(11).problems(MALLORY, silent)[0]


def test_a_flood_is_held_to_its_burst_its_refill_and_its_close() -> None:
    cut_off = CutOffForFlooding(burst=10, per_second=1, taken="questions accepted")
    assert cut_off.problems(MALLORY, Flood(500, 11, 3, CloseCode.RATE_LIMITED, 1.5)) == []
    [never_slowed, not_closed, too_many] = cut_off.problems(MALLORY, Flood(500, 40, 0, None, 2.5))
    assert never_slowed.startswith("Mallory was never told to slow down")
    assert not_closed.startswith("Mallory's chat (") and "was not closed" in not_closed
    assert too_many.startswith("Mallory got 40 questions accepted in a flood, 12 at most")
    [closed_oddly] = cut_off.problems(MALLORY, Flood(500, 10, 1, CloseCode.POLICY, 1.0))
    assert "closed because of breaking the rules, not because of flooding" in closed_oddly
    assert ErrorCode.RATE_LIMITED == refusals.REFUSALS["there were too many attempts"].code
