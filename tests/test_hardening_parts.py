"""Logs and the lockout fallback, each with its real dependency.

- A database error quotes the statement's values (a person's email, the figures they sent):
  the service's log lines name its class and SQLSTATE, never those values.
- With Redis unreachable the sign-in lockout counts per instance; those counters used to keep
  every email ever tried. Emails whose window is over are forgotten now.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from driver.client.eventually import eventually
from fixtures.postgres import EmbeddedPostgres
from fixtures.services import free_port
from service.auth.lockout import LoginLockout
from service.errors import InvalidCredentials
from service.logs import JsonFormatter

SECRET_VALUE = "alice.secret@example.com"


@pytest.fixture(scope="module")
def postgres() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        yield server


async def a_database_error_quoting(postgres: EmbeddedPostgres, value: str) -> DBAPIError:
    engine = create_async_engine(postgres.url.replace("postgresql://", "postgresql+asyncpg://"))
    try:
        async with engine.connect() as conn:
            # PostgreSQL's own message quotes the value, and SQLAlchemy adds the parameters.
            await conn.execute(text("SELECT CAST(CAST(:v AS text) AS integer)"), {"v": value})
    except DBAPIError as error:
        return error
    finally:
        await engine.dispose()
    raise AssertionError("the database accepted a value it cannot hold")


def logged(record_it: logging.Logger, stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def test_a_database_error_is_logged_without_the_values_it_quotes(
    postgres: EmbeddedPostgres,
) -> None:
    error = await a_database_error_quoting(postgres, SECRET_VALUE)
    assert SECRET_VALUE in str(error)  # what the database says, and what must not be logged
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(f"test.{uuid.uuid4().hex}")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("dependency unavailable: %r", error, extra={"user_id": "u-1"})
        try:
            raise RuntimeError("storing the answer failed") from error
        except RuntimeError:
            log.exception("unhandled error on POST /api/usage", extra={"run_id": "r-1"})
    finally:
        log.removeHandler(handler)

    lines = logged(log, stream)
    assert SECRET_VALUE not in stream.getvalue(), stream.getvalue()
    assert "DBAPIError" in str(lines[0]["msg"]) and lines[0]["user_id"] == "u-1"
    trace = str(lines[1]["exc"])
    assert "SQLSTATE 22P02" in trace and "storing the answer failed" in trace, trace
    assert "a_database_error_quoting" in trace and lines[1]["run_id"] == "r-1"


async def test_the_local_lockout_forgets_emails_whose_window_is_over() -> None:
    # Unreachable (nothing listens there): the lockout counts locally.
    nowhere = Redis(port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    lockout = LoginLockout(nowhere, window_s=1, max_failures=5)
    try:
        for i in range(50):
            with pytest.raises(InvalidCredentials):
                async with lockout.guard(f"guess-{i}@example.com"):
                    raise InvalidCredentials("wrong password")
        assert lockout.local_emails == 50

        async def forgotten() -> bool:
            async with lockout.guard("someone-new@example.com"):
                pass  # a success: counted, then forgiven
            assert lockout.local_emails == 0, f"{lockout.local_emails} emails still remembered"
            return True

        check: Callable[[], Awaitable[bool]] = forgotten
        done: bool = await eventually(check, timeout=5, describe="the old emails are forgotten")
        assert done
    finally:
        await nowhere.aclose()
