"""Tasks against the per-person chat limits: many chats at once, a flood spread over them,
catching up on runs in bulk. Each returns what happened in business terms for a step to check."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from driver.actors.actor import Actor
from driver.actors.tasks import OpenChat
from driver.client.contract import ClientType, ErrorCode
from driver.client.errors import HandshakeRefused
from driver.client.eventually import eventually
from driver.client.socket import ChatSocket


async def open_chats(person: Actor, count: int, service_urls: Sequence[str]) -> list[ChatSocket]:
    """Open `count` more chats, spread over the servers in turn (each a device of its own, so
    the person closes them on leaving)."""
    first = len(person.chat.sockets)
    chats = []
    for i in range(first, first + count):
        device = f"chat {i + 1}"
        person.chat.serve_from(device, service_urls[i % len(service_urls)])
        chats.append(await person.attempts_to(OpenChat(device)))
    return chats


async def try_open_chat(person: Actor, service_url: str) -> HandshakeRefused | ChatSocket:
    """One more chat: the open socket, or why it was refused."""
    try:
        return (await open_chats(person, 1, [service_url]))[0]
    except HandshakeRefused as refused:
        return refused


@dataclass(frozen=True)
class SpreadFlood:
    asked: int
    accepted: int
    slowed_down: int
    seconds: float


async def flood_across(chats: Sequence[ChatSocket], per_chat: int) -> SpreadFlood:
    """Send `per_chat` questions on every chat at once; wait until each has its answer
    (accepted, or told to slow down)."""
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
    return SpreadFlood(
        asked=per_chat * len(chats),
        accepted=sum(len(c.acks) for c in chats),
        slowed_down=sum(slowed(c) for c in chats),
        seconds=time.monotonic() - began,
    )


@dataclass(frozen=True)
class CatchUp:
    batches: int
    asked_about: int
    no_such_run: int  # runs answered "no such run" (each one a lookup)
    slowed_down: int  # requests refused as too many


async def catch_up_on_unknown(chat: ChatSocket, batches: int, size: int) -> CatchUp:
    """Ask `batches` times to catch up on `size` runs that do not exist, without waiting."""
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
    return CatchUp(batches, batches * size, missing, slowed)
