"""Parsing of client frames: every input maps to a frame or to one contract error code."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.errors import InvalidFrame, InvalidJson, InvalidRequest, UnknownType
from service.validation import JsonError, clean_int, clean_text, clean_uuid, loads_strict

MAX_QUESTION_CHARS = 8000
MAX_RESUME_RUNS = 50


@dataclass(frozen=True)
class SendFrame:
    client_msg_id: uuid.UUID
    thread_id: uuid.UUID | None
    text: str


@dataclass(frozen=True)
class ResumeFrame:
    runs: tuple[tuple[uuid.UUID, int], ...]


@dataclass(frozen=True)
class PingFrame:
    pass


Frame = SendFrame | ResumeFrame | PingFrame


def _send(frame: dict[str, Any]) -> SendFrame:
    thread = frame.get("thread_id")
    return SendFrame(
        client_msg_id=clean_uuid(frame.get("client_msg_id"), field="client_msg_id"),
        thread_id=None if thread is None else clean_uuid(thread, field="thread_id"),
        text=clean_text(frame.get("text"), field="text", max_chars=MAX_QUESTION_CHARS),
    )


def _resume(frame: dict[str, Any]) -> ResumeFrame:
    runs = frame.get("runs")
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_RESUME_RUNS:
        raise InvalidRequest(f"runs must be a list of 1 to {MAX_RESUME_RUNS} entries")
    parsed = []
    for i, item in enumerate(runs):
        if not isinstance(item, dict):
            raise InvalidRequest(f"runs[{i}] must be an object")
        parsed.append(
            (
                clean_uuid(item.get("run_id"), field=f"runs[{i}].run_id"),
                clean_int(item.get("last_seq"), field=f"runs[{i}].last_seq", maximum=10**9),
            )
        )
    return ResumeFrame(tuple(parsed))


def _ping(_: dict[str, Any]) -> PingFrame:
    return PingFrame()


_PARSERS: dict[str, Callable[[dict[str, Any]], Frame]] = {
    "send": _send,
    "resume": _resume,
    "ping": _ping,
}


def parse_frame(raw: str) -> Frame:
    """Parse one text frame or raise a `FrameError` (never anything else)."""
    try:
        frame = loads_strict(raw)
    except JsonError as exc:
        raise InvalidJson(f"The frame is not valid JSON: {exc}") from exc
    if not isinstance(frame, dict):
        raise InvalidFrame("A frame must be a JSON object")
    kind = frame.get("type")
    ref = frame.get("client_msg_id") if isinstance(frame.get("client_msg_id"), str) else None
    parser = _PARSERS.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise UnknownType(f"Unknown frame type {str(kind)[:40]!r}", ref)
    try:
        return parser(frame)
    except InvalidRequest as exc:
        raise InvalidFrame(exc.message, ref) from exc
