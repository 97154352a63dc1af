"""Questions about delivery as a person's devices saw it: which server a device is on, how a
run ended on a device, what catching up sent, what is stored beside what they saw.

The exactness of every catch-up (each missed event once, in order, then live ones) is checked by
the StreamVerifier on every socket; these questions say what a scenario looks at, in words.
They return values; the checks are resolutions (interactions/delivery.py)."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.questions.history import TheRecordOfTheRun
from driver.client.contract import ControlType, Frame, TimedEvent, short_id
from driver.client.eventually import eventually

# Written by TryToCatchUp (tasks/delivery.py), read here: declared below the task so that
# questions never import tasks.
CATCH_UP_RUN = Note[str]("the question she asked to catch up on")


@dataclass(frozen=True)
class TheServerOf:
    """The service URL that device connects to."""

    device: str = DEFAULT_DEVICE

    async def answered_by(self, actor: Actor) -> str:
        ws_url = actor.chat.url_of(self.device)
        return "http" + ws_url.removeprefix("ws").removesuffix("/ws")


@dataclass(frozen=True)
class TheAnswerOn:
    """Their last run's final event on the device's latest connection (waited for)."""

    device: str = DEFAULT_DEVICE
    within: float = 10.0

    async def answered_by(self, actor: Actor) -> TimedEvent:
        run_id = actor.asked_last().run_id
        stream = actor.chat.connections_of(self.device)[-1].run(run_id)
        return await stream.wait_final(self.within, who=f"{actor.name}'s {self.device}")


@dataclass(frozen=True)
class TheStepsSeenOn:
    """The seqs of their last run the device received, over all its connections, in order."""

    device: str = DEFAULT_DEVICE

    async def answered_by(self, actor: Actor) -> list[int]:
        run_id = actor.asked_last().run_id
        return [e.seq for e in actor.chat.events_on(run_id, self.device) if e.seq is not None]


@dataclass(frozen=True)
class TheStepsNotOnceInOrderOn:
    """For each run (their last only, or every run they asked), the device (over all its
    connections) must have received every step the asking device saw, each once and in order
    (seq 1, 2, 3, ...); what it got wrong, per run, in words (empty: nothing)."""

    device: str
    last_only: bool = False

    async def answered_by(self, actor: Actor) -> list[str]:
        runs = [actor.asked_last().run_id] if self.last_only else actor.chat.runs_asked()
        return _not_once_in_order(actor, self.device, runs)


@dataclass(frozen=True)
class TheAnswersMissingOn:
    """Wait until the device has received the final event of every run they asked; the runs
    it still lacks after `within` seconds."""

    device: str
    within: float = 10.0

    async def answered_by(self, actor: Actor) -> list[str]:
        runs, device = actor.chat.runs_asked(), self.device

        def complete() -> bool:
            return not _missing(actor, device, runs)

        try:
            await eventually(complete, timeout=self.within, describe="answers kept missing")
        except AssertionError:
            pass  # what is still missing is the answer
        return _missing(actor, device, runs)


@dataclass(frozen=True)
class TheEventOfTool:
    """The first event of that type for that tool in their last run, as their device sees it
    (waited for)."""

    event_type: str
    tool: str
    within: float = 10.0

    async def answered_by(self, actor: Actor) -> TimedEvent:
        run, event_type, tool = actor.asked_last(), self.event_type, self.tool

        def seen() -> TimedEvent:
            for event in run.events:
                if event.type == event_type and event.payload.get("tool") == tool:
                    return event
            raise AssertionError(f"{actor.name} has seen {[e.describe() for e in run.events]}")

        found: TimedEvent = await eventually(
            seen, timeout=self.within, describe=f"{actor.name} never saw {event_type} {tool}"
        )
        return found


@dataclass(frozen=True)
class Replay:
    """What a device's latest connection got on catching up on a run: how far the device had
    seen it in order before, the service's last answer to catching up, the seqs after it."""

    who: str
    run_id: str
    seen_before: int
    answer: Frame | None
    after: list[int] = field(default_factory=list)

    @property
    def resumed(self) -> bool:
        return self.answer is not None and self.answer.get("type") == ControlType.RESUMED

    @property
    def announced(self) -> list[int]:
        """The seqs the `resumed` answer promised to resend (empty: none, or not resumed)."""
        if self.answer is None or not self.resumed:
            return []
        first, last = self.answer.get("from"), self.answer.get("to")
        if not isinstance(first, int) or not isinstance(last, int):
            return []
        return list(range(first, last + 1))


@dataclass(frozen=True)
class TheCatchUpOn:
    """How the device's latest connection caught up on their last run: waits up to `within`
    for the service to answer and to resend what it announced; the replay as it then stands."""

    device: str = DEFAULT_DEVICE
    within: float = 5.0

    async def answered_by(self, actor: Actor) -> Replay:
        def settled() -> Replay:
            replay = _replay(actor, self.device)
            if not replay.resumed or replay.after[: len(replay.announced)] != replay.announced:
                raise AssertionError(f"not yet: {replay}")
            return replay

        try:
            found: Replay = await eventually(
                settled, timeout=self.within, describe="the catch-up did not settle"
            )
        except AssertionError:
            return _replay(actor, self.device)  # as it stands: the check says what is wrong
        return found


@dataclass(frozen=True)
class TheStepsSentAfterCatchingUp:
    """Events of the run they asked to catch up on (CATCH_UP_RUN) that any of their connections
    received after asking."""

    async def answered_by(self, actor: Actor) -> list[Frame]:
        run_id = actor.notes.read(CATCH_UP_RUN)
        sent: list[Frame] = []
        for socket in actor.chat.connections():
            asked = False
            for _, frame in socket.received:
                if frame.get("run_id") != run_id and frame.get("ref") != run_id:
                    continue
                if frame.get("type") in (
                    ControlType.RESUMED,
                    ControlType.RESYNC_REQUIRED,
                    ControlType.ERROR,
                ):
                    asked = True
                elif asked:
                    sent.append(frame)
        return sent


@dataclass(frozen=True)
class SeenAndKept:
    """Their last run's steps as they saw them live, beside its stored record."""

    seen: list[tuple[int | None, str]]
    stored: list[dict[str, Any]]

    @property
    def kept(self) -> list[tuple[Any, Any]]:
        return [(e.get("seq"), e.get("type")) for e in self.stored]


@dataclass(frozen=True)
class TheRecordBesideWhatTheySaw:
    """Their last run, once it ended: the steps they saw live and its stored record."""

    async def answered_by(self, actor: Actor) -> SeenAndKept:
        run = actor.asked_last()
        await run.wait_final(actor.chat.timeout, who=actor.name)
        stored = await actor.asks_for(TheRecordOfTheRun(run.run_id))
        return SeenAndKept([(e.seq, e.type) for e in run.events], stored)


def _missing(actor: Actor, device: str, run_ids: list[str]) -> list[str]:
    """Runs among `run_ids` whose final event the device never received."""
    return [r for r in run_ids if not any(e.is_final for e in actor.chat.events_on(r, device))]


def _not_once_in_order(actor: Actor, device: str, run_ids: list[str]) -> list[str]:
    problems = []
    others = [d for d in actor.chat.sockets if d != device]
    for run_id in run_ids:
        got = [e.seq for e in actor.chat.events_on(run_id, device)]
        steps = max((len(actor.chat.events_on(run_id, d)) for d in others), default=len(got))
        if got != list(range(1, steps + 1)):
            problems.append(
                f"question {short_id(run_id)}: received steps {got}, not 1 to {steps} once each"
            )
    return problems


def _replay(actor: Actor, device: str) -> Replay:
    run = actor.asked_last()
    connections = actor.chat.connections_of(device)
    earlier = {
        e.seq
        for s in connections[:-1]
        if run.run_id in s.streams
        for e in s.streams[run.run_id].events
    }
    seen_before = 0
    while seen_before + 1 in earlier:
        seen_before += 1
    latest = connections[-1]
    answers = [
        f
        for _, f in latest.received
        if f.get("type") in (ControlType.RESUMED, ControlType.RESYNC_REQUIRED)
        and f.get("run_id") == run.run_id
    ]
    after: list[int] = []
    resumed = False
    for _, frame in latest.received:
        if frame.get("run_id") != run.run_id:
            continue
        if frame.get("type") == ControlType.RESUMED:
            resumed = True
        elif resumed and isinstance(frame.get("seq"), int):
            after.append(frame["seq"])
    return Replay(
        f"{actor.name}'s {device}",
        run.run_id,
        seen_before,
        answers[-1] if answers else None,
        after,
    )
