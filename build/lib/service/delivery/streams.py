"""Per-run Redis streams: every event of a run under the explicit id `<seq>-0`, for replay.

Any instance can replay a run from here without touching PostgreSQL. The stream is a cache with a
time to live and a maximum length: a slice read from it is used only when it is exactly the
events asked for (contiguous, nothing trimmed); otherwise the caller falls back to PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

STREAM_PREFIX = "chat:run:"
EVENT_FIELD = "e"
OWNER_FIELD = "u"


def stream_key(run_id: uuid.UUID | str) -> str:
    return f"{STREAM_PREFIX}{run_id}"


@dataclass(frozen=True)
class StreamPolicy:
    ttl_s: int = 3600
    maxlen: int = 1000


def queue_append(
    pipe: Pipeline, envelope: dict[str, Any], *, user_id: uuid.UUID, policy: StreamPolicy
) -> None:
    """Add one event to its run's stream (in the caller's pipeline) and renew the stream's TTL."""
    key = stream_key(envelope["run_id"])
    fields: dict[Any, Any] = {EVENT_FIELD: json.dumps(envelope), OWNER_FIELD: str(user_id)}
    pipe.xadd(key, fields, id=f"{envelope['seq']}-0", maxlen=policy.maxlen, approximate=True)
    pipe.expire(key, policy.ttl_s)


@dataclass(frozen=True)
class StreamSlice:
    owner: str
    events: list[dict[str, Any]]


def _decoded(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _seq(entry_id: bytes | str) -> int:
    return int(_decoded(entry_id).partition("-")[0])


def _field(fields: dict[Any, Any], name: str) -> str:
    """A field of an entry, whether the client decodes responses or not."""
    value = fields.get(name, fields.get(name.encode()))
    if value is None:
        raise ValueError(f"stream entry without field {name!r}")
    return _decoded(value)


async def read_exactly(
    redis: Redis, run_id: uuid.UUID, *, first: int, last: int
) -> StreamSlice | None:
    """Events `first..last` of the run if the stream holds every one of them, else None."""
    if last < first:
        return None
    entries = await redis.xrange(stream_key(run_id), min=f"{first}-0", max=f"{last}-0")
    return _contiguous(entries or [], first=first, last=last)


async def read_to_top(redis: Redis, run_id: uuid.UUID, *, first: int) -> StreamSlice | None:
    """Events from `first` to the newest the stream holds, if none is missing; None when the
    stream is gone or does not reach back to `first`. Used when PostgreSQL cannot say the top."""
    newest: list[Any] = await redis.xrevrange(stream_key(run_id), max="+", min="-", count=1) or []
    if not newest:
        return None
    top = _seq(newest[0][0])
    if top < first:
        owner = _field(newest[0][1], OWNER_FIELD)
        return StreamSlice(owner, []) if top == first - 1 else None
    return await read_exactly(redis, run_id, first=first, last=top)


def _contiguous(entries: list[Any], *, first: int, last: int) -> StreamSlice | None:
    """The entries as a slice if they are exactly seqs `first..last` of one owner."""
    if len(entries) != last - first + 1:
        return None
    owners: set[str] = set()
    events: list[dict[str, Any]] = []
    for expected, (entry_id, fields) in enumerate(entries, start=first):
        if _seq(entry_id) != expected:
            return None
        owners.add(_field(fields, OWNER_FIELD))
        events.append(json.loads(_field(fields, EVENT_FIELD)))
    if len(owners) != 1:
        return None
    return StreamSlice(owners.pop(), events)
