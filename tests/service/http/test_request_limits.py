"""The HTTP edge of the real service: the request deadline, browser preflights, passes never
cached, bounded header fields."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import asyncpg
import pytest

from driver.client.api import ChatApi
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

ORIGIN = "http://localhost:3000"
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(allowed_origins=(ORIGIN,))) as running:
        yield running


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[ChatApi]:
    async with aiohttp.ClientSession() as session:
        yield ChatApi(stack.service_urls[0], session, timeout=15)


async def signed_in(api: ChatApi) -> tuple[str, str]:
    email = f"edge-{uuid.uuid4().hex[:10]}@example.com"
    await api.register(email, PASSWORD, "Eddie")
    return email, (await api.login(email, PASSWORD)).access_token


async def test_an_upgrade_header_does_not_lift_the_request_deadline(
    stack: Stack, api: ChatApi
) -> None:
    _, token = await signed_in(api)
    locker = await asyncpg.connect(stack.database_url)
    try:
        async with locker.transaction():
            await locker.execute("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")  # /api/me waits
            began = time.monotonic()
            answer = await api.raw(
                "GET",
                "/api/me",
                access=token,
                headers={"Upgrade": "websocket", "Connection": "Upgrade"},
            )
            took = time.monotonic() - began
    finally:
        await locker.close()
    assert (answer.status, answer.json()["error"]) == (503, "temporarily_unavailable"), answer
    assert took < 7, f"the answer took {took:.1f} s"


async def test_a_browser_preflight_is_answered_for_allowed_origins_only(api: ChatApi) -> None:
    ask = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    allowed = await api.raw("OPTIONS", "/api/auth/login", headers={"Origin": ORIGIN, **ask})
    assert allowed.status == 204, allowed
    assert allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "authorization" in allowed.headers["Access-Control-Allow-Headers"].lower()

    other = await api.raw(
        "OPTIONS", "/api/auth/login", headers={"Origin": "https://evil.example", **ask}
    )
    assert (other.status, other.json()["error"]) == (403, "origin_not_allowed"), other

    email = f"cors-{uuid.uuid4().hex[:10]}@example.com"
    await api.register(email, PASSWORD, "Cora")
    body = {"email": email, "password": PASSWORD}
    from_app = await api.raw("POST", "/api/auth/login", json_body=body, headers={"Origin": ORIGIN})
    assert from_app.headers.get("Access-Control-Allow-Origin") == ORIGIN
    from_evil = await api.raw(
        "POST", "/api/auth/login", json_body=body, headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in from_evil.headers


async def test_answers_carrying_passes_are_never_cached(api: ChatApi) -> None:
    email = f"cache-{uuid.uuid4().hex[:10]}@example.com"
    await api.register(email, PASSWORD, "Cass")
    login = await api.raw(
        "POST", "/api/auth/login", json_body={"email": email, "password": PASSWORD}
    )
    refresh_token = login.json()["refresh_token"]
    refresh = await api.raw("POST", "/api/auth/refresh", json_body={"refresh_token": refresh_token})
    for name, answer in (("sign-in", login), ("renewal", refresh)):
        assert answer.status == 200, answer
        assert answer.headers.get("Cache-Control") == "no-store", f"{name}: {answer.headers}"


async def test_header_fields_are_bounded_but_an_oversized_pass_is_still_invalid_token(
    api: ChatApi,
) -> None:
    big = await api.raw("GET", "/healthz", headers={"X-Filler": "x" * 64 * 1024})
    assert big.status == 400, f"a 64 KiB header field was answered {big.status}"
    oversized_pass = await api.raw("GET", "/api/me", access="x" * 12 * 1024)
    assert oversized_pass.status == 401 and oversized_pass.json()["error"] == "invalid_token"
