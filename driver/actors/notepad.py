"""What a person remembers (screenpy's `Notes` and `noted_under`, typed): one notepad per actor,
written by the tasks they perform, read by the questions they answer.

    PREVIOUS_PASS = Note[Tokens]("her pass before the renewal")
    alice.notes.write(PREVIOUS_PASS, tokens)
    alice.notes.read(PREVIOUS_PASS)  # Tokens, for mypy too

A note's key is the object, so two notes with the same words never collide, and what is read has
the type the note was declared with. The scenario context keeps resources; memory lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Note(Generic[T]):
    """What is remembered, in the words a failure message uses."""

    about: str


class Notepad:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._notes: dict[Note[Any], object] = {}

    def write(self, note: Note[T], value: T) -> T:
        self._notes[note] = value
        return value

    def read(self, note: Note[T]) -> T:
        if note not in self._notes:
            raise AssertionError(f"{self.owner} does not remember {note.about}")
        return cast("T", self._notes[note])

    def has(self, note: Note[Any]) -> bool:
        return note in self._notes

    def forget(self) -> None:
        self._notes.clear()
