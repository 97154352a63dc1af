"""One question's life on the chat, from the frames the person receives: when it was acked,
when progress started, each step, the answer, and its fate. Pure (no sockets, no clocks of its
own): times are seconds since the person asked, given by the caller. It also checks the
contract's stream invariants (../shared/PROTOCOL.md) on the question's run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from load.contract import FINAL_TYPES, ControlType, ErrorCode, EventType

EVENT_TYPES = frozenset(EventType)
STEP_TYPES = (EventType.AGENT_THINKING, EventType.TOOL_EXECUTING, EventType.TOOL_COMPLETED)
# Invariant 7: a completed run has shown every kind of progress.
COMPLETED_KINDS = frozenset(EVENT_TYPES - {EventType.AGENT_ERROR})

ANSWERED = "answered"
CONTRACT_BROKEN = "contract broken"
NEVER_ACKED = "never acked"
NEVER_ENDED = "never ended"


def is_event(frame: dict[str, Any]) -> bool:
    return frame.get("type") in EVENT_TYPES and "run_id" in frame


@dataclass(frozen=True)
class Step:
    kind: str  # agent_thinking, tool_executing, tool_completed
    name: str  # the tool, or the pipeline step for thinking
    at: float  # seconds since the person asked
    gap: float  # seconds since the run's previous event


@dataclass
class Question:
    """Feed it every frame the chat receives while the question is open (`feed`), then the end
    of the wait (`closed`, `gave_up`); `fate` says how it ended once `over` is true."""

    client_msg_id: str
    ack: dict[str, Any] | None = None
    acked_at: float | None = None
    started_at: float | None = None
    queued_position: int | None = None
    places: list[int] = field(default_factory=list)  # every place in line told, in order
    steps: list[Step] = field(default_factory=list)
    answered_at: float | None = None
    answer: str = ""
    fate: str | None = None
    ended_at: float | None = None
    retry_after: float | None = None  # when refused busy
    # The longest time between two consecutive events of the run (a place-in-line update
    # included): the longest the person saw nothing while their answer was on its way.
    longest_silence: float | None = None
    violations: list[str] = field(default_factory=list)
    _seq: int = 0
    _last_at: float | None = None
    _kinds: set[str] = field(default_factory=set)
    _open_tools: set[str] = field(default_factory=set)

    @property
    def over(self) -> bool:
        return self.fate is not None

    @property
    def run_id(self) -> str | None:
        return None if self.ack is None else str(self.ack.get("run_id"))

    def feed(self, frame: dict[str, Any], at: float) -> None:
        if self.over:
            return
        kind = frame.get("type")
        if kind == ControlType.ACK and frame.get("client_msg_id") == self.client_msg_id:
            self._acked(frame, at)
        elif kind == ControlType.ERROR and frame.get("ref") in (None, self.client_msg_id):
            self._refused(frame, at)
        elif is_event(frame) and frame.get("run_id") == self.run_id:
            self._event(frame, at)

    def closed(self, code: int, at: float) -> None:
        """The chat closed before the question ended."""
        if not self.over:
            self._end(f"closed {code}", at)

    def gave_up(self, at: float) -> None:
        """No final event within the bound the person waits."""
        if not self.over:
            self._end(NEVER_ENDED if self.ack else NEVER_ACKED, at)

    def _end(self, fate: str, at: float) -> None:
        self.fate = CONTRACT_BROKEN if self.violations else fate
        self.ended_at = at

    def _broken(self, what: str) -> None:
        self.violations.append(what)

    def _acked(self, frame: dict[str, Any], at: float) -> None:
        if self.ack is not None:
            self._broken("a second ack for one question")
            return
        missing = [k for k in ("thread_id", "message_id", "run_id") if not frame.get(k)]
        if missing:
            self._broken(f"an ack without {', '.join(missing)}")
            self._end(CONTRACT_BROKEN, at)
            return
        self.ack, self.acked_at = frame, at

    def _refused(self, frame: dict[str, Any], at: float) -> None:
        code = str(frame.get("error"))
        if self.ack is not None:
            # After the ack the question's fate is its run's: a refusal cannot undo it.
            self._broken(f"an error {code} about a question already acked")
            return
        if code == ErrorCode.BUSY:
            retry_after = frame.get("retry_after")
            if not isinstance(retry_after, int | float) or retry_after < 0:
                self._broken("busy without a usable retry_after")
            else:
                self.retry_after = float(retry_after)
        self._end(f"refused: {code}", at)

    def _event(self, frame: dict[str, Any], at: float) -> None:
        kind, seq = str(frame["type"]), frame.get("seq")
        if seq != self._seq + 1:
            self._broken(f"{kind} has seq {seq} after {self._seq}")
        if isinstance(seq, int):
            self._seq = seq
        if (seq == 1) != (kind == EventType.AGENT_STARTED):
            self._broken(f"seq {seq} is {kind}")
        gap = at - (self._last_at if self._last_at is not None else 0.0)
        if self._last_at is not None:
            self.longest_silence = max(gap, self.longest_silence or 0.0)
        self._last_at = at
        self._kinds.add(kind)
        payload = frame.get("payload") if isinstance(frame.get("payload"), dict) else {}
        assert isinstance(payload, dict)
        final = frame.get("final") is True
        if final != (kind in FINAL_TYPES):
            self._broken(f"{kind} with final={frame.get('final')}")
        place = _place(payload)
        if kind == EventType.AGENT_STARTED:
            self.started_at = at
            self.queued_position = place
            self._told(place)
        elif place is not None:
            self._told(place)
        elif kind in STEP_TYPES:
            self._step(kind, frame, payload, at, gap)
        if final:
            self._final(kind, payload, at)

    def _told(self, place: int | None) -> None:
        """A place in line: only while waiting (before any step), never further back."""
        if place is None:
            return
        if self.steps:
            self._broken(f"told place {place} in line after the work began")
        elif self.places and place > self.places[-1]:
            self._broken(f"told place {place} in line after place {self.places[-1]}")
        self.places.append(place)

    def _step(
        self, kind: str, frame: dict[str, Any], payload: dict[str, Any], at: float, gap: float
    ) -> None:
        name = str(payload.get("tool") or frame.get("step") or kind)
        call = str(frame.get("tool_call_id"))
        if kind == EventType.TOOL_EXECUTING:
            self._open_tools.add(call)
        elif kind == EventType.TOOL_COMPLETED:
            if call not in self._open_tools:
                self._broken(f"tool_completed {name} without its tool_executing")
            self._open_tools.discard(call)
        self.steps.append(Step(kind, name, at, gap))

    def _final(self, kind: str, payload: dict[str, Any], at: float) -> None:
        if self._open_tools:
            self._broken(f"{len(self._open_tools)} tool call(s) never completed")
        if kind == EventType.AGENT_COMPLETED:
            if missing := COMPLETED_KINDS - self._kinds:
                self._broken(f"completed without {', '.join(sorted(missing))}")
            self.answered_at, self.answer = at, str(payload.get("text", ""))
            self._end(ANSWERED, at)
        else:
            self._end(f"agent_error: {payload.get('error')}", at)


def _place(payload: dict[str, Any]) -> int | None:
    """The place in line an event tells (`queued.position`), if any."""
    queued = payload.get("queued")
    position = queued.get("position") if isinstance(queued, dict) else None
    return position if isinstance(position, int) and not isinstance(position, bool) else None
