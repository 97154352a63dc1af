"""The aiohttp application factory: one cleanup context per external resource, all of them here.

It wires the rooms together: where a lower room needs a higher one it declares a port, and this
hands it the higher room's object (the run executor writes to the event log; revocation closes
the hub's sockets), and it binds the operators' figures to the live state (service/metrics.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.pool import QueuePool

from service import metrics
from service.agents.llm import reasoner_for
from service.auth.api_budget import ApiBudget
from service.auth.hashing import HashingPool
from service.auth.lockout import LoginLockout
from service.auth.oidc import OidcVerifier
from service.auth.passwords import use_cost
from service.auth.revocation import Revocations
from service.collector import tuned_collector
from service.delivery.bus import Bus
from service.delivery.chat.arrivals import HandshakeLine
from service.delivery.chat.hub import Hub
from service.delivery.chat.person_limits import PersonLimits
from service.delivery.event_log import EventLog
from service.delivery.streams import StreamPolicy
from service.http import request_metrics
from service.http.chat.handler import close_all, websocket
from service.http.common import errors_middleware
from service.http.cors import cors_middleware
from service.http.draining import draining_middleware
from service.http.edge import add_request_id, edge_middleware
from service.http.proxies import TrustedProxies
from service.http.request_metrics import request_metrics_middleware
from service.http.routes import auth, health, login_sessions, threads, usage
from service.http.routes import web as web_page
from service.keys import (
    API_BUDGET,
    ARRIVALS,
    BUDGET,
    BUS,
    CHAT_LIMITS,
    ENGINE,
    EVENTS,
    HASHING,
    HOT_PATH,
    HUB,
    LIFECYCLE,
    LOCKOUT,
    OIDC,
    PLANS,
    REASONER,
    REDIS,
    REVOCATIONS,
    RUNS,
    SESSIONS,
    SETTINGS,
)
from service.lifecycle import Lifecycle
from service.plan_cache import Plans
from service.resilience.deadlines import REQUEST_TIMEOUT_S, deadline_middleware
from service.resilience.redis_guard import BusyAwarePool, GuardedRedis
from service.runs.admission import Admission
from service.runs.executor import RunExecutor
from service.runs.first_progress import FirstProgress
from service.runs.recovery import Recovery
from service.runs.tool_limits import ToolLimits
from service.settings import Settings
from service.shutdown import bounded, cancelled
from service.store.budget import RECOVERY_CONNECTIONS, check_budget
from service.store.db import make_engine, make_sessions
from service.store.hot_path import HotPath

log = logging.getLogger("service")
REDIS_POOL_WAIT_S = 1.0
# A channel listener holds one connection; a second lets it resubscribe while the old one is
# still being let go. So an instance opens at most REDIS_MAX_CONNECTIONS + 2 x 2 to Redis.
LISTENER_CONNECTIONS = 2


def redis_client(url: str, *, max_connections: int, for_pubsub: bool = False) -> Redis:
    # Short timeouts and one retry: a frozen Redis costs about a second, not a minute.
    # The subscriber waits for messages indefinitely, so it has no read timeout. Commands go
    # through a circuit breaker (service/resilience/redis_guard.py): after a failure Redis is
    # skipped briefly.
    # One retry on a connection error (not on a timeout): a pooled connection that a Redis
    # restart has closed is replaced at once instead of failing the call.
    # A caller waits for a free connection (a blocking pool) instead of failing with
    # MaxConnectionsError: under a thousand handshakes at once, that error opened the circuit
    # breaker and turned a busy moment into a Redis outage; and a wait that runs out raises
    # PoolBusy, which the breaker does not count either.
    pool = BusyAwarePool.from_url(
        url,
        max_connections=max_connections,
        timeout=REDIS_POOL_WAIT_S,
        socket_connect_timeout=0.5,
        socket_timeout=None if for_pubsub else 0.5,
        retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        health_check_interval=5 if for_pubsub else 0,
    )
    client = Redis if for_pubsub else GuardedRedis
    return client.from_pool(pool)


def subscriber_client(url: str) -> Redis:
    """A channel listener's own client (it waits for messages with no read timeout)."""
    return redis_client(url, max_connections=LISTENER_CONNECTIONS, for_pubsub=True)


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    # Refuses to start when this instance's connections do not fit the server's (when it
    # answers now; else once it does, before the instance can become ready).
    budget = app[BUDGET] = await check_budget(settings)
    engine = make_engine(settings)
    app[ENGINE] = engine
    app[SESSIONS] = make_sessions(engine)
    hot_path = app[HOT_PATH] = HotPath(
        settings.database_url,
        instance_id=settings.instance_id,
        pool_size=settings.hot_path_pool_size,
    )
    await hot_path.open()
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool):  # the service's own engine always is
        metrics.watch_database(
            "sessions",
            in_use=pool.checkedout,
            open_=lambda: pool.checkedin() + pool.checkedout(),
            kept=pool.size(),
        )
    metrics.watch_database(
        "hot_path",
        in_use=hot_path.connections_in_use,
        open_=hot_path.connections_open,
        kept=settings.hot_path_pool_size,
    )
    warming = asyncio.create_task(hot_path.warm())
    yield
    await cancelled("the pool's warming and the connection check", [warming, budget])
    await hot_path.close()  # bounded itself: it cuts the connections still held
    await bounded("the database engine", engine.dispose())


async def _redis(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    client = app[REDIS] = redis_client(
        settings.redis_url, max_connections=settings.redis_max_connections
    )
    if isinstance(client, GuardedRedis):
        metrics.watch_breaker("redis", lambda: client.breaker.tripped)
    app[PLANS] = Plans(client, app[SESSIONS])
    yield
    await bounded("the Redis client", app[REDIS].aclose())


async def _reasoner(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    async with reasoner_for(settings.llm, run_deadline_s=settings.run_deadline_s) as reasoner:
        app[REASONER] = reasoner
        yield


async def _fan_out(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    subscriber = subscriber_client(settings.redis_url)
    delivery = settings.delivery
    streams = StreamPolicy(ttl_s=delivery.run_stream_ttl_s, maxlen=delivery.run_stream_maxlen)
    bus = Bus(
        app[REDIS],
        app[HUB],
        subscriber=subscriber,
        instance_id=settings.instance_id,
        streams=streams,
    )
    app[BUS] = bus
    events = app[EVENTS] = EventLog(app[HOT_PATH], bus)
    app[RUNS] = RunExecutor(
        app[SESSIONS],
        app[HOT_PATH],
        events,
        app[REASONER],
        deadline_s=settings.run_deadline_s,
        tools=ToolLimits(
            timeout_s=delivery.tool_timeout_s,
            delay_s=delivery.tool_delay_s,
            failed_reads=delivery.usage_read_failures,
            failed_analyses=delivery.savings_analysis_failures,
        ),
        admission=Admission(
            in_flight=settings.runs_in_flight,
            queued=settings.runs_queued,
            queued_per_person=settings.runs_queued_per_person,
            wait_s=settings.run_queue_wait_s,
            # A run holds its slot for at most its deadline, plus the time to store its end.
            stall_s=2 * settings.run_deadline_s,
        ),
        first_progress=FirstProgress(hold_s=settings.first_progress_hold_s),
    )
    admission = app[RUNS].admission
    metrics.watch(
        open_chats=app[HUB].count,
        running=lambda: admission.running,
        queued=lambda: admission.queued,
        max_in_flight=admission.max_in_flight,
        max_queued=admission.max_queued,
    )
    # Torn down after on_shutdown has drained the runs, whose last events it writes.
    background = [
        asyncio.create_task(bus.listen()),
        asyncio.create_task(events.run()),
        asyncio.create_task(app[RUNS].heartbeat.run()),
    ]
    yield
    await cancelled("the fan-out listener, event writer and heartbeat", background)
    await bounded("the fan-out subscriber", subscriber.aclose())


async def _access(app: web.Application) -> AsyncIterator[None]:
    """Revocation (checked on every request and handshake), sign-in lockout, enterprise sign-in."""
    settings = app[SETTINGS]
    use_cost(settings.password_hash_cost)  # before the first request: new hashes, the dummy
    hub: Hub = app[HUB]  # the open chats that revocation closes (its port)
    revocations = Revocations(app[SESSIONS], app[REDIS], hub, instance_id=settings.instance_id)
    app[REVOCATIONS] = revocations
    app[API_BUDGET] = ApiBudget(
        app[REDIS], burst=settings.api_burst, per_second=settings.api_per_second
    )
    app[LOCKOUT] = LoginLockout(
        app[REDIS], window_s=settings.login_lockout_s, max_failures=settings.login_max_failures
    )
    app[HASHING] = HashingPool(
        workers=settings.password_hash_workers,
        max_waiting_per_client=settings.password_queue_per_address,
        max_waiting=10 * settings.password_queue_per_address,
        # Refused at once rather than answered 503 at the request deadline.
        max_wait_s=REQUEST_TIMEOUT_S - 2,
    )
    http: aiohttp.ClientSession | None = None
    if settings.oidc_issuer and settings.oidc_client_id:
        http = aiohttp.ClientSession(trust_env=False)
        app[OIDC] = OidcVerifier(
            issuer=settings.oidc_issuer,
            client_id=settings.oidc_client_id,
            refetch_s=settings.oidc_jwks_refetch_s,
            http=http,
        )
    subscriber = subscriber_client(settings.redis_url)
    watcher = asyncio.create_task(revocations.run(subscriber))
    yield
    await cancelled("the revocation listener", [watcher])
    await bounded("the revocations", revocations.aclose())
    app[HASHING].close()
    await bounded("the revocation subscriber", subscriber.aclose())
    if http is not None:
        await bounded("the sign-in provider's client", http.close())


async def _recovery(app: web.Application) -> AsyncIterator[None]:
    """The lease loop of this instance (service/runs/recovery.py), on an engine of its own."""
    settings = app[SETTINGS]
    engine = make_engine(settings, connections=RECOVERY_CONNECTIONS)
    recovery = Recovery(
        app[SESSIONS],
        app[RUNS],
        app[EVENTS],
        lease_sessions=make_sessions(engine),
        instance_id=settings.instance_id,
        lease_s=settings.run_lease_s,
    )
    task = asyncio.create_task(recovery.run_forever(), name="run leases")
    yield
    await cancelled("the lease loop", [task])
    await bounded("the lease loop's engine", engine.dispose())


async def _chat_limits(app: web.Application) -> AsyncIterator[None]:
    """Per-person limits on the chat, and the renewal of the open-chat places they hold."""
    settings = app[SETTINGS]
    limits = app[CHAT_LIMITS] = PersonLimits(app[REDIS], instance_id=settings.instance_id)
    metrics.watch_held(chat_places=lambda: limits.held)
    renewer = asyncio.create_task(limits.renew_forever())
    yield
    await cancelled("the open chats' renewal", [renewer])


async def _on_shutdown(app: web.Application) -> None:
    """Drain: close sockets with 1001 and give in-flight runs the drain window."""
    await close_all(app[HUB].connections())
    await app[RUNS].drain(app[SETTINGS].drain_s)


def create_app(settings: Settings) -> web.Application:
    # The edge first: every other middleware and handler (the chat's handshake too) sees the
    # real client behind a trusted proxy, and logs with the request's id.
    edge = edge_middleware(TrustedProxies(settings.trusted_proxies))
    # Header fields up to 16 KiB reach our handlers, so a pass far over its 4,096 characters
    # still gets the contract's invalid_token answer; larger fields, or more than 64 of them,
    # get the HTTP parser's 400 (a request's headers hold at most about 1 MiB).
    app = web.Application(
        # The edge first (the real client and the request id), then the timing, so every answer
        # counts, whichever middleware made it.
        middlewares=[
            edge,
            request_metrics_middleware,
            cors_middleware,
            errors_middleware,
            draining_middleware,
            deadline_middleware,
        ],
        handler_args={"max_field_size": 16 * 1024, "max_headers": 64},
    )
    app.on_response_prepare.append(add_request_id)
    app[SETTINGS] = settings
    app[LIFECYCLE] = Lifecycle()
    metrics.describe_build(commit=settings.build_commit, instance_id=settings.instance_id)
    request_metrics.install(app)
    app[HUB] = Hub(outbox_frames=settings.delivery.socket_outbox_frames)
    delivery = settings.delivery
    app[ARRIVALS] = HandshakeLine(
        at_once=delivery.handshakes_at_once,
        waiting=delivery.handshakes_waiting,
        wait_s=delivery.handshake_wait_s,
    )
    app.cleanup_ctx.extend(
        [_database, _redis, _reasoner, _fan_out, _access, _recovery, _chat_limits]
    )
    # Last: what the startup steps made is frozen out of the collector's passes.
    app.cleanup_ctx.append(tuned_collector)
    app.on_shutdown.append(_on_shutdown)
    for module in (auth, login_sessions, usage, threads, health, web_page):
        app.add_routes(module.routes)
    app.router.add_get("/ws", websocket)
    return app
