"""The words of chat.v1 (../shared/PROTOCOL.md) the load tool speaks, in its own copy.

The load tool is an outside client: it imports nothing of the suite (load/README.md says why), so
it names the contract's values itself, with the driver's names (driver/contract.py);
tests/test_contract.py holds the three copies (service, driver, load) to the same values.
The frame and event types are complete; of the codes, only those the load tool acts on.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum


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
    """The error codes the load tool acts on."""

    BUSY = "busy"  # a handshake or a question refused for now: come back after retry_after


class CloseCode(IntEnum):
    """The close codes the load tool names."""

    NORMAL = 1000
    NO_CODE = 1005  # a close frame without a code
    DROPPED = 1006  # the connection dropped without a close frame


FINAL_TYPES = frozenset({EventType.AGENT_COMPLETED, EventType.AGENT_ERROR})
