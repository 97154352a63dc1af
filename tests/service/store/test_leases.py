"""Run leases are renewed in one statement for every run an instance holds, on a real PostgreSQL
(issue 19): the renewal runs whenever a run starts, so it must stay one cheap statement, and it
must still extend only the runs this instance holds and that are still running."""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from service.store import leases
from service.store.db import async_database_url, make_sessions
from service.store.hot_path import HotPath

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

LEASE_S = 600.0


async def _runs(database_url: str, conn: asyncpg.Connection) -> list[uuid.UUID]:
    """Three runs of one person: this instance's running one, this instance's finished one,
    another instance's running one; every lease expiring now."""
    user_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO users (id, email, name, password_hash) VALUES ($1, $2, 'Alice', 'x')",
        user_id,
        f"{user_id}@example.com",
    )
    runs = []
    for instance in ("here", "here", "elsewhere"):
        store = HotPath(database_url, instance_id=instance)
        await store.open()
        try:
            accepted = await store.accept_question(
                user_id=user_id,
                thread_id=None,
                client_msg_id=uuid.uuid4(),
                text="What do we spend?",
            )
        finally:
            await store.close()
        runs.append(accepted.run_id)
    await conn.execute("UPDATE runs SET status = 'completed' WHERE id = $1", runs[1])
    await conn.execute("UPDATE runs SET lease_expires_at = now() WHERE id = ANY($1)", runs)
    return runs


async def test_only_the_runs_held_here_and_running_are_renewed(database_url: str) -> None:
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    engine = create_async_engine(async_database_url(database_url))
    try:
        runs = await _runs(database_url, conn)
        async with make_sessions(engine)() as session:
            renewed = await leases.renew(session, run_ids=runs, instance_id="here", lease_s=LEASE_S)
        left = await conn.fetch(
            "SELECT id, extract(epoch FROM lease_expires_at - now()) AS s FROM runs "
            "WHERE id = ANY($1)",
            runs,
        )
    finally:
        await engine.dispose()
        await conn.close()
    seconds = {row["id"]: float(row["s"]) for row in left}
    assert renewed == 1
    assert LEASE_S - 60 < seconds[runs[0]] <= LEASE_S
    assert seconds[runs[1]] <= 0 and seconds[runs[2]] <= 0


async def test_an_orphan_is_claimed_but_never_a_run_in_flight_here(database_url: str) -> None:
    """`live` goes as one array: however many runs are in flight, one statement."""
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    engine = create_async_engine(async_database_url(database_url))
    try:
        await conn.execute("UPDATE runs SET status = 'completed'")  # other tests' runs
        here, _, elsewhere = await _runs(database_url, conn)
        sessions = make_sessions(engine)
        claimed = []
        for live in ([here, elsewhere], [here, elsewhere, uuid.uuid4()], [here], []):
            async with sessions() as session:
                run = await leases.claim_orphan(
                    session, instance_id="claimer", lease_s=LEASE_S, live=live
                )
            claimed.append(None if run is None else run.id)
            await conn.execute("UPDATE runs SET lease_expires_at = now() WHERE id = $1", elsewhere)
    finally:
        await engine.dispose()
        await conn.close()
    # In flight here: never; the expired one elsewhere once it is not; then the one here too.
    assert claimed[:2] == [None, None]
    assert claimed[2] == elsewhere
    assert claimed[3] in (here, elsewhere)
