"""Brute-force protection for sign-in: a few failures per email, then a locked window.

Every attempt is counted *before* the password is checked (and uncounted when it succeeds), so a
burst of parallel guesses cannot slip past the limit while the slow hash runs. After
`max_failures` failures within the window, the email is locked for the window: every attempt,
even with the right password, answers 429 with Retry-After. Other emails are unaffected.

The counters live in Redis, shared by every instance and keyed by a hash of the email (no
address is stored there). If Redis is unreachable, each instance falls back to its own counters:
the limit then holds per instance rather than across them, and sign-in keeps working.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.errors import InvalidCredentials, RateLimited
from service.resilience.outage_log import OutageNotice

log = logging.getLogger("service.lockout")
PREFIX = "auth:login:"


# KEYS fails, lock; ARGV window seconds, member. Returns {lock's ms to live, attempts counted}.
_BEGIN = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lock_ms = redis.call('PTTL', KEYS[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
redis.call('ZADD', KEYS[1], string.format('%.6f', now), ARGV[2])
local counted = redis.call('ZCARD', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return {lock_ms, counted}
"""


@dataclass(frozen=True)
class Attempt:
    """One counted sign-in attempt; hand it back with `failed` or `succeeded`."""

    email_key: str
    member: str
    local: bool


def _email_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class LoginLockout:
    def __init__(self, redis: Redis, *, window_s: int, max_failures: int) -> None:
        self._redis = redis
        self._window_s = window_s
        self._max = max_failures
        # The local fallback: attempt times and lock expiry (monotonic) per email key. Emails
        # whose attempts and lock are over are dropped (`_prune_local`), so the maps hold only
        # the last window's emails, not every email ever tried.
        self._local_attempts: defaultdict[str, dict[str, float]] = defaultdict(dict)
        self._local_locks: dict[str, float] = {}
        self._pruned_at = time.monotonic()
        # Every sign-in touches the counters: logged once per outage, not once per sign-in.
        self._down = OutageNotice(log, "shared sign-in lockout counters (counting locally)")

    def _refused(self, seconds: float) -> RateLimited:
        return RateLimited(
            "Too many failed sign-ins for this account; try again later",
            retry_after=max(1, math.ceil(seconds)),
        )

    @contextlib.asynccontextmanager
    async def guard(self, email: str) -> AsyncIterator[None]:
        """Check credentials inside: InvalidCredentials counts as a failure, success forgives
        earlier failures, any other error leaves the count as it was."""
        attempt = await self.begin(email)
        try:
            yield
        except InvalidCredentials:
            await self.failed(attempt)
            raise
        except BaseException:
            await self.release(attempt)
            raise
        await self.succeeded(attempt)

    async def begin(self, email: str) -> Attempt:
        """Count an attempt, or raise rate_limited while the email is locked."""
        key = _email_key(email)
        member = f"{time.time():.6f}:{secrets.token_hex(4)}"
        try:
            attempt = await self._begin_shared(key, member)
        except (RedisError, OSError) as exc:
            self._down.failed(exc)
            return self._begin_local(key, member)
        self._down.ok()
        return attempt

    async def failed(self, attempt: Attempt) -> None:
        """The attempt used a wrong password: it stays counted; lock at the limit."""
        if attempt.local:
            self._failed_local(attempt)
            return
        fails, lock = PREFIX + "fails:" + attempt.email_key, PREFIX + "lock:" + attempt.email_key
        try:
            if await self._redis.zcard(fails) >= self._max:
                await self._redis.set(lock, b"1", ex=self._window_s)
        except (RedisError, OSError) as exc:
            self._down.failed(exc)
            self._failed_local(attempt)

    async def succeeded(self, attempt: Attempt) -> None:
        """The right password: earlier failures are forgiven."""
        self._local_attempts.pop(attempt.email_key, None)
        if attempt.local:
            return
        try:
            await self._redis.delete(PREFIX + "fails:" + attempt.email_key)
        except (RedisError, OSError) as exc:
            self._down.failed(exc)

    async def release(self, attempt: Attempt) -> None:
        """The attempt never got to the password (a dependency failed): uncount it."""
        if (attempts := self._local_attempts.get(attempt.email_key)) is not None:
            attempts.pop(attempt.member, None)
        if attempt.local:
            return
        try:
            await self._redis.zrem(PREFIX + "fails:" + attempt.email_key, attempt.member)
        except (RedisError, OSError) as exc:
            self._down.failed(exc)

    # -- shared counters (Redis)
    async def _begin_shared(self, key: str, member: str) -> Attempt:
        fails, lock = PREFIX + "fails:" + key, PREFIX + "lock:" + key
        # Redis's clock, not this instance's: instances with skewed clocks count one window.
        lock_ms, counted = await self._redis.eval(_BEGIN, 2, fails, lock, self._window_s, member)
        if lock_ms > 0 or counted > self._max:
            await self._redis.zrem(fails, member)
            if lock_ms <= 0:  # a burst past the limit: lock now
                await self._redis.set(lock, b"1", ex=self._window_s)
                lock_ms = self._window_s * 1000
            raise self._refused(lock_ms / 1000)
        return Attempt(key, member, local=False)

    # -- local fallback
    def _begin_local(self, key: str, member: str) -> Attempt:
        now = time.monotonic()
        self._prune_local(now)
        locked_until = self._local_locks.get(key, 0.0)
        if locked_until > now:
            raise self._refused(locked_until - now)
        attempts = self._local_attempts[key]
        for old in [m for m, at in attempts.items() if now - at >= self._window_s]:
            del attempts[old]
        if len(attempts) >= self._max:
            self._local_locks[key] = now + self._window_s
            raise self._refused(self._window_s)
        attempts[member] = now
        return Attempt(key, member, local=True)

    def _prune_local(self, now: float) -> None:
        """Forget emails whose every attempt is older than the window and whose lock is over
        (at most once a second: a pass over the maps)."""
        if now - self._pruned_at < 1.0:
            return
        self._pruned_at = now
        for key in [k for k, until in self._local_locks.items() if until <= now]:
            del self._local_locks[key]
        stale = [
            key
            for key, attempts in self._local_attempts.items()
            if all(now - at >= self._window_s for at in attempts.values())
        ]
        for key in stale:
            del self._local_attempts[key]

    @property
    def local_emails(self) -> int:
        """How many emails the local fallback remembers (tests check that it stays bounded)."""
        return len(self._local_attempts.keys() | self._local_locks.keys())

    def _failed_local(self, attempt: Attempt) -> None:
        attempts = self._local_attempts[attempt.email_key]
        attempts.setdefault(attempt.member, time.monotonic())
        if len(attempts) >= self._max:
            self._local_locks[attempt.email_key] = time.monotonic() + self._window_s
