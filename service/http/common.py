"""HTTP plumbing shared by the API routes: JSON bodies, bearer authentication, error mapping."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from service.auth.tokens import AccessClaims, decode_access_token
from service.contract import ErrorCode
from service.errors import (
    InvalidRequest,
    InvalidToken,
    NotFound,
    ServiceError,
    TemporarilyUnavailable,
)
from service.keys import API_BUDGET, REVOCATIONS, SETTINGS
from service.logs import current_request_id, error_class, note_user
from service.metrics import REFUSALS
from service.resilience.failures import as_service_error
from service.resilience.outage_log import OutageNotice
from service.validation import JsonError, loads_strict

log = logging.getLogger("service.http")
# aiohttp's default body limit (client_max_size), named here for the 413 message.
MAX_BODY_BYTES = 1024**2

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_REASONS = {
    413: f"The body is larger than the {MAX_BODY_BYTES // 1024} KiB a request may carry: "
    "send less at a time",
}


def with_request_id(body: dict[str, object]) -> dict[str, object]:
    """An error body with the request's id (also its X-Request-Id header: service/http/edge.py),
    so a person's report of an error finds its log lines."""
    if (request_id := current_request_id()) is not None:
        body["request_id"] = request_id
    return body


def error_response(error: ServiceError) -> web.Response:
    REFUSALS.labels(error.code).inc()
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after is not None else None
    return web.json_response(with_request_id(error.body()), status=error.status, headers=headers)


def token_response(body: dict[str, object]) -> web.Response:
    """An answer carrying passes: never kept by a browser, a proxy or any cache (RFC 6749)."""
    return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status == 404:
            return error_response(NotFound("No such resource"))
        if exc.status < 400:
            raise
        refused = InvalidRequest(_REASONS.get(exc.status, exc.reason))
        refused.status = exc.status
        return error_response(refused)
    except Exception as exc:
        if (error := as_service_error(exc)) is not None:
            if isinstance(error, TemporarilyUnavailable):
                # The class only: a database error's text quotes the statement's values.
                _unavailable(exc)
            return error_response(error)
        # The traceback is logged without the values a database error quotes (service/logs.py).
        log.exception("unhandled error on %s %s", request.method, request.path)
        body: dict[str, object] = {
            "error": ErrorCode.INTERNAL,
            "message": "Something went wrong on our side",
        }
        return web.json_response(with_request_id(body), status=500)


class BodyTooLarge(InvalidRequest):
    """A body over what the route takes: 413, with the contract's error body (as aiohttp's own
    1 MiB refusal is answered)."""

    status = 413


async def _body(request: web.Request, max_bytes: int) -> bytes:
    """The body, refused as soon as it is known to be over `max_bytes` (by its Content-Length,
    or while reading one sent in chunks), before anything parses it."""
    refused = BodyTooLarge(
        f"The body is larger than the {max_bytes // 1024} KiB this request may carry"
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise refused
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise refused
    return bytes(body)


async def read_json(request: web.Request, *, max_bytes: int = MAX_BODY_BYTES) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise InvalidRequest("The body must be JSON (Content-Type: application/json)")
    raw = await (request.read() if max_bytes >= MAX_BODY_BYTES else _body(request, max_bytes))
    try:
        body = loads_strict(raw)
    except JsonError as exc:
        raise InvalidRequest(f"The body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object")
    return body


def bearer_token(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def authenticate(request: web.Request) -> AccessClaims:
    token = bearer_token(request)
    if token is None:
        raise InvalidToken("Sign in first: no access token was given")
    claims = decode_access_token(request.app[SETTINGS], token)
    # A signed, unexpired pass of an ended session (logout, password change) is refused too.
    await request.app[REVOCATIONS].ensure_active(claims)
    note_user(claims.user_id)
    await request.app[API_BUDGET].spend(claims.user_id)
    return claims


# Once per outage, not once per refused request (the access log still counts every 503).
_REDIS_DOWN = OutageNotice(log, "requests needing Redis")
_DATABASE_DOWN = OutageNotice(log, "requests needing PostgreSQL")


def _unavailable(exc: BaseException) -> None:
    # The class only: a database error's text quotes the statement's values.
    notice = _REDIS_DOWN if isinstance(exc, RedisError) else _DATABASE_DOWN
    notice.failed(None, error=error_class(exc))
