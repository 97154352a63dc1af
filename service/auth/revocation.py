"""Ended sessions: PostgreSQL decides, Redis answers fast, every instance closes its sockets.

- PostgreSQL (`login_sessions.revoked_at`) is the source of truth and survives anything.
- Redis mirrors it (one key per ended session, kept as long as a pass can live) next to a
  "loaded" marker. A Redis that restarted has no marker: the check then asks PostgreSQL and the
  mirror is rebuilt from it, so a restart never brings a revoked pass back to life.
- A revocation is published on a channel; every instance closes its sockets of those sessions
  with 4401. A periodic sweep against PostgreSQL catches what a lost publication missed.
- Every instance also reads the sessions ended lately from PostgreSQL every `CATCH_UP_S`, and
  mirrors and enforces them: a revocation whose mirror write and publication both failed (Redis
  failing) still reaches every instance within the contract's 2 s, even when the instance that
  ended it dies right after.

At scale (issue 18): every read of ended sessions is paged (`PAGE`), memory per ended session is
bounded by time and by count (`MAX_RECENT`, `MAX_UNMIRRORED`), a publication carries at most
`PAGE` ids, and the mirror's "not ended" is believed only while this instance's last catch-up is
younger than `TRUST_S` (the contract's 2 s): otherwise PostgreSQL answers, and if it cannot, the
request is refused as temporarily unavailable (fail closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Collection, Iterable, Iterator
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

from service.auth.tokens import LEEWAY_S, MAX_ACCESS_TOKEN_TTL_S, AccessClaims
from service.coalesce import Coalescer
from service.contract import CloseCode
from service.errors import InvalidToken
from service.resilience.outage_log import OutageNotice
from service.store import login_sessions as store
from service.store.db import Sessions

log = logging.getLogger("service.revocation")

KEY_PREFIX = "auth:revoked:"
LOADED_KEY = "auth:revocations-loaded"
CHANNEL = "auth:revocations"
# A mark must outlive every pass of the session it ends.
MIRROR_TTL_S = MAX_ACCESS_TOKEN_TTL_S + LEEWAY_S + 60
SWEEP_S = 5.0
CATCH_UP_S = 1.0
# Re-read this much before the last catch-up: `revoked_at` is its transaction's start, which may
# commit a little later (HTTP requests are bounded to 5 s).
CATCH_UP_OVERLAP_S = 10.0
RECONNECT_DELAY_S = 0.5
# Ended sessions this instance heard of recently: closes the gap between the handshake check
# and the socket joining the hub, without another round trip.
RECENT_S = 60.0
# Rows per read of ended sessions and ids per publication: a mass logout is read, mirrored and
# announced in slices, never whole.
PAGE = 1000
# Bounds on what is kept per ended session. `_recent` only refuses faster (accepting always asks
# the mirror or PostgreSQL), so dropping its oldest is safe; past `MAX_UNMIRRORED` the mirror is
# treated as incomplete (checks ask PostgreSQL) until it is rebuilt from PostgreSQL.
MAX_RECENT = 10_000
MAX_UNMIRRORED = 10_000
# The mirror's "not ended" is complete only up to this instance's last catch-up (a revocation
# whose mirror write failed is mirrored by the next catch-up); older than this, ask PostgreSQL.
TRUST_S = 2.0


def _key(session_id: uuid.UUID) -> str:
    return f"{KEY_PREFIX}{session_id}"


def _chunks(ids: Collection[uuid.UUID]) -> Iterator[list[uuid.UUID]]:
    items = list(ids)
    for start in range(0, len(items), PAGE):
        yield items[start : start + PAGE]


def _age_s(at: datetime) -> float:
    return (datetime.now(UTC) - at).total_seconds()


def _revoked_ids(data: object) -> tuple[set[uuid.UUID], object] | None:
    """(session ids, origin) of one publication on the channel, or None if unreadable."""
    try:
        body = json.loads(data)  # type: ignore[arg-type]
        ids = {uuid.UUID(s) for s in body["sessions"]}
        origin = body.get("origin")
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return None
    return ids, origin


class ChatCloser(Protocol):
    async def close(self, code: CloseCode, reason: bytes) -> None: ...


class OpenChat(Protocol):
    """A chat socket open on this instance, as revocation sees it."""

    @property
    def session_id(self) -> uuid.UUID: ...
    @property
    def closer(self) -> ChatCloser: ...


Chat = TypeVar("Chat", bound=OpenChat)


class OpenChats(Protocol[Chat]):
    """The port to the chat sockets open on this instance, which revocation closes: the chat
    hub (service/delivery/chat/hub.py), above this room, wired in service/app.py."""

    def connections(self) -> Iterable[Chat]: ...
    def remove(self, connection: Chat) -> None: ...


class Revocations(Generic[Chat]):
    def __init__(
        self, sessions: Sessions, redis: Redis, hub: OpenChats[Chat], *, instance_id: str
    ) -> None:
        self._sessions = sessions
        self._redis = redis
        self._hub = hub
        self._instance_id = instance_id
        self._recent: dict[uuid.UUID, float] = {}
        self._unmirrored: set[uuid.UUID] = set()
        # Set when `_unmirrored` overflowed: the mirror misses an unknown set until rebuilt.
        self._mirror_incomplete = False
        self._rebuild: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        # A crowd's checks share their round trips to the mirror (service/coalesce.py).
        self._marks = Coalescer(self._read_marks)
        self._ended_in_database = Coalescer(self._read_ended)
        # When the last successful catch-up began (monotonic); None: never, so the first one
        # reads (page by page) every session a pass of which may still be alive.
        self._caught_up_at: float | None = None
        # The `run_id` of the Redis serving now (read by each catch-up): a "loaded" marker
        # written for another Redis process came back from a snapshot and may miss marks.
        self._redis_run_id: bytes | None = None
        # True while the channel watcher holds a confirmed subscription (readiness reports it).
        self.listening = False
        # Each logged once per outage, not once per request or retry.
        self._mirror_down = OutageNotice(log, "revocation mirror (asking PostgreSQL)")
        self._channel_down = OutageNotice(log, "revocation channel")
        self._sweep_down = OutageNotice(log, "revocation sweep")
        self._catch_up_down = OutageNotice(log, "revocation catch-up")
        self._writes_down = OutageNotice(log, "revocation mirror writes (retried by the sweep)")
        self._publish_down = OutageNotice(log, "revocation publishing (the sweep closes sockets)")

    # -- checks
    async def ensure_active(self, claims: AccessClaims) -> None:
        """Raise invalid_token if the pass's session was ended (logout, reuse, password)."""
        if await self.is_revoked(claims.session_id):
            raise InvalidToken("This pass was revoked: sign in again")

    async def is_revoked(self, session_id: uuid.UUID) -> bool:
        # An ended session never comes back, so what this instance heard of recently is enough
        # to refuse; to accept, always the mirror (or PostgreSQL), never only this memory.
        if self._recently_revoked(session_id):
            return True
        try:
            loaded, mark = await self._marks(session_id)
        except (RedisError, OSError) as exc:
            self._mirror_down.failed(exc)
        else:
            self._mirror_down.ok()
            if mark is not None:
                return True
            if loaded is None or (self._redis_run_id is not None and loaded != self._redis_run_id):
                # Redis lost its memory (or came back from a snapshot): refill from PostgreSQL.
                self._start_rebuild()
            elif self._mirror_trusted():
                return False
        # Fail closed: a PostgreSQL error here becomes 503 temporarily_unavailable, never a yes.
        return await self._ended_in_database(session_id)

    async def _read_marks(self, session_ids: list[uuid.UUID]) -> list[tuple[object, object]]:
        """(the "loaded" marker, the session's mark) for each: one MGET for a crowd's checks."""
        loaded, *marks = await self._redis.mget(LOADED_KEY, *(_key(i) for i in session_ids))
        return [(loaded, mark) for mark in marks]

    async def _read_ended(self, session_ids: list[uuid.UUID]) -> list[bool]:
        """Whether each session ended, from PostgreSQL: one query for a crowd's checks."""
        async with self._sessions() as session:
            ended = set(await store.revoked_among(session, session_ids=set(session_ids)))
        return [i in ended for i in session_ids]

    def close_if_revoked(self, connection: Chat) -> None:
        """For a socket that just joined the hub: close it if its session ended meanwhile."""
        if self._recently_revoked(connection.session_id):
            self._close([connection])

    # -- revoking
    async def revoke(
        self,
        *,
        reason: str,
        session_ids: Collection[uuid.UUID] = (),
        user_id: uuid.UUID | None = None,
    ) -> list[uuid.UUID]:
        """End sessions (the given ones, or all of a person's) everywhere; the ids ended now."""
        async with self._sessions() as session:
            ended = await store.revoke_sessions(
                session, reason=reason, session_ids=session_ids, user_id=user_id
            )
        await self.announce({*ended, *session_ids}, reason=reason, user_id=user_id)
        return ended

    async def announce(
        self, ids: set[uuid.UUID], *, reason: str, user_id: uuid.UUID | None = None
    ) -> None:
        """After sessions were ended in PostgreSQL (committed): close their sockets here, mirror
        them and tell the other instances."""
        log.info("sessions ended: %s (%d)", reason, len(ids), extra={"user_id": user_id})
        self._remember(ids)
        self.close_local(ids)
        await self._mirror(ids)
        await self._publish(ids)

    def close_local(self, session_ids: Iterable[uuid.UUID]) -> None:
        wanted = set(session_ids)
        if wanted:
            self._close([c for c in self._hub.connections() if c.session_id in wanted])

    # -- background work: the channel listener and the sweep
    async def run(self, subscriber: Redis) -> None:
        """Listen for other instances' revocations, catch up with PostgreSQL and sweep against
        it, until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._listen(subscriber))
            group.create_task(self._catch_up())
            group.create_task(self._sweep())

    async def _listen(self, subscriber: Redis) -> None:
        # Whatever arrives, the watcher survives it (an unreadable message is skipped), so one
        # bad publication cannot end cross-instance closing; `listening` feeds readiness.
        while True:
            try:
                async with subscriber.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "subscribe":
                            self.listening = True
                            self._channel_down.ok()
                        self._on_message(message)
            except asyncio.CancelledError:
                self.listening = False
                raise
            except Exception as exc:
                self.listening = False
                self._channel_down.failed(exc)
                await asyncio.sleep(RECONNECT_DELAY_S)

    def _on_message(self, message: dict[str, object]) -> None:
        if message.get("type") != "message":
            return
        parsed = _revoked_ids(message.get("data"))
        if parsed is None:
            log.warning("unreadable revocation message ignored")
            return
        ids, origin = parsed
        self._remember(ids)
        if origin != self._instance_id:
            self.close_local(ids)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                await self._sweep_once()
            except Exception as exc:  # a dependency down; the next sweep tries again
                self._sweep_down.failed(exc)
            else:
                self._sweep_down.ok()

    async def _catch_up(self) -> None:
        while True:
            try:
                await self._catch_up_once()
            except Exception as exc:  # a dependency down; the next round reads a longer stretch
                self._catch_up_down.failed(exc)
            else:
                self._catch_up_down.ok()
            await asyncio.sleep(CATCH_UP_S)

    async def _catch_up_once(self) -> None:
        """Learn the sessions ended since the last round, by any instance, from PostgreSQL:
        close their sockets here and make sure the mirror holds them. The first round reads
        back only as far as a pass can live, page by page; later rounds a few seconds."""
        began = time.monotonic()
        await self._learn_redis_run_id()
        since: float = MIRROR_TTL_S
        if self._caught_up_at is not None:
            since = min(MIRROR_TTL_S, began - self._caught_up_at + CATCH_UP_OVERLAP_S)
        async for page in self._ended_pages(since):
            news = {i for _, i in page if not self._recently_revoked(i)}
            if news:
                # What ended before RECENT_S is enforced by the mirror, not by this memory.
                self._remember({i for at, i in page if i in news and _age_s(at) < RECENT_S})
                self.close_local(news)
                await self._mirror(news)
        self._caught_up_at = began

    async def _learn_redis_run_id(self) -> None:
        try:
            info = await self._redis.info("server")
        except (RedisError, OSError):
            return  # the mirror is failing anyway; checks then ask PostgreSQL
        run_id = info.get("run_id")
        if isinstance(run_id, str):
            self._redis_run_id = run_id.encode()

    async def _ended_pages(self, seconds: float) -> AsyncIterator[list[tuple[datetime, uuid.UUID]]]:
        after: tuple[datetime, uuid.UUID] | None = None
        while True:
            async with self._sessions() as session:
                page = await store.revoked_since(session, seconds=seconds, after=after, limit=PAGE)
            if page:
                yield page
            if len(page) < PAGE:
                return
            after = page[-1]

    async def _sweep_once(self) -> None:
        self._forget_expired()
        if self._mirror_incomplete:
            await self._rebuild_mirror()
        if self._unmirrored:
            await self._mirror(set(self._unmirrored))
        open_sessions = {c.session_id for c in self._hub.connections()}
        if not open_sessions:
            return
        async with self._sessions() as session:
            ended = await store.revoked_among(session, session_ids=open_sessions)
        self.close_local(ended)

    # -- internals
    def _recently_revoked(self, session_id: uuid.UUID) -> bool:
        at = self._recent.get(session_id)
        return at is not None and time.monotonic() - at < RECENT_S

    def _forget_expired(self) -> None:
        now = time.monotonic()
        self._recent = {k: at for k, at in self._recent.items() if now - at < RECENT_S}

    def _remember(self, ids: Collection[uuid.UUID]) -> None:
        """Note ids as recently ended, keeping at most MAX_RECENT (the oldest go first)."""
        self._forget_expired()
        now = time.monotonic()
        for session_id in ids:
            self._recent.pop(session_id, None)  # re-inserted last: the dict stays oldest first
            self._recent[session_id] = now
        for _ in range(len(self._recent) - MAX_RECENT):
            del self._recent[next(iter(self._recent))]

    def _mirror_trusted(self) -> bool:
        """Whether the mirror's "not ended" can be believed (else ask PostgreSQL)."""
        return (
            not self._unmirrored
            and not self._mirror_incomplete
            and self._caught_up_at is not None
            and time.monotonic() - self._caught_up_at < TRUST_S
        )

    def _close(self, connections: Iterable[Chat]) -> None:
        for connection in connections:
            self._hub.remove(connection)
            task = asyncio.create_task(
                connection.closer.close(CloseCode.PASS_ENDED, b"pass revoked")
            )
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _mirror(self, ids: set[uuid.UUID]) -> None:
        if not ids:
            return
        try:
            for chunk in _chunks(ids):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for session_id in chunk:
                        pipe.set(_key(session_id), b"1", ex=MIRROR_TTL_S)
                    await pipe.execute()
        except (RedisError, OSError) as exc:
            # Until the mirror holds them, checks go to PostgreSQL (see is_revoked).
            self._writes_down.failed(exc)
            self._unmirrored |= ids
            if len(self._unmirrored) > MAX_UNMIRRORED:
                # Too many to keep: forget them, and rebuild the whole mirror once Redis is back.
                self._unmirrored.clear()
                self._mirror_incomplete = True
        else:
            self._writes_down.ok()
            self._unmirrored -= ids

    async def _publish(self, ids: set[uuid.UUID]) -> None:
        try:
            for chunk in _chunks(ids):
                sessions = [str(i) for i in chunk]
                message = json.dumps({"origin": self._instance_id, "sessions": sessions})
                await self._redis.publish(CHANNEL, message)
        except (RedisError, OSError) as exc:
            self._publish_down.failed(exc)
        else:
            self._publish_down.ok()

    def _start_rebuild(self) -> None:
        if self._rebuild is None or self._rebuild.done():
            self._rebuild = asyncio.create_task(self._rebuild_mirror())

    async def _rebuild_mirror(self) -> None:
        """Refill an emptied (or incomplete) mirror from PostgreSQL page by page, then mark it
        loaded."""
        try:
            count = 0
            async for page in self._ended_pages(MIRROR_TTL_S):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for _, session_id in page:
                        pipe.set(_key(session_id), b"1", ex=MIRROR_TTL_S)
                    await pipe.execute()
                self._unmirrored -= {i for _, i in page}
                count += len(page)
            await self._learn_redis_run_id()
            await self._redis.set(LOADED_KEY, self._redis_run_id or self._instance_id.encode())
            self._mirror_incomplete = False
            log.info("revocation mirror rebuilt from PostgreSQL (%d sessions)", count)
        except Exception as exc:
            log.warning("revocation mirror rebuild failed: %r", exc)

    async def aclose(self) -> None:
        if self._rebuild is not None:
            self._rebuild.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._rebuild
