"""Cross-instance delivery on the real stack: garbage on the live channels, instances without an id.

Two instances started WITHOUT `INSTANCE_ID` (each must still get an id of its own), one person
with a device on each: a question asked on one is followed live on the other, also after garbage
was published on the live channels, and readiness says when live delivery is down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import redis.asyncio
import websockets.asyncio.client
from websockets.asyncio.client import ClientConnection

from driver.client.api import ChatApi
from driver.client.eventually import eventually
from harness.services import ServiceProcess
from harness.stack import Stack, StackConfig
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

GARBAGE = [
    b"not json",
    b"\xff\xfe\x00",
    b"[1, 2, 3]",
    b'{"origin": "elsewhere"}',
    b'{"origin": 1, "frame": 2}',
    b'{"origin": "elsewhere", "frame": {"type": "ping"}, "extra": ' + b"[" * 50_000 + b"]}",
    b"[" * 100_000,
]


class WithoutInstanceId(ServiceProcess):
    """An instance started the way a deployment that forgot INSTANCE_ID starts it."""

    def _env(self) -> dict[str, str]:
        env = super()._env()
        del env["INSTANCE_ID"]
        return env


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Stack, list[ServiceProcess]]]:
    with Stack(StackConfig.from_env(instances=0)) as running:
        services = [
            WithoutInstanceId(
                settings=running.service_settings(),
                instance_id=f"anonymous-{n}",
                log_path=running.log_dir / f"anonymous-{n}.log",
            )
            for n in (1, 2)
        ]
        try:
            for service in services:
                service.start()
            yield running, services
        finally:
            for service in services:
                service.stop()


@pytest.fixture
async def redis_client(
    stack: tuple[Stack, list[ServiceProcess]],
) -> AsyncIterator[redis.asyncio.Redis]:
    client = redis.asyncio.Redis.from_url(stack[0].redis_url)
    yield client
    await client.aclose()


async def _open(url: str, token: str) -> ClientConnection:
    return await websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    )


async def _followed_on_other_instance(first: str, second: str) -> list[dict[str, Any]]:
    """Ask on a device on `first`; the events the device on `second` sees, up to the answer."""
    _, token = await sign_up(first)
    async with await _open(first, token) as laptop, await _open(second, token) as phone:
        await phone.send(json.dumps({"type": "ping"}))
        assert json.loads(await phone.recv())["type"] == "pong"  # the phone's socket is joined
        await laptop.send(json.dumps(send_frame()))
        seen: list[dict[str, Any]] = []
        try:
            async with asyncio.timeout(10):
                async for raw in phone:
                    seen.append(json.loads(raw))
                    if seen[-1].get("final"):
                        break
        except TimeoutError:
            raise AssertionError(f"the other instance's device saw only {seen}") from None
        return seen


async def _readiness(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        status, body = await ChatApi(url, session).readyz()
    assert status == 200, body
    return dict(body)


async def test_instances_started_without_an_id_deliver_each_others_events(
    stack: tuple[Stack, list[ServiceProcess]],
) -> None:
    first, second = (service.url for service in stack[1])
    seen = await _followed_on_other_instance(first, second)
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    assert seen[-1]["type"] == "agent_completed"


async def test_garbage_on_the_live_channels_stops_nothing(
    stack: tuple[Stack, list[ServiceProcess]], redis_client: redis.asyncio.Redis
) -> None:
    first, second = (service.url for service in stack[1])
    user_id, _ = await sign_up(first)
    for payload in GARBAGE:
        await redis_client.publish(f"chat:user:{user_id}", payload)
        await redis_client.publish("chat:user:not-a-person", payload)
        await redis_client.publish("auth:revocations", payload)
    await redis_client.publish("auth:revocations", json.dumps({"sessions": [5, None]}))
    await redis_client.publish("auth:revocations", json.dumps({"sessions": {"a": 1}}))

    for url in (first, second):
        assert (await _readiness(url))["live_delivery"] == "ok"
    seen = await _followed_on_other_instance(first, second)
    assert seen[-1]["type"] == "agent_completed"
    # The revocation channel still works too: a sign-out on one instance closes the person's
    # device on the other at once (well before the 5 s sweep would).
    _, token = await sign_up(first)
    async with await _open(second, token) as phone:
        await phone.send(json.dumps({"type": "ping"}))
        await phone.recv()
        async with aiohttp.ClientSession() as session:
            await ChatApi(first, session).logout(token)
        async with asyncio.timeout(2):
            await phone.wait_closed()
        assert phone.close_code == 4401


async def test_readiness_says_when_live_delivery_is_down(
    stack: tuple[Stack, list[ServiceProcess]], redis_client: redis.asyncio.Redis
) -> None:
    url = stack[1][0].url
    # Subscriptions are refused from now on; the instances' current ones are cut.
    await redis_client.execute_command("ACL", "SETUSER", "default", "resetchannels")
    try:
        await redis_client.client_kill_filter(_type="pubsub")

        async def degraded() -> bool:
            return (await _readiness(url))["live_delivery"] == "degraded"

        await eventually(degraded, timeout=5, describe="readiness never said degraded")
    finally:
        await redis_client.execute_command("ACL", "SETUSER", "default", "allchannels")

    async def live_again() -> bool:
        return (await _readiness(url))["live_delivery"] == "ok"

    await eventually(live_again, timeout=5, describe="live delivery never came back")
