"""While questions are arriving, the runs already started hold their further steps until every
arriving question has had its first progress (issue 19: first progress p99 <= 100 ms at 100 at
once), on the real stack.

An arrival is held in flight for certain: Bob's follow-up waits for its conversation, which the
test keeps locked in PostgreSQL. Alice asks meanwhile: her agent_started comes, then nothing
until Bob's question is stored and told it started; then her answer follows at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import pytest
import websockets.asyncio.client

from driver.client.eventually import eventually
from harness.stack import Stack, StackConfig
from service.runs.heartbeat import STILL_WORKING
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

# Far longer than the test's wait: the hold ends when Bob's first progress is out, not by time.
HOLD_S = 20
QUIET_S = 1.0  # how long Alice's run is seen holding


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    config = StackConfig.from_env(extra_env={"FIRST_PROGRESS_HOLD_SECONDS": str(HOLD_S)})
    with Stack(config) as running:
        yield running


def _chat(url: str, token: str) -> websockets.asyncio.client.connect:
    return websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    )


async def _next_event(chat: websockets.asyncio.client.ClientConnection) -> dict[str, Any]:
    """The next run event (acks and other control frames skipped), with when it came."""
    while "seq" not in (frame := json.loads(await chat.recv())):
        pass
    frame["received_at"] = time.monotonic()
    return frame


async def _events_for(
    chat: websockets.asyncio.client.ClientConnection, seconds: float
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                events.append(await _next_event(chat))
    return events


async def _waiting_for_a_lock(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        waiting = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        )
    finally:
        await connection.close()
    assert waiting == 1, f"{waiting} statements waiting for a lock"


async def test_a_started_run_waits_for_the_first_progress_of_a_question_arriving(
    stack: Stack,
) -> None:
    url = stack.service_urls[0]
    (_, alice), (_, bob) = await sign_up(url), await sign_up(url)
    async with _chat(url, bob) as bobs, _chat(url, alice) as alices:
        await bobs.send(json.dumps(send_frame()))
        async with asyncio.timeout(15):
            while not (event := await _next_event(bobs))["final"]:
                pass
        thread_id = event["thread_id"]
        database = await asyncpg.connect(stack.database_url)
        try:
            lock = database.transaction()
            await lock.start()
            await database.execute(
                "SELECT 1 FROM threads WHERE id = $1 FOR UPDATE", uuid.UUID(thread_id)
            )
            await bobs.send(json.dumps({**send_frame("And now?"), "thread_id": thread_id}))
            await eventually(
                lambda: _waiting_for_a_lock(stack.database_url),
                timeout=10,
                describe="Bob's question waiting for its conversation",
            )
            await alices.send(json.dumps(send_frame()))
            async with asyncio.timeout(10):
                started = await _next_event(alices)
            assert started["type"] == "agent_started", started
            # Held while Bob's question is arriving: nothing but the heartbeat's word.
            meanwhile = await _events_for(alices, QUIET_S)
            steps = [e for e in meanwhile if e.get("payload", {}).get("text") != STILL_WORKING]
            assert not steps, f"Alice's run went on while Bob's question arrived: {steps}"
            released_at = time.monotonic()
            await lock.commit()
        finally:
            await database.close()
        async with asyncio.timeout(10):
            bobs_start = await _next_event(bobs)
            while not (alices_last := await _next_event(alices))["final"]:
                pass
    assert bobs_start["type"] == "agent_started", bobs_start
    assert alices_last["type"] == "agent_completed", alices_last
    # Not held to the bound: the hold ended with Bob's first progress.
    assert alices_last["received_at"] - released_at < HOLD_S / 4
