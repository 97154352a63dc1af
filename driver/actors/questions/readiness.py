"""What the operator can find out about a server's readiness: one answer, the answer once it
says what is expected (or the last one when time is up), what a watch saw. Questions only
answer; driver/actors/interactions/outages.py holds the answers to the promises."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.client.eventually import eventually
from driver.client.readiness import Readiness, ReadinessWatch, readiness

# `instance` (not draining) and `runs` (the line of questions not wedged) are ok in both;
# "instance" is "draining" once an operator takes the server out of rotation before a restart.
HEALTHY = {"postgres": "ok", "redis": "ok", "live_delivery": "ok", "instance": "ok", "runs": "ok"}
# Without Redis, events and sign-outs from the other instances cannot arrive either.
CACHE_DEGRADED = {**HEALTHY, "redis": "degraded", "live_delivery": "degraded"}


@dataclass(frozen=True)
class TheReadiness:
    """One readiness answer of the server at `service_url`."""

    service_url: str

    async def answered_by(self, actor: Actor) -> Readiness:
        return await readiness(actor.api.session, self.service_url)


@dataclass(frozen=True)
class TheReadinessOnceReady:
    """Asked again and again: the first answer that is 200 with exactly `body`, or the last
    answer when `within` seconds have passed."""

    service_url: str
    body: dict[str, str]
    within: float

    async def answered_by(self, actor: Actor) -> Readiness:
        answers: list[Readiness] = []

        async def ready() -> bool:
            answers.append(await readiness(actor.api.session, self.service_url))
            return (answers[-1].status, answers[-1].body) == (HTTPStatus.OK, self.body)

        try:
            await eventually(ready, timeout=self.within, interval=0.1, describe="ready")
        except AssertionError:
            pass  # the last answer says what it was instead
        return answers[-1]


@dataclass(frozen=True)
class TheReadinessAnswersBetween:
    """The answers the watch noted under `watched` got to the probes it sent within
    [start, end), once those still on their way have arrived."""

    watched: Note[ReadinessWatch]
    start: float
    end: float | None

    async def answered_by(self, actor: Actor) -> list[Readiness]:
        watch = actor.notes.read(self.watched)
        await watch.settle()
        return watch.between(self.start, self.end)


@dataclass(frozen=True)
class TheFirstReadinessAnswer:
    """The first answer the watched server gave (waiting up to `within` seconds for one, and
    for the probes sent earlier still on their way); None if it never answered."""

    watched: Note[ReadinessWatch]
    within: float

    async def answered_by(self, actor: Actor) -> Readiness | None:
        watch = actor.notes.read(self.watched)

        def answered() -> bool:
            return bool(watch.answered())

        try:
            await eventually(answered, timeout=self.within, interval=0.1, describe="answers")
        except AssertionError:
            return None
        await watch.settle()  # a probe sent earlier may still be on its way
        return watch.answered()[0]


@dataclass(frozen=True)
class WhatTheServerSaid:
    """Its readiness answers, in order, and whether it was still running."""

    answers: list[Readiness]
    running: bool

    @property
    def statuses(self) -> list[int | None]:
        return [a.status for a in self.answers]


@dataclass(frozen=True)
class WhatTheStartingServerSays:
    """What the watched server said until it either said "not ready" twice in a row, said
    "ready", or stopped running (`still_running`), or `within` seconds passed."""

    watched: Note[ReadinessWatch]
    still_running: Callable[[], bool]
    within: float

    async def answered_by(self, actor: Actor) -> WhatTheServerSaid:
        watch = actor.notes.read(self.watched)

        def settled() -> bool:
            statuses = [s.status for s in watch.answered()]
            return (
                not self.still_running()
                or HTTPStatus.OK in statuses
                or statuses[-2:] == [HTTPStatus.SERVICE_UNAVAILABLE] * 2
            )

        try:
            await eventually(settled, timeout=self.within, interval=0.1, describe="said")
        except AssertionError:
            pass  # what it said so far tells
        return WhatTheServerSaid(watch.answered(), self.still_running())
