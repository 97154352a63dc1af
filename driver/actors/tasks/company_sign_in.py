"""Signing in through the person's company's identity provider (enterprise sign-in): the
provider's signed statement of who she is is exchanged for a pass."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.client.errors import ApiError

COMPANY_SIGN_IN_REFUSAL = Note[ApiError | None](
    "how her sign-in through her company's provider was answered (None: let in)"
)


@dataclass(frozen=True)
class SignInThroughTheirCompany:
    """Sign in with the company provider's statement (`id_token`); the pass becomes theirs."""

    id_token: str

    async def perform_as(self, actor: Actor) -> None:
        actor.tokens = await actor.api.enterprise_sign_in(self.id_token)


@dataclass(frozen=True)
class TryToSignInThroughTheirCompany:
    """Try to sign in with the company provider's statement; the refusal, or None when let in,
    is noted under COMPANY_SIGN_IN_REFUSAL (the pass is not kept)."""

    id_token: str

    async def perform_as(self, actor: Actor) -> None:
        try:
            await actor.api.enterprise_sign_in(self.id_token)
            actor.notes.write(COMPANY_SIGN_IN_REFUSAL, None)
        except ApiError as refused:
            actor.notes.write(COMPANY_SIGN_IN_REFUSAL, refused)
