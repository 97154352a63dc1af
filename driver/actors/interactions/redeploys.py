"""Resolutions for `See` after a redeploy: each question answered once, the conversation whole,
the chat back after every restart that closed it."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.questions.redeploys import KeptConversation
from driver.actors.tasks.redeploys import Asking
from driver.client.contract import AGENT_COMPLETED, CloseCode


@dataclass(frozen=True)
class EachAnsweredOnce:
    """Each question they asked and saw confirmed ended once, with the answer (every connection
    of the device counted)."""

    def problems(self, actor: Actor, answer: Asking) -> list[str]:
        found = []
        for number, question in enumerate(answer.questions, start=1):
            said = f"{actor.name}'s question {number} ({question.text!r})"
            if question.run_id is None:
                found.append(f"{said} was never confirmed")
                continue
            seen = {e.seq: e for s in actor.chat.streams_of(question.run_id) for e in s.events}
            ends = [e for e in seen.values() if e.is_final]
            if not ends:
                found.append(f"{said} never ended")
            elif len(ends) > 1:
                found.append(f"{said} ended {len(ends)} times: {[e.describe() for e in ends]}")
            elif ends[0].type != AGENT_COMPLETED:
                why = ends[0].payload.get("error")
                happened = "was interrupted" if why == "interrupted" else f"ended with {why}"
                found.append(f"{said} {happened} instead of answered")
        return found


@dataclass(frozen=True)
class HoldsEachQuestionAndAnswerOnce:
    """Their conversation holds each question then its answer, once."""

    def problems(self, actor: Actor, answer: KeptConversation) -> list[str]:
        stored, expected = answer.stored, answer.expected
        if stored == expected:
            return []
        twice = sorted({message[1][:60] for message in stored if stored.count(message) > 1})
        missing = [message[1][:60] for message in expected if message not in stored]
        said = f"{actor.name}'s conversation holds {len(stored)} messages, not {len(expected)}"
        return [f"{said}; twice: {twice}; missing: {missing}"]


@dataclass(frozen=True)
class CameBackAfterEachRestart:
    """A restart closed their chat (every server was restarted), as going away, and they came
    back; and nothing they saw broke the contract (the verifier: each event once, in order, no
    gap, whichever server sent it)."""

    def problems(self, actor: Actor, answer: Asking) -> list[str]:
        found = []
        if not answer.closes:
            found.append(f"{actor.name}'s chat was never closed by a restart")
        cut = [code for code in answer.closes if code != CloseCode.GOING_AWAY]
        if cut:
            found.append(
                f"{actor.name}'s chat was cut off ({cut}) instead of being told the server was "
                "going away"
            )
        if answer.closes and len(actor.chat.connections()) < 2:
            found.append(f"{actor.name}'s chat never came back after it closed")
        found += actor.verifier.findings(require_finished=False)
        return found
