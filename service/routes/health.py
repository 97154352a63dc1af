"""Liveness and readiness."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import text

from service.keys import ENGINE, REDIS

routes = web.RouteTableDef()
CHECK_TIMEOUT_S = 1.0


@routes.get("/healthz")
async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    postgres, redis = "ok", "ok"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S), request.app[ENGINE].connect() as connection:
            await connection.execute(text("select 1"))
    except Exception:
        postgres = "unavailable"
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            await request.app[REDIS].ping()
    except Exception:
        redis = "degraded"
    status = 200 if postgres == "ok" else 503
    return web.json_response({"postgres": postgres, "redis": redis}, status=status)
