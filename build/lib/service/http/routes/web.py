"""The chat web page: `GET /` and its static files (service/http/web/static/), no build step.

Only the files listed here are served (no directory walking), each with its content type, and
every answer carries a strict Content-Security-Policy: scripts, styles and connections from this
origin only, nothing inline, no frames.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from aiohttp import web

from service.errors import NotFound

routes = web.RouteTableDef()
STATIC = Path(__file__).resolve().parent.parent / "web" / "static"
CONTENT_TYPES = {
    "app.css": "text/css",
    "app.js": "text/javascript",
    "api.js": "text/javascript",
    "chat.js": "text/javascript",
    "csv.js": "text/javascript",
    "session.js": "text/javascript",
    "view.js": "text/javascript",
}
# 'self' covers ws:/wss: to this host too (CSP Level 3), which the chat needs.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def _file(name: str, content_type: str) -> web.Response:
    body = _read(name)
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=HEADERS)


@routes.get("/")
async def page(_: web.Request) -> web.Response:
    return _file("index.html", "text/html")


@routes.get("/static/{name}")
async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    content_type = CONTENT_TYPES.get(name)
    if content_type is None:
        raise NotFound("No such resource")
    return _file(name, content_type)
