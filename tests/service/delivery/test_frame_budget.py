"""What one socket's frames may cost an instance (issue 18, finding 4).

- On a real instance: every frame, of any kind, spends the socket's frame budget; a flood of
  pings or of catch-ups is told to slow down once the burst is spent, then closed with 4429.
  A ping larger than a ping can be is refused, and the chat goes on.
- The parser: frames longer than their kind, or too rich in keys and values, are refused
  before the strict parser runs (a spy on it counts the calls)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import websockets.asyncio.client

from harness.stack import Stack, StackConfig
from service.delivery.chat import frames
from service.delivery.chat.frames import (
    MAX_CHARS,
    MAX_RESUME_RUNS,
    PingFrame,
    ResumeFrame,
    SendFrame,
    parse_frame,
)
from service.delivery.chat.socket_limits import FRAME_BURST, REFUSALS_BEFORE_CLOSE
from service.errors import FrameError
from tests.chat_clients import CLIENTS, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

FLOOD = 200


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env()) as running:
        yield running


def catch_up(runs: int = 1) -> dict[str, Any]:
    return {
        "type": "resume",
        "runs": [{"run_id": str(uuid.uuid4()), "last_seq": 0} for _ in range(runs)],
    }


@pytest.mark.parametrize(
    "frame",
    [{"type": "ping"}, catch_up()],
    ids=["pings", "catch-ups"],
)
@pytest.mark.timing
async def test_a_flood_of_any_kind_is_slowed_down_then_cut_off(
    stack: Stack, frame: dict[str, Any]
) -> None:
    _, token = await sign_up(stack.service_urls[0])
    async with CLIENTS["websockets"](stack.service_urls[0], token) as chat:
        for _ in range(FLOOD):
            await chat.send(frame)
        code, _ = await chat.read_until_closed(within_s=15)
    kinds = [f.get("error", f["type"]) for f in chat.frames]
    first_refusal = kinds.index("rate_limited") if "rate_limited" in kinds else len(kinds)
    # The burst, and what trickled back in while the flood was read (10 a second).
    assert first_refusal <= FRAME_BURST + 10, f"answered {first_refusal} frames before refusing"
    refusals = [f for f in chat.frames if f.get("error") == "rate_limited"]
    assert len(refusals) == REFUSALS_BEFORE_CLOSE + 1, kinds
    assert all(f["retry_after"] >= 1 and "wait" in f["message"] for f in refusals), refusals
    assert code == 4429, f"closed with {code} after {kinds}"


async def test_an_oversized_ping_is_refused_and_the_chat_goes_on(stack: Stack) -> None:
    _, token = await sign_up(stack.service_urls[0])
    async with websockets.asyncio.client.connect(
        ws_url(stack.service_urls[0]),
        additional_headers={"Authorization": f"Bearer {token}"},
        proxy=None,
    ) as chat:
        await chat.send(json.dumps({"type": "ping", "pad": "x" * MAX_CHARS["ping"]}))
        await chat.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(5):
            answers = [json.loads(await chat.recv()) for _ in range(2)]
    assert answers[0]["error"] == "invalid_frame", answers
    assert answers[1] == {"type": "pong"}, answers


# --- the parser ---------------------------------------------------------------------------------


@pytest.fixture
def strict_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every frame the strict parser was run on (the real parser, counted)."""
    calls: list[str] = []
    real = frames.loads_strict

    def counted(raw: str | bytes) -> Any:
        calls.append(str(raw))
        return real(raw)

    monkeypatch.setattr(frames, "loads_strict", counted)
    return calls


def refusal(raw: str) -> str:
    with pytest.raises(FrameError) as refused:
        parse_frame(raw)
    return refused.value.code


def test_a_ping_longer_than_a_ping_can_be_is_refused_unparsed(strict_parses: list[str]) -> None:
    assert refusal(json.dumps({"type": "ping", "pad": "x" * 64_000})) == "invalid_frame"
    # A frame naming two kinds is held to the smaller: a large frame cannot pass as a question.
    two = '{"type":"send","type":"ping","pad":"' + "x" * 1000 + '"}'
    assert refusal(two) == "invalid_frame"
    assert strict_parses == []


def test_a_catch_up_longer_than_fifty_runs_can_be_is_refused_unparsed(
    strict_parses: list[str],
) -> None:
    padded = catch_up(1) | {"pad": "x" * MAX_CHARS["resume"]}
    assert refusal(json.dumps(padded)) == "invalid_frame"
    assert strict_parses == []


@pytest.mark.parametrize(
    "raw",
    [
        '{"type":"send","pad":[' + ",".join(["1"] * 30_000) + "]}",
        '{"type":"send","pad":[' + ",".join(["{}"] * 20_000) + "]}",
        '{"type":"unknown","pad":{' + ",".join(f'"{i}":0' for i in range(5000)) + "}}",
        '{"type":"send","pad":[' + ",".join(['""'] * 20_000) + "]}",
        "[" * 60_000,
    ],
    ids=["numbers", "objects", "keys", "strings", "nesting"],
)
def test_a_frame_too_rich_to_parse_cheaply_is_refused_unparsed(
    strict_parses: list[str], raw: str
) -> None:
    assert refusal(raw) == "invalid_json"
    assert strict_parses == []


def test_the_largest_frames_of_each_kind_are_still_parsed(strict_parses: list[str]) -> None:
    resume = json.dumps(catch_up(MAX_RESUME_RUNS), indent=2)
    assert isinstance(parse_frame(resume), ResumeFrame)
    assert len(resume) <= MAX_CHARS["resume"]
    # A question full of commas, colons and brackets: they are words, not structure.
    text = "model,cost:[gpt-4o]{42}; " * 320
    question = {"type": "send", "client_msg_id": str(uuid.uuid4()), "text": text[:8000]}
    assert isinstance(parse_frame(json.dumps(question)), SendFrame)
    assert isinstance(parse_frame('{"type": "ping", "sent_at": 1700000000000}'), PingFrame)
    assert len(strict_parses) == 3
