"""The driver against the real service on the embedded stack: a smoke test of the client side of
chat.v1 (HTTP, socket, verifier, transcript), one short conversation per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from driver.api import ChatApi
from driver.errors import ApiError
from driver.person import Person
from driver.transcript import Transcript
from driver.verifier import RunDirectory
from fixtures.stack import Stack, StackConfig

ORIGIN = "http://localhost:3000"
USAGE = [
    {
        "day": "2026-01-05",
        "model": "gpt-4o",
        "feature": "chat",
        "requests": 1000,
        "input_tokens": 2_000_000,
        "output_tokens": 500_000,
        "cost_usd": 3100.0,
    }
]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(allowed_origins=(ORIGIN,))) as running:
        yield running


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[ChatApi]:
    async with aiohttp.ClientSession() as session:
        yield ChatApi(stack.service_urls[0], session)


@pytest.fixture
def transcript() -> Transcript:
    return Transcript("driver smoke")


@pytest.fixture
def cast(api: ChatApi, transcript: Transcript) -> dict[str, Person]:
    directory = RunDirectory()
    ws_url = api.base_url.replace("http", "ws", 1) + "/ws"
    tag = uuid.uuid4().hex[:8]
    return {
        name: Person(
            name,
            f"{name.lower()}-{tag}@example.com",
            f"{name} has a long password",
            api,
            ws_url,
            transcript,
            directory=directory,
        )
        for name in ("Alice", "Bob")
    }


async def signed_in(person: Person) -> Person:
    await person.sign_up()
    await person.sign_in()
    return person


async def test_alice_asks_and_gets_a_checked_answer(cast: dict[str, Person]) -> None:
    alice, bob = await signed_in(cast["Alice"]), await signed_in(cast["Bob"])
    assert await alice.load_usage(USAGE) == 1
    await bob.connect()
    try:
        await alice.ask("How can we cut our model spend?")
        final = await alice.wait_for_answer(15)
        assert final.type == "agent_completed"
        seen = set(alice.event_types_seen())
        assert {"agent_started", "agent_thinking", "tool_executing", "tool_completed"} <= seen
        assert "$" in alice.last_answer_text()
        [thread] = await alice.threads()
        assert [m.role for m in await alice.messages(thread.thread_id)] == ["user", "assistant"]
        assert bob.sockets["laptop"].streams == {}
        await alice.verify()
        await bob.verify()
    finally:
        await alice.leave()
        await bob.leave()


async def test_strangers_and_foreign_pages_are_turned_away(cast: dict[str, Person]) -> None:
    alice = await signed_in(cast["Alice"])
    refused = await alice.try_connect_without_pass()
    assert (refused.status, refused.code) == (401, "invalid_token") and refused.message
    assert (await alice.try_connect_with_token("not-a-pass")).status == 401
    assert (await alice.try_connect_from("https://evil.example")).code == "origin_not_allowed"
    browser = await alice.connect("browser", origin=ORIGIN, browser=True)
    assert browser.subprotocol == "chat.v1"
    with pytest.raises(ApiError) as wrong:
        await alice.api.login(alice.email, "not the password")
    assert (wrong.value.status, wrong.value.code) == (401, "invalid_credentials")
    await alice.leave()


async def test_bad_frames_get_error_frames_and_the_socket_stays_open(
    cast: dict[str, Person],
) -> None:
    alice = await signed_in(cast["Alice"])
    socket = await alice.connect()
    await socket.send_raw("{not json")
    assert (await socket.next_error()).code == "invalid_json"
    await socket.send_frame({"type": "dance"})
    assert (await socket.next_error()).code == "unknown_type"
    assert await socket.ping() >= 0
    await alice.verify()
    await alice.leave()
    assert socket.close_code == 1000


async def test_asking_twice_with_one_id_starts_one_run(cast: dict[str, Person]) -> None:
    alice = await signed_in(cast["Alice"])
    await alice.load_usage(USAGE)
    await alice.ask("How can we cut our model spend?")
    first = alice.last_ack
    again = await alice.ask_again()
    assert first is not None and again.duplicate
    assert (again.run_id, again.message_id) == (first.run_id, first.message_id)
    await alice.wait_for_answer(15)
    await alice.verify()
    await alice.leave()
