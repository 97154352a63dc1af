"""Typed application keys: every shared resource of the app, in one place."""

from __future__ import annotations

import asyncio

from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from service.agents.reasoner import Reasoner
from service.auth.api_budget import ApiBudget
from service.auth.hashing import HashingPool
from service.auth.lockout import LoginLockout
from service.auth.oidc import OidcVerifier
from service.auth.revocation import Revocations
from service.delivery.bus import Bus
from service.delivery.chat.arrivals import HandshakeLine
from service.delivery.chat.hub import Connection, Hub
from service.delivery.chat.person_limits import PersonLimits
from service.delivery.event_log import EventLog
from service.lifecycle import Lifecycle
from service.plan_cache import Plans
from service.runs.executor import RunExecutor
from service.settings import Settings
from service.store.db import Sessions
from service.store.hot_path import HotPath

SETTINGS = web.AppKey("settings", Settings)
# Serving, draining or stopping (service/lifecycle.py).
LIFECYCLE = web.AppKey("lifecycle", Lifecycle)
ENGINE = web.AppKey("engine", AsyncEngine)
# The check of this instance's PostgreSQL connections against the server's (service/store/
# budget.py): done at start, or pending while the database has not answered yet.
BUDGET = web.AppKey[asyncio.Future[None]]("budget")
SESSIONS = web.AppKey("sessions", Sessions)
# Questions and run events: asyncpg directly (service/store/hot_path.py).
HOT_PATH = web.AppKey("hot_path", HotPath)
REDIS = web.AppKey("redis", Redis)
HUB = web.AppKey("hub", Hub)
BUS = web.AppKey("bus", Bus)
RUNS = web.AppKey("runs", RunExecutor)
# Capacity: run events stored and published in batches.
EVENTS = web.AppKey("events", EventLog)
# Accounts and access: revocation, sign-in lockout, optional enterprise sign-in.
REVOCATIONS = web.AppKey[Revocations[Connection]]("revocations")
LOCKOUT = web.AppKey("lockout", LoginLockout)
OIDC = web.AppKey("oidc", OidcVerifier)
# Password hashing, bounded and fair between sign-ins and sign-ups, and between clients.
HASHING = web.AppKey("hashing", HashingPool)
# Each person's budget of signed-in HTTP API calls.
API_BUDGET = web.AppKey("api_budget", ApiBudget)
# Resilience: the deterministic reasoner, or the LLM provider with its fallback.
REASONER = web.AppKey[Reasoner]("reasoner")
# The subscription that brings other instances' events (readiness reports whether it is live).

# Each person's plan at the chat's handshake (from Redis, PostgreSQL on a miss).
PLANS = web.AppKey("plans", Plans)
# A crowd opening the chat at once takes turns at the handshake.
ARRIVALS = web.AppKey("arrivals", HandshakeLine)
# Per-person limits on the chat: open chats, questions, resumes.
CHAT_LIMITS = web.AppKey("chat_limits", PersonLimits)
