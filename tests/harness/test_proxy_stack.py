"""The production-like topology on one machine: nginx with the shipped configuration in front of
two instances (`StackConfig(proxy=True)`), driven through the balancer only, as people use it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from driver.actors.abilities import CallTheApi, ChatOnDevices, ws_url_of
from driver.actors.actor import Actor
from driver.actors.questions import TheAnswer, TheChatOn
from driver.actors.tasks import (
    Ask,
    CheckEverythingSeen,
    CloseChat,
    Leave,
    OpenChat,
    Reconnect,
    SignIn,
    SignUp,
)
from driver.client.api import ChatApi
from driver.evidence.transcript import Transcript
from driver.oracle.verifier import RunDirectory
from harness.nginx import MISSING, SERVED_BY_HEADER, nginx_available, served_by
from harness.stack import Stack, StackConfig

pytestmark = [pytest.mark.stack, pytest.mark.skipif(not nginx_available(), reason=MISSING)]
QUESTION = "How can we cut our model spend?"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=2, proxy=True)) as running:
        yield running


@pytest.fixture
async def api(stack: Stack) -> AsyncIterator[ChatApi]:
    async with aiohttp.ClientSession() as session:
        yield ChatApi(stack.proxy_url, session)


def person(api: ChatApi, name: str = "Alice") -> Actor:
    return Actor(
        name,
        f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com",
        f"{name} has a long password",
        Transcript("through the balancer"),
        directory=RunDirectory(),
    ).who_can(CallTheApi(api), ChatOnDevices(ws_url_of(api.base_url)))


async def test_chat_v1_works_end_to_end_through_the_balancer(stack: Stack, api: ChatApi) -> None:
    alice = person(api)
    await alice.attempts_to(SignUp(), SignIn())
    page = await api.raw("GET", "/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    await alice.attempts_to(OpenChat("phone"))
    phone = await alice.asks_for(TheChatOn("phone"))
    try:
        await alice.attempts_to(Ask(QUESTION))
        assert (await alice.asks_for(TheAnswer(15))).type == "agent_completed"
        # The phone followed the question asked on the laptop, wherever each one landed.
        run_id = alice.asked_last().run_id
        await phone.run(run_id).wait_final(15, who="Alice's phone")
        # Cut right after asking, the laptop catches up through the balancer too.
        await alice.attempts_to(Ask(QUESTION), CloseChat(), Reconnect())
        assert (await alice.asks_for(TheAnswer(15))).type == "agent_completed"
        await alice.attempts_to(CheckEverythingSeen())
    finally:
        await alice.attempts_to(Leave())
    behind = {f"127.0.0.1:{service.port}" for service in stack.services}
    served = {served_by(s.response_header(SERVED_BY_HEADER)) for s in alice.chat.connections()}
    assert served <= behind


async def test_operators_endpoints_are_not_served_through_the_balancer(api: ChatApi) -> None:
    for path in ("/metrics", "/readyz", "/healthz"):
        answer = await api.raw("GET", path)
        assert (answer.status, answer.json()["error"]) == (404, "not_found"), path


# Last in this module: the drained instance stays drained.
async def test_a_drained_instance_goes_unnoticed_through_the_balancer(
    stack: Stack, api: ChatApi
) -> None:
    async with api.session.post(f"{stack.operator_urls[0]}/drain") as drained:
        assert drained.status == 202
    alice = person(api)
    await alice.attempts_to(SignUp())
    try:
        for _ in range(4):  # round robin: each instance is asked at least once
            await alice.attempts_to(SignIn(), Reconnect())
        await alice.attempts_to(Ask(QUESTION))
        assert (await alice.asks_for(TheAnswer(15))).type == "agent_completed"
        await alice.attempts_to(CheckEverythingSeen())
    finally:
        await alice.attempts_to(Leave())
    served = {served_by(s.response_header(SERVED_BY_HEADER)) for s in alice.chat.connections()}
    assert served == {f"127.0.0.1:{stack.services[1].port}"}
