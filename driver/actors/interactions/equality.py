"""The plainest resolution: the answer is exactly what the scenario expects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from driver.actors.actor import Actor


@dataclass(frozen=True)
class IsEqualTo:
    """The answer equals `expected`; otherwise "{name} {saw} {answer}, expected {expected}", or
    `instead` (formatted with name, answer and expected) when the scenario words it its way."""

    expected: Any
    saw: str = "saw"
    instead: str | None = None

    def problems(self, actor: Actor, answer: object) -> list[str]:
        if answer == self.expected:
            return []
        if self.instead is not None:
            return [self.instead.format(name=actor.name, answer=answer, expected=self.expected)]
        return [f"{actor.name} {self.saw} {answer}, expected {self.expected}"]
