"""A run's stored log stays whole when PostgreSQL misbehaves (no gap in the seqs, and the smaller
findings about the deadline and `resume`), on the real stack.

The faults are real PostgreSQL behaviour, set up straight in the database by the test: a backend
that dies while storing one event, an insert that takes longer than the run's deadline, the
whole server frozen (SIGSTOP).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import pytest
import websockets.asyncio.client

from driver.client.eventually import eventually
from harness.stack import Stack, StackConfig
from tests.chat_clients import send_frame, sign_up, ws_url

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

DEADLINE_S = 2


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # A short lease: a run its instance gave up on is ended by recovery within seconds.
    config = StackConfig.from_env(
        run_deadline_seconds=DEADLINE_S, extra_env={"RUN_LEASE_SECONDS": "2"}
    )
    with Stack(config) as running:
        yield running


@pytest.fixture
async def database(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn: asyncpg.Connection = await asyncpg.connect(stack.database_url)
    try:
        yield conn
    finally:
        await conn.execute("drop trigger if exists gp_test_fault on run_events")
        await conn.execute("drop function if exists gp_test_fault()")
        await conn.execute("drop sequence if exists gp_test_once")
        await conn.close()


async def _fault(conn: asyncpg.Connection, body: str) -> None:
    await conn.execute("create sequence gp_test_once")
    await conn.execute(
        f"create function gp_test_fault() returns trigger language plpgsql as $$ begin {body} "
        "return new; end $$"
    )
    await conn.execute(
        "create trigger gp_test_fault before insert on run_events "
        "for each row execute function gp_test_fault()"
    )


async def _ask(url: str, token: str) -> list[dict[str, Any]]:
    """Ask one question; every frame until the run's first final event and a moment after."""
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        await chat.send(json.dumps(send_frame()))
        frames: list[dict[str, Any]] = []
        async with asyncio.timeout(15):
            while not any(f.get("final") for f in frames):
                frames.append(json.loads(await chat.recv()))
        # Anything sent after the final event arrives right behind it.
        try:
            async with asyncio.timeout(1):
                while True:
                    frames.append(json.loads(await chat.recv()))
        except TimeoutError:
            pass
        return frames


async def _stored(conn: asyncpg.Connection, run_id: str) -> tuple[list[int], list[str], str]:
    """The run's stored seqs, its final events' types and its status, once it has ended."""

    async def ended() -> str:
        status = await conn.fetchval("select status from runs where id = $1", uuid.UUID(run_id))
        assert status != "running", "the run is still running"
        return str(status)

    status = await eventually(ended, timeout=10, describe="the run never ended")
    rows = await conn.fetch(
        "select seq, type, (envelope ->> 'final')::boolean as final from run_events "
        "where run_id = $1 order by seq",
        uuid.UUID(run_id),
    )
    return [r["seq"] for r in rows], [r["type"] for r in rows if r["final"]], status


def _run_id(frames: list[dict[str, Any]]) -> str:
    return next(str(f["run_id"]) for f in frames if f.get("type") == "ack")


async def test_a_connection_lost_while_storing_an_event_leaves_no_gap(
    stack: Stack, database: asyncpg.Connection
) -> None:
    # The backend storing the run's third event dies once (as in a failover or a killed backend).
    await _fault(
        database,
        "if new.seq = 3 and nextval('gp_test_once') = 1 then "
        "perform pg_terminate_backend(pg_backend_pid()); end if;",
    )
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    frames = await _ask(url, token)

    seqs, finals, status = await _stored(database, _run_id(frames))
    assert seqs == list(range(1, len(seqs) + 1)), f"stored seqs {seqs}"
    assert (finals, status) == (["agent_completed"], "completed")
    seen = [f["seq"] for f in frames if "seq" in f]
    assert seen == list(range(1, len(seen) + 1)), f"the person saw seqs {seen}"


async def test_a_run_that_cannot_store_its_events_is_logged_then_carried_on_cleanly(
    stack: Stack, database: asyncpg.Connection
) -> None:
    # Every event after the first fails to store, retries included, until the fault is lifted.
    await _fault(database, "if new.seq >= 2 then raise exception 'disk full (test)'; end if;")
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        await chat.send(json.dumps(send_frame()))
        run_id = ""
        while not run_id:
            frame = json.loads(await chat.recv())
            run_id = frame.get("run_id", "") if frame.get("type") == "ack" else ""
    log_path = stack.services[0].log_path

    def logged() -> bool:
        lines = [json.loads(line) for line in log_path.read_text().splitlines() if "{" in line]
        return any(
            line.get("run_id") == run_id
            and str(line.get("msg", "")).startswith("run failed before it could finish")
            for line in lines
        )

    await eventually(logged, timeout=10, describe="the run's failure was never logged")
    await database.execute("drop trigger gp_test_fault on run_events")
    seqs, finals, status = await _stored(database, run_id)
    assert seqs == list(range(1, len(seqs) + 1)), f"stored seqs {seqs}"
    # Its lease lapsed with it: once the events can be stored again, the instance that claims it
    # carries it on from its last stored event (issue 21) to the answer, with no gap.
    assert (finals, status) == (["agent_completed"], "completed")


async def test_a_deadline_while_the_answer_is_stored_sends_one_final_event(
    stack: Stack, database: asyncpg.Connection
) -> None:
    # Storing the answer's event takes longer than the whole run may.
    await _fault(
        database,
        f"if new.type = 'agent_completed' then perform pg_sleep({DEADLINE_S + 0.5}); end if;",
    )
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    frames = await _ask(url, token)

    seen_finals = [f["type"] for f in frames if f.get("final")]
    assert seen_finals == ["agent_completed"]
    seqs, finals, status = await _stored(database, _run_id(frames))
    assert (finals, status) == (["agent_completed"], "completed"), seqs


async def test_resume_answers_within_seconds_while_the_database_is_frozen(stack: Stack) -> None:
    url = stack.service_urls[0]
    _, token = await sign_up(url)
    frames = await _ask(url, token)
    run_id = _run_id(frames)
    unknown = str(uuid.uuid4())
    async with websockets.asyncio.client.connect(
        ws_url(url), additional_headers={"Authorization": f"Bearer {token}"}, proxy=None
    ) as chat:
        assert stack.postgres is not None
        stack.postgres.freeze()
        try:
            began = time.monotonic()
            runs = [{"run_id": unknown, "last_seq": 0}, {"run_id": run_id, "last_seq": 0}]
            await chat.send(json.dumps({"type": "resume", "runs": runs}))
            answers: dict[str, dict[str, Any]] = {}
            async with asyncio.timeout(5):
                while len(answers) < 2:
                    frame = json.loads(await chat.recv())
                    if frame.get("type") in ("resumed", "error", "resync_required"):
                        answers[frame.get("run_id") or frame["ref"]] = frame
            elapsed = time.monotonic() - began
        finally:
            stack.postgres.thaw()
    assert answers[unknown]["error"] == "temporarily_unavailable"
    # This run is still in its Redis stream: the stream alone can answer it.
    assert answers[run_id]["type"] == "resumed"
    assert elapsed < 4, f"the answers took {elapsed:.1f} s"
