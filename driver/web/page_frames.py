"""What a web page's chat connections received, fed to the socket observers (the stream
verifier, the transcript) as if the driver's own socket had seen it.

The suite's own script in the page (`TRACK_SOCKETS`, driver/web/chat_page.py; the page ships no test
hook) lists each frame: `{kind: opened|sent|received|closed, socket: n, at: epoch seconds, text?,
code?, reason?}`. A reload starts a new list: `new_document()` then numbers its connections on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from driver.client.contract import CloseCode, SocketObserver


class PageFrames:
    """Reads a page's frame log incrementally and replays it to observers."""

    def __init__(self, name: str, observers: Sequence[SocketObserver]) -> None:
        self.name = name  # e.g. "Alice's browser tab 1"
        self.observers = observers
        self.seen = 0
        self.before = 0  # connections of the earlier documents (before reloads)
        self.highest = 0

    def socket_name(self, number: int) -> str:
        number += self.before
        return self.name if number <= 1 else f"{self.name} (connection {number})"

    def new_document(self) -> None:
        """The page was reloaded: its list starts again, its connections count on."""
        self.before += self.highest
        self.highest = 0
        self.seen = 0

    def feed(self, entries: Iterable[Mapping[str, Any]]) -> int:
        """Replay the entries not fed yet; returns how many were new."""
        fresh = list(entries)[self.seen :]
        # The page's clock is the wall clock; observers use the monotonic one.
        offset = time.monotonic() - time.time()
        for entry in fresh:
            self._replay(entry, float(entry.get("at", 0.0)) + offset)
        self.seen += len(fresh)
        return len(fresh)

    def _replay(self, entry: Mapping[str, Any], at: float) -> None:
        number = int(entry.get("socket", 1))
        self.highest = max(self.highest, number)
        socket = self.socket_name(number)
        kind = entry.get("kind")
        for observer in self.observers:
            if kind == "opened":
                observer.socket_opened(socket, at)
            elif kind == "sent":
                text = str(entry.get("text", ""))
                observer.frame_sent(socket, text, _parsed(text), at)
            elif kind == "received":
                text = str(entry.get("text", ""))
                frame = _parsed(text)
                if frame is None:
                    observer.frame_unreadable(socket, text, at)
                else:
                    observer.frame_received(socket, frame, at)
            elif kind == "closed":
                code = int(entry.get("code", CloseCode.DROPPED))
                observer.socket_closed(socket, code, str(entry.get("reason", "")), at)


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        frame = json.loads(text)
    except ValueError:
        return None
    return frame if isinstance(frame, dict) else None
