"""Per socket: while a `resume` is being answered, live events wait; afterwards, live events a
replay already sent are not sent again.

Together with the order of a replay (hold, read the top, read the events, queue them, release),
this makes a resumed run arrive exactly once and in order: an event published before the hold is
in the store when the replay reads it; one published after it is held, and dropped on release if
the replay covered it. Holding every run (not only the resumed ones) also keeps live events from
competing with a long replay for room in the socket's outbox.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import Any

# Live events one socket may have held back while it replays; past that it is too slow.
HELD_FRAMES = 1000


class Verdict(Enum):
    """What the gate does with a live event (the runs' line is `Admission`, runs/admission.py)."""

    SEND = auto()  # send it now
    HELD = auto()  # kept until the replay in progress is queued
    ALREADY_SENT = auto()  # a replay on this socket already sent it
    OVERFLOW = auto()  # too many held: the socket cannot keep up


class ReplayGate:
    def __init__(self) -> None:
        self._held: list[dict[str, Any]] | None = None  # a list while a resume is answered
        self._sent_to: dict[str, int] = {}  # run_id -> last seq a replay sent on this socket

    def admit(self, frame: dict[str, Any]) -> Verdict:
        if self._held is not None:
            if len(self._held) >= HELD_FRAMES:
                return Verdict.OVERFLOW
            self._held.append(frame)
            return Verdict.HELD
        run_id, seq = frame.get("run_id"), frame.get("seq")
        if isinstance(run_id, str) and isinstance(seq, int) and seq <= self._sent_to.get(run_id, 0):
            return Verdict.ALREADY_SENT
        return Verdict.SEND

    def hold(self) -> None:
        if self._held is None:
            self._held = []

    def release(self, replayed_to: dict[str, int]) -> list[dict[str, Any]]:
        """End the hold; `replayed_to` maps each replayed run to the last seq its replay queued.
        Returns the held events no replay covered, in the order they came."""
        held, self._held = self._held or [], None
        for run_id, seq in replayed_to.items():
            self._sent_to[run_id] = max(self._sent_to.get(run_id, 0), seq)
        return [frame for frame in held if self.admit(frame) is Verdict.SEND]
