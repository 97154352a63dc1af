"""Accounts under abuse and partial failure, against the real stack.

- A password change stores the new hash and ends every session in one transaction: with the
  sessions table locked it fails as a whole (503), and afterwards nothing has changed.
- A flood of sign-ups from one address cannot starve sign-in for anyone else: hashing is
  bounded and served fairly between addresses; the flood is queued or refused with 429.

Another address is 127.0.0.2: Linux routes all of 127/8 to the loopback, so the test can speak
from two peers to a service listening on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import asyncpg
import pytest

from driver.client.api import ChatApi
from driver.client.errors import ApiError
from driver.client.models import Tokens
from harness.stack import Stack, StackConfig
from service.auth.passwords import hash_password

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

PASSWORD = "a long enough password"
OTHER_PEER = "127.0.0.2"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # These tests hold the service to a pace: its processes run without coverage's tracing
    # (make pytest), which would slow their request handling against the hashing measured here.
    untraced = {"COVERAGE_PROCESS_CONFIG": ""}
    with Stack(StackConfig.from_env(extra_env=untraced)) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        yield session


async def signed_up(api: ChatApi, name: str) -> tuple[str, Tokens]:
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
    await api.register(email, PASSWORD, name)
    return email, await api.login(email, PASSWORD)


async def signs_in(api: ChatApi, email: str, password: str) -> bool:
    try:
        await api.login(email, password)
    except ApiError as refused:
        assert refused.code == "invalid_credentials", refused
        return False
    return True


# --- item 3: a password change is one transaction ----------------------------------------------


async def test_a_password_change_that_cannot_end_the_sessions_changes_nothing(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    api = ChatApi(stack.service_urls[0], http)
    email, tokens = await signed_up(api, "alice")
    new_password = "a brand new password"
    locker = await asyncpg.connect(stack.database_url)
    try:
        async with locker.transaction():
            # Reads go on (passes are still checked); ending a session has to wait.
            await locker.execute("LOCK TABLE login_sessions IN EXCLUSIVE MODE")
            answer = await api.raw(
                "POST",
                "/api/auth/password",
                access=tokens.access_token,
                json_body={"current_password": PASSWORD, "new_password": new_password},
            )
    finally:
        await locker.close()
    assert (answer.status, answer.json()["error"]) == (503, "temporarily_unavailable"), answer

    # Neither happened: the old password and the old pass work, the new password does not.
    old_password = await signs_in(api, email, PASSWORD)
    new = await signs_in(api, email, new_password)
    old_pass = (await api.raw("GET", "/api/me", access=tokens.access_token)).status == 200
    assert (old_password, new, old_pass) == (True, False, True), (
        f"after the failed change: old password works: {old_password}, new password works: "
        f"{new}, old pass works: {old_pass}"
    )

    # Tried again with the sessions free, it happens whole.
    await api.change_password(tokens.access_token, PASSWORD, new_password)
    assert (await api.raw("GET", "/api/me", access=tokens.access_token)).status == 401
    assert await signs_in(api, email, new_password)
    assert not await signs_in(api, email, PASSWORD)


# --- item 4: a sign-up flood from one address ------------------------------------------------


@pytest.mark.timing
async def test_a_sign_up_flood_from_one_address_leaves_sign_in_fast_for_others(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    url = stack.service_urls[0]
    flood_api = ChatApi(url, http, timeout=30)
    other_peer = aiohttp.TCPConnector(local_addr=(OTHER_PEER, 0))
    async with aiohttp.ClientSession(connector=other_peer) as other_http:
        other = ChatApi(url, other_http)
        email, _ = await signed_up(other, "olga")
        tag = uuid.uuid4().hex[:8]

        async def sign_up(i: int) -> tuple[int, str | None]:
            body = {"email": f"flood-{tag}-{i}@example.com", "password": PASSWORD, "name": "F"}
            raw = await flood_api.raw("POST", "/api/auth/register", json_body=body)
            return raw.status, raw.headers.get("Retry-After")

        flood = [asyncio.create_task(sign_up(i)) for i in range(400)]
        # Once the service answers the first of them, this client has sent them all: from then
        # on a slow sign-in is the service's doing, not this process's own sending.
        await asyncio.wait(flood, return_when=asyncio.FIRST_COMPLETED)
        sign_ins: list[float] = []  # seconds, each while sign-ups of the flood were unanswered
        while not all(task.done() for task in flood):
            began = time.monotonic()
            assert await signs_in(other, email, PASSWORD)
            took = time.monotonic() - began
            if not all(task.done() for task in flood):
                sign_ins.append(took)
        answers = await asyncio.gather(*flood)

    assert len(sign_ins) >= 2, f"the flood was over after {len(sign_ins)} sign-ins"
    assert max(sign_ins) < 1.0, f"sign-in during the flood took {max(sign_ins):.2f} s at worst"
    statuses = sorted({status for status, _ in answers})
    assert set(statuses) <= {201, 429}, f"the flood was answered {statuses}"
    assert all(retry for status, retry in answers if status == 429), "a 429 had no Retry-After"
    assert any(status == 201 for status, _ in answers), "no sign-up of the flood went through"


def hashes_per_second(hashes: int = 12) -> float:
    """What this machine can hash right now with the service's default number of hashing
    threads (the machine is shared: the pace below follows it)."""
    threads = max(1, (os.cpu_count() or 1) - 1)
    began = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(hash_password, [PASSWORD] * hashes))
    return hashes / (time.monotonic() - began)


async def test_a_steady_stream_of_sign_ups_from_one_address_all_succeed(
    stack: Stack, http: aiohttp.ClientSession
) -> None:
    """A thousand a minute (about 17 a second) is what the load tests send from one machine;
    on a machine too busy to hash that fast, 60 % of what it can."""
    rate = min(1000 / 60, 0.6 * await asyncio.to_thread(hashes_per_second))
    api = ChatApi(stack.service_urls[0], http, timeout=30)
    tag = uuid.uuid4().hex[:8]
    began = time.monotonic()

    async def sign_up(i: int) -> int:
        await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))  # the pace of the load
        body = {"email": f"steady-{tag}-{i}@example.com", "password": PASSWORD, "name": "S"}
        return (await api.raw("POST", "/api/auth/register", json_body=body)).status

    statuses = await asyncio.gather(*(sign_up(i) for i in range(round(rate * 8))))
    refused = [s for s in statuses if s != 201]
    assert not refused, (
        f"{len(refused)} of {len(statuses)} sign-ups at {rate:.1f} a second were refused: "
        f"{refused[:5]}"
    )
