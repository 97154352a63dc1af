"""Which failures are a dependency's (the client should retry later) and which are defects of ours.

Every answer that can fail uses it: the HTTP error middleware, the chat socket and its catch-up
(service/delivery/replay.py). It lives here, below them all, so none imports another for it.
"""

from __future__ import annotations

import asyncio

import asyncpg
from redis.exceptions import RedisError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from service.errors import ServiceError, TemporarilyUnavailable
from service.metrics import DEPENDENCY_ERRORS

RETRY_AFTER_S = 5
# Failures of a dependency, not of the request: the client should retry later.
UNAVAILABLE = (OperationalError, PoolTimeout, RedisError, OSError, asyncio.TimeoutError)
# SQLSTATEs of a database that cannot serve now, whatever the request: a connection exception
# (08), insufficient resources such as too many connections (53), shutting down or starting (57P).
UNAVAILABLE_STATES = ("08", "53", "57P")


def as_service_error(exc: BaseException) -> ServiceError | None:
    """The contract error for an exception, or None when it is a defect of ours."""
    if isinstance(exc, ServiceError):
        return exc
    if isinstance(exc, UNAVAILABLE) or _database_unavailable(exc):
        if not isinstance(exc, RedisError):  # Redis failures are counted by its circuit breaker
            DEPENDENCY_ERRORS.labels("postgres").inc()
        return TemporarilyUnavailable(
            "A service we depend on is unavailable; try again shortly", retry_after=RETRY_AFTER_S
        )
    return None


def _database_unavailable(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError | asyncpg.PostgresError):
        return False
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(state, str) and state.startswith(UNAVAILABLE_STATES)
