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
from typing import Any

import pytest
from aiohttp import web

from driver.client.eventually import eventually
from harness.redis import EmbeddedRedis
from service.app import redis_client, subscriber_client
from service.delivery.bus import Bus, user_channel
from service.delivery.chat.hub import Connection, Hub
from service.delivery.streams import Outgoing, stream_key

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


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


def _calls(info: dict[str, Any], command: str) -> int:
    return int(info.get(f"cmdstat_{command}", {}).get("calls", 0))


async def test_a_batch_goes_out_in_one_script_call_as_the_same_text(
    redis_server: EmbeddedRedis,
) -> None:
    """A batch of events is streamed and published in one script call (issue 19: XADD, EXPIRE
    and PUBLISH per event were the largest cost of a busy instance); another instance gets
    exactly json.dumps of {"origin", "frame"}, as before; a stream's TTL is set by its first
    event and renewed by its final one, not by each."""
    client = redis_client(redis_server.url, max_connections=4)
    subscriber = subscriber_client(redis_server.url)
    elsewhere = Hub()
    there = Connection(web.WebSocketResponse(), uuid.uuid4(), uuid.uuid4(), time.time() + 60)
    elsewhere.add(there)
    other = Bus(client, elsewhere, subscriber=subscriber, instance_id="other")
    this = Bus(client, Hub(), subscriber=subscriber, instance_id="this")
    listening = asyncio.create_task(other.listen())
    run = str(uuid.uuid4())

    def event(seq: int, final: bool = False) -> Outgoing:
        envelope = {"type": "agent_thinking", "run_id": run, "seq": seq, "final": final}
        return Outgoing(there.user_id, envelope, json.dumps(envelope))

    try:
        await eventually(lambda: other.listening, timeout=5, describe="the bus subscribed")
        # The first call also loads the script into Redis (EVALSHA, SCRIPT LOAD, EVALSHA).
        warm = {"type": "agent_thinking", "run_id": str(uuid.uuid4()), "seq": 1, "final": True}
        await this.publish_elsewhere([Outgoing(uuid.uuid4(), warm, json.dumps(warm))])
        raw = subscriber.pubsub()
        await raw.subscribe(user_channel(there.user_id))
        await client.config_resetstat()
        await this.publish_elsewhere([event(1), event(2), event(3)])
        info = await client.info("commandstats")
        assert (_calls(info, "evalsha") + _calls(info, "eval"), _calls(info, "multi")) == (1, 0)
        await eventually(lambda: len(there.outbox) == 3, timeout=5, describe="all three there")
        assert [there.outbox.get_nowait() for _ in range(3)] == [
            event(n).envelope for n in (1, 2, 3)
        ]
        bodies: list[bytes] = []
        async with asyncio.timeout(5):
            while len(bodies) < 3:
                message = await raw.get_message(timeout=1)
                if message is not None and message["type"] == "message":
                    bodies.append(message["data"])
        await raw.aclose()  # type: ignore[no-untyped-call]
        # Byte for byte what an instance of the previous release publishes and reads.
        expected = [json.dumps({"origin": "this", "frame": event(n).envelope}) for n in (1, 2, 3)]
        assert bodies == [e.encode() for e in expected]
        key = stream_key(run)
        assert _calls(info, "expire") == 1 and 0 < await client.ttl(key)
        await client.expire(key, 100)
        await this.publish_elsewhere([event(4)])
        assert 0 < await client.ttl(key) <= 100  # not renewed by each event
        await this.publish_elsewhere([event(5, final=True)])
        assert await client.ttl(key) > 100  # renewed by the final one
        assert await client.xlen(key) == 5
    finally:
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
        await subscriber.aclose()
        await client.aclose()
