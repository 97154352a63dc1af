"""Agent runs: turn the pipeline's steps into contract events, persist them, deliver them.

Every event is written to PostgreSQL (the audit log and the resync source) before it is published,
and `agent_completed` is sent only after the answer is committed. A run takes its place in the
instance's admission queue when its question is acknowledged (service/runs/admission.py): its
`agent_started` goes out at once, saying so when it is queued, and its steps wait for a slot.
Meanwhile, and whenever a step takes long, the heartbeat (service/runs/heartbeat.py) has it tell
its person where it stands, so nobody waits more than a second without hearing from it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from service.agents.llm import LlmUnavailable
from service.agents.model import (
    Answer,
    Kept,
    KnownNames,
    Thinking,
    ToolFailed,
    ToolFinished,
    ToolStarted,
)
from service.agents.model import UsageRecord as AgentUsage
from service.agents.name_index import NAMES_READ
from service.agents.optimization import analysis_period
from service.agents.pipeline import run_agent
from service.agents.reasoner import Reasoner
from service.agents.triage import EARLIER_QUESTIONS_READ
from service.clock import utc_today
from service.contract import EventType, RunError
from service.metrics import FIRST_EVENT_SECONDS, RUN_SECONDS
from service.resilience.deadlines import uninterruptible
from service.runs.admission import Admission, Place, QueueWaitExpired, Slot
from service.runs.first_progress import FirstProgress
from service.runs.heartbeat import Heartbeat, Said
from service.runs.stages import STAGE_OF_TOOL, encode
from service.runs.tool_limits import FailingFirstOptimizer, LimitedUsage, ToolLimits
from service.store import conversations
from service.store.conversations import RunTakenOver
from service.store.db import Sessions
from service.store.hot_path import Accepted, HotPath, KeptStage
from service.store.models import Run

log = logging.getLogger("service.runs")


# Which stage of the pipeline each tool belongs to (the envelope's `step`).
STEP_OF_TOOL = {
    "triage": "triage",
    "usage_report": "data",
    "savings_optimizer": "optimization",
    "savings_estimate": "optimization",
    "performance_analyzer": "optimization",
}


class EventSink(Protocol):
    """Where a run's numbered events go: stored, then published to the person's sockets. The
    port to the event log (service/delivery/event_log.py), above this room, wired in
    service/app.py."""

    async def append(
        self, user_id: uuid.UUID, envelopes: list[dict[str, Any]], stages: list[KeptStage]
    ) -> None: ...

    async def append_with(
        self,
        user_id: uuid.UUID,
        envelopes: list[dict[str, Any]],
        store: Callable[[list[str]], Awaitable[None]],
    ) -> None: ...


class DbUsage:
    """The agent's view of one person's usage records. Triage's read of the names also reads
    the records of the period the data stage then asks for (one round trip, not two in turn);
    any other read goes to the store."""

    def __init__(self, store: HotPath, user_id: uuid.UUID, period: tuple[date, date]) -> None:
        self._store = store
        self._user_id = user_id
        self._period = period
        self._ahead: list[AgentUsage] | None = None  # read with the names, for the data stage

    async def records(self, *, since: date, until: date) -> Sequence[AgentUsage]:
        ahead, self._ahead = self._ahead, None
        if ahead is not None and (since, until) == self._period:
            return ahead
        rows = await self._store.usage_between(user_id=self._user_id, since=since, until=until)
        return [AgentUsage(**dict(row)) for row in rows]

    async def known_names(self) -> KnownNames:
        since, until = self._period
        read = await self._store.usage_read(
            user_id=self._user_id, limit=NAMES_READ, since=since, until=until
        )
        self._ahead = [AgentUsage(*record) for record in read.records]
        return KnownNames(features=frozenset(read.features), models=frozenset(read.models))


class RunEmitter:
    """Numbers, persists and publishes the events of one run, keeping tool calls paired.

    Two tasks emit for a run: its own, and the instance's heartbeat (`speak_up`, when the run
    has been quiet too long: service/runs/heartbeat.py). A lock numbers their events in turn."""

    def __init__(
        self, events: EventSink, run: Run, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._events = events
        self._run = run
        self._clock = clock
        self._seq = 0  # the last stored event's: a seq is taken only once its event is stored
        self.finished = False  # a final event is stored: nothing may follow it
        self._open_tools: dict[str, str] = {}  # tool_call_id -> tool
        self._opening: dict[str, Any] | None = None  # agent_started's payload
        self._held: list[dict[str, Any]] = []  # numbered, to go with the next event
        self._held_stages: list[KeptStage] = []  # results the held events announce
        self._turn = asyncio.Lock()
        self.last_at = clock()  # when its latest event was stored and sent

    def continue_after(self, last_seq: int, open_tools: dict[str, str]) -> None:
        """Number on from an event log already written (recovery of an orphaned run)."""
        self._seq = last_seq
        self._open_tools = dict(open_tools)

    async def emit(
        self,
        type_: EventType,
        payload: dict[str, Any],
        *,
        step: str | None = None,
        tool_call_id: str | None = None,
        final: bool = False,
        hold: bool = False,
        keep: KeptStage | None = None,
    ) -> None:
        # A deadline or a shutdown may cancel the run at any await: an event is stored and
        # published entirely or not at all, and the next one waits for it (no gap, no reorder).
        # `hold` keeps it back to go with the next one (the step it came from said the next
        # follows at once: one round trip for both).
        await uninterruptible(self._in_turn(type_, payload, step, tool_call_id, final, hold, keep))

    async def speak_up(self, say: Callable[[], Said | None], *, quiet_s: float) -> None:
        """Emit what `say` returns if the run has said nothing for `quiet_s`, once its
        `agent_started` is stored and before its final event (decided in turn with the run's own
        events, so `say` sees the run as it is)."""
        async with self._turn:
            if self.finished or self._seq == 0 or self._held:
                return  # not started, over, or its next event follows at once
            if self._clock() - self.last_at < quiet_s:
                return
            said = say()
            if said is not None:
                await self._emit(said.type, said.payload, said.step, None, False, False)

    @property
    def stage(self) -> str | None:
        """The pipeline stage of the tool running now, if one is."""
        return next((STEP_OF_TOOL.get(t) for t in self._open_tools.values()), None)

    async def _in_turn(
        self,
        type_: EventType,
        payload: dict[str, Any],
        step: str | None,
        tool_call_id: str | None,
        final: bool,
        hold: bool,
        keep: KeptStage | None,
    ) -> None:
        async with self._turn:
            await self._emit(type_, payload, step, tool_call_id, final, hold, keep)

    async def _emit(
        self,
        type_: EventType,
        payload: dict[str, Any],
        step: str | None,
        tool_call_id: str | None,
        final: bool,
        hold: bool,
        keep: KeptStage | None = None,
    ) -> None:
        self._held.append(self._envelope(type_, payload, step, tool_call_id, final))
        if keep is not None:
            self._held_stages.append(keep)
        if hold and not final:
            return
        await self._flush()

    def _envelope(
        self,
        type_: EventType,
        payload: dict[str, Any],
        step: str | None,
        tool_call_id: str | None,
        final: bool,
    ) -> dict[str, Any]:
        """The next event, numbered after those stored and held."""
        seq = self._seq + len(self._held) + 1
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
        return envelope

    async def _flush(self) -> None:
        """Store and publish the held events (and the stage results they announce)."""
        envelopes, self._held = self._held, []
        stages, self._held_stages = self._held_stages, []
        try:
            await self._events.append(self._run.user_id, envelopes, stages)
        except Exception as exc:
            log.warning("event %s not stored: %s", envelopes[0]["event_id"], type(exc).__name__)
            raise
        self._stored(envelopes)

    def _stored(self, envelopes: list[dict[str, Any]]) -> None:
        # Events that could not be stored leave no gap: the next one takes their number.
        self._seq = envelopes[-1]["seq"]
        self.finished = self.finished or any(e["final"] for e in envelopes)
        self.last_at = self._clock()

    async def complete(
        self,
        payload: dict[str, Any],
        store: Callable[[list[dict[str, Any]], list[str]], Awaitable[None]],
    ) -> None:
        """The run's `agent_completed`, stored by `store` (given the events and their JSON) in
        the statement that commits the answer: it is sent only once the answer is committed."""
        await uninterruptible(self._complete(payload, store))

    async def _complete(
        self,
        payload: dict[str, Any],
        store: Callable[[list[dict[str, Any]], list[str]], Awaitable[None]],
    ) -> None:
        async with self._turn:
            if self._held:  # a step said the answer follows at once: what it held goes first
                await self._flush()
            envelopes = [self._envelope(EventType.AGENT_COMPLETED, payload, "report", None, True)]
            await self._events.append_with(
                self._run.user_id, envelopes, lambda texts: store(envelopes, texts)
            )
            self._stored(envelopes)

    async def start(self, payload: dict[str, Any]) -> None:
        """The run's first event, `agent_started` (seq 1)."""
        self._opening = payload
        await self.emit(EventType.AGENT_STARTED, payload)

    async def tool_started(self, step: ToolStarted) -> None:
        self._open_tools[step.call_id] = step.tool
        await self.emit(
            EventType.TOOL_EXECUTING,
            {"tool": step.tool, "args": step.args},
            step=STEP_OF_TOOL.get(step.tool),
            tool_call_id=step.call_id,
            hold=step.more,
        )

    async def tool_finished(self, step: ToolFinished, keep: KeptStage | None = None) -> None:
        """`keep`: the stage's result, stored with this event (whatever its person saw finish,
        another instance can carry on from: service/runs/stages.py)."""
        self._open_tools.pop(step.call_id, None)
        await self.emit(
            EventType.TOOL_COMPLETED,
            {
                "tool": step.tool,
                "status": step.status,
                "summary": step.summary,
                "duration_ms": step.duration_ms,
            },
            step=STEP_OF_TOOL.get(step.tool),
            tool_call_id=step.call_id,
            hold=step.more,
            keep=keep,
        )

    async def fail(self, error: RunError, message: str, *, retryable: bool) -> None:
        """End the run with agent_error, first closing any tool call left open (unless it has
        already ended: a deadline striking just as the answer went out). Events held back go
        first (a failed store has dropped them already)."""
        if self.finished:
            return
        if self._seq == 0 and self._opening is not None:
            # agent_started could not be stored (a database blip): the stream still opens with
            # it at seq 1, as the contract says, and the error follows at seq 2.
            await self.emit(EventType.AGENT_STARTED, self._opening)
        for call_id, tool in list(self._open_tools.items()):
            await self.tool_finished(ToolFinished(call_id, tool, "error", message, 0))
        await self.emit(
            EventType.AGENT_ERROR,
            {"error": error, "message": message, "retryable": retryable},
            final=True,
        )


@dataclass(frozen=True)
class Question:
    """An acknowledged question, as the run that answers it needs it."""

    accepted: Accepted
    user_id: uuid.UUID
    client_msg_id: uuid.UUID
    text: str
    # Asked in an existing conversation: its earlier questions are the context.
    follow_up: bool
    # When the question arrived (time.monotonic()), for the first-event latency metric.
    asked_at: float


@dataclass(frozen=True)
class Carried:
    """A run taken over from an instance that died: its events so far (the last seq, the tool
    calls left open) and what its stages already did."""

    last_seq: int
    open_tools: dict[str, str]  # tool_call_id -> tool
    kept: Kept


class RunExecutor:
    """Starts runs as background tasks, in admission order, and keeps track of them for a
    graceful shutdown."""

    def __init__(
        self,
        sessions: Sessions,
        store: HotPath,
        events: EventSink,
        reasoner: Reasoner,
        *,
        deadline_s: float,
        tools: ToolLimits | None = None,
        admission: Admission | None = None,
        first_progress: FirstProgress | None = None,
    ) -> None:
        self._sessions = sessions
        self._store = store
        self._events = events
        self._reasoner = reasoner
        self._deadline_s = deadline_s
        self._tools = tools or ToolLimits()
        self.admission = admission or Admission()
        # Runs quiet for too long are told to say something (the app runs its `run()`).
        self.heartbeat = Heartbeat(self.admission)
        # Questions arriving now get their agent_started before started runs take further steps.
        self.first_progress = first_progress or FirstProgress()
        self._tasks: set[asyncio.Task[None]] = set()
        self._live: dict[uuid.UUID, asyncio.Task[None]] = {}  # run_id -> its task
        self.run_started = asyncio.Event()  # wakes the lease keeper (service/runs/recovery.py)

    def start(self, question: Question, carried: Carried | None = None) -> None:
        """Run it now or queue it (callers `admission.reserve()` its room before accepting);
        `carried` on from its last finished stage when another instance had it and died."""
        place = self.admission.enter(question.user_id)
        run_id = question.accepted.run_id
        if carried is None:
            self.first_progress.came()  # until its agent_started is stored (`_execute`)
        task = asyncio.create_task(self._guarded(question, place, carried))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._live[run_id] = task
        task.add_done_callback(lambda _: self._live.pop(run_id, None))
        self.run_started.set()

    def live_run_ids(self) -> list[uuid.UUID]:
        """The runs this instance is executing or has queued (their leases are renewed)."""
        return list(self._live)

    def carry_on(self, question: Question, carried: Carried) -> None:
        """Carry on a run taken over from an instance that died: it waits for a slot like any
        question already taken (never refused: it was accepted long ago)."""
        self.admission.reserve(question.user_id, places=sys.maxsize, reach=math.inf)
        self.start(question, carried)

    async def _guarded(self, question: Question, place: Place, carried: Carried | None) -> None:
        context = {"user_id": question.user_id, "run_id": question.accepted.run_id}
        try:
            await self._execute(question, place, carried)
        except RunTakenOver:
            log.warning("run ended by another instance meanwhile", extra=context)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # its events could not be stored: recovery ends it later
            log.error("run failed before it could finish: %s", type(exc).__name__, extra=context)
        finally:
            # Whatever became of the run (its first event not stored, say), its slot or place
            # in line is given back: a lost slot never came back, and the line stalled for good.
            self.admission.release(place)

    async def drain(self, timeout_s: float) -> None:
        """Let in-flight runs finish; those that don't are ended as `interrupted`."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _execute(self, question: Question, place: Place, carried: Carried | None) -> None:
        accepted = question.accepted
        run = Run(
            id=accepted.run_id,
            thread_id=accepted.thread_id,
            user_id=question.user_id,
            input_message_id=accepted.message_id,
        )
        emitter = RunEmitter(self._events, run)
        context = {"user_id": run.user_id, "thread_id": run.thread_id, "run_id": run.id}
        log.info("run started", extra={**context, "queued": place.position})
        started: dict[str, Any] = {
            "agent": "spend_advisor",
            "input_message_id": str(run.input_message_id),
            "client_msg_id": str(question.client_msg_id),
        }
        if place.position:
            started["queued"] = {"position": place.position}
        status = "failed"
        if carried is not None:
            emitter.continue_after(carried.last_seq, carried.open_tools)
        self.heartbeat.watch(run.id, emitter, place)
        arriving = carried is None  # counted in first_progress until its agent_started is out
        try:
            if carried is None or carried.last_seq == 0:  # the stream starts here
                await emitter.start(started)
            if carried is None:
                FIRST_EVENT_SECONDS.observe(time.monotonic() - question.asked_at)
                arriving = False
                self.first_progress.went()
            # The crowd arriving with it first: everyone's agent_started before further steps.
            # Only a run that did not wait in line holds: a queued one's slot comes when the line
            # moves, and held idle it would slow the line down.
            if not place.position:
                await self.first_progress.settled()
            # The deadline counts from the moment the run leaves the queue: waiting there is
            # the instance's doing, not the question's.
            async with Slot(self.admission, place), asyncio.timeout(self._deadline_s):
                history = await self._history(question)
                kept = carried.kept if carried is not None else None
                await self._steps(emitter, run, question.text, history, kept)
            status = "completed"
        except QueueWaitExpired:
            await emitter.fail(
                RunError.TIMEOUT,
                "The assistant was too busy to start on this question in time; please ask again",
                retryable=True,
            )
        except TimeoutError:
            if emitter.finished:  # the deadline struck just as the answer was sent
                status = "completed"
            else:
                await emitter.fail(
                    RunError.TIMEOUT,
                    "The assistant ran out of time for this question",
                    retryable=True,
                )
        except ToolFailed as exc:
            await emitter.fail(RunError.TOOL_FAILED, str(exc), retryable=True)
        except LlmUnavailable as exc:
            await emitter.fail(RunError.LLM_UNAVAILABLE, str(exc), retryable=True)
        except RunTakenOver:
            status = "taken over"
            raise
        except asyncio.CancelledError:
            status = "interrupted"
            await asyncio.shield(self._interrupted(emitter, run))
            raise
        except Exception:
            log.exception("run failed", extra=context)
            await emitter.fail(
                RunError.INTERNAL, "Something went wrong on our side", retryable=True
            )
        finally:
            if arriving:  # its agent_started could not be stored: no first progress to wait for
                self.first_progress.went()
            self.heartbeat.forget(run.id)
            log.info("run ended: %s", status, extra=context)
            RUN_SECONDS.labels(status).observe(time.monotonic() - question.asked_at)
        if status == "failed":
            async with self._sessions() as session:
                await conversations.finish_run(session, run_id=run.id, status=status)

    async def _history(self, question: Question) -> Sequence[str]:
        if not question.follow_up:
            return ()
        async with self._sessions() as session:
            return await conversations.earlier_questions(
                session,
                thread_id=question.accepted.thread_id,
                before=question.accepted.message_id,
                limit=EARLIER_QUESTIONS_READ,
            )

    async def _interrupted(self, emitter: RunEmitter, run: Run) -> None:
        await emitter.fail(
            RunError.INTERRUPTED,
            "The service restarted before the answer was ready",
            retryable=True,
        )
        async with self._sessions() as session:
            await conversations.finish_run(session, run_id=run.id, status="interrupted")

    async def _steps(
        self,
        emitter: RunEmitter,
        run: Run,
        question: str,
        history: Sequence[str],
        kept: Kept | None,
    ) -> None:
        today = utc_today()
        steps = run_agent(
            question,
            history=history,
            usage=LimitedUsage(
                DbUsage(self._store, run.user_id, analysis_period(today)), self._tools
            ),
            reasoner=self._reasoner,
            today=today,
            optimizer=FailingFirstOptimizer(self._tools),
            kept=kept,
        )
        async for step in steps:
            if isinstance(step, Thinking):
                await emitter.emit(EventType.AGENT_THINKING, {"text": step.text}, hold=step.more)
            elif isinstance(step, ToolStarted):
                await emitter.tool_started(step)
            elif isinstance(step, ToolFinished):
                keep = None
                if step.output is not None and step.status == "ok":
                    # Kept with the event that tells its person the stage finished: whatever
                    # they saw finish, another instance can carry on from (service/runs/stages.py).
                    output = json.dumps(encode(step.output))
                    keep = KeptStage(str(run.id), STAGE_OF_TOOL[step.tool], output)
                await emitter.tool_finished(step, keep)
            elif isinstance(step, Answer):
                await self._answer(emitter, run, step.text)

    async def _answer(self, emitter: RunEmitter, run: Run, text: str) -> None:
        # Stored and sent as one: a deadline meanwhile cannot leave a stored answer without its
        # agent_completed (nor add an agent_error after it).
        answer_id = uuid.uuid4()

        async def store(envelopes: list[dict[str, Any]], texts: list[str]) -> None:
            stored = await self._store.record_answer(
                run_id=run.id, answer_id=answer_id, text=text, envelopes=envelopes, texts=texts
            )
            if not stored:
                raise RunTakenOver(str(run.id))

        await emitter.complete(
            {"final_message_id": str(answer_id), "text": text, "outcome": "success"}, store
        )
