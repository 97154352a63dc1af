"""A socket's queued frames written as one write to its transport (issue 19).

aiohttp writes each frame with a write of its own: a syscall per frame, and on loopback the
sender's syscall does the receiver's TCP work too. A run's events reach a socket in batches (a
stage's `tool_completed` with the next `tool_executing`, a replay's frames), so the outbox hands
this writer everything it holds and the frames go in one write. The frames are the bytes
aiohttp writes (unmasked, uncompressed text frames: sockets are opened with compress=False) and
its flow control is kept: a writer whose transport is paused waits for it to drain.

It reaches below aiohttp's public API (the response's frame writer, its protocol's drain), which
is pinned in requirements.txt; tests/service/delivery/test_wire.py reads its frames back with
aiohttp's own client.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any

from aiohttp import web

# A frame, or a run event's JSON text as it was stored (encoded once: service/delivery/bus.py).
Frame = dict[str, Any] | str

# FIN and the text opcode: every frame the service sends is one whole text message.
_TEXT = 0x81
_LEN1 = struct.Struct("!BB").pack
_LEN2 = struct.Struct("!BBH").pack
_LEN3 = struct.Struct("!BBQ").pack


def text_frame(frame: Frame) -> bytes:
    """The bytes of one frame on the wire, as aiohttp's send_str/send_json write them."""
    payload = (frame if isinstance(frame, str) else json.dumps(frame)).encode()
    size = len(payload)
    if size < 126:
        return _LEN1(_TEXT, size) + payload
    if size < 65536:
        return _LEN2(_TEXT, 126, size) + payload
    return _LEN3(_TEXT, 127, size) + payload


class SocketWriter:
    """Writes an open socket's frames; raises ConnectionResetError once it is closing."""

    __slots__ = ("_ws",)

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self._ws = ws

    def write(self, frames: Sequence[Frame]) -> None:
        writer = self._ws._writer
        if writer is None:
            raise RuntimeError("the socket is not open")
        # After the close frame nothing more may follow it (aiohttp refuses the same way).
        if writer._closing or writer.transport.is_closing():
            raise ConnectionResetError("the socket is closing")
        writer.transport.write(b"".join([text_frame(f) for f in frames]))

    @property
    def paused(self) -> bool:
        """Whether the transport holds more than its limit: write nothing until it drains."""
        writer = self._ws._writer
        return writer is not None and writer.protocol.writing_paused

    async def drain(self) -> None:
        """Until the transport is below its limit (ConnectionResetError once it is lost)."""
        writer = self._ws._writer
        if writer is not None:
            await writer.protocol._drain_helper()
