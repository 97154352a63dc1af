"""What an attacker's attempts are held to: each garbled message explained in turn, a flood
cut off after its burst."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.tasks.attempts import Flood, garbled_in_a_row
from driver.client.models import ErrorFrame
from driver.oracle import refusals

# What is wrong with each garbled message, as a scenario says it (driver/oracle/refusals.py; the
# outline of features/security/the_chat_connection.feature lists the same).
GARBLED_PROBLEM: dict[str, str] = {
    "half a message": "the message cannot be read",
    "a message that is not text": "the message is incomplete or wrong",
    "a request of a kind that does not exist": "the request is of an unknown kind",
    "a question without its reference": "the message is incomplete or wrong",
    "a question whose words are a number": "the message is incomplete or wrong",
    "a question hiding an invisible null character": "the message is incomplete or wrong",
    "a number too large to store": "the message cannot be read",
    "a list instead of a request": "the message is incomplete or wrong",
    "a request nested a thousand levels deep": "the message cannot be read",
    "a question longer than the assistant reads": "the message is incomplete or wrong",
}


@dataclass(frozen=True)
class EachExplainedInTurn:
    """The explanations of `SendGarbledMessagesInARow(count)`'s messages: one each, in order,
    each saying what was wrong with that message, in words."""

    count: int

    def problems(self, actor: Actor, answer: list[ErrorFrame]) -> list[str]:
        names = garbled_in_a_row(self.count)
        found = []
        if len(answer) != self.count:
            found.append(f"{len(answer)} explanations for {self.count} messages")
        for number, (name, told) in enumerate(zip(names, answer, strict=False), start=1):
            expected = GARBLED_PROBLEM[name]
            if not refusals.is_refused_because(told, expected):
                found.append(
                    f"message {number} ({name}): told {refusals.reason(told)} ({told.code}), "
                    f"not that {expected}"
                )
            elif not told.message.strip():
                found.append(f"message {number} ({name}): {told.code} without a word of why")
        if not found:
            return []
        return [f"{actor.name}'s garbled messages:\n  - " + "\n  - ".join(found)]


@dataclass(frozen=True)
class CutOffForFlooding:
    """A flood (FloodTheChat) is told to slow down, then closed for flooding, with no more than
    a burst of `burst` taken, plus the `per_second` refill while it lasted; `taken` names
    what was taken, in words."""

    burst: int
    per_second: float
    taken: str

    def problems(self, actor: Actor, answer: Flood) -> list[str]:
        found = []
        if answer.slowed_down < 1:
            found.append(f"{actor.name} was never told to slow down: {answer}")
        try:
            refusals.expect_closed(
                answer.close_code, "of flooding", who=f"{actor.name}'s chat ({answer})"
            )
        except AssertionError as wrong:
            found.append(str(wrong))
        allowed = self.burst + int(self.per_second * answer.seconds)
        if answer.acked > allowed:
            found.append(
                f"{actor.name} got {answer.acked} {self.taken} in a flood, "
                f"{allowed} at most: {answer}"
            )
        return found
