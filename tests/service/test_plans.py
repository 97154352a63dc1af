"""Plans (issue 18, finding 5): the column and its constraint, the operator's command, the quotas
the plan sets (usage records, the line, questions per day) and enterprise sign-in, on a real
PostgreSQL and a real Redis where they are involved."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import date
from decimal import Decimal

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import create_async_engine

from harness.redis import EmbeddedRedis
from service.delivery.chat.daily_questions import seconds_to_reset
from service.delivery.chat.person_limits import SEND_BURST, PersonLimits
from service.errors import Forbidden
from service.plan_cache import Plans
from service.plans import PLANS, Plan, cache_key, parse_plan, with_overrides
from service.runs.admission import Admission
from service.store import identities, usage
from service.store.db import make_sessions
from service.store.models import UsageRecord

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


async def _person(conn: asyncpg.Connection) -> tuple[uuid.UUID, str]:
    user_id = uuid.uuid4()
    email = f"{user_id}@example.com"
    await conn.execute(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Alice', 'x')",
        user_id,
        email,
    )
    return user_id, email


def _command(
    database_url: str, *args: str, redis_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env.pop("REDIS_URL", None)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return subprocess.run(
        [sys.executable, "-m", "service.plan_command", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_a_new_account_is_on_the_free_plan_and_no_other_plan_can_be_stored(
    database: asyncpg.Connection,
) -> None:
    user_id, _ = await _person(database)
    assert await database.fetchval("SELECT plan FROM users WHERE id = $1", user_id) == "free"
    with pytest.raises(asyncpg.CheckViolationError):
        await database.execute("UPDATE users SET plan = 'gold' WHERE id = $1", user_id)


async def test_the_operator_command_moves_an_account_to_another_plan(
    database_url: str, database: asyncpg.Connection
) -> None:
    user_id, email = await _person(database)
    moved = _command(database_url, email.upper(), "Mid")
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == f"{email.upper()}: Free -> Mid"
    assert await database.fetchval("SELECT plan FROM users WHERE id = $1", user_id) == "mid"
    shown = _command(database_url, email)
    assert (shown.returncode, shown.stdout.strip()) == (0, f"{email}: Mid")

    nobody = _command(database_url, "nobody@example.com", "Early")
    assert nobody.returncode == 1 and "No account" in nobody.stderr
    wrong = _command(database_url, email, "Gold")
    assert wrong.returncode == 2 and "the plans are Free, Early, Mid, Enterprise" in wrong.stderr
    assert await database.fetchval("SELECT plan FROM users WHERE id = $1", user_id) == "mid"


async def test_the_chats_copy_of_the_plan_is_cleared_by_the_command(
    database_url: str, database: asyncpg.Connection
) -> None:
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    sessions = make_sessions(engine)
    user_id, email = await _person(database)
    with EmbeddedRedis() as server:
        redis = Redis.from_url(server.url)
        try:
            assert await Plans(redis, sessions).of(user_id) is Plan.FREE
            assert await redis.get(cache_key(user_id)) == b"free"
            moved = _command(database_url, email, "Enterprise", redis_url=server.url)
            assert moved.returncode == 0, moved.stderr
            assert await redis.get(cache_key(user_id)) is None
            assert await Plans(redis, sessions).of(user_id) is Plan.ENTERPRISE
        finally:
            await redis.aclose()
            await engine.dispose()


async def test_a_database_that_cannot_answer_opens_the_chat_on_the_default_plan() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    with EmbeddedRedis() as server:
        redis = Redis.from_url(server.url)
        try:
            assert await Plans(redis, make_sessions(engine)).of(uuid.uuid4()) is Plan.FREE
        finally:
            await redis.aclose()
            await engine.dispose()


async def test_the_usage_records_an_account_keeps_are_its_plans(
    database_url: str, database: asyncpg.Connection
) -> None:
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    sessions = make_sessions(engine)
    user_id, _ = await _person(database)
    bounds = {Plan.FREE: 2, Plan.EARLY: 4, Plan.MID: 4, Plan.ENTERPRISE: 4}

    def records(n: int) -> list[UsageRecord]:
        return [
            UsageRecord(
                day=date(2026, 12, 1),
                model="m",
                feature="f",
                requests=1,
                input_tokens=1,
                output_tokens=1,
                cost_usd=Decimal(1),
            )
            for _ in range(n)
        ]

    try:
        async with sessions() as session:
            with pytest.raises(usage.TooMuchUsage, match="on the Free plan keeps at most 2"):
                await usage.add_usage(
                    session, user_id=user_id, records=records(3), max_per_plan=bounds, max_per_day=9
                )
        await database.execute("UPDATE users SET plan = 'early' WHERE id = $1", user_id)
        async with sessions() as session:
            added = await usage.add_usage(
                session, user_id=user_id, records=records(3), max_per_plan=bounds, max_per_day=9
            )
        assert added == 3
    finally:
        await engine.dispose()


async def test_enterprise_sign_in_makes_enterprise_accounts_and_is_for_them_only(
    database_url: str, database: asyncpg.Connection
) -> None:
    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    sessions = make_sessions(engine)
    subject = uuid.uuid4().hex
    person = {"issuer": "https://idp.example", "subject": subject, "name": "Erin"}
    try:
        async with sessions() as session:
            user_id = await identities.account_for(
                session, email=f"{subject}@corp.example", **person
            )
        plan = await database.fetchval("SELECT plan FROM users WHERE id = $1", user_id)
        assert plan == "enterprise"
        await database.execute("UPDATE users SET plan = 'free' WHERE id = $1", user_id)
        async with sessions() as session:
            with pytest.raises(Forbidden, match="this one is on the Free plan"):
                await identities.account_for(session, email=f"{subject}@corp.example", **person)
        await database.execute("UPDATE users SET plan = 'enterprise' WHERE id = $1", user_id)
        async with sessions() as session:
            again = await identities.account_for(session, email=f"{subject}@corp.example", **person)
        assert again == user_id
    finally:
        await engine.dispose()


async def test_questions_per_day_are_counted_per_person_and_given_back() -> None:
    with EmbeddedRedis() as server:
        redis = Redis.from_url(server.url)
        limits = PersonLimits(redis, instance_id="here")
        fiona, erin = uuid.uuid4(), uuid.uuid4()
        try:
            taken = [await limits.take_question(fiona, 3) for _ in range(4)]
            assert [t.day_allows for t in taken] == [True, True, True, False]
            assert (await limits.take_question(erin, 3)).day_allows  # others are unaffected
            await limits.daily.give_back(fiona, taken[0].day)  # a question not kept after all
            assert (await limits.take_question(fiona, 3)).day_allows
            assert not (await limits.take_question(fiona, 3)).day_allows
        finally:
            await redis.aclose()


async def test_a_question_over_the_rate_is_not_counted_against_the_day() -> None:
    """The rate and the day's count in one script: a question over the rate is refused as that,
    and not counted against the day."""
    with EmbeddedRedis() as server:
        redis = Redis.from_url(server.url)
        limits = PersonLimits(redis, instance_id="here")
        fiona = uuid.uuid4()
        try:
            taken = await asyncio.gather(
                *(limits.take_question(fiona, 100) for _ in range(int(SEND_BURST) + 2))
            )
            assert [t.wait > 0 for t in taken] == [False] * int(SEND_BURST) + [True, True]
            assert all(t.day_allows for t in taken)  # over the rate: refused as that, not quota
            # One script each for the rate and the day (issue 19: two round trips were two).
            stats = await redis.info("commandstats")
            assert stats["cmdstat_eval"]["calls"] == len(taken)
            assert (
                await redis.get(f"chat:day:{fiona}:{taken[0].day}") == str(int(SEND_BURST)).encode()
            )
        finally:
            await redis.aclose()


def test_the_reset_is_at_the_next_utc_midnight() -> None:
    midnight = 1_796_601_600  # 2026-12-07 00:00 UTC
    assert seconds_to_reset(midnight + 1) == 24 * 3600 - 1
    assert seconds_to_reset(midnight - 90) == 90


async def test_a_paying_plan_reaches_past_a_line_a_free_flood_has_filled() -> None:
    admission = Admission(in_flight=1, queued=4, queued_per_person=5)
    free, enterprise = PLANS[Plan.FREE], PLANS[Plan.ENTERPRISE]
    admission.enter("running")
    for person in ("f1", "f1", "f2", "f2"):
        assert admission.has_room(person, places=free.line_places, reach=free.line_reach)
        admission.enter(person)
    assert not admission.has_room("f3", places=free.line_places, reach=free.line_reach)
    assert admission.has_room("erin", places=enterprise.line_places, reach=enterprise.line_reach)
    # Each plan's share of the line per person.
    assert not admission.has_room("f1", places=2, reach=10.0)
    assert admission.has_room("f1", places=3, reach=10.0)


def test_quotas_can_be_overridden_and_wrong_overrides_are_named() -> None:
    table = with_overrides("free.questions_per_day=3, Mid.open_chats=4 ,")
    assert table[Plan.FREE].questions_per_day == 3 and table[Plan.MID].open_chats == 4
    assert table[Plan.EARLY] == PLANS[Plan.EARLY]
    for wrong, said in (
        ("gold.open_chats=1", "not a plan"),
        ("free.chats=1", "not plan.quota=figure"),
        ("free.open_chats=many", "not a number"),
        ("free.open_chats=0", "between 1 and"),
    ):
        with pytest.raises(ValueError, match=said):
            with_overrides(wrong)
    assert parse_plan(" ENTERPRISE ") is Plan.ENTERPRISE
