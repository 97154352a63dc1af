"""Closes the server starts (4401, 4409, 4429, 1008, 1001) finish the closing handshake.

aiohttp's `WebSocketResponse.close()` called from another task while the socket's reader waits
in `receive()` wakes the reader with an internal CLOSING message, which marks the socket as
closing, and `close()` then drops the TCP connection at once instead of waiting for the client's
close frame: an aiohttp client reports 1006 and a browser an unclean close. Called when nobody
is reading, `close()` sends the close frame and reads until the client's arrives (or its
timeout). So every close goes through the socket's own handler: others `request` it, the reader
(`messages`) stops waiting for frames, and the handler closes (`finish`) with the code asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiohttp import WSMessage, WSMsgType, web

from service.contract import CloseCode

# The whole handshake (sending what is queued, the close frame, the client's reply) is bounded:
# a client that never reads or never answers is cut off after this long.
CLOSE_TIMEOUT_S = 10.0
_ENDS = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)


@dataclass(frozen=True)
class CloseRequest:
    code: CloseCode
    reason: bytes


class Closer:
    """One socket's pending close: asked for by anyone, carried out by its handler.

    Plain futures made on demand, not two `asyncio.Event`s (a deque each): an idle open chat
    holds one future (its reader's wake-up), a closing one a second (issue 19: 10,000 open)."""

    __slots__ = ("_asked", "_done", "finished", "request_")

    def __init__(self) -> None:
        self.request_: CloseRequest | None = None
        self.finished = False
        self._asked: asyncio.Future[None] | None = None
        self._done: asyncio.Future[None] | None = None

    @property
    def asked(self) -> bool:
        return self.request_ is not None

    def request(self, code: CloseCode, reason: bytes) -> None:
        """Ask the handler to close with this code (the first request wins)."""
        if self.request_ is None:
            self.request_ = CloseRequest(code, reason)
        _resolve(self._asked)

    def asked_signal(self) -> asyncio.Future[None]:
        """Done once a close is requested (the reader waits on it next to the client's frames)."""
        if self._asked is None:
            self._asked = asyncio.get_running_loop().create_future()
            if self.request_ is not None:
                self._asked.set_result(None)
        return self._asked

    async def close(self, code: CloseCode, reason: bytes) -> None:
        """Request the close and wait until the handshake is over (or the handler has ended)."""
        self.request(code, reason)
        if self.finished:
            return
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
        # asyncio.wait: a caller that gives up does not cancel the others' wait.
        await asyncio.wait({self._done}, timeout=CLOSE_TIMEOUT_S + 1.0)

    def set_finished(self) -> None:
        self.finished = True
        _resolve(self._done)


def _resolve(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


async def messages(ws: web.WebSocketResponse, closer: Closer) -> AsyncIterator[WSMessage]:
    """The client's frames until it closes or a close is requested (then the reader is idle, so
    `finish` can wait for the client's close frame)."""
    asked = closer.asked_signal()  # one future for the socket's life
    while not asked.done() and not ws.closed:
        receiving = asyncio.ensure_future(ws.receive())
        try:
            either: set[asyncio.Future[Any]] = {receiving, asked}
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not receiving.done():
                # Nothing is lost: aiohttp's reader keeps a frame not yet taken off its queue.
                receiving.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await receiving
        if receiving.cancelled():
            return
        message = receiving.result()
        if message.type in _ENDS:
            return
        yield message


async def finish(ws: web.WebSocketResponse, closer: Closer) -> None:
    """Close with the requested code (1000 otherwise), waiting for the client's close frame."""
    request = closer.request_ or CloseRequest(CloseCode.NORMAL, b"")
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await ws.close(code=request.code, message=request.reason)
    except TimeoutError:
        pass  # aiohttp has closed the transport on the cancellation
    finally:
        closer.set_finished()
