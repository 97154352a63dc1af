"""The database engine and session factory."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service.settings import Settings

Sessions = async_sessionmaker[AsyncSession]


def make_engine(settings: Settings) -> AsyncEngine:
    # pre_ping: after a PostgreSQL restart the first query would otherwise hit a dead connection.
    # The connect timeout bounds how long a request waits on an unreachable database.
    return create_async_engine(
        settings.async_database_url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=5,
        connect_args={"timeout": 3, "command_timeout": 10},
    )


def make_sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)
