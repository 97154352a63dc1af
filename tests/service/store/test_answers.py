"""A crowd's answers are committed together (issue 19), each with its own run, thread and events,
on a real PostgreSQL: a run ended elsewhere writes nothing and is told so, and an answer
PostgreSQL refuses fails alone."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from harness.postgres import EmbeddedPostgres
from service.store.hot_path import Accepted, HotPath
from service.store.migrate import upgrade

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

INSTANCE = "test"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with EmbeddedPostgres() as server, pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", server.url)
        upgrade()
        yield server.url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[HotPath]:
    hot_path = HotPath(database_url, instance_id=INSTANCE)
    await hot_path.open()
    try:
        yield hot_path
    finally:
        await hot_path.close()


async def _asked(conn: asyncpg.Connection, store: HotPath) -> Accepted:
    user_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Alice', 'x')",
        user_id,
        f"{user_id}@example.com",
    )
    return await store.accept_question(
        user_id=user_id,
        thread_id=None,
        client_msg_id=uuid.uuid4(),
        text="How much did we spend?",
        instance_id=INSTANCE,
    )


def _completed(run_id: uuid.UUID, seq: int) -> tuple[list[dict[str, object]], list[str]]:
    envelope = {"run_id": str(run_id), "seq": seq, "type": "agent_completed", "final": True}
    return [envelope], [json.dumps(envelope)]


async def test_answers_given_at_once_each_commit_their_own_run_answer_and_event(
    database: asyncpg.Connection, store: HotPath
) -> None:
    asked = [await _asked(database, store) for _ in range(5)]
    # The third run was ended elsewhere meanwhile (recovery on another instance).
    await database.execute("UPDATE runs SET status = 'failed' WHERE id = $1", asked[2].run_id)

    async def answer(n: int, question: Accepted) -> bool:
        envelopes, texts = _completed(question.run_id, 2 + n)
        return await store.record_answer(
            run_id=question.run_id,
            answer_id=uuid.uuid4(),
            text=f"answer {n}",
            envelopes=envelopes,
            texts=texts,
        )

    stored = await asyncio.gather(*(answer(n, q) for n, q in enumerate(asked)))
    assert stored == [True, True, False, True, True]
    for n, question in enumerate(asked):
        status = await database.fetchval("SELECT status FROM runs WHERE id = $1", question.run_id)
        answers = await database.fetch(
            "SELECT text, thread_id FROM messages WHERE run_id = $1 AND role = 'assistant'",
            question.run_id,
        )
        events = await database.fetch(
            "SELECT seq, envelope->>'run_id' AS run FROM run_events WHERE run_id = $1",
            question.run_id,
        )
        if n == 2:
            assert (status, answers, events) == ("failed", [], [])
            continue
        assert status == "completed"
        assert [(a["text"], a["thread_id"]) for a in answers] == [
            (f"answer {n}", question.thread_id)
        ]
        assert [(e["seq"], e["run"]) for e in events] == [(2 + n, str(question.run_id))]


async def test_an_answer_postgresql_refuses_fails_alone(
    database: asyncpg.Connection, store: HotPath
) -> None:
    asked = [await _asked(database, store) for _ in range(3)]

    async def answer(question: Accepted, text: str) -> bool:
        envelopes, texts = _completed(question.run_id, 2)
        return await store.record_answer(
            run_id=question.run_id,
            answer_id=uuid.uuid4(),
            text=text,
            envelopes=envelopes,
            texts=texts,
        )

    outcomes = await asyncio.gather(
        *(answer(q, "nul \x00 byte" if n == 1 else "fine") for n, q in enumerate(asked)),
        return_exceptions=True,
    )
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], asyncpg.DataError)
    statuses = await database.fetch(
        "SELECT id, status FROM runs WHERE id = ANY($1::uuid[])", [q.run_id for q in asked]
    )
    assert {r["id"]: r["status"] for r in statuses} == {
        asked[0].run_id: "completed",
        asked[1].run_id: "running",
        asked[2].run_id: "completed",
    }
