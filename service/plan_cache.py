"""The person's plan at the chat's handshake, without PostgreSQL on the way in.

The handshake already asks Redis (the revocation mirror, the open-chat count); the plan joins
them: `plan:<user>` in Redis, filled from PostgreSQL on a miss and kept `CACHE_S`. So a frozen
database does not hold up opening the chat (issue 12's promise), and a thousand handshakes do not
queue for the SQLAlchemy pool. Signing in (password or enterprise) writes it too, so a person's
first chat after signing in finds it. `golden-path-plan` deletes the key when it changes a plan
(with REDIS_URL set); otherwise the change reaches chats within `CACHE_S`.

A miss that PostgreSQL cannot answer within `READ_BOUND_S` opens the chat on the default plan
(logged): the chat works, with Free figures, until the person opens the next one.
"""

from __future__ import annotations

import contextlib
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.coalesce import Coalescer
from service.plans import DEFAULT_PLAN, Plan, cache_key
from service.resilience.deadlines import within
from service.resilience.outage_log import OutageNotice
from service.store import users
from service.store.db import Sessions

log = logging.getLogger("service.ws")

CACHE_S = 300
READ_BOUND_S = 1.0
# Logged once per outage, not once per chat or sign-in (one service process, one of each).
_CACHE_DOWN = OutageNotice(log, "plan cache (asking PostgreSQL)")
_DATABASE_DOWN = OutageNotice(log, f"plans from PostgreSQL (opening chats on {DEFAULT_PLAN})")


class Plans:
    """Each person's plan for the chat's handshake. A crowd's handshakes share their round
    trips (service/coalesce.py): one MGET for the batch, one query for the batch's misses."""

    def __init__(self, redis: Redis, sessions: Sessions) -> None:
        self._redis = redis
        self._sessions = sessions
        self._batch = Coalescer(self._read)

    async def of(self, user_id: uuid.UUID) -> Plan:
        return await self._batch(user_id)

    async def _read(self, user_ids: list[uuid.UUID]) -> list[Plan]:
        plans = await self._cached(user_ids)
        missing = sorted({u for u in user_ids if u not in plans})
        if missing:
            plans |= await self._from_database(missing)
        return [plans.get(u, DEFAULT_PLAN) for u in user_ids]

    async def _cached(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Plan]:
        try:
            values = await self._redis.mget([cache_key(u) for u in user_ids])
            _CACHE_DOWN.ok()
        except (RedisError, OSError) as exc:
            _CACHE_DOWN.failed(exc)
            return {}
        plans = {}
        for user_id, value in zip(user_ids, values, strict=True):
            text = value.decode() if isinstance(value, bytes) else value
            with contextlib.suppress(ValueError):  # not a plan (an old value): read it again
                if text is not None:
                    plans[user_id] = Plan(text)
        return plans

    async def _from_database(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Plan]:
        try:
            # The session's own cleanup is inside the bound too: against a frozen server it waits.
            read = _read_plans(self._sessions, user_ids)
            plans = await within(READ_BOUND_S, read, what="the plan")
        except Exception as exc:  # a database that cannot answer: the chats open all the same
            _DATABASE_DOWN.failed(exc)
            return {}
        _DATABASE_DOWN.ok()
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for user_id, plan in plans.items():
                    pipe.set(cache_key(user_id), plan.value, ex=CACHE_S)
                await pipe.execute()
        except (RedisError, OSError):
            pass  # read again next time
        return plans


async def _read_plans(sessions: Sessions, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Plan]:
    async with sessions() as session:
        return await users.plans_of(session, user_ids=user_ids)


async def remember(redis: Redis, user_id: uuid.UUID, plan: Plan) -> None:
    """At sign-in, where the plan was just read anyway (best effort: a miss reads it again)."""
    try:
        await redis.set(cache_key(user_id), plan.value, ex=CACHE_S)
        _CACHE_DOWN.ok()
    except (RedisError, OSError) as exc:
        _CACHE_DOWN.failed(exc)
