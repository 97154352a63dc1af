"""The "nothing lost" check finds each kind of loss it promises to find, in a real, migrated
PostgreSQL (the embedded stack without service instances), and stays quiet on a clean history."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import asyncpg
import pytest

from driver.client.models import Ack
from harness.nothing_lost import Witness, check_nothing_lost
from harness.stack import Stack, StackConfig

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(StackConfig(instances=0)) as started:
        yield started


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        yield conn
    finally:
        await conn.close()


@dataclass
class Story:
    """One person with one thread, written straight into the tables."""

    conn: asyncpg.Connection
    user_id: uuid.UUID
    thread_id: uuid.UUID
    acks: list[Ack]

    @classmethod
    async def begin(cls, conn: asyncpg.Connection) -> Story:
        user_id, thread_id = uuid.uuid4(), uuid.uuid4()
        await conn.execute(
            "insert into users (id, email, name, password_hash) values ($1, $2, 'Alice', 'x')",
            user_id,
            f"{user_id}@example.com",
        )
        await conn.execute(
            "insert into threads (id, user_id, title) values ($1, $2, 'spend')", thread_id, user_id
        )
        return cls(conn, user_id, thread_id, [])

    async def question(
        self,
        *,
        status: str = "completed",
        events: tuple[str, ...] | None = None,
        answer: bool = True,
    ) -> tuple[uuid.UUID, uuid.UUID]:
        """A question, its run with events, and (when completed) its answer; acked."""
        message_id, run_id, client_msg_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await self.conn.execute(
            "insert into messages (id, thread_id, user_id, role, text, client_msg_id, run_id) "
            "values ($1, $2, $3, 'user', 'How can we cut our model spend?', $4, $5)",
            message_id,
            self.thread_id,
            self.user_id,
            client_msg_id,
            run_id,
        )
        await self.conn.execute(
            "insert into runs (id, thread_id, user_id, input_message_id, status, instance_id) "
            "values ($1, $2, $3, $4, $5, 'svc-1')",
            run_id,
            self.thread_id,
            self.user_id,
            message_id,
            status,
        )
        answer_id = uuid.uuid4()
        if status == "completed" and answer:
            await self.conn.execute(
                "insert into messages (id, thread_id, user_id, role, text, run_id) "
                "values ($1, $2, $3, 'assistant', 'Save about $1.00 a month', $4)",
                answer_id,
                self.thread_id,
                self.user_id,
                run_id,
            )
        if events is None:
            final = "agent_completed" if status == "completed" else "agent_error"
            events = ("agent_started", "agent_thinking", final)
        for seq, kind in enumerate(events, start=1):
            payload: dict[str, object] = {}
            if kind == "agent_completed":
                payload = {"final_message_id": str(answer_id)}
            if kind == "agent_error":
                payload = {"error": "interrupted" if status == "interrupted" else "internal"}
            envelope = {"seq": seq, "final": kind in ("agent_completed", "agent_error")}
            envelope["payload"] = payload
            await self.conn.execute(
                "insert into run_events (run_id, seq, type, envelope) values ($1, $2, $3, $4)",
                run_id,
                seq,
                kind,
                json.dumps(envelope),
            )
        self.acks.append(
            Ack(str(client_msg_id), str(self.thread_id), str(message_id), str(run_id), False, 0.0)
        )
        return message_id, run_id

    async def check(self, stack: Stack, *, settle_timeout: float = 0.5) -> list[str]:
        witness = Witness("Alice", str(self.user_id), self.acks)
        return await check_nothing_lost(
            stack.database_url, [witness], settle_timeout=settle_timeout
        )


async def test_a_clean_history_passes(stack: Stack, db: asyncpg.Connection) -> None:
    story = await Story.begin(db)
    await story.question()
    await story.question(status="failed")
    await story.question(status="interrupted")
    assert await story.check(stack) == []


async def test_an_acked_question_that_is_not_stored_is_lost(
    stack: Stack, db: asyncpg.Connection
) -> None:
    story = await Story.begin(db)
    await story.question()
    story.acks.append(
        Ack(str(uuid.uuid4()), str(story.thread_id), str(uuid.uuid4()), str(uuid.uuid4()), False, 0)
    )
    [finding] = await story.check(stack)
    assert "is not in the database: an acked question was lost" in finding


async def test_a_run_that_never_ends_is_reported(stack: Stack, db: asyncpg.Connection) -> None:
    story = await Story.begin(db)
    await story.question(status="running", events=("agent_started",))
    [finding] = await story.check(stack, settle_timeout=0.3)
    assert "never reached a final state within 0.3 s" in finding


@pytest.mark.parametrize(
    ("status", "events", "expected"),
    [
        ("completed", ("agent_started", "agent_completed", "agent_thinking"), "after its final"),
        ("completed", ("agent_started", "agent_thinking"), "0 final events"),
        ("failed", ("agent_started", "agent_error", "agent_error"), "2 final events"),
        ("completed", ("agent_thinking", "agent_completed"), "does not begin with agent_started"),
        ("completed", ("agent_started", "agent_error"), "is completed but ended with agent_error"),
        ("interrupted", ("agent_started", "agent_completed"), "interrupted but ended with"),
        ("failed", (), "has no events: the person was never told"),
    ],
)
async def test_a_run_without_exactly_one_proper_ending_is_reported(
    stack: Stack, db: asyncpg.Connection, status: str, events: tuple[str, ...], expected: str
) -> None:
    story = await Story.begin(db)
    await story.question(status=status, events=events)
    findings = await story.check(stack)
    assert any(expected in f for f in findings), findings


async def test_a_completed_run_without_its_answer_is_reported(
    stack: Stack, db: asyncpg.Connection
) -> None:
    story = await Story.begin(db)
    await story.question(answer=False)
    findings = await story.check(stack)
    assert any("completed with 0 stored answers" in f for f in findings), findings


async def test_half_stored_questions_and_stray_answers_are_orphans(
    stack: Stack, db: asyncpg.Connection
) -> None:
    story = await Story.begin(db)
    _, run_id = await story.question(status="failed")
    await db.execute(
        "insert into messages (id, thread_id, user_id, role, text, client_msg_id, run_id) "
        "values ($1, $2, $3, 'user', 'half', $4, $5)",
        uuid.uuid4(),
        story.thread_id,
        story.user_id,
        uuid.uuid4(),
        uuid.uuid4(),
    )
    await db.execute(
        "insert into messages (id, thread_id, user_id, role, text, run_id) "
        "values ($1, $2, $3, 'assistant', 'stray', $4)",
        uuid.uuid4(),
        story.thread_id,
        story.user_id,
        run_id,
    )
    findings = await story.check(stack)
    assert any("is stored without its run" in f and "half stored" in f for f in findings)
    assert any("which is failed" in f for f in findings), findings
