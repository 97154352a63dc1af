"""Orphaned runs: every instance renews the leases of its runs and ends those whose instance died.

A SIGKILLed instance leaves its runs `running` forever, and their people waiting for a final
event that never comes. Each instance therefore, every third of a lease:
- renews the lease (`runs.lease_expires_at`) of the runs it is executing, and
- claims, one at a time, runs whose lease expired (never its own live ones) and ends each with
  `agent_error` `interrupted` (retryable), first closing any tool call left open, so the stream
  keeps every invariant; the run is then `interrupted` in PostgreSQL. The events are published
  like any others: the person, reconnected to whichever instance, is told.

A claim is an atomic UPDATE, so two instances never end the same run. A run that already had its
final event (its instance died just before recording the status) only gets its status.
A dependency being down just skips a round; the loop never ends before shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator

from aiohttp import web

from service.contract import AgentErrorCode
from service.delivery.event_log import EventLog
from service.keys import EVENTS, RUNS, SESSIONS, SETTINGS
from service.runs.executor import RunEmitter, RunExecutor
from service.shutdown import bounded, cancelled
from service.store import conversations, leases
from service.store.db import Sessions, make_engine, make_sessions
from service.store.models import Run

log = logging.getLogger("service.recovery")

INTERRUPTED_MESSAGE = (
    "The server working on your question stopped before the answer was ready; please ask again"
)
MAX_CLAIMS_PER_ROUND = 20


class Recovery:
    def __init__(
        self,
        sessions: Sessions,
        runs: RunExecutor,
        events: EventLog,
        *,
        lease_sessions: Sessions,
        instance_id: str,
        lease_s: float,
    ) -> None:
        self._sessions = sessions
        self._runs = runs
        self._events = events
        # Renewals have a connection of their own: behind a thousand questions waiting for the
        # shared pool, they came too late and leases of healthy runs lapsed.
        self._lease_sessions = lease_sessions
        self._instance_id = instance_id
        self._lease_s = lease_s
        # When this instance last began to reach PostgreSQL again: it claims nothing for a lease
        # after that, so the owners of runs in flight, cut off too, can renew their leases first.
        self._reachable_since: float | None = None

    async def run_forever(self) -> None:
        started = self._runs.run_started
        while True:
            started.clear()
            try:
                await self.renew()
                now = time.monotonic()
                self._reachable_since = self._reachable_since or now
                if now - self._reachable_since >= self._lease_s:
                    await self.recover()
            except Exception as exc:  # PostgreSQL down or restarting: the next round retries
                self._reachable_since = None
                log.warning("run leases: round skipped: %r", exc)
            # A new run gets its own lease at once: until then it has the 30 s of the default.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._lease_s / 3):
                    await started.wait()

    async def renew(self) -> None:
        live = self._runs.live_run_ids()
        if live:
            async with self._lease_sessions() as session:
                await leases.renew(session, run_ids=live, lease_s=self._lease_s)

    async def recover(self) -> int:
        """End the orphaned runs found now; how many."""
        ended = 0
        while ended < MAX_CLAIMS_PER_ROUND:
            async with self._sessions() as session:
                run = await leases.claim_orphan(
                    session,
                    instance_id=self._instance_id,
                    lease_s=self._lease_s,
                    live=self._runs.live_run_ids(),
                )
            if run is None:
                break
            await self._end(run)
            ended += 1
        return ended

    async def _end(self, run: Run) -> None:
        context = {"user_id": run.user_id, "thread_id": run.thread_id, "run_id": run.id}
        async with self._sessions() as session:
            found = await leases.run_log(session, run=run)
        if found.final is not None:
            error = found.final.get("payload", {}).get("error")
            status = (
                "completed"
                if found.final.get("type") == "agent_completed"
                else "interrupted"
                if error == AgentErrorCode.INTERRUPTED
                else "failed"
            )
        else:
            emitter = RunEmitter(self._events, run)
            emitter.continue_after(found.last_seq, found.open_tools)
            if found.last_seq == 0:  # it died before its first event: the stream starts here
                await emitter.emit(
                    "agent_started",
                    {
                        "agent": "spend_advisor",
                        "input_message_id": str(run.input_message_id),
                        "client_msg_id": str(found.client_msg_id),
                    },
                )
            await emitter.fail(AgentErrorCode.INTERRUPTED, INTERRUPTED_MESSAGE, retryable=True)
            status = "interrupted"
        async with self._sessions() as session:
            await conversations.finish_run(session, run_id=run.id, status=status)
        log.warning("orphaned run recovered as %s", status, extra=context)


async def recovery_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the lease loop of this instance, from startup to shutdown."""
    settings = app[SETTINGS]
    engine = make_engine(settings, connections=1)
    recovery = Recovery(
        app[SESSIONS],
        app[RUNS],
        app[EVENTS],
        lease_sessions=make_sessions(engine),
        instance_id=settings.instance_id,
        lease_s=settings.run_lease_s,
    )
    task = asyncio.create_task(recovery.run_forever(), name="run leases")
    yield
    await cancelled("the lease loop", [task])
    await bounded("the lease loop's engine", engine.dispose())
