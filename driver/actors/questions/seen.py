"""Questions about what an actor's connections saw: errors, confirmations, being closed."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.client.models import ErrorFrame


@dataclass(frozen=True)
class TheErrorsSeen:
    """Every error any of their connections was sent, old connections included."""

    async def answered_by(self, actor: Actor) -> list[ErrorFrame]:
        return [error for socket in actor.chat.connections() for error in socket.errors]


@dataclass(frozen=True)
class HowTheChatWasClosed:
    """Wait until the service closes that device's connection; the close code."""

    device: str = DEFAULT_DEVICE
    within: float = 5.0

    async def answered_by(self, actor: Actor) -> int:
        socket = actor.chat.socket(self.device, actor.name)
        try:
            return await socket.wait_closed(self.within)
        except TimeoutError:
            raise AssertionError(
                f"{actor.name}'s {self.device} was still connected after {self.within:g} s"
            ) from None
