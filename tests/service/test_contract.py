"""The service's contract vocabulary (service/contract.py) is the wire's: the enums serialise as
the plain codes clients have always received."""

from __future__ import annotations

import json

from service.contract import AgentErrorCode, CloseCode, ErrorCode
from service.errors import Busy, Forbidden, InvalidJson, QuotaReached, TooManyChats


def test_codes_serialise_as_their_plain_values() -> None:
    frame = {"type": "error", "error": ErrorCode.BUSY, "retry_after": 1}
    assert json.dumps(frame) == '{"type": "error", "error": "busy", "retry_after": 1}'
    assert json.dumps({"error": AgentErrorCode.TOOL_FAILED}) == '{"error": "tool_failed"}'
    assert json.dumps({"code": CloseCode.TOO_SLOW}) == '{"code": 4409}'
    assert f"{ErrorCode.RATE_LIMITED}" == "rate_limited"


def test_each_error_says_its_code_and_status() -> None:
    assert Busy("full", retry_after=2).body() == {
        "error": "busy",
        "message": "full",
        "retry_after": 2,
    }
    assert (TooManyChats("x").status, TooManyChats("x").code) == (429, "too_many_chats")
    assert (QuotaReached("x").status, QuotaReached("x").code) == (429, "quota_reached")
    assert (Forbidden("x").status, Forbidden("x").code) == (403, "forbidden")
    assert (InvalidJson("x", "ref").code, InvalidJson("x", "ref").ref) == ("invalid_json", "ref")


def test_the_close_codes_are_the_contracts() -> None:
    assert {c.value for c in CloseCode} == {1000, 1001, 1008, 1009, 1011, 1013, 4401, 4409, 4429}
