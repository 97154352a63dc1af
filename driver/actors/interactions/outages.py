"""Resolutions for `See` while something the service depends on is in trouble: how a person
was refused and confirmed, what readiness said, how long the routine took, how the chat opened,
how a question ended. Each says what the person expected against what the service did."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http import HTTPStatus

from driver.actors.actor import Actor
from driver.actors.questions.readiness import WhatTheServerSaid
from driver.actors.tasks.outages import (
    OPENED,
    USUAL_ROUTINE,
    ChatOpening,
    Persistence,
    Refusal,
    Routine,
)
from driver.client.contract import AGENT_COMPLETED, AGENT_ERROR, ErrorCode, TimedEvent, short_id
from driver.client.readiness import Readiness
from driver.client.stream import RunStream

# "At most about a second longer": a quarter second for a busy machine.
ABOUT_A_SECOND_S = 1.25


def listed(heading: str, problems: Sequence[str]) -> list[str]:
    """The problems under a heading, one a line (nothing if there are none)."""
    return [f"{heading}:", *(f"  - {p}" for p in problems)] if problems else []


def describe_final(run: RunStream) -> str:
    final = run.final
    if final is None:
        return f"no final event ({run.where_it_stopped()})"
    if final.type == AGENT_ERROR:
        return f"agent_error {final.payload.get('error')}: {final.payload.get('message')}"
    return f"{final.type} (run {short_id(run.run_id)})"


@dataclass(frozen=True)
class ToldEachTimeToTryAgain:
    """While a fault lasted (between start and end) each of their attempts, refused or not,
    was told to try again shortly, within `within_s`; `heading` says when ("While the
    database was down")."""

    start: float
    end: float | None
    within_s: float
    heading: str

    def problems(self, actor: Actor, answer: Persistence) -> list[str]:
        start, end = self.start, self.end

        def lasting(found: list[Refusal]) -> list[Refusal]:
            return [r for r in found if r.at >= start and (end is None or r.at < end)]

        who, during = actor.name, lasting(answer.refusals)
        found = [
            f"{who}'s chat was {c.code} ({c.message or 'no reason'}) after {c.waited_s:.2f} s, "
            f"instead of {who} being told to try again"
            for c in lasting(answer.closures)
        ]
        if not during:
            found.append(f"{who} was never told to try again while it lasted")
        for refusal in during:
            if refusal.code != ErrorCode.TEMPORARILY_UNAVAILABLE:
                found.append(f"{who} was refused with {refusal.code}: {refusal.message}")
            if refusal.waited_s > self.within_s:
                found.append(f"{who} waited {refusal.waited_s:.2f} s to be told to try again")
        return listed(self.heading, found)


@dataclass(frozen=True)
class ConfirmedOnlyAfter:
    """Their question was confirmed as stored only once `what` was back (at `back_at`)."""

    back_at: float | None
    what: str

    def problems(self, actor: Actor, answer: Persistence) -> list[str]:
        if answer.ack is None or self.back_at is None:
            return [f"{actor.name}'s question was not stored"]
        if answer.ack.at >= self.back_at:
            return []
        return [
            f"{actor.name}'s question was confirmed {self.back_at - answer.ack.at:.2f} s before "
            f"{self.what} came back: a confirmation {self.what} could not have stored"
        ]


@dataclass(frozen=True)
class SaidNotReadyEachTime:
    """Each answer to a probe sent while a dependency was away came within `within_s` and said
    "not ready" (except a probe sent in the last `within_s` before `end`, which may rightly see
    the dependency come back); `heading` says when."""

    end: float | None
    within_s: float
    heading: str

    def problems(self, actor: Actor, answer: list[Readiness]) -> list[str]:
        found = []
        if not answer:
            found.append("readiness was never asked while it lasted")
        for sample in answer:
            settled_before_the_end = self.end is None or sample.sent_at + self.within_s < self.end
            if sample.took_s > self.within_s:
                said = f"{sample.status} {sample.body}"
                found.append(f"readiness took {sample.took_s:.2f} s to answer ({said})")
            elif sample.status is None:
                found.append(f"readiness gave no answer within {sample.took_s:.2f} s")
            elif sample.status != HTTPStatus.SERVICE_UNAVAILABLE and settled_before_the_end:
                found.append(f"readiness answered {sample.status} {sample.body}")
        return listed(self.heading, found)


@dataclass(frozen=True)
class ReadyWith:
    """The server said it was ready (200) with exactly `body`; `within` (if given) is how long
    it was given to say so, `about` which server it is."""

    body: dict[str, str]
    within: float | None = None
    about: str = "the service"

    def problems(self, actor: Actor, answer: Readiness) -> list[str]:
        if (answer.status, answer.body) == (HTTPStatus.OK, self.body):
            return []
        said = f"readiness answered {answer.status} {answer.body} in {answer.took_s:.2f} s"
        if self.within is None:
            return [said]
        return [f"{self.about} was not ready with {self.body} within {self.within:g} s: {said}"]


@dataclass(frozen=True)
class ReadyAtOnce:
    """The server's very first readiness answer said ready with exactly `body`, given within
    `within` seconds (how long a process takes to start is the machine's business)."""

    service_url: str
    body: dict[str, str]
    within: float

    def problems(self, actor: Actor, answer: Readiness | None) -> list[str]:
        url = self.service_url
        if answer is None:
            return [f"{url} never answered readiness"]
        if (answer.status, answer.body) != (HTTPStatus.OK, self.body):
            return [f"{url} first said {answer.status} {answer.body}, not ready with {self.body}"]
        if answer.took_s > self.within:  # holding the answer back until it was ready
            return [
                f"{url} took {answer.took_s:.2f} s to say it was ready (at most {self.within:g} s)"
            ]
        return []


@dataclass(frozen=True)
class NotReadyAndStillRunning:
    """The starting server said "not ready" twice in a row, never "ready", and kept running."""

    service_url: str

    def problems(self, actor: Actor, answer: WhatTheServerSaid) -> list[str]:
        url = self.service_url
        if not answer.running:
            return [f"the server at {url} exited"]
        if HTTPStatus.OK in answer.statuses:
            return [f"the server at {url} said it was ready"]
        if answer.statuses[-2:] != [HTTPStatus.SERVICE_UNAVAILABLE] * 2:
            return [f"the server at {url} never said twice it was not ready: {answer.statuses}"]
        return []


@dataclass(frozen=True)
class AnAnswer:
    """Their last question ended with the answer."""

    def problems(self, actor: Actor, answer: TimedEvent) -> list[str]:
        if answer.type == AGENT_COMPLETED:
            return []
        return [f"{actor.name} got no answer: {describe_final(actor.asked_last())}"]


@dataclass(frozen=True)
class ARunErrorInvitingToAskAgain:
    """Their last question ended with `agent_error` `error` that invites them to ask again."""

    error: str

    def problems(self, actor: Actor, answer: TimedEvent) -> list[str]:
        payload = answer.payload
        if (answer.type, payload.get("error"), payload.get("retryable")) == (
            AGENT_ERROR,
            self.error,
            True,
        ):
            return []
        return [f"{actor.name} was told {describe_final(actor.asked_last())}"]


@dataclass(frozen=True)
class EachPartAtMostLongerThanUsual:
    """Each part of the routine took at most `margin` seconds longer than usual (USUAL_ROUTINE)."""

    margin: float = ABOUT_A_SECOND_S

    def problems(self, actor: Actor, answer: Routine) -> list[str]:
        usual = actor.notes.read(USUAL_ROUTINE).parts()
        slower = {
            part: (took, usual[part])
            for part, took in answer.parts().items()
            if took - usual[part] > self.margin
        }
        if not slower:
            return []
        parts = ", ".join(
            f"{part} ({took:.2f} s, usually {was:.2f} s)" for part, (took, was) in slower.items()
        )
        return [f"{actor.name} waited more than about a second longer than usual for {parts}"]


@dataclass(frozen=True)
class AllAtMostLongerThanUsual:
    """The whole routine took at most `margin` seconds longer than usual (USUAL_ROUTINE): after
    one slow failure the cache is skipped, so the routine pays about one timeout, not one per
    call (docs/resilience.md)."""

    margin: float = ABOUT_A_SECOND_S

    def problems(self, actor: Actor, answer: Routine) -> list[str]:
        parts, usual_parts = answer.parts(), actor.notes.read(USUAL_ROUTINE).parts()
        took, usual = sum(parts.values()), sum(usual_parts.values())
        if took - usual <= self.margin:
            return []
        each = ", ".join(f"{p} {t:.2f} s (usually {usual_parts[p]:.2f})" for p, t in parts.items())
        return [
            f"{actor.name}'s routine took {took:.2f} s in all, usually {usual:.2f} s: "
            f"every step paid for the stalled cache again ({each})"
        ]


@dataclass(frozen=True)
class EachPartWithin:
    """Each part of the routine took at most `seconds`."""

    seconds: float

    def problems(self, actor: Actor, answer: Routine) -> list[str]:
        slow = {part: took for part, took in answer.parts().items() if took > self.seconds}
        if not slow:
            return []
        return [
            f"{actor.name} waited too long for "
            + ", ".join(f"{part} ({took:.2f} s)" for part, took in slow.items())
        ]


@dataclass(frozen=True)
class OpenedOrToldToTryAgain:
    """They tried to open the chat while the fault lasted (`during`), and each time it opened
    or they were told to try again shortly."""

    during: Callable[[float], bool]

    def problems(self, actor: Actor, answer: list[ChatOpening]) -> list[str]:
        found = []
        if not [o for o in answer if self.during(o.at)]:
            found.append(f"{actor.name} never tried to open the chat during the outage: {answer}")
        unclear = [o.outcome for o in answer if not o.clear]
        if unclear:
            found.append(f"opening {actor.name}'s chat went wrong: {', '.join(unclear)}")
        return found


@dataclass(frozen=True)
class OpenedEveryTime:
    def problems(self, actor: Actor, answer: list[ChatOpening]) -> list[str]:
        failed = [o.outcome for o in answer if o.outcome != OPENED]
        return [f"{actor.name}'s chat did not open: {', '.join(failed)}"] if failed else []


@dataclass(frozen=True)
class OpenedAtLast:
    def problems(self, actor: Actor, answer: list[ChatOpening]) -> list[str]:
        last = answer[-1].outcome if answer else "never tried"
        return [] if last == OPENED else [f"{actor.name}'s chat did not open afterwards: {last}"]
