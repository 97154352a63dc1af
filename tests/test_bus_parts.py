"""The fan-out bus against a real Redis: an instance reads the body of another instance's
publication only for the people with a socket on it (issue 18: every instance parsed every
person's events)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Iterator

import pytest
from aiohttp import web

from driver.eventually import eventually
from fixtures.redis import EmbeddedRedis
from service.app import redis_client, subscriber_client
from service.delivery.bus import Bus, user_channel
from service.delivery.chat.hub import Connection, Hub


@pytest.fixture
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


async def test_publications_for_people_elsewhere_are_not_parsed(
    redis_server: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    client = redis_client(redis_server.url, max_connections=4)
    subscriber = subscriber_client(redis_server.url)
    hub = Hub()
    here = Connection(web.WebSocketResponse(), uuid.uuid4(), uuid.uuid4(), time.time() + 60)
    hub.add(here)
    bus = Bus(client, hub, subscriber=subscriber, instance_id="this")
    listening = asyncio.create_task(bus.listen())
    try:
        await eventually(lambda: bus.listening, timeout=5, describe="the bus subscribed")
        with caplog.at_level(logging.WARNING, logger="service.bus"):
            # Not parsed: nobody here; an unreadable body would be logged if it were read.
            await client.publish(user_channel(uuid.uuid4()), b"{not json")
            frame = {"type": "agent_progress", "run_id": "r", "seq": 1}
            body = json.dumps({"origin": "other", "frame": frame})
            await client.publish(user_channel(here.user_id), body)
            await eventually(lambda: not here.outbox.empty(), timeout=5, describe="delivered here")
        assert here.outbox.get_nowait() == frame
        assert not [r for r in caplog.records if "unreadable" in r.getMessage()]
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await subscriber.aclose()
        await client.aclose()


async def test_own_publications_are_not_parsed(
    redis_server: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """An instance hears its own publications (issue 19: parsing them was a tenth of a busy
    instance's time): recognised by their first bytes, they are dropped unread."""
    client = redis_client(redis_server.url, max_connections=4)
    subscriber = subscriber_client(redis_server.url)
    hub = Hub()
    here = Connection(web.WebSocketResponse(), uuid.uuid4(), uuid.uuid4(), time.time() + 60)
    hub.add(here)
    bus = Bus(client, hub, subscriber=subscriber, instance_id="this")
    listening = asyncio.create_task(bus.listen())
    try:
        await eventually(lambda: bus.listening, timeout=5, describe="the bus subscribed")
        with caplog.at_level(logging.WARNING, logger="service.bus"):
            # Its own: were it read, the body would be logged as unreadable.
            own = json.dumps({"origin": "this"})[:-1] + ', "frame": {not json'
            await client.publish(user_channel(here.user_id), own)
            # A look-alike from another instance ("this-too") still arrives, after the first.
            frame = {"type": "agent_progress", "run_id": "r", "seq": 1}
            body = json.dumps({"origin": "this-too", "frame": frame})
            await client.publish(user_channel(here.user_id), body)
            await eventually(lambda: not here.outbox.empty(), timeout=5, describe="delivered here")
        assert here.outbox.get_nowait() == frame
        assert not [r for r in caplog.records if "unreadable" in r.getMessage()]
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await subscriber.aclose()
        await client.aclose()
