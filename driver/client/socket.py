"""The socket half of chat.v1: one reader task parses every frame and routes it to who waits."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
import uuid
from asyncio import FIRST_COMPLETED
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin, Subprotocol

from driver.client.contract import (
    EVENT_TYPES,
    CloseCode,
    ErrorCode,
    Frame,
    SocketObserver,
    TimedEvent,
)
from driver.client.errors import (
    ContractViolation,
    FrameRefused,
    HandshakeRefused,
    SendRefused,
    SocketClosed,
    error_fields,
)
from driver.client.models import Ack, ErrorFrame
from driver.client.stream import RunStream, describe_close

T = TypeVar("T")
SUBPROTOCOL = "chat.v1"
# A handshake turned away as `busy` (too many opening the chat at once) is tried again after its
# Retry-After, as the page and the load tool do, for at most this long.
BUSY_PATIENCE_S = 60.0
POOR_LINK_RECEIVE_BYTES = 4096


class ChatSocket:
    """An open chat.v1 connection. Create it with `await ChatSocket.connect(...)`."""

    def __init__(
        self,
        ws: ClientConnection,
        *,
        name: str,
        observers: Sequence[SocketObserver],
        opened_at: float,
    ) -> None:
        self.name = name
        self.opened_at = opened_at
        self.received: list[tuple[float, Frame]] = []
        self.unreadable: list[tuple[float, str | bytes]] = []
        self.acks: list[Ack] = []
        self.errors: list[ErrorFrame] = []
        self.streams: dict[str, RunStream] = {}
        self.close_code: int | None = None
        self.close_reason: str | None = None
        self.closed_at: float | None = None
        self._ws = ws
        self._observers = list(observers)
        self._pending: set[str] = set()
        self._sent_at: dict[str, float] = {}
        self._acks: defaultdict[str, asyncio.Queue[Ack | Exception]] = defaultdict(asyncio.Queue)
        self._errors: asyncio.Queue[ErrorFrame] = asyncio.Queue()
        self._resume_answers: asyncio.Queue[Frame] = asyncio.Queue()
        self._resuming: set[str] = set()  # runs asked for; an error about one answers it
        self._pongs: asyncio.Queue[float] = asyncio.Queue()
        self.pongs_received = 0
        self._reading = asyncio.Event()
        self._reading.set()
        self._closed = asyncio.Event()
        self._failure: BaseException | None = None
        for observer in self._observers:
            observer.socket_opened(name, opened_at)
        self._reader = asyncio.create_task(self._read(), name=f"reader of {name}")

    @classmethod
    async def connect(
        cls,
        ws_url: str,
        *,
        access_token: str | None,
        origin: str | None = None,
        use_subprotocol: bool = False,
        name_version: bool = True,
        name: str = "the socket",
        observers: Sequence[SocketObserver] = (),
        headers: Mapping[str, str] | None = None,
        open_timeout: float = 10.0,
        max_size: int | None = 2**20,
        ping_interval: float | None = 20.0,
        poor_link: bool = False,
        close_timeout: float = 2.0,
    ) -> ChatSocket:
        """Open a socket; the pass goes in the Authorization header, or in the subprotocols
        as a browser does (`use_subprotocol`; without `name_version`, the pass alone, not
        `chat.v1`). A refusal raises HandshakeRefused."""
        sent_headers = dict(headers or {})
        subprotocols: list[Subprotocol] | None = None
        if use_subprotocol:
            subprotocols = [Subprotocol(SUBPROTOCOL)] if name_version else []
            if access_token is not None:
                subprotocols.append(Subprotocol(f"bearer.{access_token}"))
        elif access_token is not None:
            sent_headers["Authorization"] = f"Bearer {access_token}"
        extra: dict[str, Any] = {}
        if poor_link:  # a basic client on a poor link: a small window, no compression
            extra["sock"] = await _small_window_socket(ws_url, POOR_LINK_RECEIVE_BYTES)
            extra["compression"] = None
        try:
            ws = await connect(
                ws_url,
                origin=Origin(origin) if origin is not None else None,
                subprotocols=subprotocols,
                additional_headers=sent_headers,
                open_timeout=open_timeout,
                max_size=max_size,
                ping_interval=ping_interval,
                # An app leaving an unresponsive server does not wait 10 s for its goodbye.
                close_timeout=close_timeout,
                proxy=None,
                **extra,
            )
        except InvalidStatus as exc:
            response = exc.response
            body = bytes(response.body).decode("utf-8", errors="replace")
            code, message, retry_after = error_fields(response.status_code, body, response.headers)
            raise HandshakeRefused(response.status_code, code, message, retry_after) from exc
        if use_subprotocol and ws.subprotocol != SUBPROTOCOL:
            await ws.close()
            raise ContractViolation(
                f"the service accepted {name} as a browser without answering the "
                f"{SUBPROTOCOL} subprotocol (answered {ws.subprotocol!r})"
            )
        return cls(ws, name=name, observers=observers, opened_at=time.monotonic())

    async def __aenter__(self) -> ChatSocket:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- state
    @property
    def is_open(self) -> bool:
        return not self._closed.is_set()

    @property
    def subprotocol(self) -> str | None:
        return self._ws.subprotocol

    def response_header(self, name: str) -> str | None:
        """A header of the handshake's answer (e.g. a balancer saying which server took it)."""
        response = self._ws.response
        return None if response is None else response.headers.get(name)

    def run(self, run_id: str) -> RunStream:
        """The stream of that run as this socket sees it (created empty if nothing came yet)."""
        stream = self.streams.get(run_id)
        if stream is None:
            stream = self.streams[run_id] = RunStream(run_id, owner=self.name)
            if not self.is_open:
                stream.end(self._why_closed())
        return stream

    # -- client -> server
    async def post(
        self, text: str, *, thread_id: str | None = None, client_msg_id: str | None = None
    ) -> str:
        """Send a question without waiting for its ack; returns its client_msg_id."""
        msg_id = client_msg_id or str(uuid.uuid4())
        frame: Frame = {"type": "send", "client_msg_id": msg_id, "text": text}
        if thread_id is not None:
            frame["thread_id"] = thread_id
        self._pending.add(msg_id)
        self._sent_at[msg_id] = time.monotonic()
        await self.send_frame(frame)
        return msg_id

    async def wait_ack(self, client_msg_id: str, timeout: float = 10.0) -> Ack:
        """The next ack for that id (a resend gets its own, `duplicate: true`)."""
        answer = await self._next(self._acks[client_msg_id], timeout, "ack for the question")
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def send(
        self,
        text: str,
        *,
        thread_id: str | None = None,
        client_msg_id: str | None = None,
        timeout: float = 10.0,
    ) -> Ack:
        """Ask and wait until the service confirms the question is stored."""
        msg_id = await self.post(text, thread_id=thread_id, client_msg_id=client_msg_id)
        ack = await self.wait_ack(msg_id, timeout)
        self.run(ack.run_id).mark_asked(text, self._sent_at[msg_id])
        return ack

    async def send_frame(self, frame: Mapping[str, Any]) -> None:
        """Send any JSON object as one frame (for frames with odd fields)."""
        text = json.dumps(frame)
        await self._send_text(text, dict(frame))

    async def send_raw(self, text: str | bytes) -> None:
        """Send exactly these characters (or bytes) as one frame, for bad-input scenarios."""
        await self._send_text(text, None)

    async def resume(
        self, runs: Sequence[tuple[str, int]], timeout: float = 10.0
    ) -> dict[str, Frame]:
        """Ask for every event after `last_seq` of each run; returns each run's
        `resumed` or `resync_required` answer (FrameRefused if the service answers an error).
        The replayed events go to the run streams."""
        wanted = {run_id for run_id, _ in runs}
        self._resuming = set(wanted)
        try:
            await self.send_frame(
                {"type": "resume", "runs": [{"run_id": r, "last_seq": s} for r, s in runs]}
            )
            answers: dict[str, Frame] = {}
            deadline = time.monotonic() + timeout
            while not wanted <= answers.keys():
                remaining = max(0.0, deadline - time.monotonic())
                answer = await self._next(self._resume_answers, remaining, "answer to resume")
                if answer.get("type") == "error":
                    error = ErrorFrame.parse(answer, 0.0)
                    raise FrameRefused(error.code, error.message, what="resuming")
                answers[str(answer.get("run_id"))] = answer
            return answers
        finally:
            self._resuming = set()

    async def ping(self, timeout: float = 5.0) -> float:
        """App-level ping; returns the round trip in seconds."""
        started = time.monotonic()
        await self.send_frame({"type": "ping"})
        return await self._next(self._pongs, timeout, "pong") - started

    async def next_error(self, timeout: float = 5.0) -> ErrorFrame:
        """The next error frame not already claimed by a question."""
        return await self._next(self._errors, timeout, "error frame")

    async def wait_closed(self, timeout: float = 5.0) -> int:
        """Wait for the server to close the socket; returns the close code."""
        try:
            async with asyncio.timeout(timeout):
                await self._closed.wait()
        except TimeoutError:
            raise TimeoutError(f"{self.name} was still connected after {timeout:g} s") from None
        assert self.close_code is not None
        return self.close_code

    async def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        self._reading.set()
        await self._ws.close(code, reason)
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader

    def stop_reading(self) -> None:
        """Stop taking frames off the wire, as a stalled client would (the server sees
        its sends back up); `start_reading` resumes."""
        self._reading.clear()

    def start_reading(self) -> None:
        self._reading.set()

    # -- internals
    async def _send_text(self, text: str | bytes, frame: Frame | None) -> None:
        at = time.monotonic()
        try:
            await self._ws.send(text)
        except ConnectionClosed:
            # Not waiting for the reader: it may be paused by stop_reading().
            code, reason = self._ws.close_code or CloseCode.DROPPED, self._ws.close_reason or ""
            raise SocketClosed(code, reason, who=self.name) from None
        shown = text if isinstance(text, str) else text.decode("utf-8", errors="replace")
        for observer in self._observers:
            observer.frame_sent(self.name, shown, frame, at)

    async def _read(self) -> None:
        try:
            while True:
                await self._reading.wait()
                raw = await self._ws.recv()
                self._dispatch(raw, time.monotonic())
        except ConnectionClosed:
            pass
        except Exception as exc:  # a driver bug must not leave waiters hanging
            self._failure = exc
            with contextlib.suppress(Exception):
                await self._ws.close(CloseCode.NORMAL, "client failure")
        finally:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._ws.wait_closed()
            self._finish()

    def _dispatch(self, raw: str | bytes, at: float) -> None:
        frame = _parse(raw)
        if frame is None:
            self.unreadable.append((at, raw))
            for observer in self._observers:
                observer.frame_unreadable(self.name, raw, at)
            return
        self.received.append((at, frame))
        for observer in self._observers:
            observer.frame_received(self.name, frame, at)
        kind = frame.get("type")
        run_id = frame.get("run_id")
        if kind in EVENT_TYPES and isinstance(run_id, str):
            self.run(run_id).add(TimedEvent(at, frame))
        elif kind == "ack":
            self._on_ack(frame, at)
        elif kind == "error":
            self._on_error(frame, ErrorFrame.parse(frame, at))
        elif kind in ("resumed", "resync_required"):
            if kind == "resync_required" and isinstance(run_id, str):
                self.run(run_id).mark_resync_required()
            self._resume_answers.put_nowait(frame)
        elif kind == "pong":
            self.pongs_received += 1
            self._pongs.put_nowait(at)

    def _on_ack(self, frame: Frame, at: float) -> None:
        msg_id = frame.get("client_msg_id")
        if not isinstance(msg_id, str):
            return  # the verifier reports the malformed ack
        try:
            ack = Ack.parse(frame, at)
        except ContractViolation as exc:
            self._acks[msg_id].put_nowait(exc)
            return
        self.acks.append(ack)
        self._pending.discard(msg_id)
        self._acks[msg_id].put_nowait(ack)

    def _on_error(self, frame: Frame, error: ErrorFrame) -> None:
        self.errors.append(error)
        if error.ref is not None and error.ref in self._pending:
            self._pending.discard(error.ref)
            self._acks[error.ref].put_nowait(
                SendRefused(error.code, error.message, error.ref, error.retry_after)
            )
        elif self._resuming and (error.ref is None or error.ref in self._resuming):
            self._resume_answers.put_nowait(frame)  # the ref of a refused resume is the run id
        else:
            self._errors.put_nowait(error)

    def _finish(self) -> None:
        self.close_code = (
            self._ws.close_code if self._ws.close_code is not None else CloseCode.DROPPED
        )
        self.close_reason = self._ws.close_reason or ""
        self.closed_at = time.monotonic()
        self._closed.set()
        why = self._why_closed()
        for stream in self.streams.values():
            stream.end(why)
        for observer in self._observers:
            observer.socket_closed(self.name, self.close_code, self.close_reason, self.closed_at)

    def _why_closed(self) -> str:
        if self._failure is not None:
            return f"the driver failed reading {self.name}: {self._failure!r}"
        return describe_close(self.close_code or CloseCode.DROPPED, self.close_reason or "")

    def _closed_error(self) -> Exception:
        if self._failure is not None:
            return RuntimeError(self._why_closed())
        return SocketClosed(
            self.close_code or CloseCode.DROPPED, self.close_reason or "", who=self.name
        )

    async def _next(self, queue: asyncio.Queue[T], timeout: float, what: str) -> T:
        """The next item of a queue, or SocketClosed once the socket closed, or TimeoutError."""
        if not queue.empty():
            return queue.get_nowait()
        getter = asyncio.ensure_future(queue.get())
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({getter, closed}, timeout=timeout, return_when=FIRST_COMPLETED)
        finally:
            closed.cancel()
            if not getter.done():
                getter.cancel()
        if getter.done() and not getter.cancelled():
            return getter.result()
        if self._closed.is_set():
            raise self._closed_error()
        raise TimeoutError(f"{self.name} got no {what} within {timeout:g} s")


async def _small_window_socket(ws_url: str, receive_buffer_bytes: int) -> socket.socket:
    """A TCP connection whose receive buffer is set before it connects, so the window it
    offers stays that small."""
    url = urlsplit(ws_url)
    port = url.port or (443 if url.scheme == "wss" else 80)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer_bytes)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(sock, (url.hostname or "127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    return sock


def _parse(raw: str | bytes) -> Frame | None:
    if isinstance(raw, bytes):
        return None
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None


async def patiently_busy(
    attempt: Callable[[], Awaitable[T]], *, patience_s: float = BUSY_PATIENCE_S
) -> T:
    """`attempt()`, tried again after the Retry-After of each `busy` refusal of the handshake
    (a crowd at the door) for up to `patience_s`; any other refusal is raised at once."""
    give_up = time.monotonic() + patience_s
    while True:
        try:
            return await attempt()
        except HandshakeRefused as refused:
            wait = refused.retry_after
            busy = refused.code == ErrorCode.BUSY and wait is not None
            if not busy or wait is None or time.monotonic() + wait > give_up:
                raise
            await asyncio.sleep(wait)
