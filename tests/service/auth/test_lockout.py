"""The sign-in lockout with Redis unreachable: it counts per instance; those counters used to keep
every email ever tried. Emails whose window is over are forgotten now."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from driver.client.eventually import eventually
from harness.services import free_port
from service.auth.lockout import LoginLockout
from service.errors import InvalidCredentials


async def test_the_local_lockout_forgets_emails_whose_window_is_over() -> None:
    # Unreachable (nothing listens there): the lockout counts locally.
    nowhere = Redis(port=free_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    lockout = LoginLockout(nowhere, window_s=1, max_failures=5)
    try:
        for i in range(50):
            with pytest.raises(InvalidCredentials):
                async with lockout.guard(f"guess-{i}@example.com"):
                    raise InvalidCredentials("wrong password")
        assert lockout.local_emails == 50

        async def forgotten() -> bool:
            async with lockout.guard("someone-new@example.com"):
                pass  # a success: counted, then forgiven
            assert lockout.local_emails == 0, f"{lockout.local_emails} emails still remembered"
            return True

        check: Callable[[], Awaitable[bool]] = forgotten
        done: bool = await eventually(check, timeout=5, describe="the old emails are forgotten")
        assert done
    finally:
        await nowhere.aclose()
