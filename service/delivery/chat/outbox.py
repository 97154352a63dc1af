"""A socket's frames waiting to be sent, bounded, with a writer task only while there are any.

Most open chats are idle (issue 19: 10,000 open on one instance, a few asking). A task per socket
waiting on an `asyncio.Queue` cost an idle chat a task, its coroutine and the queue's three
deques and event (about 4 KB of the 32 KB a chat cost); here an idle chat holds this object and
nothing else: the deque exists while frames wait, and the writer task while it sends them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

# A frame, or a run event's JSON text as it was stored (encoded once: service/delivery/bus.py).
Frame = dict[str, Any] | str


class Outbox:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._frames: collections.deque[Frame] | None = None
        self._send: Callable[[Frame], Awaitable[None]] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._room: asyncio.Future[None] | None = None  # a replay waiting for room
        self._broken = False  # a send failed: the socket is gone, nothing more is queued

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
        self._start_writer()
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

    def start(self, send: Callable[[Frame], Awaitable[None]]) -> None:
        """Send every frame queued, now and later, with `send` (once the socket is open)."""
        self._send = send
        self._start_writer()

    async def stop(self) -> None:
        """Send nothing more (the socket is closing)."""
        self._send = None
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    async def join(self) -> None:
        """Until every frame queued so far has been sent (or sending failed)."""
        while (writer := self._writer) is not None and not writer.done():
            await asyncio.wait({writer})

    def _start_writer(self) -> None:
        if (
            self._send is not None
            and self._frames
            and (self._writer is None or self._writer.done())
        ):
            self._writer = asyncio.get_running_loop().create_task(self._write(self._send))

    async def _write(self, send: Callable[[Frame], Awaitable[None]]) -> None:
        try:
            while self._frames:
                frame = self._frames.popleft()
                self._made_room()
                await send(frame)
        except (ConnectionError, RuntimeError, OSError):
            # The socket went away under us (aiohttp raises these): its handler is ending.
            self._broken = True
        finally:
            if not self._frames:
                self._frames = None

    def _made_room(self) -> None:
        if self._room is not None and not self._room.done():
            self._room.set_result(None)
