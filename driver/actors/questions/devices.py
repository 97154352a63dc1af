"""Which connection a person's device has: what opening the chat gave them."""

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.client.socket import ChatSocket


@dataclass(frozen=True)
class TheChatOn:
    """The latest connection of that device (open, unless it was closed since); a failure says
    the device never opened the chat."""

    device: str = DEFAULT_DEVICE

    async def answered_by(self, actor: Actor) -> ChatSocket:
        return actor.chat.socket(self.device, actor.name)
