"""Nobody waits in silence (issue 19): one task per instance makes sure that every run it holds,
waiting in line or working, tells its person something at least every second.

At 1,000 people asking at once, a question waiting for a slot heard nothing between its
`agent_started` (with its place) and its first step, for up to 3.4 s; a running answer fell
silent as long as its slowest step (a read of usage data under load, a slow writing model).
Now a run quiet for `quiet_s` is told, by the next tick, either its place in line (an
`agent_thinking` whose payload carries `queued: {"position": N}`: ../shared/PROTOCOL.md) or that
the assistant is still at work. The events are stored and numbered like any other
(docs/protocol-notes.md, issue 19): a person who catches up sees what the others saw.

One ticker for all runs, not a timer per run: at 1,000 queued people a tick is one pass over
the runs and, when someone waiting is due, one pass over the line for everyone's place.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from service.contract import EventType
from service.runs.admission import Admission, Place

log = logging.getLogger("service.runs")

# A run quiet this long is told something at the next tick: every person hears from their run
# at least every QUIET_S + TICK_S (0.65 s), plus the time to store and send it, under 1 s. With
# 0.5 s and a tick of 0.25 s the bound was 0.75 s, and at 1,000 at once the store and the send
# behind the crowd's events took the rest (the longest silence was 1.02 s); a tick is one pass
# over the runs (the speaking costs the same however often it is checked), so a shorter tick
# leaves the store more room at about the same number of events.
QUIET_S = 0.55
TICK_S = 0.1

# What a run at work says, by the stage of the tool it is running.
STILL = {
    "triage": "Still reading your question",
    "data": "Still reading your usage",
    "optimization": "Still looking for savings",
}
STILL_WORKING = "Still working on your question"


@dataclass(frozen=True)
class Said:
    """An event a run is told to emit."""

    type: EventType
    payload: dict[str, Any]
    step: str | None = None


class Speaker(Protocol):
    """A run's emitter, as the heartbeat needs it (service/runs/executor.py RunEmitter)."""

    last_at: float

    @property
    def stage(self) -> str | None: ...

    async def speak_up(self, say: Callable[[], Said | None], *, quiet_s: float) -> None: ...


def place_in_line(position: int) -> Said:
    return Said(
        EventType.AGENT_THINKING,
        {"text": f"You are number {position} in line", "queued": {"position": position}},
    )


def still_working(stage: str | None) -> Said:
    return Said(EventType.AGENT_THINKING, {"text": STILL.get(stage or "", STILL_WORKING)}, stage)


class Heartbeat:
    def __init__(
        self,
        admission: Admission,
        *,
        quiet_s: float = QUIET_S,
        tick_s: float = TICK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._admission = admission
        self.quiet_s = quiet_s
        self.tick_s = tick_s
        self._clock = clock
        self._runs: dict[uuid.UUID, tuple[Speaker, Place]] = {}
        self._speaking: dict[Speaker, asyncio.Task[None]] = {}
        self._someone = asyncio.Event()

    def watch(self, run_id: uuid.UUID, speaker: Speaker, place: Place) -> None:
        self._runs[run_id] = (speaker, place)
        self._someone.set()

    def forget(self, run_id: uuid.UUID) -> None:
        self._runs.pop(run_id, None)

    async def run(self) -> None:
        """Tick until cancelled (after the runs have drained); idle while there are no runs."""
        try:
            while True:
                if not self._runs:
                    self._someone.clear()
                    await self._someone.wait()
                await asyncio.sleep(self.tick_s)
                self.tick()
        finally:
            for task in list(self._speaking.values()):
                task.cancel()

    def tick(self) -> None:
        """Tell every run quiet for `quiet_s` to say something (each at most once at a time)."""
        now = self._clock()
        due = [
            (speaker, place)
            for speaker, place in self._runs.values()
            if now - speaker.last_at >= self.quiet_s and speaker not in self._speaking
        ]
        if any(place.waiting for _, place in due):
            self._admission.refresh_positions()
        for speaker, place in due:
            task = asyncio.create_task(self._speak(speaker, place))
            self._speaking[speaker] = task
            task.add_done_callback(functools.partial(self._spoken, speaker))

    def _spoken(self, speaker: Speaker, _: asyncio.Task[None]) -> None:
        self._speaking.pop(speaker, None)

    async def _speak(self, speaker: Speaker, place: Place) -> None:
        try:
            await speaker.speak_up(self._words(speaker, place), quiet_s=self.quiet_s)
        except Exception as exc:  # not stored (the database away): the run's own events say more
            log.info("a quiet run could not be told anything: %s", type(exc).__name__)

    @staticmethod
    def _words(speaker: Speaker, place: Place) -> Callable[[], Said | None]:
        def say() -> Said | None:
            # Decided when the run's turn to emit comes: it may have left the line meanwhile.
            if place.waiting:
                return place_in_line(place.position)
            if place.gone:  # it gave up in line (or ended): its agent_error says the rest
                return None
            return still_working(speaker.stage)

        return say
