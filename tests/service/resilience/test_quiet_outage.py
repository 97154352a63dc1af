"""While Redis is down, the service log says so once per outage, not once per request or event
(issue 18: log flooding), and once more when Redis is back; on the real stack, Redis cut off
by its fault proxy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets.asyncio.client

from driver.client.api import ChatApi
from driver.client.eventually import eventually
from harness.stack import Stack, StackConfig
from tests.chat_clients import send_frame, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

PASSWORD = "a long enough password"
REQUESTS = 40
# Each kind of failure writes its first line; a handful of kinds is touched by the requests.
MOST_WARNINGS = 15


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(fault_proxies=True)) as running:
        yield running


def _lines(path: Path, start: int) -> list[dict[str, Any]]:
    with path.open("rb") as log:
        log.seek(start)
        text = log.read().decode(errors="replace")
    lines = []
    for raw in text.splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            continue
    return lines


async def test_a_redis_outage_is_logged_once_not_per_request(stack: Stack) -> None:
    instance = stack.services[0]
    email = "quiet-outage@example.com"
    async with aiohttp.ClientSession() as http:
        api = ChatApi(instance.url, http)
        await api.register(email, PASSWORD, "Quiet")
        access = (await api.login(email, PASSWORD)).access_token
        async with websockets.asyncio.client.connect(
            ws_url(instance.url), additional_headers={"Authorization": f"Bearer {access}"}
        ) as chat:
            start = instance.log_path.stat().st_size
            stack.proxies["redis"].set_fault("down")
            try:
                for _ in range(REQUESTS):  # sign-ins, signed-in calls and questions
                    await api.login(email, PASSWORD)
                    await api.threads(access)
                for _ in range(3):
                    await chat.send(json.dumps(send_frame()))
                    async with asyncio.timeout(15):
                        while not json.loads(await chat.recv()).get("final"):
                            pass
            finally:
                stack.proxies["redis"].set_fault("normal")

        during = _lines(instance.log_path, start)
        warnings = [line["msg"] for line in during if line.get("level") == "WARNING"]
        assert 0 < len(warnings) <= MOST_WARNINGS, "\n".join(warnings)

        async def healed() -> None:
            await api.threads(access)  # its revocation check asks Redis again
            infos = [line["msg"] for line in _lines(instance.log_path, start)]
            assert any(msg.startswith("Redis works again") for msg in infos), infos[-20:]

        await eventually(healed, timeout=20, describe="the log says Redis works again")
