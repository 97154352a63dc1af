"""Structured JSON logs on stderr: one object per line, never a token or a password."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

# Context fields a log call may pass through `extra=` and that we always surface.
CONTEXT_FIELDS = ("instance", "user_id", "thread_id", "run_id", "client_msg_id", "error")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for field in CONTEXT_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = str(value)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line)


def configure(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log repeats what our own lines say, at a volume that buries them.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
