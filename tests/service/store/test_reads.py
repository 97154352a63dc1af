"""A question reads only what its triage uses (issue 18, findings 1 and 8), on a real PostgreSQL.

A follow-up used to read every earlier question of its thread (up to 8,000 characters each)
though triage looks at the latest 10; and every question read every feature and model name the
person ever reported (100,000 records may hold 100,000 of each).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from service.agents.catalogue import MODELS
from service.agents.name_index import MAX_INDEXED_NAMES, NAMES_READ
from service.agents.triage import EARLIER_QUESTIONS_READ
from service.store.conversations import earlier_questions
from service.store.db import make_sessions
from service.store.hot_path import HotPath
from tests.service.store.people import a_person

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

QUESTION_CHARS = 8_000
EARLIER = 30


async def _thread_of_long_questions(conn: asyncpg.Connection) -> tuple[uuid.UUID, list[str]]:
    """A thread of `EARLIER` questions of 8,000 characters and their answers, then a follow-up:
    its id and the earlier questions, oldest first."""
    user_id = await a_person(conn)
    thread_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO threads (id, user_id, title) VALUES ($1, $2, 'Spend')", thread_id, user_id
    )
    asked = [f"{i:03} " + "What do we spend? " * 500 for i in range(EARLIER)]
    asked = [question[:QUESTION_CHARS] for question in asked]
    texts = [text for question in asked for text in (question, "An answer.")] + ["And that?"]
    roles = ["user", "assistant"] * EARLIER + ["user"]
    ids = [uuid.uuid4() for _ in texts]
    await conn.execute(
        "INSERT INTO messages (id, thread_id, user_id, role, text, created_at) "
        "SELECT id, $2, $3, role, text, now() + n * interval '1 millisecond' "
        "FROM unnest($1::uuid[], $4::text[], $5::text[]) WITH ORDINALITY AS m(id, role, text, n)",
        ids,
        thread_id,
        user_id,
        roles,
        texts,
    )
    return ids[-1], asked


async def test_a_follow_up_reads_only_the_earlier_questions_triage_uses(
    database: asyncpg.Connection, database_url: str
) -> None:
    follow_up, asked = await _thread_of_long_questions(database)
    thread_id = await database.fetchval("SELECT thread_id FROM messages WHERE id = $1", follow_up)
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with make_sessions(engine)() as session:
            read = await earlier_questions(
                session, thread_id=thread_id, before=follow_up, limit=EARLIER_QUESTIONS_READ
            )
    finally:
        await engine.dispose()
    # The latest ten, oldest first: what triage looked at when every one was read.
    assert read == asked[-EARLIER_QUESTIONS_READ:]
    assert sum(map(len, read)) <= EARLIER_QUESTIONS_READ * QUESTION_CHARS


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[HotPath]:
    hot_path = HotPath(database_url, instance_id="test")
    await hot_path.open()
    try:
        yield hot_path
    finally:
        await hot_path.close()


async def test_a_question_reads_the_most_recently_reported_names_only(
    database: asyncpg.Connection, store: HotPath
) -> None:
    user_id = await a_person(database)
    today = date(2026, 11, 21)
    # Feature f0 and model m0 were last reported the longest ago; f4 and m4 today.
    rows = [(today - timedelta(days=10 - i), f"m{i}", f"f{i}") for i in range(5)]
    rows += [(today - timedelta(days=20), "m4", "f4")]  # reported earlier too
    await database.executemany(
        "INSERT INTO usage_records (user_id, day, model, feature, requests, input_tokens, "
        "output_tokens, cost_usd) VALUES ($1, $2, $3, $4, 1, 1, 1, 1)",
        [(user_id, *row) for row in rows],
    )
    read = await store.usage_read(user_id=user_id, limit=3, since=today, until=today)
    assert (read.features, read.models) == ({"f2", "f3", "f4"}, {"m2", "m3", "m4"})
    read = await store.usage_read(
        user_id=await a_person(database), limit=3, since=today, until=today
    )
    assert (read.features, read.models, read.records) == (set(), set(), [])


async def test_the_names_come_with_the_period_s_records_in_day_order(
    database: asyncpg.Connection, store: HotPath
) -> None:
    user_id = await a_person(database)
    today = date(2026, 11, 21)
    days = [today - timedelta(days=d) for d in (40, 3, 1, 2, 0)]  # the first is out of period
    await database.executemany(
        "INSERT INTO usage_records (user_id, day, model, feature, requests, input_tokens, "
        "output_tokens, cost_usd) VALUES ($1, $2, 'm', 'f', 2, 3, 4, 1.25)",
        [(user_id, day) for day in days],
    )
    read = await store.usage_read(
        user_id=user_id, limit=3, since=today - timedelta(days=29), until=today
    )
    assert [r[0] for r in read.records] == sorted(days[1:])
    assert read.records[0][1:] == ("m", "f", 2, 3, 4, Decimal("1.25"))
    assert [r[0] for r in read.records] == [
        r["day"] for r in await store.usage_between(user_id=user_id, since=days[1], until=today)
    ]


def test_the_names_read_and_the_catalogue_fit_in_one_index() -> None:
    # Triage indexes at most MAX_INDEXED_NAMES: it never drops a name the service read.
    assert NAMES_READ + len(MODELS) <= MAX_INDEXED_NAMES


async def test_a_crowd_reading_at_once_each_reads_only_their_own(
    database: asyncpg.Connection, store: HotPath
) -> None:
    today = date(2026, 11, 21)
    people = [await a_person(database) for _ in range(6)]
    await database.executemany(
        "INSERT INTO usage_records (user_id, day, model, feature, requests, input_tokens, "
        "output_tokens, cost_usd) VALUES ($1, $2, $3, $4, 1, 1, 1, 1)",
        [
            (p, today - timedelta(days=d), f"m-{n}", f"f-{n}")
            for n, p in enumerate(people[:5])
            for d in range(n + 1)
        ],
    )
    reads = await asyncio.gather(
        *(
            store.usage_read(user_id=p, limit=3, since=today - timedelta(days=2), until=today)
            for p in people
        )
    )
    for n, read in enumerate(reads[:5]):
        assert (read.features, read.models) == ({f"f-{n}"}, {f"m-{n}"})
        assert [r[0] for r in read.records] == [
            today - timedelta(days=d) for d in range(min(n, 2), -1, -1)
        ]
        assert {(r[1], r[2]) for r in read.records} == {(f"m-{n}", f"f-{n}")}
    assert (reads[5].features, reads[5].models, reads[5].records) == (set(), set(), [])
