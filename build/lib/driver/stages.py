"""The stages of an answer as a person follows them: each tool the assistant names while it
works, then the answer. Read from one run's events (driver/stream.py)."""

from __future__ import annotations

import re

from driver.contract import AGENT_COMPLETED
from driver.stream import RunStream

ANSWER = "the answer"
_MONEY = re.compile(r"\$[0-9][0-9,]*\.[0-9]{2}")


def stages_of(run: RunStream) -> list[str]:
    """The tools the run named, in order, each one announced then finished (`ok`) before the
    next began, then `ANSWER` if it ended with one. AssertionError, in business words, when a
    tool was left open, finished under another name, or failed."""
    stages: list[str] = []
    open_call: tuple[str, str] | None = None
    for event in run.events:
        if event.type == "tool_executing":
            if open_call is not None:
                raise AssertionError(f"{open_call[1]} was still running when {event.describe()}")
            open_call = (str(event.frame.get("tool_call_id")), str(event.payload.get("tool")))
        elif event.type == "tool_completed":
            call = (str(event.frame.get("tool_call_id")), str(event.payload.get("tool")))
            if call != open_call or event.payload.get("status") != "ok":
                raise AssertionError(f"{event.describe()} does not finish {open_call}")
            stages.append(call[1])
            open_call = None
        elif event.type == AGENT_COMPLETED:
            stages.append(ANSWER)
    return stages


def tool_summary(run: RunStream, tool: str) -> str:
    """What the assistant said when that tool finished (empty if it never did)."""
    done = [e for e in run.events if e.type == "tool_completed" and e.payload.get("tool") == tool]
    return str(done[0].payload.get("summary", "")) if done else ""


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
