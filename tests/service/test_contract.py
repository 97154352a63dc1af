"""The service's contract vocabulary (service/contract.py) is the wire's: the enums serialise as
the plain codes clients have always received. And the three copies of it (the service's, the
driver's and the load tool's) name the same values with the same names: only tests import more
than one of them."""

from __future__ import annotations

import json
from enum import Enum

import pytest

import driver.client.contract
import load.contract
import service.contract
from service.contract import CloseCode, ErrorCode, RunError
from service.errors import Busy, Forbidden, InvalidJson, QuotaReached, TooManyChats


def test_codes_serialise_as_their_plain_values() -> None:
    frame = {"type": "error", "error": ErrorCode.BUSY, "retry_after": 1}
    assert json.dumps(frame) == '{"type": "error", "error": "busy", "retry_after": 1}'
    assert json.dumps({"error": RunError.TOOL_FAILED}) == '{"error": "tool_failed"}'
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


def members(vocabulary: type[Enum]) -> dict[str, object]:
    return {member.name: member.value for member in vocabulary}


VOCABULARIES = ["EventType", "ControlType", "ClientType", "ErrorCode", "RunError", "CloseCode"]


@pytest.mark.parametrize("name", VOCABULARIES)
def test_the_service_and_the_driver_name_the_same_values_alike(name: str) -> None:
    service_side = members(getattr(service.contract, name))
    driver_side = members(getattr(driver.client.contract, name))
    if name == "CloseCode":
        # Codes a client sees when the connection vanishes: received, never sent.
        for code in driver.client.contract.TRANSPORT_CLOSE_CODES:
            driver_side.pop(code.name)
    assert service_side == driver_side


@pytest.mark.parametrize("name", VOCABULARIES)
def test_the_load_tool_names_what_it_speaks_as_the_driver_does(name: str) -> None:
    if not hasattr(load.contract, name):
        pytest.skip(f"the load tool names no {name}")
    driver_side = members(getattr(driver.client.contract, name))
    load_side = members(getattr(load.contract, name))
    if name in ("EventType", "ControlType", "ClientType"):
        assert load_side == driver_side  # every frame and event the load tool may meet
    else:
        assert load_side.items() <= driver_side.items()  # only the codes it acts on


def test_every_control_frame_keeps_its_key_order() -> None:
    refusal = service.contract.error_frame(ErrorCode.RATE_LIMITED, "wait", ref="q", retry_after=2)
    assert json.dumps(refusal) == (
        '{"type": "error", "error": "rate_limited", "message": "wait", "ref": "q", '
        '"retry_after": 2}'
    )
    resumed = service.contract.control_frame(
        service.contract.ControlType.RESUMED, {"run_id": "r", "from": 3, "to": 5}
    )
    assert json.dumps(resumed) == '{"type": "resumed", "run_id": "r", "from": 3, "to": 5}'
