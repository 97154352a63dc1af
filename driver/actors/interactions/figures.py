"""Resolutions for `See` on the operator's figures: what they show against what the scenario
knows happened, each figure named in words and by its name on the operator's dashboard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.tasks.leaving import WatchedVisit
from driver.actors.tasks.operations import FIGURES_BEFORE
from driver.client.operations import Figures, increase

OPEN_CHATS = "chat_open_connections"
RUNNING = "chat_runs_in_flight"
QUEUED = "chat_runs_queued"
PLACES = "chat_open_chat_places"
POOLS = ("sessions", "hot_path")


def connections(pool: str, state: str) -> str:
    """The figure of one pool's PostgreSQL connections in that state (`in_use`, `open`)."""
    return f"chat_database_connections{{pool={pool},state={state}}}"


def kept(pool: str) -> str:
    """The figure of the most connections that pool keeps open when idle."""
    return f"chat_database_connections_kept{{pool={pool}}}"


def differences(
    figures: Figures, expected: Mapping[str, float], names: Mapping[str, str]
) -> list[str]:
    """Each figure that is not what was expected, in words."""
    return [
        f"{names[name]}: {figures.get(name, 'missing')}, not {value:g} ({name})"
        for name, value in expected.items()
        if figures.get(name) != value
    ]


@dataclass(frozen=True)
class FiguresRead:
    """Each figure reads exactly what is expected (`names`: each in words); `said` opens the
    message ("while they were there the operator saw")."""

    expected: Mapping[str, float]
    names: Mapping[str, str]
    said: str

    def problems(self, actor: Actor, answer: Figures) -> list[str]:
        wrong = differences(answer, self.expected, self.names)
        return [f"{self.said} " + "; ".join(wrong)] if wrong else []


def nothing_held(said: str) -> FiguresRead:
    """No chat open, no question running or waiting, no chat place held."""
    names = {
        OPEN_CHATS: "open chats",
        RUNNING: "questions running",
        QUEUED: "questions waiting",
        PLACES: "chat places held",
    }
    return FiguresRead(dict.fromkeys(names, 0.0), names, said)


@dataclass(frozen=True)
class NoDatabaseConnectionBeyondIdle:
    """No PostgreSQL connection in use, and no pool with more open than it keeps when idle."""

    said: str

    def problems(self, actor: Actor, answer: Figures) -> list[str]:
        in_use = {connections(pool, "in_use"): 0.0 for pool in POOLS}
        names = {
            connections(pool, state): f"{pool} connections {state.replace('_', ' ')}"
            for pool in POOLS
            for state in ("in_use", "open")
        }
        over_kept = [
            f"{pool}: {answer.get(connections(pool, 'open'))} connections open, more than the "
            f"{answer.get(kept(pool))} it keeps when idle"
            for pool in POOLS
            if answer.get(connections(pool, "open"), float("inf")) > answer.get(kept(pool), -1.0)
        ]
        wrong = differences(answer, in_use, names) + over_kept
        return [f"{self.said}: " + "; ".join(wrong)] if wrong else []


@dataclass(frozen=True)
class GrewBy:
    """Each figure grew by exactly its amount since the operator noted them (FIGURES_BEFORE);
    `names` says each in words."""

    expected: Mapping[str, float]
    names: Mapping[str, str]

    def problems(self, actor: Actor, answer: Figures) -> list[str]:
        before, found = actor.notes.read(FIGURES_BEFORE), []
        for name, by in self.expected.items():
            grew = increase(before, answer, name)
            if grew > by:
                found.append(
                    f"the operator's count of each {self.names[name]} grew by {grew:g}, "
                    f"not {by:g} ({name})"
                )
            elif grew < by:
                found.append(f"{self.names[name]} grew by {grew:g}, not {by:g} ({name})")
        return ["; ".join(found)] if found else []


@dataclass(frozen=True)
class GrewInAllBy:
    """The figures together grew by exactly `count` since the operator noted them
    (FIGURES_BEFORE); `what` names them."""

    figures: tuple[str, ...]
    count: float
    what: str

    def problems(self, actor: Actor, answer: Figures) -> list[str]:
        before = actor.notes.read(FIGURES_BEFORE)
        grew = sum(increase(before, answer, name) for name in self.figures)
        if grew == self.count:
            return []
        return [f"the operator saw {grew:g} more {self.what}, not {self.count:g}"]


@dataclass(frozen=True)
class FigureReads:
    """The figure `name` reads exactly `value`; `what` says it in words."""

    name: str
    value: float
    what: str

    def problems(self, actor: Actor, answer: Figures) -> list[str]:
        now = answer.get(self.name)
        if now == self.value:
            return []
        return [f"{self.what}: the operator sees {now}, not {self.value:g} ({self.name})"]


@dataclass(frozen=True)
class WhileTheyWereThere:
    """The figures the operator read while the crowd was there (WATCHED_VISIT) read exactly
    what is expected."""

    expected: Mapping[str, float]
    names: Mapping[str, str]

    def problems(self, actor: Actor, answer: WatchedVisit) -> list[str]:
        said = "while they were there the operator saw"
        return FiguresRead(self.expected, self.names, said).problems(actor, answer.during)


@dataclass(frozen=True)
class NothingLeft:
    """Nothing is still held; `said` opens the message ("chat places still held")."""

    said: str

    def problems(self, actor: Actor, answer: list[str]) -> list[str]:
        return [f"{self.said}: {len(answer)} ({answer[:3]})"] if answer else []
