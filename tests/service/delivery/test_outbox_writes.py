"""A socket's outbox (issue 19): an idle one holds nothing, frames queued in one pass of the event
loop go in one write in order, a full transport is waited for, and the bytes written are the
frames a WebSocket client reads (aiohttp's own client parses them, every length form)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from aiohttp import ClientSession, WSMsgType, web
from aiohttp.test_utils import TestServer

from service.delivery.chat.outbox import WRITE_BYTES, Outbox
from service.delivery.chat.wire import Frame, SocketWriter


class Transport:
    """The socket's side the outbox sees: what was written, one list per write; `paused` until
    the test lets it drain."""

    def __init__(self) -> None:
        self.writes: list[list[Frame]] = []
        self.paused = False
        self._drained = asyncio.Event()

    def write(self, frames: Sequence[Frame]) -> None:
        self.writes.append(list(frames))

    async def drain(self) -> None:
        await self._drained.wait()
        self.paused = False

    def let_drain(self) -> None:
        self._drained.set()


async def test_an_idle_outbox_holds_nothing_and_one_pass_of_frames_is_one_write() -> None:
    transport = Transport()
    outbox = Outbox(limit=3)
    outbox.start(transport)
    assert outbox._flush is None and outbox._frames is None  # idle: nothing held
    for n in range(3):
        assert outbox.put_nowait({"n": n})
    assert not outbox.put_nowait({"n": 3})  # full: the socket cannot keep up
    await outbox.join()
    assert transport.writes == [[{"n": 0}, {"n": 1}, {"n": 2}]]
    assert outbox._flush is None and outbox._draining is None and outbox._frames is None


async def test_a_full_transport_is_waited_for_and_the_outbox_fills_meanwhile() -> None:
    transport = Transport()
    transport.paused = True
    outbox = Outbox(limit=2)
    outbox.start(transport)
    assert outbox.put_nowait("a") and outbox.put_nowait("b")
    await asyncio.sleep(0.05)
    assert transport.writes == []  # nothing written while the transport is full
    assert not outbox.put_nowait("c")  # so a reader that cannot keep up is noticed
    transport.let_drain()
    await outbox.join()
    assert transport.writes == [["a", "b"]]
    assert outbox.put_nowait("c")
    await outbox.join()
    assert transport.writes == [["a", "b"], ["c"]]


async def test_a_long_backlog_goes_in_writes_of_about_write_bytes() -> None:
    transport = Transport()
    outbox = Outbox(limit=100)
    outbox.start(transport)
    frame = "x" * (WRITE_BYTES // 4)
    for _ in range(10):
        assert outbox.put_nowait(frame)
    await outbox.join()
    assert [len(w) for w in transport.writes] == [4, 4, 2]


async def test_the_bytes_written_are_the_frames_a_client_reads_in_order() -> None:
    frames: list[Frame] = [
        {"type": "pong"},
        json.dumps({"type": "agent_thinking", "seq": 1}),
        "é" * 200,  # a two-byte length, counted in bytes
        {"text": "y" * 70_000},  # an eight-byte length
        "last",
    ]

    async def serve(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        outbox = Outbox(limit=10)
        outbox.start(SocketWriter(ws))
        for frame in frames:
            assert outbox.put_nowait(frame)
        await outbox.join()
        await ws.receive()  # the client's close
        await outbox.stop()
        return ws

    app = web.Application()
    app.router.add_get("/", serve)
    async with TestServer(app) as server, ClientSession() as session:
        async with session.ws_connect(server.make_url("/")) as ws:
            received = [await ws.receive(timeout=5) for _ in frames]
            await ws.close()
    assert [m.type for m in received] == [WSMsgType.TEXT] * len(frames)
    expected = [f if isinstance(f, str) else json.dumps(f) for f in frames]
    assert [m.data for m in received] == expected


async def test_a_closed_socket_breaks_the_outbox_and_join_returns() -> None:
    async def serve(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        await ws.close()
        outbox = Outbox(limit=10)
        outbox.start(SocketWriter(ws))
        assert outbox.put_nowait("after the close")
        await asyncio.wait_for(outbox.join(), 5)
        assert not outbox.put_nowait("more")  # broken: nothing more is queued
        return ws

    app = web.Application()
    app.router.add_get("/", serve)
    async with TestServer(app) as server, ClientSession() as session:
        async with session.ws_connect(server.make_url("/")) as ws:
            message = await ws.receive(timeout=5)
    assert message.type == WSMsgType.CLOSE
