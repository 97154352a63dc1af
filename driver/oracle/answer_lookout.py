"""Invariant 5 at the instant it matters: the moment a person's device sees `agent_completed`,
a read of their history already holds that answer (chat.v1 sends it only after the commit).

A socket observer: the read is started from the socket's reader as the frame arrives (no
waiting, no `eventually`), so a service that announces an answer first and stores it after is
caught while the store is still on its way. What the read found goes to the person's verifier;
a read that cannot be made (signed out, the service down) proves nothing and is only noted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

from driver.client.contract import AGENT_COMPLETED, Frame
from driver.client.models import Message
from driver.oracle.verifier import StreamVerifier

ReadThread = Callable[[str], Awaitable[Sequence[Message]]]
# A read slower than this is left unjudged rather than keeping the scenario waiting.
READ_TIMEOUT_S = 10.0


class AnswerLookout:
    """Reads the thread of each answer the moment its `agent_completed` arrives (once a run)."""

    def __init__(
        self,
        verifier: StreamVerifier,
        read: ReadThread,
        note: Callable[[str], None],
    ) -> None:
        self._verifier = verifier
        self._read = read
        self._note = note
        self.enabled = True
        self._reads: dict[str, asyncio.Task[None]] = {}  # run_id -> its read
        # run_id -> what the read found: "held" (the answer was there), "missing", or why
        # no read could be made ("unread: ...").
        self.found: dict[str, str] = {}

    async def settled(self, run_id: str | None = None, *, within: float | None = None) -> None:
        """Wait for the reads started so far (that run's only, if given) to be judged, for at
        most `within` seconds (a read still going on is judged later: `CheckEverythingSeen`)."""
        reads = [t for r, t in self._reads.items() if run_id is None or r == run_id]
        if reads:
            await asyncio.wait(reads, timeout=within)

    # -- SocketObserver
    def frame_received(self, socket: str, frame: Frame, at: float) -> None:
        if not self.enabled or frame.get("type") != AGENT_COMPLETED:
            return
        run_id, thread_id = frame.get("run_id"), frame.get("thread_id")
        if not isinstance(run_id, str) or not isinstance(thread_id, str) or run_id in self._reads:
            return
        answer_id = (frame.get("payload") or {}).get("final_message_id")
        self._reads[run_id] = asyncio.create_task(self._look(run_id, thread_id, answer_id))

    def socket_opened(self, socket: str, at: float) -> None:
        pass

    def frame_sent(self, socket: str, text: str, frame: Frame | None, at: float) -> None:
        pass

    def frame_unreadable(self, socket: str, raw: str | bytes, at: float) -> None:
        pass

    def socket_closed(self, socket: str, code: int, reason: str, at: float) -> None:
        pass

    async def _look(self, run_id: str, thread_id: str, answer_id: object) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                messages = await self._read(thread_id)
        except Exception as exc:  # no read, no verdict (signed out, the service down...)
            self.found[run_id] = f"unread: {exc!r}"
            with contextlib.suppress(Exception):
                self._note(f"could not read the history as an answer arrived: {exc!r}")
            return
        held = any(m.message_id == answer_id for m in messages)
        self.found[run_id] = "held" if held else "missing"
        self._verifier.check_answer_visible(run_id, messages, on_arrival=True)
