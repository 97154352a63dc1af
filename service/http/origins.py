"""Which web pages may open the chat: the configured origins, and the service's own page.

A browser always sends `Origin`; our own page (`GET /`) is served from the origin the browser
is talking to, so its Origin is this request's scheme and Host. A page elsewhere cannot make a
browser send a Host it did not name, so the match admits only our page. Behind a proxy that
terminates TLS, the scheme and host are the ones a trusted proxy forwards (TRUSTED_PROXIES,
service/http/edge.py); behind any other proxy the scheme seen here is http: list the public
origin in ALLOWED_ORIGINS.
"""

from __future__ import annotations

from aiohttp import web


def is_same_origin(request: web.Request, origin: str) -> bool:
    return origin.lower() == f"{request.scheme}://{request.host}".lower()


def origin_allowed(request: web.Request, origin: str | None, allowed: frozenset[str]) -> bool:
    """No Origin (not a browser), an allowed one, or the service's own."""
    return origin is None or origin in allowed or is_same_origin(request, origin)
