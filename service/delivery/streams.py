"""Per-run Redis streams: every event of a run under the explicit id `<seq>-0`, for replay.

Any instance can replay a run from here without touching PostgreSQL. The stream is a cache with a
time to live and a maximum length: a slice read from it is used only when it is exactly the
events asked for (contiguous, nothing trimmed); otherwise the caller falls back to PostgreSQL.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

STREAM_PREFIX = "chat:run:"
EVENT_FIELD = "e"
OWNER_FIELD = "u"


def stream_key(run_id: uuid.UUID | str) -> str:
    return f"{STREAM_PREFIX}{run_id}"


@dataclass(frozen=True)
class StreamPolicy:
    ttl_s: int = 3600
    maxlen: int = 1000


# KEYS: each event's run stream; ARGV: the stream's length and lifetime, the publications' head
# (`{"origin": "<instance>", "frame": `), then per event its seq, text, owner and final flag.
# The XADD comes before the PUBLISH, so whoever sees an event live finds it in its stream. A
# stream's TTL is set when it has none (its first event) and renewed by its final event: once or
# twice per run, not per event. XADD is pcall'd: a seq already in the stream (a run finished
# elsewhere) must not keep the batch's other events from going out.
_APPEND_AND_PUBLISH = """
local maxlen, ttl, head = ARGV[1], ARGV[2], ARGV[3]
for i, key in ipairs(KEYS) do
  local at = 4 * i
  local text, owner = ARGV[at + 1], ARGV[at + 2]
  redis.pcall('XADD', key, 'MAXLEN', '~', maxlen, ARGV[at] .. '-0', 'e', text, 'u', owner)
  if ARGV[at + 3] == '1' or redis.call('TTL', key) == -1 then
    redis.call('EXPIRE', key, ttl)
  end
  redis.call('PUBLISH', '%s' .. owner, head .. text .. '}')
end
return #KEYS
"""

# Events per script call: the script holds Redis while it runs, so a crowd's backlog goes in parts.
EVENTS_PER_CALL = 500


@dataclass(frozen=True)
class Outgoing:
    """A stored event on its way out: its owner, the event, and its JSON text (encoded once)."""

    user_id: uuid.UUID
    envelope: dict[str, Any]
    text: str


class Appender:
    """Adds events to their runs' streams and publishes them on their owners' channels: one
    script call (EVALSHA) for a whole batch. Done as a pipeline of XADD, EXPIRE and PUBLISH per
    event inside MULTI/EXEC, packing those commands was the largest cost of a busy instance."""

    def __init__(self, redis: Redis, *, head: str, policy: StreamPolicy, channel_prefix: str):
        self._script = redis.register_script(_APPEND_AND_PUBLISH % channel_prefix)
        self._head = head
        self._policy = policy

    async def __call__(self, events: Sequence[Outgoing]) -> None:
        for start in range(0, len(events), EVENTS_PER_CALL):
            part = events[start : start + EVENTS_PER_CALL]
            keys = [stream_key(e.envelope["run_id"]) for e in part]
            args: list[Any] = [self._policy.maxlen, self._policy.ttl_s, self._head]
            for event in part:
                final = "1" if event.envelope.get("final") else "0"
                args += (event.envelope["seq"], event.text, str(event.user_id), final)
            await self._script(keys=keys, args=args)


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
