"""The password-hashing line of a real instance under sign-up floods that come from many
addresses, and the size of what sign-in and sign-up read.

The test plays a trusted proxy from 127.0.0.1 (as tests/service/http/test_trusted_proxy.py
does) and names the clients in X-Forwarded-For, so the flood can come from as many IPv6
addresses as it likes. The instance has one hashing thread: its line holds about three seconds
of hashes (the request deadline, 5 s, less 2), and what cannot be hashed in time is refused at
once with 429.

- 200 sign-ups from 200 addresses of one /64 are one client: another person's sign-up waits
  for about one of them, not for all (counted per address, it waited for all or was refused);
- 150 sign-ups from 150 different /64s (a botnet) fill the sign-up line: a sign-in is still
  answered at once (sharing one line with sign-ups, it waited seconds or was refused).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest

from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

PROXY = "127.0.0.1"
PASSWORD = "a long enough password"
# A bystander is answered in about two hashes (a tenth of a second); counted per address or in
# one line with the flood, they waited about three seconds or were refused.
BYSTANDER_S = 1.5
# Sign-ups of the flood answered while a bystander waited: the one being hashed when they came
# and a few hashed just before, whose answers were still on their way.
BEHIND = 6


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    extra = {
        "TRUSTED_PROXIES": PROXY,
        "PASSWORD_HASH_WORKERS": "1",
        # Held to a pace: the processes run without coverage's tracing (make pytest).
        "COVERAGE_PROCESS_CONFIG": "",
    }
    with Stack(StackConfig.from_env(extra_env=extra, allowed_origins=())) as running:
        yield running


@asynccontextmanager
async def proxy() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client whose connections come from the trusted proxy's address."""
    connector = aiohttp.TCPConnector(local_addr=(PROXY, 0), force_close=True, limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield session


@dataclass(frozen=True)
class Answer:
    status: int
    sent_at: float
    answered_at: float

    @property
    def took(self) -> float:
        return self.answered_at - self.sent_at

    def during(self, other: Answer) -> bool:
        return other.sent_at <= self.answered_at <= other.answered_at


async def post(
    stack: Stack, session: aiohttp.ClientSession, path: str, body: dict[str, str], client: str
) -> Answer:
    """The answer to a POST sent for `client`, and when."""
    sent_at = time.monotonic()
    url = f"{stack.service_urls[0]}{path}"
    async with session.post(url, json=body, headers={"X-Forwarded-For": client}) as answer:
        await answer.read()
        return Answer(answer.status, sent_at, time.monotonic())


def new_person(name: str) -> dict[str, str]:
    email = f"{name}-{uuid.uuid4().hex[:10]}@example.com"
    return {"email": email, "password": PASSWORD, "name": name}


async def sign_up(stack: Stack, session: aiohttp.ClientSession, client: str) -> Answer:
    return await post(stack, session, "/api/auth/register", new_person("flood"), client)


async def signed_up(stack: Stack, session: aiohttp.ClientSession, client: str) -> dict[str, str]:
    """A new account, signed up from `client`; a few hashes first, so the line's estimate of
    a hash is measured, not its starting guess."""
    for _ in range(10):
        await sign_up(stack, session, client)
    person = new_person("olga")
    answer = await post(stack, session, "/api/auth/register", person, client)
    assert answer.status == 201, answer
    return {"email": person["email"], "password": PASSWORD}


async def started(flood: list[asyncio.Task[Answer]]) -> None:
    """Once the service answers the first of them, this client has sent them all: from then on
    a slow bystander is the service's doing, not this process's own sending."""
    await asyncio.wait(flood, return_when=asyncio.FIRST_COMPLETED)


def hashed_meanwhile(flood: list[Answer], bystander: Answer) -> int:
    """Sign-ups of the flood that went through while the bystander waited."""
    return sum(1 for answer in flood if answer.status == 201 and answer.during(bystander))


async def test_sign_ups_from_many_addresses_of_one_64_are_one_client(stack: Stack) -> None:
    async with proxy() as session:
        olga = await signed_up(stack, session, "2001:db8:0:1::1")
        flood = [
            asyncio.create_task(sign_up(stack, session, f"2001:db8:bad:1::{n:x}"))
            for n in range(1, 201)
        ]
        await started(flood)
        bystander = await sign_up(stack, session, "2001:db8:600d:1::1")
        in_flight = sum(not task.done() for task in flood)
        sign_in = await post(stack, session, "/api/auth/login", olga, "2001:db8:0:1::1")
        answers = await asyncio.gather(*flood)

    meanwhile = hashed_meanwhile(answers, bystander)
    print(f"\nanother person's sign-up {bystander.status} after {bystander.took:.3f} s, behind")
    print(f"{meanwhile} of the flood; sign-in {sign_in.status} after {sign_in.took:.3f} s;")
    print(f"flood {sorted({a.status for a in answers})}, {in_flight} in flight after the sign-up")
    assert bystander.status == 201 and meanwhile <= BEHIND, (
        f"another person's sign-up during the /64's flood: {bystander.status} after "
        f"{bystander.took:.2f} s, behind {meanwhile} sign-ups of the flood"
    )
    assert bystander.took < BYSTANDER_S, f"another person's sign-up took {bystander.took:.2f} s"
    assert in_flight > 0, "the flood was over before the bystander was answered"
    assert sign_in.status == 200 and sign_in.took < BYSTANDER_S, sign_in
    assert {a.status for a in answers} <= {201, 429}, answers


async def test_a_botnet_of_sign_ups_leaves_sign_ins_answered(stack: Stack) -> None:
    async with proxy() as session:
        olga = await signed_up(stack, session, "198.51.100.7")
        flood = [
            asyncio.create_task(sign_up(stack, session, f"2001:db8:{n:x}:1::1"))
            for n in range(1, 151)
        ]
        await started(flood)
        sign_in = await post(stack, session, "/api/auth/login", olga, "198.51.100.7")
        in_flight = sum(not task.done() for task in flood)
        answers = await asyncio.gather(*flood)

    meanwhile = hashed_meanwhile(answers, sign_in)
    statuses = sorted({a.status for a in answers})
    print(f"\nsign-in {sign_in.status} after {sign_in.took:.3f} s, behind {meanwhile} of the")
    print(f"flood; flood {statuses}, {in_flight} in flight after the sign-in")
    assert sign_in.status == 200 and meanwhile <= BEHIND, (
        f"a sign-in during a sign-up flood from 150 networks: {sign_in.status} after "
        f"{sign_in.took:.2f} s, behind {meanwhile} sign-ups of the flood"
    )
    assert sign_in.took < BYSTANDER_S, f"the sign-in took {sign_in.took:.2f} s"
    assert in_flight > 0, "the flood was over before the sign-in was answered"
    assert set(statuses) <= {201, 429}, statuses


# --- what sign-in and sign-up read --------------------------------------------------------------


async def test_sign_in_and_sign_up_bodies_over_8_kib_are_refused_before_parsing(
    stack: Stack,
) -> None:
    url = stack.service_urls[0]
    padded = {"email": "pad@example.com", "password": PASSWORD, "name": "x" * 9000}

    async def chunked() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1024  # whitespace: valid JSON once the object comes, if it came

    async with aiohttp.ClientSession() as session:
        for path in ("/api/auth/login", "/api/auth/register"):
            async with session.post(f"{url}{path}", json=padded) as answer:
                assert answer.status == 413, (path, answer.status, await answer.text())
                body = await answer.json()
                assert body["error"] == "invalid_request", body
                assert "8 KiB" in body["message"], body
            headers = {"Content-Type": "application/json"}
            async with session.post(f"{url}{path}", data=chunked(), headers=headers) as answer:
                assert answer.status == 413, (path, "chunked", answer.status)
        # Under the bound the body is read as before.
        small = {"email": "nobody@example.com", "password": "x" * 100}
        async with session.post(f"{url}/api/auth/login", json=small) as answer:
            assert answer.status == 401, await answer.text()
