"""The service's resilience parts on their own: bounded waits and the Redis circuit breaker,
against real processes (a frozen Redis is a SIGSTOPped redis-server)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.exceptions import TimeoutError as RedisTimeout

from harness.redis import EmbeddedRedis
from service.app import redis_client
from service.http.common import errors_middleware
from service.metrics import BREAKER_OPENED
from service.resilience import deadlines
from service.resilience.deadlines import DependencyTimeout, within
from service.resilience.redis_guard import GuardedRedis, PoolBusy, RedisUnavailable

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


async def test_within_answers_on_time_even_when_the_cleanup_hangs() -> None:
    cleaned = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        finally:  # like returning a connection to a frozen server's pool
            await asyncio.shield(asyncio.sleep(0.5))
            cleaned.set()

    began = time.monotonic()
    with pytest.raises(DependencyTimeout, match=r"the database did not answer within 0\.1 s"):
        await within(0.1, stubborn(), what="the database")
    assert time.monotonic() - began < 0.3
    await asyncio.wait_for(cleaned.wait(), 2)  # the cleanup still ran, in the background


async def test_within_passes_results_and_errors_through() -> None:
    async def answer() -> int:
        return 42

    async def broken() -> None:
        raise ValueError("no")

    assert await within(1, answer(), what="x") == 42
    with pytest.raises(ValueError, match="no"):
        await within(1, broken(), what="x")


@pytest.fixture
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


async def test_a_frozen_redis_costs_one_timeout_then_fails_fast(
    redis_server: EmbeddedRedis,
) -> None:
    client = redis_client(redis_server.url, max_connections=64)
    assert isinstance(client, GuardedRedis)
    try:
        await client.set("k", "v")
        redis_server.freeze()
        began = time.monotonic()
        with pytest.raises(RedisTimeout):
            await client.get("k")
        assert 0.4 < time.monotonic() - began < 0.8  # the one timeout
        began = time.monotonic()
        for _ in range(10):  # ten more calls, e.g. the events of one run
            with pytest.raises(RedisUnavailable):
                await client.get("k")
            with pytest.raises(RedisUnavailable):
                async with client.pipeline() as pipe:
                    pipe.get("k")
                    await pipe.execute()
        assert time.monotonic() - began < 0.1
        redis_server.thaw()

        async def answers() -> bool:
            try:
                return await client.get("k") == b"v"
            except RedisUnavailable:
                await asyncio.sleep(0.05)  # the cooldown, polled
                return False

        async with asyncio.timeout(3):
            while not await answers():
                pass
        assert not client.breaker.open
    finally:
        if redis_server.frozen:
            redis_server.thaw()
        await client.aclose()


async def test_a_restarted_redis_is_used_again_at_once(redis_server: EmbeddedRedis) -> None:
    client = redis_client(redis_server.url, max_connections=64)
    try:
        await client.set("k", "v")
        redis_server.restart()  # same port, memory lost: the pooled connection is dead
        assert await client.get("k") is None  # the one retry reconnects: no error, no breaker
        assert not client.breaker.open
    finally:
        await client.aclose()


async def test_an_http_request_waiting_on_a_dependency_answers_503_in_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deadlines, "REQUEST_TIMEOUT_S", 0.2)

    async def frozen_dependency(_: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.json_response({})

    app = web.Application(middlewares=[errors_middleware, deadlines.deadline_middleware])
    app.router.add_get("/api/slow", frozen_dependency)
    async with TestClient(TestServer(app)) as client:
        began = time.monotonic()
        response = await client.get("/api/slow")
        assert time.monotonic() - began < 1.0
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        assert (await response.json())["error"] == "temporarily_unavailable"


async def test_a_busy_pool_does_not_open_the_breaker(redis_server: EmbeddedRedis) -> None:
    # One connection, each call holding it 0.3 s server-side: most of twelve callers wait out
    # the pool's wait. Redis answers all along, so the breaker must stay closed (issue 18).
    client = redis_client(redis_server.url, max_connections=1)
    assert isinstance(client, GuardedRedis)
    opened_before = BREAKER_OPENED.labels("redis")._value.get()
    try:
        results = await asyncio.gather(
            *(client.blpop(["nothing"], timeout=0.3) for _ in range(12)), return_exceptions=True
        )
        busy = [r for r in results if isinstance(r, PoolBusy)]
        assert busy, results  # the pool did run out
        assert all(r is None or isinstance(r, PoolBusy) for r in results), results
        assert BREAKER_OPENED.labels("redis")._value.get() == opened_before  # never opened
        assert not client.breaker.tripped
        assert await client.set("k", "v")  # and the next call goes to Redis at once
    finally:
        await client.aclose()
