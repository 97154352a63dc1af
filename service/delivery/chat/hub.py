"""The sockets open on this instance, by person, each with a bounded outbox."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from service.contract import CloseCode
from service.delivery.chat.closing import Closer
from service.delivery.chat.outbox import Outbox
from service.delivery.chat.socket_limits import SendRateLimit
from service.delivery.replay_gate import ReplayGate, Verdict
from service.plans import DEFAULT_PLAN, Plan

OUTBOX_FRAMES = 1000
HANG_UP_S = 10.0


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: float
    outbox: Outbox = field(default_factory=lambda: Outbox(OUTBOX_FRAMES))
    # Replays in progress and done on this socket (see service/delivery/replay_gate.py).
    gate: ReplayGate = field(default_factory=ReplayGate)
    sends: SendRateLimit = field(default_factory=SendRateLimit)
    # Every close goes through the socket's handler, which completes the handshake.
    closer: Closer = field(default_factory=Closer)
    # The person's plan when the chat opened (service/plans.py): it sets their quotas.
    plan: Plan = DEFAULT_PLAN

    def offer(self, frame: dict[str, Any]) -> bool:
        """Queue a frame; False when this socket cannot keep up."""
        return self.outbox.put_nowait(frame)

    def offer_event(self, frame: dict[str, Any], text: str | None = None) -> bool:
        """Queue a live run event (as `text`, its JSON, when given), unless a replay of its run
        holds it back or already sent it."""
        verdict = self.gate.admit(frame)
        if verdict is Verdict.SEND:
            return self.outbox.put_nowait(frame if text is None else text)
        return verdict is not Verdict.OVERFLOW


class Hub:
    def __init__(self, *, outbox_frames: int = OUTBOX_FRAMES) -> None:
        self._by_user: defaultdict[uuid.UUID, set[Connection]] = defaultdict(set)
        self._closing: set[asyncio.Task[None]] = set()
        self.outbox_frames = outbox_frames

    def add(self, connection: Connection) -> None:
        self._by_user[connection.user_id].add(connection)

    def remove(self, connection: Connection) -> None:
        peers = self._by_user.get(connection.user_id)
        if peers is not None:
            peers.discard(connection)
            if not peers:
                del self._by_user[connection.user_id]

    def holds(self, user_id: uuid.UUID) -> bool:
        """Whether this person has a socket open here."""
        return user_id in self._by_user

    def count(self) -> int:
        return sum(len(peers) for peers in self._by_user.values())

    def connections(self, user_id: uuid.UUID | None = None) -> list[Connection]:
        if user_id is not None:
            return list(self._by_user.get(user_id, ()))
        return [c for peers in self._by_user.values() for c in peers]

    def deliver(self, user_id: uuid.UUID, frame: dict[str, Any], text: str | None = None) -> None:
        for connection in self.connections(user_id):
            if not connection.offer_event(frame, text):
                self.too_slow(connection)

    def too_slow(self, connection: Connection) -> None:
        """Closing (not buffering without bound) keeps memory flat; the client resumes."""
        self.remove(connection)
        self._closing = {t for t in self._closing if not t.done()}
        self._closing.add(asyncio.create_task(_hang_up(connection)))


async def _hang_up(connection: Connection) -> None:
    # The close frame queues behind what the socket has not read yet; a client that never
    # reads again is cut off when the wait ends (aiohttp then closes the transport).
    with contextlib.suppress(Exception):
        async with asyncio.timeout(HANG_UP_S):
            await connection.closer.close(CloseCode.TOO_SLOW, b"too slow to keep up")
