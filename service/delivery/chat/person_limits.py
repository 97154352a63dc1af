"""Per-person limits on the chat, across sockets and instances.

- Open chats: at most the plan's `open_chats` per person (service/plans.py), all instances
  together. Each open socket holds a
  ticket in the person's Redis sorted set (`chat:open:<user>`), scored by when it lapses; the
  instance renews its tickets while the sockets live, so those of a crashed instance lapse by
  themselves. One more is refused before the upgrade: 429 `too_many_chats`.
- Questions: one token bucket per person in Redis (`chat:rate:<user>`), shared by all their
  sockets on every instance.
- Questions per UTC day: the plan's `questions_per_day` (`daily`: daily_questions.py).
- Resumes: a second bucket (`chat:resume:<user>`) counts the runs named, so asking about
  thousands of runs costs a bounded number of database reads per minute.

When Redis cannot answer, each instance applies the same limits to what it sees itself (the
limits then hold per instance) rather than refusing everyone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.coalesce import Coalescer
from service.delivery.chat import daily_questions
from service.delivery.chat.daily_questions import DailyQuestions
from service.delivery.chat.frames import Frame as ClientFrame
from service.delivery.chat.frames import SendFrame
from service.delivery.chat.hub import Connection
from service.errors import RateLimited, TooManyChats
from service.plans import DEFAULT_PLAN, Plan
from service.resilience.outage_log import OutageNotice
from service.token_bucket import Bucket

log = logging.getLogger("service.ws")

TICKET_TTL_S = 60.0
RENEW_EVERY_S = TICKET_TTL_S / 3
SEND_BURST = 10.0  # questions a person may send back to back, all sockets together
SEND_PER_SECOND = 1.0  # and then, sustained
RESUME_BURST = 100.0  # runs a person may ask to catch up on at once
RESUME_PER_SECOND = 100.0 / 60  # and then, per minute: 100
RETRY_AFTER_S = 5  # for one chat too many: one of the others may close by then
LOCAL_BUCKETS_MAX = 10_000  # people tracked by the local fallback before idle ones are dropped
RENEW_BATCH = 500  # tickets renewed by one script call

# The open chats' and the rates' scripts read Redis's clock (TIME), never the instance's: every
# instance counts the same tickets as open and refills the same buckets, whatever its clock says.
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

# KEYS[1] the person's open chats; ARGV ticket, most chats, ticket lifetime (ms).
_ADMIT = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]) / 1000, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
"""
)

# KEYS the people's sets, ARGV[1] the lifetime (ms), then one ticket per key, in order.
_RENEW = (
    _NOW
    + """
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + ttl / 1000, ARGV[i + 1])
  redis.call('PEXPIRE', key, ttl)
end
return #KEYS
"""
)

# KEYS[1] the bucket; ARGV burst, tokens per second, cost. Leaves `wait`, the seconds to wait
# (0: taken).
_BUCKET = """
local burst, rate, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= cost then tokens = tokens - cost else wait = (cost - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
"""

_TAKE = _NOW + _BUCKET + "return tostring(wait)"

# A question: the rate's token, then (only when one was taken) the day's count, in one script
# (two round trips were two of a question's Redis calls). Returns {wait, counted}: a question
# over the rate is not counted, and not refused by the day either (counted 1).
_QUESTION = (
    _NOW
    + _BUCKET
    + "if wait > 0 then return {tostring(wait), 1} end"
    + daily_questions.COUNT
    + "return {'0', counted}"
)


@dataclass(frozen=True)
class Taken:
    """A question's turn: the seconds to wait (0: within the rate), the UTC day it was counted
    on, and whether the day's allowance had room (over the rate it is not counted: True)."""

    wait: float
    day: str
    day_allows: bool


@dataclass(frozen=True)
class Ticket:
    user_id: uuid.UUID
    member: str


class PersonLimits:
    def __init__(self, redis: Redis, *, instance_id: str) -> None:
        self._redis = redis
        self._instance_id = instance_id
        self.daily = DailyQuestions(redis)
        self._tickets: set[Ticket] = set()
        self._admit = Coalescer(self._admit_all)
        self._questions = Coalescer(self._take_questions)
        self._local: dict[tuple[str, uuid.UUID], Bucket] = {}
        # Logged once per outage, not once per chat or question.
        self._count_down = OutageNotice(log, "shared chat count (counting locally)")
        self._renew_down = OutageNotice(log, "renewal of open chats")
        self._rates_down = OutageNotice(log, "shared chat limits (limiting locally)")

    # -- open chats
    async def open(
        self, user_id: uuid.UUID, *, max_chats: int, plan: Plan = DEFAULT_PLAN
    ) -> Ticket:
        """A ticket for one more chat of this person (at most `max_chats`: their plan's), or
        TooManyChats."""
        ticket = Ticket(user_id, f"{self._instance_id}:{uuid.uuid4().hex}")
        try:
            admitted = await self._admit((ticket, max_chats))
            self._count_down.ok()
        except (RedisError, OSError) as exc:
            self._count_down.failed(exc)
            admitted = sum(t.user_id == user_id for t in self._tickets) < max_chats
        if not admitted:
            raise TooManyChats(
                f"You have {max_chats} chats open already, all your {plan.title} plan allows; "
                "close one first",
                retry_after=RETRY_AFTER_S,
            )
        self._tickets.add(ticket)
        return ticket

    async def _admit_all(self, asked: list[tuple[Ticket, int]]) -> list[Any]:
        """One pipeline for a crowd's tickets (service/coalesce.py), each admitted in turn."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for ticket, max_chats in asked:
                key = _open_key(ticket.user_id)
                pipe.eval(_ADMIT, 1, key, ticket.member, max_chats, int(TICKET_TTL_S * 1000))
            return list(await pipe.execute())

    @property
    def held(self) -> int:
        """The open-chat places this instance holds (and renews) in Redis."""
        return len(self._tickets)

    async def close(self, ticket: Ticket) -> None:
        self._tickets.discard(ticket)
        with contextlib.suppress(RedisError, OSError):  # else it lapses by itself
            await self._redis.zrem(_open_key(ticket.user_id), ticket.member)

    async def renew_forever(self) -> None:
        """Keep this instance's tickets from lapsing while their sockets are open."""
        while True:
            await asyncio.sleep(RENEW_EVERY_S)
            try:
                await self.renew()
            except (RedisError, OSError) as exc:
                self._renew_down.failed(exc)
            else:
                self._renew_down.ok()

    async def renew(self) -> int:
        """Push every ticket this instance holds a lifetime ahead: one script call per
        RENEW_BATCH tickets, each its own round trip, so 10,000 open chats are 20 short calls
        between which the loop serves everyone else (one pipeline of 10,000 calls held it for
        the packing and the replies). The tickets renewed."""
        tickets = list(self._tickets)
        ttl_ms = int(TICKET_TTL_S * 1000)
        for start in range(0, len(tickets), RENEW_BATCH):
            batch = tickets[start : start + RENEW_BATCH]
            keys = [_open_key(ticket.user_id) for ticket in batch]
            await self._redis.eval(
                _RENEW, len(keys), *keys, ttl_ms, *(ticket.member for ticket in batch)
            )
        return len(tickets)

    # -- rates
    async def take_question(self, user_id: uuid.UUID, per_day: int) -> Taken:
        """The rate's token and, if taken, one of the day's `per_day` questions: one script,
        and a crowd's questions in one round trip (service/coalesce.py)."""
        now = time.time()
        day, count_key = self.daily.key(user_id, now)
        try:
            wait, counted = await self._questions((user_id, count_key, per_day))
            self._rates_down.ok()
            self.daily.available()
        except (RedisError, OSError) as exc:
            self._rates_down.failed(exc)
            self.daily.unavailable(exc)
            wait, counted = self._take_here("rate", user_id, 1, SEND_BURST, SEND_PER_SECOND), 1
        return Taken(float(wait), day, bool(counted))

    async def _take_questions(self, asked: list[tuple[uuid.UUID, str, int]]) -> list[Any]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for user_id, count_key, per_day in asked:
                keys = (f"chat:rate:{user_id}", count_key)
                pipe.eval(
                    _QUESTION,
                    2,
                    *keys,
                    SEND_BURST,
                    SEND_PER_SECOND,
                    1,
                    per_day,
                    daily_questions.KEEP_S,
                )
            return list(await pipe.execute())

    async def resume_wait(self, user_id: uuid.UUID, runs: int) -> float:
        """0 when the person may catch up on `runs` more runs now, else the seconds to wait."""
        return await self._take("resume", user_id, runs, RESUME_BURST, RESUME_PER_SECOND)

    async def _take(
        self, kind: str, user_id: uuid.UUID, cost: int, burst: float, per_second: float
    ) -> float:
        try:
            wait = await self._redis.eval(
                _TAKE, 1, f"chat:{kind}:{user_id}", burst, per_second, cost
            )
            self._rates_down.ok()
            return float(wait)
        except (RedisError, OSError) as exc:
            self._rates_down.failed(exc)
        return self._take_here(kind, user_id, cost, burst, per_second)

    def _take_here(
        self, kind: str, user_id: uuid.UUID, cost: int, burst: float, per_second: float
    ) -> float:
        """The limit as this instance alone sees it (Redis is not answering)."""
        if len(self._local) > LOCAL_BUCKETS_MAX:
            self._local = {k: b for k, b in self._local.items() if not b.full}
        bucket = self._local.setdefault((kind, user_id), Bucket(burst, per_second))
        return bucket.take(cost)


def over_the_rate(connection: Connection, frame: ClientFrame, wait: float) -> dict[str, Any] | None:
    """The `rate_limited` error for a question or resume that must `wait` (seconds), else None
    (the socket counts each refusal: past its tolerance it is closed with 4429)."""
    if wait <= 0:
        return None
    if isinstance(frame, SendFrame):
        what, ref = "Too many questions at once", str(frame.client_msg_id)
    else:
        what, ref = "Too many catch-up requests", None
    connection.sends.refused()
    seconds = max(1, math.ceil(wait))
    return RateLimited(f"{what}; wait {seconds} s", retry_after=seconds).frame(ref)


def _open_key(user_id: uuid.UUID) -> str:
    return f"chat:open:{user_id}"
