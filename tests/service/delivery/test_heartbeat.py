"""Nobody waits in silence (issue 19), on the real stack: a question waiting in line is told its
place at least every second, a step that takes long is filled with "still working", and both are
stored like every other event (a person catching up reads the same story), passing the driver's
contract checks.

The service runs in this process (its app on a test server, against the stack's PostgreSQL and
Redis) so that a test can hold the only slot the way a long run would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from itertools import pairwise
from typing import Any

import aiohttp
import pytest
import websockets.asyncio.client
from aiohttp import web
from aiohttp.test_utils import TestServer

from driver.oracle.verifier import StreamVerifier
from harness.stack import Stack, StackConfig
from service.app import create_app
from service.keys import RUNS
from service.settings import Settings
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

HELD_S = 2.5  # how long the only slot stays taken: several updates' worth
READ_S = 1.5  # each read of usage data: longer than a person may go without hearing anything
SETTINGS = {"RUNS_IN_FLIGHT": "1", "AGENT_TOOL_DELAY_SECONDS": str(READ_S)}
HEARS_EVERY_S = 1.0


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=0)) as running:
        yield running


@pytest.fixture
async def app(stack: Stack) -> AsyncIterator[tuple[web.Application, str]]:
    application = create_app(Settings.from_env(stack.service_settings(SETTINGS)))
    async with TestServer(application, host="127.0.0.1") as server:
        yield application, str(server.make_url("")).rstrip("/")


async def _ask_while_the_slot_is_held(
    app: web.Application, url: str, token: str
) -> list[tuple[float, dict[str, Any]]]:
    """Ask while another run holds the only slot for HELD_S; every frame up to the run's final
    event, with the seconds since asking."""
    admission = app[RUNS].admission
    held = admission.enter("a long run holding the only slot")
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        asked = time.monotonic()
        asyncio.get_running_loop().call_later(HELD_S, admission.release, held)
        await chat.send(json.dumps(send_frame()))
        frames: list[tuple[float, dict[str, Any]]] = []
        async with asyncio.timeout(HELD_S + 4 * READ_S + 10):
            while not any(f.get("final") for _, f in frames):
                frame = json.loads(await chat.recv())
                frames.append((time.monotonic() - asked, frame))
    return frames


def _events(frames: list[tuple[float, dict[str, Any]]]) -> list[tuple[float, dict[str, Any]]]:
    return [(at, f) for at, f in frames if "seq" in f]


async def test_a_waiting_question_and_a_slow_step_are_never_silent(
    app: tuple[web.Application, str],
) -> None:
    application, url = app
    _, token = await sign_up(url)
    frames = await _ask_while_the_slot_is_held(application, url, token)
    events = _events(frames)

    places = [f["payload"]["queued"]["position"] for _, f in events if "queued" in f["payload"]]
    assert len(places) >= 3 and set(places) == {1}, f"told {places} while second in line"
    assert events[-1][1]["type"] == "agent_completed", events[-1]
    gaps = [(later - earlier, f["type"]) for (earlier, _), (later, f) in pairwise(events)]
    longest = max(gaps)
    assert longest[0] <= HEARS_EVERY_S, f"silent {longest[0]:.2f} s before {longest[1]}: {gaps}"
    still = [f["payload"]["text"] for _, f in events if "Still" in f["payload"].get("text", "")]
    assert "Still reading your usage" in still, f"a {READ_S} s read said nothing: {still}"

    # The contract holds over the whole stream, as the suite's driver checks it.
    verifier = StreamVerifier("Tester")
    verifier.socket_opened("laptop", 0.0)
    for at, frame in frames:
        verifier.frame_received("laptop", frame, at)
    verifier.assert_clean()

    # Stored like every other event: catching up from the log reads the same events.
    ack = next(f for _, f in frames if f.get("type") == "ack")
    log_url = f"{url}/api/threads/{ack['thread_id']}/runs/{ack['run_id']}/events"
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session, session.get(log_url, headers=headers) as got:
        stored = await got.json()
    assert [(e["seq"], e["payload"]) for e in stored] == [
        (f["seq"], f["payload"]) for _, f in events
    ]
