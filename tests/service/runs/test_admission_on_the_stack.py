"""A lost admission slot (issue 18, finding 2), on the real stack: a run whose first event cannot
be stored gives its slot back and its stream still opens with `agent_started`; a question waits
in line at most its bound and then ends clearly; readiness tells a wedged line from a busy one.

The service runs in this process (its app on a test server, against the stack's PostgreSQL and
Redis) so that a test can take a slot the way a stuck run would and look at the line.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
import pytest
import websockets.asyncio.client
from aiohttp import web
from aiohttp.test_utils import TestServer

from driver.client.eventually import eventually
from harness.stack import Stack, StackConfig
from service.app import create_app
from service.delivery.event_log import RETRY_DELAYS_S
from service.keys import RUNS
from service.runs.admission import Admission
from service.settings import Settings
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

WAIT_S = 0.5
DEADLINE_S = 2.0  # a healthy run frees its slot within 2 x this: a longer stall is a wedge
SETTINGS = {
    "RUNS_IN_FLIGHT": "1",
    "RUN_QUEUE_WAIT_SECONDS": str(WAIT_S),
    "RUN_DEADLINE_SECONDS": str(DEADLINE_S),
    "RUN_LEASE_SECONDS": "2",
}
# Every attempt the event log makes at one event (service/delivery/event_log.py).
ATTEMPTS_PER_EVENT = len(RETRY_DELAYS_S) + 1


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=0)) as running:
        yield running


@dataclass(frozen=True)
class Instance:
    app: web.Application
    url: str

    @property
    def admission(self) -> Admission:
        return self.app[RUNS].admission


@pytest.fixture
async def instance(stack: Stack) -> AsyncIterator[Instance]:
    app = create_app(Settings.from_env(stack.service_settings(SETTINGS)))
    async with TestServer(app, host="127.0.0.1") as server:
        yield Instance(app, str(server.make_url("")).rstrip("/"))


@pytest.fixture
async def database(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn: asyncpg.Connection = await asyncpg.connect(stack.database_url)
    try:
        yield conn
    finally:
        await conn.execute("drop trigger if exists gp_test_blip on run_events")
        await conn.execute("drop function if exists gp_test_blip()")
        await conn.execute("drop sequence if exists gp_test_blip_count")
        await conn.close()


async def _blip_on_first_event(conn: asyncpg.Connection) -> None:
    """PostgreSQL refuses the next `agent_started` every time the event log tries to store it."""
    await conn.execute("create sequence gp_test_blip_count")
    await conn.execute(
        "create function gp_test_blip() returns trigger language plpgsql as $$ begin "
        "if new.type = 'agent_started' and "
        f"nextval('gp_test_blip_count') <= {ATTEMPTS_PER_EVENT} then "
        "raise exception 'a database blip'; end if; return new; end $$"
    )
    await conn.execute(
        "create trigger gp_test_blip before insert on run_events "
        "for each row execute function gp_test_blip()"
    )


async def _ask(url: str, token: str, within_s: float = 15) -> list[dict[str, Any]]:
    """One question: its frames up to the run's final event."""
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        await chat.send(json.dumps(send_frame()))
        frames: list[dict[str, Any]] = []
        async with asyncio.timeout(within_s):
            while not any(f.get("final") for f in frames):
                frames.append(json.loads(await chat.recv()))
        return frames


async def _readiness(url: str) -> tuple[int, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/readyz") as response:
        return response.status, await response.json()


async def _stored(conn: asyncpg.Connection, run_id: str) -> list[tuple[int, str]]:
    rows = await conn.fetch(
        "select seq, type from run_events where run_id = $1 order by seq", uuid.UUID(run_id)
    )
    return [(row["seq"], row["type"]) for row in rows]


def _events(frames: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(f["seq"], f["type"]) for f in frames if "seq" in f]


def _run_id(frames: list[dict[str, Any]]) -> str:
    return next(str(f["run_id"]) for f in frames if f.get("type") == "ack")


def _final(frames: list[dict[str, Any]]) -> dict[str, Any]:
    return next(f for f in frames if f.get("final"))


async def test_a_slot_whose_first_event_was_lost_comes_back(
    instance: Instance, database: asyncpg.Connection
) -> None:
    await _blip_on_first_event(database)
    url = instance.url
    _, token = await sign_up(url)

    frames = await _ask(url, token)
    # The stream still opens with agent_started at seq 1; the error follows it.
    assert _events(frames) == [(1, "agent_started"), (2, "agent_error")], frames
    assert _final(frames)["payload"]["retryable"] is True
    assert await _stored(database, _run_id(frames)) == [(1, "agent_started"), (2, "agent_error")]

    admission = instance.admission
    await eventually(
        lambda: admission.running == 0, timeout=5, describe="the failed run kept its slot"
    )
    # The instance's only slot is free again: the next question is answered, not stuck in line.
    answered = await _ask(url, token)
    assert _final(answered)["type"] == "agent_completed", _final(answered)


async def test_a_question_waits_in_line_at_most_its_bound(instance: Instance) -> None:
    admission = instance.admission
    held = admission.enter("a run holding the only slot")
    url = instance.url
    _, token = await sign_up(url)
    try:
        began = time.monotonic()
        frames = await _ask(url, token, within_s=WAIT_S + 10)
        waited = time.monotonic() - began
    finally:
        admission.release(held)
    started, final = frames[1], _final(frames)
    assert started["payload"]["queued"] == {"position": 1}, started
    # Its place may have been told again meanwhile (issue 19); nothing else happened.
    told = [f for f in frames if "queued" in f.get("payload", {})]
    assert [t for _, t in _events(frames)] == [
        "agent_started",
        *["agent_thinking"] * (len(told) - 1),
        "agent_error",
    ], frames
    assert final["payload"]["error"] == "timeout" and final["payload"]["retryable"] is True
    assert waited >= WAIT_S, f"ended after {waited:.2f} s, before its {WAIT_S} s in line"


async def test_readiness_tells_a_wedged_line_from_a_busy_one(instance: Instance) -> None:
    url = instance.url
    admission = instance.admission
    lost = admission.enter("a run that never gives its slot back")
    try:
        status, body = await _readiness(url)
        assert (status, body["runs"]) == (200, "ok"), "a busy instance is still ready"
        _, token = await sign_up(url)
        frames = await _ask(url, token, within_s=WAIT_S + 10)  # gives up in line
        assert _final(frames)["payload"]["error"] == "timeout"

        async def wedged() -> dict[str, str]:
            status, body = await _readiness(url)
            assert status == 503, f"still ready: {body}"
            return body

        body = await eventually(wedged, timeout=2 * DEADLINE_S + 5, describe="never unready")
        assert body["runs"] == "wedged", body
    finally:
        admission.release(lost)
    status, body = await _readiness(url)
    assert (status, body["runs"]) == (200, "ok"), "a slot came free: ready again"
