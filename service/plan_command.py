"""`golden-path-plan EMAIL [PLAN]`: show an account's plan, or move it to another plan
(Free, Early, Mid, Enterprise; any case). Reads DATABASE_URL (or DATABASE_URL_FILE) like
`golden-path-migrate`, and REDIS_URL (or REDIS_URL_FILE) if given, to clear the chats' copy.

The move counts from the person's next chat (open chats, questions per day, the line) and next
upload (usage records); chats already open keep the plan they opened with until they close.
Exit status: 0 done, 1 no such account, 2 a wrong plan name or usage.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from service.env import with_secret_files
from service.plans import Plan, cache_key, parse_plan
from service.store.migrate import async_url_from_env
from service.store.models import User
from service.store.users import set_plan


async def _run(email: str, plan: Plan | None) -> int:
    engine = create_async_engine(async_url_from_env(), pool_size=1, max_overflow=0)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            if plan is None:
                held = await session.scalar(
                    select(User.plan).where(User.email == email.strip().lower())
                )
                if held is None:
                    print(f"No account has the email {email}", file=sys.stderr)
                    return 1
                print(f"{email}: {Plan(held).title}")
                return 0
            moved = await set_plan(session, email=email, plan=plan)
    finally:
        await engine.dispose()
    if moved is None:
        print(f"No account has the email {email}", file=sys.stderr)
        return 1
    user_id, before = moved
    await _forget_cached(user_id)
    print(f"{email}: {before.title} -> {plan.title}")
    return 0


async def _forget_cached(user_id: uuid.UUID) -> None:
    """The chats' copy of the plan (service.plan_cache.py) goes at once when
    REDIS_URL is given; otherwise it lapses by itself within minutes."""
    env, problems = with_secret_files(os.environ, ("REDIS_URL",))
    url = env.get("REDIS_URL", "").strip()
    if problems or not url:
        # Imported only here: the chats' cache module brings aiohttp, which the command needs not.
        from service.plan_cache import CACHE_S

        print(
            f"(no REDIS_URL: new chats see the change within {CACHE_S // 60} minutes)",
            file=sys.stderr,
        )
        return
    redis = Redis.from_url(url, socket_timeout=5)
    try:
        await redis.delete(cache_key(user_id))
    except (RedisError, OSError) as exc:
        print(
            f"(the cached plan was not cleared: {exc!r}; it lapses within minutes)", file=sys.stderr
        )
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="golden-path-plan", description="Show or change the plan of an account."
    )
    parser.add_argument("email", help="the account's email address")
    parser.add_argument("plan", nargs="?", help="Free, Early, Mid or Enterprise")
    args = parser.parse_args(argv)
    try:
        plan = None if args.plan is None else parse_plan(args.plan)
    except ValueError as exc:
        parser.error(str(exc))
    raise SystemExit(asyncio.run(_run(args.email, plan)))


if __name__ == "__main__":
    main()
