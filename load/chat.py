"""A person's chat for Locust: one plain WebSocket (websocket-client, which cooperates with
gevent) and a reader greenlet that answers the server's pings and hands every frame, stamped on
arrival, to whoever is asking. Questions go through `ask`, which returns the `Question` (see
stream.py) with its timings and fate.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
import websocket
from gevent.queue import Empty, Queue

from load.contract import ClientType, CloseCode, ControlType, ErrorCode
from load.stream import Question, is_event

SUBPROTOCOL = "chat.v1"
HANDSHAKE_TIMEOUT_S = 30.0
# A handshake turned away as `busy` (503: too many opening the chat at once) is tried again after
# its Retry-After, for at most this long.
BUSY_STATUS = 503
BUSY_PATIENCE_S = 60.0


class ConnectRefused(Exception):
    """The handshake was refused: `fate` names how (HTTP status and error code, or the
    connection failing)."""

    def __init__(self, fate: str, come_back_in: float | None = None) -> None:
        super().__init__(fate)
        self.fate = fate
        self.come_back_in = come_back_in  # a `busy` refusal's Retry-After


@dataclass(frozen=True)
class Closed:
    code: int
    at: float


def ws_url(base_url: str) -> str:
    scheme, _, rest = base_url.rstrip("/").partition("://")
    return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"


def _refusal(error: websocket.WebSocketBadStatusException) -> str:
    return f"connect refused: HTTP {error.status_code} {_code(error)}".rstrip()


def _code(error: websocket.WebSocketBadStatusException) -> str:
    try:
        return str(json.loads(error.resp_body or b"{}").get("error", ""))
    except (ValueError, AttributeError):
        return ""


def _come_back_in(error: websocket.WebSocketBadStatusException) -> float | None:
    """The seconds a `busy` refusal (a crowd at the door) asks to wait, or None for any other."""
    if error.status_code != BUSY_STATUS or _code(error) != ErrorCode.BUSY:
        return None
    headers = {k.lower(): v for k, v in (error.resp_headers or {}).items()}
    try:
        return max(0.0, float(headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


class Chat:
    """Open with `open()`; `ask()` one question at a time; `close()` when the person leaves.
    `on_stray(what)` hears about what arrives while no question is open: an event of a run
    that already ended (a contract violation) or the chat closing (`closed <code>`)."""

    def __init__(self, base_url: str, access_token: str, on_stray: Callable[[str], None]) -> None:
        self.url = ws_url(base_url)
        self.access_token = access_token
        self.on_stray = on_stray
        self.ws: websocket.WebSocket | None = None
        self.inbox: Queue[tuple[dict[str, Any], float] | Closed] = Queue()
        self.asking: Question | None = None
        self.ended: set[str] = set()  # runs of questions no longer open
        self.closed: Closed | None = None
        self.leaving = False
        self._reader: gevent.Greenlet[Any, None] | None = None

    @property
    def is_open(self) -> bool:
        return self.ws is not None and self.closed is None

    def open(self) -> None:
        """The handshake; raises ConnectRefused. Turned away as `busy` (a crowd arriving at
        once), the person comes back after Retry-After, as the page does, for BUSY_PATIENCE_S."""
        give_up = time.monotonic() + BUSY_PATIENCE_S
        while True:
            try:
                return self._open_once()
            except ConnectRefused as refused:
                wait = refused.come_back_in
                if wait is None or time.monotonic() + wait > give_up:
                    raise
                gevent.sleep(wait)

    def _open_once(self) -> None:
        self.close()
        self.leaving, self.closed, self.inbox = False, None, Queue()
        try:
            self.ws = websocket.create_connection(
                self.url,
                timeout=HANDSHAKE_TIMEOUT_S,
                header=[f"Authorization: Bearer {self.access_token}"],
                subprotocols=[SUBPROTOCOL],
                suppress_origin=True,  # a program, not a browser: no Origin header
                enable_multithread=True,  # the reader and the asker share it (gevent locks)
            )
        except websocket.WebSocketBadStatusException as error:
            raise ConnectRefused(_refusal(error), _come_back_in(error)) from error
        except (OSError, websocket.WebSocketException) as error:
            raise ConnectRefused(f"connect failed: {type(error).__name__}") from error
        self.ws.settimeout(None)
        self._reader = gevent.spawn(self._read, self.ws)

    def _read(self, ws: websocket.WebSocket) -> None:
        try:
            while True:
                opcode, frame = ws.recv_data_frame(False)  # answers pings itself
                at = time.perf_counter()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    data = frame.data or b""
                    code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else CloseCode.NO_CODE
                    self._closed(Closed(code, at))
                    return
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    self._frame(frame.data, at)
        except (OSError, websocket.WebSocketException):
            self._closed(Closed(CloseCode.DROPPED, time.perf_counter()))

    def _frame(self, data: bytes | str, at: float) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            self.on_stray("a frame that is not JSON")
            return
        if not isinstance(frame, dict) or frame.get("type") == ControlType.PONG:
            return
        if self.asking is None and is_event(frame):
            kind, run = frame.get("type"), frame.get("run_id")
            if run in self.ended:
                self.on_stray(f"{kind} after its run's final event")
            else:
                self.on_stray(f"{kind} of a run never acked to this person")
            return
        self.inbox.put((frame, at))

    def _closed(self, closed: Closed) -> None:
        self.closed = closed
        if self.leaving:
            return
        if self.asking is None:
            self.on_stray(f"closed {closed.code}")
        self.inbox.put(closed)

    def ask(
        self, question: Question, text: str, timeout: float, asked_at: float | None = None
    ) -> Question:
        """Send the question and read until it ends (or `timeout` seconds pass). Times in the
        question are seconds since `asked_at` (a resend keeps the first ask's moment), by
        default since this send."""
        assert self.ws is not None
        self.asking = question
        try:
            frame = {"type": ClientType.SEND, "client_msg_id": question.client_msg_id, "text": text}
            sent = time.perf_counter()
            origin = sent if asked_at is None else asked_at
            try:
                self.ws.send(json.dumps(frame))
            except (OSError, websocket.WebSocketException):
                question.closed(CloseCode.DROPPED, sent - origin)
                return question
            deadline = sent + timeout
            while not question.over:
                try:
                    item = self.inbox.get(timeout=max(0.0, deadline - time.perf_counter()))
                except Empty:
                    question.gave_up(time.perf_counter() - origin)
                    break
                if isinstance(item, Closed):
                    question.closed(item.code, item.at - origin)
                else:
                    question.feed(item[0], item[1] - origin)
            return question
        finally:
            if question.run_id is not None:
                self.ended.add(question.run_id)
            self.asking = None

    def close(self) -> None:
        """Leave: a normal close (1000), reader stopped."""
        self.leaving = True
        if self._reader is not None:
            self._reader.kill(block=True)  # first: close() reads the server's close frame itself
            self._reader = None
        ws, self.ws = self.ws, None
        if ws is not None:
            try:
                ws.close(timeout=2)
            except (OSError, websocket.WebSocketException):
                pass
