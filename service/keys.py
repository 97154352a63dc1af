"""Typed application keys: every shared resource of the app, in one place."""

from __future__ import annotations

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from service.bus import Bus
from service.runs import RunExecutor
from service.settings import Settings
from service.store.db import Sessions
from service.ws.hub import Hub

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", Sessions)
REDIS = web.AppKey("redis", Redis)
HUB = web.AppKey("hub", Hub)
BUS = web.AppKey("bus", Bus)
RUNS = web.AppKey("runs", RunExecutor)
