"""What the suite knows of a deployment it does not control (fixtures/suite.py `deployment`),
and a deployment's figures read as one: summed over every instance's operators' listener."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from driver import operations
from fixtures.suite import deployment


async def _listener(text: str) -> AsyncIterator[str]:
    async def metrics(_: web.Request) -> web.Response:
        return web.Response(text=text, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def first() -> AsyncIterator[str]:
    async for url in _listener('chat_open_sockets 1\nchat_refusals_total{reason="busy"} 2\n'):
        yield url


@pytest.fixture
async def second() -> AsyncIterator[str]:
    async for url in _listener("chat_open_sockets 0\nchat_answers_total 3\n"):
        yield url


async def test_the_figures_of_several_instances_are_summed(first: str, second: str) -> None:
    async with aiohttp.ClientSession() as http:
        one = await operations.figures(http, first)
        both = await operations.figures(http, f"{first}, {second}")
    assert one == {"chat_open_sockets": 1.0, "chat_refusals_total{reason=busy}": 2.0}
    assert both == {
        "chat_open_sockets": 1.0,
        "chat_refusals_total{reason=busy}": 2.0,
        "chat_answers_total": 3.0,
    }


def test_no_service_url_means_the_embedded_stack() -> None:
    assert deployment({"service_url": ""}) is None


def test_a_deployment_knows_only_what_it_is_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNING_SECRET", raising=False)
    bare = deployment({"service_url": "https://chat.example"})
    assert bare is not None and not bare.embedded
    assert not bare.knows_signing_key and not bare.knows_web_app
    with pytest.raises(AssertionError, match="signing_secret"):
        _ = bare.jwt
    monkeypatch.setenv("SIGNING_SECRET", "s" * 64)
    told = deployment({"service_url": "https://chat.example", "web_app": "https://app.example/"})
    assert told is not None and told.knows_signing_key and told.web_app == "https://app.example"
    assert (told.jwt.issuer, told.jwt.audience, told.jwt.secret) == (
        "golden-path",
        "golden-path-chat",
        "s" * 64,
    )
