"""Questions about the assistant's answer to an actor's last question, and what they saw of it.

An answer must already be in the history when it arrives (invariant 5), and any contract
violation of the run fails the question, in business words."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.client.contract import AGENT_COMPLETED, AGENT_ERROR, TimedEvent
from driver.client.stream import RunStream, StreamStalled

LOOKOUT_WAIT_S = 2.0


@dataclass(frozen=True)
class TheAnswer:
    """The last question's final event (an answer or an error), waited for up to `within`
    seconds (default: the actor's patience). It fails on a broken chat.v1 contract: those are
    the always-on oracle's findings (their StreamVerifier), kept here so that no answer is read
    unchecked; what the answer should say is a resolution's, for `See`."""

    within: float | None = None

    async def answered_by(self, actor: Actor) -> TimedEvent:
        run = actor.asked_last()
        limit = actor.chat.timeout if self.within is None else self.within
        try:
            final = await run.wait_final(limit, who=actor.name)
        except StreamStalled as exc:
            raise StreamStalled(f"{exc}\n{_transcript_tail(actor)}") from None
        # The read made as the answer arrived (a server too frozen to answer it soon is left
        # for the end of the scenario rather than slow this question down).
        await actor.lookout.settled(run.run_id, within=LOOKOUT_WAIT_S)
        due = dict(actor.verifier.answers_to_check())
        if final.type == AGENT_COMPLETED and run.run_id in due:
            messages = await actor.api.messages(actor.access_token, due[run.run_id])
            actor.verifier.check_answer_visible(run.run_id, messages)
        problems = actor.verifier.findings(require_finished=False, run_id=run.run_id)
        if problems:
            listed = "\n".join(f"  - {p}" for p in problems)
            raise AssertionError(f"{actor.name}'s answer broke the chat.v1 contract:\n{listed}")
        return final


@dataclass(frozen=True)
class TheRunAsked:
    """Their last question, as the device they asked on follows it."""

    async def answered_by(self, actor: Actor) -> RunStream:
        return actor.asked_last()


@dataclass(frozen=True)
class WhatTheHistoryHeldOnArrival:
    """What a read of their history, started the moment the last question's answer arrived,
    found: "held" (the answer was there), "missing", or "unread: why"
    (driver/oracle/answer_lookout.py)."""

    async def answered_by(self, actor: Actor) -> str:
        run = actor.asked_last()
        await actor.lookout.settled(run.run_id)
        return actor.lookout.found.get(run.run_id, "unread: no answer arrived")


@dataclass(frozen=True)
class TheAnswerSinceAsking:
    """The last question's final event, seen within `seconds` of asking (then checked as
    TheAnswer checks it)."""

    seconds: float

    async def answered_by(self, actor: Actor) -> TimedEvent:
        await actor.asked_last().wait_since_asked(None, self.seconds, who=actor.name)
        return await TheAnswer(0.0).answered_by(actor)


@dataclass(frozen=True)
class TheFirstEventSinceAsking:
    """The first event of that type in the last run, seen within `seconds` of asking."""

    event_type: str
    seconds: float

    async def answered_by(self, actor: Actor) -> TimedEvent:
        run = actor.asked_last()
        return await run.wait_since_asked(self.event_type, self.seconds, who=actor.name)


@dataclass(frozen=True)
class TheEvent:
    """The first event of that type in the last run (already seen or still to come)."""

    event_type: str
    within: float | None = None

    async def answered_by(self, actor: Actor) -> TimedEvent:
        limit = actor.chat.timeout if self.within is None else self.within
        return await actor.asked_last().wait_for(self.event_type, limit, who=actor.name)


@dataclass(frozen=True)
class TheAnswerText:
    """The text of the answer (not an error): the one already received, or, given `within`,
    the one waited for and checked as TheAnswer checks it."""

    within: float | None = None

    async def answered_by(self, actor: Actor) -> str:
        if self.within is not None:
            await TheAnswer(self.within).answered_by(actor)
        return answer_text(actor)


@dataclass(frozen=True)
class TheKindsOfEventSeen:
    """The types of the last run's events, in the order they were seen."""

    async def answered_by(self, actor: Actor) -> list[str]:
        return actor.asked_last().types()


def answer_text(actor: Actor) -> str:
    """The text of the answer to their last question; fails if none came or it was an error."""
    run = actor.asked_last()
    final = run.final
    if final is None:
        raise AssertionError(f"{actor.name} has no answer yet ({run.where_it_stopped()})")
    if final.type == AGENT_ERROR:
        payload = final.payload
        raise AssertionError(
            f"{actor.name} was told the assistant failed ({payload.get('error')}: "
            f"{payload.get('message')}) instead of getting an answer"
        )
    return str(final.payload.get("text"))


def _transcript_tail(actor: Actor, lines: int = 15) -> str:
    tail = actor.transcript.render().splitlines()[-lines:]
    return "Transcript (latest lines):\n" + "\n".join(tail)
