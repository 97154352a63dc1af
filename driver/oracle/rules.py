"""The rules one run must follow: envelope and payload shape, tool pairing, the five types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeGuard

from driver.client.contract import (
    AGENT_COMPLETED,
    AGENT_ERROR,
    AGENT_ERROR_CODES,
    AGENT_STARTED,
    AGENT_THINKING,
    ENVELOPE_KEYS,
    EVENT_TYPES,
    FINAL_TYPES,
    PAYLOAD_KEYS,
    TOOL_COMPLETED,
    TOOL_EXECUTING,
    TOOL_TYPES,
    Frame,
    TimedEvent,
    short_id,
)


def is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def envelope_problems(frame: Frame) -> list[str]:
    """Every way this event breaks the envelope, as short phrases ("has no 'ts'")."""
    problems = [f"has no '{key}'" for key in ENVELOPE_KEYS if key not in frame]
    kind, run_id, seq = frame.get("type"), frame.get("run_id"), frame.get("seq")
    if "v" in frame and frame["v"] != 1:
        problems.append(f"has v {frame['v']!r}, not 1")
    if kind not in EVENT_TYPES:
        problems.append(f"has the unknown type {kind!r}")
    for key in ("run_id", "thread_id", "event_id"):
        if key in frame and not isinstance(frame[key], str):
            problems.append(f"has a non-text '{key}' {frame[key]!r}")
    if "seq" in frame and not (is_int(seq) and seq >= 1):
        problems.append(f"has seq {seq!r}, not a positive whole number")
    elif isinstance(run_id, str) and "event_id" in frame and frame["event_id"] != f"{run_id}:{seq}":
        problems.append(f"has event_id {frame['event_id']!r}, not '<run_id>:{seq}'")
    if "final" in frame and frame["final"] is not (kind in FINAL_TYPES):
        problems.append(f"has final {frame['final']!r} on a {kind} event")
    if kind == AGENT_STARTED and is_int(seq) and seq != 1:
        problems.append(f"is agent_started with seq {seq}, not 1")
    if kind != AGENT_STARTED and seq == 1 and kind in EVENT_TYPES:
        problems.append(f"has seq 1 but is {kind}, not agent_started")
    if kind in TOOL_TYPES and not isinstance(frame.get("tool_call_id"), str):
        problems.append("is a tool event without a tool_call_id")
    payload = frame.get("payload")
    if "payload" in frame and not isinstance(payload, dict):
        problems.append("has a payload that is not an object")
    elif isinstance(payload, dict) and isinstance(kind, str) and kind in EVENT_TYPES:
        problems.extend(_payload_problems(kind, payload))
    return problems


def _payload_problems(kind: str, payload: dict[str, Any]) -> list[str]:
    problems = [f"has no payload '{key}'" for key in PAYLOAD_KEYS[kind] if key not in payload]
    if "queued" in payload:
        queued = payload["queued"]
        position = queued.get("position") if isinstance(queued, dict) else None
        if kind not in (AGENT_STARTED, AGENT_THINKING):
            problems.append("tells a place in line, which only agent_started and agent_thinking do")
        elif not (is_int(position) and position >= 1):
            problems.append(f"has the place in line {queued!r}, not a position from 1")
    if kind == TOOL_COMPLETED:
        if "status" in payload and payload["status"] not in ("ok", "error"):
            problems.append(f"has tool status {payload['status']!r}, not ok or error")
        if "duration_ms" in payload and not isinstance(payload["duration_ms"], int | float):
            problems.append(f"has duration_ms {payload['duration_ms']!r}, not a number")
    if kind == AGENT_COMPLETED:
        if "outcome" in payload and payload["outcome"] != "success":
            problems.append(f"has outcome {payload['outcome']!r}, not success")
        if "text" in payload and not isinstance(payload["text"], str):
            problems.append("has an answer text that is not text")
    if kind == AGENT_ERROR:
        if "error" in payload and payload["error"] not in AGENT_ERROR_CODES:
            problems.append(f"has the unknown error {payload['error']!r}")
        if "retryable" in payload and not isinstance(payload["retryable"], bool):
            problems.append(f"has retryable {payload['retryable']!r}, not true or false")
    return problems


def pairing_problems(name: str, events: Sequence[TimedEvent]) -> list[str]:
    """Invariant 3: each tool_executing is followed by exactly one matching tool_completed."""
    found = []
    running: dict[str, TimedEvent] = {}
    finished: set[str] = set()
    for event in events:
        call = event.frame.get("tool_call_id")
        if not isinstance(call, str):
            continue
        tool = event.payload.get("tool")
        if event.type == TOOL_EXECUTING:
            if call in running or call in finished:
                found.append(f"{name} reused tool call {short_id(call)} for tool '{tool}'")
            running[call] = event
        elif event.type == TOOL_COMPLETED:
            start = running.pop(call, None)
            if start is None:
                again = "a second time" if call in finished else "with no matching start"
                found.append(f"{name} emitted tool_completed '{tool}' {again}")
            elif start.payload.get("tool") != tool:
                found.append(
                    f"{name} started tool '{start.payload.get('tool')}' but completed '{tool}' "
                    f"under the same call {short_id(call)}"
                )
            finished.add(call)
    final = events[-1].describe() if events else "the end"
    for start in running.values():
        found.append(f"{name} never completed tool '{start.payload.get('tool')}' before {final}")
    return found


def place_problems(name: str, events: Sequence[TimedEvent]) -> list[str]:
    """A queued run tells its place from `agent_started` on, then only while it waits (before
    its first step), and the place told never goes up (../shared/PROTOCOL.md, issue 19)."""
    found: list[str] = []
    told: int | None = None
    began = False  # a step came: the run left the line
    for event in events:
        place = event.place_in_line
        if place is None:
            began = began or event.type != AGENT_STARTED
            continue
        if began:
            found.append(f"{name} was told it is number {place} in line after it began working")
        elif told is None and event.type != AGENT_STARTED:
            found.append(f"{name} was told it is number {place} in line, but it never had to wait")
        elif told is not None and place > told:
            found.append(f"{name} was told it is number {place} in line after number {told}")
        told = place
    return found


def missing_types(name: str, events: Sequence[TimedEvent]) -> list[str]:
    """Invariant 7: a completed run showed its work: started, thinking, a tool pair, completed."""
    types = {e.type for e in events}
    wanted = (AGENT_STARTED, AGENT_THINKING, TOOL_EXECUTING, TOOL_COMPLETED, AGENT_COMPLETED)
    missing = [t for t in wanted if t not in types]
    if not missing:
        return []
    return [f"{name} completed without showing {' or '.join(missing)}"]
