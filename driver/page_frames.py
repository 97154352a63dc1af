"""What a web page's chat connections received, fed to the socket observers (the stream
verifier, the transcript) as if the driver's own socket had seen it.

The page appends each frame to `window.__chatEvents` (service/web/static/chat.js):
`{kind: opened|sent|received|closed, socket: n, at: epoch seconds, text?, code?, reason?}`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from driver.contract import CloseCode, SocketObserver


class PageFrames:
    """Reads a page's frame log incrementally and replays it to observers."""

    def __init__(self, name: str, observers: Sequence[SocketObserver]) -> None:
        self.name = name  # e.g. "Alice's browser tab 1"
        self.observers = observers
        self.seen = 0

    def socket_name(self, number: int) -> str:
        return self.name if number <= 1 else f"{self.name} (connection {number})"

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
        socket = self.socket_name(int(entry.get("socket", 1)))
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
