"""The operator watches a crowd's visit: everyone opens the chat, the operator reads the
figures, everyone asks, waits for the answer and leaves. What the operator saw is noted for the
checks of what the service still holds for them afterwards."""

# Waits take an explicit timeout because it is part of the failure message a reader sees.

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.notepad import Note
from driver.actors.tasks.crowd import (
    AskAboutTheirSpend,
    Customer,
    Everyone,
    OpenChatTimed,
    WaitUntilTheirQuestionEnds,
)
from driver.actors.tasks.devices import Leave
from driver.client import operations
from driver.client.operations import Figures


@dataclass(frozen=True)
class WatchedVisit:
    during: Figures  # once everyone had the chat open, before anyone asked
    left_at: float  # monotonic: when the last of them had left


WATCHED_VISIT = Note[WatchedVisit]("the crowd's visit, and the figures while they were there")


@dataclass(frozen=True)
class WatchTheCrowdVisit:
    """Performed by the operator: the customers open the chat at once (the operator reads the
    figures at `operator_url`), ask at once, wait until their question has ended (at most
    `within` seconds), then all leave; noted under WATCHED_VISIT."""

    customers: Sequence[Customer]
    within: float
    operator_url: str

    async def perform_as(self, actor: Actor) -> None:
        customers = list(self.customers)
        await Everyone(customers).attempts_to(OpenChatTimed())
        during = await operations.figures(actor.api.session, self.operator_url)
        await Everyone(customers).attempts_to(
            AskAboutTheirSpend(), WaitUntilTheirQuestionEnds(self.within)
        )
        await Everyone(customers).attempts_to(Leave())
        actor.notes.write(WATCHED_VISIT, WatchedVisit(during, time.monotonic()))
