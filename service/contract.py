"""The chat.v1 contract's vocabulary on the service's side (/work/shared/PROTOCOL.md).

Every frame type, event type, close code and error code the service sends or reads comes from
here, so one grep shows what the service can say; every control frame it sends is made by
`control_frame` (an `error` frame by `error_frame`), and every run event by the run's emitter
(service/runs/executor.py). The enums serialise as their plain values (`json.dumps(ErrorCode.BUSY)`
is `"busy"`, `CloseCode.TOO_SLOW == 4409`): frames on the wire do not change.

The suite's driver keeps its own copy on purpose (driver/contract.py): it is the oracle, and must
not agree with the service by import. The two use the same names, and tests/test_contract.py
(only tests import both) holds their values equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, StrEnum
from typing import Any

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


class CloseCode(IntEnum):
    """Why the service closes a chat socket."""

    NORMAL = 1000
    GOING_AWAY = 1001  # the service is shutting down: reconnect and resume
    POLICY = 1008  # too many bad frames
    TOO_BIG = 1009  # a frame over 64 KiB (sent by aiohttp's max_msg_size)
    INTERNAL_ERROR = 1011  # never sent: the contract forbids it; named so nobody reaches for it
    TRY_LATER = 1013  # overloaded
    PASS_ENDED = 4401  # the pass expired or was revoked: refresh, then reconnect
    TOO_SLOW = 4409  # the client did not keep up with its events: reconnect and resume
    RATE_LIMITED = 4429  # kept pushing after being told to slow down


class ErrorCode(StrEnum):
    """The `error` field of an HTTP error body or an `error` frame."""

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
    QUOTA_REACHED = "quota_reached"  # a quota of the person's plan, until it resets (issue 18)
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"
    BUSY = "busy"
    # Frames the chat refuses (the socket stays open).
    INVALID_JSON = "invalid_json"
    INVALID_FRAME = "invalid_frame"
    UNKNOWN_TYPE = "unknown_type"
    # The last resort of the HTTP error middleware: a defect of ours, logged with its traceback.
    INTERNAL = "internal"


class RunError(StrEnum):
    """The `error` of an `agent_error` event: how a run ended without an answer (a code, not an
    exception)."""

    TIMEOUT = "timeout"
    TOOL_FAILED = "tool_failed"
    LLM_UNAVAILABLE = "llm_unavailable"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"


def control_frame(type_: ControlType, fields: Mapping[str, Any] | None = None) -> Frame:
    """A frame that is not a run event: its type first, then `fields` in their order."""
    return {"type": type_, **(fields or {})}


def error_frame(
    code: ErrorCode, message: str, *, ref: str | None = None, retry_after: int | None = None
) -> Frame:
    """The `error` frame, keys in the order clients have always seen (type, error, message,
    ref, retry_after); `ref` names the question or run it is about."""
    fields: dict[str, Any] = {"error": code, "message": message}
    if ref is not None:
        fields["ref"] = ref
    if retry_after is not None:
        fields["retry_after"] = retry_after
    return control_frame(ControlType.ERROR, fields)
