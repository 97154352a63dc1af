"""Where an instance is in its life: serving, draining (out of readiness before a redeploy), or
stopping. The operators' listener (service/http/operator.py) and SIGTERM move it along."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field


@dataclass
class Lifecycle:
    # Draining: readiness answers 503 and new requests and chats are refused with 503 and
    # Retry-After, so a balancer sends them to another instance; open chats and runs carry on.
    draining: bool = False
    # Set by SIGTERM, SIGINT or `POST /stop` on the operators' listener: the graceful stop begins.
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    def drain(self) -> None:
        self.draining = True

    def request_stop(self) -> None:
        self.draining = True
        self.stop.set()
