"""`limit` and `before` on list calls: bounded pages, and a clear 400 for a bad value."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiohttp import web

from service.errors import InvalidRequest

MAX_LIMIT = 200
DEFAULT_LIMIT = 50
MAX_MESSAGE_LIMIT = 500
DEFAULT_MESSAGE_LIMIT = 200


@dataclass(frozen=True)
class Page:
    limit: int
    before: uuid.UUID | None  # the id of the item the page ends just before


def page_of(request: web.Request, *, default: int, maximum: int) -> Page:
    raw_limit = request.query.get("limit")
    limit = default
    if raw_limit is not None:
        if not (raw_limit.isascii() and raw_limit.isdigit() and 1 <= int(raw_limit) <= maximum):
            raise InvalidRequest(f"limit must be a whole number from 1 to {maximum}")
        limit = int(raw_limit)
    raw_before = request.query.get("before")
    before = None
    if raw_before is not None:
        try:
            before = uuid.UUID(raw_before)
        except ValueError as exc:
            raise InvalidRequest("before must be an id from the previous page") from exc
    return Page(limit, before)
