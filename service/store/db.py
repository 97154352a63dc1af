"""The database engine and its session factory (`Sessions`). A "session" in the service is a
database session; a person's sign-in is a login session (service/store/login_sessions.py)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service.env import SettingsError

Sessions = async_sessionmaker[AsyncSession]


class DatabaseSettings(Protocol):
    """What the store reads of the service's settings (service/settings.py gathers them, above
    the store): the engine and the connection budget (service/store/budget.py) take this."""

    @property
    def database_url(self) -> str: ...
    @property
    def database_pool_size(self) -> int: ...
    @property
    def database_pool_overflow(self) -> int: ...
    @property
    def hot_path_pool_size(self) -> int: ...


def async_database_url(url: str) -> str:
    """A libpq URL rewritten for SQLAlchemy's asyncpg dialect."""
    scheme, _, rest = url.partition("://")
    if scheme in ("postgres", "postgresql", "postgresql+asyncpg"):
        return f"postgresql+asyncpg://{rest}"
    raise SettingsError(f"DATABASE_URL must be a postgresql:// URL, not {scheme}://")


def make_engine(settings: DatabaseSettings, *, connections: int | None = None) -> AsyncEngine:
    """The service's engine; `connections` makes a small one of its own for a background task."""
    # pre_ping: after a PostgreSQL restart the first query would otherwise hit a dead connection.
    # The connect timeout bounds how long a request waits on an unreachable database.
    # Questions and run events have their own pool (service/store/hot_path.py): this one
    # serves the HTTP calls, the handshakes' revocation checks and the runs' bookkeeping.
    return create_async_engine(
        async_database_url(settings.database_url),
        pool_pre_ping=True,
        pool_size=connections or settings.database_pool_size,
        max_overflow=0 if connections else settings.database_pool_overflow,
        pool_timeout=5,
        connect_args={"timeout": 3, "command_timeout": 10},
    )


def make_sessions(engine: AsyncEngine) -> Sessions:
    return async_sessionmaker(engine, expire_on_commit=False)
