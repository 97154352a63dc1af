"""The password-hashing line (service/auth/hashing.py) on real threads with real argon2, and who
one client is (service/http/clients.py).

Whose hash ran when is read from the order in which the hashes finished, on one worker thread:
an order, not a duration, so a busy machine does not change the outcome."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest

from driver.client.eventually import eventually
from service.auth.hashing import HashingPool, Line
from service.auth.passwords import hash_password
from service.errors import RateLimited
from service.http.clients import client_key

BOTS = 150


class Recorder:
    """Hashes a password for real, then notes whose hash it was. The hash labelled `gate` holds
    its worker until `open()`: what waits behind it is queued for certain."""

    def __init__(self) -> None:
        self.finished: list[str] = []
        self._lock = threading.Lock()
        self._gate = threading.Event()

    def __call__(self, label: str) -> str:
        if label == "gate":
            self._gate.wait(timeout=30)
        hash_password("a long enough password")
        with self._lock:
            self.finished.append(label)
        return label

    def open(self) -> None:
        self._gate.set()

    def finished_between(self, before: int, label: str, prefix: str) -> int:
        """How many hashes of `prefix` finished after the first `before` and before `label`."""
        return sum(
            1
            for done in self.finished[before : self.finished.index(label)]
            if done.startswith(prefix)
        )


@pytest.fixture
async def pool() -> AsyncIterator[HashingPool]:
    # A generous wait: these tests look at the order of turns, not at refusals.
    hashing = HashingPool(workers=1, max_waiting_per_client=100, max_waiting=10_000, max_wait_s=600)
    yield hashing
    hashing.close()


async def held(
    pool: HashingPool, recorder: Recorder, line: Line, clients: int, each: int = 1
) -> list[asyncio.Task[str]]:
    """`each` hashes from each of `clients` clients, all waiting behind the gate (on the one
    worker) when this returns; the gate is still closed."""
    gate = asyncio.create_task(pool.run(Line.SIGN_UP, "gatekeeper", recorder, "gate"))
    await eventually(lambda: pool.waiting(Line.SIGN_UP) == 0, timeout=10, describe="no gate")
    tasks = [
        asyncio.create_task(pool.run(line, f"bot-{c}", recorder, f"{line.value}-{c}-{n}"))
        for c in range(clients)
        for n in range(each)
    ]
    await eventually(
        lambda: pool.waiting(line) == clients * each,
        timeout=10,
        describe=f"the flood of {clients * each} never waited in the {line.value} line",
    )
    return [gate, *tasks]


async def ended(tasks: list[asyncio.Task[str]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def waiting_in(pool: HashingPool, line: Line, count: int) -> None:
    await eventually(
        lambda: pool.waiting(line) == count,
        timeout=10,
        describe=f"{count} never waited in the {line.value} line",
    )


async def test_a_sign_in_goes_ahead_of_a_sign_up_flood_from_many_clients(
    pool: HashingPool,
) -> None:
    recorder = Recorder()
    sign_ups = await held(pool, recorder, Line.SIGN_UP, BOTS)
    alice = asyncio.create_task(pool.run(Line.SIGN_IN, "alice", recorder, "alice"))
    await waiting_in(pool, Line.SIGN_IN, 1)
    recorder.open()
    await alice
    # Behind the hash on the worker when she came, Alice's sign-in came first: it was the
    # sign-ins' turn.
    assert recorder.finished_between(0, "alice", "sign-up") == 0, recorder.finished
    # And sign-ups are served too: Bob's sign-in right after Alice's lets one of them through.
    before = len(recorder.finished)
    await pool.run(Line.SIGN_IN, "bob", recorder, "bob")
    assert recorder.finished_between(before, "bob", "sign-up") == 1, recorder.finished
    await ended(sign_ups)


async def test_a_sign_in_flood_leaves_sign_ups_half_of_the_turns(pool: HashingPool) -> None:
    recorder = Recorder()
    sign_ins = await held(pool, recorder, Line.SIGN_IN, 20)
    carol = [
        asyncio.create_task(pool.run(Line.SIGN_UP, "carol", recorder, f"carol-{n}"))
        for n in range(3)
    ]
    await waiting_in(pool, Line.SIGN_UP, 3)
    recorder.open()
    await asyncio.gather(*carol)
    # Carol's three sign-ups take turns with the sign-ins: one sign-in between each.
    assert recorder.finished_between(0, "carol-2", "sign-in") == 3, recorder.finished
    await ended(sign_ins)


async def test_one_clients_backlog_delays_another_client_of_the_line_by_one_hash(
    pool: HashingPool,
) -> None:
    recorder = Recorder()
    backlog = await held(pool, recorder, Line.SIGN_UP, clients=1, each=40)
    dave = asyncio.create_task(pool.run(Line.SIGN_UP, "dave", recorder, "dave"))
    await waiting_in(pool, Line.SIGN_UP, 41)
    recorder.open()
    await dave
    assert recorder.finished_between(0, "dave", "sign-up") == 1, recorder.finished
    await ended(backlog)


async def test_a_sign_up_flood_beyond_the_deadline_is_refused_and_sign_ins_are_not() -> None:
    """150 clients (a botnet) sign up at once: the line cannot hash them all within its wait,
    so the ones whose turn could not come in time are refused at once, with Retry-After; a
    sign-in from a client of its own is still answered within that wait."""
    pool = HashingPool(workers=1, max_waiting_per_client=100, max_waiting=10_000, max_wait_s=1.5)
    recorder = Recorder()
    sign_ups = [
        asyncio.create_task(pool.run(Line.SIGN_UP, f"bot-{c}", recorder, f"sign-up-{c}"))
        for c in range(BOTS)
    ]
    await eventually(
        lambda: sum(1 for task in sign_ups if task.done()) > 0,
        timeout=10,
        describe="no sign-up of the flood was ever answered",
    )
    began = time.monotonic()
    assert await pool.run(Line.SIGN_IN, "erin", recorder, "erin") == "erin"
    took = time.monotonic() - began
    answers = await asyncio.gather(*sign_ups, return_exceptions=True)
    pool.close()
    refused = [a for a in answers if isinstance(a, RateLimited)]
    assert refused, "the flood was never refused"
    assert all(r.retry_after and r.retry_after >= 1 for r in refused)
    assert all(isinstance(a, str | RateLimited) for a in answers), answers
    assert took < 1.5, f"Erin's sign-in took {took:.2f} s during the flood"


async def test_each_line_has_its_own_bounds() -> None:
    pool = HashingPool(workers=1, max_waiting_per_client=2, max_waiting=3, max_wait_s=600)
    recorder = Recorder()
    # The gate on the worker, three waiting: the sign-up line is full.
    sign_ups = await held(pool, recorder, Line.SIGN_UP, clients=3)
    with pytest.raises(RateLimited):
        await pool.run(Line.SIGN_UP, "frank", recorder, "frank")
    # Two waiting per client at most, in each line; the sign-in line has room.
    grace = [
        asyncio.create_task(pool.run(Line.SIGN_IN, "grace", recorder, f"grace-{n}"))
        for n in range(3)
    ]
    recorder.open()
    answers = await asyncio.gather(*grace, *sign_ups, return_exceptions=True)
    pool.close()
    assert [isinstance(a, RateLimited) for a in answers[:3]] == [False, False, True], answers
    assert not any(isinstance(a, BaseException) for a in answers[3:]), answers


@pytest.mark.parametrize(
    ("remote", "client"),
    [
        ("203.0.113.7", "203.0.113.7/32"),
        ("2001:db8:1:2::7", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::7", "2001:db8:1:3::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7/32"),
        ("fe80::1%eth0", "fe80::/64"),
        (" 203.0.113.7 ", "203.0.113.7/32"),
        (None, "unknown"),
        ("", "unknown"),
        ("not-an-address", "unknown"),
    ],
)
def test_one_client_is_an_ipv4_address_or_an_ipv6_64(remote: str | None, client: str) -> None:
    assert client_key(remote) == client


def test_the_prefixes_are_settings() -> None:
    assert client_key("2001:db8:1:2::7", ipv6_prefix=128) == "2001:db8:1:2::7/128"
    assert client_key("2001:db8:1:2::7", ipv6_prefix=48) == "2001:db8:1::/48"
    assert client_key("203.0.113.7", ipv4_prefix=24) == "203.0.113.0/24"
