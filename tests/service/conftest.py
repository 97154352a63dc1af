"""The service's tests that need a database share one PostgreSQL per module, started from the
migrated template (harness/postgres_template.py), and a plain connection to look at what was
stored. A module that needs another database (an empty one) has its own `database_url`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import asyncpg
import pytest

from harness.postgres import EmbeddedPostgres
from harness.postgres_template import migrated_template


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with EmbeddedPostgres(template=migrated_template()) as server:
        yield server.url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()
