"""What a person can tell from their sign-ins: how the last one went, and the ones they made side
by side with someone else's."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.tasks.accounts import ACCOUNT_REFUSAL, SIGN_INS_SIDE_BY_SIDE
from driver.client.errors import ApiError
from driver.oracle import sign_in_answers


@dataclass(frozen=True)
class TheLastRefusal:
    """What their last try to sign in or up got: the refusal, or None when it went through."""

    async def answered_by(self, actor: Actor) -> ApiError | None:
        return actor.notes.read(ACCOUNT_REFUSAL)


@dataclass(frozen=True)
class HowTheirSignInAnswersDiffer:
    """How their answers (an unknown email) differ from `other`'s (a wrong password), in words
    and in time; empty when an onlooker could not tell them apart."""

    other: str

    async def answered_by(self, actor: Actor) -> list[str]:
        found = actor.notes.read(SIGN_INS_SIDE_BY_SIDE)
        return sign_in_answers.problems(found, actor.name, self.other)
