"""Run leases: the executing instance renews them; an expired one marks an orphaned run.

A run whose instance died (SIGKILL, power loss) stays `running` in PostgreSQL. Its lease stops
being renewed, and once it has expired any instance may claim the run (one at a time: the claim
is an atomic UPDATE of an unlocked row), and carry it on or end it. The claim makes the claimer
the run's instance: only it may write the run's events from then on (service/store/hot_path.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ARRAY, Float, Uuid, all_, bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from service.contract import EventType
from service.store.models import Message, Run, RunEvent, RunStage


@dataclass(frozen=True)
class RunLog:
    """What an orphaned run already emitted, as PostgreSQL holds it."""

    last_seq: int
    final: dict[str, Any] | None  # the final event's envelope, if one was written
    open_tools: dict[str, str]  # tool_call_id -> tool, announced but never completed
    client_msg_id: uuid.UUID | None
    told: set[str]  # the tools whose completion was stored (and so sent)
    question: str  # the question the run answers


def _lease_end(lease_s: float) -> Any:
    return func.now() + func.make_interval(0, 0, 0, 0, 0, 0, lease_s)


# One array parameter and no ORM bookkeeping: renewed whenever a run starts, so a crowd's arrival
# renews back to back, and the ORM's UPDATE (a bound parameter per run, its WHERE evaluated
# against the session in Python) was a twentieth of a busy instance's time.
_RENEW = text(
    "UPDATE runs SET lease_expires_at = now() + make_interval(secs => :lease_s) "
    "WHERE id = ANY(:run_ids) AND status = 'running' AND instance_id = :instance_id"
).bindparams(bindparam("run_ids", type_=ARRAY(Uuid())), bindparam("lease_s", type_=Float()))


async def renew(
    session: AsyncSession, *, run_ids: Collection[uuid.UUID], instance_id: str, lease_s: float
) -> int:
    """Extend the leases of runs this instance is executing (and still holds: one taken over
    while this instance was frozen is not); how many are still running."""
    if not run_ids:
        return 0
    result = await session.execute(
        _RENEW, {"run_ids": list(run_ids), "instance_id": instance_id, "lease_s": lease_s}
    )
    await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def claim_orphan(
    session: AsyncSession,
    *,
    instance_id: str,
    lease_s: float,
    live: Collection[uuid.UUID],
) -> Run | None:
    """Take over one running run whose lease expired (never one of `live`, this instance's own
    runs in flight); None when there is none."""
    # `live` as one array parameter: a list of bound parameters made a new statement for each
    # number of runs in flight, each prepared and planned anew in the middle of a crowd.
    candidate = (
        select(Run.id)
        .where(
            Run.status == "running",
            Run.lease_expires_at < func.now(),
            Run.id != all_(bindparam("live", list(live), type_=ARRAY(Uuid()))),
        )
        .order_by(Run.lease_expires_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    claimed = await session.scalar(
        update(Run)
        .where(Run.id == candidate.scalar_subquery())
        .values(
            instance_id=instance_id,
            lease_expires_at=_lease_end(lease_s),
            handoffs=Run.handoffs + 1,
        )
        .returning(Run)
    )
    await session.commit()
    return claimed


async def run_log(session: AsyncSession, *, run: Run) -> RunLog:
    rows = (
        await session.execute(
            select(RunEvent.seq, RunEvent.type, RunEvent.envelope)
            .where(RunEvent.run_id == run.id)
            .order_by(RunEvent.seq)
        )
    ).all()
    open_tools: dict[str, str] = {}
    told: set[str] = set()
    final: dict[str, Any] | None = None
    for _, type_, envelope in rows:
        call_id = envelope.get("tool_call_id")
        if type_ == EventType.TOOL_EXECUTING and isinstance(call_id, str):
            open_tools[call_id] = str(envelope.get("payload", {}).get("tool", "tool"))
        elif type_ == EventType.TOOL_COMPLETED and isinstance(call_id, str):
            told.add(open_tools.pop(call_id, str(envelope.get("payload", {}).get("tool"))))
        if envelope.get("final") is True and final is None:
            final = envelope
    asked = (
        await session.execute(
            select(Message.client_msg_id, Message.text).where(Message.id == run.input_message_id)
        )
    ).one()
    last_seq = rows[-1][0] if rows else 0
    return RunLog(last_seq, final, open_tools, asked.client_msg_id, told, asked.text)


async def stage_outputs(session: AsyncSession, *, run_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """The results kept of the run's finished stages, by stage."""
    rows = await session.execute(
        select(RunStage.stage, RunStage.output).where(RunStage.run_id == run_id)
    )
    return {stage: output for stage, output in rows.all()}
