"""The shipped nginx configuration (deploy/nginx/golden-path.conf), run by real nginx as the
stack runs it, in front of small echo servers that show what an instance would receive."""

from __future__ import annotations

import json
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from harness.nginx import MISSING, SERVED_BY_HEADER, Nginx, nginx_available
from harness.services import free_port
from harness.threaded_server import ThreadedApp

pytestmark = [pytest.mark.stack, pytest.mark.skipif(not nginx_available(), reason=MISSING)]
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Echo(ThreadedApp):
    """Answers every request with the headers it received (names in lower case); `refuse`
    makes it answer as a draining instance does (503 before any work), counting what it
    refused."""

    def __init__(self, *, refuse: bool = False) -> None:
        super().__init__()
        self.refuse = refuse
        self.refused: list[str] = []

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._echo)
        return app

    async def _echo(self, request: web.Request) -> web.Response:
        if self.refuse:
            self.refused.append(f"{request.method} {request.path}")
            return web.json_response(
                {"error": "temporarily_unavailable", "message": "draining"},
                status=503,
                headers={"Retry-After": "1"},
            )
        await request.read()
        return web.json_response(
            {"headers": {k.lower(): v for k, v in request.headers.items()}, "port": self.port}
        )


def call(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=10) as response:
            return int(response.status), dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="gp-nginx-test-") as name:
        yield Path(name)


def nginx_before(upstreams: list[str], workdir: Path) -> Nginx:
    return Nginx(upstreams=upstreams, workdir=workdir / "nginx", log_path=workdir / "nginx.log")


def test_the_generated_configuration_passes_nginx_t(workdir: Path) -> None:
    checked = nginx_before([f"127.0.0.1:{free_port()}"], workdir).check_config()
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


def test_an_instance_receives_the_real_client_and_a_request_id_of_the_balancer(
    workdir: Path,
) -> None:
    with Echo() as echo, nginx_before([f"127.0.0.1:{echo.port}"], workdir) as nginx:
        status, answer_headers, body = call(
            f"{nginx.url}/api/me",
            headers={
                "X-Forwarded-For": "6.6.6.6",
                "Forwarded": "for=6.6.6.6",
                "X-Request-Id": "chosen-by-the-client",
                "X-Forwarded-Proto": "https",
            },
        )
    assert status == 200
    seen = body["headers"]
    # The client's claim stays on the left; nginx appends the address it heard.
    assert seen["x-forwarded-for"] == "6.6.6.6, 127.0.0.1"
    assert "forwarded" not in seen
    assert seen["x-forwarded-proto"] == "http"
    assert seen["host"] == seen["x-forwarded-host"] == f"127.0.0.1:{nginx.port}"
    assert seen["x-request-id"] != "chosen-by-the-client"
    assert len(seen["x-request-id"]) == 32  # nginx's $request_id
    assert answer_headers[SERVED_BY_HEADER] == f"127.0.0.1:{echo.port}"


def test_a_draining_instance_is_skipped_even_for_a_sign_up(workdir: Path) -> None:
    with Echo(refuse=True) as draining, Echo() as healthy:
        upstreams = [f"127.0.0.1:{draining.port}", f"127.0.0.1:{healthy.port}"]
        with nginx_before(upstreams, workdir) as nginx:
            answers = [
                call(f"{nginx.url}/api/auth/register", method="POST", body=b"{}") for _ in range(4)
            ]
    assert [status for status, _, _ in answers] == [200] * 4
    assert {body["port"] for _, _, body in answers} == {healthy.port}
    assert draining.refused  # it was asked, refused, and the balancer went on


def test_when_every_instance_refuses_the_client_is_told_to_retry(workdir: Path) -> None:
    with Echo(refuse=True) as first, Echo(refuse=True) as second:
        upstreams = [f"127.0.0.1:{first.port}", f"127.0.0.1:{second.port}"]
        with nginx_before(upstreams, workdir) as nginx:
            status, headers, body = call(f"{nginx.url}/api/me")
    assert (status, headers["Retry-After"], body["error"]) == (503, "1", "temporarily_unavailable")


def test_what_nginx_answers_itself_is_in_the_service_s_words(workdir: Path) -> None:
    unreachable = f"127.0.0.1:{free_port()}"
    with nginx_before([unreachable], workdir) as nginx:
        down = call(f"{nginx.url}/api/me")
        too_large = call(
            f"{nginx.url}/api/usage",
            method="POST",
            body=b"x" * (1024**2 + 1),
            headers={"Content-Type": "application/json"},
        )
        operators = [call(f"{nginx.url}{path}") for path in ("/metrics", "/healthz", "/readyz")]
    assert (down[0], down[1]["Retry-After"], down[2]["error"]) == (
        503,
        "1",
        "temporarily_unavailable",
    )
    assert (too_large[0], too_large[2]["error"]) == (413, "invalid_request")
    assert [(status, body["error"]) for status, _, body in operators] == [(404, "not_found")] * 3
