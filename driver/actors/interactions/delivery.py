"""What delivery is held to, in the scenario's words: a device caught up once and in order, a
repeat confirmed as already arrived, a question that ended the way the person was told, a
stored record that keeps what they saw. Resolutions for `See` (see.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from driver.actors.actor import Actor
from driver.actors.questions.delivery import Replay, SeenAndKept
from driver.actors.tasks.delivery import FIRST_CONFIRMATION
from driver.client.contract import AGENT_ERROR, EventType, TimedEvent, short_id
from driver.client.models import Ack


@dataclass(frozen=True)
class CaughtUpOnceInOrder:
    """The device's latest connection resumed the run right after what the device had seen
    before, then received every seq the replay announced, and every seq from there on exactly
    once, in order. `several`: at least two steps were resent; `nothing_again`: none was."""

    several: bool = False
    nothing_again: bool = False

    def problems(self, actor: Actor, answer: Replay) -> list[str]:
        who, frame = answer.who, answer.answer
        if frame is None or not answer.resumed:
            return [f"{who} was not resumed on run {short_id(answer.run_id)}: {frame}"]
        first, last = frame.get("from"), frame.get("to")
        if first != answer.seen_before + 1 or not isinstance(last, int):
            return [f"{who} had seen up to seq {answer.seen_before} but was resumed {frame}"]
        after = answer.after
        if after != list(range(first, first + len(after))):
            return [f"{who} received seqs {after} after resuming from {first}"]
        replayed = answer.announced
        if after[: len(replayed)] != replayed:
            return [f"{who} was promised seqs {first}..{last} but got {after}"]
        if self.several and len(replayed) < 2:
            return [f"{who} missed only {replayed}, not several steps"]
        if self.nothing_again and replayed:
            return [f"{who} was sent again seqs {replayed}"]
        return []


@dataclass(frozen=True)
class ToldAlreadyArrived:
    """A repeated question's confirmation says it had already arrived; `same_as_before`: with
    the conversation, message and answer of the first confirmation (FIRST_CONFIRMATION)."""

    same_as_before: bool = False

    def problems(self, actor: Actor, answer: Ack) -> list[str]:
        if self.same_as_before and not actor.notes.has(FIRST_CONFIRMATION):
            return [f"{actor.name} had asked nothing before"]
        if not answer.duplicate:
            return [f"{actor.name}'s repeat was taken as a new question"]
        if not self.same_as_before:
            return []
        first = actor.notes.read(FIRST_CONFIRMATION)
        same = (first.thread_id, first.message_id, first.run_id)
        if (answer.thread_id, answer.message_id, answer.run_id) != same:
            return [f"{actor.name}'s repeat was confirmed as {answer}, not as {first}"]
        return []


@dataclass(frozen=True)
class Failed:
    """The question ended in failure with that error; its message `mentioning` a word, and
    `retryable` as given (None: either)."""

    error: str
    mentioning: str | None = None
    retryable: bool | None = None
    who: str | None = None  # whose device, when not the person's own answer

    def problems(self, actor: Actor, answer: TimedEvent) -> list[str]:
        if answer.type != AGENT_ERROR:
            return [f"the assistant did not fail: it ended with {answer.describe()}"]
        error = str(answer.payload.get("error"))
        message = str(answer.payload.get("message"))
        wrong = (
            error != self.error
            or (self.mentioning is not None and self.mentioning not in message)
            or (self.retryable is not None and answer.payload.get("retryable") != self.retryable)
        )
        return [f"{self.who or actor.name} was told {error}: {message}"] if wrong else []


def _failed_step(stored: list[dict[str, Any]]) -> bool:
    return any(
        e.get("type") == EventType.TOOL_COMPLETED and e["payload"].get("status") == "error"
        for e in stored
    )


def _finished_step(stored: list[dict[str, Any]]) -> bool:
    done = [e for e in stored if e.get("type") == EventType.TOOL_COMPLETED]
    return any(e["payload"].get("status") == "ok" for e in done)


def _ends_with_answer(stored: list[dict[str, Any]]) -> bool:
    return bool(stored) and stored[-1].get("type") == EventType.AGENT_COMPLETED


@dataclass(frozen=True)
class KeepsWhatTheySaw:
    """The stored record holds exactly the events they saw live, and shows what `shows` says
    (`the failed step`, `the steps finished before that`, `the answer at the end`)."""

    shows: str

    def __post_init__(self) -> None:
        if self.shows not in _SHOWS:
            raise ValueError(f"a record is checked to show one of {sorted(_SHOWS)}")

    def problems(self, actor: Actor, answer: SeenAndKept) -> list[str]:
        if answer.kept != answer.seen:
            return [f"{actor.name} saw {answer.seen} but the record keeps {answer.kept}"]
        holds: Callable[[list[dict[str, Any]]], bool] = _SHOWS[self.shows]
        if holds(answer.stored):
            return []
        kinds = [e.get("type") for e in answer.stored]
        return [f"the record of {actor.name}'s question does not show {self.shows}: {kinds}"]


_SHOWS: dict[str, Callable[[list[dict[str, Any]]], bool]] = {
    "the failed step": _failed_step,
    "the steps finished before that": _finished_step,
    "the answer at the end": _ends_with_answer,
}
