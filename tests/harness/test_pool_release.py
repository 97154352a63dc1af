"""The stack's pool keeps an idle instance a scenario used for the next scenario, and stops the
instances the ending scenario did not use or left busy, and their PostgreSQL connections close
with them (kept for all later scenarios, a dozen instances had used up the connections of a
run's PostgreSQL: "too many clients already"). Every instance reaches PostgreSQL through the
stack's fault proxy, so the proxy's open connections are the instances' connections."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import pytest

from harness.fault_proxy import FaultProxy
from harness.idle import busy_figures
from harness.readiness import readiness
from harness.stack import Stack, StackConfig
from tests.chat_clients import sign_up, websockets_client

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

WITHIN_S = 10.0
SLACK = 3  # connections the stack's own instance may still open meanwhile


def until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WITHIN_S
    while not check():
        assert time.monotonic() < deadline, f"not within {WITHIN_S:g} s: {what}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=1, fault_proxies=True)) as running:
        yield running


def open_connections(proxy: FaultProxy) -> int:
    return proxy.stats().open


def test_released_instances_stop_and_give_back_their_database_connections(stack: Stack) -> None:
    database = stack.proxies["postgres"]
    # The stack's own instance first warms its connections (24), and may open a few more later.
    until(lambda: open_connections(database) >= 24, "the stack's instance connected")
    baseline = open_connections(database) + SLACK
    first = stack.pool.instance("first", {})
    second = stack.pool.instance("second", {"HOT_PATH_POOL_SIZE": "4"})
    # Each warms its pool of connections ahead of the first crowd (24 by default).
    until(lambda: open_connections(database) >= baseline + 24, "the instances connected")

    first_pid = first.pid
    stack.pool.release()  # the end of the scenario that used them: idle, so kept

    assert first.running and second.running and first.pid == first_pid
    assert stack.pool.instance("first", {}) is first and first.pid == first_pid
    stack.pool.release()  # the end of a scenario that used "first" only

    assert first.running and not second.running
    stack.pool.release()  # the end of a scenario that used neither

    assert not first.running
    until(lambda: open_connections(database) <= baseline, "their connections closed")
    # The next scenario that asks gets the same instance again, on the same port.
    port = first.port
    again = stack.pool.instance("first", {})
    assert again is first and again.running and again.port == port
    assert readiness(again.url, timeout=5).ready
    stack.pool.release()


def test_an_instance_left_busy_is_not_kept(stack: Stack) -> None:
    busy = stack.pool.instance("busy", {})
    pid = busy.pid

    async def chat_open_at_release() -> dict[str, float]:
        _, token = await sign_up(busy.url)
        async with websockets_client(busy.url, token):
            figures = busy_figures(busy.operator_url)
            await asyncio.to_thread(stack.pool.release)
        return figures

    figures = asyncio.run(chat_open_at_release())

    assert figures == {"chat_open_connections": 1.0}
    assert not busy.running
    again = stack.pool.instance("busy", {})
    assert again.running and again.pid != pid
    stack.pool.release()
    stack.pool.release()
