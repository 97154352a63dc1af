"""The chat web page's serving (service/http/routes/web.py), the same-origin rule for opening
the chat (service/http/origins.py), and a page's frame log reaching the verifier
(driver/web/page_frames.py)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from driver.oracle.verifier import StreamVerifier
from driver.web.page_frames import PageFrames
from service.http.common import errors_middleware
from service.http.origins import origin_allowed
from service.http.routes import web as web_page


def _page_app() -> web.Application:
    app = web.Application(middlewares=[errors_middleware])
    app.add_routes(web_page.routes)
    return app


@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/", "text/html"), ("/static/app.js", "text/javascript"), ("/static/app.css", "text/css")],
)
async def test_the_page_and_its_files_have_their_types_and_a_strict_policy(
    path: str, content_type: str
) -> None:
    async with TestClient(TestServer(_page_app())) as client:
        response = await client.get(path)
        assert response.status == 200
        assert response.content_type == content_type
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_every_module_the_page_imports_is_served() -> None:
    static = web_page.STATIC
    served = set(web_page.CONTENT_TYPES)
    on_disk = {p.name for p in static.iterdir() if p.suffix in (".js", ".css")}
    assert on_disk == served, "a file in service/http/web/static/ is not listed in CONTENT_TYPES"


@pytest.mark.parametrize("path", ["/static/index.html", "/static/..%2Fapp.py", "/static/nope.js"])
async def test_nothing_else_is_served(path: str) -> None:
    async with TestClient(TestServer(_page_app())) as client:
        response = await client.get(path)
        assert response.status == 404
        assert (await response.json())["error"] == "not_found"


def _handshake(host: str, scheme: str = "http") -> web.Request:
    request = make_mocked_request("GET", "/ws", headers={"Host": host})
    return request.clone(scheme=scheme)


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),  # not a browser
        ("http://127.0.0.1:8080", True),  # our own page
        ("HTTP://127.0.0.1:8080", True),
        ("https://app.example", True),  # configured
        ("http://127.0.0.1:8081", False),  # another port
        ("https://127.0.0.1:8080", False),  # another scheme
        ("http://evil.example", False),
        ("null", False),
    ],
)
def test_a_page_may_open_the_chat_from_our_own_origin_or_a_configured_one(
    origin: str | None, allowed: bool
) -> None:
    request = _handshake("127.0.0.1:8080")
    assert origin_allowed(request, origin, frozenset({"https://app.example"})) is allowed


def _frames(*frames: dict[str, Any]) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = [{"kind": "opened", "socket": 1, "at": 1.0}]
    for i, frame in enumerate(frames):
        log.append({"kind": "received", "socket": 1, "at": 2.0 + i, "text": json.dumps(frame)})
    return log


def _event(seq: int, kind: str, final: bool = False) -> dict[str, Any]:
    return {
        "v": 1,
        "type": kind,
        "event_id": f"r1:{seq}",
        "thread_id": "t1",
        "run_id": "r1",
        "seq": seq,
        "ts": "2026-01-01T00:00:00Z",
        "final": final,
        "payload": {"text": "x"},
    }


def test_a_page_that_saw_a_step_twice_breaks_the_contract() -> None:
    verifier = StreamVerifier("Alice")
    frames = PageFrames("Alice's browser tab 1", (verifier,))
    verifier.learn_run("r1", "t1")
    started = _event(1, "agent_started")
    started["payload"] = {"agent": "a", "input_message_id": "m", "client_msg_id": "c"}
    thinking = _event(2, "agent_thinking")
    assert frames.feed(_frames(started, thinking, thinking)) == 4
    assert frames.feed(_frames(started, thinking, thinking)) == 0  # fed once only
    found = verifier.findings(require_finished=False)
    assert any("repeated or went back" in f for f in found), found


def test_the_page_ships_no_test_hook() -> None:
    """What the suite observes of the page's chat it records with its own script
    (driver/web/chat_page.py, TRACK_SOCKETS); the page itself adds nothing to `window` for it
    (a frame log on every customer's page grew without bound and outlived signing out)."""
    hook = re.compile(r"\bwindow\.__\w+|__chatEvents")
    for script in web_page.STATIC.glob("*.js"):
        found = hook.findall(script.read_text(encoding="utf-8"))
        assert not found, f"{script.name} ships {found}"
