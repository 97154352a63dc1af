"""The stages of an answer as a person follows them: each tool the assistant names while it
works, then the answer. Read from one run's events (driver/client/stream.py)."""

from __future__ import annotations

import re

from driver.client.contract import AGENT_COMPLETED, TimedEvent
from driver.client.stream import RunStream

ANSWER = "the answer"
_MONEY = re.compile(r"\$[0-9][0-9,]*\.[0-9]{2}")
# The pipeline's stages as a person names them, by the envelope's `step` (chat.v1).
STAGE_OF_STEP = {
    "triage": "understanding her ask",
    "data": "reading her usage",
    "optimization": "the savings analysis",
    "report": ANSWER,
}


def _stage(event: TimedEvent) -> str:
    step = event.frame.get("step")
    return STAGE_OF_STEP.get(str(step), f"no known stage ({step!r})")


def stages_of(run: RunStream) -> list[tuple[str, str]]:
    """(stage, tool) for each tool the run named, in order, each one announced then finished
    (`ok`) in the same stage before the next began, then (`ANSWER`, "") if it ended with one;
    the stage is read from each event's `step`. AssertionError, in business words, when a tool
    was left open, finished under another name or in another stage, or failed."""
    stages: list[tuple[str, str]] = []
    open_call: tuple[str, str, str] | None = None
    for event in run.events:
        if event.type == "tool_executing":
            if open_call is not None:
                raise AssertionError(f"{open_call[1]} was still running when {event.describe()}")
            open_call = (
                str(event.frame.get("tool_call_id")),
                str(event.payload.get("tool")),
                _stage(event),
            )
        elif event.type == "tool_completed":
            call = (
                str(event.frame.get("tool_call_id")),
                str(event.payload.get("tool")),
                _stage(event),
            )
            if call != open_call or event.payload.get("status") != "ok":
                raise AssertionError(f"{event.describe()} ({call[2]}) does not finish {open_call}")
            stages.append((call[2], call[1]))
            open_call = None
        elif event.type == AGENT_COMPLETED:
            stages.append((_stage(event), ""))
    return stages


def tool_summary(run: RunStream, tool: str) -> str:
    """What the assistant said when that tool finished (empty if it never did)."""
    done = [e for e in run.events if e.type == "tool_completed" and e.payload.get("tool") == tool]
    return str(done[0].payload.get("summary", "")) if done else ""


def as_seen(streams: list[RunStream]) -> RunStream:
    """One run as a person saw it over several connections (a reconnection catches up from the
    last step seen): each step once, in order."""
    merged = RunStream(streams[0].run_id, owner=streams[0].owner)
    by_seq = {
        event.seq: event for stream in streams for event in stream.events if event.seq is not None
    }
    for seq in sorted(by_seq):
        merged.add(by_seq[seq])
    return merged


def longest_pause(run: RunStream) -> tuple[float, str]:
    """The longest wait between the question and the first step, or between two steps, and the
    step that ended it."""
    pauses = []
    before = run.origin
    for event in run.events:
        pauses.append((event.at - before, event.describe()))
        before = event.at
    return max(pauses, default=(0.0, "nothing"))


def figures(answer: str) -> list[str]:
    """Every dollar amount of an answer, in order."""
    return _MONEY.findall(answer)


def tool_attempts(run: RunStream, tool: str) -> list[str]:
    """The status of each call of that tool, in order (`["error", "ok"]`: failed once, then
    worked when tried again); each call must be a new one, announced and then finished."""
    statuses: list[str] = []
    announced: list[str] = []
    for event in run.events:
        if event.payload.get("tool") != tool:
            continue
        call = str(event.frame.get("tool_call_id"))
        if event.type == "tool_executing":
            if call in announced:
                raise AssertionError(f"{tool} was tried again under the same call: {call}")
            announced.append(call)
        elif event.type == "tool_completed":
            if not announced or announced[-1] != call:
                raise AssertionError(f"{event.describe()} does not finish the latest {tool} call")
            statuses.append(str(event.payload.get("status")))
    return statuses


def thoughts(run: RunStream) -> list[str]:
    """What the assistant said while thinking, in order."""
    return [str(e.payload.get("text", "")) for e in run.events if e.type == "agent_thinking"]
