"""Where a sign-in's renewal pass (the refresh token) goes: in the answer's body, for programs
(the contract's default), or, for the chat page, in a cookie no page script can read.

The page asks for the cookie with `"renewal": "cookie"` in its sign-in body. The cookie is
`HttpOnly` (a script injected into the page cannot steal it), `SameSite=Strict` and scoped to
`/api/auth/refresh` (sent nowhere else), `Secure` when the request came over https (behind a TLS
proxy named in TRUSTED_PROXIES the forwarded scheme counts). On plain http it is sent without
`Secure`, or the browser would not store it at all: plain http is for a machine's own loopback
and the suite, where the password crosses the same link anyway. A renewal by cookie is accepted
only from a browser on an allowed origin (the service's own page or ALLOWED_ORIGINS), so a page
elsewhere cannot make a signed-in browser renew and read the new pass.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aiohttp import web

from service.errors import InvalidRequest, OriginNotAllowed
from service.http.origins import origin_allowed
from service.keys import SETTINGS

COOKIE = "golden_path_renewal"
COOKIE_PATH = "/api/auth/refresh"


class Renewal(StrEnum):
    BODY = "body"
    COOKIE = "cookie"


def renewal_asked(request: web.Request, body: dict[str, Any]) -> Renewal:
    """Where this sign-in wants its renewal pass; a cookie only for an allowed page."""
    value = body.get("renewal", Renewal.BODY.value)
    if value not in (Renewal.BODY.value, Renewal.COOKIE.value):
        raise InvalidRequest('renewal must be "body" or "cookie"')
    renewal = Renewal(value)
    if renewal is Renewal.COOKIE:
        check_browser_origin(request, required=False)
    return renewal


def check_browser_origin(request: web.Request, *, required: bool) -> None:
    """An Origin the service serves pages to; `required`: a request without one is refused too
    (every browser names it on a POST, so only a program would leave it out)."""
    origin = request.headers.get("Origin")
    if origin is None and not required:
        return
    if origin is None or not origin_allowed(request, origin, request.app[SETTINGS].allowed_origins):
        raise OriginNotAllowed("This site may not use the page's sign-in")


def presented_cookie(request: web.Request) -> str | None:
    return request.cookies.get(COOKIE)


def set_renewal_cookie(
    response: web.StreamResponse, request: web.Request, token: str, expires_at: datetime
) -> None:
    """The cookie lives exactly as long as the renewal pass it holds."""
    max_age = max(0, math.floor((expires_at - datetime.now(UTC)).total_seconds()))
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        secure=request.secure or None,
        samesite="Strict",
    )


def clear_renewal_cookie(response: web.StreamResponse, request: web.Request) -> None:
    response.del_cookie(
        COOKIE, path=COOKIE_PATH, httponly=True, secure=request.secure or None, samesite="Strict"
    )
