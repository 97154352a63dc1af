"""Every close the server starts completes the closing handshake.

Against the real stack, with two client libraries: `websockets` reports the code it received
even when the server drops TCP early, aiohttp's client reports 1006 then. Each case checks the
code each client reports, so a server that closes the TCP connection before the client's close
frame arrives fails the aiohttp cases.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import aiohttp
import pytest
import websockets.asyncio.client

from driver.client.api import ChatApi
from harness.stack import Stack, StackConfig
from service.delivery.replay import REPLAY_STALL_S
from tests.chat_clients import CLIENTS, Client, send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

every_client = pytest.mark.parametrize("client", sorted(CLIENTS))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    config = StackConfig.from_env(run_deadline_seconds=8, drain_seconds=2)
    with Stack(config) as running:
        yield running


async def _closed(client: Client, within_s: float = 10.0) -> int | None:
    code, _ = await client.read_until_closed(within_s)
    return code


@every_client
async def test_sign_out_closes_with_4401(stack: Stack, client: str) -> None:
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    async with CLIENTS[client](url, token) as chat:
        await chat.send({"type": "ping"})
        async with aiohttp.ClientSession() as session:
            await ChatApi(url, session).logout(token)
        assert await _closed(chat) == 4401


@every_client
async def test_too_many_bad_frames_close_with_1008(stack: Stack, client: str) -> None:
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    async with CLIENTS[client](url, token) as chat:
        for _ in range(11):
            await chat.send("not json")
        assert await _closed(chat) == 1008
        assert sum(f.get("error") == "invalid_json" for f in chat.frames) == 11


@every_client
async def test_a_flood_of_questions_closes_with_4429(stack: Stack, client: str) -> None:
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    async with CLIENTS[client](url, token) as chat:
        for _ in range(40):
            await chat.send(send_frame())
        assert await _closed(chat) == 4429


@every_client
async def test_shutdown_closes_with_1001(stack: Stack, client: str) -> None:
    service = stack.start_service()
    try:
        _, token = await sign_up(service.url)
        async with CLIENTS[client](service.url, token) as chat:
            await chat.send({"type": "ping"})
            service.terminate()
            assert await _closed(chat) == 1001
    finally:
        stack.retire_service(service)


async def _finished_run(url: str, token: str) -> str:
    """Ask one question on another device and wait for its answer: the run's id."""
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as asker:
        await asker.send(json.dumps(send_frame()))
        async with asyncio.timeout(15):
            async for raw in asker:
                frame = json.loads(raw)
                if frame.get("final"):
                    return str(frame["run_id"])
    raise AssertionError("the question was never answered")


@every_client
async def test_a_stalled_device_is_closed_with_4409(stack: Stack, client: str) -> None:
    service = stack.start_service({"SOCKET_OUTBOX_FRAMES": "8", "SOCKET_SEND_BUFFER_BYTES": "4096"})
    try:
        _, token = await sign_up(service.url)
        run_id = await _finished_run(service.url, token)
        async with CLIENTS[client](service.url, token, small_window=True) as stalled:
            # Three replays of ~400 events each: more than the client library, the kernel and
            # the service buffer between them (aiohttp's client alone takes in about 200 KiB).
            runs = [{"run_id": run_id, "last_seq": 0}] * 50
            for _ in range(3):
                await stalled.send({"type": "resume", "runs": runs})
            # The device stops reading for longer than the service waits for a stalled replay,
            # and reads again before the service gives up on the closing handshake (this is the
            # client's behaviour under test, not a wait for the service).
            await asyncio.sleep(REPLAY_STALL_S + 5)
            assert await _closed(stalled, within_s=30) == 4409
    finally:
        stack.retire_service(service)
