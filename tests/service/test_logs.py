"""The service's logs with a real PostgreSQL: a database error quotes the statement's values (a
person's email, the figures they sent); the service's log lines name its class and SQLSTATE,
never those values."""

from __future__ import annotations

import io
import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from harness.postgres import EmbeddedPostgres
from service.logs import JsonFormatter

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

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
