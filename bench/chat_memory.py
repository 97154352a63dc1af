"""What an open chat costs a service instance in memory: its resident size with N idle chats
open, against the same instance warmed up with a few, divided by N. Then every chat answers a
ping, so the figure is for live chats, and the chats leave.

    python bench/chat_memory.py [--chats 1000]

People hold up to 20 chats each (MAX_CHATS_PER_PERSON), so N chats need N / 20 accounts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid

import aiohttp
import psutil
import websockets

from driver.api import ChatApi
from fixtures.stack import Stack, StackConfig

CHATS_PER_PERSON = 20
WARM_UP_CHATS = 20
OPEN_AT_ONCE = 50
PASSWORD = "a long enough password"


async def _passes(api: ChatApi, people: int) -> list[str]:
    passes = []
    for _ in range(people):
        email = f"memory-{uuid.uuid4().hex[:10]}@example.com"
        await api.register(email, PASSWORD, "Memo")
        passes.append((await api.login(email, PASSWORD)).access_token)
    return passes


async def _open(url: str, access: str, gate: asyncio.Semaphore) -> websockets.ClientConnection:
    async with gate:
        return await websockets.connect(
            url, additional_headers={"Authorization": f"Bearer {access}"}, open_timeout=30
        )


async def _ping(chat: websockets.ClientConnection) -> bool:
    await chat.send(json.dumps({"type": "ping"}))
    while True:
        frame = json.loads(await asyncio.wait_for(chat.recv(), timeout=30))
        if frame.get("type") == "pong":
            return True


def _resident_mb(process: psutil.Process) -> float:
    return float(process.memory_info().rss) / 2**20


async def measure(stack: Stack, chats: int) -> None:
    service = stack.services[0]
    process = psutil.Process(service.pid)
    url = service.url.replace("http", "ws", 1) + "/ws"
    gate = asyncio.Semaphore(OPEN_AT_ONCE)
    async with aiohttp.ClientSession() as session:
        api = ChatApi(service.url, session, timeout=30)
        passes = await _passes(api, -(-chats // CHATS_PER_PERSON))
    owners = [passes[n // CHATS_PER_PERSON] for n in range(chats)]
    warm = await asyncio.gather(*(_open(url, owners[n], gate) for n in range(WARM_UP_CHATS)))
    assert all(await asyncio.gather(*(_ping(c) for c in warm)))
    for chat in warm:
        await chat.close()
    await asyncio.sleep(1)  # the closed chats' handlers finish (memory, not timing)
    before = _resident_mb(process)
    began = time.monotonic()
    opened = await asyncio.gather(*(_open(url, owner, gate) for owner in owners))
    took = time.monotonic() - began
    answered = sum(await asyncio.gather(*(_ping(c) for c in opened)))
    after = _resident_mb(process)
    print(f"{chats} chats opened in {took:.1f} s ({OPEN_AT_ONCE} at a time); {answered} answered")
    print(f"service resident memory: {before:.1f} MB warmed up, {after:.1f} MB with the chats")
    print(f"memory per open chat: {(after - before) * 1024 / chats:.1f} KB")
    await asyncio.gather(*(c.close() for c in opened))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=1000)
    args = parser.parse_args(argv)
    config = StackConfig.from_env(extra_env={"MAX_CHATS_PER_PERSON": str(CHATS_PER_PERSON)})
    with Stack(config) as stack:
        asyncio.run(measure(stack, args.chats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
