"""The sockets open on this instance, by person, each with a bounded outbox."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

OUTBOX_FRAMES = 1000
TOO_SLOW = 4409


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: float
    outbox: asyncio.Queue[dict[str, Any]] = field(
        default_factory=lambda: asyncio.Queue(OUTBOX_FRAMES)
    )

    def offer(self, frame: dict[str, Any]) -> bool:
        """Queue a frame; False when this socket cannot keep up."""
        try:
            self.outbox.put_nowait(frame)
        except asyncio.QueueFull:
            return False
        return True


class Hub:
    def __init__(self) -> None:
        self._by_user: defaultdict[uuid.UUID, set[Connection]] = defaultdict(set)
        self._closing: set[asyncio.Task[bool]] = set()

    def add(self, connection: Connection) -> None:
        self._by_user[connection.user_id].add(connection)

    def remove(self, connection: Connection) -> None:
        peers = self._by_user.get(connection.user_id)
        if peers is not None:
            peers.discard(connection)
            if not peers:
                del self._by_user[connection.user_id]

    def connections(self, user_id: uuid.UUID | None = None) -> list[Connection]:
        if user_id is not None:
            return list(self._by_user.get(user_id, ()))
        return [c for peers in self._by_user.values() for c in peers]

    def deliver(self, user_id: uuid.UUID, frame: dict[str, Any]) -> None:
        for connection in self.connections(user_id):
            if not connection.offer(frame):
                # Closing (not buffering without bound) keeps memory flat; the client resumes.
                self.remove(connection)
                self._closing.add(asyncio.create_task(connection.ws.close(code=TOO_SLOW)))
                self._closing = {t for t in self._closing if not t.done()}
