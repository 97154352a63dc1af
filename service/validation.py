"""Strict parsing of client input, shared by the HTTP API and the socket.

Python's json accepts NaN, 1e999, duplicate keys, "\\u0000" and lone surrogates; PostgreSQL rejects
some of them later, which would turn bad input into a 500. Everything is refused here instead.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import date
from typing import Any

from service.errors import InvalidRequest

MAX_DEPTH = 16
MAX_NUMBER_CHARS = 40
_BAD_TEXT = re.compile(r"[\x00\ud800-\udfff]")


class JsonError(ValueError):
    """The bytes are not a JSON document we accept."""


def _reject_constant(name: str) -> Any:
    raise JsonError(f"{name} is not a JSON number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JsonError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonError("number too long")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if len(text) > MAX_NUMBER_CHARS or not math.isfinite(value):
        raise JsonError("number out of range")
    return value


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


# A JSON string once its escapes are gone, or what is left of one at the end of the text: it
# matches from any `"`, so the scan below never retries a position.
_STRING = re.compile(r'"[^"]*+(?:"|\Z)')
_STRUCTURE = ",:[{"


def within_structure(raw: str, limit: int) -> bool:
    """Whether a JSON text holds at most `limit` keys and values, judged without parsing it.

    Each key or value but the first is a string, or is preceded by one of `,:[{` outside a
    string. The strict parser's cost grows with their number (a Python call for each number,
    object and value), while long strings cost it next to nothing: a caller can bound what a
    parse may cost before paying for it. Escaped backslashes, then escaped quotes, are dropped
    first (left to right, as a parser pairs them), so every `"` left opens or closes a string;
    the scan stops at the string past the limit."""
    unescaped = raw.replace("\\\\", "").replace('\\"', "")
    skeleton, strings = _STRING.subn("", unescaped, count=limit + 1)
    return strings <= limit and sum(skeleton.count(c) for c in _STRUCTURE) <= limit


def loads_strict(raw: str | bytes) -> Any:
    """Parse a JSON document, refusing what PostgreSQL or our invariants would reject."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
            object_pairs_hook=_no_duplicate_keys,
        )
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise JsonError(str(exc) or "malformed JSON") from exc
    if _depth(value) > MAX_DEPTH:
        raise JsonError("nested too deeply")
    return value


def clean_text(value: object, *, field: str, max_chars: int, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be text")
    if _BAD_TEXT.search(value):
        raise InvalidRequest(f"{field} contains characters that cannot be stored")
    if not allow_empty and not value.strip():
        raise InvalidRequest(f"{field} must not be empty")
    if len(value) > max_chars:
        raise InvalidRequest(f"{field} is longer than {max_chars} characters")
    return value


def clean_uuid(value: object, *, field: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise InvalidRequest(f"{field} must be a UUID") from exc


def clean_int(value: object, *, field: str, minimum: int = 0, maximum: int = 10**15) -> int:
    # bool is an int in Python; a client sending true means something else.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"{field} must be a whole number")
    if not minimum <= value <= maximum:
        raise InvalidRequest(f"{field} must be between {minimum} and {maximum}")
    return value


def clean_number(value: object, *, field: str, maximum: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest(f"{field} must be a number")
    if not 0 <= value <= maximum:
        raise InvalidRequest(f"{field} must be between 0 and {maximum}")
    return float(value)


def clean_date(value: object, *, field: str) -> date:
    if not isinstance(value, str):
        raise InvalidRequest(f"{field} must be a date like 2026-11-01")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRequest(f"{field} must be a date like 2026-11-01") from exc


def require_object(value: object, *, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidRequest(f"{what} must be a JSON object")
    return value
