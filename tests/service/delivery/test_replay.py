"""The parts of an exact replay: the per-socket gate and the per-run Redis stream (a real Redis)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from redis.asyncio import Redis

from harness.redis import EmbeddedRedis
from service.delivery import streams
from service.delivery.replay_gate import HELD_FRAMES, ReplayGate, Verdict

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

RUN = str(uuid.uuid4())
OTHER = str(uuid.uuid4())


def event(seq: int, run: str = RUN) -> dict[str, object]:
    return {"type": "agent_thinking", "run_id": run, "seq": seq, "payload": {"text": f"{seq}"}}


# -- the gate
def test_events_pass_when_nothing_is_replayed() -> None:
    assert ReplayGate().admit(event(1)) is Verdict.SEND


def test_events_wait_while_a_resume_is_answered_and_only_new_ones_follow_it() -> None:
    gate = ReplayGate()
    gate.hold()
    for seq in (5, 6, 7):
        assert gate.admit(event(seq)) is Verdict.HELD
    assert gate.admit(event(1, OTHER)) is Verdict.HELD
    released = gate.release({RUN: 6})  # the replay queued up to seq 6
    assert [(e["run_id"], e["seq"]) for e in released] == [(RUN, 7), (OTHER, 1)]


def test_a_live_event_the_replay_already_sent_is_not_sent_again() -> None:
    gate = ReplayGate()
    gate.hold()
    gate.release({RUN: 6})
    assert gate.admit(event(6)) is Verdict.ALREADY_SENT  # published after the replay read it
    assert gate.admit(event(7)) is Verdict.SEND


def test_a_socket_that_holds_too_much_is_too_slow() -> None:
    gate = ReplayGate()
    gate.hold()
    for seq in range(1, HELD_FRAMES + 1):
        assert gate.admit(event(seq)) is Verdict.HELD
    assert gate.admit(event(HELD_FRAMES + 1)) is Verdict.OVERFLOW


# -- the stream
@pytest.fixture(scope="module")
def redis_server() -> Iterator[EmbeddedRedis]:
    with EmbeddedRedis() as server:
        yield server


@pytest.fixture
async def redis(redis_server: EmbeddedRedis) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


async def add(redis: Redis, run: str, seqs: range, owner: uuid.UUID) -> None:
    append = streams.Appender(
        redis,
        head='{"origin": "here", "frame": ',
        policy=streams.StreamPolicy(ttl_s=60),
        channel_prefix="chat:user:",
    )
    await append(
        [streams.Outgoing(owner, e, json.dumps(e)) for e in map(event, seqs, [run] * len(seqs))]
    )


async def test_a_slice_is_read_exactly_with_its_owner(redis: Redis) -> None:
    run, owner = uuid.uuid4(), uuid.uuid4()
    await add(redis, str(run), range(1, 6), owner)
    found = await streams.read_exactly(redis, run, first=2, last=4)
    assert found is not None
    assert (found.owner, [e["seq"] for e in found.events]) == (str(owner), [2, 3, 4])
    assert 0 < await redis.ttl(streams.stream_key(run)) <= 60


async def test_a_trimmed_or_missing_stream_gives_nothing_rather_than_part(redis: Redis) -> None:
    run, owner = uuid.uuid4(), uuid.uuid4()
    await add(redis, str(run), range(1, 6), owner)
    await redis.xtrim(streams.stream_key(run), maxlen=2, approximate=False)
    assert await streams.read_exactly(redis, run, first=2, last=5) is None
    assert await streams.read_exactly(redis, run, first=4, last=6) is None  # beyond the top
    assert await streams.read_exactly(redis, uuid.uuid4(), first=1, last=1) is None


async def test_the_stream_alone_says_its_top(redis: Redis) -> None:
    run, owner = uuid.uuid4(), uuid.uuid4()
    await add(redis, str(run), range(1, 4), owner)
    found = await streams.read_to_top(redis, run, first=2)
    assert found is not None and [e["seq"] for e in found.events] == [2, 3]
    caught_up = await streams.read_to_top(redis, run, first=4)
    assert caught_up is not None and caught_up.events == []
    assert await streams.read_to_top(redis, run, first=6) is None
