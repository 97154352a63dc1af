"""Tasks against the per-person chat limits: many chats at once, a flood spread over them,
catching up on runs in bulk. What happened is noted in business terms for a question to read."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

from driver.actors.actor import DEFAULT_DEVICE, Actor
from driver.actors.notepad import Note
from driver.actors.tasks.devices import OpenChat, note_whether_let_in
from driver.client.contract import ClientType, ErrorCode
from driver.client.eventually import eventually
from driver.client.socket import ChatSocket


@dataclass(frozen=True)
class SpreadFlood:
    asked: int
    accepted: int
    slowed_down: int
    seconds: float


@dataclass(frozen=True)
class CatchUp:
    batches: int
    asked_about: int
    no_such_run: int  # runs answered "no such run" (each one a lookup)
    slowed_down: int  # requests refused as too many


CHATS_OPENED = Note[list[ChatSocket]]("the chats she opened one after another")
SPREAD_FLOOD = Note[SpreadFlood]("how her questions on every chat at once were answered")
CAUGHT_UP = Note[CatchUp]("how catching up in bulk was answered")


@dataclass(frozen=True)
class OpenMoreChats:
    """Open `count` more chats, spread over the servers in turn (each a device of its own, so
    the person closes them on leaving); they are noted under CHATS_OPENED."""

    count: int
    service_urls: tuple[str, ...]

    async def perform_as(self, actor: Actor) -> None:
        opened = actor.notes.read(CHATS_OPENED) if actor.notes.has(CHATS_OPENED) else []
        first = len(actor.chat.sockets)
        for i in range(first, first + self.count):
            device = f"chat {i + 1}"
            actor.chat.serve_from(device, self.service_urls[i % len(self.service_urls)])
            await actor.attempts_to(OpenChat(device))
            opened.append(actor.chat.socket(device, actor.name))
            actor.notes.write(CHATS_OPENED, opened)


@dataclass(frozen=True)
class TryToOpenOneMoreChat:
    """One more chat on that server; why it was turned away (or None: let in, the chat noted
    with the others under CHATS_OPENED) is noted under TURNED_AWAY."""

    service_url: str

    async def perform_as(self, actor: Actor) -> None:
        await note_whether_let_in(actor, OpenMoreChats(1, (self.service_url,)))


@dataclass(frozen=True)
class AskOnEveryChatAtOnce:
    """Send `per_chat` questions on every chat they opened, at once; wait until each has its
    answer (accepted, or told to slow down); noted under SPREAD_FLOOD."""

    per_chat: int

    async def perform_as(self, actor: Actor) -> None:
        chats, per_chat = actor.notes.read(CHATS_OPENED), self.per_chat
        began = time.monotonic()

        async def flood(chat: ChatSocket) -> None:
            for i in range(per_chat):
                await chat.post(f"Flood question {i}: how can we cut our model spend?")

        await asyncio.gather(*(flood(chat) for chat in chats))

        def slowed(chat: ChatSocket) -> int:
            return sum(1 for e in chat.errors if e.code == ErrorCode.RATE_LIMITED)

        def all_answered() -> bool:
            return all(len(c.acks) + slowed(c) >= per_chat for c in chats)

        await eventually(all_answered, timeout=15, describe="some questions were never answered")
        flooded = SpreadFlood(
            asked=per_chat * len(chats),
            accepted=sum(len(c.acks) for c in chats),
            slowed_down=sum(slowed(c) for c in chats),
            seconds=time.monotonic() - began,
        )
        actor.notes.write(SPREAD_FLOOD, flooded)


@dataclass(frozen=True)
class CatchUpOnUnknownRuns:
    """Ask `batches` times, without waiting, to catch up on `size` runs that do not exist, on
    the chat of their laptop; how it was answered is noted under CAUGHT_UP."""

    batches: int
    size: int

    async def perform_as(self, actor: Actor) -> None:
        await actor.attempts_to(OpenChat())
        chat, batches, size = actor.chat.socket(DEFAULT_DEVICE, actor.name), self.batches, self.size
        for _ in range(batches):
            runs = [{"run_id": str(uuid.uuid4()), "last_seq": 0} for _ in range(size)]
            await chat.send_frame({"type": ClientType.RESUME, "runs": runs})

        def counts() -> tuple[int, int]:
            return (
                sum(1 for e in chat.errors if e.code == ErrorCode.NOT_FOUND),
                sum(1 for e in chat.errors if e.code == ErrorCode.RATE_LIMITED),
            )

        def settled() -> bool:
            missing, slowed = counts()
            return missing + slowed * size >= batches * size

        await eventually(settled, timeout=15, describe="some requests were never answered")
        missing, slowed = counts()
        actor.notes.write(CAUGHT_UP, CatchUp(batches, batches * size, missing, slowed))
