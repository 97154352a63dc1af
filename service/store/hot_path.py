"""The statements every question pays for, on asyncpg directly: taking the question, storing
its run's events (in batches), the agent's reads of the usage data, and recording the answer.

Through SQLAlchemy's session (a pre-ping, BEGIN, the statement, COMMIT and the ORM's own work)
taking a question cost 3.5 ms of the event loop; as one autocommitted statement on asyncpg it
costs 0.5 ms (measured on this machine). At a thousand questions at once that is the
difference between every ack within 2.5 s and a quarter of them refused. Everything else keeps
SQLAlchemy. Each statement is atomic on its own (data-modifying CTEs), so no transaction spans
round trips.

A connection that a PostgreSQL restart closed fails before the statement reaches any server, so
it is retried once on a fresh connection (the pool has no pre-ping).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import asyncpg

from service.coalesce import Coalescer
from service.errors import NotFound

log = logging.getLogger("service.store")

T = TypeVar("T")
Item = TypeVar("Item")

TITLE_CHARS = 80
CONNECT_TIMEOUT_S = 3.0
COMMAND_TIMEOUT_S = 10.0
ACQUIRE_TIMEOUT_S = 5.0
# A shutdown waits this long for connections still in use (a statement is bounded by
# COMMAND_TIMEOUT_S; the drain has already let the runs end).
CLOSE_TIMEOUT_S = 5.0
# The default of HOT_PATH_POOL_SIZE. A thousand questions at once wait for these connections:
# each statement is a round trip whose answer waits its turn on a busy event loop, so more
# connections in flight, not faster ones, keep acks within 2.5 s (8 left a quarter of them late).
POOL_SIZE = 24
# Statements of one kind on their way at once, each carrying the calls made meanwhile: one
# slow statement (a follow-up waiting for its conversation's lock) holds back no other question.
FLIGHTS = 4
# A crowd's usage reads in one statement at most this many (each returns a period's records).
USAGE_READS_AT_ONCE = 100
# A crowd's questions taken in one statement at most this many.
QUESTIONS_AT_ONCE = 100
# A crowd's answers committed in one statement at most this many.
ANSWERS_AT_ONCE = 100
# What PostgreSQL refuses about an answer itself (not a dependency failure).
REFUSED = (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError)
# Raised when a pooled connection turns out to be dead: nothing reached a live server.
STALE_CONNECTION = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,
    ConnectionResetError,
    BrokenPipeError,
)


@dataclass(frozen=True)
class KeptStage:
    """A finished stage's result (JSON), kept with its run when its `tool_completed` is stored
    (service/runs/stages.py)."""

    run_id: str
    stage: str
    output: str


@dataclass(frozen=True)
class UsageRead:
    """A person's names and a period's records, read together (`HotPath.usage_read`)."""

    features: set[str]
    models: set[str]
    # (day, model, feature, requests, input_tokens, output_tokens, cost_usd) each
    records: list[tuple[Any, ...]]


@dataclass(frozen=True)
class UsageAsk:
    """One run's read of the names and the period's records."""

    user_id: uuid.UUID
    limit: int
    since: date
    until: date


@dataclass(frozen=True)
class Question:
    """A question to take: a new conversation's (its id made here) or a follow-up's."""

    thread_id: uuid.UUID
    new: bool
    user_id: uuid.UUID
    title: str
    message_id: uuid.UUID
    text: str
    client_msg_id: uuid.UUID
    run_id: uuid.UUID


@dataclass(frozen=True)
class Answer:
    """One run's answer and the events announcing it: (seq, type, JSON) each."""

    run_id: uuid.UUID
    answer_id: uuid.UUID
    text: str
    events: list[tuple[int, str, str]]


@dataclass(frozen=True)
class Accepted:
    """A committed question: what the `ack` frame reports."""

    thread_id: uuid.UUID
    message_id: uuid.UUID
    run_id: uuid.UUID
    duplicate: bool


# The questions asked at that moment, each with its run, in one statement: a new conversation
# is opened, a follow-up goes only into a conversation of the asker's own (matched by
# conversation and person together, so one person's follow-up in a batch never lets another's
# into the same conversation). The runs started come back; a question missing from them named a
# conversation that is not the asker's (`HotPath.accept_question`).
_QUESTIONS = """
WITH q AS (
    SELECT * FROM unnest(
        $1::uuid[], $2::bool[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::uuid[],
        $8::uuid[]
    ) AS q(thread_id, new, user_id, title, message_id, text, client_msg_id, run_id)
),
opened AS (
    INSERT INTO threads (id, user_id, title)
    SELECT thread_id, user_id, title FROM q WHERE new
    RETURNING id, user_id
),
followed AS (
    UPDATE threads SET updated_at = now() FROM q
    WHERE NOT q.new AND threads.id = q.thread_id AND threads.user_id = q.user_id
    RETURNING threads.id, threads.user_id
),
message AS (
    INSERT INTO messages (id, thread_id, user_id, role, text, client_msg_id, run_id)
    SELECT q.message_id, q.thread_id, q.user_id, 'user', q.text, q.client_msg_id, q.run_id
    FROM q
    WHERE (q.thread_id, q.user_id) IN (SELECT * FROM opened UNION ALL SELECT * FROM followed)
    RETURNING id, thread_id, user_id, run_id
)
INSERT INTO runs (id, thread_id, user_id, input_message_id, instance_id, status)
SELECT run_id, thread_id, user_id, id, $9, 'running' FROM message
RETURNING id
"""
_EXISTING = (
    "SELECT thread_id, id, run_id FROM messages "
    "WHERE user_id = $1 AND client_msg_id = $2 AND run_id IS NOT NULL"
)
# Only the instance that holds the run may write its events: one that was taken for dead and
# wakes (SIGSTOP, a long pause) finds its run handed to another and writes nothing more.
_EVENTS = """
WITH stored AS (
    INSERT INTO run_events (run_id, seq, type, envelope)
    SELECT e.run_id, e.seq, e.type, e.envelope::jsonb
    FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[]) AS e(run_id, seq, type, envelope)
    JOIN runs ON runs.id = e.run_id AND runs.instance_id = $5
    ON CONFLICT (run_id, seq) DO NOTHING
    RETURNING run_id, seq
),
kept AS (
    INSERT INTO run_stages (run_id, stage, output)
    SELECT s.run_id, s.stage, s.output::jsonb
    FROM unnest($6::uuid[], $7::text[], $8::text[]) AS s(run_id, stage, output)
    WHERE s.run_id IN (SELECT run_id FROM stored)
    ON CONFLICT (run_id, stage) DO NOTHING
)
SELECT run_id, seq FROM stored
"""
_USAGE = """
SELECT day, model, feature, requests, input_tokens, output_tokens, cost_usd FROM usage_records
WHERE user_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day, id
"""
# The names triage looks for and the records of the period the data stage reads, in one round
# trip: a run reads both, one stage after the other. One statement reads them for every run of a
# crowd asking at that moment, each row its own person's (`HotPath.usage_read`).
_NAMES_AND_USAGE = """
SELECT
    ARRAY(SELECT feature FROM usage_records WHERE user_id = q.user_id
          GROUP BY feature ORDER BY max(day) DESC, feature LIMIT q.names) AS features,
    ARRAY(SELECT model FROM usage_records WHERE user_id = q.user_id
          GROUP BY model ORDER BY max(day) DESC, model LIMIT q.names) AS models,
    ARRAY(SELECT ROW(day, model, feature, requests, input_tokens, output_tokens, cost_usd)
          FROM usage_records
          WHERE user_id = q.user_id AND day BETWEEN q.since AND q.until ORDER BY day, id) AS records
FROM unnest($1::uuid[], $2::int[], $3::date[], $4::date[]) WITH ORDINALITY
    AS q(user_id, names, since, until, n)
ORDER BY q.n
"""
# The answer and its agent_completed are committed together, so the event is never stored (nor
# sent) without the answer it announces: one round trip where there were two in turn. One
# statement commits the answers of every run finishing at that moment, each with its own
# events; the runs it closed come back (`HotPath.record_answer`).
_ANSWER = """
WITH closed AS (
    UPDATE runs SET status = 'completed', finished_at = now()
    FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS a(run_id, answer_id, text)
    WHERE runs.id = a.run_id AND runs.status = 'running' AND runs.instance_id = $4
    RETURNING runs.id, runs.thread_id, runs.user_id, a.answer_id, a.text
),
answer AS (
    INSERT INTO messages (id, thread_id, user_id, role, text, run_id)
    SELECT answer_id, thread_id, user_id, 'assistant', text, id FROM closed
    RETURNING thread_id
),
told AS (
    INSERT INTO run_events (run_id, seq, type, envelope)
    SELECT closed.id, e.seq, e.type, e.envelope::jsonb
    FROM closed
    JOIN unnest($5::uuid[], $6::int[], $7::text[], $8::text[]) AS e(run_id, seq, type, envelope)
        ON e.run_id = closed.id
),
touched AS (
    UPDATE threads SET updated_at = now()
    WHERE threads.id IN (SELECT thread_id FROM answer)
)
SELECT id FROM closed
"""
_STORED_EVENTS = """
SELECT run_id, seq, envelope::text FROM run_events
WHERE (run_id, seq) IN (SELECT * FROM unnest($1::uuid[], $2::int[]))
"""


# Every statement a question pays for, as it is sent (service/store/hot_path.py's callers).
HOT_STATEMENTS = (
    _QUESTIONS,
    _EXISTING,
    _EVENTS,
    _USAGE,
    _NAMES_AND_USAGE,
    _ANSWER,
    _STORED_EVENTS,
)


async def _prepare_hot_statements(connection: asyncpg.Connection) -> None:
    """Prepare each hot statement on a new connection, through the connection's statement
    cache, so the first crowd finds them ready. Prepared on first use instead, each of the
    pool's connections paid for each statement in the middle of the first crowd: PostgreSQL
    planned it with the new backend's catalog caches cold (up to 3,800 catalog rows read a
    statement) and asyncpg looked up its argument and result types (another round trip); at 100
    at once that was a third of PostgreSQL's work and a tenth of the instance's.
    """
    for sql in HOT_STATEMENTS:
        # asyncpg's public prepare() bypasses the cache that fetch() reads: _prepare with
        # use_cache puts the statement where the hot path's calls find it.
        await connection._prepare(sql, use_cache=True)
    # asyncpg's prepare ends with Flush, not Sync: the implicit transaction it opened, and the
    # locks parsing took (run_events...), stay until the connection's next statement; with no
    # reset on release, an idle warmed connection blocked DDL (a trigger, a migration) for ever.
    await connection.execute("SELECT 1")


async def _keep_as_is(_: asyncpg.Connection) -> None:
    """No reset when a connection returns to the pool: every statement here is autocommitted
    and changes no session state, and asyncpg's default reset cost a round trip per statement."""


class HotPath:
    def __init__(self, database_url: str, *, instance_id: str, pool_size: int = POOL_SIZE) -> None:
        self._url = database_url
        self._instance_id = instance_id  # the runs it may write to are those it holds
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._usage_reads = Coalescer(
            self._read_usage, max_batch=USAGE_READS_AT_ONCE, flights=FLIGHTS
        )
        self._questions = Coalescer(
            self._accept_questions, max_batch=QUESTIONS_AT_ONCE, flights=FLIGHTS
        )
        self._answers = Coalescer(self._record_answers, max_batch=ANSWERS_AT_ONCE, flights=FLIGHTS)

    async def open(self) -> None:
        # min_size=0: nothing connects at startup, so the service starts with PostgreSQL down.
        self._pool = await asyncpg.create_pool(
            self._url,
            min_size=0,
            max_size=self._pool_size,
            timeout=CONNECT_TIMEOUT_S,
            command_timeout=COMMAND_TIMEOUT_S,
            reset=_keep_as_is,
        )

    async def warm(self) -> None:
        """Open the pool's connections ahead of the first crowd (each costs a connection and an
        authentication, tens of milliseconds under load) and prepare every hot statement on
        each; a database that is away is simply not warmed."""
        if self._pool is None:
            return
        pool = self._pool
        held: list[asyncpg.Connection] = []
        try:
            try:
                for _ in range(self._pool_size):
                    held.append(await pool.acquire(timeout=ACQUIRE_TIMEOUT_S))
            except Exception as exc:
                log.info("connections not opened ahead: %s", type(exc).__name__)
            prepared = await asyncio.gather(
                *(_prepare_hot_statements(c) for c in held), return_exceptions=True
            )
            if failed := [r for r in prepared if isinstance(r, BaseException)]:
                log.info("statements not prepared ahead: %s", type(failed[0]).__name__)
        finally:
            # All of them in one shielded step: a shutdown that cancelled the warming between
            # two releases left the rest held for ever, and close() waited for them for ever.
            await asyncio.shield(asyncio.gather(*(pool.release(c) for c in held)))

    async def close(self, *, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Close the pool gracefully within timeout_s, then cut the connections still held (the
        pool's own close waits for every connection to come back, for ever)."""
        if self._pool is None:
            return
        try:
            # Cancelled at the bound, the pool terminates its connections.
            await asyncio.wait_for(self._pool.close(), timeout_s)
        except TimeoutError:
            log.warning("hot path connections still held after %g s at shutdown: cut", timeout_s)

    def connections_in_use(self) -> int:
        pool = self._pool
        return 0 if pool is None else pool.get_size() - pool.get_idle_size()

    def connections_open(self) -> int:
        return 0 if self._pool is None else self._pool.get_size()

    async def accept_question(
        self,
        *,
        user_id: uuid.UUID,
        thread_id: uuid.UUID | None,
        client_msg_id: uuid.UUID,
        text: str,
    ) -> Accepted:
        """Commit the question and its run together; a repeated client_msg_id is a duplicate
        (the unique (user_id, client_msg_id) index refuses the second one)."""
        new = thread_id is None
        question = Question(
            thread_id=uuid.uuid4() if thread_id is None else thread_id,
            new=new,
            user_id=user_id,
            title=(text.strip()[:TITLE_CHARS] or "New conversation") if new else "",
            message_id=uuid.uuid4(),
            text=text,
            client_msg_id=client_msg_id,
            run_id=uuid.uuid4(),
        )
        started = await self._questions(question)
        if isinstance(started, asyncpg.UniqueViolationError):
            row = await self._retried(lambda c: c.fetchrow(_EXISTING, user_id, client_msg_id))
            if row is None:
                raise started
            # Our own first attempt, if a retry found it: then this is no repeat.
            repeat = row["id"] != question.message_id
            return Accepted(row["thread_id"], row["id"], row["run_id"], duplicate=repeat)
        if isinstance(started, BaseException):
            raise started
        if not started:
            raise NotFound("No such conversation")
        return Accepted(question.thread_id, question.message_id, question.run_id, duplicate=False)

    async def _accept_questions(self, questions: list[Question]) -> list[bool | BaseException]:
        """Whether each question was taken (its run started); a question PostgreSQL refuses (a
        client_msg_id already taken: a resend) fails alone."""
        return await _together_or_alone(self._take_questions, questions)

    async def _take_questions(self, questions: list[Question]) -> list[bool]:
        columns = _question_columns(questions)
        rows = await self._retried(lambda c: c.fetch(_QUESTIONS, *columns, self._instance_id))
        started = {row["id"] for row in rows}
        return [q.run_id in started for q in questions]

    async def earlier_question(
        self, *, user_id: uuid.UUID, client_msg_id: uuid.UUID
    ) -> Accepted | None:
        """The question already kept under this client_msg_id (a resend), if any."""
        row = await self._retried(lambda c: c.fetchrow(_EXISTING, user_id, client_msg_id))
        if row is None:
            return None
        return Accepted(row["thread_id"], row["id"], row["run_id"], duplicate=True)

    async def append_events(
        self,
        envelopes: Sequence[dict[str, Any]],
        texts: Sequence[str],
        stages: Sequence[KeptStage] = (),
    ) -> set[tuple[str, int]]:
        """Store the events (`texts`: each one's JSON) in one statement, with the results of the
        stages they say finished (`stages`: kept only with their run's events); the
        (run_id, seq) keys another writer already holds with a different event (a run taken over
        by recovery)."""
        # Run ids go as their text (asyncpg encodes a uuid from it): parsing each into a UUID
        # first was a visible share of a crowd's time.
        keys = [(str(e["run_id"]), int(e["seq"])) for e in envelopes]
        run_ids, seqs = [k[0] for k in keys], [k[1] for k in keys]
        types = [str(e["type"]) for e in envelopes]
        kept = ([s.run_id for s in stages], [s.stage for s in stages], [s.output for s in stages])
        rows = await self._retried(
            lambda c: c.fetch(_EVENTS, run_ids, seqs, types, list(texts), self._instance_id, *kept)
        )
        inserted = {(str(row["run_id"]), row["seq"]) for row in rows}
        conflicts = [i for i, key in enumerate(keys) if key not in inserted]
        if not conflicts:
            return set()
        # A retried statement may find its own first attempt: the same event is not a conflict.
        found = await self._retried(
            lambda c: c.fetch(
                _STORED_EVENTS, [run_ids[i] for i in conflicts], [seqs[i] for i in conflicts]
            )
        )
        stored = {(str(row["run_id"]), row["seq"]): json.loads(row["envelope"]) for row in found}
        return {keys[i] for i in conflicts if stored.get(keys[i]) != json.loads(texts[i])}

    async def usage_between(self, *, user_id: uuid.UUID, since: date, until: date) -> list[Any]:
        """The person's usage records with `since <= day <= until`, in day order."""
        return await self._retried(lambda c: c.fetch(_USAGE, user_id, since, until))

    async def usage_read(
        self, *, user_id: uuid.UUID, limit: int, since: date, until: date
    ) -> UsageRead:
        """The feature and the model names the person reported, at most `limit` of each, the
        most recently reported first (100,000 records may hold 100,000 names of each); and
        their records with `since <= day <= until`, in day order. Reads asked for while one is
        on its way go together in the next statement (service/coalesce.py)."""
        return await self._usage_reads(UsageAsk(user_id, limit, since, until))

    async def _read_usage(self, asks: list[UsageAsk]) -> list[UsageRead]:
        columns = ([a.user_id for a in asks], [a.limit for a in asks])
        period = ([a.since for a in asks], [a.until for a in asks])
        rows = await self._retried(lambda c: c.fetch(_NAMES_AND_USAGE, *columns, *period))
        return [UsageRead(set(r["features"]), set(r["models"]), r["records"]) for r in rows]

    async def record_answer(
        self,
        *,
        run_id: uuid.UUID,
        answer_id: uuid.UUID,
        text: str,
        envelopes: Sequence[dict[str, Any]],
        texts: Sequence[str],
    ) -> bool:
        """Commit the answer, close the run and store the events that announce it (`texts`:
        each one's JSON), all in one statement; False when the run had already been ended or
        taken over elsewhere (service/runs/recovery.py), and then nothing is written. Answers
        given while one is on its way go together in the next statement (service/coalesce.py)."""
        events = [(int(e["seq"]), str(e["type"]), t) for e, t in zip(envelopes, texts, strict=True)]
        outcome = await self._answers(Answer(run_id, answer_id, text, events))
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    async def _record_answers(self, answers: list[Answer]) -> list[bool | BaseException]:
        """Whether each run was closed; what PostgreSQL refuses about one answer (a DataError)
        fails it alone."""
        return await _together_or_alone(self._close_runs, answers)

    async def _close_runs(self, answers: list[Answer]) -> list[bool]:
        columns = _answer_columns(answers, self._instance_id)
        closed = await self._retried(lambda c: c.fetch(_ANSWER, *columns))
        ids = {row["id"] for row in closed}
        return [a.run_id in ids for a in answers]

    async def _retried(self, statement: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        try:
            async with self._connection() as connection:
                return await statement(connection)
        except STALE_CONNECTION:
            async with self._connection() as connection:
                return await statement(connection)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        if self._pool is None:
            raise RuntimeError("HotPath.open() was not awaited")
        async with self._pool.acquire(timeout=ACQUIRE_TIMEOUT_S) as connection:
            yield connection


async def _together_or_alone(
    statement: Callable[[list[Item]], Awaitable[list[T]]], items: list[Item]
) -> list[T | BaseException]:
    """The statement's outcome for each item, all in one statement; when PostgreSQL refuses it
    (a row it will not take fails the whole statement), each item is tried alone, so only the
    refused one fails, with PostgreSQL's error."""
    try:
        return list(await statement(items))
    except REFUSED as exc:
        if len(items) == 1:
            return [exc]
    return [(await _together_or_alone(statement, [item]))[0] for item in items]


def _answer_columns(answers: list[Answer], instance_id: str) -> tuple[Any, ...]:
    """The arguments of _ANSWER for these answers: one array per column."""
    events = [(a.run_id, *event) for a in answers for event in a.events]
    return (
        [a.run_id for a in answers],
        [a.answer_id for a in answers],
        [a.text for a in answers],
        instance_id,
        [e[0] for e in events],
        [e[1] for e in events],
        [e[2] for e in events],
        [e[3] for e in events],
    )


def _question_columns(questions: list[Question]) -> tuple[list[Any], ...]:
    """The arguments of _QUESTIONS for these questions (but the instance): a column each."""
    return tuple(
        [getattr(q, name) for q in questions]
        for name in (
            "thread_id",
            "new",
            "user_id",
            "title",
            "message_id",
            "text",
            "client_msg_id",
            "run_id",
        )
    )
