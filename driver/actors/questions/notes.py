"""Reading what a person noted (screenpy's `noted_under`), as a question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from driver.actors.actor import Actor
from driver.actors.notepad import Note

T = TypeVar("T")


@dataclass(frozen=True)
class TheNoted(Generic[T]):
    """What they noted under that note; a failure says what they do not remember."""

    note: Note[T]

    async def answered_by(self, actor: Actor) -> T:
        return actor.notes.read(self.note)
