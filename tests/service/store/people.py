"""People stored straight into the database, for the store's tests that need an account to read
or write for (no sign-up: these tests are about the store, not the service)."""

from __future__ import annotations

import uuid

import asyncpg


async def a_person(conn: asyncpg.Connection) -> uuid.UUID:
    """A new account, with a unique email; its id."""
    user_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Alice', 'x')",
        user_id,
        f"{user_id}@example.com",
    )
    return user_id
