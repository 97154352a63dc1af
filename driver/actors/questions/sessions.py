"""What a person can find out about their sign-ins: the pass they hold, what a renewal gets,
what still works of a sign-in that should have ended, how the service closed their devices."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from http import HTTPStatus

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.actors.questions.seen import HowTheChatWasClosed
from driver.client.errors import ApiError, HandshakeRefused
from driver.client.models import Tokens
from driver.client.socket import ChatSocket

RENEWED_TWICE_AT_ONCE = Note[list[Tokens | ApiError]]("what the two renewals at once got")


@dataclass(frozen=True)
class ThePass:
    """The pass (and renewal) of that device's own sign-in, or the person's."""

    device: str | None = None

    async def answered_by(self, actor: Actor) -> Tokens:
        tokens = actor.device_passes.get(self.device) if self.device else actor.tokens
        if tokens is None:
            on = f" on {self.device}" if self.device else ""
            raise AssertionError(f"{actor.name} is not signed in{on}")
        return tokens


@dataclass(frozen=True)
class WhatARenewalGets:
    """A new pass, or the refusal, for that renewal."""

    refresh_token: str

    async def answered_by(self, actor: Actor) -> Tokens | ApiError:
        try:
            return await actor.api.refresh(self.refresh_token)
        except ApiError as refused:
            return refused


@dataclass(frozen=True)
class WhetherThePassOpensTheChat:
    """Whether that pass still opens the chat (the door only: no history is read)."""

    access_token: str

    async def answered_by(self, actor: Actor) -> bool:
        try:
            socket = await ChatSocket.connect(
                actor.chat.ws_url,
                access_token=self.access_token,
                name=f"{actor.name}'s check of an old pass",
            )
        except HandshakeRefused:
            return False
        await socket.close()
        return True


@dataclass(frozen=True)
class WhatStillWorks:
    """What still works of a sign-in that should have ended (empty: nothing); their current
    pass unless another is given."""

    tokens: Tokens | None = None

    async def answered_by(self, actor: Actor) -> list[str]:
        tokens = self.tokens or await ThePass().answered_by(actor)
        working = []
        if await WhetherThePassOpensTheChat(tokens.access_token).answered_by(actor):
            working.append("the pass still opens the chat")
        if isinstance(await WhatARenewalGets(tokens.refresh_token).answered_by(actor), Tokens):
            working.append("the renewal still gives a new pass")
        return working


@dataclass(frozen=True)
class Closed:
    device: str
    code: int
    after_s: float


@dataclass(frozen=True)
class HowTheServiceClosed:
    """How each device's chat was closed by the service, waiting up to `within` seconds from the
    moment noted under `since` (when the sign-in ended), or from now if nothing is noted."""

    devices: tuple[str, ...]
    within: float
    since: Note[float] | None = None

    async def answered_by(self, actor: Actor) -> list[Closed]:
        noted = self.since is not None and actor.notes.has(self.since)
        start = actor.notes.read(self.since) if noted and self.since else time.monotonic()

        async def one(device: str) -> Closed:
            left = max(0.0, start + self.within - time.monotonic())
            code = await HowTheChatWasClosed(device, left).answered_by(actor)
            closed_at = actor.chat.sockets[device].closed_at or time.monotonic()
            return Closed(device, code, closed_at - start)

        return list(await asyncio.gather(*(one(d) for d in self.devices)))


@dataclass(frozen=True)
class WhenTheEndedPassIsLetIn:
    """Show their ended pass from `start_s` to `start_s + for_s` seconds after the moment noted
    under `since`, every `every_s`: when it was let in (empty: it was refused every time)."""

    since: Note[float]
    start_s: float
    for_s: float
    every_s: float = 0.2

    async def answered_by(self, actor: Actor) -> list[str]:
        start = actor.notes.read(self.since) + self.start_s
        token = (await ThePass().answered_by(actor)).access_token
        if (wait := start - time.monotonic()) > 0:
            await asyncio.sleep(wait)  # the promise only holds from `start` on
        let_in = []
        while time.monotonic() < start + self.for_s:
            raw = await actor.api.raw("GET", "/api/me", access=token)
            if raw.status != HTTPStatus.UNAUTHORIZED:
                let_in.append(f"{raw.status} at {time.monotonic() - start:+.1f} s")
            await asyncio.sleep(self.every_s)
        return let_in


@dataclass(frozen=True)
class RenewalRace:
    """How two renewals of the same pass at the same moment ended."""

    won: list[Tokens]
    lost: list[ApiError]

    def __str__(self) -> str:
        return ", ".join(
            ["a new pass"] * len(self.won) + [f"refused ({refused})" for refused in self.lost]
        )


@dataclass(frozen=True)
class TheRenewalsAtOnce:
    """What their two renewals at once (RenewTwiceAtOnce) got: the new passes and the refusals."""

    async def answered_by(self, actor: Actor) -> RenewalRace:
        renewals = actor.notes.read(RENEWED_TWICE_AT_ONCE)
        return RenewalRace(
            [r for r in renewals if isinstance(r, Tokens)],
            [r for r in renewals if isinstance(r, ApiError)],
        )
