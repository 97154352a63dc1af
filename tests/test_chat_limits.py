"""The chat limits' local fallback: with Redis unreachable each instance still applies them."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from service.delivery.chat.chat_limits import SEND_BURST, ChatLimits
from service.errors import TooManyChats


async def test_without_redis_the_limits_hold_per_instance() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limits = ChatLimits(unreachable, instance_id="test")
    alice, bob = uuid.uuid4(), uuid.uuid4()
    first = await limits.open(alice, max_chats=2)
    await limits.open(alice, max_chats=2)
    with pytest.raises(TooManyChats) as refused:
        await limits.open(alice, max_chats=2)
    assert (refused.value.status, refused.value.code) == (429, "too_many_chats")
    await limits.open(bob, max_chats=2)  # others are unaffected
    await limits.close(first)
    await limits.open(alice, max_chats=2)  # a closed chat makes room

    waits = [await limits.send_wait(alice) for _ in range(int(SEND_BURST) + 1)]
    assert waits[:-1] == [0.0] * int(SEND_BURST) and waits[-1] > 0
    assert await limits.send_wait(bob) == 0.0
    assert await limits.resume_wait(alice, 100) == 0.0
    assert await limits.resume_wait(alice, 50) > 0
    await unreachable.aclose()
