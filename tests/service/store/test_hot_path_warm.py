"""The hot path's connections come with every hot statement prepared (issue 19), on a real
PostgreSQL.

Prepared on first use, each of the pool's connections paid for each statement in the middle of
the first crowd: PostgreSQL planned it with the backend's catalog caches cold and asyncpg looked
up its types, a third of PostgreSQL's work at 100 at once (docs/capacity.md, fourth round).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest

from service.store.hot_path import HOT_STATEMENTS, HotPath

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

POOL_SIZE = 3
PREPARED = "SELECT statement FROM pg_prepared_statements"


@pytest.fixture
async def hot_path(database_url: str) -> AsyncIterator[HotPath]:
    path = HotPath(database_url, instance_id="test", pool_size=POOL_SIZE)
    await path.open()
    try:
        yield path
    finally:
        await path.close(timeout_s=1)


async def test_every_pooled_connection_has_every_hot_statement_ready_after_the_warming(
    hot_path: HotPath,
) -> None:
    await hot_path.warm()
    pool = hot_path._pool
    assert pool is not None
    held = [await pool.acquire() for _ in range(POOL_SIZE)]
    try:
        for connection in held:
            prepared = {row["statement"] for row in await connection.fetch(PREPARED)}
            missing = [sql for sql in HOT_STATEMENTS if sql not in prepared]
            assert not missing, f"{len(missing)} hot statements not prepared: {missing[:1]}"
    finally:
        for connection in held:
            await pool.release(connection)


async def test_a_question_on_a_warmed_connection_prepares_nothing_more(
    hot_path: HotPath,
) -> None:
    """The statements are prepared where the hot path's own calls find them (asyncpg's
    statement cache), not beside it: a call then sends no statement to prepare again."""
    await hot_path.warm()
    before = await _prepared_counts(hot_path)
    today = date.today()
    for _ in range(2 * POOL_SIZE):  # the pool hands its connections out in turn: each is used
        await hot_path.usage_read(user_id=uuid.uuid4(), limit=10, since=today, until=today)
        await hot_path.append_events([], [])
    assert await _prepared_counts(hot_path) == before


async def _prepared_counts(hot_path: HotPath) -> list[int]:
    """How many statements each pooled connection has prepared (the count's own included)."""
    pool = hot_path._pool
    assert pool is not None
    held = [await pool.acquire() for _ in range(POOL_SIZE)]
    try:
        return sorted([await c.fetchval(f"SELECT count(*) FROM ({PREPARED}) p") for c in held])
    finally:
        for connection in held:
            await pool.release(connection)


async def test_a_warmed_idle_pool_leaves_no_transaction_open(
    database_url: str, hot_path: HotPath
) -> None:
    """asyncpg's prepare ends without a Sync: the implicit transaction it opened, with the
    locks the parsing took, stayed open on every idle warmed connection, so a migration (any
    ALTER TABLE on the questions' or the events' tables) waited on them for ever."""
    await hot_path.warm()
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        await conn.execute("SET lock_timeout = '5s'")
        async with conn.transaction():  # refused after 5 s if a warmed connection held a lock
            await conn.execute("LOCK TABLE run_events, runs, messages IN ACCESS EXCLUSIVE MODE")
    finally:
        await conn.close()


async def test_a_database_away_is_not_warmed() -> None:
    # Nothing listens on port 1: the warming gives up quietly.
    path = HotPath("postgresql://postgres@127.0.0.1:1/none", instance_id="t", pool_size=1)
    await path.open()
    try:
        await path.warm()
    finally:
        await path.close(timeout_s=1)
