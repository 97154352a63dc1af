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
from dataclasses import dataclass, field

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


@dataclass(eq=False)
class Closer:
    """One socket's pending close: asked for by anyone, carried out by its handler."""

    asked: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    request_: CloseRequest | None = None

    def request(self, code: CloseCode, reason: bytes) -> None:
        """Ask the handler to close with this code (the first request wins)."""
        if self.request_ is None:
            self.request_ = CloseRequest(code, reason)
        self.asked.set()

    async def close(self, code: CloseCode, reason: bytes) -> None:
        """Request the close and wait until the handshake is over (or the handler has ended)."""
        self.request(code, reason)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_S + 1.0):
                await self.done.wait()


async def messages(ws: web.WebSocketResponse, closer: Closer) -> AsyncIterator[WSMessage]:
    """The client's frames until it closes or a close is requested (then the reader is idle, so
    `finish` can wait for the client's close frame)."""
    asked = asyncio.ensure_future(closer.asked.wait())  # one waiter for the socket's life
    try:
        while not asked.done() and not ws.closed:
            receiving = asyncio.ensure_future(ws.receive())
            try:
                await asyncio.wait({receiving, asked}, return_when=asyncio.FIRST_COMPLETED)
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
    finally:
        asked.cancel()


async def finish(ws: web.WebSocketResponse, closer: Closer) -> None:
    """Close with the requested code (1000 otherwise), waiting for the client's close frame."""
    request = closer.request_ or CloseRequest(CloseCode.NORMAL, b"")
    try:
        async with asyncio.timeout(CLOSE_TIMEOUT_S):
            await ws.close(code=request.code, message=request.reason)
    except TimeoutError:
        pass  # aiohttp has closed the transport on the cancellation
    finally:
        closer.done.set()
