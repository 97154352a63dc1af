"""A circuit breaker in front of Redis, so a frozen Redis costs about a second, not a second per
call.

With short timeouts one call to a frozen Redis costs its 0.5 s timeout, but a run publishes
about ten events and a sign-in makes several calls: the seconds add up. After a call fails with
a connection error or a timeout, every call in the next `COOLDOWN_S` fails at once with
`RedisUnavailable` (a redis ConnectionError, so every caller's existing fallback applies); the
first call after the cooldown tries Redis again and closes the breaker when it answers.

The breaker counts as open from a failure until a call succeeds again (after the cooldown the
next call is its probe): `chat_circuit_breaker_open{dependency="redis"}` shows it, and
`chat_circuit_breaker_opened_total` counts each time a closed breaker opened.

A wait for a free pooled connection that runs out (`PoolBusy`) is not Redis failing: Redis
answers, the instance is just busy. It fails that one call and leaves the breaker alone, else a
burst would open it and silently turn every shared limit into a per-instance one.

Only the command client is guarded: the subscribers wait on their sockets without a timeout and
reconnect by themselves.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from service.metrics import BREAKER_OPENED, DEPENDENCY_ERRORS
from service.resilience.outage_log import OutageNotice

log = logging.getLogger("service.redis")

COOLDOWN_S = 1.0
FAILURES = (RedisConnectionError, RedisTimeoutError, OSError, TimeoutError)


class RedisUnavailable(RedisConnectionError):
    """Redis failed a moment ago; it is not asked again until the cooldown has passed."""


class PoolBusy(RedisConnectionError):
    """Every pooled connection stayed in use for the whole wait: the instance is busy, Redis is
    not known to be failing."""


class BusyAwarePool(BlockingConnectionPool):
    """A blocking pool whose running-out wait raises `PoolBusy` (redis-py raises a plain
    ConnectionError, the same as for a dead server)."""

    _busy_notice = OutageNotice(log, "Redis connection pool (every connection in use)")

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            connection = await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call]
        except RedisConnectionError as exc:
            if isinstance(exc.__cause__, asyncio.TimeoutError):  # the pool's wait, nothing sent
                self._busy_notice.failed()
                raise PoolBusy("every Redis connection of this instance is in use") from exc
            raise
        return connection


class Breaker:
    def __init__(self, cooldown_s: float = COOLDOWN_S, *, dependency: str = "redis") -> None:
        self.cooldown_s = cooldown_s
        self.dependency = dependency
        self._open_until = 0.0
        # From a failure until a call succeeds: past the cooldown calls are let through again,
        # but the dependency is not known to answer until one of them has.
        self.tripped = False
        self._notice = OutageNotice(log, dependency.capitalize())

    @property
    def open(self) -> bool:
        return time.monotonic() < self._open_until

    def check(self) -> None:
        if self.open:
            raise RedisUnavailable("Redis failed a moment ago; not asking again yet")

    def failed(self, exc: BaseException) -> None:
        DEPENDENCY_ERRORS.labels(self.dependency).inc()
        if not self.tripped:
            BREAKER_OPENED.labels(self.dependency).inc()
        self.tripped = True
        self._notice.failed(exc)  # once per outage, not once per probe
        self._open_until = time.monotonic() + self.cooldown_s

    def succeeded(self) -> None:
        self._open_until = 0.0
        if self.tripped:
            self.tripped = False
            self._notice.ok()


class GuardedPipeline(Pipeline):
    breaker: Breaker

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        self.breaker.check()
        try:
            result = await super().execute(raise_on_error)
        except PoolBusy:
            raise  # busy here, not Redis failing: the breaker stays as it is
        except FAILURES as exc:
            self.breaker.failed(exc)
            raise
        self.breaker.succeeded()
        return result


class GuardedRedis(Redis):
    """`Redis.from_url(...)` with a breaker shared by its commands and pipelines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.breaker = Breaker()

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        self.breaker.check()
        try:
            result = await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        except PoolBusy:
            raise  # busy here, not Redis failing: the breaker stays as it is
        except FAILURES as exc:
            self.breaker.failed(exc)
            raise
        self.breaker.succeeded()
        return result

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        pipe = GuardedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )
        pipe.breaker = self.breaker
        return pipe
