"""Agent runs: turn the pipeline's steps into contract events, persist them, deliver them.

Every event is written to PostgreSQL (the audit log and the resync source) before it is published,
and `agent_completed` is sent only after the answer is committed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from service.agents.llm import LlmUnavailable
from service.agents.model import (
    Answer,
    KnownNames,
    Thinking,
    ToolFailed,
    ToolFinished,
    ToolStarted,
)
from service.agents.model import UsageRecord as AgentUsage
from service.agents.pipeline import run_agent
from service.agents.reasoner import Reasoner
from service.bus import Bus
from service.clock import utc_today
from service.run_events import store_event, uninterruptible
from service.store import conversations, usage
from service.store.conversations import Accepted, RunTakenOver
from service.store.db import Sessions
from service.store.models import Run
from service.tool_limits import LimitedUsage, ToolLimits

log = logging.getLogger("service.runs")


# Which stage of the pipeline each tool belongs to (the envelope's `step`).
STEP_OF_TOOL = {"triage": "triage", "usage_report": "data", "savings_optimizer": "optimization"}


class DbUsage:
    """The agent's view of one person's usage records."""

    def __init__(self, sessions: Sessions, user_id: uuid.UUID) -> None:
        self._sessions = sessions
        self._user_id = user_id

    async def records(self, *, since: date, until: date) -> Sequence[AgentUsage]:
        async with self._sessions() as session:
            rows = await usage.usage_between(
                session, user_id=self._user_id, since=since, until=until
            )
        return [
            AgentUsage(
                day=r.day,
                model=r.model,
                feature=r.feature,
                requests=r.requests,
                input_tokens=r.input_tokens,
                output_tokens=r.output_tokens,
                cost_usd=r.cost_usd,
            )
            for r in rows
        ]

    async def known_names(self) -> KnownNames:
        async with self._sessions() as session:
            features = await usage.distinct_names(session, user_id=self._user_id, of="feature")
            models = await usage.distinct_names(session, user_id=self._user_id, of="model")
        return KnownNames(features=frozenset(features), models=frozenset(models))


class RunEmitter:
    """Numbers, persists and publishes the events of one run, keeping tool calls paired."""

    def __init__(self, sessions: Sessions, bus: Bus, run: Run) -> None:
        self._sessions = sessions
        self._bus = bus
        self._run = run
        self._seq = 0  # the last stored event's (see service/run_events.py)
        self._open_tools: dict[str, str] = {}  # tool_call_id -> tool
        self.finished = False  # a final event is stored: nothing may follow it

    def continue_after(self, last_seq: int, open_tools: dict[str, str]) -> None:
        """Number on from an event log already written (recovery of an orphaned run)."""
        self._seq = last_seq
        self._open_tools = dict(open_tools)

    async def emit(
        self,
        type_: str,
        payload: dict[str, Any],
        *,
        step: str | None = None,
        tool_call_id: str | None = None,
        final: bool = False,
    ) -> None:
        seq = self._seq + 1
        envelope: dict[str, Any] = {
            "v": 1,
            "type": type_,
            "event_id": f"{self._run.id}:{seq}",
            "thread_id": str(self._run.thread_id),
            "run_id": str(self._run.id),
            "seq": seq,
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "final": final,
            "payload": payload,
        }
        if step is not None:
            envelope["step"] = step
        if tool_call_id is not None:
            envelope["tool_call_id"] = tool_call_id
        # A deadline or a shutdown may cancel the run at any await: an event is stored and
        # published entirely or not at all, and the next one waits for it (no gap, no reorder).
        await uninterruptible(self._store_and_publish(envelope))

    async def _store_and_publish(self, envelope: dict[str, Any]) -> None:
        try:
            await store_event(self._sessions, self._run.id, envelope)
        except Exception as exc:
            log.warning("event %s not stored: %r", envelope["event_id"], exc)
            raise
        # The seq is taken only now: an event that could not be stored leaves no gap.
        self._seq = envelope["seq"]
        self.finished = self.finished or envelope["final"]
        await self._bus.publish(self._run.user_id, envelope)

    async def tool_started(self, step: ToolStarted) -> None:
        self._open_tools[step.call_id] = step.tool
        await self.emit(
            "tool_executing",
            {"tool": step.tool, "args": step.args},
            step=STEP_OF_TOOL.get(step.tool),
            tool_call_id=step.call_id,
        )

    async def tool_finished(self, step: ToolFinished) -> None:
        self._open_tools.pop(step.call_id, None)
        await self.emit(
            "tool_completed",
            {
                "tool": step.tool,
                "status": step.status,
                "summary": step.summary,
                "duration_ms": step.duration_ms,
            },
            step=STEP_OF_TOOL.get(step.tool),
            tool_call_id=step.call_id,
        )

    async def fail(self, error: str, message: str, *, retryable: bool) -> None:
        """End the run with agent_error, first closing any tool call left open (unless it has
        already ended: a deadline striking just as the answer went out)."""
        if self.finished:
            return
        for call_id, tool in list(self._open_tools.items()):
            await self.tool_finished(ToolFinished(call_id, tool, "error", message, 0))
        await self.emit(
            "agent_error",
            {"error": error, "message": message, "retryable": retryable},
            final=True,
        )


class RunExecutor:
    """Starts runs as background tasks and keeps track of them for a graceful shutdown."""

    def __init__(
        self,
        sessions: Sessions,
        bus: Bus,
        reasoner: Reasoner,
        *,
        deadline_s: float,
        tools: ToolLimits | None = None,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._reasoner = reasoner
        self._deadline_s = deadline_s
        self._tools = tools or ToolLimits()
        self._tasks: set[asyncio.Task[None]] = set()
        self._live: dict[uuid.UUID, asyncio.Task[None]] = {}  # run_id -> its task
        self.run_started = asyncio.Event()  # wakes the lease keeper (service/recovery.py)

    def start(self, accepted: Accepted, *, user_id: uuid.UUID, client_msg_id: uuid.UUID) -> None:
        task = asyncio.create_task(self._guarded(accepted, user_id, client_msg_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._live[accepted.run_id] = task
        task.add_done_callback(lambda _: self._live.pop(accepted.run_id, None))
        self.run_started.set()

    def live_run_ids(self) -> list[uuid.UUID]:
        """The runs this instance is executing now (their leases are renewed)."""
        return list(self._live)

    async def _guarded(
        self, accepted: Accepted, user_id: uuid.UUID, client_msg_id: uuid.UUID
    ) -> None:
        try:
            await self._execute(accepted, user_id, client_msg_id)
        except RunTakenOver:
            context = {"run_id": accepted.run_id}
            log.warning("run ended by another instance meanwhile", extra=context)
        except Exception as exc:  # e.g. the database failed while the run was loading
            context = {"user_id": user_id, "run_id": accepted.run_id}
            # Its lease lapses and recovery ends it as interrupted (service/recovery.py).
            log.error("run failed before it could finish: %s", type(exc).__name__, extra=context)

    async def drain(self, timeout_s: float) -> None:
        """Let in-flight runs finish; those that don't are ended as `interrupted`."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _execute(
        self, accepted: Accepted, user_id: uuid.UUID, client_msg_id: uuid.UUID
    ) -> None:
        async with self._sessions() as session:
            run = await conversations.get_run(session, user_id=user_id, run_id=accepted.run_id)
            question = await conversations.question_text(session, run=run)
            history = await conversations.earlier_questions(
                session, thread_id=run.thread_id, before=run.input_message_id
            )
        emitter = RunEmitter(self._sessions, self._bus, run)
        context = {"user_id": user_id, "thread_id": run.thread_id, "run_id": run.id}
        log.info("run started", extra=context)
        status = "failed"
        try:
            await emitter.emit(
                "agent_started",
                {
                    "agent": "spend_advisor",
                    "input_message_id": str(run.input_message_id),
                    "client_msg_id": str(client_msg_id),
                },
            )
            async with asyncio.timeout(self._deadline_s):
                await self._steps(emitter, run, question, history)
            status = "completed"
        except TimeoutError:
            if emitter.finished:  # the deadline struck just as the answer was sent
                status = "completed"
            else:
                await emitter.fail(
                    "timeout", "The assistant ran out of time for this question", retryable=True
                )
        except ToolFailed as exc:
            await emitter.fail("tool_failed", str(exc), retryable=True)
        except LlmUnavailable as exc:
            await emitter.fail("llm_unavailable", str(exc), retryable=True)
        except RunTakenOver:
            status = "taken over"
            raise
        except asyncio.CancelledError:
            status = "interrupted"
            await asyncio.shield(self._interrupted(emitter, run))
            raise
        except Exception:
            log.exception("run failed", extra=context)
            await emitter.fail("internal", "Something went wrong on our side", retryable=True)
        finally:
            log.info("run ended: %s", status, extra=context)
        if status == "failed":
            async with self._sessions() as session:
                await conversations.finish_run(session, run_id=run.id, status=status)

    async def _interrupted(self, emitter: RunEmitter, run: Run) -> None:
        await emitter.fail(
            "interrupted", "The service restarted before the answer was ready", retryable=True
        )
        async with self._sessions() as session:
            await conversations.finish_run(session, run_id=run.id, status="interrupted")

    async def _steps(
        self, emitter: RunEmitter, run: Run, question: str, history: Sequence[str]
    ) -> None:
        steps = run_agent(
            question,
            history=history,
            usage=LimitedUsage(DbUsage(self._sessions, run.user_id), self._tools),
            reasoner=self._reasoner,
            today=utc_today(),
        )
        async for step in steps:
            if isinstance(step, Thinking):
                await emitter.emit("agent_thinking", {"text": step.text})
            elif isinstance(step, ToolStarted):
                await emitter.tool_started(step)
            elif isinstance(step, ToolFinished):
                await emitter.tool_finished(step)
            elif isinstance(step, Answer):
                # Stored and sent as one: a deadline meanwhile cannot leave a stored answer
                # without its agent_completed (nor add an agent_error after it).
                await uninterruptible(self._answer(emitter, run, step.text))

    async def _answer(self, emitter: RunEmitter, run: Run, text: str) -> None:
        async with self._sessions() as session:
            answer_id = await conversations.record_answer(session, run=run, text=text)
        await emitter.emit(
            "agent_completed",
            {"final_message_id": str(answer_id), "text": text, "outcome": "success"},
            step="report",
            final=True,
        )
