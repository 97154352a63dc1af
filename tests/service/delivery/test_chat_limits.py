"""The chat limits: with Redis unreachable each instance still applies them; with Redis, every
instance keeps Redis's clock, whatever its own says."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from redis.asyncio import Redis

from harness.redis import EmbeddedRedis
from service.app import redis_client
from service.delivery.chat.person_limits import (
    RENEW_BATCH,
    SEND_BURST,
    TICKET_TTL_S,
    PersonLimits,
)
from service.errors import TooManyChats

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


async def test_without_redis_the_limits_hold_per_instance() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limits = PersonLimits(unreachable, instance_id="test")
    alice, bob = uuid.uuid4(), uuid.uuid4()
    first = await limits.open(alice, max_chats=2)
    await limits.open(alice, max_chats=2)
    with pytest.raises(TooManyChats) as refused:
        await limits.open(alice, max_chats=2)
    assert (refused.value.status, refused.value.code) == (429, "too_many_chats")
    await limits.open(bob, max_chats=2)  # others are unaffected
    await limits.close(first)
    await limits.open(alice, max_chats=2)  # a closed chat makes room

    waits = [(await limits.take_question(alice, 100)).wait for _ in range(int(SEND_BURST) + 1)]
    assert waits[:-1] == [0.0] * int(SEND_BURST) and waits[-1] > 0
    assert (await limits.take_question(bob, 100)).wait == 0.0
    assert await limits.resume_wait(alice, 100) == 0.0
    assert await limits.resume_wait(alice, 50) > 0
    await unreachable.aclose()


@pytest.fixture
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


async def test_the_shared_limits_keep_redis_time_not_the_instance_clock(
    redis_server: EmbeddedRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two instances, one with its clock an hour ahead: the ahead one neither sees the other's
    open chats as lapsed nor finds the question bucket refilled."""
    client = redis_client(redis_server.url, max_connections=4)
    here = PersonLimits(client, instance_id="here")
    ahead = PersonLimits(client, instance_id="ahead")
    alice = uuid.uuid4()
    try:
        await here.open(alice, max_chats=2)
        await here.open(alice, max_chats=2)
        for _ in range(int(SEND_BURST)):
            assert (await here.take_question(alice, 100)).wait == 0.0
        skewed = time.time() + 3600
        monkeypatch.setattr(time, "time", lambda: skewed)
        with pytest.raises(TooManyChats):
            await ahead.open(alice, max_chats=2)
        assert (await ahead.take_question(alice, 100)).wait > 0
    finally:
        await client.aclose()


async def test_renewal_pushes_every_held_ticket_a_lifetime_ahead_in_batches(
    redis_server: EmbeddedRedis,
) -> None:
    """More tickets than one script call takes (RENEW_BATCH): each one, in every batch, is
    pushed a lifetime ahead of Redis's clock and its person's set kept as long; a closed one is
    not renewed."""
    client = redis_client(redis_server.url, max_connections=4)
    limits = PersonLimits(client, instance_id="here")
    people = [uuid.uuid4() for _ in range(RENEW_BATCH * 2 + 7)]
    try:
        tickets = [await limits.open(person, max_chats=2) for person in people]
        closed = tickets.pop()
        await limits.close(closed)
        # Every place about to lapse, as if the last renewal were long ago.
        for ticket in tickets:
            key = f"chat:open:{ticket.user_id}"
            await client.zadd(key, {ticket.member: 1.0})
            await client.pexpire(key, 1_000)
        assert await limits.renew() == len(tickets)
        seconds, micros = await client.time()
        now = seconds + micros / 1_000_000
        for ticket in tickets:
            key = f"chat:open:{ticket.user_id}"
            lapses = await client.zscore(key, ticket.member)
            assert lapses is not None and lapses > now + TICKET_TTL_S - 5, ticket
            assert await client.pttl(key) > (TICKET_TTL_S - 5) * 1000, ticket
        assert await client.zscore(f"chat:open:{closed.user_id}", closed.member) is None
    finally:
        await client.aclose()
