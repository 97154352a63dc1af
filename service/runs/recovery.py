"""Orphaned runs: every instance renews the leases of its runs and carries on those whose
instance died.

A SIGKILLed instance leaves its runs `running` forever, and their people waiting for a final
event that never comes. Each instance therefore, every third of a lease:
- renews the lease (`runs.lease_expires_at`) of the runs it is executing, and
- claims, one at a time, runs whose lease expired (never its own live ones) and carries each on
  from its last finished stage (service/runs/stages.py): its events number on from the last one
  stored, a tool call left open is completed under its own id, and the person gets the answer.
  A run that cannot be carried on (handed on too often already: it may be what kills its
  servers; or begun before stage results were kept) is ended with `agent_error` `interrupted`
  (retryable), first closing any tool call left open, so the stream keeps every invariant.
  The events are published like any others: the person, reconnected to whichever instance,
  sees them.

A claim is an atomic UPDATE, so two instances never take the same run, and it makes the claimer
the only instance that may write the run's events (a frozen one that wakes writes nothing). A run
that already had its final event (its instance died just before recording the status) only gets
its status. A dependency being down just skips a round; the loop never ends before shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from service.contract import EventType, RunError
from service.runs import stages
from service.runs.executor import Carried, EventSink, Question, RunEmitter, RunExecutor
from service.store import conversations, leases
from service.store.db import Sessions
from service.store.hot_path import Accepted
from service.store.models import Run

log = logging.getLogger("service.recovery")

INTERRUPTED_MESSAGE = (
    "The server working on your question stopped before the answer was ready; please ask again"
)
MAX_CLAIMS_PER_ROUND = 20
# A run handed on this many times is ended instead: it may be what kills its servers.
MAX_HANDOFFS = 2


class Recovery:
    def __init__(
        self,
        sessions: Sessions,
        runs: RunExecutor,
        events: EventSink,
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
                await leases.renew(
                    session, run_ids=live, instance_id=self._instance_id, lease_s=self._lease_s
                )

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
                if found.final.get("type") == EventType.AGENT_COMPLETED
                else "interrupted"
                if error == RunError.INTERRUPTED
                else "failed"
            )
        elif await self._carry_on(run, found):
            log.warning("orphaned run carried on from its last finished stage", extra=context)
            return
        else:
            emitter = RunEmitter(self._events, run)
            emitter.continue_after(found.last_seq, found.open_tools)
            if found.last_seq == 0:  # it died before its first event: the stream starts here
                await emitter.emit(
                    EventType.AGENT_STARTED,
                    {
                        "agent": "spend_advisor",
                        "input_message_id": str(run.input_message_id),
                        "client_msg_id": str(found.client_msg_id),
                    },
                )
            await emitter.fail(RunError.INTERRUPTED, INTERRUPTED_MESSAGE, retryable=True)
            status = "interrupted"
        async with self._sessions() as session:
            await conversations.finish_run(session, run_id=run.id, status=status)
        log.warning("orphaned run recovered as %s", status, extra=context)

    async def _carry_on(self, run: Run, found: leases.RunLog) -> bool:
        """Hand the run to this instance's executor, from its last finished stage; False when
        it cannot be carried on."""
        if run.handoffs > MAX_HANDOFFS or found.client_msg_id is None:
            return False
        async with self._sessions() as session:
            outputs = await leases.stage_outputs(session, run_id=run.id)
        open_calls = {tool: call_id for call_id, tool in found.open_tools.items()}
        kept = stages.kept_from(outputs, told=found.told, open_calls=open_calls)
        if kept is None:
            return False
        question = Question(
            accepted=Accepted(run.thread_id, run.input_message_id, run.id, duplicate=False),
            user_id=run.user_id,
            client_msg_id=found.client_msg_id,
            text=found.question,
            follow_up=True,  # its earlier questions, if any, are read again
            asked_at=time.monotonic(),
        )
        self._runs.carry_on(question, Carried(found.last_seq, found.open_tools, kept))
        return True
