"""Asking the same question again, remembering the first answer."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.actors.questions.answers import answer_text
from driver.actors.tasks.conversation import Ask

FIRST_ANSWER = Note[str]("the answer she was given the first time")


@dataclass(frozen=True)
class AskTheSameAgain:
    """Ask their last question again, in a new conversation; the answer to it is noted as
    FIRST_ANSWER."""

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(FIRST_ANSWER, answer_text(actor))
        question = actor.asked_last().question
        if question is None:
            raise AssertionError(f"{actor.name} has not asked anything yet")
        await actor.attempts_to(Ask(question))
