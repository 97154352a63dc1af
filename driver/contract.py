"""What chat.v1 promises a client, as data: frame types, codes, and the timed event record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

Frame = dict[str, Any]

AGENT_STARTED = "agent_started"
AGENT_THINKING = "agent_thinking"
TOOL_EXECUTING = "tool_executing"
TOOL_COMPLETED = "tool_completed"
AGENT_COMPLETED = "agent_completed"
AGENT_ERROR = "agent_error"

EVENT_TYPES = frozenset(
    {AGENT_STARTED, AGENT_THINKING, TOOL_EXECUTING, TOOL_COMPLETED, AGENT_COMPLETED, AGENT_ERROR}
)
FINAL_TYPES = frozenset({AGENT_COMPLETED, AGENT_ERROR})
TOOL_TYPES = frozenset({TOOL_EXECUTING, TOOL_COMPLETED})

ENVELOPE_KEYS = ("v", "type", "event_id", "thread_id", "run_id", "seq", "ts", "final", "payload")
PAYLOAD_KEYS: Mapping[str, tuple[str, ...]] = {
    AGENT_STARTED: ("agent", "input_message_id", "client_msg_id"),
    AGENT_THINKING: ("text",),
    TOOL_EXECUTING: ("tool", "args"),
    TOOL_COMPLETED: ("tool", "status", "summary", "duration_ms"),
    AGENT_COMPLETED: ("final_message_id", "text", "outcome"),
    AGENT_ERROR: ("error", "message", "retryable"),
}
AGENT_ERROR_CODES = frozenset(
    {"timeout", "tool_failed", "llm_unavailable", "interrupted", "internal"}
)

# Server -> client control frames.
CONTROL_TYPES = frozenset({"ack", "resumed", "resync_required", "error", "pong"})
ACK_KEYS = ("client_msg_id", "thread_id", "message_id", "run_id", "duplicate")
SOCKET_ERROR_CODES = frozenset(
    {
        "invalid_json",
        "invalid_frame",
        "unknown_type",
        "forbidden",
        "not_found",
        "rate_limited",
        "temporarily_unavailable",
        "busy",
    }
)

# Close codes the contract documents; 1005/1006 are what a client sees when the peer vanishes.
CLOSE_CODES: Mapping[int, str] = {
    1000: "normal",
    1001: "server shutting down",
    1008: "too many bad frames",
    1009: "frame too big",
    1013: "overloaded",
    4401: "pass expired or revoked",
    4409: "too slow to keep up",
    4429: "rate limited",
}
TRANSPORT_CLOSE_CODES = frozenset({1005, 1006})
FORBIDDEN_CLOSE_CODE = 1011


@dataclass(frozen=True)
class TimedEvent:
    """One agent event as a socket received it, with its monotonic receive time."""

    at: float
    frame: Frame

    @property
    def type(self) -> str:
        return str(self.frame.get("type"))

    @property
    def seq(self) -> int | None:
        seq = self.frame.get("seq")
        return seq if isinstance(seq, int) and not isinstance(seq, bool) else None

    @property
    def payload(self) -> Mapping[str, Any]:
        payload = self.frame.get("payload")
        return payload if isinstance(payload, dict) else {}

    @property
    def is_final(self) -> bool:
        return self.type in FINAL_TYPES

    def describe(self) -> str:
        """`tool_executing "usage_report"`: the type plus the detail a reader needs."""
        tool = self.payload.get("tool")
        if self.type in TOOL_TYPES and tool is not None:
            return f'{self.type} "{tool}"'
        if self.type == AGENT_ERROR:
            return f'{self.type} "{self.payload.get("error")}"'
        return self.type


class SocketObserver(Protocol):
    """Sees everything a socket does; the verifier and the transcript both are observers."""

    def socket_opened(self, socket: str, at: float) -> None: ...

    def frame_sent(self, socket: str, text: str, frame: Frame | None, at: float) -> None: ...

    def frame_received(self, socket: str, frame: Frame, at: float) -> None: ...

    def frame_unreadable(self, socket: str, raw: str | bytes, at: float) -> None: ...

    def socket_closed(self, socket: str, code: int, reason: str, at: float) -> None: ...


def short_id(value: object) -> str:
    """The first 8 characters of an id, enough for a reader to match it in logs."""
    text = str(value)
    return text if len(text) <= 9 else text[:8] + "…"
