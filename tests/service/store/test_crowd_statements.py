"""A crowd's questions are taken together and its answers committed together (issue 19), each
with its own conversation, run and events, on a real PostgreSQL: a follow-up never lands in
someone else's conversation though its owner's follow-up shares the statement, a resend is
known for one, a run ended elsewhere writes nothing and is told so, and what PostgreSQL refuses
fails alone."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from service.errors import NotFound
from service.store.hot_path import Accepted, HotPath
from tests.service.store.people import a_person

pytestmark = pytest.mark.stack  # starts real processes (tests/README.md)

INSTANCE = "test"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[HotPath]:
    hot_path = HotPath(database_url, instance_id=INSTANCE)
    await hot_path.open()
    try:
        yield hot_path
    finally:
        await hot_path.close()


async def _asked(conn: asyncpg.Connection, store: HotPath) -> Accepted:
    user_id = await a_person(conn)
    return await store.accept_question(
        user_id=user_id,
        thread_id=None,
        client_msg_id=uuid.uuid4(),
        text="How much did we spend?",
    )


def _completed(run_id: uuid.UUID, seq: int) -> tuple[list[dict[str, object]], list[str]]:
    envelope = {"run_id": str(run_id), "seq": seq, "type": "agent_completed", "final": True}
    return [envelope], [json.dumps(envelope)]


async def test_answers_given_at_once_each_commit_their_own_run_answer_and_event(
    database: asyncpg.Connection, store: HotPath
) -> None:
    asked = [await _asked(database, store) for _ in range(5)]
    # The third run was ended elsewhere meanwhile (recovery on another instance).
    await database.execute("UPDATE runs SET status = 'failed' WHERE id = $1", asked[2].run_id)

    async def answer(n: int, question: Accepted) -> bool:
        envelopes, texts = _completed(question.run_id, 2 + n)
        return await store.record_answer(
            run_id=question.run_id,
            answer_id=uuid.uuid4(),
            text=f"answer {n}",
            envelopes=envelopes,
            texts=texts,
        )

    stored = await asyncio.gather(*(answer(n, q) for n, q in enumerate(asked)))
    assert stored == [True, True, False, True, True]
    for n, question in enumerate(asked):
        status = await database.fetchval("SELECT status FROM runs WHERE id = $1", question.run_id)
        answers = await database.fetch(
            "SELECT text, thread_id FROM messages WHERE run_id = $1 AND role = 'assistant'",
            question.run_id,
        )
        events = await database.fetch(
            "SELECT seq, envelope->>'run_id' AS run FROM run_events WHERE run_id = $1",
            question.run_id,
        )
        if n == 2:
            assert (status, answers, events) == ("failed", [], [])
            continue
        assert status == "completed"
        assert [(a["text"], a["thread_id"]) for a in answers] == [
            (f"answer {n}", question.thread_id)
        ]
        assert [(e["seq"], e["run"]) for e in events] == [(2 + n, str(question.run_id))]


async def test_an_answer_postgresql_refuses_fails_alone(
    database: asyncpg.Connection, store: HotPath
) -> None:
    asked = [await _asked(database, store) for _ in range(3)]

    async def answer(question: Accepted, text: str) -> bool:
        envelopes, texts = _completed(question.run_id, 2)
        return await store.record_answer(
            run_id=question.run_id,
            answer_id=uuid.uuid4(),
            text=text,
            envelopes=envelopes,
            texts=texts,
        )

    outcomes = await asyncio.gather(
        *(answer(q, "nul \x00 byte" if n == 1 else "fine") for n, q in enumerate(asked)),
        return_exceptions=True,
    )
    assert outcomes[0] is True and outcomes[2] is True
    assert isinstance(outcomes[1], asyncpg.DataError)
    statuses = await database.fetch(
        "SELECT id, status FROM runs WHERE id = ANY($1::uuid[])", [q.run_id for q in asked]
    )
    assert {r["id"]: r["status"] for r in statuses} == {
        asked[0].run_id: "completed",
        asked[1].run_id: "running",
        asked[2].run_id: "completed",
    }


async def test_questions_asked_at_once_each_go_into_the_asker_s_own_conversation(
    database: asyncpg.Connection, store: HotPath
) -> None:
    alice, bob, carol = [await a_person(database) for _ in range(3)]
    first = await store.accept_question(
        user_id=alice, thread_id=None, client_msg_id=uuid.uuid4(), text="First"
    )
    resent = uuid.uuid4()
    earlier = await store.accept_question(
        user_id=carol, thread_id=None, client_msg_id=resent, text="Asked before"
    )
    # Asked at once, they share one statement.
    asks = [
        (carol, None, uuid.uuid4(), "Carol asks anew"),
        (alice, first.thread_id, uuid.uuid4(), "Alice follows up"),
        (bob, first.thread_id, uuid.uuid4(), "Bob names Alice's conversation"),
        (bob, None, uuid.uuid4(), "Bob asks anew"),
    ]
    carol_new, followed, intruded, bob_new = await _ask_at_once(store, asks)
    assert isinstance(followed, Accepted) and followed.thread_id == first.thread_id
    assert isinstance(intruded, NotFound)
    for taken in (followed, bob_new, carol_new):
        assert isinstance(taken, Accepted) and not taken.duplicate
    # A resend among them: the statement fails, its questions are taken one by one.
    asks = [
        (alice, None, uuid.uuid4(), "Alice asks anew"),
        (carol, None, resent, "Asked before"),
        (bob, None, uuid.uuid4(), "Bob asks again"),
    ]
    _, again, bob_again = await _ask_at_once(store, asks)
    assert isinstance(again, Accepted) and again.duplicate
    assert (again.message_id, again.run_id) == (earlier.message_id, earlier.run_id)
    assert isinstance(bob_again, Accepted) and not bob_again.duplicate
    in_alices = await database.fetch(
        "SELECT user_id, text FROM messages WHERE thread_id = $1 ORDER BY created_at, text",
        first.thread_id,
    )
    assert [(r["user_id"], r["text"]) for r in in_alices] == [
        (alice, "First"),
        (alice, "Alice follows up"),
    ]
    for taken, owner in ((bob_new, bob), (carol_new, carol)):
        assert isinstance(taken, Accepted)
        run = await database.fetchrow(
            "SELECT runs.user_id, runs.thread_id, threads.user_id AS owner, messages.run_id "
            "FROM runs JOIN threads ON threads.id = runs.thread_id "
            "JOIN messages ON messages.id = runs.input_message_id WHERE runs.id = $1",
            taken.run_id,
        )
        assert run is not None
        assert (run["user_id"], run["owner"], run["thread_id"], run["run_id"]) == (
            owner,
            owner,
            taken.thread_id,
            taken.run_id,
        )
    runs_of_bob = await database.fetchval("SELECT count(*) FROM runs WHERE user_id = $1", bob)
    assert runs_of_bob == 2


async def _ask_at_once(
    store: HotPath, asks: list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID, str]]
) -> list[Accepted | BaseException]:
    return await asyncio.gather(
        *(
            store.accept_question(user_id=u, thread_id=t, client_msg_id=c, text=x)
            for u, t, c, x in asks
        ),
        return_exceptions=True,
    )
