"""Two independent chat clients for tests against the real stack: `websockets` (the driver's
library) and aiohttp's client (which reports 1006 when the server drops TCP before the closing
handshake ends), behind one small interface; plus signing up a fresh person."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Protocol

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from driver.client.api import ChatApi

# A receive window this small makes a client that stops reading back up the server quickly.
SMALL_WINDOW_BYTES = 4096


class Client(Protocol):
    frames: list[dict[str, Any]]

    async def send(self, frame: dict[str, Any] | str) -> None: ...

    async def read_until_closed(self, within_s: float) -> tuple[int | None, str]: ...


async def sign_up(base_url: str) -> tuple[str, str]:
    """A new person, signed in: (user id, access pass)."""
    email = f"p-{uuid.uuid4().hex[:12]}@example.com"
    async with aiohttp.ClientSession() as session:
        api = ChatApi(base_url, session)
        user_id = await api.register(email, "a long enough password", "Tester")
        tokens = await api.login(email, "a long enough password")
    return user_id, tokens.access_token


def ws_url(base_url: str) -> str:
    return base_url.replace("http", "ws", 1) + "/ws"


def _small_window(*_: Any) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SMALL_WINDOW_BYTES)
    return sock


class WebsocketsClient:
    def __init__(self, ws: ClientConnection) -> None:
        self._ws = ws
        self.frames: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self._ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def read_until_closed(self, within_s: float) -> tuple[int | None, str]:
        async with asyncio.timeout(within_s):
            with contextlib.suppress(ConnectionClosed):
                async for raw in self._ws:
                    self.frames.append(json.loads(raw))
            await self._ws.wait_closed()
        received = self._ws.protocol.close_rcvd
        return (received.code, received.reason) if received else (None, "")


class AiohttpClient:
    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self.frames: list[dict[str, Any]] = []

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self._ws.send_str(frame if isinstance(frame, str) else json.dumps(frame))

    async def read_until_closed(self, within_s: float) -> tuple[int | None, str]:
        async with asyncio.timeout(within_s):
            while True:
                message = await self._ws.receive()
                if message.type is aiohttp.WSMsgType.TEXT:
                    self.frames.append(json.loads(message.data))
                    continue
                reason = message.extra if message.type is aiohttp.WSMsgType.CLOSE else ""
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING):
                    await self._ws.close()  # answers the server's close frame (autoclose did)
                break
        return self._ws.close_code, str(reason or "")


@asynccontextmanager
async def websockets_client(
    base_url: str, token: str, *, small_window: bool = False
) -> AsyncIterator[Client]:
    extra: dict[str, Any] = {}
    if small_window:
        sock = _small_window()
        sock.setblocking(False)
        host, port = base_url.removeprefix("http://").split(":")
        await asyncio.get_running_loop().sock_connect(sock, (host, int(port)))
        extra = {"sock": sock, "compression": None, "max_queue": 1}
    async with connect(
        ws_url(base_url),
        additional_headers={"Authorization": f"Bearer {token}"},
        proxy=None,
        close_timeout=5,
        **extra,
    ) as ws:
        yield WebsocketsClient(ws)


@asynccontextmanager
async def aiohttp_client(
    base_url: str, token: str, *, small_window: bool = False
) -> AsyncIterator[Client]:
    factory: Callable[..., socket.socket] | None = _small_window if small_window else None
    connector = aiohttp.TCPConnector(socket_factory=factory) if factory else aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.ws_connect(
            ws_url(base_url),
            headers={"Authorization": f"Bearer {token}"},
            autoping=True,
            max_msg_size=2**20,
        ) as ws:
            yield AiohttpClient(ws)


CLIENTS = {"websockets": websockets_client, "aiohttp": aiohttp_client}


def send_frame(text: str = "How can we cut our model spend?") -> dict[str, Any]:
    return {"type": "send", "client_msg_id": str(uuid.uuid4()), "text": text}
