"""A crowd opening the chat at once (issue 19): the handshakes take turns, share their round
trips, and a refusal for load says `busy` with Retry-After, which the driver honours (an idle
chat's outbox: tests/service/delivery/test_outbox_writes.py)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterator

import pytest
import websockets
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol

from driver.client.socket import ChatSocket, patiently_busy
from harness.people_in_bulk import Person, people
from harness.stack import Stack, StackConfig
from service.app import create_app
from service.coalesce import Coalescer
from service.delivery.chat.arrivals import HandshakeLine
from service.errors import Busy
from service.keys import ARRIVALS
from service.settings import Settings

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

CROWD = 300


# -- the line, alone
async def test_the_line_lets_at_most_its_size_in_at_once_in_order_of_arrival() -> None:
    line = HandshakeLine(at_once=2, waiting=100, wait_s=5)
    inside, most, order = 0, 0, []

    async def arrive(number: int) -> None:
        nonlocal inside, most
        turn = line.turn()
        await turn.take()
        inside += 1
        most = max(most, inside)
        order.append(number)
        await asyncio.sleep(0.01)
        inside -= 1
        turn.give_back()

    await asyncio.gather(*(arrive(n) for n in range(10)))
    assert (most, order) == (2, list(range(10)))
    assert (line.in_progress, line.waiting) == (0, 0)


async def test_a_full_line_or_a_long_wait_is_refused_busy_with_a_time_to_come_back() -> None:
    line = HandshakeLine(at_once=1, waiting=1, wait_s=0.2)
    first = line.turn()
    await first.take()
    waiting = asyncio.ensure_future(line.turn().take())
    await asyncio.sleep(0)
    with pytest.raises(Busy) as full:  # one in progress, one waiting: the line is full
        await line.turn().take()
    with pytest.raises(Busy) as long_wait:  # the one waiting never got its turn in time
        await waiting
    assert full.value.retry_after and long_wait.value.retry_after
    assert full.value.retry_after >= 1 and long_wait.value.retry_after >= 1
    first.give_back()
    assert (line.in_progress, line.waiting) == (0, 0)


async def test_a_handshake_that_leaves_the_line_passes_its_turn_on() -> None:
    line = HandshakeLine(at_once=1, waiting=10, wait_s=5)
    first = line.turn()
    await first.take()
    leaving = asyncio.ensure_future(line.turn().take())
    staying = asyncio.ensure_future(line.turn().take())
    await asyncio.sleep(0)
    leaving.cancel()
    first.give_back()
    await asyncio.wait_for(staying, timeout=1)
    assert line.in_progress == 1


# -- one round trip for many callers
async def test_callers_at_the_same_moment_share_one_round_trip() -> None:
    batches: list[list[int]] = []

    async def fetch(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [i * 2 for i in items]

    ask = Coalescer(fetch)
    assert await asyncio.gather(*(ask(i) for i in range(100))) == [i * 2 for i in range(100)]
    assert len(batches) == 1
    assert await ask(7) == 14  # alone: at once, in a batch of its own
    assert batches[-1] == [7]


async def test_a_slow_batch_holds_back_no_call_while_another_flight_is_free() -> None:
    stuck = asyncio.Event()

    async def fetch(items: list[str]) -> list[str]:
        if "slow" in items:
            await stuck.wait()  # a statement waiting for a lock
        return [item.upper() for item in items]

    ask = Coalescer(fetch, flights=2)
    slow = asyncio.ensure_future(ask("slow"))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(ask("next"), timeout=1) == "NEXT"
    assert await asyncio.wait_for(ask("and next"), timeout=1) == "AND NEXT"
    assert not slow.done()
    stuck.set()
    assert await slow == "SLOW"
    alone = Coalescer(fetch)  # one flight: the calls behind a slow batch wait for it
    stuck.clear()
    slow = asyncio.ensure_future(alone("slow"))
    await asyncio.sleep(0)
    behind = asyncio.ensure_future(alone("behind"))
    await asyncio.sleep(0.05)
    assert not behind.done()
    stuck.set()
    assert await asyncio.gather(slow, behind) == ["SLOW", "BEHIND"]


async def test_a_failed_round_trip_fails_every_caller_of_its_batch() -> None:
    async def fetch(items: list[int]) -> list[int]:
        raise ConnectionError("down")

    ask = Coalescer(fetch)
    outcomes = await asyncio.gather(*(ask(i) for i in range(5)), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)


# -- a crowd against a real instance
@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=0)) as running:
        yield running


@pytest.fixture(scope="module")
def crowd(stack: Stack) -> list[Person]:
    return asyncio.run(people(stack.database_url, stack.jwt, CROWD, tag="arrival"))


async def _server(stack: Stack, **env: str) -> AsyncIterator[tuple[str, web.Application]]:
    app = create_app(Settings.from_env(stack.service_settings(env)))
    async with TestServer(app, host="127.0.0.1") as server:
        yield str(server.make_url("/ws")).replace("http", "ws", 1), app


@pytest.fixture
async def ws_url(stack: Stack) -> AsyncIterator[str]:
    async for url, _ in _server(stack, HANDSHAKES_AT_ONCE="16"):
        yield url


@pytest.fixture
async def narrow(stack: Stack) -> AsyncIterator[tuple[str, web.Application]]:
    async for served in _server(stack, HANDSHAKES_AT_ONCE="1", HANDSHAKES_WAITING="0"):
        yield served


async def _lookups(redis: Redis) -> int:
    """Reads of the revocation mirror and the plans so far (each MGET or GET is a round trip)."""
    stats = await redis.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{c}", {}).get("calls", 0)) for c in ("mget", "get"))


async def test_a_crowd_opening_at_once_all_get_in_sharing_their_round_trips(
    stack: Stack, crowd: list[Person], ws_url: str
) -> None:
    redis = Redis.from_url(stack.redis_url)
    try:
        before = await _lookups(redis)
        began = time.monotonic()
        chats = await asyncio.gather(
            *(websockets.connect(ws_url, additional_headers=_bearer(p)) for p in crowd)
        )
        took = time.monotonic() - began
        lookups = await _lookups(redis) - before
    finally:
        await redis.aclose()
    try:
        assert len(chats) == CROWD  # none refused: a refusal raises
        # Each handshake alone would make two (the mirror, the plan): shared, far fewer.
        assert lookups <= CROWD / 5, f"{lookups} reads of Redis for {CROWD} handshakes"
        for chat in chats[:: CROWD // 10]:
            await chat.send(json.dumps({"type": "ping"}))
            assert json.loads(await asyncio.wait_for(chat.recv(), 5)) == {"type": "pong"}
    finally:
        await asyncio.gather(*(c.close() for c in chats))
    print(f"{CROWD} opened at once in {took:.2f} s with {lookups} reads of Redis")


async def test_turned_away_as_busy_a_program_waits_and_a_browser_is_told_how_long(
    crowd: list[Person], narrow: tuple[str, web.Application]
) -> None:
    url, app = narrow
    held = app[ARRIVALS].turn()
    await held.take()  # a handshake in progress: the line (one at a time, none waiting) is full
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(url, additional_headers=_bearer(crowd[0]))
    answer = refused.value.response
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) >= 1
    assert json.loads(answer.body or b"{}")["error"] == "busy"

    # A browser cannot read that answer: it is let in and told at once, 1013 with the wait.
    browser = await websockets.connect(
        url, subprotocols=[Subprotocol("chat.v1"), Subprotocol(f"bearer.{crowd[0].access}")]
    )
    with pytest.raises(ConnectionClosed) as closed:
        await asyncio.wait_for(browser.recv(), 5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    assert re.fullmatch(r"busy; retry after \d+ s", closed.value.rcvd.reason)

    # The driver comes back after Retry-After: once the line moves, every one gets in.
    opening = [
        asyncio.ensure_future(
            patiently_busy(lambda p=p: ChatSocket.connect(url, access_token=p.access))
        )
        for p in crowd[1:4]
    ]
    await asyncio.sleep(0.5)
    assert not any(o.done() for o in opening)  # still waiting their turn to come back
    held.give_back()
    sockets = await asyncio.wait_for(asyncio.gather(*opening), timeout=30)
    await asyncio.gather(*(s.close() for s in sockets))


def _bearer(person: Person) -> dict[str, str]:
    return {"Authorization": f"Bearer {person.access}"}
