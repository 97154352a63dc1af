"""Bounding what one socket can hold below its outbox, so a slow reader is noticed.

Without a cap the kernel's send buffer grows to megabytes on a fast link and aiohttp writes up to
256 KiB before it waits for the transport, so a client that stops reading is detected (outbox
full, close 4409) only after thousands of frames. `SOCKET_SEND_BUFFER_BYTES` caps the kernel
buffer, the transport's buffer and aiohttp's writer; 0 keeps the defaults.
"""

from __future__ import annotations

import contextlib
import socket

from aiohttp import web

AIOHTTP_WRITER_LIMIT = 2**18  # aiohttp's own default


def writer_limit(limit_bytes: int) -> int:
    """How much aiohttp's writer may write before it waits for the transport to drain."""
    return limit_bytes if limit_bytes > 0 else AIOHTTP_WRITER_LIMIT


def cap_send_buffer(request: web.Request, limit_bytes: int) -> None:
    transport = request.transport
    if limit_bytes <= 0 or transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, limit_bytes)
    transport.set_write_buffer_limits(high=limit_bytes)
