"""Liveness and readiness, on the public port (for balancers and orchestrators that probe the
instance) and on the operators' listener (service/http/operator.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from aiohttp import web
from sqlalchemy import text

from service.keys import BUDGET, BUS, ENGINE, LIFECYCLE, REDIS, REVOCATIONS, RUNS
from service.resilience.deadlines import within

routes = web.RouteTableDef()
# Each dependency gets this long, both at once, so readiness answers within about this long even
# when PostgreSQL or Redis is frozen (a probe's own cleanup then finishes in the background).
CHECK_TIMEOUT_S = 0.5


@routes.get("/healthz")
async def healthz(_: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    status, body = await readiness(request.app)
    return web.json_response(body, status=status)


async def readiness(app: web.Application) -> tuple[int, dict[str, str]]:
    """200 while this instance should be sent new people; 503 when PostgreSQL is unreachable,
    the instance is draining before a stop, or its line of questions is wedged (questions give
    up waiting while no slot comes free: a restart is the cure). A busy line is still ready."""
    postgres_ok, redis_ok = await asyncio.gather(
        _answers(_postgres(app), "PostgreSQL"), _answers(_redis(app), "Redis")
    )
    draining = app[LIFECYCLE].draining
    runs = app.get(RUNS)
    wedged = runs is not None and runs.admission.wedged()
    body = {
        "postgres": "ok" if postgres_ok else "unavailable",
        "redis": "ok" if redis_ok else "degraded",
        # Events and sign-outs from the other instances reach this one's sockets only while
        # both channel listeners are subscribed (Redis may answer while a listener is down).
        "live_delivery": "ok" if _live_delivery(app) else "degraded",
        "instance": "draining" if draining else "ok",
        "runs": "wedged" if wedged else "ok",
    }
    return (200 if postgres_ok and not draining and not wedged else 503), body


async def _postgres(app: web.Application) -> None:
    budget = app.get(BUDGET)
    if budget is not None and (not budget.done() or budget.cancelled() or budget.exception()):
        raise ConnectionError("this instance's connections are not checked against the server yet")
    async with app[ENGINE].connect() as connection:
        await connection.execute(text("select 1"))


async def _redis(app: web.Application) -> None:
    await app[REDIS].ping()
    bus = app.get(BUS)
    if bus is not None and not bus.listening:
        raise ConnectionError("not subscribed to the other instances' events (yet)")


def _live_delivery(app: web.Application) -> bool:
    bus, revocations = app.get(BUS), app.get(REVOCATIONS)
    return all(part is not None and part.listening for part in (bus, revocations))


async def _answers(probe: Coroutine[Any, Any, None], what: str) -> bool:
    try:
        await within(CHECK_TIMEOUT_S, probe, what=what)
    except Exception:
        return False
    return True
