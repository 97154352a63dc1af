"""The first middleware every request meets, the chat's handshake included: the real client
behind a trusted proxy (service/http/proxies.py), a request id, and one access log line.

The request id is the trusted proxy's `X-Request-Id` when it sent a valid one (at most 128
characters of letters, digits and `._:-`), else a new uuid4 hex. It is answered as the
`X-Request-Id` header of every response and in every error body, and rides on every log line
written while the request is served (service/logs.py), including those of the runs a chat's
questions start: they carry the socket's handshake request id.

The access log (`service.access`) logs the path without its query string (it can hold what a
person searched for), and never a header: no pass reaches it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

from service.http.proxies import TrustedProxies, resolve
from service.logs import CURRENT_REQUEST, RequestContext, current_request_id

access_log = logging.getLogger("service.access")

REQUEST_ID_HEADER = "X-Request-Id"
_VALID_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# A request whose handler was cancelled (its client went away): nginx's word for it.
CLIENT_CLOSED = 499

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_id(request: web.Request, *, from_trusted_proxy: bool) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "") if from_trusted_proxy else ""
    return given if _VALID_ID.fullmatch(given) else uuid.uuid4().hex


def edge_middleware(proxies: TrustedProxies) -> Middleware:
    @web.middleware
    async def edge(request: web.Request, handler: Handler) -> web.StreamResponse:
        began = time.monotonic()
        trusted = proxies.peer_is_trusted(request)
        context = RequestContext(request_id(request, from_trusted_proxy=trusted))
        # Not reset afterwards: aiohttp serves each request in a task of its own, and the
        # response is prepared (add_request_id) after this returns.
        CURRENT_REQUEST.set(context)
        request = resolve(request, proxies) if trusted else request
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except BaseException as exc:
            status = 500 if isinstance(exc, Exception) else CLIENT_CLOSED
            raise
        finally:
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": status,
                    "duration_ms": round((time.monotonic() - began) * 1000, 1),
                    "remote": request.remote,
                    "user_id": context.user_id,
                },
            )

    return edge


async def add_request_id(_: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every response carries the id, the chat's 101 included."""
    if (value := current_request_id()) is not None:
        response.headers.setdefault(REQUEST_ID_HEADER, value)
