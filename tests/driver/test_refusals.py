"""The driver's table from business outcomes to the contract's answers (oracle/refusals.py)."""

from __future__ import annotations

import pytest

from driver.client.contract import CLOSE_CODES, CloseCode, ErrorCode
from driver.client.errors import ApiError, FrameRefused, HandshakeRefused
from driver.client.models import ErrorFrame
from driver.oracle import refusals


def test_each_outcome_is_told_back_in_its_own_words_or_a_synonym() -> None:
    for outcome, said in refusals.REFUSALS.items():
        answer = (
            FrameRefused(said.code, "")
            if said.status is None
            else ApiError(said.status, said.code, "")
        )
        told = refusals.reason(answer)
        assert refusals.REFUSALS[told] == said, f"{outcome} is told back as {told}"


def test_an_expired_pass_is_not_taken_for_a_forged_one() -> None:
    forged = HandshakeRefused(401, ErrorCode.INVALID_TOKEN, "the pass is not valid")
    refusals.expect_refused(forged, "no pass was shown", who="Mallory")
    with pytest.raises(AssertionError) as failure:
        refusals.expect_refused(forged, "the pass has expired", who="Mallory")
    assert str(failure.value).startswith(
        "Mallory was refused because the pass is not valid, not because the pass has expired"
    )


def test_being_let_in_fails_in_business_words() -> None:
    with pytest.raises(AssertionError, match="Alice was not refused, although the page is not"):
        refusals.expect_refused(None, "the page is not ours", who="Alice")


def test_the_status_must_agree_when_there_is_one() -> None:
    with pytest.raises(AssertionError, match="not because there is no such conversation"):
        refusals.expect_refused(
            ApiError(403, ErrorCode.NOT_FOUND, ""), "there is no such conversation", who="Mallory"
        )
    # An error frame on an open chat has no status: the code alone decides.
    frame = ErrorFrame(ErrorCode.NOT_FOUND, "no such run", None, 0.0)
    refusals.expect_refused(frame, "there is no such conversation", who="Mallory")
    refusals.expect_refused("not_found", "there is no such conversation", who="Mallory")


def test_every_refusal_must_agree() -> None:
    good = ApiError(401, ErrorCode.INVALID_TOKEN, "")
    refusals.expect_all_refused([good, good], "the pass is not valid", who="Mallory")
    with pytest.raises(AssertionError, match="not always refused"):
        refusals.expect_all_refused(
            [good, ApiError(500, "http_500", "")], "no pass was shown", who="M"
        )
    with pytest.raises(AssertionError, match="never asked"):
        refusals.expect_all_refused([], "no pass was shown", who="M")


def test_closes_speak_business() -> None:
    assert set(refusals.CLOSES.values()) <= set(CLOSE_CODES)
    refusals.expect_closed(4401, "the pass ended", who="Alice's laptop")
    with pytest.raises(AssertionError, match="closed because the server is going away, not"):
        refusals.expect_closed(CloseCode.GOING_AWAY, "the pass ended", who="Alice's laptop")
    with pytest.raises(AssertionError, match="was not closed"):
        refusals.expect_closed(None, "of flooding", who="Mallory's chat")
