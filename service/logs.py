"""Structured JSON logs on stderr: one object per line, never a token, a password, or the
values of a database statement.

A database error's text quotes the statement and its parameters (people's emails, names, the
figures they uploaded): an error from the database layers is logged by its class (and SQLSTATE)
only, in a log line's arguments and in tracebacks alike; the traceback's frames stay, and the
line's context fields (`user_id`, `run_id`, ...) say whose request it was.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

# Passes, wherever they would appear in a line (a header echoed in an error, a path, a
# dependency's message): a browser-form pass (`bearer.<jwt>`), a `Bearer <pass>` header value,
# and anything shaped like a JWT (a base64url JSON header, `eyJ`, then two more parts). The
# characters matched never include `"` or `\`, so a line stays valid JSON once redacted.
_PASSES = re.compile(
    r"(?i:(bearer)(\.|\s+)[A-Za-z0-9._~+/=-]{8,})|eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """The text with every pass in it replaced by `[redacted]`."""
    return _PASSES.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}" if m[1] else REDACTED, text)


# Context fields a log call may pass through `extra=` and that we always surface.
CONTEXT_FIELDS = (
    "instance",
    "request_id",
    "user_id",
    "thread_id",
    "run_id",
    "client_msg_id",
    "error",
    # The access log's (service/http/edge.py).
    "method",
    "path",
    "status",
    "duration_ms",
    "remote",
)


@dataclass
class RequestContext:
    """The request being served: set by the edge middleware, read by every log line written
    while serving it, and by the tasks it starts (asyncio copies the context into a task when
    it is created: a run started from a chat carries its socket's handshake request id)."""

    request_id: str
    user_id: str | None = None


CURRENT_REQUEST: ContextVar[RequestContext | None] = ContextVar("request", default=None)


def current_request_id() -> str | None:
    context = CURRENT_REQUEST.get()
    return context.request_id if context is not None else None


def note_user(user_id: object) -> None:
    """The signed-in person of the request being served, for its access log line."""
    if (context := CURRENT_REQUEST.get()) is not None:
        context.user_id = str(user_id)


# Exceptions from these packages quote statement values in their text.
_QUOTING_VALUES = ("sqlalchemy", "asyncpg")


def error_class(exc: BaseException) -> str:
    """`package.Class`, with the SQLSTATE when the database gave one: safe to log."""
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None), "sqlstate", None)
    return f"{name} (SQLSTATE {state})" if state else name


def describe(exc: BaseException) -> str:
    """The exception for a log line: its class alone when its text may quote stored values."""
    if type(exc).__module__.split(".")[0] in _QUOTING_VALUES:
        return f"{error_class(exc)}: [text withheld: it may quote stored values]"
    return f"{error_class(exc)}: {exc}"


def safe_traceback(exc: BaseException) -> str:
    """As Python prints it (causes first), each exception's text passed through `describe`."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        cause = current.__cause__
        current = (
            cause
            if cause is not None
            else (None if current.__suppress_context__ else current.__context__)
        )
    parts = [
        "Traceback (most recent call last):\n"
        + "".join(traceback.format_tb(link.__traceback__))
        + describe(link)
        for link in reversed(chain)
    ]
    return "\n\nThe above led to:\n\n".join(parts)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": _message(record),
        }
        if (request_id := current_request_id()) is not None:
            line["request_id"] = request_id
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value if isinstance(value, int | float) else str(value)
        if record.exc_info and record.exc_info[1] is not None:
            line["exc"] = safe_traceback(record.exc_info[1])
        # The last step, over the whole line: no field, message or traceback carries a pass.
        return redact(json.dumps(line))


def _message(record: logging.LogRecord) -> str:
    args = record.args
    if isinstance(args, tuple) and any(isinstance(a, BaseException) for a in args):
        record.args = tuple(_Described(a) if isinstance(a, BaseException) else a for a in args)
    return record.getMessage()


class _Described:
    """An exception in a log line's arguments, by `describe` whether formatted %s or %r."""

    def __init__(self, exc: BaseException) -> None:
        self._text = describe(exc)

    def __str__(self) -> str:
        return self._text

    __repr__ = __str__


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats what our own lines say, at a volume that buries them.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
