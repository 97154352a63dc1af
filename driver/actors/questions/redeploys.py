"""What a person who kept asking through the restarts can find out: their conversation as
reopening it shows, against what they asked and were answered."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.questions.history import TheMessages
from driver.actors.tasks.redeploys import ASKED_THROUGH_RESTARTS
from driver.client.contract import AGENT_COMPLETED


@dataclass(frozen=True)
class KeptConversation:
    expected: list[tuple[str, str]]  # (role, text): each question, then the answer they saw
    stored: list[tuple[str, str]]  # what reopening the conversation shows


@dataclass(frozen=True)
class TheConversationTheyKeptAsking:
    """Their conversation as the service keeps it, and as it should be: each question they
    asked then the answer they saw (every connection counted)."""

    async def answered_by(self, actor: Actor) -> KeptConversation:
        expected: list[tuple[str, str]] = []
        for question in actor.notes.read(ASKED_THROUGH_RESTARTS).questions:
            expected.append(("user", question.text))
            events = [e for s in actor.chat.streams_of(question.run_id or "") for e in s.events]
            answer = next((e for e in events if e.type == AGENT_COMPLETED), None)
            if answer is not None:
                expected.append(("assistant", str(answer.payload.get("text"))))
        stored = [(m.role, m.text) for m in await actor.asks_for(TheMessages())]
        return KeptConversation(expected, stored)
