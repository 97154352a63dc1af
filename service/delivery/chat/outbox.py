"""A socket's frames waiting to be sent, bounded, written together as soon as the event loop
is free.

Most open chats are idle (issue 19: 10,000 open on one instance, a few asking). A task per socket
waiting on an `asyncio.Queue` cost an idle chat a task, its coroutine and the queue's three
deques and event (about 4 KB of the 32 KB a chat cost); here an idle chat holds this object and
nothing else: the deque exists while frames wait.

Frames queued in one pass of the event loop (a batch of run events delivered to a thousand
sockets) are written by one callback, all of a socket's in one write (service/delivery/chat/
wire.py): a task and a write per frame were a tenth of a crowd's time. Only a socket whose
transport is full gets a task, waiting for it to drain while its outbox fills (a reader that
cannot keep up is then noticed: the outbox full, close 4409).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Sequence
from typing import Protocol

from service.delivery.chat.wire import Frame

# A write takes queued frames up to about this many bytes (a replay's thousand frames go in
# several), so a full transport is noticed between writes, as aiohttp's writer notices it.
WRITE_BYTES = 64 * 1024
# What the socket's going away looks like (aiohttp raises these).
GONE = (ConnectionError, RuntimeError, OSError)


class Socket(Protocol):
    """Where an outbox writes (service/delivery/chat/wire.py SocketWriter)."""

    def write(self, frames: Sequence[Frame]) -> None: ...

    @property
    def paused(self) -> bool: ...

    async def drain(self) -> None: ...


class Outbox:
    __slots__ = ("_broken", "_draining", "_flush", "_frames", "_idle", "_room", "_socket", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._frames: collections.deque[Frame] | None = None
        self._socket: Socket | None = None
        self._flush: asyncio.Handle | None = None  # the write scheduled for this loop pass
        self._draining: asyncio.Task[None] | None = None  # waiting for a full transport
        self._room: asyncio.Future[None] | None = None  # a replay waiting for room
        self._idle: asyncio.Future[None] | None = None  # join() waiting for the frames to go
        self._broken = False  # a write failed: the socket is gone, nothing more is queued

    def __len__(self) -> int:
        return len(self._frames) if self._frames is not None else 0

    def empty(self) -> bool:
        return not self._frames

    def put_nowait(self, frame: Frame) -> bool:
        """Queue a frame; False when the outbox is full (the socket cannot keep up) or broken."""
        if self._broken or len(self) >= self.limit:
            return False
        if self._frames is None:
            self._frames = collections.deque()
        self._frames.append(frame)
        self._schedule()
        return True

    async def put(self, frame: Frame) -> None:
        """Queue a frame, waiting for room while the client reads (a replay's frames)."""
        while not self.put_nowait(frame):
            if self._room is None or self._room.done():
                self._room = asyncio.get_running_loop().create_future()
            await asyncio.wait({self._room})  # a caller's timeout does not cancel the others'

    def get_nowait(self) -> Frame:
        """The oldest frame, taken off unsent (for a test with no socket to write to)."""
        if not self._frames:
            raise IndexError("the outbox is empty")
        return self._frames.popleft()

    def start(self, socket: Socket) -> None:
        """Write every frame queued, now and later, to `socket` (once it is open)."""
        self._socket = socket
        self._schedule()

    async def stop(self) -> None:
        """Send nothing more (the socket is closing)."""
        self._socket = None
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if self._draining is not None:
            self._draining.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._draining
        self._went_idle()

    async def join(self) -> None:
        """Until every frame queued so far has been sent (or sending failed or stopped)."""
        while self._frames and self._socket is not None and not self._broken:
            if self._idle is None or self._idle.done():
                self._idle = asyncio.get_running_loop().create_future()
            await asyncio.wait({self._idle})

    def _schedule(self) -> None:
        if (
            self._socket is not None
            and self._frames
            and self._flush is None
            and (self._draining is None or self._draining.done())
        ):
            self._flush = asyncio.get_running_loop().call_soon(self._write)

    def _write(self) -> None:
        """Write what is queued, WRITE_BYTES at a time, until the transport is full."""
        self._flush = None
        socket, frames = self._socket, self._frames
        if socket is None or not frames:
            return
        try:
            while frames and not socket.paused:
                socket.write(_take(frames))
        except GONE:
            # The socket went away under us: its handler is ending.
            self._broken = True
            frames.clear()
        self._made_room()
        if frames:
            self._draining = asyncio.get_running_loop().create_task(self._drain(socket))
        else:
            self._frames = None
            self._went_idle()

    async def _drain(self, socket: Socket) -> None:
        try:
            await socket.drain()
        except GONE:
            self._broken = True
            if self._frames is not None:
                self._frames.clear()
        self._draining = None
        if self._broken:
            self._frames = None
            self._went_idle()
            return
        self._write()

    def _made_room(self) -> None:
        if self._room is not None and not self._room.done():
            self._room.set_result(None)

    def _went_idle(self) -> None:
        if self._idle is not None and not self._idle.done():
            self._idle.set_result(None)


def _take(frames: collections.deque[Frame]) -> list[Frame]:
    """The oldest frames, up to about WRITE_BYTES (at least one)."""
    taken: list[Frame] = []
    size = 0
    while frames and size < WRITE_BYTES:
        frame = frames.popleft()
        taken.append(frame)
        size += len(frame) if isinstance(frame, str) else 256  # a control frame is small
    return taken
