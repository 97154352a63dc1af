"""Parsing of client frames: every input maps to a frame or to one contract error code.

What a frame may cost is bounded before the strict parser runs (it spends a Python call on
every number, object and value: a 64 KiB frame of them took 20 to 33 ms of the event loop):

1. By kind: the `"type"` a frame names is found by a pattern, and a ping or a catch-up longer
   than its kind can be (`MAX_CHARS`) is refused `invalid_frame` unparsed. A frame that names
   several kinds is held to the smallest.
2. By structure: at most `MAX_VALUES` keys and values, counted without parsing (a catch-up on
   50 runs holds about 410); more is refused `invalid_json`, as the strict parser refuses a
   nesting too deep or a number too long.

A frame larger than 64 KiB never gets here: the socket closes with 1009.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from service.contract import ClientType
from service.errors import InvalidFrame, InvalidJson, InvalidRequest, UnknownType
from service.validation import (
    JsonError,
    clean_int,
    clean_text,
    clean_uuid,
    loads_strict,
    within_structure,
)

MAX_QUESTION_CHARS = 8000
MAX_RESUME_RUNS = 50
MAX_VALUES = 512
# The longest frame of each kind: `{"type": "ping"}` with room for a field or two of the
# client's own, and a catch-up on 50 runs (about 3,300 characters as json.dumps writes it).
MAX_CHARS = {ClientType.PING: 256, ClientType.RESUME: 8192}
# A key `"type"` and the kind it names. Inside a JSON string every `"` is escaped, so in a
# frame of ours this matches the key only.
_KIND = re.compile(r'"type"\s*:\s*"(' + "|".join(MAX_CHARS) + ')"')


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
    ClientType.SEND: _send,
    ClientType.RESUME: _resume,
    ClientType.PING: _ping,
}


def _check_cost(raw: str) -> None:
    """Refuse, unparsed, a frame longer than its kind can be or too rich to parse cheaply."""
    kinds = set(_KIND.findall(raw))
    if kinds and len(raw) > (longest := min(MAX_CHARS[kind] for kind in kinds)):
        kind = min(kinds, key=MAX_CHARS.__getitem__)
        raise InvalidFrame(f"A {kind} frame is at most {longest} characters long")
    if not within_structure(raw, MAX_VALUES):
        raise InvalidJson(f"The frame is not valid JSON: more than {MAX_VALUES} keys and values")


def parse_frame(raw: str) -> Frame:
    """Parse one text frame or raise a `FrameError` (never anything else)."""
    _check_cost(raw)
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
