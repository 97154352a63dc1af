"""A stopping instance closes its hot path pool in bounded time, on a real PostgreSQL.

asyncpg's Pool.close() waits for every connection to come back, for ever. A SIGTERM just after
an instance became ready cancelled the warming of the pool (service/store/hot_path.py) between
two of its releases: the connections not yet given back stayed held, and the instance never
exited (CI hung in tests/service/store/test_connection_budget.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from driver.client.eventually import eventually
from harness.postgres import EmbeddedPostgres
from service.store.hot_path import HotPath

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

POOL_SIZE = 8


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with EmbeddedPostgres() as server:
        yield server.url


@pytest.fixture
async def hot_path(database_url: str) -> AsyncIterator[HotPath]:
    path = HotPath(database_url, instance_id="test", pool_size=POOL_SIZE)
    await path.open()
    try:
        yield path
    finally:
        await asyncio.wait_for(path.close(timeout_s=1), 10)


async def test_a_warming_cancelled_while_it_gives_connections_back_leaves_none_held(
    hot_path: HotPath,
) -> None:
    pool = hot_path._pool
    assert pool is not None
    warming = asyncio.create_task(hot_path.warm())
    # Every connection open and held: the warming's next step is giving them back.
    while not (pool.get_size() == POOL_SIZE and pool.get_idle_size() == 0):
        assert not warming.done(), "the warming ended before it held every connection"
        await asyncio.sleep(0)
    warming.cancel()
    await asyncio.gather(warming, return_exceptions=True)

    def none_held() -> None:
        assert pool.get_idle_size() == pool.get_size() == POOL_SIZE, (
            f"{pool.get_size() - pool.get_idle_size()} of {pool.get_size()} connections "
            "still held after the warming was cancelled"
        )

    await eventually(none_held, timeout=5, describe="the warmed connections given back")
    await asyncio.wait_for(hot_path.close(), 10)


async def connections_none(database_url: str) -> None:
    """No client connection but this one on the server."""
    connection = await asyncpg.connect(database_url)
    try:
        others = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await connection.close()
    assert others == 0, f"{others} connections still open"


async def test_a_connection_held_at_shutdown_does_not_hold_up_the_close(
    hot_path: HotPath, database_url: str
) -> None:
    """A statement still running (or a connection leaked) when the instance stops: the close
    gives up on it after its bound and cuts it."""
    holding = asyncio.Event()

    async def hold() -> None:
        async with hot_path._connection():
            holding.set()
            await asyncio.Event().wait()

    holder = asyncio.create_task(hold())
    await asyncio.wait_for(holding.wait(), 10)
    try:
        async with asyncio.timeout(10):
            await hot_path.close(timeout_s=0.5)
        await eventually(
            lambda: connections_none(database_url),
            timeout=5,
            describe="the connection still held cut",
        )
    finally:
        holder.cancel()
        await asyncio.gather(holder, return_exceptions=True)
