"""Questions per day on the real stack (issue 18, plans): only questions kept count. A question
refused as busy, or a resend of one already kept, is not one more question of the day; a resend
after the day's quota is reached still gets its duplicate ack; the next new one is told which
quota it reached and when it resets.

The service runs in this process against the stack's PostgreSQL and Redis, so that a test can
take the only run slot the way a long answer would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import websockets.asyncio.client
from aiohttp.test_utils import TestServer

from harness.stack import Stack, StackConfig
from service.app import create_app
from service.keys import RUNS
from service.settings import Settings
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

SETTINGS = {
    "RUNS_IN_FLIGHT": "1",
    "RUNS_QUEUED": "0",
    "PLAN_QUOTAS": "free.questions_per_day=2",
}


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=0)) as running:
        yield running


@pytest.fixture
async def server(stack: Stack) -> AsyncIterator[TestServer]:
    app = create_app(Settings.from_env(stack.service_settings(SETTINGS)))
    async with TestServer(app, host="127.0.0.1") as running:
        yield running


async def _answer_to(chat: Any, frame: dict[str, Any], *, final: bool) -> dict[str, Any]:
    """Send; the ack or error that answers it (and, with `final`, wait out its run)."""
    await chat.send(json.dumps(frame))
    reply: dict[str, Any] | None = None
    async with asyncio.timeout(15):
        while True:
            got = json.loads(await chat.recv())
            if got.get("type") in ("ack", "error") and reply is None:
                reply = got
                if not final or got["type"] == "error" or got.get("duplicate"):
                    return reply
            if got.get("final"):
                return reply or got


async def test_only_questions_kept_count_against_the_day(server: TestServer) -> None:
    url = str(server.make_url("")).rstrip("/")
    _, token = await sign_up(url)
    admission = server.app[RUNS].admission
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        first = send_frame()
        assert (await _answer_to(chat, first, final=True))["type"] == "ack"

        # The only slot is taken and nobody may wait: refused as busy, nothing kept.
        blocker = admission.enter("someone else")
        try:
            for _ in range(3):
                busy = await _answer_to(chat, send_frame(), final=False)
                assert busy["error"] == "busy", busy
        finally:
            admission.release(blocker)
        resent = await _answer_to(chat, first, final=False)
        assert resent["type"] == "ack" and resent["duplicate"], resent

        second = send_frame()
        assert (await _answer_to(chat, second, final=True))["type"] == "ack"
        again = await _answer_to(chat, second, final=False)
        assert again["type"] == "ack" and again["duplicate"], again

        over = await _answer_to(chat, send_frame(), final=False)
        assert over["error"] == "quota_reached", over
        assert over["ref"] and 0 < over["retry_after"] <= 24 * 3600
        assert "all 2 questions your Free plan allows today" in over["message"]
