"""Fixtures several test modules share: a migrated PostgreSQL of their own (one per module) and
a connection to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from fixtures.postgres import EmbeddedPostgres
from service.store.migrate import upgrade


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """An embedded PostgreSQL with every migration applied, for the whole test module."""
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
