"""The driver against the real service on the embedded stack: a smoke test of the client side of
chat.v1 (HTTP, socket, verifier, transcript), one short conversation per test."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from driver.actors.abilities import CallTheApi, ChatOnDevices, ws_url_of
from driver.actors.actor import Actor
from driver.actors.questions import (
    TheAnswer,
    TheChatOn,
    TheirConversations,
    TheKindsOfEventSeen,
    TheMessages,
    TheNoted,
    answer_text,
)
from driver.actors.tasks import (
    REPEAT_CONFIRMATION,
    TURNED_AWAY,
    USAGE_ACCEPTED,
    Ask,
    AskAgain,
    CheckEverythingSeen,
    Leave,
    LoadUsage,
    OpenChat,
    SignIn,
    SignUp,
    TryToOpenChat,
    TryToOpenChatFrom,
)
from driver.client.api import ChatApi
from driver.client.errors import ApiError
from driver.evidence.transcript import Transcript
from driver.oracle.verifier import RunDirectory
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

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
def cast(api: ChatApi, transcript: Transcript) -> dict[str, Actor]:
    directory = RunDirectory()
    tag = uuid.uuid4().hex[:8]
    return {
        name: Actor(
            name,
            f"{name.lower()}-{tag}@example.com",
            f"{name} has a long password",
            transcript,
            directory=directory,
        ).who_can(CallTheApi(api), ChatOnDevices(ws_url_of(api.base_url)))
        for name in ("Alice", "Bob")
    }


async def signed_in(person: Actor) -> Actor:
    await person.attempts_to(SignUp(), SignIn())
    return person


async def test_alice_asks_and_gets_a_checked_answer(cast: dict[str, Actor]) -> None:
    alice, bob = await signed_in(cast["Alice"]), await signed_in(cast["Bob"])
    await alice.attempts_to(LoadUsage(USAGE))
    assert await alice.asks_for(TheNoted(USAGE_ACCEPTED)) == 1
    await bob.attempts_to(OpenChat())
    try:
        await alice.attempts_to(Ask("How can we cut our model spend?"))
        final = await alice.asks_for(TheAnswer(15))
        assert final.type == "agent_completed"
        seen = set(await alice.asks_for(TheKindsOfEventSeen()))
        assert {"agent_started", "agent_thinking", "tool_executing", "tool_completed"} <= seen
        assert "$" in answer_text(alice)
        [thread] = await alice.asks_for(TheirConversations())
        assert [m.role for m in await alice.asks_for(TheMessages(thread.thread_id))] == [
            "user",
            "assistant",
        ]
        assert bob.chat.sockets["laptop"].streams == {}
        await alice.attempts_to(CheckEverythingSeen())
        await bob.attempts_to(CheckEverythingSeen())
    finally:
        await alice.attempts_to(Leave())
        await bob.attempts_to(Leave())


async def test_strangers_and_foreign_pages_are_turned_away(cast: dict[str, Actor]) -> None:
    alice = await signed_in(cast["Alice"])
    await alice.attempts_to(TryToOpenChat.without_a_pass())
    refused = await alice.asks_for(TheNoted(TURNED_AWAY))
    assert refused is not None and (refused.status, refused.code) == (401, "invalid_token")
    assert refused.message
    await alice.attempts_to(TryToOpenChat.showing("not-a-pass"))
    refused = await alice.asks_for(TheNoted(TURNED_AWAY))
    assert refused is not None and refused.status == 401
    await alice.attempts_to(TryToOpenChatFrom("https://evil.example"))
    refused = await alice.asks_for(TheNoted(TURNED_AWAY))
    assert refused is not None and refused.code == "origin_not_allowed"
    await alice.attempts_to(OpenChat("browser", origin=ORIGIN, browser=True))
    browser = await alice.asks_for(TheChatOn("browser"))
    assert browser.subprotocol == "chat.v1"
    with pytest.raises(ApiError) as wrong:
        await alice.api.login(alice.email, "not the password")
    assert (wrong.value.status, wrong.value.code) == (401, "invalid_credentials")
    devices = alice.chat
    await alice.exit()  # forgetting the ability to chat hangs up every device
    assert devices.connections() and not any(s.is_open for s in devices.connections())


async def test_bad_frames_get_error_frames_and_the_socket_stays_open(
    cast: dict[str, Actor],
) -> None:
    alice = await signed_in(cast["Alice"])
    await alice.attempts_to(OpenChat())
    socket = await alice.asks_for(TheChatOn())
    await socket.send_raw("{not json")
    assert (await socket.next_error()).code == "invalid_json"
    await socket.send_frame({"type": "dance"})
    assert (await socket.next_error()).code == "unknown_type"
    assert await socket.ping() >= 0
    await alice.attempts_to(CheckEverythingSeen())
    await alice.attempts_to(Leave())
    assert socket.close_code == 1000


async def test_asking_twice_with_one_id_starts_one_run(cast: dict[str, Actor]) -> None:
    alice = await signed_in(cast["Alice"])
    await alice.attempts_to(LoadUsage(USAGE))
    await alice.attempts_to(Ask("How can we cut our model spend?"))
    first = alice.last_ack
    await alice.attempts_to(AskAgain())
    again = await alice.asks_for(TheNoted(REPEAT_CONFIRMATION))
    assert first is not None and again.duplicate
    assert (again.run_id, again.message_id) == (first.run_id, first.message_id)
    await alice.asks_for(TheAnswer(15))
    await alice.attempts_to(CheckEverythingSeen())
    await alice.attempts_to(Leave())
