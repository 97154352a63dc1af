"""What chat.v1 promises a client, as data: frame types, codes, and the timed event record.

The driver's own copy of the chat.v1 contract (shared/PROTOCOL.md), written from the contract
and never imported from the service: it is the oracle the service is checked against. The
service's copy (service/contract.py) uses the same names; tests/test_contract.py holds the two
(and the load tool's, load/contract.py) to the same values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Protocol

Frame = dict[str, Any]


class EventType(StrEnum):
    """The agent events of one run, in the order a successful run first shows each."""

    AGENT_STARTED = "agent_started"
    AGENT_THINKING = "agent_thinking"
    TOOL_EXECUTING = "tool_executing"
    TOOL_COMPLETED = "tool_completed"
    AGENT_COMPLETED = "agent_completed"
    AGENT_ERROR = "agent_error"


class ControlType(StrEnum):
    """Frames the service sends that are not agent events."""

    ACK = "ack"
    RESUMED = "resumed"
    RESYNC_REQUIRED = "resync_required"
    ERROR = "error"
    PONG = "pong"


class ClientType(StrEnum):
    """Frames a client sends."""

    SEND = "send"
    RESUME = "resume"
    PING = "ping"


class ErrorCode(StrEnum):
    """Every `error` code chat.v1 answers with, in an HTTP body or in a socket's `error` frame."""

    INVALID_REQUEST = "invalid_request"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    INVALID_CREDENTIALS = "invalid_credentials"
    FORBIDDEN = "forbidden"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    TOO_MANY_CHATS = "too_many_chats"
    QUOTA_REACHED = "quota_reached"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
    # Only in a socket's error frame.
    INVALID_JSON = "invalid_json"
    INVALID_FRAME = "invalid_frame"
    UNKNOWN_TYPE = "unknown_type"
    BUSY = "busy"
    # Never expected: the service's last resort for a defect of its own (an HTTP 500).
    INTERNAL = "internal"


class RunError(StrEnum):
    """Why a run ended in `agent_error` (its payload's `error`)."""

    TIMEOUT = "timeout"
    TOOL_FAILED = "tool_failed"
    LLM_UNAVAILABLE = "llm_unavailable"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"


class CloseCode(IntEnum):
    """Why a chat was closed. 1005/1006 are what a client sees when the peer vanishes (no code
    was received); 1011 must never appear."""

    NORMAL = 1000
    GOING_AWAY = 1001
    NO_CODE = 1005
    DROPPED = 1006
    POLICY = 1008
    TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    TRY_LATER = 1013
    PASS_ENDED = 4401
    TOO_SLOW = 4409
    RATE_LIMITED = 4429


AGENT_STARTED = EventType.AGENT_STARTED
AGENT_THINKING = EventType.AGENT_THINKING
TOOL_EXECUTING = EventType.TOOL_EXECUTING
TOOL_COMPLETED = EventType.TOOL_COMPLETED
AGENT_COMPLETED = EventType.AGENT_COMPLETED
AGENT_ERROR = EventType.AGENT_ERROR

EVENT_TYPES = frozenset(EventType)
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
AGENT_ERROR_CODES = frozenset(RunError)

ACK_KEYS = ("client_msg_id", "thread_id", "message_id", "run_id", "duplicate")
SOCKET_ERROR_CODES = frozenset(
    {
        ErrorCode.INVALID_JSON,
        ErrorCode.INVALID_FRAME,
        ErrorCode.UNKNOWN_TYPE,
        ErrorCode.FORBIDDEN,
        ErrorCode.NOT_FOUND,
        ErrorCode.RATE_LIMITED,
        ErrorCode.TEMPORARILY_UNAVAILABLE,
        ErrorCode.BUSY,
        ErrorCode.QUOTA_REACHED,
    }
)
# What a garbled frame is answered with (the connection stays open).
BAD_FRAME_CODES = frozenset(
    {ErrorCode.INVALID_JSON, ErrorCode.INVALID_FRAME, ErrorCode.UNKNOWN_TYPE}
)

# The close codes the contract documents, with what each means to the person.
CLOSE_CODES: Mapping[int, str] = {
    CloseCode.NORMAL: "normal",
    CloseCode.GOING_AWAY: "server shutting down",
    CloseCode.POLICY: "too many bad frames",
    CloseCode.TOO_BIG: "frame too big",
    CloseCode.TRY_LATER: "overloaded",
    CloseCode.PASS_ENDED: "pass expired or revoked",
    CloseCode.TOO_SLOW: "too slow to keep up",
    CloseCode.RATE_LIMITED: "rate limited",
}
TRANSPORT_CLOSE_CODES = frozenset({CloseCode.NO_CODE, CloseCode.DROPPED})
FORBIDDEN_CLOSE_CODE = CloseCode.INTERNAL_ERROR


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

    @property
    def place_in_line(self) -> int | None:
        """The place in line this event tells (`payload.queued.position`), if it tells one."""
        queued = self.payload.get("queued")
        position = queued.get("position") if isinstance(queued, dict) else None
        return position if isinstance(position, int) and not isinstance(position, bool) else None

    def describe(self) -> str:
        """`tool_executing "usage_report"`: the type plus the detail a reader needs."""
        if "queued" in self.payload:
            return f"{self.type} (number {self.place_in_line} in line)"
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
