"""Tasks of finding earlier conversations: opening the history, picking one conversation out
of it, reopening the current one. What was shown is noted for the checks that follow."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.actors.questions.history import TheirConversations, TheMessages
from driver.client.errors import ApiError
from driver.client.models import Message, Thread

CONVERSATIONS_SHOWN = Note[list[Thread]]("the conversations her history showed")
HISTORY_REFUSED = Note[ApiError | None]("whether opening her history was refused")
CONVERSATION_PICKED = Note[Thread]("the conversation she picked from her history")
REOPENED = Note[list[Message]]("what the conversation she reopened held")


@dataclass(frozen=True)
class OpenTheirHistory:
    """Open their list of conversations (at most `limit` at once); what it showed is noted
    under CONVERSATIONS_SHOWN, the refusal (or None) under HISTORY_REFUSED."""

    limit: int | None = None

    async def perform_as(self, actor: Actor) -> None:
        try:
            shown = await actor.asks_for(TheirConversations(self.limit))
        except ApiError as refusal:
            actor.note(f"could not open her history: {refusal.code}", kind="error")
            actor.notes.write(HISTORY_REFUSED, refusal)
            return
        actor.notes.write(CONVERSATIONS_SHOWN, shown)
        actor.notes.write(HISTORY_REFUSED, None)


@dataclass(frozen=True)
class PickTheConversation:
    """Pick the conversation of that title among those their history showed (noted under
    CONVERSATION_PICKED); an AssertionError if it showed none of that title."""

    title: str

    async def perform_as(self, actor: Actor) -> None:
        shown = actor.notes.read(CONVERSATIONS_SHOWN)
        picked = next((t for t in shown if t.title == self.title), None)
        if picked is None:
            raise AssertionError(f"{actor.name}'s history shows no {self.title!r}")
        actor.notes.write(CONVERSATION_PICKED, picked)


@dataclass(frozen=True)
class ReopenTheConversation:
    """Reopen their current conversation; what it held is noted under REOPENED."""

    async def perform_as(self, actor: Actor) -> None:
        actor.notes.write(REOPENED, await actor.asks_for(TheMessages()))
