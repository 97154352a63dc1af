"""The aiohttp application factory: one cleanup context per external resource."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from service.agents.reasoner import DeterministicReasoner
from service.bus import Bus
from service.http import errors_middleware
from service.keys import BUS, ENGINE, HUB, REDIS, RUNS, SESSIONS, SETTINGS
from service.routes import auth, health, threads, usage
from service.runs import RunExecutor
from service.settings import Settings
from service.store.db import make_engine, make_sessions
from service.ws.handler import close_all, websocket
from service.ws.hub import Hub

log = logging.getLogger("service")


def redis_client(url: str, *, for_pubsub: bool = False) -> Redis:
    # Short timeouts and one retry: a frozen Redis costs about a second, not a minute.
    # The subscriber waits for messages indefinitely, so it has no read timeout.
    return Redis.from_url(
        url,
        socket_connect_timeout=0.5,
        socket_timeout=None if for_pubsub else 0.5,
        retry_on_timeout=False,
        health_check_interval=5 if for_pubsub else 0,
    )


async def _database(app: web.Application) -> AsyncIterator[None]:
    engine = make_engine(app[SETTINGS])
    app[ENGINE] = engine
    app[SESSIONS] = make_sessions(engine)
    yield
    await engine.dispose()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    app[REDIS] = redis_client(app[SETTINGS].redis_url)
    yield
    await app[REDIS].aclose()


async def _fan_out(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    subscriber = redis_client(settings.redis_url, for_pubsub=True)
    bus = Bus(app[REDIS], app[HUB], instance_id=settings.instance_id)
    app[BUS] = bus
    app[RUNS] = RunExecutor(
        app[SESSIONS], bus, DeterministicReasoner(), deadline_s=settings.run_deadline_s
    )
    listener = asyncio.create_task(
        Bus(subscriber, app[HUB], instance_id=settings.instance_id).listen()
    )
    yield
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await listener
    await subscriber.aclose()


async def _on_shutdown(app: web.Application) -> None:
    """Drain: close sockets with 1001 and give in-flight runs the drain window."""
    await close_all(app[HUB].connections())
    await app[RUNS].drain(app[SETTINGS].drain_s)


def create_app(settings: Settings) -> web.Application:
    app = web.Application(middlewares=[errors_middleware])
    app[SETTINGS] = settings
    app[HUB] = Hub()
    app.cleanup_ctx.extend([_database, _redis, _fan_out])
    app.on_shutdown.append(_on_shutdown)
    for module in (auth, usage, threads, health):
        app.add_routes(module.routes)
    app.router.add_get("/ws", websocket)
    return app
