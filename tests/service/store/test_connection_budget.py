"""An instance whose PostgreSQL pools do not fit what the server has left refuses to start with
one line that says the arithmetic (service/store/budget.py): real processes, a real PostgreSQL
with room for 40 connections (PostgreSQL's default is 100)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from collections.abc import Iterator

import aiohttp
import asyncpg
import pytest

from driver.client.api import ChatApi
from driver.client.eventually import eventually
from harness.services import PROJECT_ROOT, exited, free_port, terminated
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

SMALL_SERVER = 40
REFUSAL = re.compile(
    r"refusing to start: this instance may open 45 PostgreSQL connections "
    r"\(DATABASE_POOL_SIZE 10 \+ DATABASE_POOL_OVERFLOW 10 \+ HOT_PATH_POOL_SIZE 24 "
    r"\+ 1 for recovery\) but the server allows 40 - 3 reserved - (\d+) in use = (\d+) more"
)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    config = StackConfig(instances=0, postgres_max_connections=SMALL_SERVER)
    with Stack(config) as running:
        yield running


async def start(stack: Stack, **settings: str) -> tuple[asyncio.subprocess.Process, int]:
    port = free_port()
    env = {
        **os.environ,
        **stack.service_settings(),
        "PORT": str(port),
        "METRICS_PORT": str(free_port()),
        **settings,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    return process, port


async def refusal_of(process: asyncio.subprocess.Process) -> str:
    _, stderr = await exited(process, what="an instance refusing to start", timeout_s=30)
    lines = [line for line in stderr.decode().splitlines() if line.startswith("refusing")]
    assert process.returncode == 2, f"exit {process.returncode}: {stderr.decode()[-800:]}"
    assert len(lines) == 1, stderr.decode()[-800:]
    return lines[0]


async def test_pools_too_big_for_the_server_refuse_the_start_with_the_arithmetic(
    stack: Stack,
) -> None:
    process, _ = await start(stack)
    line = await refusal_of(process)
    match = REFUSAL.fullmatch(line)
    assert match is not None, line
    in_use, free = int(match[1]), int(match[2])
    assert SMALL_SERVER - 3 - in_use == free < 45


async def test_pools_that_fit_start_and_serve(stack: Stack) -> None:
    small = {"DATABASE_POOL_SIZE": "5", "DATABASE_POOL_OVERFLOW": "2", "HOT_PATH_POOL_SIZE": "8"}
    process, port = await start(stack, **small)
    try:
        async with aiohttp.ClientSession() as session:

            async def ready() -> None:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as answer:
                    assert answer.status == 200, await answer.text()

            await eventually(
                ready, timeout=60, describe="the instance", retry_on=(AssertionError, OSError)
            )
    finally:
        await terminated(process, what="a started instance after SIGTERM")
    assert process.returncode == 0, f"exit {process.returncode} after SIGTERM"


async def test_with_the_database_down_at_start_the_check_waits_for_it(stack: Stack) -> None:
    """The instance starts and is not ready; once the database answers, it checks, and stops
    with the same line when its pools do not fit."""
    assert stack.postgres is not None
    stack.postgres.stop()
    try:
        process, port = await start(stack)
        async with aiohttp.ClientSession() as session:

            async def not_ready() -> None:
                async with session.get(f"http://127.0.0.1:{port}/readyz") as answer:
                    assert answer.status == 503, await answer.text()

            await eventually(
                not_ready,
                timeout=60,
                describe="a waiting instance",
                retry_on=(AssertionError, OSError),
            )
        assert process.returncode is None, "the instance did not wait for the database"
    finally:
        await asyncio.to_thread(stack.postgres.start)
    line = await refusal_of(process)
    assert REFUSAL.fullmatch(line), line


async def test_a_server_out_of_connections_is_a_503_not_a_500(stack: Stack) -> None:
    """Another client takes every connection the server has left after the instance started:
    requests that need a new connection are told to try again later, never a 500."""
    small = {"DATABASE_POOL_SIZE": "2", "DATABASE_POOL_OVERFLOW": "20", "HOT_PATH_POOL_SIZE": "2"}
    process, port = await start(stack, **small)
    hogs: list[asyncpg.Connection] = []
    try:
        async with aiohttp.ClientSession() as session:
            api = ChatApi(f"http://127.0.0.1:{port}", session, timeout=30)

            async def ready() -> None:
                assert (await api.readyz())[0] == 200

            await eventually(
                ready, timeout=60, describe="the instance", retry_on=(AssertionError, OSError)
            )
            await api.register("full@example.com", "a long password", "Fay")
            access = (await api.login("full@example.com", "a long password")).access_token
            with contextlib.suppress(asyncpg.TooManyConnectionsError):
                for _ in range(SMALL_SERVER):
                    hogs.append(await asyncpg.connect(stack.database_url))
            answers = await asyncio.gather(
                *(api.raw("GET", "/api/threads", access=access) for _ in range(30))
            )
        statuses = sorted({answer.status for answer in answers})
        assert 503 in statuses, f"every request found a connection: {statuses}"
        assert set(statuses) <= {200, 503}, [(a.status, a.text) for a in answers]
        refused = [a.text for a in answers if a.status == 503]
        assert all('"temporarily_unavailable"' in text for text in refused), refused
    finally:
        for hog in hogs:
            await hog.close()
        await terminated(process, what="an instance out of connections after SIGTERM")
