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

import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

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


async def plan_for(redis: Redis, sessions: Sessions, user_id: uuid.UUID) -> Plan:
    key = cache_key(user_id)
    try:
        cached = await redis.get(key)
        _CACHE_DOWN.ok()
    except (RedisError, OSError) as exc:
        _CACHE_DOWN.failed(exc)
        cached = None
    if cached is not None:
        try:
            return Plan(cached.decode() if isinstance(cached, bytes) else cached)
        except ValueError:
            pass  # not a plan (an old value): read it again
    try:
        # The session's own cleanup is inside the bound too: against a frozen server it waits.
        plan = await within(READ_BOUND_S, _read(sessions, user_id), what="the plan")
    except Exception as exc:  # a database that cannot answer: the chat opens all the same
        _DATABASE_DOWN.failed(exc)
        return DEFAULT_PLAN
    _DATABASE_DOWN.ok()
    try:
        await redis.set(key, plan.value, ex=CACHE_S)
    except (RedisError, OSError):
        pass  # read again next time
    return plan


async def _read(sessions: Sessions, user_id: uuid.UUID) -> Plan:
    async with sessions() as session:
        return await users.plan_of(session, user_id=user_id)


async def remember(redis: Redis, user_id: uuid.UUID, plan: Plan) -> None:
    """At sign-in, where the plan was just read anyway (best effort: a miss reads it again)."""
    try:
        await redis.set(cache_key(user_id), plan.value, ex=CACHE_S)
        _CACHE_DOWN.ok()
    except (RedisError, OSError) as exc:
        _CACHE_DOWN.failed(exc)
