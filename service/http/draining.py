"""While an instance drains before a stop, it takes no new work: every request and chat but the
health probes is refused with 503 `temporarily_unavailable` and Retry-After. The shipped nginx
configuration (deploy/nginx/) retries such a refusal on another instance, so people behind the
balancer never see it; a client talking to this instance directly retries after the pause."""

from __future__ import annotations

from aiohttp import web

from service.errors import TemporarilyUnavailable
from service.http.common import Handler
from service.keys import LIFECYCLE

PROBES = frozenset({"/healthz", "/readyz"})
RETRY_AFTER_S = 1


@web.middleware
async def draining_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.app[LIFECYCLE].draining and request.path not in PROBES:
        raise TemporarilyUnavailable(
            "This server is about to restart: please try again in a moment",
            retry_after=RETRY_AFTER_S,
        )
    return await handler(request)
