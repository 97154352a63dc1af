"""What an attacker (or a confused client) sees of their attempts: another person's progress
reaching them, the explanations their garbled messages got."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.questions.seen import HowTheChatWasClosed
from driver.client.models import ErrorFrame


@dataclass(frozen=True)
class WhatReachedThemOf:
    """The frames on their connections that belong to the owner's runs or conversations."""

    owner: Actor

    async def answered_by(self, actor: Actor) -> list[dict[str, object]]:
        owner = self.owner
        runs = {run_id for socket in owner.chat.sockets.values() for run_id in socket.streams}
        threads = {owner.current_thread} - {None}
        return [
            frame
            for socket in actor.chat.sockets.values()
            for _, frame in socket.received
            if frame.get("run_id") in runs or frame.get("thread_id") in threads
        ]


@dataclass(frozen=True)
class TheExplanationsUntilClosed:
    """Wait until the service closes that device's chat; every explanation it sent before."""

    device: str = DEFAULT_DEVICE
    within: float = 5.0

    async def answered_by(self, actor: Actor) -> list[ErrorFrame]:
        await HowTheChatWasClosed(self.device, self.within).answered_by(actor)
        return list(actor.chat.socket(self.device, actor.name).errors)
