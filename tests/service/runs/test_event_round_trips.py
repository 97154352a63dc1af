"""A run's steps that follow one another at once are stored together (issue 19): one statement,
one round trip, for a thought and the tool call it announces. Under a crowd each round trip is
a wait for every run, so an answer of ten events now takes six writes, not ten.

Seen in PostgreSQL itself: rows written by one statement share its transaction id (`xmin`).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
import websockets.asyncio.client

from harness.stack import Stack, StackConfig
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

# agent_started | thinking, triage | triage done, plan, usage_report | its result,
# savings_optimizer | its result | agent_completed
WRITES = [[1], [2, 3], [4, 5, 6], [7, 8], [9], [10]]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env()) as running:
        yield running


async def _answered_run(url: str, token: str) -> uuid.UUID:
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        await chat.send(json.dumps(send_frame()))
        async with asyncio.timeout(15):
            while not (frame := json.loads(await chat.recv())).get("final"):
                pass
    assert frame["type"] == "agent_completed", frame
    return uuid.UUID(frame["run_id"])


async def test_steps_that_follow_at_once_share_a_write(stack: Stack) -> None:
    _, token = await sign_up(stack.service_urls[0])
    run_id = await _answered_run(stack.service_urls[0], token)
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch(
            "SELECT seq, xmin::text AS tx FROM run_events WHERE run_id = $1 ORDER BY seq", run_id
        )
    finally:
        await conn.close()
    writes: dict[str, list[int]] = {}
    for row in rows:
        writes.setdefault(row["tx"], []).append(row["seq"])
    assert sorted(writes.values()) == WRITES


# The event that tells each stage's result (its tool_completed), by stage; then the answer's.
TOLD_BY = {"triage": 4, "data": 7, "optimization": 9}
ANSWERED_BY = 10


async def test_stage_results_and_the_answer_go_in_the_statement_of_the_event_telling_them(
    stack: Stack,
) -> None:
    # A stage's result used to be a statement of its own before its tool_completed, and the
    # answer one before its agent_completed: four round trips in turn per question, now none.
    _, token = await sign_up(stack.service_urls[0])
    run_id = await _answered_run(stack.service_urls[0], token)
    conn = await asyncpg.connect(stack.database_url)
    try:
        events = await conn.fetch(
            "SELECT seq, xmin::text AS tx FROM run_events WHERE run_id = $1", run_id
        )
        stages = await conn.fetch(
            "SELECT stage, xmin::text AS tx FROM run_stages WHERE run_id = $1", run_id
        )
        answer = await conn.fetchval(
            "SELECT xmin::text FROM messages WHERE run_id = $1 AND role = 'assistant'", run_id
        )
    finally:
        await conn.close()
    tx_of = {row["seq"]: row["tx"] for row in events}
    assert {row["stage"]: row["tx"] for row in stages} == {
        stage: tx_of[seq] for stage, seq in TOLD_BY.items()
    }
    assert answer == tx_of[ANSWERED_BY]
