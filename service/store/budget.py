"""Does this instance's most PostgreSQL connections fit what the server has left?

An instance may open `DATABASE_POOL_SIZE + DATABASE_POOL_OVERFLOW` (SQLAlchemy),
`HOT_PATH_POOL_SIZE` (asyncpg) and one for the run-lease loop. If that does not fit in the
server's `max_connections`, less its reserved slots and the connections already open, it
would fail later, under load, with "too many clients": it refuses to start instead, with one
line that says the arithmetic.

With the database down at start, the instance starts (it waits and becomes ready by itself
once the database is back: features/resilience/servers.feature) and checks as soon as the
database answers; readiness waits for that check, and a failed one stops the instance with
the same line.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import asyncpg

from service.store.db import DatabaseSettings

log = logging.getLogger("service.store")

# service/runs/recovery.py's own engine (one connection for the leases).
RECOVERY_CONNECTIONS = 1
# The check at start waits this long for the server; then it is made in the background.
CHECK_TIMEOUT_S = 2.0
RETRY_S = 1.0
_SETTINGS = ("max_connections", "superuser_reserved_connections", "reserved_connections")
# Client connections only (not the server's own workers), ours excluded.
_IN_USE = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
)


class BudgetExceeded(RuntimeError):
    """This instance may open more connections than the server has left (the line says why)."""


@dataclass(frozen=True)
class ServerRoom:
    max_connections: int
    reserved: int
    in_use: int

    @property
    def free(self) -> int:
        return self.max_connections - self.reserved - self.in_use


def instance_connections(settings: DatabaseSettings) -> tuple[int, str]:
    """The most connections this instance opens, and the sum that makes it."""
    parts = (
        ("DATABASE_POOL_SIZE", settings.database_pool_size),
        ("DATABASE_POOL_OVERFLOW", settings.database_pool_overflow),
        ("HOT_PATH_POOL_SIZE", settings.hot_path_pool_size),
    )
    total = sum(value for _, value in parts) + RECOVERY_CONNECTIONS
    sum_text = " + ".join(f"{name} {value}" for name, value in parts)
    return total, f"{sum_text} + {RECOVERY_CONNECTIONS} for recovery"


def verdict(settings: DatabaseSettings, room: ServerRoom) -> str | None:
    """The refusal line, or None when this instance fits."""
    wanted, how = instance_connections(settings)
    if wanted <= room.free:
        return None
    return (
        f"this instance may open {wanted} PostgreSQL connections ({how}) but the server allows "
        f"{room.max_connections} - {room.reserved} reserved - {room.in_use} in use "
        f"= {room.free} more"
    )


async def server_room(database_url: str, *, timeout_s: float) -> ServerRoom:
    async with asyncio.timeout(timeout_s):
        connection = await asyncpg.connect(database_url, timeout=timeout_s)
        try:
            rows = await connection.fetch(
                "SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])",
                list(_SETTINGS),
            )
            in_use = int(await connection.fetchval(_IN_USE))
        finally:
            await connection.close()
    values = {row["name"]: int(row["setting"]) for row in rows}
    return ServerRoom(
        max_connections=values["max_connections"],
        # reserved_connections exists from PostgreSQL 16 on.
        reserved=values["superuser_reserved_connections"] + values.get("reserved_connections", 0),
        in_use=in_use,
    )


async def check_budget(settings: DatabaseSettings) -> asyncio.Future[None]:
    """Raise BudgetExceeded when the server answers and this instance does not fit; when it
    does not answer, the check goes on in the returned task (done at once otherwise), which
    raises BudgetExceeded once the server answers and it does not fit."""
    try:
        room = await server_room(settings.database_url, timeout_s=CHECK_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.warning(
            "PostgreSQL connections not checked: the database did not answer (%s); "
            "checking once it does",
            type(exc).__name__,
        )
        return asyncio.ensure_future(_check_when_reachable(settings))
    if (line := verdict(settings, room)) is not None:
        raise BudgetExceeded(line)
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    done.set_result(None)
    return done


async def _check_when_reachable(settings: DatabaseSettings) -> None:
    while True:
        await asyncio.sleep(RETRY_S)
        try:
            room = await server_room(settings.database_url, timeout_s=CHECK_TIMEOUT_S)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            continue
        if (line := verdict(settings, room)) is not None:
            raise BudgetExceeded(line)
        log.info("PostgreSQL connections checked: this instance fits")
        return
