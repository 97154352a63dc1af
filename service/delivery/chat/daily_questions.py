"""Questions per UTC day, per person: the plan's `questions_per_day` (service/plans.py).

Counted in Redis, not PostgreSQL: one atomic INCR per question on the hot path, shared by every
instance, with no extra query or index on the question's own transaction, and each day's count
expires by itself. A question that is not kept after all (refused as busy, a resend of one
already kept, a store that failed) is given back, so the count is of questions taken.

When Redis cannot answer, questions are let through (logged): the daily quota is what a plan
sells, not what keeps the service up (the per-minute burst, still enforced locally, does that),
and refusing everyone's questions during a Redis blip would be worse than a few extra.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.resilience.outage_log import OutageNotice

log = logging.getLogger("service.ws")

DAY_S = 24 * 3600
# A day's count outlives the day a little, so a clock a few seconds off does not reset it early.
KEEP_S = DAY_S + 3600

# A Lua fragment (service/delivery/chat/person_limits.py runs it with the rate's bucket, one
# script for both): KEYS[2] the day's count, ARGV[4] the questions allowed, ARGV[5] KEEP_S;
# `counted` is 1 when the question is within the day's allowance.
COUNT = """
local counted = 1
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
if n > tonumber(ARGV[4]) then redis.call('DECR', KEYS[2]) counted = 0 end
"""


def utc_day(now: float) -> str:
    return dt.datetime.fromtimestamp(now, dt.UTC).date().isoformat()


def seconds_to_reset(now: float) -> int:
    """Seconds until the next UTC midnight, when every day's count starts again (at least 1)."""
    return max(1, math.ceil(DAY_S - now % DAY_S))


class DailyQuestions:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        # Logged once per outage, not once per question.
        self._down = OutageNotice(log, "daily question count (not counting)")

    def key(self, user_id: uuid.UUID, now: float) -> tuple[str, str]:
        """The day of `now` and the person's count for it (PersonLimits.take_question counts)."""
        day = utc_day(now)
        return day, _key(user_id, day)

    def unavailable(self, exc: BaseException) -> None:
        """Redis could not count: questions are let through (logged once per outage)."""
        self._down.failed(exc)

    def available(self) -> None:
        self._down.ok()

    async def give_back(self, user_id: uuid.UUID, day: str) -> None:
        """A question counted on `day` was not kept after all."""
        try:
            await self._redis.decr(_key(user_id, day))
        except (RedisError, OSError) as exc:
            self._down.failed(exc)


def _key(user_id: uuid.UUID, day: str) -> str:
    return f"chat:day:{user_id}:{day}"
