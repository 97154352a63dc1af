"""Questions about what an actor's connections saw: errors, confirmations, being closed."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.client.contract import short_id
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


@dataclass(frozen=True)
class WhatTheDeviceGotWrong:
    """What the device (over all its connections) got wrong of every run they asked: no
    answer, or not every step from the first to the answer, each once and in order."""

    device: str

    async def answered_by(self, actor: Actor) -> list[str]:
        problems = []
        for run in actor.chat.runs_asked():
            events = actor.chat.events_on(run, self.device)
            final = next((e for e in events if e.is_final), None)
            got = [e.seq for e in events]
            if final is None:
                problems.append(f"question {short_id(run)}: no answer (received steps {got})")
            elif got != list(range(1, (final.seq or 0) + 1)):
                problems.append(
                    f"question {short_id(run)}: received steps {got}, "
                    f"not 1 to {final.seq} once each"
                )
        return problems
