"""The chat.v1 contract's vocabulary on the service's side (/work/shared/PROTOCOL.md).

Every close code and error code the service sends comes from here, so one grep shows what the
service can say. The enums serialise as their plain values (`json.dumps(ErrorCode.BUSY)` is
`"busy"`, `CloseCode.TOO_SLOW == 4409`): frames on the wire do not change. The suite's driver
keeps its own copy on purpose: it is the oracle, and must not agree with the service by import.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


class CloseCode(IntEnum):
    """Why the service closes a chat socket."""

    NORMAL = 1000
    GOING_AWAY = 1001  # the service is shutting down: reconnect and resume
    POLICY = 1008  # too many bad frames
    TOO_BIG = 1009  # a frame over 64 KiB (sent by aiohttp's max_msg_size)
    INTERNAL = 1011  # never sent: the contract forbids it; named so nobody reaches for it
    TRY_AGAIN_LATER = 1013  # overloaded
    PASS_EXPIRED = 4401  # the pass expired or was revoked: refresh, then reconnect
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


class AgentErrorCode(StrEnum):
    """The `error` of an `agent_error` event: how a run ended without an answer."""

    TIMEOUT = "timeout"
    TOOL_FAILED = "tool_failed"
    LLM_UNAVAILABLE = "llm_unavailable"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"
