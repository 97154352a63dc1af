"""What can go wrong talking to the service, each with the contract's code and a readable text.

The driver raises only these (besides TimeoutError from a wait that ran out)::

    DriverError
    ├── Refused: the service said no with a chat.v1 error code (`code`, `message`, `retry_after`)
    │   ├── ApiError: an HTTP call answered with a non-2xx status (`status`)
    │   ├── HandshakeRefused: the chat was refused before the upgrade (401, 403, 429)
    │   └── FrameRefused: an `error` frame answered a frame; the chat stays open
    │       └── SendRefused: the answer to a question, instead of its ack
    └── SocketClosed: the chat is closed (by either side), with the close code received

    ContractViolation (an AssertionError): the service answered something chat.v1 does not allow

`driver.oracle.refusals` turns a Refused into the business outcome a scenario names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any


class DriverError(Exception):
    """Base of every error the driver raises on purpose."""


class Refused(DriverError):
    """The service said no, with one of the contract's error codes. `status` is the HTTP status
    when the refusal came as an HTTP answer, None when it came as a socket's error frame."""

    status: int | None = None
    code: str
    message: str
    retry_after: float | None


class ApiError(Refused):
    """A non-2xx HTTP answer, built from the contract error body (or from whatever came back)."""

    status: int

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        retry_after: float | None = None,
        *,
        request: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.request = request
        where = f"{request} answered " if request else ""
        unavailable = status == HTTPStatus.SERVICE_UNAVAILABLE
        defect = " (a server error: product defect)" if status >= 500 and not unavailable else ""
        wait = f", retry after {retry_after:g} s" if retry_after is not None else ""
        super().__init__(f"{where}{status} {code}{defect}: {message}{wait}")


class HandshakeRefused(Refused):
    """The socket was refused before the upgrade (401 bad pass, 403 foreign origin, ...)."""

    status: int

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"connection refused with {status} {code}: {message}")


class SocketClosed(DriverError):
    """The socket is closed (by either side); code and reason as received."""

    def __init__(self, code: int, reason: str, *, who: str = "the socket") -> None:
        self.code = code
        self.reason = reason
        super().__init__(f"{who} was closed with {code}" + (f" ({reason})" if reason else ""))


class FrameRefused(Refused):
    """The server answered a frame with an `error` frame (the connection stays open)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        what: str = "the frame",
        retry_after: float | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"{what} was refused with {code}: {message}")


class SendRefused(FrameRefused):
    """The server answered a `send` with an error frame instead of an ack."""

    def __init__(
        self, code: str, message: str, client_msg_id: str, retry_after: float | None = None
    ) -> None:
        self.client_msg_id = client_msg_id
        super().__init__(code, message, what="the question", retry_after=retry_after)


class ContractViolation(AssertionError):
    """The service answered something chat.v1 does not allow (a missing field, a wrong type)."""


def error_fields(
    status: int, body: str, headers: Mapping[str, str]
) -> tuple[str, str, float | None]:
    """(code, message, retry_after) from an error answer, readable even when it is not JSON."""
    parsed: Any = None
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    retry_after = _seconds(headers.get("Retry-After"))
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        message = parsed.get("message")
        if retry_after is None:
            retry_after = _seconds(parsed.get("retry_after"))
        return parsed["error"], str(message) if message is not None else "", retry_after
    text = " ".join(body.split())[:300] or "(empty body)"
    return f"http_{status}", f"not a contract error body: {text}", retry_after


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except ValueError:
        return None
