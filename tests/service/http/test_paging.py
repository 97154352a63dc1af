"""Thread and message lists come in bounded pages (`limit`, `before`), on the real stack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import websockets.asyncio.client

from harness.stack import Stack, StackConfig
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env()) as running:
        yield running


async def _get(url: str, token: str, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.get(url + path, headers={"Authorization": f"Bearer {token}"}) as r:
            return r.status, await r.json()


async def _ask_in_new_threads(url: str, token: str, count: int) -> list[str]:
    """Ask `count` questions, each starting a thread, and wait for every answer: thread ids."""
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        threads: list[str] = []
        finals = 0
        for _ in range(count):
            await chat.send(json.dumps(send_frame()))
        while finals < count:
            frame = json.loads(await chat.recv())
            if frame.get("type") == "ack":
                threads.append(frame["thread_id"])
            finals += bool(frame.get("final"))
    return threads


async def test_threads_and_messages_come_in_pages(stack: Stack) -> None:
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    asked = await _ask_in_new_threads(url, token, 5)

    status, everything = await _get(url, token, "/api/threads")
    assert status == 200 and len(everything) == 5  # the default page holds a small account
    newest_first = [t["thread_id"] for t in everything]
    assert set(newest_first) == set(asked)
    pages, before = [], ""
    while True:
        status, page = await _get(url, token, f"/api/threads?limit=2{before}")
        assert status == 200
        if not page:
            break
        pages.append([t["thread_id"] for t in page])
        before = f"&before={page[-1]['thread_id']}"
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [t for p in pages for t in p] == newest_first

    thread = asked[0]
    _, messages = await _get(url, token, f"/api/threads/{thread}/messages")
    assert [m["role"] for m in messages] == ["user", "assistant"]
    _, newest = await _get(url, token, f"/api/threads/{thread}/messages?limit=1")
    assert newest == messages[1:]
    before = newest[0]["message_id"]
    _, older = await _get(url, token, f"/api/threads/{thread}/messages?limit=1&before={before}")
    assert older == messages[:1]


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=-1", "limit=abc", "limit=100000", "limit=1e3", "before=yesterday"],
)
async def test_a_bad_page_request_is_a_clear_400(stack: Stack, query: str) -> None:
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    for path in ("/api/threads", "/api/threads/00000000-0000-4000-8000-000000000000/messages"):
        status, body = await _get(url, token, f"{path}?{query}")
        assert (status, body["error"]) == (400, "invalid_request"), (path, body)


async def test_a_page_before_someone_elses_thread_is_refused(stack: Stack) -> None:
    url = stack.service_urls[0]
    _, alice = await sign_up(url)
    _, bob = await sign_up(url)
    [bobs_thread] = await _ask_in_new_threads(url, bob, 1)
    status, body = await _get(url, alice, f"/api/threads?before={bobs_thread}")
    assert (status, body["error"]) == (400, "invalid_request")
