"""The chat's handshake on a real instance: an offer of subprotocols without `chat.v1` is refused
before the upgrade, and no pass reaches the service's log (issue 18, finding 3).

aiohttp upgrades a handshake whose offered subprotocols do not overlap ours and logs every one
of them at WARNING: a browser-form pass (`bearer.<jwt>`) offered alone ended up in the log. The
instance here logs at DEBUG, so every line any logger writes is read."""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import uuid
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from driver.client.eventually import eventually
from driver.client.passes import expired_pass, pass_signed_by_someone_else
from harness.stack import Stack, StackConfig
from service.logs import JsonFormatter
from tests.chat_clients import sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig.from_env(log_level="DEBUG", allowed_origins=())) as running:
        yield running


def log_text(stack: Stack) -> str:
    return stack.log_paths()[stack.services[0].instance_id].read_text()


def upgrade_headers(protocols: list[str]) -> dict[str, str]:
    key = base64.b64encode(os.urandom(16)).decode()
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": key,
    }
    if protocols:
        headers["Sec-WebSocket-Protocol"] = ", ".join(protocols)
    return headers


async def handshake(stack: Stack, protocols: list[str]) -> tuple[int, dict[str, Any], str]:
    """A raw upgrade request: the status, the JSON body (when refused) and the request id."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(ws_url(stack.service_urls[0]), headers=upgrade_headers(protocols)) as answer,
    ):
        body = await answer.json() if answer.status != 101 else {}
        return answer.status, body, answer.headers["X-Request-Id"]


async def logged(stack: Stack, request_id: str, status: int) -> str:
    """The log, once the request's access line is in it (the instance writes it on the way out)."""

    async def written() -> str:
        text = log_text(stack)
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert any(
            line.get("request_id") == request_id
            and line.get("logger") == "service.access"
            and line.get("status") == status
            for line in lines
        ), f"no access line with status {status} for request {request_id}"
        return text

    return await eventually(written, timeout=5, describe="the handshake was never logged")


def refused_for_the_subprotocol(status: int, body: dict[str, Any]) -> None:
    assert status == 400, (status, body)
    assert body["error"] == "invalid_request", body
    assert "chat.v1" in body["message"], body


async def test_a_pass_offered_without_chat_v1_is_refused_and_never_logged(stack: Stack) -> None:
    _, token = await sign_up(stack.service_urls[0])
    status, body, request_id = await handshake(stack, [f"bearer.{token}"])
    refused_for_the_subprotocol(status, body)
    log = await logged(stack, request_id, 400)
    assert token not in log
    # The pass's signature alone (the part a partial redaction could leave) is not there either.
    assert token.rsplit(".", 1)[1] not in log


@pytest.mark.parametrize("which", ["expired", "signed by someone else", "garbage"])
async def test_a_bad_pass_offered_without_chat_v1_is_refused_and_never_logged(
    stack: Stack, which: str
) -> None:
    jwt = stack.jwt
    token = {
        "expired": lambda: expired_pass(jwt.secret, issuer=jwt.issuer, audience=jwt.audience),
        "signed by someone else": lambda: pass_signed_by_someone_else(
            issuer=jwt.issuer, audience=jwt.audience
        ),
        "garbage": lambda: "eyJnot-a-pass." + uuid.uuid4().hex + "." + uuid.uuid4().hex,
    }[which]()
    status, body, request_id = await handshake(stack, [f"bearer.{token}", "chat.v2"])
    refused_for_the_subprotocol(status, body)
    log = await logged(stack, request_id, 400)
    assert token not in log


async def test_the_browser_handshake_still_opens_the_chat_and_logs_no_pass(stack: Stack) -> None:
    _, token = await sign_up(stack.service_urls[0])
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(
            ws_url(stack.service_urls[0]), protocols=("chat.v1", f"bearer.{token}")
        ) as chat,
    ):
        assert chat.protocol == "chat.v1"
        await chat.send_json({"type": "ping"})
        assert await chat.receive_json(timeout=5) == {"type": "pong"}
        request_id = chat._response.headers["X-Request-Id"]
    log = await logged(stack, request_id, 101)
    assert token not in log


async def test_an_expired_pass_in_the_browser_handshake_is_refused_and_never_logged(
    stack: Stack,
) -> None:
    jwt = stack.jwt
    token = expired_pass(jwt.secret, issuer=jwt.issuer, audience=jwt.audience)
    status, body, request_id = await handshake(stack, ["chat.v1", f"bearer.{token}"])
    assert (status, body["error"]) == (401, "token_expired"), body
    assert token not in await logged(stack, request_id, 401)


async def test_a_pass_in_a_path_is_redacted_from_the_log(stack: Stack) -> None:
    # Defence in depth: whatever line would carry a pass (here the access log's path), the
    # log shows it redacted.
    _, token = await sign_up(stack.service_urls[0])
    url = f"{stack.service_urls[0]}/api/threads/{token}/messages"
    async with aiohttp.ClientSession() as session, session.get(url) as answer:
        request_id = answer.headers["X-Request-Id"]
        status = answer.status
    log = await logged(stack, request_id, status)
    assert token not in log
    assert "/api/threads/[redacted]/messages" in log


def test_the_log_format_redacts_passes_wherever_they_are() -> None:
    # A real pass's shape: base64url JSON header, claims, signature.
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLW9mLWFsaWNl"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger(f"test.{uuid.uuid4().hex}")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("client protocols %r", [f"bearer.{jwt}"], extra={"path": f"/x/{jwt}"})
        try:
            raise ValueError(f"bad header Authorization: Bearer {jwt}")
        except ValueError:
            log.exception("no bearer token given")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert jwt not in text and "c2lnbmF0dXJlLW9mLWFsaWNl" not in text, text
    first, second = (json.loads(line) for line in text.splitlines())
    assert first["msg"] == "client protocols ['bearer.[redacted]']"
    assert first["path"] == "/x/[redacted]"
    assert second["msg"] == "no bearer token given"  # words about passes stay readable
    assert "Authorization: Bearer [redacted]" in str(second["exc"])
