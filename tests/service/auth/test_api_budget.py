"""Each person's budget of signed-in HTTP API calls (issue 18: the signed-in API had no rate
limits): a burst past it is refused `rate_limited` with Retry-After on every instance, other
people are unaffected; and the shared bucket keeps Redis's time, not the instance's."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import aiohttp
import pytest

from harness.redis import EmbeddedRedis
from harness.stack import Stack, StackConfig
from service.app import redis_client
from service.auth.api_budget import ApiBudget
from service.auth.lockout import LoginLockout
from service.errors import RateLimited
from tests.chat_clients import sign_up

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

BURST = 5


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    config = StackConfig.from_env(
        instances=2, extra_env={"API_BURST": str(BURST), "API_PER_SECOND": "0.05"}
    )
    with Stack(config) as running:
        yield running


async def _threads(http: aiohttp.ClientSession, url: str, access: str) -> aiohttp.ClientResponse:
    async with http.get(
        f"{url}/api/threads", headers={"Authorization": f"Bearer {access}"}
    ) as response:
        await response.read()
        return response


async def test_a_burst_past_the_budget_is_refused_and_others_are_not(stack: Stack) -> None:
    first, second = stack.service_urls
    _, hasty = await sign_up(first)
    _, other = await sign_up(first)
    async with aiohttp.ClientSession() as http:
        for i in range(BURST):  # the budget, spread over both instances
            assert (await _threads(http, (first, second)[i % 2], hasty)).status == 200
        for url in (first, second):  # one shared budget: refused on both
            async with http.get(
                f"{url}/api/threads", headers={"Authorization": f"Bearer {hasty}"}
            ) as refused:
                assert refused.status == 429
                assert (await refused.json())["error"] == "rate_limited"
                assert int(refused.headers["Retry-After"]) >= 1
        assert (await _threads(http, first, other)).status == 200


@pytest.fixture
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


async def test_the_shared_bucket_keeps_redis_time_not_the_instance_clock(
    redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = redis_client(redis_server.url, max_connections=4)
    person = uuid.uuid4()
    try:
        budget = ApiBudget(client, burst=2, per_second=0.01)
        await budget.spend(person)
        await budget.spend(person)
        # An instance whose clock runs an hour ahead must not find the bucket refilled.
        skewed = time.time() + 3600
        monkeypatch.setattr(time, "time", lambda: skewed)
        with pytest.raises(RateLimited):
            await budget.spend(person)
    finally:
        await client.aclose()


async def test_the_sign_in_lockout_keeps_redis_time_not_the_instance_clock(
    redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = redis_client(redis_server.url, max_connections=4)
    lockout = LoginLockout(client, window_s=900, max_failures=5)
    try:
        for _ in range(4):  # four wrong passwords on one instance
            await lockout.failed(await lockout.begin("skew@example.com"))
        # The fifth on an instance whose clock runs an hour ahead still counts with them.
        skewed = time.time() + 3600
        monkeypatch.setattr(time, "time", lambda: skewed)
        await lockout.failed(await lockout.begin("skew@example.com"))
        with pytest.raises(RateLimited):
            await lockout.begin("skew@example.com")
    finally:
        await client.aclose()
