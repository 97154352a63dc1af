"""The service's edge on a real instance: the real client behind a trusted proxy
(TRUSTED_PROXIES), request ids, the access log, and the run log lines that carry the id.

The test plays the trusted proxy from 127.0.0.1 (the instance trusts it) and an untrusted peer
from 127.0.0.2 (Linux routes all of 127.0.0.0/8 to the loopback interface)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from driver.client.eventually import eventually
from harness.stack import Stack, StackConfig
from tests.chat_clients import send_frame, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

PROXY = "127.0.0.1"
STRANGER = "127.0.0.2"
PASSWORD = "a long enough password"
HEX_ID = re.compile(r"[0-9a-f]{32}")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # One hashing thread and two hashes waiting per address: a burst from one address is
    # refused quickly, which shows whose address the hashing line sees.
    extra = {
        "TRUSTED_PROXIES": f"{PROXY}, ::1",
        "PASSWORD_HASH_WORKERS": "1",
        "PASSWORD_QUEUE_PER_ADDRESS": "2",
    }
    with Stack(StackConfig.from_env(extra_env=extra, allowed_origins=())) as running:
        yield running


@asynccontextmanager
async def peer(address: str) -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client whose TCP connections come from `address`."""
    connector = aiohttp.TCPConnector(local_addr=(address, 0), force_close=True)
    async with aiohttp.ClientSession(connector=connector) as session:
        yield session


def access_lines(stack: Stack) -> list[dict[str, Any]]:
    path = stack.log_paths()[stack.services[0].instance_id]
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "service.access"]


def access_line(stack: Stack, request_id: str) -> dict[str, Any]:
    found = [line for line in access_lines(stack) if line.get("request_id") == request_id]
    assert len(found) == 1, f"{len(found)} access log lines for request {request_id}"
    return found[0]


async def seen_as(stack: Stack, session: aiohttp.ClientSession, headers: dict[str, str]) -> str:
    """The client address the instance logged for one request with these headers."""
    async with session.get(f"{stack.service_urls[0]}/healthz", headers=headers) as answer:
        assert answer.status == 200, await answer.text()
        request_id = answer.headers["X-Request-Id"]
    return str(access_line(stack, request_id)["remote"])


async def sign_up(stack: Stack, session: aiohttp.ClientSession, client: str) -> str:
    email = f"edge-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "Eddie"}
    url = f"{stack.service_urls[0]}/api/auth/register"
    async with session.post(url, json=body, headers={"X-Forwarded-For": client}) as answer:
        assert answer.status == 201, await answer.text()
    return email


async def sign_in(
    stack: Stack, session: aiohttp.ClientSession, email: str, client: str
) -> tuple[int, dict[str, Any]]:
    url = f"{stack.service_urls[0]}/api/auth/login"
    body = {"email": email, "password": PASSWORD}
    async with session.post(url, json=body, headers={"X-Forwarded-For": client}) as answer:
        return answer.status, await answer.json()


# --- trusted proxies ---------------------------------------------------------------------------


async def test_a_trusted_proxy_names_the_client_and_anyone_else_is_ignored(stack: Stack) -> None:
    async with peer(PROXY) as proxy, peer(STRANGER) as stranger:
        assert await seen_as(stack, stranger, {"X-Forwarded-For": "203.0.113.7"}) == STRANGER
        assert await seen_as(stack, stranger, {"Forwarded": "for=203.0.113.7"}) == STRANGER
        assert await seen_as(stack, proxy, {}) == PROXY
        # The rightmost address that is not a trusted proxy; what a client wrote further left
        # is not read.
        chain = "198.51.100.1, 203.0.113.7, 127.0.0.1"
        assert await seen_as(stack, proxy, {"X-Forwarded-For": chain}) == "203.0.113.7"
        forwarded = 'for=198.51.100.1, for="[2001:db8::7]:4711";proto=https, for=127.0.0.1'
        assert await seen_as(stack, proxy, {"Forwarded": forwarded}) == "2001:db8::7"
        # Malformed values are ignored: the peer stays the client, and nothing fails.
        for bad in ("not-an-address", "203.0.113.7, ???", ""):
            assert await seen_as(stack, proxy, {"X-Forwarded-For": bad}) == PROXY
        assert await seen_as(stack, proxy, {"Forwarded": "for"}) == PROXY


async def test_the_hashing_line_is_fair_per_real_client_behind_the_proxy(stack: Stack) -> None:
    async with peer(PROXY) as proxy:
        bob = await sign_up(stack, proxy, "203.0.113.20")
        # A burst of sign-ups from one client behind the proxy, and Bob's sign-ins at once.
        burst = [sign_up_status(stack, proxy, "203.0.113.10") for _ in range(20)]
        bobs = [sign_in(stack, proxy, bob, "203.0.113.20") for _ in range(2)]
        answers = await asyncio.gather(*burst, *bobs)
    burst_statuses, bob_statuses = answers[:20], [status for status, _ in answers[20:]]
    assert 429 in burst_statuses, f"the burst was never refused: {burst_statuses}"
    assert bob_statuses == [200, 200], f"Bob was refused by someone else's burst: {answers[20:]}"


async def sign_up_status(stack: Stack, session: aiohttp.ClientSession, client: str) -> int:
    email = f"burst-{uuid.uuid4().hex[:10]}@example.com"
    body = {"email": email, "password": PASSWORD, "name": "Burst"}
    url = f"{stack.service_urls[0]}/api/auth/register"
    async with session.post(url, json=body, headers={"X-Forwarded-For": client}) as answer:
        return answer.status


async def open_chat(
    stack: Stack, session: aiohttp.ClientSession, token: str, headers: dict[str, str]
) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(
        ws_url(stack.service_urls[0]),
        headers={"Authorization": f"Bearer {token}", **headers},
        protocols=("chat.v1",),
    )


async def test_same_origin_behind_a_tls_proxy_is_accepted_but_not_from_anyone_else(
    stack: Stack,
) -> None:
    # The public page is https://chat.example; the proxy terminates TLS and passes Host on.
    behind_tls = {
        "Origin": "https://chat.example",
        "Host": "chat.example",
        "X-Forwarded-Proto": "https",
    }
    async with peer(PROXY) as proxy, peer(STRANGER) as stranger:
        email = await sign_up(stack, proxy, "203.0.113.30")
        status, tokens = await sign_in(stack, proxy, email, "203.0.113.30")
        assert status == 200, tokens
        ws = await open_chat(stack, proxy, tokens["access_token"], behind_tls)
        assert ws.protocol == "chat.v1"
        await ws.close()
        # X-Forwarded-Host names the public host too.
        via_host = {**behind_tls, "Host": "10.0.0.5:8080", "X-Forwarded-Host": "chat.example"}
        ws = await open_chat(stack, proxy, tokens["access_token"], via_host)
        await ws.close()
        # A forged X-Forwarded-Proto from an untrusted peer changes nothing: http://chat.example
        # is what it really asked for, and https://chat.example is another origin.
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await open_chat(stack, stranger, tokens["access_token"], behind_tls)
        assert refused.value.status == 403


# --- request ids -------------------------------------------------------------------------------


async def test_an_error_carries_its_request_id_in_the_body_and_the_header(stack: Stack) -> None:
    async with peer(STRANGER) as stranger:
        async with stranger.get(f"{stack.service_urls[0]}/api/me") as answer:
            body = await answer.json()
            assert answer.status == 401
            assert body["request_id"] == answer.headers["X-Request-Id"]
            assert HEX_ID.fullmatch(body["request_id"]), body
        async with stranger.get(f"{stack.service_urls[0]}/no/such/page") as missing:
            assert (await missing.json())["request_id"] == missing.headers["X-Request-Id"]
        # A chat handshake refused before the upgrade too.
        async with stranger.get(ws_url(stack.service_urls[0]).replace("ws", "http", 1)) as ws:
            body = await ws.json()
            assert (ws.status, body["error"]) == (401, "invalid_token")
            assert body["request_id"] == ws.headers["X-Request-Id"]


async def test_a_trusted_proxys_request_id_is_kept_and_anyone_elses_replaced(stack: Stack) -> None:
    url = f"{stack.service_urls[0]}/api/me"
    async with peer(PROXY) as proxy, peer(STRANGER) as stranger:
        async with proxy.get(url, headers={"X-Request-Id": "lb-7f3a:0042.x_y-z"}) as kept:
            assert kept.headers["X-Request-Id"] == "lb-7f3a:0042.x_y-z"
            assert (await kept.json())["request_id"] == "lb-7f3a:0042.x_y-z"
        for invalid in ("has spaces", "x" * 129, "semi;colon"):
            async with proxy.get(url, headers={"X-Request-Id": invalid}) as made:
                assert HEX_ID.fullmatch(made.headers["X-Request-Id"]), invalid
        async with stranger.get(url, headers={"X-Request-Id": "forged-by-a-stranger"}) as made:
            assert HEX_ID.fullmatch(made.headers["X-Request-Id"])


async def test_the_access_log_has_one_line_per_request_without_query_or_pass(stack: Stack) -> None:
    async with peer(PROXY) as proxy:
        email = await sign_up(stack, proxy, "203.0.113.40")
        _, tokens = await sign_in(stack, proxy, email, "203.0.113.40")
        token = tokens["access_token"]
        async with proxy.get(f"{stack.service_urls[0]}/api/me", headers=_bearer(token)) as me:
            user_id = (await me.json())["user_id"]
        url = f"{stack.service_urls[0]}/api/threads?q=confidential-words"
        headers = {**_bearer(token), "X-Forwarded-For": "203.0.113.40"}
        async with proxy.get(url, headers=headers) as answer:
            request_id = answer.headers["X-Request-Id"]
            status = answer.status
    line = access_line(stack, request_id)
    assert line["method"] == "GET" and line["path"] == "/api/threads", line
    assert line["status"] == status and isinstance(line["duration_ms"], float), line
    assert (line["remote"], line["user_id"]) == ("203.0.113.40", user_id), line
    raw = json.dumps(access_lines(stack))
    assert "confidential-words" not in raw and token not in raw


async def test_a_runs_log_lines_carry_the_chats_request_id(stack: Stack) -> None:
    async with peer(PROXY) as proxy:
        email = await sign_up(stack, proxy, "203.0.113.50")
        _, tokens = await sign_in(stack, proxy, email, "203.0.113.50")
        trace = f"trace-{uuid.uuid4().hex[:8]}"
        ws = await open_chat(stack, proxy, tokens["access_token"], {"X-Request-Id": trace})
        assert ws._response.headers["X-Request-Id"] == trace  # the upgrade's answer too
        await ws.send_json(send_frame())
        run_id = None
        async with asyncio.timeout(30):
            async for message in ws:
                frame = json.loads(message.data)
                run_id = frame.get("run_id", run_id)
                if frame.get("final"):
                    break
        await ws.close()
    assert run_id is not None

    def run_lines() -> list[dict[str, Any]]:
        path = stack.log_paths()[stack.services[0].instance_id]
        lines = [json.loads(x) for x in path.read_text().splitlines() if x.startswith("{")]
        found = [line for line in lines if line.get("run_id") == run_id]
        assert any(line["msg"].startswith("run ended") for line in found), found
        return found

    found = await eventually(run_lines, timeout=5, describe="the run's log lines")
    assert {line.get("request_id") for line in found} == {trace}, found
    # The socket's own access log line, once it has closed: 101, and the signed-in person.
    chat = await eventually(
        lambda: access_line(stack, trace), timeout=5, describe="the chat's access log line"
    )
    assert (chat["path"], chat["status"]) == ("/ws", 101), chat
    assert chat["user_id"] is not None and chat["remote"] == PROXY, chat


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
