"""Browsers on the configured origins (`ALLOWED_ORIGINS`) may call the API from their pages.

A browser asks first (a preflight `OPTIONS` with `Access-Control-Request-Method`); it used to be
answered 405, so a web app on another origin could not call the API at all. An allowed origin
gets 204 with what it may send; any other origin gets 403 `origin_not_allowed`, and its actual
requests carry no CORS headers (the browser then withholds our answers from that page).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from service.errors import OriginNotAllowed
from service.http.common import error_response
from service.keys import SETTINGS

ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type"
MAX_AGE_S = 600

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def cors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    origin = request.headers.get("Origin")
    if origin is None or request.path == "/ws":  # the chat checks its own origin
        return await handler(request)
    allowed = origin in request.app[SETTINGS].allowed_origins
    if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
        if not allowed:
            return error_response(OriginNotAllowed("This site is not allowed to call the API"))
        return web.Response(
            status=204,
            headers={
                "Access-Control-Allow-Origin": origin,
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": str(MAX_AGE_S),
                "Vary": "Origin",
            },
        )
    response = await handler(request)  # errors too are answered within (errors_middleware)
    if allowed:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Vary"] = "Origin"
    return response
