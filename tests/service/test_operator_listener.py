"""The operators' listener of a real service process: metrics only there, and the drain and
stop a redeploy uses (readiness off, new work refused with 503 and Retry-After, exit 0)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from driver.client import operations
from driver.client.api import ChatApi
from harness.services import ServiceProcess
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(instances=0)) as running:
        yield running


@pytest.fixture
def instance(stack: Stack) -> Iterator[ServiceProcess]:
    service = stack.start_service()
    yield service
    stack.retire_service(service)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_metrics_are_served_to_operators_only(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    async with http.get(f"{instance.url}/metrics") as public:
        assert public.status == 404
        assert (await public.json())["error"] == "not_found"
    async with http.get(f"{instance.operator_url}/metrics") as private:
        assert private.status == 200
        assert "chat_open_connections" in await private.text()


async def test_a_drained_instance_is_not_ready_and_sends_new_work_elsewhere(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    api = ChatApi(instance.url, http, timeout=10)
    assert (await api.readyz())[0] == 200
    assert (await operations.figures(http, instance.operator_url))["chat_ready"] == 1
    async with http.post(f"{instance.operator_url}/drain") as drained:
        assert drained.status == 202
    assert (await operations.figures(http, instance.operator_url))["chat_ready"] == 0
    status, body = await api.readyz()
    assert (status, body["instance"]) == (503, "draining")
    async with http.get(f"{instance.operator_url}/readyz") as private:
        assert private.status == 503
    refused = await api.raw(
        "POST", "/api/auth/login", json_body={"email": "a@b.c", "password": "x"}
    )
    assert refused.status == 503
    assert refused.headers["Retry-After"] == "1"
    assert '"temporarily_unavailable"' in refused.text
    async with http.get(f"{instance.url.replace('http', 'ws', 1)}/ws") as handshake:
        assert handshake.status == 503, "a new chat must not open on a draining instance"
    assert (await api.healthz())[0] == 200, "liveness holds: the process is not broken"


async def test_stop_on_the_operators_listener_is_a_graceful_exit(
    instance: ServiceProcess, http: aiohttp.ClientSession
) -> None:
    async with http.post(f"{instance.operator_url}/stop") as stopping:
        assert stopping.status == 202
    assert instance.wait_exit(timeout=30) == 0
