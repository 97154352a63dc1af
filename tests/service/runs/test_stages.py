"""Stage results kept with a run (service/runs/stages.py) and a run carried on from them: the
stages its person saw finish are not done again, an announced call is finished under its id,
and the answer is the one a run from scratch gives."""

from __future__ import annotations

import json
from collections.abc import Sequence

from service.agents.model import (
    AgentStep,
    Answer,
    Kept,
    Thinking,
    ToolFinished,
    ToolStarted,
)
from service.agents.pipeline import run_agent
from service.agents.reasoner import DeterministicReasoner
from service.runs import stages
from tests.service.agents.test_pipeline import NIGHTLY_REPORT, SUPPORT_BOT, TODAY, MemoryUsage, run

QUESTION = "How can we cut our model spend?"


def _outputs(steps: Sequence[AgentStep]) -> dict[str, dict[str, object]]:
    """The stage results as the executor stores them (through JSON)."""
    return {
        stages.STAGE_OF_TOOL[s.tool]: json.loads(json.dumps(stages.encode(s.output)))
        for s in steps
        if isinstance(s, ToolFinished) and s.output is not None
    }


async def _carried(kept: Kept) -> list[AgentStep]:
    return [
        step
        async for step in run_agent(
            QUESTION,
            history=(),
            usage=MemoryUsage(SUPPORT_BOT, NIGHTLY_REPORT, failing="known_names"),
            reasoner=DeterministicReasoner(),
            today=TODAY,
            kept=kept,
        )
    ]


async def test_every_stage_result_survives_storage_exactly() -> None:
    steps = await run(QUESTION, MemoryUsage(SUPPORT_BOT, NIGHTLY_REPORT))
    outputs = _outputs(steps)
    assert set(outputs) == {"triage", "data", "optimization"}
    kept = stages.kept_from(outputs, told=set(), open_calls={})
    assert kept is not None
    finished = {s.tool: s.output for s in steps if isinstance(s, ToolFinished)}
    assert kept.triage == finished["triage"]
    assert kept.records == finished["usage_report"]
    assert kept.analysis == finished["savings_optimizer"]


async def test_a_run_carried_on_after_the_usage_was_announced_does_not_triage_again() -> None:
    fresh = await run(QUESTION, MemoryUsage(SUPPORT_BOT, NIGHTLY_REPORT))
    outputs = _outputs(fresh)
    del outputs["data"], outputs["optimization"]  # died while reading the usage
    kept = stages.kept_from(outputs, told={"triage"}, open_calls={"usage_report": "call-7"})
    assert kept is not None
    # The usage source fails on the triage's read: a triage done again would fail the run.
    carried = await _carried(kept)
    tools = [(type(s).__name__, s.tool) for s in carried if isinstance(s, ToolStarted)]
    assert tools == [("ToolStarted", "savings_optimizer")]
    first = carried[0]
    assert isinstance(first, ToolFinished) and (first.tool, first.call_id) == (
        "usage_report",
        "call-7",
    )
    assert not any(isinstance(s, Thinking) for s in carried)
    answers = [s.text for s in (*fresh, *carried) if isinstance(s, Answer)]
    assert answers[0] == answers[1]


async def test_a_stage_seen_finished_without_its_result_cannot_be_carried_on() -> None:
    assert stages.kept_from({}, told={"triage"}, open_calls={}) is None
