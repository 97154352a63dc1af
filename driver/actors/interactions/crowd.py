"""What a customer of a crowd holds what they saw and what was stored for them to: only their own
progress, their own spend, their own question and answer."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.questions.answers import answer_text
from driver.actors.questions.crowd import Stored
from driver.actors.tasks.crowd import AS_A_CUSTOMER
from driver.client.contract import AGENT_COMPLETED, AGENT_STARTED, TimedEvent
from driver.oracle.answers import stated_total


@dataclass(frozen=True)
class SawOnlyTheirOwnProgressAndSpend:
    """For `See(TheAnswer(...), ...)`: their verifier's findings (isolation included) and the
    spend they were told, against their own."""

    def problems(self, actor: Actor, answer: TimedEvent) -> list[str]:
        found = actor.verifier.findings(require_finished=False)
        told, own = stated_total(answer_text(actor)), actor.notes.read(AS_A_CUSTOMER).spent
        if told != own:
            found.append(f"{actor.name} was told a spend of {told}, not their own {own}")
        return found


@dataclass(frozen=True)
class HoldsOnlyTheirOwnQuestionAndAnswer:
    """For `See(WhatWasStoredForThem(), ...)`: the conversation holds their question and the
    answer they saw, and the record is their run alone, in order, from start to answer."""

    def problems(self, actor: Actor, answer: Stored) -> list[str]:
        if answer.run_id is None:
            return [f"{actor.name} never asked"]
        found: list[str] = []
        question = actor.notes.read(AS_A_CUSTOMER).question
        if answer.said != [("user", question), ("assistant", answer_text(actor))]:
            found.append(f"{actor.name}'s stored conversation holds {answer.said}")
        log = answer.record
        strangers = [e for e in log if e.get("run_id") != answer.run_id]
        if strangers or [e.get("seq") for e in log] != list(range(1, len(log) + 1)):
            found.append(f"{actor.name}'s stored record is not their run alone, in order: {log}")
        elif (log[0].get("type"), log[-1].get("type")) != (AGENT_STARTED, AGENT_COMPLETED):
            found.append(f"{actor.name}'s stored record does not run from start to answer")
        return found
