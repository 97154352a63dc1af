"""Revocation at scale (issue 18, low finding), on a real PostgreSQL and Redis: the first
catch-up reads page by page and keeps in memory only what ended lately, what is kept per ended
session is bounded, publications are sliced, and the mirror's "not ended" is believed only
while this instance's catch-up is fresh (fail closed otherwise)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import create_async_engine

from driver.client.eventually import eventually
from harness.postgres import EmbeddedPostgres
from harness.postgres_template import migrated_template
from harness.redis import EmbeddedRedis
from service.auth import revocation
from service.auth.revocation import (
    CHANNEL,
    LOADED_KEY,
    MAX_RECENT,
    MAX_UNMIRRORED,
    PAGE,
    Revocations,
)
from service.delivery.chat.hub import Hub
from service.store.db import make_sessions

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

Parts = tuple[Revocations, Redis, asyncpg.Connection]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[str, str]]:
    with EmbeddedPostgres(template=migrated_template()) as postgres, EmbeddedRedis() as redis:
        yield postgres.url, redis.url


@pytest.fixture
async def parts(
    servers: tuple[str, str],
) -> AsyncIterator[Parts]:
    database_url, redis_url = servers
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    await conn.execute("DELETE FROM refresh_tokens")
    await conn.execute("DELETE FROM login_sessions")
    revocations = Revocations(make_sessions(engine), redis, Hub(), instance_id="test")
    try:
        yield revocations, redis, conn
    finally:
        await revocations.aclose()
        await conn.close()
        await redis.aclose()
        await engine.dispose()


async def _mark_loaded(redis: Redis) -> None:
    """The "loaded" marker as a rebuild of this very Redis process writes it."""
    await redis.set(LOADED_KEY, (await redis.info("server"))["run_id"])


async def _ended(conn: asyncpg.Connection, count: int, *, ago: str) -> list[uuid.UUID]:
    """`count` sessions of one person, ended `ago` (a PostgreSQL interval) by another instance
    whose mirror write and publication both failed."""
    user_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'A', 'x')",
        user_id,
        f"{user_id}@example.com",
    )
    ids = [uuid.uuid4() for _ in range(count)]
    await conn.executemany(
        "INSERT INTO login_sessions (id, user_id, revoked_at, revoked_reason) "
        f"VALUES ($1, $2, now() - interval '{ago}', 'logout')",
        [(i, user_id) for i in ids],
    )
    return ids


async def test_a_stale_catch_up_never_lets_an_ended_session_in(parts: Parts) -> None:
    """The fail-open corner: the mirror is marked loaded but misses a revocation (its writer's
    mirror write failed, then it died), and this instance's catch-up has not succeeded lately
    (PostgreSQL slow, or not run yet): the check must ask PostgreSQL, not believe the mirror."""
    revocations, redis, conn = parts
    await _mark_loaded(redis)
    [ended] = await _ended(conn, 1, ago="1 second")
    assert await revocations.is_revoked(ended)
    await revocations._catch_up_once()  # the catch-up mirrors it; then the mirror is enough
    assert await redis.exists(revocation._key(ended))
    [later] = await _ended(conn, 1, ago="0 seconds")
    revocations._caught_up_at = 0.0  # the last catch-up long ago: the mirror is not enough
    assert await revocations.is_revoked(later)


async def test_the_first_catch_up_is_paged_and_remembers_only_what_ended_lately(
    parts: Parts,
) -> None:
    revocations, redis, conn = parts
    earlier = await _ended(conn, PAGE * 2 + 500, ago="2 hours")
    lately = await _ended(conn, 3, ago="1 second")
    too_old = await _ended(conn, 1, ago="3 days")  # no pass of it can be alive
    await revocations._catch_up_once()
    # every page was read and mirrored (more rows than one page)...
    keys = [revocation._key(i) for i in earlier + lately]
    assert await redis.exists(*keys) == len(keys)
    assert not await redis.exists(revocation._key(too_old[0]))
    # ...but this instance's memory holds only what ended within RECENT_S
    assert set(revocations._recent) == set(lately)


async def test_memory_per_ended_session_and_publications_are_bounded(parts: Parts) -> None:
    revocations, redis, _ = parts
    messages: list[list[str]] = []
    async with redis.pubsub() as pubsub:
        await pubsub.subscribe(CHANNEL)
        ids = {uuid.uuid4() for _ in range(MAX_RECENT + PAGE // 2)}
        await revocations.announce(ids, reason="logout")

        async def all_heard() -> None:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
            if message is not None:
                messages.append(json.loads(message["data"])["sessions"])
            assert sum(map(len, messages)) == len(ids)

        await eventually(all_heard, timeout=10, describe="every slice heard")
    assert max(map(len, messages)) <= PAGE
    assert len(revocations._recent) == MAX_RECENT
    assert await redis.exists(*[revocation._key(i) for i in list(ids)[:100]]) == 100


async def test_a_mass_logout_while_redis_is_down_is_not_kept_id_by_id(parts: Parts) -> None:
    """Past MAX_UNMIRRORED, unmirrored ids are not kept one by one: the mirror is marked
    incomplete (checks ask PostgreSQL) and rebuilt from PostgreSQL once Redis answers."""
    revocations, redis, conn = parts
    ids = await _ended(conn, MAX_UNMIRRORED + 1, ago="1 second")
    unreachable = Redis.from_url("redis://127.0.0.1:1/0")  # nothing listens on port 1
    revocations._redis = unreachable
    try:
        await revocations.announce(set(ids), reason="logout")
    finally:
        await unreachable.aclose()
    assert len(revocations._unmirrored) <= MAX_UNMIRRORED
    revocations._redis = redis
    await _mark_loaded(redis)
    revocations._recent.clear()
    await revocations._catch_up_once()
    assert await revocations.is_revoked(ids[0])
    await revocations._sweep_once()  # rebuilds the mirror from PostgreSQL
    assert await redis.exists(*[revocation._key(i) for i in ids]) == len(ids)
    assert not revocations._mirror_incomplete


async def test_a_loaded_marker_from_another_redis_process_is_not_believed(parts: Parts) -> None:
    """A Redis restored from a snapshot brings back the "loaded" marker but not the marks written
    after the snapshot: the marker names the Redis process it was written for, so a marker of
    another process sends the check to PostgreSQL and the mirror is rebuilt."""
    revocations, redis, conn = parts
    await redis.set(LOADED_KEY, b"0" * 40)  # the run_id of the Redis the snapshot was taken of
    [ended] = await _ended(conn, 1, ago="5 minutes")  # long before this instance's catch-ups
    await revocations._catch_up_once()
    await redis.delete(revocation._key(ended))  # written after the snapshot: lost
    revocations._recent.clear()
    assert await revocations.is_revoked(ended)

    async def rebuilt() -> None:
        assert await redis.exists(revocation._key(ended))
        assert await redis.get(LOADED_KEY) == revocations._redis_run_id

    await eventually(rebuilt, timeout=10, describe="the mirror rebuilt for this Redis")
