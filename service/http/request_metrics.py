"""How long public HTTP requests take, by route pattern, method and status
(`chat_http_request_duration_seconds`).

The middleware notes when a request reached the app; the answer is counted when its headers go
out (`on_response_prepare`), so a chat is counted by its handshake (101, or the refusal) and not
by how long it stays open, and answers made outside the middlewares (aiohttp's own 404, 405 and
500) are counted too. Labels are bounded: the route's pattern (`/api/threads/{thread_id}/messages`),
never the path a client sent, one `unmatched` for every path no route serves, and `other` for a
method no route uses.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from service.metrics import HTTP_SECONDS

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ARRIVED = web.RequestKey("arrived", float)


@web.middleware
async def request_metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[ARRIVED] = time.monotonic()
    return await handler(request)


async def count_response(request: web.Request, response: web.StreamResponse) -> None:
    arrived = request.get(ARRIVED)
    if arrived is None:  # never reached the middlewares: nothing of ours to time
        return
    HTTP_SECONDS.labels(route_of(request), method_of(request), str(response.status)).observe(
        time.monotonic() - arrived
    )


def route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return UNMATCHED if resource is None else resource.canonical


def method_of(request: web.Request) -> str:
    return request.method if request.method in METHODS else "other"


def install(app: web.Application) -> None:
    """Count every answer of `app` (whose middlewares start with the one above)."""
    app.on_response_prepare.append(count_response)
